//! The AMT provisioning certificate judged by rules: `amtready cert` and
//! `scan --provisioning-cert`.
//!
//! The CERT-* rules are rows of the embedded `provisioning-certificate.toml`,
//! one check each in `super::checks`, run on a `CertSubject` rather than
//! a facts record. The rules whose check reads no device fact judge the chain
//! alone, once per run ([`check_chain`]); the others judge it against each
//! device ([`check_device`]).

use std::sync::OnceLock;

use super::checks::{CertSubject, Ctx};
use super::finding::{Evaluation, Finding};
use super::parsed::Parsed;
use super::policy::{Policy, RuleInfo};
use crate::cert::{ChainFacts, DeviceView};
use crate::facts::FactsRecord;

/// The embedded certificate policy's name.
pub const NAME: &str = "provisioning-certificate";

/// The embedded certificate policy's text.
pub const TOML: &str = include_str!("provisioning-certificate.toml");

/// The certificate policy, parsed once. It is not among the built-ins that
/// `--policy` names and `amtready rules` lists: its rules judge a chain the
/// user gives, not a facts record.
pub fn policy() -> &'static Policy {
    static PARSED: OnceLock<Policy> = OnceLock::new();
    PARSED.get_or_init(|| match Policy::from_toml_str(TOML, NAME) {
        Ok(policy) => policy,
        // The embedded file is checked by the unit tests; a failure here is a
        // build defect, not bad input.
        Err(error) => panic!("built-in policy {NAME} is invalid: {error}"),
    })
}

/// Whether a rule judges the chain against a device (its check reads a
/// device fact) rather than the chain alone.
fn reads_the_device(rule: &RuleInfo) -> bool {
    !rule.facts().reads.is_empty()
}

/// Runs the certificate rules that `in_scope` keeps on `subject`.
fn run(subject: &CertSubject<'_>, in_scope: impl Fn(&RuleInfo) -> bool) -> Vec<Finding> {
    let policy = policy();
    // The checks read the chain and the device view, not a record.
    let record = FactsRecord::default();
    let parsed = Parsed::new(policy, &record);
    let mut out = Vec::new();
    for rule in policy.rules().filter(|rule| in_scope(rule)) {
        let cx = Ctx {
            policy,
            rule,
            parsed: &parsed,
            cert: Some(subject),
        };
        out.extend(rule.params.check().run(&cx).findings);
    }
    out
}

/// What the chain gets wrong on its own, judged at `now` (seconds since the
/// epoch): the leaf's usage, validity, CA key sizes.
pub fn check_chain(chain: &ChainFacts, now: i64) -> Vec<Finding> {
    let subject = CertSubject {
        chain,
        now,
        device: None,
        domain: None,
    };
    run(&subject, |rule| !reads_the_device(rule))
}

/// What the chain gets wrong for one device: its root among the device's
/// enabled hashes of a type its firmware uses, and the leaf's domain against
/// the device's DNS suffix (`domain` overrides the device's).
pub fn check_device(chain: &ChainFacts, device: &DeviceView, domain: Option<&str>) -> Vec<Finding> {
    let subject = CertSubject {
        chain,
        now: crate::cert::now(),
        device: Some(device),
        domain,
    };
    run(&subject, reads_the_device)
}

/// A provisioning certificate chain, read once, and what it gets wrong on its own.
#[derive(Debug)]
pub struct ProvisioningCert {
    /// The chain as read from the certificate file, leaf first.
    pub chain: ChainFacts,
    /// What the chain gets wrong whatever the device (expiry, key size, usage).
    pub chain_findings: Vec<Finding>,
}

impl ProvisioningCert {
    /// Judges the chain alone, now.
    pub fn new(chain: ChainFacts) -> ProvisioningCert {
        let chain_findings = check_chain(&chain, crate::cert::now());
        ProvisioningCert {
            chain,
            chain_findings,
        }
    }

    /// Adds the chain's findings and this device's to `evaluation`; a device
    /// whose hashes were not read lacks a fact.
    pub fn judge(&self, facts: &FactsRecord, evaluation: &mut Evaluation) {
        let mut found = self.chain_findings.clone();
        match DeviceView::from_record(facts) {
            Some(device) => found.extend(check_device(&self.chain, &device, None)),
            None => evaluation
                .missing
                .push("amt.cert_hashes (for --provisioning-cert)".to_string()),
        }
        for finding in found {
            if !evaluation.findings.contains(&finding) {
                evaluation.findings.push(finding);
            }
        }
        evaluation.conclude(facts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::CertInfo;
    use crate::rules::Severity;

    fn info(key_bits: Option<usize>, not_after: i64) -> CertInfo {
        CertInfo {
            subject: "CN=x".into(),
            issuer: "CN=x".into(),
            self_signed: false,
            is_ca: true,
            not_before: 0,
            not_after,
            key_bits,
            sha1: String::new(),
            sha256: String::new(),
            sha384: String::new(),
        }
    }

    #[test]
    fn chain_checks_expiry_warning_and_ca_key_size() {
        let now = 1_000_000;
        let chain = ChainFacts {
            certs: vec![
                info(Some(2048), now + 86_400),
                info(Some(3072), now + 10 * 86_400 * 100),
            ],
            leaf_server_auth: true,
            leaf_amt_oid: true,
            leaf_ous: Vec::new(),
            leaf_names: vec!["ps.corp.example.com".into()],
        };
        let found = check_chain(&chain, now);
        let rules: Vec<(&str, Severity)> = found
            .iter()
            .map(|f| (f.rule.as_str(), f.severity))
            .collect();
        assert_eq!(
            rules,
            [
                ("CERT-VALIDITY", Severity::Warning),
                ("CERT-CA-KEY-SIZE", Severity::Error)
            ]
        );
        assert_eq!(chain.leaf_domains(), ["corp.example.com"]);
    }

    #[test]
    fn every_rule_cites_its_document_and_section() {
        let policy = policy();
        assert_eq!(policy.rules().count(), 5);
        for rule in policy.rules() {
            assert!(
                rule.document.is_some() && !rule.seed_section.is_empty(),
                "{}",
                rule.id
            );
            assert!(rule.fix.is_some(), "{}", rule.id);
        }
    }
}
