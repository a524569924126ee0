//! `tls-ca-key-size`: no CA certificate in the chain AMT sends has a key
//! larger than AMT can use (2048 bits, per Configuration Manager's
//! prerequisites). Only the chain the device sent can be judged: a CA it did
//! not send is not seen.

use serde::Deserialize;

use super::{clip, Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The largest CA key AMT supports, in bits.
    #[serde(default = "default_max_bits")]
    pub max_bits: u32,
}

fn default_max_bits() -> u32 {
    2048
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::AmtTlsCertificate])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let Some(tls) = cx.parsed.record.amt.as_ref().and_then(|a| a.tls.as_ref()) else {
            return Outcome::missing(vec![FactId::AmtTlsCertificate.missing()]);
        };
        if tls.certificate.is_none() {
            return Outcome::missing(vec![FactId::AmtTlsCertificate.missing()]);
        }
        // A self-signed leaf is its own CA; every other CA arrives in the chain.
        let leaf_ca = tls
            .certificate
            .iter()
            .filter(|c| c.self_signed == Some(true) || c.is_ca == Some(true));
        let chain_ca = tls
            .chain
            .iter()
            .filter(|c| c.is_ca != Some(false));
        let findings: Vec<_> = leaf_ca
            .chain(chain_ca)
            .filter(|c| c.key_type.as_deref() == Some("rsa"))
            .filter_map(|c| c.key_bits.filter(|b| *b > self.max_bits).map(|b| (c, b)))
            .map(|(c, bits)| {
                let name = c
                    .subject
                    .as_deref()
                    .or(c.common_name.as_deref())
                    .unwrap_or("a CA");
                cx.finding(format!(
                    "CA certificate {} has a {bits}-bit key; AMT cannot use CA keys over {} bits",
                    clip(name),
                    self.max_bits
                ))
            })
            .collect();
        Outcome::findings(findings)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    #[test]
    fn a_ca_key_over_2048_bits_is_an_error() {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        let run = |leaf: serde_json::Value, chain: serde_json::Value| {
            run_in(
                policy,
                "TLS-CA-KEY-SIZE",
                json!({"target": "t", "amt": {"tls": {"certificate": leaf, "chain": chain}}}),
            )
        };
        let leaf = json!({"key_type": "rsa", "key_bits": 2048, "self_signed": false});
        let big_ca = json!([{"subject": "CN=Big CA", "key_type": "rsa", "key_bits": 4096, "is_ca": true}]);
        let out = run(leaf.clone(), big_ca);
        assert_eq!(rules(&out), ["TLS-CA-KEY-SIZE"]);
        assert!(out.findings[0].message.contains("CN=Big CA"));
        let ok_ca = json!([{"key_type": "rsa", "key_bits": 2048, "is_ca": true}]);
        assert!(run(leaf.clone(), ok_ca).findings.is_empty());
        // A 4096-bit leaf that is no CA is not this rule's business.
        let big_leaf = json!({"key_type": "rsa", "key_bits": 4096, "self_signed": false});
        assert!(run(big_leaf, json!([])).findings.is_empty());
        // A self-signed leaf is its own CA.
        let self_signed = json!({"key_type": "rsa", "key_bits": 3072, "self_signed": true});
        assert_eq!(rules(&run(self_signed, json!([]))), ["TLS-CA-KEY-SIZE"]);
        assert_eq!(run_in(policy, "TLS-CA-KEY-SIZE", json!({"target": "t"})).missing, ["amt.tls.certificate"]);
    }
}
