//! One scan's outcome: the exit code the README's truth table documents,
//! from every host (a resumed run's saved ones included) and the site.

use crate::facts::HostStatus;
use crate::report::{HostReport, SiteReport};
use crate::rules::{self, Severity, Verdict};

/// Exit codes of `scan`, as the README's exit-code section lists them.
pub mod exit {
    /// Every host was read with credentials and is ready.
    pub const READY: i32 = 0;
    /// At least one host, or the site, is not ready.
    pub const NOT_READY: i32 = 1;
    /// Nothing is not ready, but at least one verdict is unknown.
    pub const UNKNOWN: i32 = 2;
    /// At least one target could not be read, or no device was read at all.
    pub const UNREAD: i32 = 4;
}

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

/// Tallies host outcomes into the exit code.
#[derive(Debug, Clone)]
pub struct Tally {
    fail_on: FailOn,
    unread: usize,
    read: usize,
    warnings: bool,
    verdicts: Vec<Verdict>,
}

impl Tally {
    pub fn new(fail_on: FailOn) -> Self {
        Self {
            fail_on,
            unread: 0,
            read: 0,
            warnings: false,
            verdicts: Vec::new(),
        }
    }

    /// Devices read (status `ok`).
    pub fn read(&self) -> usize {
        self.read
    }

    /// The run's site counts as one more verdict: a blocking site finding
    /// makes the run not ready even when every host is.
    pub fn add_site(&mut self, site: &SiteReport) {
        if let Some(e) = &site.evaluation {
            self.verdicts.push(e.verdict);
            self.warnings |= e.findings.iter().any(|f| f.severity == Severity::Warning);
        }
    }

    pub fn add(&mut self, report: &HostReport) {
        // A silent address is no device, and something that is not AMT is
        // no AMT device. A named target that answered nothing is reported
        // unreachable: the user asked for it, so it is unread, not absent.
        match report.facts.status {
            Some(
                HostStatus::AuthFailed
                | HostStatus::Error
                | HostStatus::Unreachable
                | HostStatus::TlsUntrusted
                | HostStatus::NotTried,
            ) => self.unread += 1,
            Some(HostStatus::Ok) => self.read += 1,
            Some(HostStatus::NotAmt | HostStatus::Silent) | None => {}
        }
        if let Some(e) = &report.evaluation {
            self.verdicts.push(e.verdict);
            self.warnings |= e.findings.iter().any(|f| f.severity == Severity::Warning);
        }
    }

    /// An unread target outranks every verdict: its readiness is not known.
    /// So does a run that read no device at all: there is no evidence to
    /// call anything ready (a mistyped range, a mock that never started).
    pub fn exit_code(&self) -> i32 {
        if self.unread > 0 || self.read == 0 {
            return exit::UNREAD;
        }
        let code = rules::exit_code(self.verdicts.iter().copied());
        match self.fail_on {
            FailOn::Unread => exit::READY,
            FailOn::Error if code == exit::NOT_READY => code,
            FailOn::Error => exit::READY,
            FailOn::Unknown => code,
            FailOn::Warning if code == exit::READY && self.warnings => exit::NOT_READY,
            FailOn::Warning => code,
        }
    }
}
