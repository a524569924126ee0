//! One scan's outcome: the exit code the README's truth table documents,
//! from every host (a resumed run's saved ones included) and the site.

use crate::facts::HostStatus;
use crate::report::{HostReport, SiteReport};
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
    pub fn exit_code(&self) -> ExitCode {
        if self.unread > 0 || self.read == 0 {
            return ExitCode::Unread;
        }
        let code = rules::exit_code(self.verdicts.iter().copied());
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
