//! What the engine says about one record: findings, a verdict, and the facts
//! it lacked.

use serde::{Deserialize, Serialize};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks readiness.
    Error,
    /// Supported once the admin acts (a hotfix, a service pack).
    Warning,
    /// Worth knowing; no action needed.
    Info,
}

impl Severity {
    /// Lower-case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// The readiness of one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No error finding and no needed fact missing.
    Ready,
    /// At least one error finding.
    NotReady,
    /// No error, but a fact some rule needed is missing (or unreadable).
    Unknown,
}

impl Verdict {
    /// Name as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::NotReady => "not_ready",
            Verdict::Unknown => "unknown",
        }
    }
}

/// One statement about a host, traceable to the seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id (`AMT-FW-VERSION`).
    pub rule: String,
    /// How much it weighs: an error blocks readiness, a warning or note does not.
    pub severity: Severity,
    /// One line naming the fact and the requirement.
    pub message: String,
    /// The section (and footnote) of the source document the requirement
    /// comes from: a seed heading for the seed's matrix.
    pub seed_section: String,
    /// The source document, when the rule names one (every built-in does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// What to do, where the seed says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The result of evaluating one facts record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The record's readiness, from its findings and the facts that were missing.
    pub verdict: Verdict,
    /// What the rules found, in rule order; empty when every checked rule passed.
    pub findings: Vec<Finding>,
    /// Facts a rule needed and did not have (`host.service_pack`), or could
    /// not read (`host.os (unrecognised)`).
    pub missing: Vec<String>,
    /// Rules none of whose facts were present, so they were not checked.
    pub not_checked: Vec<String>,
}

/// The process exit code for a set of verdicts: 0 when all are ready (or
/// there are none), 1 when any is not ready, 2 when the rest are unknown.
pub fn exit_code(verdicts: impl IntoIterator<Item = Verdict>) -> crate::ExitCode {
    let mut unknown = false;
    for verdict in verdicts {
        match verdict {
            Verdict::NotReady => return crate::ExitCode::NotReady,
            Verdict::Unknown => unknown = true,
            Verdict::Ready => {}
        }
    }
    if unknown {
        crate::ExitCode::Unknown
    } else {
        crate::ExitCode::Ready
    }
}
