//! The driver: a facts record in, findings and a verdict out.
//!
//! The record is parsed once ([`Parsed`]); each rule whose facts are present
//! runs its check ([`super::checks`]); findings and missing facts are merged
//! without duplicates, and the verdict follows from them.

use super::candidates::{has_error, push_unique};
use super::checks::{Ctx, Outcome};
use super::finding::{Evaluation, Verdict};
use super::parsed::Parsed;
use super::policy::{Policy, RuleInfo};
use crate::facts::{FactsRecord, SiteFacts};

impl Policy {
    /// Evaluates one facts record against every rule of this policy.
    pub fn evaluate(&self, record: &FactsRecord) -> Evaluation {
        self.evaluate_rules(record, |_| true)
    }

    /// Evaluates the site side alone: the rules that read only `site.*`
    /// facts (plus OS recognition). The AMT and host rules are out of scope
    /// here, so they are neither run nor listed as not checked.
    pub fn evaluate_site(&self, site: &SiteFacts) -> Evaluation {
        let record = FactsRecord {
            site: Some(site.clone()),
            ..FactsRecord::default()
        };
        self.evaluate_rules(&record, super::judge::site_scope)
    }

    pub(crate) fn evaluate_rules(
        &self,
        record: &FactsRecord,
        in_scope: impl Fn(&RuleInfo) -> bool,
    ) -> Evaluation {
        let parsed = Parsed::new(self, record);
        let mut evaluation = Evaluation {
            verdict: Verdict::Ready,
            findings: Vec::new(),
            missing: Vec::new(),
            not_checked: Vec::new(),
        };
        for rule in self.rules().filter(|rule| in_scope(rule)) {
            let check = rule.params.check();
            if !check.facts().applies(record) {
                evaluation.not_checked.push(rule.id.clone());
                continue;
            }
            let cx = Ctx {
                policy: self,
                rule,
                parsed: &parsed,
            };
            let Outcome { findings, missing } = check.run(&cx);
            for finding in findings {
                push_unique(&mut evaluation.findings, finding);
            }
            for fact in missing {
                push_unique(&mut evaluation.missing, fact);
            }
        }
        evaluation.verdict = if has_error(&evaluation.findings) {
            Verdict::NotReady
        } else if !evaluation.missing.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Ready
        };
        evaluation
    }
}
