//! The fleet summary: counts every report ends with. Built incrementally from
//! rows, so it costs a few counters however large the scan.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use super::row::{verdict_label, Row, SiteRow};
use super::text::{hanging, Grid};
use super::HostReport;
use crate::facts::AmtStatus;
use crate::rules::Verdict;

/// Distinct firmware versions tracked; a fleet has a few dozen, a hostile
/// input could have millions.
const MAX_VERSIONS: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct SummaryBuilder {
    hosts: usize,
    answered: usize,
    amt_found: usize,
    judged: usize,
    verdicts: [usize; 4],
    amt_status: HashMap<AmtStatus, usize>,
    firmware: HashMap<String, usize>,
    firmware_other: usize,
    /// Per blocking rule: the hosts it stops, and its fix when every one of
    /// them has the same (an advisory's fix names each host's own fixed
    /// build; the first host's would be wrong for the others, and arrival
    /// order would decide which).
    blocking: HashMap<Arc<str>, (usize, BlockingFix)>,
    not_checked: HashMap<String, usize>,
    site: Option<SiteSummary>,
    notices: Vec<String>,
    inventory_amt: InventoryAmtCounts,
}

/// The computers an inventory export says have AMT (`--host-facts` with
/// Configuration Manager's AMT columns): how many, how many answered, how
/// many stayed dark.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub(crate) struct InventoryAmtCounts {
    pub says_amt: usize,
    pub answered: usize,
    pub dark: usize,
}

impl InventoryAmtCounts {
    /// `inventory says AMT: 3; answered: 2; dark: 1`.
    pub(crate) fn line(&self) -> String {
        super::tally::inventory_amt_words(
            self.says_amt as u64,
            self.answered as u64,
            self.dark as u64,
        )
    }
}

/// Run-wide notices kept: each is a conclusion about the whole run (the
/// credentials are likely wrong), not one per host.
const MAX_NOTICES: usize = 10;

/// The run's site in the summary: its verdict and how many findings it has.
/// The findings themselves are in the site section, once.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct SiteSummary {
    /// `ready`, `not_ready`, `unknown`, or absent when rules did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Error findings: each blocks the whole rollout.
    pub blocking: usize,
    pub warnings: usize,
    /// Site facts a site rule needed and did not have.
    pub missing: usize,
}

impl SiteSummary {
    /// `not ready: 1 blocking finding, 2 warnings`.
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        if self.blocking > 0 {
            parts.push(plural(
                self.blocking,
                "blocking finding",
                "blocking findings",
            ));
        }
        if self.warnings > 0 {
            parts.push(plural(self.warnings, "warning", "warnings"));
        }
        if self.missing > 0 {
            parts.push(plural(self.missing, "fact missing", "facts missing"));
        }
        let verdict = verdict_label(self.verdict);
        if parts.is_empty() {
            verdict.to_string()
        } else {
            format!("{verdict}: {}", parts.join(", "))
        }
    }
}

/// One count with its label, in the order reports show them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Count {
    pub name: String,
    pub count: usize,
}

/// The fix of a blocking rule across the hosts it stops.
#[derive(Debug, Clone)]
enum BlockingFix {
    /// Every host so far has this one.
    Same(Option<Arc<str>>),
    /// Hosts differ (each names its own fixed build).
    Differs,
}

/// What the summary shows for a rule whose fix differs from host to host.
const FIX_DIFFERS: &str = "differs by host (each names its own fixed build): see the hosts";

/// A blocking rule and how many hosts it stops.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct BlockingCount {
    pub rule: String,
    pub hosts: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The finished summary (also the JSON `summary` object).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Hosts in the report.
    pub hosts: usize,
    /// Something answered at the address.
    pub answered: usize,
    /// Known to run Intel AMT.
    pub amt_found: usize,
    /// Judged by the rules.
    pub judged: usize,
    pub verdicts: Vec<Count>,
    /// By Configuration Manager's AMT status.
    pub amt_status: Vec<Count>,
    /// By firmware version (major.minor.micro, as Configuration Manager
    /// records `AMTFullVersion`), most common first.
    pub firmware: Vec<Count>,
    /// The most common blocking findings, most hosts first.
    pub top_blocking: Vec<BlockingCount>,
    /// Rules not checked for lack of facts, with how many hosts lacked them.
    pub not_checked: Vec<Count>,
    /// The run's site, judged once; absent when no site facts were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteSummary>,
    /// The whole rollout: `not_ready` when the site or any host is not
    /// ready, else `unknown` when either is unknown, else `ready`. Absent
    /// when nothing was judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Verdict>,
    /// The scan was interrupted: these are the hosts finished before it stopped.
    pub partial: bool,
    /// What the run concluded about itself, most likely cause first (`the
    /// credentials were rejected by the first 3 devices in a row: check them`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// The computers the inventory export says have AMT; absent when it
    /// named none (or none was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_amt: Option<InventoryAmtCounts>,
}

fn verdict_index(v: Option<Verdict>) -> usize {
    match v {
        Some(Verdict::Ready) => 0,
        Some(Verdict::NotReady) => 1,
        Some(Verdict::Unknown) => 2,
        None => 3,
    }
}

impl SummaryBuilder {
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn rollout(&self) -> Option<Verdict> {
        let site = self.site.as_ref().and_then(|s| s.verdict);
        if self.judged == 0 && site.is_none() {
            return None;
        }
        let [_, not_ready, unknown, _] = self.verdicts;
        Some(if site == Some(Verdict::NotReady) || not_ready > 0 {
            Verdict::NotReady
        } else if site == Some(Verdict::Unknown) || unknown > 0 {
            Verdict::Unknown
        } else {
            Verdict::Ready
        })
    }

    /// A run-wide notice, shown first (kept once, at most [`MAX_NOTICES`]).
    pub(crate) fn notice(&mut self, text: &str) {
        let text = super::text::clean(text).into_owned();
        if self.notices.len() < MAX_NOTICES && !self.notices.contains(&text) {
            self.notices.push(text);
        }
    }

    /// Counts the run's site.
    pub(crate) fn site(&mut self, row: &SiteRow) {
        self.site = Some(SiteSummary {
            verdict: row.verdict,
            blocking: row.blocking().count(),
            warnings: row
                .findings
                .iter()
                .filter(|f| f.severity == crate::rules::Severity::Warning)
                .count(),
            missing: row.missing.len(),
        });
    }

    pub(crate) fn add(&mut self, report: &HostReport, row: &Row) {
        self.hosts += 1;
        if let Some(answered) = super::tally::inventory_amt_seen(report) {
            self.inventory_amt.says_amt += 1;
            self.inventory_amt.answered += usize::from(answered);
            self.inventory_amt.dark += usize::from(!answered);
        }
        self.answered += usize::from(row.answered());
        self.amt_found += usize::from(row.amt_found());
        self.verdicts[verdict_index(row.verdict)] += 1;
        *self.amt_status.entry(row.amt_status).or_default() += 1;
        if row.amt_found() {
            // The record's version, grouped as Configuration Manager groups
            // it, and made safe to print as the row's version is.
            let key = report
                .facts
                .amt
                .as_ref()
                .and_then(|a| a.version.as_ref())
                .map(|v| super::text::clean(&v.group()).into_owned())
                .unwrap_or_else(|| "unknown".to_string());
            if let Some(n) = self.firmware.get_mut(&key) {
                *n += 1;
            } else if self.firmware.len() < MAX_VERSIONS {
                self.firmware.insert(key, 1);
            } else {
                self.firmware_other += 1;
            }
        }
        let mut seen: Vec<&Arc<str>> = Vec::new();
        for f in row.blocking() {
            if seen.contains(&&f.rule) {
                continue;
            }
            seen.push(&f.rule);
            let e = self
                .blocking
                .entry(f.rule.clone())
                .or_insert((0, BlockingFix::Same(f.fix.clone())));
            e.0 += 1;
            if matches!(&e.1, BlockingFix::Same(fix) if *fix != f.fix) {
                e.1 = BlockingFix::Differs;
            }
        }
        if let Some(eval) = &report.evaluation {
            self.judged += 1;
            for rule in &eval.not_checked {
                if let Some(n) = self.not_checked.get_mut(rule) {
                    *n += 1;
                } else if self.not_checked.len() < MAX_VERSIONS {
                    self.not_checked.insert(rule.clone(), 1);
                }
            }
        }
    }

    pub(crate) fn finish(&self, partial: bool) -> Summary {
        let verdict_names = [
            Some(Verdict::Ready),
            Some(Verdict::NotReady),
            Some(Verdict::Unknown),
            None,
        ];
        let verdicts = verdict_names
            .iter()
            .zip(self.verdicts)
            .filter(|(v, n)| v.is_some() || *n > 0)
            .map(|(v, n)| Count {
                name: verdict_label(*v).to_string(),
                count: n,
            })
            .collect();
        let amt_status = AmtStatus::BEST_FIRST
            .iter()
            .filter_map(|s| {
                self.amt_status.get(s).map(|&n| Count {
                    name: s.label().to_string(),
                    count: n,
                })
            })
            .collect();
        let mut firmware: Vec<Count> = self
            .firmware
            .iter()
            .map(|(k, &n)| Count {
                name: k.clone(),
                count: n,
            })
            .collect();
        firmware.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| version_cmp(&a.name, &b.name))
        });
        if self.firmware_other > 0 {
            firmware.push(Count {
                name: "other".to_string(),
                count: self.firmware_other,
            });
        }
        let mut top_blocking: Vec<BlockingCount> = self
            .blocking
            .iter()
            .map(|(rule, (n, fix))| BlockingCount {
                rule: rule.to_string(),
                hosts: *n,
                fix: match fix {
                    BlockingFix::Same(fix) => fix.as_deref().map(str::to_string),
                    BlockingFix::Differs => Some(FIX_DIFFERS.to_string()),
                },
            })
            .collect();
        top_blocking.sort_by(|a, b| b.hosts.cmp(&a.hosts).then_with(|| a.rule.cmp(&b.rule)));
        top_blocking.truncate(10);
        let mut not_checked: Vec<Count> = self
            .not_checked
            .iter()
            .map(|(k, &n)| Count {
                name: k.clone(),
                count: n,
            })
            .collect();
        not_checked.sort_by(|a, b| a.name.cmp(&b.name));
        Summary {
            hosts: self.hosts,
            answered: self.answered,
            amt_found: self.amt_found,
            judged: self.judged,
            verdicts,
            amt_status,
            firmware,
            top_blocking,
            not_checked,
            site: self.site.clone(),
            rollout: self.rollout(),
            partial,
            notices: self.notices.clone(),
            inventory_amt: (self.inventory_amt.says_amt > 0).then_some(self.inventory_amt),
        }
    }
}

/// Numeric part-by-part order for version-like labels; others by text.
pub(crate) fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| -> Option<Vec<u32>> { s.split('.').map(|p| p.parse().ok()).collect() };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

fn counts_line(counts: &[Count]) -> String {
    // A no-break space: a wrapped line never leaves a version without its
    // count ("4.2.1" at the end of one line, "1" on the next).
    counts
        .iter()
        .map(|c| format!("{}\u{a0}{}", c.name, c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Summary {
    /// The rollout's verdict in words, with what decides it.
    pub(crate) fn rollout_line(&self) -> Option<String> {
        let rollout = self.rollout?;
        let count = |name: &str| {
            self.verdicts
                .iter()
                .find(|c| c.name == name)
                .map_or(0, |c| c.count)
        };
        let site = self.site.as_ref().and_then(|s| s.verdict);
        let of = |n: usize| {
            format!(
                "{n} of {} host{}",
                self.judged,
                if self.judged == 1 { "" } else { "s" }
            )
        };
        let mut why: Vec<String> = Vec::new();
        let text = match rollout {
            Verdict::NotReady => {
                if site == Some(Verdict::NotReady) {
                    why.push("the site".to_string());
                }
                if count("not ready") > 0 {
                    why.push(of(count("not ready")));
                }
                format!("not ready: blocked by {}", why.join(" and "))
            }
            Verdict::Unknown => {
                if site == Some(Verdict::Unknown) {
                    why.push("the site".to_string());
                }
                if count("unknown") > 0 {
                    why.push(of(count("unknown")));
                }
                format!("unknown: facts missing for {}", why.join(" and "))
            }
            Verdict::Ready if self.site.is_some() => {
                format!("ready: the site and {}", of(count("ready")))
            }
            Verdict::Ready => format!("ready: {} (site not judged)", of(count("ready"))),
        };
        Some(text)
    }

    /// The summary as text lines for the table, each at most `width` columns.
    /// `verbose` lists every unchecked rule; otherwise they are listed only
    /// when the list fits on one line.
    pub(crate) fn text_lines(&self, width: usize, verbose: bool) -> Vec<String> {
        let mut out = Vec::new();
        out.push(String::new());
        let title = if self.partial {
            "Summary (PARTIAL: the scan was interrupted)"
        } else {
            "Summary"
        };
        out.push(title.to_string());
        let grid = Grid {
            widths: vec![18, width.saturating_sub(20).max(10)],
        };
        let mut kv = |k: &str, v: String| out.extend(grid.render(&[k.to_string(), v]));
        for notice in &self.notices {
            kv("Notice", notice.clone());
        }
        match &self.site {
            Some(site) => kv("Site", site.describe()),
            None if self.judged > 0 => kv(
                "Site",
                "not judged (give --site FILE for the console, service point, SQL Server and upgrade path)"
                    .to_string(),
            ),
            None => {}
        }
        if self.hosts == 0 && self.site.is_some() {
            // A site-only run (`amtready site`): no host lines to show.
            return out;
        }
        kv("Hosts scanned", self.hosts.to_string());
        kv("Answered", self.answered.to_string());
        kv("AMT found", self.amt_found.to_string());
        if let Some(inventory) = &self.inventory_amt {
            kv("Inventory", inventory.line());
        }
        kv("Verdicts", counts_line(&self.verdicts));
        if !self.amt_status.is_empty() {
            kv("AMT status", counts_line(&self.amt_status));
        }
        if !self.firmware.is_empty() {
            let shown: Vec<Count> = self.firmware.iter().take(12).cloned().collect();
            let mut line = counts_line(&shown);
            if self.firmware.len() > 12 {
                let rest: usize = self.firmware[12..].iter().map(|c| c.count).sum();
                line.push_str(&format!(
                    ", {} more versions\u{a0}{rest}",
                    self.firmware.len() - 12
                ));
            }
            kv("Firmware", line);
        }
        if let Some(line) = self.rollout_line() {
            kv("Rollout", line);
        }
        if !self.top_blocking.is_empty() {
            kv(
                "Top blocking",
                self.top_blocking
                    .iter()
                    .take(5)
                    .map(|b| {
                        let s = if b.hosts == 1 { "" } else { "s" };
                        format!("{} ({} host{s})", b.rule, b.hosts)
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if !self.not_checked.is_empty() {
            let list: Vec<String> = self
                .not_checked
                .iter()
                .map(|c| {
                    if c.count == self.judged {
                        c.name.clone()
                    } else {
                        format!("{} ({} of {})", c.name, c.count, self.judged)
                    }
                })
                .collect();
            let full = format!("Not checked (no facts for them): {}", list.join(", "));
            if verbose || super::text::width(&full) <= width {
                out.extend(hanging("", &full, width));
            } else {
                let line = format!(
                    "{} rules not checked for lack of facts (-v lists them)",
                    list.len()
                );
                out.extend(hanging("", &line, width));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{AmtFacts, FactsRecord, HostStatus};
    use crate::report::row::Projector;
    use crate::rules::{Evaluation, Finding, Severity};

    fn host(
        target: &str,
        version: Option<&str>,
        verdict: Verdict,
        blocking: &[&str],
    ) -> HostReport {
        HostReport {
            facts: FactsRecord {
                status: Some(if version.is_some() {
                    HostStatus::Ok
                } else {
                    HostStatus::Unreachable
                }),
                amt: version.map(|v| AmtFacts {
                    version: Some(v.into()),
                    ..AmtFacts::default()
                }),
                ..FactsRecord::new(target)
            },
            evaluation: Some(Evaluation {
                verdict,
                findings: blocking
                    .iter()
                    .map(|r| Finding {
                        rule: r.to_string(),
                        severity: Severity::Error,
                        message: "m".into(),
                        seed_section: "Out of Band Management".into(),
                        document: None,
                        fix: Some("f".into()),
                    })
                    .collect(),
                missing: vec![],
                not_checked: vec!["CLIENT-OS".into()],
            }),
        }
    }

    /// An advisory's fix names each host's own fixed build: the summary
    /// shows one fix only when every host has it, whatever their order.
    #[test]
    fn a_fix_that_differs_by_host_is_not_the_first_host_s() {
        let with_fix = |target: &str, fix: &str| {
            let mut r = host(
                target,
                Some("6.2.50"),
                Verdict::NotReady,
                &["INTEL-SA-00075"],
            );
            if let Some(e) = r.evaluation.as_mut() {
                e.findings[0].fix = Some(fix.into());
            }
            r
        };
        let fixes = |hosts: &[HostReport]| {
            let mut p = Projector::new();
            let mut b = SummaryBuilder::new();
            for r in hosts {
                let row = p.row(r);
                b.add(r, &row);
            }
            b.finish(true).top_blocking[0].fix.clone()
        };
        let (six, eight) = (
            with_fix("a", "to 6.2.61.3535"),
            with_fix("b", "to 8.1.71.3608"),
        );
        let one = fixes(&[six.clone(), eight.clone()]);
        assert_eq!(one.as_deref(), Some(FIX_DIFFERS));
        assert_eq!(fixes(&[eight, six.clone()]), one);
        let same = fixes(&[six.clone(), with_fix("c", "to 6.2.61.3535")]);
        assert_eq!(same.as_deref(), Some("to 6.2.61.3535"));
    }

    #[test]
    fn counts_group_and_rank() {
        let mut p = Projector::new();
        let mut b = SummaryBuilder::new();
        for r in [
            host("a", Some("5.2.10.1023"), Verdict::Ready, &[]),
            host("b", Some("5.2.10.1100"), Verdict::Ready, &[]),
            host(
                "c",
                Some("2.6.3"),
                Verdict::NotReady,
                &["AMT-FW-VERSION", "X"],
            ),
            host("d", Some("5.2.9"), Verdict::NotReady, &["AMT-FW-VERSION"]),
            host("e", None, Verdict::Unknown, &[]),
        ] {
            let row = p.row(&r);
            b.add(&r, &row);
        }
        let s = b.finish(true);
        assert_eq!((s.hosts, s.answered, s.amt_found, s.judged), (5, 4, 4, 5));
        let v: Vec<(&str, usize)> = s
            .verdicts
            .iter()
            .map(|c| (c.name.as_str(), c.count))
            .collect();
        assert_eq!(v, [("ready", 2), ("not ready", 2), ("unknown", 1)]);
        // Builds of one release count together, as Configuration Manager groups them.
        assert_eq!(
            s.firmware[0],
            Count {
                name: "5.2.10".into(),
                count: 2
            }
        );
        assert_eq!(s.top_blocking[0].rule, "AMT-FW-VERSION");
        assert_eq!(s.top_blocking[0].hosts, 2);
        assert_eq!(s.top_blocking[1].rule, "X");
        assert_eq!(
            s.not_checked,
            [Count {
                name: "CLIENT-OS".into(),
                count: 5
            }]
        );
        assert!(s.partial);
        let text = s.text_lines(60, false).join("\n");
        assert!(text.contains("PARTIAL") && text.contains("AMT-FW-VERSION (2 hosts), X (1 host)"));
        assert!(s
            .text_lines(60, false)
            .iter()
            .all(|l| crate::report::text::width(l) <= 60));
    }

    fn site(verdict: Verdict, blocking: usize) -> crate::report::SiteReport {
        crate::report::SiteReport {
            facts: crate::facts::SiteFacts {
                mode: Some("native".into()),
                ..Default::default()
            },
            evaluation: Some(Evaluation {
                verdict,
                findings: (0..blocking)
                    .map(|i| Finding {
                        rule: format!("SITE-{i}"),
                        severity: Severity::Error,
                        message: "m".into(),
                        seed_section: "s".into(),
                        document: None,
                        fix: None,
                    })
                    .collect(),
                missing: Vec::new(),
                not_checked: Vec::new(),
            }),
        }
    }

    #[test]
    fn the_rollout_is_as_ready_as_its_site_and_its_hosts() {
        let build = |site_verdict: Option<Verdict>, hosts: &[Verdict]| {
            let mut p = Projector::new();
            let mut b = SummaryBuilder::new();
            if let Some(v) = site_verdict {
                let blocking = usize::from(v == Verdict::NotReady);
                b.site(&p.site_row(&site(v, blocking)));
            }
            for (i, v) in hosts.iter().enumerate() {
                let r = host(&format!("10.0.0.{i}"), Some("5.2.10"), *v, &[]);
                let row = p.row(&r);
                b.add(&r, &row);
            }
            b.finish(false)
        };
        let s = build(Some(Verdict::NotReady), &[Verdict::Ready, Verdict::Ready]);
        assert_eq!(s.rollout, Some(Verdict::NotReady));
        assert_eq!(s.rollout_line().unwrap(), "not ready: blocked by the site");
        assert_eq!(
            s.site.as_ref().unwrap().describe(),
            "not ready: 1 blocking finding"
        );
        let s = build(Some(Verdict::Ready), &[Verdict::Unknown, Verdict::Ready]);
        assert_eq!(s.rollout, Some(Verdict::Unknown));
        assert_eq!(
            s.rollout_line().unwrap(),
            "unknown: facts missing for 1 of 2 hosts"
        );
        let s = build(Some(Verdict::Ready), &[Verdict::Ready]);
        assert_eq!(s.rollout_line().unwrap(), "ready: the site and 1 of 1 host");
        let s = build(None, &[Verdict::Ready]);
        assert_eq!(s.rollout, Some(Verdict::Ready));
        assert!(s.text_lines(100, false)[2].contains("not judged"));
        // A site alone: its line, and no host lines.
        let s = build(Some(Verdict::Ready), &[]);
        let lines = s.text_lines(100, false);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(s.rollout_line().unwrap().starts_with("ready"));
    }
}
