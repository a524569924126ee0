//! `cert-ca-key-size`: no CA certificate of the provisioning chain has a key
//! over `max_bits`: AMT cannot use CA certificates with longer keys.

use serde::Deserialize;

use super::{no_certificate, Check, Ctx, Outcome};
use crate::cert::short_name;
use crate::rules::fact::FactUse;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The largest CA key AMT accepts, in bits.
    pub max_bits: usize,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::CHAIN_ONLY
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let Some(cert) = cx.cert else {
            return no_certificate();
        };
        // Every certificate after the leaf is a CA's.
        let found = cert
            .chain
            .certs
            .iter()
            .skip(1)
            .filter_map(|c| {
                let bits = c.key_bits.filter(|b| *b > self.max_bits)?;
                Some(cx.finding(format!(
                    "CA `{}` has a {bits}-bit key; AMT cannot use CA certificates with keys over {} bits",
                    short_name(&c.subject),
                    self.max_bits
                )))
            })
            .collect();
        Outcome::findings(found)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{chain, rules, run_cert};

    #[test]
    fn only_ca_keys_over_the_limit() {
        let mut c = chain();
        c.certs[0].key_bits = Some(4096);
        assert!(run_cert("CERT-CA-KEY-SIZE", &c, None).findings.is_empty());
        c.certs[1].key_bits = Some(3072);
        let out = run_cert("CERT-CA-KEY-SIZE", &c, None);
        assert_eq!(rules(&out), ["CERT-CA-KEY-SIZE"]);
        assert!(out.findings[0].message.contains("3072-bit"));
    }
}
