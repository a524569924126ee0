//! Several policies judged together (`--policy` given more than once).
//!
//! Each policy's rules run against its own tables; the findings, missing facts
//! and unchecked rules are merged, and the verdict comes from the union. Rule
//! ids must be unique across the set, so a finding always names one rule.

use std::borrow::Cow;
use std::path::Path;

use super::engine::{site_record, site_scope};
use super::finding::Evaluation;
use super::policy::{Policy, PolicyError, RuleInfo, BUILTINS};
use crate::facts::{FactsRecord, SiteFacts};

/// The policies used when none is named: the seed's support matrix, the
/// provisioning-readiness rules, the provisioning path on the network (DNS,
/// which judges only records that carry DNS facts), the operational checks
/// (out of band with the PC off, which judge only records whose scan read
/// those classes) and the Intel advisories
/// by firmware build (a device that is provisionable but open to an
/// unauthenticated network exploit is not safe to manage out of band).
pub const DEFAULT_POLICIES: [&str; 5] = [
    "configmgr-2007-sp1",
    "configmgr-2007-sp1-provisioning",
    "configmgr-2007-sp1-provisioning-path",
    "configmgr-2007-sp1-operational",
    "intel-advisories",
];

/// One or more policies.
#[derive(Debug, Clone)]
pub struct PolicySet {
    policies: Vec<Cow<'static, Policy>>,
}

impl PolicySet {
    /// The built-in default ([`DEFAULT_POLICIES`]).
    pub fn default_set() -> PolicySet {
        let names: Vec<String> = DEFAULT_POLICIES.iter().map(|n| n.to_string()).collect();
        match PolicySet::from_args(&names) {
            Ok(set) => set,
            // Built-ins are checked by the unit tests; this is a build defect.
            Err(error) => panic!("built-in policies are invalid: {error}"),
        }
    }

    /// One policy alone.
    pub fn single(policy: Policy) -> PolicySet {
        PolicySet {
            policies: vec![Cow::Owned(policy)],
        }
    }

    /// From `--policy` values: each the name of a built-in or a file path.
    /// No value at all is the default set.
    pub fn from_args<S: AsRef<str>>(args: &[S]) -> Result<PolicySet, PolicyError> {
        if args.is_empty() {
            return Ok(PolicySet::default_set());
        }
        let mut policies: Vec<Cow<'static, Policy>> = Vec::new();
        for arg in args {
            let arg = arg.as_ref();
            let policy = match Policy::named(arg) {
                Some(policy) => Cow::Borrowed(policy),
                None => {
                    let path = Path::new(arg);
                    if !path.exists() {
                        let names: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
                        return Err(PolicyError::NotFound {
                            name: arg.to_string(),
                            builtins: names.join(", "),
                        });
                    }
                    Cow::Owned(Policy::load(path)?)
                }
            };
            if policies
                .iter()
                .any(|p| p.name == policy.name && std::ptr::eq(p.as_ref(), policy.as_ref()))
            {
                continue;
            }
            for rule in policy.rules() {
                if let Some(other) = policies.iter().find(|p| p.rules().any(|r| r.id == rule.id)) {
                    return Err(PolicyError::Invalid {
                        origin: arg.to_string(),
                        line: rule.line,
                        message: format!(
                            "rule id `{}` is also in policy `{}`; ids must be unique across the policies given",
                            rule.id, other.name
                        ),
                    });
                }
            }
            policies.push(policy);
        }
        Ok(PolicySet { policies })
    }

    /// The policies, in the order given.
    pub fn policies(&self) -> impl Iterator<Item = &Policy> {
        self.policies.iter().map(|p| p.as_ref())
    }

    /// Every rule with its policy.
    pub fn rules(&self) -> impl Iterator<Item = (&Policy, &RuleInfo)> {
        self.policies().flat_map(|p| p.rules().map(move |r| (p, r)))
    }

    /// The policies' names, joined with `+`.
    pub fn name(&self) -> String {
        self.policies()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("+")
    }

    /// Evaluates one record against every policy.
    pub fn evaluate(&self, record: &FactsRecord) -> Evaluation {
        let mut evaluation = Evaluation::empty();
        for policy in self.policies() {
            policy.evaluate_into(record, &mut evaluation, |_| true);
        }
        evaluation.conclude(record);
        evaluation
    }

    /// Evaluates the site side alone (see [`Policy::evaluate_site`]).
    pub fn evaluate_site(&self, site: &SiteFacts) -> Evaluation {
        let record = site_record(site);
        let mut evaluation = Evaluation::empty();
        for policy in self.policies() {
            policy.evaluate_into(&record, &mut evaluation, site_scope);
        }
        evaluation.conclude(&record);
        evaluation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_builtins_files_and_clashes() {
        let set = PolicySet::default_set();
        assert_eq!(
            set.name(),
            "configmgr-2007-sp1+configmgr-2007-sp1-provisioning+configmgr-2007-sp1-provisioning-path+configmgr-2007-sp1-operational+intel-advisories"
        );
        let set = PolicySet::from_args(&["intel-advisories", "configmgr-2007-sp1"]).unwrap();
        assert_eq!(set.policies().count(), 2);
        // The same built-in twice is taken once.
        let set = PolicySet::from_args(&["intel-advisories", "intel-advisories"]).unwrap();
        assert_eq!(set.policies().count(), 1);
        match PolicySet::from_args(&["no-such-policy"]) {
            Err(error @ PolicyError::NotFound { .. }) => {
                assert!(error.to_string().contains("built-ins"))
            }
            other => panic!("{other:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("copy.toml");
        std::fs::write(&copy, super::super::policy::BUILTIN_TOML).unwrap();
        let copy = copy.to_string_lossy().to_string();
        match PolicySet::from_args(&["configmgr-2007-sp1", copy.as_str()]) {
            Err(PolicyError::Invalid { message, line, .. }) => {
                assert!(message.contains("AMT-FW-VERSION"), "{message}");
                assert!(line > 1);
            }
            other => panic!("{other:?}"),
        }
        assert!(PolicySet::from_args(&[copy.as_str()]).is_ok());
    }
}
