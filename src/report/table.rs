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
            "CM AMT STATUS",
            "CONTROL",
            "SKU",
        ];
        if with_verdicts {
            header.extend(["VERDICT", "FINDINGS"]);
        } else {
            header.push("NOTE");
        }
        table.set_header(header);
        for r in &self.rows {
            table.add_row(row(r, with_verdicts));
        }
        writeln!(self.out, "{table}")?;
        if let Some(summary) = not_checked_summary(&self.rows) {
            writeln!(self.out, "{summary}")?;
        }
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
        r.configmgr().amt_status.with_value(),
        text(amt.and_then(|a| a.control_mode).map(|m| m.as_str())),
        text(amt.and_then(|a| a.sku.as_deref())),
    ];
    if with_verdicts {
        cells.push(text(r.evaluation.as_ref().map(|e| e.verdict.as_str())));
    }
    cells.push(findings(r));
    cells
}

/// Why the host is where it is, one line each: the read error first, then the
/// findings by severity (blocking ones first), then the facts the rules lacked.
fn findings(r: &HostReport) -> String {
    let mut lines: Vec<String> = r.facts.error.iter().cloned().collect();
    if let Some(eval) = &r.evaluation {
        for severity in [Severity::Error, Severity::Warning, Severity::Info] {
            lines.extend(
                eval.findings
                    .iter()
                    .filter(|f| f.severity == severity)
                    .map(|f| format!("{} {}: {}", severity.as_str(), f.rule, f.message)),
            );
        }
        if !eval.missing.is_empty() {
            lines.push(format!("missing: {}", eval.missing.join(", ")));
        }
    }
    lines.join("\n")
}

/// Rules left unchecked for lack of facts, once for the whole table rather than
/// per row: after a network scan they are the same host and site rules on
/// every line, and an admin needs to know they were not judged.
fn not_checked_summary(rows: &[HostReport]) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for rule in rows
        .iter()
        .filter_map(|r| r.evaluation.as_ref())
        .flat_map(|e| &e.not_checked)
    {
        match counts.iter_mut().find(|(id, _)| id == rule) {
            Some((_, n)) => *n += 1,
            None => counts.push((rule, 1)),
        }
    }
    if counts.is_empty() {
        return None;
    }
    let judged = rows.iter().filter(|r| r.evaluation.is_some()).count();
    let list: Vec<String> = counts
        .iter()
        .map(|(id, n)| {
            if *n == judged {
                id.to_string()
            } else {
                format!("{id} ({n} of {judged})")
            }
        })
        .collect();
    Some(format!(
        "Not checked (no facts for them): {}",
        list.join(", ")
    ))
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
