//! The driver: a facts record in, findings and a verdict out.
//!
//! The record is parsed once per policy ([`Parsed`]); each rule whose facts
//! are present runs its check ([`super::checks`]); findings and missing facts
//! are merged without duplicates, and the verdict follows from them. Last, a
//! record whose AMT facts were not read with credentials is never `ready`
//! ([`unauthenticated`]), whatever the policies say.

use super::candidates::{has_error, push_unique};
use super::checks::{Ctx, Outcome};
use super::fact::{FactGroup, FactId};
use super::finding::{Evaluation, Verdict};
use super::parsed::Parsed;
use super::policy::{Policy, RuleInfo, RuleKind};
use crate::facts::{FactSource, FactsRecord, HostStatus, SiteFacts};

impl Policy {
    /// Evaluates one facts record against every rule of this policy.
    pub fn evaluate(&self, record: &FactsRecord) -> Evaluation {
        let mut evaluation = Evaluation::empty();
        self.evaluate_into(record, &mut evaluation, |_| true);
        evaluation.conclude(record);
        evaluation
    }

    /// Evaluates the site side alone: the rules that read only `site.*`
    /// facts (plus OS recognition). The AMT and host rules are out of scope
    /// here, so they are neither run nor listed as not checked.
    pub fn evaluate_site(&self, site: &SiteFacts) -> Evaluation {
        let record = site_record(site);
        let mut evaluation = Evaluation::empty();
        self.evaluate_into(&record, &mut evaluation, site_scope);
        evaluation.conclude(&record);
        evaluation
    }

    /// Runs the rules in scope and adds what they found to `evaluation`.
    pub(crate) fn evaluate_into(
        &self,
        record: &FactsRecord,
        evaluation: &mut Evaluation,
        in_scope: impl Fn(&RuleInfo) -> bool,
    ) {
        let parsed = Parsed::new(self, record);
        for rule in self.rules().filter(|rule| in_scope(rule)) {
            let check = rule.params.check();
            let uses = check.facts();
            // A host fact the user asked a source for and did not get, or
            // that sources disagree on, is missing: never a rule quietly
            // left unchecked, so never a silent `ready`.
            let mut gap = false;
            for fact in uses.reads {
                if let Some(why) = host_gap(record, *fact) {
                    push_unique(&mut evaluation.missing, why);
                    gap = true;
                }
            }
            if !uses.applies(record) {
                if !gap {
                    evaluation.not_checked.push(rule.id.clone());
                }
                continue;
            }
            let cx = Ctx {
                policy: self,
                rule,
                parsed: &parsed,
                cert: None,
            };
            let Outcome { findings, missing } = check.run(&cx);
            for finding in findings {
                push_unique(&mut evaluation.findings, finding);
            }
            for fact in missing {
                push_unique(&mut evaluation.missing, fact);
            }
        }
    }
}

/// The host facts a host-facts source is asked for: WinRM reads them, and an
/// inventory export's OS and service columns give them. A fact outside this
/// list (the admin's in-band intent, hotfixes) is not expected from them.
const SOURCED_HOST_FACTS: &[FactId] = &[
    FactId::HostOs,
    FactId::HostArchitecture,
    FactId::HostRrasRunning,
    FactId::HostIcsEnabled,
];

/// Why `fact` is missing when it should not be: the sources that gave it
/// disagree (`host.conflicts`), or the user asked for host facts and this
/// host's read failed (`host.unread`). `None` when nothing says so. The
/// entry stays short: the reason itself is the host's own note, which every
/// format prints beside the missing facts.
pub(crate) fn host_gap(record: &FactsRecord, fact: FactId) -> Option<String> {
    if fact.group() != FactGroup::Host || fact.present(record) {
        return None;
    }
    let host = record.host.as_ref()?;
    let key = fact.name().strip_prefix("host.")?;
    if crate::hostfacts::is_disputed(&host.conflicts, key) {
        return Some(fact.missing_because("sources disagree"));
    }
    if SOURCED_HOST_FACTS.contains(&fact) && !host.unread.is_empty() {
        return Some(fact.missing_because("asked for, not read"));
    }
    None
}

/// A record holding only site facts.
pub(crate) fn site_record(site: &SiteFacts) -> FactsRecord {
    FactsRecord {
        site: Some(site.clone()),
        ..FactsRecord::default()
    }
}

/// The rules `amtready site` runs.
pub(crate) fn site_scope(rule: &RuleInfo) -> bool {
    rule.kind() == RuleKind::OsRecognised || rule.facts().reads.iter().all(|fact| fact.is_site())
}

/// Why this record's AMT facts cannot carry a verdict, if they cannot: the
/// login failed, or the version came only from an unauthenticated source (the
/// `Server` banner, which non-Intel firmware has been seen to send, or the
/// RMCP pong). A facts file's statements (no read status, no source, or
/// source `file`) are the admin's own and count as read.
pub(crate) fn unauthenticated(record: &FactsRecord) -> Option<String> {
    let weak_source = match record.amt.as_ref().and_then(|a| a.source) {
        Some(FactSource::ServerHeader) => Some("Server header"),
        Some(FactSource::Rmcp) => Some("RMCP presence pong"),
        _ => None,
    };
    match record.status {
        Some(HostStatus::AuthFailed) => Some(
            "amt (no authenticated read: the device refused the credentials, so no provisioning fact was read)"
                .to_string(),
        ),
        Some(HostStatus::NotTried) => Some(
            "amt (no authenticated read: the credentials were not offered after earlier devices in a row rejected them; check the credentials)"
                .to_string(),
        ),
        Some(HostStatus::Ok) | None => weak_source.map(|source| {
            format!(
                "amt (no authenticated read: the version came only from the unauthenticated {source}; scan with credentials)"
            )
        }),
        Some(other) => Some(format!(
            "amt (no authenticated read: the device's status is {other})"
        )),
    }
}

impl Evaluation {
    /// Nothing found yet.
    pub(crate) fn empty() -> Evaluation {
        Evaluation {
            verdict: Verdict::Ready,
            findings: Vec::new(),
            missing: Vec::new(),
            not_checked: Vec::new(),
        }
    }

    /// Applies the authenticated-facts gate and sets the verdict.
    pub(crate) fn conclude(&mut self, record: &FactsRecord) {
        if let Some(why) = unauthenticated(record) {
            push_unique(&mut self.missing, why);
        }
        self.verdict = if has_error(&self.findings) {
            Verdict::NotReady
        } else if !self.missing.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Ready
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(value: serde_json::Value) -> FactsRecord {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn banner_or_failed_login_is_never_ready() {
        let policy = Policy::builtin();
        let banner = record(json!({"target": "t", "status": "ok",
            "amt": {"version": "5.2.10", "source": "server_header"}}));
        let e = policy.evaluate(&banner);
        assert_eq!(e.verdict, Verdict::Unknown);
        assert!(
            e.missing.iter().any(|m| m.contains("Server header")),
            "{e:?}"
        );
        let failed = record(json!({"target": "t", "status": "auth_failed",
            "amt": {"version": "5.2.10", "source": "server_header"}}));
        let e = policy.evaluate(&failed);
        assert_eq!(e.verdict, Verdict::Unknown);
        assert!(
            e.missing
                .iter()
                .any(|m| m.contains("refused the credentials")),
            "{e:?}"
        );
        // Evidence of a failure still counts.
        let old = record(json!({"target": "t", "status": "auth_failed",
            "amt": {"version": "2.6", "source": "server_header"}}));
        assert_eq!(policy.evaluate(&old).verdict, Verdict::NotReady);
        // A read with credentials, or a facts file, is judged on its facts.
        let read = record(json!({"target": "t", "status": "ok",
            "amt": {"version": "5.2.10", "source": "wsman"}}));
        assert_eq!(unauthenticated(&read), None);
        assert_eq!(unauthenticated(&record(json!({"target": "t"}))), None);
    }
}
