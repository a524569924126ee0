//! `provisioning-root-hash`: a device that is not provisioned yet holds at
//! least one trusted root certificate hash that is present *and enabled* and
//! of a type its firmware can use (SHA-1 always; SHA-256 and SHA-384 only from
//! AMT 6.0). With `root_hashes` (a site's own policy file), one of those roots
//! must be among them. `amtready cert` checks a given chain the same way.

use serde::Deserialize;

use super::{provisioning_states, Check, Ctx, Outcome};
use crate::facts::{CertHash, ProvisioningState};
use crate::rules::candidates::decide;
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Hex digests of the provisioning certificate's root (any of them).
    #[serde(default)]
    pub root_hashes: Vec<String>,
    /// The first firmware major that accepts SHA-256 and SHA-384 hashes.
    pub sha2_from_major: u32,
}

/// Whether firmware of `major` can use a hash of `hash_type`.
pub(crate) fn usable_type(hash_type: Option<&str>, major: Option<u32>, sha2_from_major: u32) -> bool {
    match hash_type {
        Some("sha1") => true,
        Some("sha256") | Some("sha384") => major.is_some_and(|m| m >= sha2_from_major),
        _ => false,
    }
}

/// The device's enabled hashes that its firmware can use.
pub(crate) fn usable_enabled(
    hashes: &[CertHash],
    major: Option<u32>,
    sha2_from_major: u32,
) -> impl Iterator<Item = &CertHash> {
    hashes.iter().filter(move |h| {
        h.enabled == Some(true) && usable_type(h.hash_type.as_deref(), major, sha2_from_major)
    })
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtCertHashes, FactId::AmtProvisioningState, FactId::AmtVersion],
            triggers: &[FactId::AmtVersion, FactId::AmtCertHashes],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let Some(hashes) = cx.parsed.record.amt.as_ref().and_then(|a| a.cert_hashes.as_ref()) else {
            let (states, _) = provisioning_states(cx);
            if states == [ProvisioningState::Post] {
                return Outcome::pass();
            }
            return Outcome::missing(vec![FactId::AmtCertHashes.missing()]);
        };
        let major = cx.parsed.amt_version.value().and_then(|v| v.parts().first().copied());
        let usable: Vec<&CertHash> = usable_enabled(hashes, major, self.sha2_from_major).collect();
        let problem = if hashes.is_empty() {
            Some("AMT holds no trusted root certificate hash".to_string())
        } else if usable.is_empty() {
            let enabled = hashes.iter().filter(|h| h.enabled == Some(true)).count();
            Some(if enabled == 0 {
                format!("all {} trusted root certificate hashes are disabled", hashes.len())
            } else {
                format!(
                    "none of the {enabled} enabled trusted root hashes is of a type this firmware uses (SHA-256/384 only from AMT {}.0)",
                    self.sha2_from_major
                )
            })
        } else if !self.root_hashes.is_empty()
            && !usable.iter().any(|h| {
                h.hash_hex.as_deref().is_some_and(|have| {
                    self.root_hashes.iter().any(|want| normalise(want) == normalise(have))
                })
            })
        {
            Some("none of the enabled trusted root hashes is the provisioning certificate's root".to_string())
        } else {
            None
        };
        let Some(problem) = problem else {
            return Outcome::pass();
        };
        let (states, unknown) = provisioning_states(cx);
        Outcome::from_judged(decide(&states, &unknown, |state| {
            if *state == ProvisioningState::Post {
                Vec::new()
            } else {
                vec![cx.finding(problem.clone())]
            }
        }))
    }
}

/// Lower-case hex without separators (`AB:CD` and `abcd` match).
pub(crate) use crate::text::normalise_hex as normalise;

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    fn hash(kind: &str, enabled: bool) -> serde_json::Value {
        json!({"instance_id": "x", "hash_type": kind, "hash_hex": "ab", "enabled": enabled})
    }

    #[test]
    fn present_enabled_and_usable() {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        let run = |version: &str, state: &str, hashes: serde_json::Value| {
            run_in(policy, "PROV-ROOT-HASH", json!({"target": "t", "amt": {
                "version": version, "provisioning_state": state, "cert_hashes": hashes}}))
        };
        assert!(run("5.2.10", "pre", json!([hash("sha1", true)])).findings.is_empty());
        let disabled = run("5.2.10", "pre", json!([hash("sha1", false), hash("sha1", false)]));
        assert_eq!(rules(&disabled), ["PROV-ROOT-HASH"]);
        assert!(disabled.findings[0].message.contains("all 2"));
        assert_eq!(rules(&run("5.2.10", "pre", json!([]))), ["PROV-ROOT-HASH"]);
        // SHA-256 is of no use before AMT 6.0.
        assert_eq!(rules(&run("5.2.10", "pre", json!([hash("sha256", true)]))), ["PROV-ROOT-HASH"]);
        assert!(run("6.2.61", "pre", json!([hash("sha256", true)])).findings.is_empty());
        // A provisioned device no longer needs them.
        assert!(run("5.2.10", "post", json!([])).findings.is_empty());
        assert_eq!(
            run_in(policy, "PROV-ROOT-HASH", json!({"target": "t", "amt": {"version": "5.2.10", "provisioning_state": "pre"}})).missing,
            ["amt.cert_hashes"]
        );
    }
}
