//! JUnit XML: one test case per host, so a CI system shows the fleet's
//! readiness natively. Not ready hosts fail with their findings; hosts whose
//! verdict is unknown (unread, facts missing) are skipped with the reason;
//! ready hosts pass. The fleet summary rides along as suite properties and
//! the suite's system-out. Built with `quick-junit` (nextest's model), which
//! handles XML escaping and strips characters XML cannot carry.

use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::row::{self, Row, RowFinding, SiteRow};
use super::summary::Summary;
use super::{Collected, ReportOptions, WriteCollected};
use crate::rules::Verdict;

pub(crate) struct JunitReport<W: Write> {
    out: W,
    options: ReportOptions,
}

impl<W: Write> JunitReport<W> {
    pub(crate) fn new(out: W, options: ReportOptions) -> Self {
        Self { out, options }
    }
}

fn findings_text(r: &Row) -> String {
    findings_lines(&r.findings)
}

fn findings_lines(findings: &[RowFinding]) -> String {
    let mut lines = Vec::new();
    for f in findings {
        lines.push(format!("{} {}: {}", f.severity.as_str(), f.rule, f.message));
        if let Some(fix) = &f.fix {
            lines.push(format!("  fix: {fix}"));
        }
        lines.push(format!("  source: {}", f.source));
    }
    lines.join("\n")
}

fn facts_text(r: &Row) -> String {
    let mut lines = vec![
        format!("AMT version: {}", r.version.as_deref().unwrap_or("unknown")),
        format!("AMT status: {}", r.amt_status.label()),
    ];
    if let Some(p) = &r.provisioning {
        lines.push(format!("Provisioning: {p}"));
    }
    if let Some(s) = &r.sku {
        lines.push(format!("SKU: {s}"));
    }
    lines.join("\n")
}

/// A failed test case: its message names the first blocking finding (and how
/// many more), its type is that rule, its description every finding.
fn failure(findings: &[RowFinding], description: String) -> TestCaseStatus {
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let blocking: Vec<_> = row::blocking(findings).collect();
    if let Some(first) = blocking.first() {
        let more = if blocking.len() > 1 {
            format!(" (and {} more)", blocking.len() - 1)
        } else {
            String::new()
        };
        s.set_message(format!("{}: {}{more}", first.rule, first.message));
        s.set_type(&*first.rule);
    }
    s.set_description(description);
    s
}

fn test_case(r: &Row) -> TestCase {
    let status = match r.verdict {
        Some(Verdict::Ready) => TestCaseStatus::success(),
        Some(Verdict::NotReady) => failure(&r.findings, findings_text(r)),
        // Host facts the user asked for and did not get, or that sources
        // disagree on: the gate failed for this host, which a skip would hide.
        Some(Verdict::Unknown) if !r.notes.is_empty() => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type("host-facts");
            s.set_message(format!("host facts {}", r.notes.join("; ")));
            let mut description = r.notes.join("\n");
            if !r.missing.is_empty() {
                description.push_str(&format!("\nfacts missing: {}", r.missing.join(", ")));
            }
            s.set_description(description);
            s
        }
        // A computer the inventory says has AMT that answered nowhere is
        // what the admin must chase: a failure, which a skip would hide.
        None if r.status == Some(crate::facts::HostStatus::Dark) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type("dark");
            s.set_message("dark: the inventory says AMT, and nothing answered");
            if let Some(e) = &r.error {
                s.set_description(e.clone());
            }
            s
        }
        Some(Verdict::Unknown) | None => {
            let mut s = TestCaseStatus::skipped();
            let reason = match (&r.error, r.status_label(), r.missing.is_empty()) {
                (Some(e), Some(st), _) => format!("{st}: {e}"),
                (Some(e), None, _) => e.clone(),
                (None, _, false) => format!("facts missing: {}", r.missing.join(", ")),
                (None, Some(st), true) if r.verdict.is_none() => format!("not judged ({st})"),
                _ => "verdict unknown".to_string(),
            };
            s.set_message(reason);
            if !r.findings.is_empty() {
                s.set_description(findings_text(r));
            }
            s
        }
    };
    let mut tc = TestCase::new(r.host_label(), status);
    tc.set_classname(format!(
        "amtready.{}",
        r.amt_status.label().to_lowercase().replace(' ', "_")
    ));
    let mut out = facts_text(r);
    if r.verdict == Some(Verdict::Ready) && !r.findings.is_empty() {
        out.push('\n');
        out.push_str(&findings_text(r));
    }
    tc.set_system_out(out);
    tc
}

/// The site's own suite and test case: it fails when a site finding blocks
/// the rollout, is skipped when site facts are missing, passes otherwise.
fn site_suite(site: &SiteRow) -> TestSuite {
    let status = match site.verdict {
        Some(Verdict::Ready) => TestCaseStatus::success(),
        Some(Verdict::NotReady) => failure(&site.findings, findings_lines(&site.findings)),
        Some(Verdict::Unknown) | None => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(if site.missing.is_empty() {
                "site not judged".to_string()
            } else {
                format!("site facts missing: {}", site.missing.join(", "))
            });
            if !site.findings.is_empty() {
                s.set_description(findings_lines(&site.findings));
            }
            s
        }
    };
    let mut tc = TestCase::new("Configuration Manager site", status);
    tc.set_classname("amtready.site");
    let mut out: Vec<String> = site
        .facts
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    if site.verdict == Some(Verdict::Ready) && !site.findings.is_empty() {
        out.push(findings_lines(&site.findings));
    }
    tc.set_system_out(out.join("\n"));
    let mut suite = TestSuite::new("Configuration Manager 2007 SP1 site");
    suite.add_property(Property::new(
        "verdict",
        site.verdict_label().replace(' ', "_"),
    ));
    suite.add_test_case(tc);
    suite
}

impl<W: Write> WriteCollected for JunitReport<W> {
    fn write(&mut self, collected: &Collected, summary: &Summary) -> io::Result<()> {
        let mut suite = TestSuite::new("Configuration Manager 2007 SP1 out-of-band readiness");
        suite.add_property(Property::new("hosts", summary.hosts.to_string()));
        suite.add_property(Property::new("answered", summary.answered.to_string()));
        suite.add_property(Property::new("amt_found", summary.amt_found.to_string()));
        if let Some(inventory) = &summary.inventory_amt {
            suite.add_property(Property::new(
                "inventory_says_amt",
                inventory.says_amt.to_string(),
            ));
            suite.add_property(Property::new(
                "inventory_amt_answered",
                inventory.answered.to_string(),
            ));
            suite.add_property(Property::new("dark", inventory.dark.to_string()));
        }
        for c in &summary.verdicts {
            suite.add_property(Property::new(
                format!("verdict.{}", c.name.replace(' ', "_")),
                c.count.to_string(),
            ));
        }
        suite.add_property(Property::new("partial", summary.partial.to_string()));
        suite.set_system_out(summary.text_lines(100, true).join("\n"));
        for r in &collected.rows {
            suite.add_test_case(test_case(r));
        }
        let mut report = Report::new(self.options.title.as_str());
        if let Some(site) = &collected.site {
            report.add_test_suite(site_suite(site));
        }
        if !collected.rows.is_empty() || collected.site.is_none() {
            report.add_test_suite(suite);
        }
        report
            .serialize(&mut self.out)
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.out.flush()
    }
}
