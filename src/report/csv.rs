//! CSV for Excel: one row per host, stable column names, findings joined in
//! one cell. Hosts come in the table's order (by address), written when the
//! scan ends; the site row first, as soon as it is known.
//!
//! The run's site is one more row, of `record` kind `site`, first under the
//! header (as soon as it is known), not a companion file: an admin opening
//! the CSV sees it at the top of the one sheet, a filter on `record` hides or
//! shows it, and there is no second file to lose when the report is mailed
//! or written to stdout. It fills the columns that mean the same for a site
//! (`target` is `site`; `verdict`, `blocking_rules`, `findings`, `fixes`,
//! `missing_facts`) and the site facts it was judged on (`site_facts`);
//! the AMT columns stay empty. `host_notes` says why a host's facts were not
//! read or not settled (`host.unread`, `host.conflicts` in JSON).
//!
//! Excel-specific care: the file starts with a UTF-8 byte order mark (without
//! it Excel reads UTF-8 as the local code page), and a cell that starts with
//! `=`, `+`, `-`, `@` or a tab is prefixed with `'` so that a device's
//! hostname cannot become a formula (CSV injection).

use std::io::{self, Write};

use super::row::{status_label, Projector, RowFinding};
use super::{HostReport, ReportSink, SiteReport};

/// Column names, in order. Part of the output contract: add at the end only.
pub(crate) const COLUMNS: [&str; 19] = [
    "target",
    "hostname",
    "read_status",
    "error",
    "amt_version",
    "version_source",
    "amt_status",
    "amt_status_value",
    "provisioning",
    "sku",
    "sku_raw",
    "verdict",
    "blocking_rules",
    "findings",
    "fixes",
    "missing_facts",
    "record",
    "site_facts",
    "host_notes",
];

/// The order rows are written in: the table's, so the CSV and the table
/// of one scan list hosts alike.
type SortKey = (u8, Option<std::net::IpAddr>, u16, String);

pub(crate) struct CsvSink<W: Write> {
    /// The output until the byte order mark and header are written.
    pending: Option<W>,
    writer: Option<::csv::Writer<W>>,
    projector: Projector,
    /// Host rows until the end, sorted then: a row is its cells (about a
    /// kilobyte), so a /16 holds some 64 MiB, as the table's rows do.
    rows: Vec<(SortKey, [String; 19])>,
}

impl<W: Write> CsvSink<W> {
    pub(crate) fn new(out: W) -> Self {
        Self {
            pending: Some(out),
            writer: None,
            projector: Projector::new(),
            rows: Vec::new(),
        }
    }

    fn writer(&mut self) -> io::Result<&mut ::csv::Writer<W>> {
        if let Some(mut out) = self.pending.take() {
            out.write_all("\u{feff}".as_bytes())?;
            let mut w = ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::CRLF)
                .from_writer(out);
            w.write_record(COLUMNS)?;
            self.writer = Some(w);
        }
        self.writer
            .as_mut()
            .ok_or_else(|| io::Error::other("the CSV output failed earlier"))
    }
}

/// Neutralises spreadsheet formulas in text that came from a device.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The `blocking_rules`, `findings` and `fixes` cells.
fn finding_cells(findings: &[RowFinding]) -> [String; 3] {
    let blocking: Vec<&str> = findings
        .iter()
        .filter(|f| f.severity == crate::rules::Severity::Error)
        .map(|f| &*f.rule)
        .collect();
    let lines: Vec<String> = findings
        .iter()
        .map(|f| format!("{} {}: {}", f.severity.as_str(), f.rule, f.message))
        .collect();
    let mut fixes: Vec<String> = Vec::new();
    for f in findings {
        if let Some(fix) = &f.fix {
            let line = format!("{}: {fix}", f.rule);
            if !fixes.contains(&line) {
                fixes.push(line);
            }
        }
    }
    [
        blocking.join(" "),
        cell(&lines.join(" | ")),
        cell(&fixes.join(" | ")),
    ]
}

impl<W: Write> ReportSink for CsvSink<W> {
    fn site(&mut self, site: &SiteReport) -> io::Result<()> {
        let r = self.projector.site_row(site);
        let [blocking, findings, fixes] = finding_cells(&r.findings);
        let mut record: [String; 19] = Default::default();
        let mut put = |column: &str, value: String| {
            if let Some(i) = COLUMNS.iter().position(|c| *c == column) {
                record[i] = value;
            }
        };
        put("target", "site".to_string());
        put("verdict", r.verdict_label().to_string());
        put("blocking_rules", blocking);
        put("findings", findings);
        put("fixes", fixes);
        put("missing_facts", r.missing.join(", "));
        put("record", "site".to_string());
        put("site_facts", cell(&r.facts_line()));
        let w = self.writer()?;
        w.write_record(&record)?;
        w.flush()
    }

    fn record(&mut self, report: &HostReport) -> io::Result<()> {
        let r = self.projector.row(report);
        let opt = |v: &Option<String>| v.as_deref().map(cell).unwrap_or_default();
        let [blocking, findings, fixes] = finding_cells(&r.findings);
        let record: [String; 19] = [
            cell(&r.target),
            opt(&r.hostname),
            r.status.map(status_label).unwrap_or_default().to_string(),
            opt(&r.error),
            opt(&r.version),
            r.version_source
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            r.amt_status.label().to_string(),
            r.amt_status
                .query_value()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "null".to_string()),
            opt(&r.provisioning),
            opt(&r.sku),
            opt(&r.sku_raw),
            r.verdict_label().to_string(),
            blocking,
            findings,
            fixes,
            r.missing.join(", "),
            "host".to_string(),
            String::new(),
            cell(&r.notes.join(" | ")),
        ];
        self.rows.push((super::table::sort_key(&r.target), record));
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let w = self.writer()?;
        for (_, record) in &rows {
            w.write_record(record)?;
        }
        w.flush()
    }
}
