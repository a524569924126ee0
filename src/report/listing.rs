//! Listings that are not per host (the rules of a policy): a header and rows
//! of text, rendered with the same fitted table, CSV, Markdown and HTML code
//! as the host reports.

use std::io::{self, Write};

use super::html::esc;
use super::markdown::md;
use super::text::{clean, Grid};
use super::Format;

/// Writes `rows` under `header` as `format` (table, csv, markdown or html).
/// `mins` are the widths table columns keep while others wrap.
pub fn write_listing(
    out: &mut impl Write,
    format: Format,
    title: &str,
    header: &[&str],
    mins: &[usize],
    rows: &[Vec<String>],
    width: usize,
) -> io::Result<()> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c).into_owned()).collect())
        .collect();
    match format {
        Format::Csv => {
            out.write_all("\u{feff}".as_bytes())?;
            let mut w = ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::CRLF)
                .from_writer(&mut *out);
            w.write_record(header)?;
            for r in &rows {
                w.write_record(r)?;
            }
            w.flush()?;
        }
        Format::Markdown => {
            writeln!(out, "| {} |", header.join(" | "))?;
            writeln!(out, "|{}", "---|".repeat(header.len()))?;
            for r in &rows {
                let cells: Vec<String> = r.iter().map(|c| md(c)).collect();
                writeln!(out, "| {} |", cells.join(" | "))?;
            }
        }
        Format::Html => {
            write!(
                out,
                "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
                 <style>body{{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330}}\
                 table{{border-collapse:collapse}}th,td{{text-align:left;padding:5px 8px;border-bottom:1px solid #dde1e7;vertical-align:top}}\
                 th{{background:#eef1f5}}</style></head><body><h1>{t}</h1><table><thead><tr>",
                t = esc(title)
            )?;
            for h in header {
                write!(out, "<th>{}</th>", esc(h))?;
            }
            write!(out, "</tr></thead><tbody>")?;
            for r in &rows {
                write!(out, "<tr>")?;
                for c in r {
                    write!(out, "<td>{}</td>", esc(c))?;
                }
                writeln!(out, "</tr>")?;
            }
            writeln!(out, "</tbody></table></body></html>")?;
        }
        _ => {
            let grid = Grid::fit(header, rows.iter(), mins, &[], width);
            for line in grid.render(header) {
                writeln!(out, "{line}")?;
            }
            writeln!(out, "{}", grid.rule())?;
            for r in &rows {
                for line in grid.render(r) {
                    writeln!(out, "{line}")?;
                }
            }
        }
    }
    out.flush()
}
