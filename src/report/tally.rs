//! One scan's outcome, from its events: the counts the progress bar and the
//! summary show, and the exit code the README's truth table documents, from
//! every host (a resumed run's saved ones included) and the site.

use super::{Event, HostReport, SiteReport};
use crate::facts::HostStatus;
use crate::rules::{self, Severity, Verdict};
use crate::ExitCode;

/// `--fail-on`: the least serious outcome that still fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum FailOn {
    /// Only targets that could not be read, or a run that read none (exit 4).
    Unread,
    /// Also hosts that are not ready (exit 1).
    Error,
    /// Also unknown verdicts (exit 2).
    Unknown,
    /// Also ready hosts with a warning finding (exit 1).
    Warning,
}

/// Hosts counted by what was learnt of them: the progress bar's and the
/// end-of-run summary's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Hosts finished (silent addresses included).
    pub hosts: u64,
    /// Devices handed to a read slot.
    pub started: u64,
    /// Hosts known to run Intel AMT.
    pub amt_found: u64,
    /// Hosts judged ready (the site's verdict is not counted here).
    pub ready: u64,
    /// Hosts judged not ready.
    pub not_ready: u64,
    /// Hosts whose verdict is unknown: a fact a rule needs was not read.
    pub unknown: u64,
    /// Hosts read in full (status `ok`). Every host counts under one status;
    /// a record without one counts as `error`.
    pub ok: u64,
    /// Hosts whose read was refused, reset or timed out (status `unreachable`).
    pub unreachable: u64,
    /// Hosts that rejected the credentials (status `auth_failed`).
    pub auth_failed: u64,
    /// Hosts where something answered that is not Intel AMT (status `not_amt`).
    pub not_amt: u64,
    /// Hosts whose answers could not be used, and records without a status.
    pub error: u64,
    /// Addresses where nothing answered the sweep (status `silent`, listed with `--all`).
    pub silent: u64,
    /// TLS endpoints whose certificate the policy did not trust (status `tls_untrusted`).
    pub tls_untrusted: u64,
    /// AMT devices never offered the credentials after `--auth-fail-limit` tripped.
    pub not_tried: u64,
    /// Computers the inventory says have AMT whose swept addresses all stayed
    /// silent (status `dark`, listed without `--all`).
    pub dark: u64,
    /// Hosts the inventory export says have AMT (`--host-facts` with the
    /// `SMS_AMTObject` or `AMTStatus` columns), answered or dark.
    pub inventory_amt: u64,
    /// Of those, the ones where something answered at the address.
    pub inventory_amt_answered: u64,
}

/// Whether `report` is a computer the inventory export says has AMT:
/// `Some(true)` when something answered at its address, `Some(false)` when
/// it is dark. A named address that stayed silent while its computer
/// answered at another is neither: the computer is counted where it
/// answered.
pub(crate) fn inventory_amt_seen(report: &HostReport) -> Option<bool> {
    let status = report.facts.status;
    if status == Some(HostStatus::Dark) {
        return Some(false);
    }
    let says_amt = report
        .facts
        .inventory_amt
        .as_ref()
        .is_some_and(crate::facts::InventoryAmt::says_amt);
    let answered = !matches!(status, Some(HostStatus::Silent | HostStatus::Unreachable))
        || report.facts.amt.is_some();
    (says_amt && answered).then_some(true)
}

/// `inventory says AMT: 12; answered: 9; dark: 3`: the summary's words for
/// the computers an inventory export vouches for.
pub(crate) fn inventory_amt_words(says: u64, answered: u64, dark: u64) -> String {
    format!("inventory says AMT: {says}; answered: {answered}; dark: {dark}")
}

impl Counts {
    /// The inventory's AMT computers in words, when the run had any.
    pub fn inventory_amt_line(&self) -> Option<String> {
        (self.inventory_amt > 0).then(|| {
            inventory_amt_words(self.inventory_amt, self.inventory_amt_answered, self.dark)
        })
    }

    /// Hosts reported, silent addresses aside.
    pub fn reported(&self) -> u64 {
        self.ok
            + self.unreachable
            + self.auth_failed
            + self.not_tried
            + self.error
            + self.not_amt
            + self.tls_untrusted
            + self.dark
    }

    /// What was counted after `earlier`, a copy of these counts taken then.
    fn since(&self, earlier: &Counts) -> Counts {
        let d = |now: u64, then: u64| now.saturating_sub(then);
        Counts {
            hosts: d(self.hosts, earlier.hosts),
            started: d(self.started, earlier.started),
            amt_found: d(self.amt_found, earlier.amt_found),
            ready: d(self.ready, earlier.ready),
            not_ready: d(self.not_ready, earlier.not_ready),
            unknown: d(self.unknown, earlier.unknown),
            ok: d(self.ok, earlier.ok),
            unreachable: d(self.unreachable, earlier.unreachable),
            auth_failed: d(self.auth_failed, earlier.auth_failed),
            not_amt: d(self.not_amt, earlier.not_amt),
            error: d(self.error, earlier.error),
            silent: d(self.silent, earlier.silent),
            tls_untrusted: d(self.tls_untrusted, earlier.tls_untrusted),
            not_tried: d(self.not_tried, earlier.not_tried),
            dark: d(self.dark, earlier.dark),
            inventory_amt: d(self.inventory_amt, earlier.inventory_amt),
            inventory_amt_answered: d(self.inventory_amt_answered, earlier.inventory_amt_answered),
        }
    }

    fn count(&mut self, report: &HostReport) {
        let status = report.facts.status;
        self.hosts += 1;
        *match status {
            Some(HostStatus::Ok) => &mut self.ok,
            Some(HostStatus::Unreachable) => &mut self.unreachable,
            Some(HostStatus::AuthFailed) => &mut self.auth_failed,
            Some(HostStatus::NotAmt) => &mut self.not_amt,
            Some(HostStatus::Error) | None => &mut self.error,
            Some(HostStatus::Silent) => &mut self.silent,
            Some(HostStatus::TlsUntrusted) => &mut self.tls_untrusted,
            Some(HostStatus::NotTried) => &mut self.not_tried,
            Some(HostStatus::Dark) => &mut self.dark,
        } += 1;
        match inventory_amt_seen(report) {
            Some(true) => {
                self.inventory_amt += 1;
                self.inventory_amt_answered += 1;
            }
            Some(false) => self.inventory_amt += 1,
            None => {}
        }
        let version_read = report
            .facts
            .amt
            .as_ref()
            .is_some_and(|a| a.version.is_some());
        if version_read || status.is_some_and(HostStatus::proves_amt) {
            self.amt_found += 1;
        }
        match report.evaluation.as_ref().map(|e| e.verdict) {
            Some(Verdict::Ready) => self.ready += 1,
            Some(Verdict::NotReady) => self.not_ready += 1,
            Some(Verdict::Unknown) => self.unknown += 1,
            None => {}
        }
    }
}

/// The one tally of a run, fed by its [`Event`]s (a resumed run's saved
/// hosts and the site included): the progress bar, the summary and the exit
/// code all read it, so they cannot disagree.
#[derive(Debug, Clone)]
pub struct Tally {
    fail_on: FailOn,
    unread: usize,
    read: usize,
    warnings: bool,
    site: Option<Verdict>,
    counts: Counts,
    /// The counts when this run's own reads began (after a resumed file's
    /// hosts): the progress bar shows this run's work.
    live_from: Counts,
}

impl Default for Tally {
    /// The default `--fail-on` (unknown).
    fn default() -> Self {
        Self::new(FailOn::Unknown)
    }
}

impl Tally {
    /// A tally that fails the run at `fail_on` (the `--fail-on` value) and above.
    pub fn new(fail_on: FailOn) -> Self {
        Self {
            fail_on,
            unread: 0,
            read: 0,
            warnings: false,
            site: None,
            counts: Counts::default(),
            live_from: Counts::default(),
        }
    }

    /// Devices read (status `ok`).
    pub fn read(&self) -> usize {
        self.read
    }

    /// Every host counted so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// What was counted since [`Tally::mark_live`].
    pub fn live(&self) -> Counts {
        self.counts.since(&self.live_from)
    }

    /// This run's own reads begin: what was counted so far came from a file.
    pub fn mark_live(&mut self) {
        self.live_from = self.counts;
    }

    /// Counts one event of a scan or of a replayed one.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::SiteJudged(site) => self.add_site(site),
            Event::HostStarted => self.counts.started += 1,
            Event::HostJudged(report) => self.add(report),
            Event::AuthLimitReached { .. } | Event::Finished => {}
        }
    }

    /// The run's site counts as one more verdict: a blocking site finding
    /// makes the run not ready even when every host is.
    pub fn add_site(&mut self, site: &SiteReport) {
        if let Some(e) = &site.evaluation {
            self.site = Some(e.verdict);
            self.warnings |= e.findings.iter().any(|f| f.severity == Severity::Warning);
        }
    }

    /// Counts one finished host.
    pub fn add(&mut self, report: &HostReport) {
        self.counts.count(report);
        // A silent address is no device, and something that is not AMT is
        // no AMT device. A named target that answered nothing is reported
        // unreachable: the user asked for it, so it is unread, not absent.
        // A dark computer is an AMT machine the inventory vouches for that
        // could not be read: unread, whatever --fail-on says.
        match report.facts.status {
            Some(
                HostStatus::AuthFailed
                | HostStatus::Error
                | HostStatus::Unreachable
                | HostStatus::TlsUntrusted
                | HostStatus::NotTried
                | HostStatus::Dark,
            ) => self.unread += 1,
            Some(HostStatus::Ok) => self.read += 1,
            Some(HostStatus::NotAmt | HostStatus::Silent) | None => {}
        }
        if let Some(e) = &report.evaluation {
            self.warnings |= e.findings.iter().any(|f| f.severity == Severity::Warning);
        }
    }

    /// The verdicts alone, hosts' and site's: 1 when any is not ready, else
    /// 2 when any is unknown, else 0 (what `report` and `validate` exit with).
    pub fn verdict_code(&self) -> ExitCode {
        let c = &self.counts;
        let hosts = [
            (c.not_ready > 0).then_some(Verdict::NotReady),
            // A dark computer has no verdict, and its readiness is not known.
            (c.unknown > 0 || c.dark > 0).then_some(Verdict::Unknown),
        ];
        rules::exit_code(hosts.into_iter().flatten().chain(self.site))
    }

    /// An unread target outranks every verdict: its readiness is not known.
    /// So does a run that read no device at all: there is no evidence to
    /// call anything ready (a mistyped range, a mock that never started).
    pub fn exit_code(&self) -> ExitCode {
        if self.unread > 0 || self.read == 0 {
            return ExitCode::Unread;
        }
        let code = self.verdict_code();
        match self.fail_on {
            FailOn::Unread => ExitCode::Ready,
            FailOn::Error if code == ExitCode::NotReady => code,
            FailOn::Error => ExitCode::Ready,
            FailOn::Unknown => code,
            FailOn::Warning if code == ExitCode::Ready && self.warnings => ExitCode::NotReady,
            FailOn::Warning => code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{FactsRecord, SiteFacts};
    use crate::rules::Evaluation;

    fn host(status: HostStatus, verdict: Option<Verdict>) -> Event {
        Event::HostJudged(Box::new(HostReport {
            facts: FactsRecord {
                status: Some(status),
                ..FactsRecord::new("10.0.0.5")
            },
            evaluation: verdict.map(|verdict| Evaluation {
                verdict,
                findings: Vec::new(),
                missing: Vec::new(),
                not_checked: Vec::new(),
            }),
        }))
    }

    #[test]
    fn one_tally_gives_the_counts_and_the_exit_code() {
        let mut tally = Tally::default();
        tally.event(&host(HostStatus::Ok, Some(Verdict::Ready)));
        tally.event(&host(HostStatus::Silent, None));
        assert_eq!(tally.exit_code(), ExitCode::Ready);
        tally.mark_live();
        tally.event(&Event::HostStarted);
        tally.event(&host(HostStatus::AuthFailed, Some(Verdict::Unknown)));
        tally.event(&Event::Finished);
        let all = tally.counts();
        assert_eq!((all.hosts, all.reported(), all.silent), (3, 2, 1));
        assert_eq!((all.ok, all.auth_failed, all.amt_found), (1, 1, 2));
        // The bar shows this run's work, not the resumed file's.
        let live = tally.live();
        assert_eq!(
            (live.hosts, live.started, live.unknown, live.ready),
            (1, 1, 1, 0)
        );
        assert_eq!(tally.exit_code(), ExitCode::Unread);
        assert_eq!(tally.verdict_code(), ExitCode::Unknown);
    }

    #[test]
    fn a_dark_computer_is_unread_under_every_fail_on_and_counted_apart() {
        use crate::facts::InventoryAmt;
        let says_amt = InventoryAmt {
            version: Some("5.2.10".into()),
            ..InventoryAmt::default()
        };
        let with_inventory = |status: HostStatus, verdict: Option<Verdict>| {
            let Event::HostJudged(mut report) = host(status, verdict) else {
                unreachable!()
            };
            report.facts.inventory_amt = Some(says_amt.clone());
            Event::HostJudged(report)
        };
        for fail_on in [
            FailOn::Unread,
            FailOn::Error,
            FailOn::Unknown,
            FailOn::Warning,
        ] {
            let mut tally = Tally::new(fail_on);
            tally.event(&with_inventory(HostStatus::Ok, Some(Verdict::Ready)));
            assert_eq!(tally.exit_code(), ExitCode::Ready);
            tally.event(&with_inventory(HostStatus::Dark, None));
            // Silent addresses of computers the inventory does not vouch
            // for count nowhere in its line.
            tally.event(&host(HostStatus::Silent, None));
            assert_eq!(tally.exit_code(), ExitCode::Unread, "{fail_on:?}");
            assert_eq!(tally.verdict_code(), ExitCode::Unknown);
            let c = tally.counts();
            assert_eq!((c.dark, c.silent, c.reported()), (1, 1, 2));
            assert_eq!(
                c.inventory_amt_line().as_deref(),
                Some("inventory says AMT: 2; answered: 1; dark: 1")
            );
        }
        assert_eq!(Tally::default().counts().inventory_amt_line(), None);
    }

    #[test]
    fn a_site_that_is_not_ready_fails_a_ready_fleet() {
        let mut tally = Tally::new(FailOn::Error);
        tally.event(&host(HostStatus::Ok, Some(Verdict::Ready)));
        assert_eq!(tally.exit_code(), ExitCode::Ready);
        tally.event(&Event::SiteJudged(Box::new(SiteReport {
            facts: SiteFacts::default(),
            evaluation: Some(Evaluation {
                verdict: Verdict::NotReady,
                findings: Vec::new(),
                missing: Vec::new(),
                not_checked: Vec::new(),
            }),
        })));
        assert_eq!(tally.exit_code(), ExitCode::NotReady);
        assert_eq!(tally.counts().hosts, 1, "the site is no host");
    }
}
