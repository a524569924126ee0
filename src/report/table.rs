//! The table for people. Rows are collected and printed sorted by address when
//! the scan ends, because column widths need every row; machine formats stream.

use std::io::{self, Write};
use std::net::IpAddr;

use comfy_table::{presets, ContentArrangement, Table};

use super::{HostReport, ReportSink};
use crate::facts::HostStatus;
use crate::rules::Severity;

pub struct TableSink<W: Write> {
    out: W,
    rows: Vec<HostReport>,
}

impl<W: Write> TableSink<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            rows: Vec::new(),
        }
    }
}

impl<W: Write> ReportSink for TableSink<W> {
    fn record(&mut self, report: &HostReport) -> io::Result<()> {
        self.rows.push(report.clone());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.rows.sort_by_key(|r| sort_key(&r.facts.target));
        let with_verdicts = self.rows.iter().any(|r| r.evaluation.is_some());
        let mut table = Table::new();
        table.load_preset(presets::ASCII_BORDERS_ONLY_CONDENSED);
        table.set_content_arrangement(ContentArrangement::Disabled);
        let mut header = vec![
            "HOST",
            "STATUS",
            "VERSION",
            "SOURCE",
            "PROVISIONING",
            "CONTROL",
            "SKU",
        ];
        if with_verdicts {
            header.extend(["VERDICT", "WHY"]);
        } else {
            header.push("NOTE");
        }
        table.set_header(header);
        for r in &self.rows {
            table.add_row(row(r, with_verdicts));
        }
        writeln!(self.out, "{table}")?;
        self.out.flush()
    }
}

fn row(r: &HostReport, with_verdicts: bool) -> Vec<String> {
    let amt = r.facts.amt.as_ref();
    let text = |v: Option<&str>| v.unwrap_or("-").to_string();
    let status = r.facts.status.map(HostStatus::as_str);
    let mut cells = vec![
        r.facts.target.clone(),
        text(status),
        text(amt.and_then(|a| a.version.as_deref())),
        text(amt.and_then(|a| a.source).map(|s| s.as_str())),
        text(amt.and_then(|a| a.provisioning_state).map(|s| s.as_str())),
        text(amt.and_then(|a| a.control_mode).map(|m| m.as_str())),
        text(amt.and_then(|a| a.sku.as_deref())),
    ];
    if with_verdicts {
        cells.push(text(r.evaluation.as_ref().map(|e| e.verdict.as_str())));
    }
    cells.push(why(r));
    cells
}

/// The one thing an admin should read first: the read error, else the first
/// blocking finding, else the first action item, else the missing facts.
fn why(r: &HostReport) -> String {
    if let Some(err) = &r.facts.error {
        return err.clone();
    }
    let Some(eval) = &r.evaluation else {
        return String::new();
    };
    for wanted in [Severity::Error, Severity::Warning] {
        if let Some(f) = eval.findings.iter().find(|f| f.severity == wanted) {
            return format!("{}: {}", f.rule, f.message);
        }
    }
    if !eval.missing.is_empty() {
        return format!("missing: {}", eval.missing.join(", "));
    }
    String::new()
}

/// Addresses sort numerically (10.0.0.9 before 10.0.0.10), names after them.
fn sort_key(target: &str) -> (u8, Option<IpAddr>, u16, String) {
    let (host, port) = match target.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
            (h.trim_matches(['[', ']']), p.parse().unwrap_or(0))
        }
        _ => (target, 0),
    };
    match host.parse::<IpAddr>() {
        Ok(ip) => (0, Some(ip), port, String::new()),
        Err(_) => (1, None, port, target.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_sort_numerically_then_names() {
        let mut t = vec![
            "b.example",
            "10.0.0.10",
            "10.0.0.9:17000",
            "10.0.0.9",
            "[::1]:5",
        ];
        t.sort_by_key(|s| sort_key(s));
        assert_eq!(
            t,
            [
                "10.0.0.9",
                "10.0.0.9:17000",
                "10.0.0.10",
                "[::1]:5",
                "b.example"
            ]
        );
    }
}
