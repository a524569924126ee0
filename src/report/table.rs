//! The table for people: one row per host with the columns an SCCM admin
//! scans for, findings on indented lines below it, and the summary at the
//! end. Everything fits the width it is given; rows are compact projections,
//! sorted by address when the scan ends.

use std::collections::HashSet;
use std::io::{self, Write};
use std::net::IpAddr;
use std::sync::Arc;

use super::row::{Row, RowFinding, SiteRow};
use super::summary::Summary;
use super::text::{hanging, Grid};
use super::{Collected, ReportOptions, WriteCollected};
use crate::facts::{FactSource, HostStatus};

pub(crate) struct TableReport<W: Write> {
    out: W,
    options: ReportOptions,
}

impl<W: Write> TableReport<W> {
    pub(crate) fn new(out: W, options: ReportOptions) -> Self {
        Self { out, options }
    }
}

pub(crate) const HEADER: [&str; 6] = [
    "HOST",
    "AMT",
    "AMT STATUS",
    "PROVISIONING",
    "SKU",
    "VERDICT",
];
/// Width each column keeps while wordier ones can still wrap (an IPv4
/// address with port, "11.8.50", "Not Provisioned (2)", ...).
const MINS: [usize; 6] = [24, 11, 19, 15, 11, 9];
/// Widest the host column keeps while others give: a 32-column FQDN.
const MAX_HOST_MIN: usize = 32;
/// Widest the host column keeps on a narrow screen: `255.255.255.255:65535`.
const MAX_ADDRESS_MIN: usize = 21;
/// Widest the version column keeps on a narrow screen: `11.8.55.3510`.
const MAX_VERSION_MIN: usize = 12;
/// Widths kept on a narrow (80-column) screen before anything else gives.
const HARD_MINS: [usize; 6] = [16, 7, 13, 12, 9, 9];

/// The row's cells, in [`HEADER`] order.
pub(crate) fn cells(r: &Row) -> Vec<String> {
    let dash = || "-".to_string();
    let version = match (&r.version, r.version_source) {
        (Some(v), Some(FactSource::ServerHeader)) => format!("{v} (banner)"),
        (Some(v), Some(FactSource::Rmcp)) => format!("{v} (RMCP)"),
        (Some(v), _) => v.clone(),
        (None, _) => dash(),
    };
    vec![
        match &r.hostname {
            Some(h) => format!("{}\n{h}", r.target),
            None => r.target.clone(),
        },
        version,
        r.amt_status.with_value(),
        r.provisioning.clone().unwrap_or_else(dash),
        r.sku.clone().unwrap_or_else(dash),
        r.verdict_label().to_string(),
    ]
}

/// The rules whose fix the table has already printed: a finding on many
/// hosts prints its fix once, the first time, and is one line after that.
/// `-v` prints every finding whole.
#[derive(Default)]
pub(crate) struct Shown {
    fixes: HashSet<Arc<str>>,
}

/// The indented lines under a host: why it could not be read, its findings
/// (blocking first) with their fixes, and the facts the rules lacked.
pub(crate) fn detail_lines(r: &Row, width: usize, verbose: bool, shown: &mut Shown) -> Vec<String> {
    let mut out = Vec::new();
    if r.status.is_some_and(|s| s != HostStatus::Ok) || r.error.is_some() {
        let what = r.status_label().unwrap_or("error");
        let text = match &r.error {
            Some(e) => format!("{what}: {e}"),
            None => what.to_string(),
        };
        out.extend(hanging("    ", &text, width));
    }
    for note in &r.notes {
        out.extend(hanging("    host facts ", note, width));
    }
    out.extend(finding_lines(
        &r.findings,
        &r.missing,
        width,
        verbose,
        Some(shown),
    ));
    out
}

/// Findings with their fixes (and sources, verbose), then the facts lacked.
/// With `shown`, a rule whose fix was printed before is one line, clipped.
pub(crate) fn finding_lines(
    findings: &[RowFinding],
    missing: &[String],
    width: usize,
    verbose: bool,
    mut shown: Option<&mut Shown>,
) -> Vec<String> {
    let mut out = Vec::new();
    for f in findings {
        let first = format!("    {} {}: ", f.severity.as_str(), f.rule);
        let repeat = !verbose
            && f.fix.is_some()
            && shown
                .as_deref_mut()
                .is_some_and(|s| !s.fixes.insert(f.rule.clone()));
        if repeat {
            out.push(one_line(&format!("{first}{}", f.message), width));
            continue;
        }
        out.extend(hanging(&first, &f.message, width));
        if let Some(fix) = &f.fix {
            out.extend(hanging("        fix: ", fix, width));
        }
        if verbose {
            out.extend(hanging("        source: ", &f.source, width));
        }
    }
    if !missing.is_empty() {
        out.extend(hanging("    missing facts: ", &missing.join(", "), width));
    }
    out
}

/// The site section: judged once for the whole run, printed once above the
/// hosts, because a blocking site finding stops every host's rollout.
pub(crate) fn site_lines(site: &SiteRow, width: usize, verbose: bool) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(hanging(
        "",
        &format!(
            "SITE (Configuration Manager site, judged once for every host): {}",
            site.verdict_label()
        ),
        width,
    ));
    if !site.facts.is_empty() {
        out.extend(hanging("    facts: ", &site.facts_line(), width));
    }
    out.extend(finding_lines(
        &site.findings,
        &site.missing,
        width,
        verbose,
        None,
    ));
    if verbose && !site.not_checked.is_empty() {
        out.extend(hanging(
            "    not checked (no facts for them): ",
            &site.not_checked.join(", "),
            width,
        ));
    }
    out
}

impl<W: Write> WriteCollected for TableReport<W> {
    fn write(&mut self, collected: &Collected, summary: &Summary) -> io::Result<()> {
        let width = self.options.width;
        let rows: Vec<Vec<String>> = collected.rows.iter().map(cells).collect();
        // A host name wraps last: the other columns give first while the
        // screen has room for the longest name (a long one still wraps, at
        // its dots).
        let mut mins = MINS;
        let longest_host = rows
            .iter()
            .flat_map(|r| r[0].split('\n'))
            .map(super::text::width)
            .max()
            .unwrap_or(0);
        mins[0] = mins[0].max(longest_host.min(MAX_HOST_MIN));
        // An address (with its port) is never cut while anything else can
        // give: the screen's last columns go to it.
        let mut hard_mins = HARD_MINS;
        let longest_address = rows
            .iter()
            .filter_map(|r| r[0].split('\n').next())
            .map(super::text::width)
            .max()
            .unwrap_or(0);
        hard_mins[0] = hard_mins[0].max(longest_address.min(MAX_ADDRESS_MIN));
        // Nor is a firmware version: a column of versions is read down.
        let longest_version = rows
            .iter()
            .map(|r| super::text::width(&r[1]))
            .max()
            .unwrap_or(0);
        hard_mins[1] = hard_mins[1].max(longest_version.min(MAX_VERSION_MIN));
        let grid = Grid::fit(
            &HEADER,
            rows.iter().map(Vec::as_slice),
            &mins,
            &hard_mins,
            width,
        );
        // The run's own conclusion comes before any host: with a mistyped
        // password, every row below follows from it.
        for notice in &summary.notices {
            for line in hanging("NOTICE: ", notice, width) {
                writeln!(self.out, "{line}")?;
            }
        }
        if collected.partial {
            for line in hanging(
                "",
                "PARTIAL: the scan was interrupted; these are the hosts it finished.",
                width,
            ) {
                writeln!(self.out, "{line}")?;
            }
        }
        if let Some(site) = &collected.site {
            for line in site_lines(site, width, self.options.verbose) {
                writeln!(self.out, "{line}")?;
            }
            if !collected.rows.is_empty() {
                writeln!(self.out)?;
            }
        }
        // A site-only run (`amtready site`) has no host table.
        if collected.site.is_none() || !collected.rows.is_empty() {
            for line in grid.render(&HEADER) {
                writeln!(self.out, "{line}")?;
            }
            writeln!(self.out, "{}", grid.rule())?;
        }
        let mut shown = Shown::default();
        for row in &collected.rows {
            for line in grid.render(&cells(row)) {
                writeln!(self.out, "{line}")?;
            }
            for line in detail_lines(row, width, self.options.verbose, &mut shown) {
                writeln!(self.out, "{line}")?;
            }
        }
        for line in summary.text_lines(width, self.options.verbose) {
            writeln!(self.out, "{line}")?;
        }
        self.out.flush()
    }
}

/// `text` on one line of at most `width` columns, cut with `…`.
fn one_line(text: &str, width: usize) -> String {
    if super::text::width(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Addresses sort numerically (10.0.0.9 before 10.0.0.10), names after them.
pub(crate) fn sort_key(target: &str) -> (u8, Option<IpAddr>, u16, String) {
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
