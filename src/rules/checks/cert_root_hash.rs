//! `cert-root-hash`: the provisioning chain's root is among the device's
//! *enabled* trusted root hashes, as a hash type its firmware can use (SHA-1
//! always; SHA-256 and SHA-384 only from AMT `sha2_from_major`.0). Without its
//! root in the chain nothing can be matched. The fix names what is wrong: the
//! hash disabled, present only as a type the firmware cannot use, or absent.

use serde::Deserialize;

use super::provisioning_root_hash::{normalise, usable_type};
use super::{no_certificate, Check, Ctx, Outcome};
use crate::cert::short_name;
use crate::facts::CertHash;
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The first firmware major that accepts SHA-256 and SHA-384 hashes.
    pub sha2_from_major: u32,
    /// The fix when the chain lacks its root.
    pub no_root_fix: String,
    /// The fix when the device has the root's hash but disabled.
    pub disabled_fix: String,
    /// The fix when the device has it only as a type its firmware cannot use.
    pub sha2_fix: String,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtCertHashes, FactId::AmtVersion],
            triggers: &[FactId::AmtCertHashes],
            always: true,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let Some(cert) = cx.cert else {
            return no_certificate();
        };
        let Some(device) = cert.device else {
            return Outcome::missing(vec![FactId::AmtCertHashes.missing()]);
        };
        let Some(root) = cert.chain.root() else {
            let mut finding = cx.finding(
                "the chain does not include its root certificate, so its hash cannot be matched"
                    .into(),
            );
            finding.fix = Some(self.no_root_fix.clone());
            return Outcome::findings(vec![finding]);
        };
        let matches = |h: &&CertHash| {
            let algorithm = h.hash_type.as_deref().unwrap_or("");
            match (root.hash(algorithm), h.hash_hex.as_deref()) {
                (Some(want), Some(have)) => normalise(have) == want,
                _ => false,
            }
        };
        let usable =
            |h: &&CertHash| usable_type(h.hash_type.as_deref(), device.major, self.sha2_from_major);
        let enabled_match = device
            .hashes
            .iter()
            .filter(matches)
            .filter(usable)
            .any(|h| h.enabled == Some(true));
        if enabled_match {
            return Outcome::pass();
        }
        let disabled = device
            .hashes
            .iter()
            .filter(matches)
            .find(|h| h.enabled != Some(true));
        let unusable = device.hashes.iter().filter(matches).find(|h| !usable(h));
        let root_name = short_name(&root.subject);
        let finding = if let Some(h) = disabled {
            let mut finding = cx.finding(format!(
                "the root `{root_name}` is on the device (`{}`) but disabled",
                h.instance_id
            ));
            finding.fix = Some(self.disabled_fix.clone());
            finding
        } else if unusable.is_some() {
            let mut finding = cx.finding(format!(
                "the root `{root_name}` is on the device only as a SHA-256/384 hash, which firmware before AMT {}.0 cannot use",
                self.sha2_from_major
            ));
            finding.fix = Some(self.sha2_fix.clone());
            finding
        } else {
            cx.finding(format!(
                "the root `{root_name}` (SHA-1 {}) is not among the device's enabled trusted root hashes",
                root.sha1
            ))
        };
        Outcome::findings(vec![finding])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{chain, rules, run_cert};
    use crate::cert::DeviceView;
    use crate::facts::CertHash;

    fn hash(kind: &str, hex: &str, enabled: bool) -> CertHash {
        CertHash {
            instance_id: "h1".into(),
            hash_type: Some(kind.into()),
            hash_hex: Some(hex.into()),
            enabled: Some(enabled),
            ..CertHash::default()
        }
    }

    #[test]
    fn enabled_and_usable_or_the_fix_says_why_not() {
        let c = chain();
        let device = |hashes: Vec<CertHash>, major: u32| DeviceView {
            hashes,
            major: Some(major),
            suffix: None,
        };
        let run = |d: &DeviceView| run_cert("CERT-ROOT-HASH", &c, Some(d));
        assert!(run(&device(vec![hash("sha1", "AA:AA", true)], 5))
            .findings
            .is_empty());
        let disabled = run(&device(vec![hash("sha1", "aaaa", false)], 5));
        assert_eq!(rules(&disabled), ["CERT-ROOT-HASH"]);
        assert!(disabled.findings[0].message.ends_with("but disabled"));
        assert!(disabled.findings[0].fix.as_deref().unwrap().contains("enable"));
        let sha2 = run(&device(vec![hash("sha256", "bbbb", true)], 5));
        assert!(sha2.findings[0].message.contains("before AMT 6.0"));
        assert!(run(&device(vec![hash("sha256", "bbbb", true)], 6))
            .findings
            .is_empty());
        let absent = run(&device(Vec::new(), 11));
        assert!(absent.findings[0].message.contains("(SHA-1 aaaa)"));
        let mut no_root = chain();
        no_root.certs.truncate(1);
        let out = run_cert("CERT-ROOT-HASH", &no_root, Some(&device(Vec::new(), 11)));
        assert!(out.findings[0].message.contains("does not include its root"));
    }
}
