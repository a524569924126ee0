//! Markdown for tickets and wikis: the host table, each host's findings with
//! fixes and sources, then the summary. Device text is escaped so a hostname
//! cannot inject markup, links or HTML into the page it is pasted into.

use std::io::{self, Write};

use super::row::{Row, RowFinding, SiteRow};
use super::summary::Summary;
use super::table::{cells, HEADER};
use super::{Collected, ReportOptions, WriteCollected};

pub(crate) struct MarkdownReport<W: Write> {
    out: W,
    options: ReportOptions,
}

impl<W: Write> MarkdownReport<W> {
    pub(crate) fn new(out: W, options: ReportOptions) -> Self {
        Self { out, options }
    }
}

/// Backslash-escapes the punctuation CommonMark and GFM tables give meaning to.
pub(crate) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn write_findings(out: &mut impl Write, r: &Row) -> io::Result<()> {
    if !r.has_details() {
        return Ok(());
    }
    writeln!(out, "### {} ({})\n", md(&r.host_label()), r.verdict_label())?;
    if let Some(e) = &r.error {
        writeln!(
            out,
            "- **{}**: {}",
            r.status_label().unwrap_or("error"),
            md(e)
        )?;
    }
    for note in &r.notes {
        writeln!(out, "- **Host facts** {}", md(note))?;
    }
    finding_items(out, &r.findings, &r.missing)?;
    writeln!(out)
}

fn finding_items(
    out: &mut impl Write,
    findings: &[RowFinding],
    missing: &[String],
) -> io::Result<()> {
    for f in findings {
        writeln!(
            out,
            "- **{}** `{}`: {}",
            f.severity.as_str(),
            f.rule,
            md(&f.message)
        )?;
        if let Some(fix) = &f.fix {
            writeln!(out, "  - Fix: {}", md(fix))?;
        }
        writeln!(out, "  - Source: {}", md(&f.source))?;
    }
    if !missing.is_empty() {
        writeln!(out, "- Facts missing: {}", md(&missing.join(", ")))?;
    }
    Ok(())
}

/// The site, judged once for every host, before the host table.
fn write_site(out: &mut impl Write, site: &SiteRow) -> io::Result<()> {
    writeln!(out, "## Site: {}\n", site.verdict_label())?;
    writeln!(
        out,
        "The Configuration Manager site, judged once for every host: a blocking finding here stops the whole rollout.\n"
    )?;
    if !site.facts.is_empty() {
        writeln!(out, "| Site fact | Value |\n|---|---|")?;
        for (k, v) in &site.facts {
            writeln!(out, "| {} | {} |", md(k), md(v))?;
        }
        writeln!(out)?;
    }
    if !site.findings.is_empty() || !site.missing.is_empty() {
        finding_items(out, &site.findings, &site.missing)?;
        writeln!(out)?;
    }
    Ok(())
}

fn write_summary(out: &mut impl Write, s: &Summary) -> io::Result<()> {
    writeln!(out, "## Summary\n")?;
    if s.partial {
        writeln!(
            out,
            "**Partial:** the scan was interrupted; these are the hosts it finished.\n"
        )?;
    }
    if let Some(site) = &s.site {
        writeln!(out, "Site: {}\n", md(&site.describe()))?;
        if s.hosts == 0 {
            return Ok(());
        }
    }
    if let Some(line) = s.rollout_line() {
        writeln!(out, "**Rollout: {}**\n", md(&line))?;
    }
    writeln!(out, "| | Hosts |\n|---|---:|")?;
    writeln!(out, "| Hosts scanned | {} |", s.hosts)?;
    writeln!(out, "| Answered | {} |", s.answered)?;
    writeln!(out, "| AMT found | {} |", s.amt_found)?;
    if let Some(inventory) = &s.inventory_amt {
        writeln!(out, "| Inventory says AMT | {} |", inventory.says_amt)?;
        writeln!(out, "| Inventory AMT answered | {} |", inventory.answered)?;
        writeln!(
            out,
            "| Dark (inventory says AMT, nothing answered) | {} |",
            inventory.dark
        )?;
    }
    for c in &s.verdicts {
        writeln!(out, "| Verdict: {} | {} |", md(&c.name), c.count)?;
    }
    for c in &s.amt_status {
        writeln!(out, "| AMT status: {} | {} |", md(&c.name), c.count)?;
    }
    for c in s.firmware.iter().take(20) {
        writeln!(out, "| Firmware {} | {} |", md(&c.name), c.count)?;
    }
    writeln!(out)?;
    if !s.top_blocking.is_empty() {
        writeln!(out, "Most common blocking findings:\n")?;
        for b in &s.top_blocking {
            write!(out, "1. `{}`: {} hosts", b.rule, b.hosts)?;
            match &b.fix {
                Some(fix) => writeln!(out, " (fix: {})", md(fix))?,
                None => writeln!(out)?,
            }
        }
        writeln!(out)?;
    }
    if !s.not_checked.is_empty() {
        let list: Vec<String> = s
            .not_checked
            .iter()
            .map(|c| format!("`{}`", c.name))
            .collect();
        writeln!(
            out,
            "Not checked (no facts for them): {}\n",
            list.join(", ")
        )?;
    }
    Ok(())
}

impl<W: Write> WriteCollected for MarkdownReport<W> {
    fn write(&mut self, collected: &Collected, summary: &Summary) -> io::Result<()> {
        let out = &mut self.out;
        writeln!(out, "# {}\n", md(&self.options.title))?;
        for notice in &summary.notices {
            writeln!(out, "> **Notice:** {}\n", md(notice))?;
        }
        if let Some(site) = &collected.site {
            write_site(out, site)?;
        }
        if !collected.rows.is_empty() || collected.site.is_none() {
            if collected.site.is_some() {
                writeln!(out, "## Hosts\n")?;
            }
            writeln!(out, "| {} |", HEADER.join(" | "))?;
            writeln!(out, "|{}", "---|".repeat(HEADER.len()))?;
        }
        for r in &collected.rows {
            // A cell holding two lines (address, FQDN) keeps them apart with <br>.
            let row: Vec<String> = cells(r)
                .iter()
                .map(|c| c.split('\n').map(md).collect::<Vec<_>>().join("<br>"))
                .collect();
            writeln!(out, "| {} |", row.join(" | "))?;
        }
        writeln!(out)?;
        if collected.rows.iter().any(Row::has_details) {
            writeln!(out, "## Findings\n")?;
            for r in &collected.rows {
                write_findings(out, r)?;
            }
        }
        write_summary(out, summary)?;
        out.flush()
    }
}
