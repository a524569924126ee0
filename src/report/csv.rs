//! CSV for Excel: one row per host, stable column names, findings joined in
//! one cell. Streams: each host is written as it arrives.
//!
//! Excel-specific care: the file starts with a UTF-8 byte order mark (without
//! it Excel reads UTF-8 as the local code page), and a cell that starts with
//! `=`, `+`, `-`, `@` or a tab is prefixed with `'` so that a device's
//! hostname cannot become a formula (CSV injection).

use std::io::{self, Write};

use super::row::{status_label, Projector};
use super::{HostReport, ReportSink};

/// Column names, in order. Part of the output contract: add at the end only.
pub const COLUMNS: [&str; 16] = [
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
];

pub struct CsvSink<W: Write> {
    /// The output until the byte order mark and header are written.
    pending: Option<W>,
    writer: Option<::csv::Writer<W>>,
    projector: Projector,
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W) -> Self {
        Self {
            pending: Some(out),
            writer: None,
            projector: Projector::new(),
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

impl<W: Write> ReportSink for CsvSink<W> {
    fn record(&mut self, report: &HostReport) -> io::Result<()> {
        let r = self.projector.row(report);
        let opt = |v: &Option<String>| v.as_deref().map(cell).unwrap_or_default();
        let blocking: Vec<&str> = r.blocking().map(|f| &*f.rule).collect();
        let findings: Vec<String> = r
            .findings
            .iter()
            .map(|f| format!("{} {}: {}", f.severity.as_str(), f.rule, f.message))
            .collect();
        let mut fixes: Vec<String> = Vec::new();
        for f in &r.findings {
            if let Some(fix) = &f.fix {
                let line = format!("{}: {fix}", f.rule);
                if !fixes.contains(&line) {
                    fixes.push(line);
                }
            }
        }
        let record: [String; 16] = [
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
            blocking.join(" "),
            cell(&findings.join(" | ")),
            cell(&fixes.join(" | ")),
            r.missing.join(", "),
        ];
        let w = self.writer()?;
        w.write_record(&record)?;
        w.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}
