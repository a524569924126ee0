//! `cert-leaf-usage`: the provisioning certificate's leaf is for AMT
//! provisioning: server authentication and the AMT provisioning OID
//! 2.16.840.1.113741.1.2.3 in its extended key usage, or the subject OU
//! `Intel(R) Client Setup Certificate` that stands in for both.

use serde::Deserialize;

use super::{no_certificate, Check, Ctx, Outcome};
use crate::cert::AMT_SETUP_OU;
use crate::rules::fact::FactUse;

/// No parameters: the OID and the OU are Intel's, not a site's choice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::CHAIN_ONLY
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let Some(cert) = cx.cert else {
            return no_certificate();
        };
        let chain = cert.chain;
        let ou_ok = chain.leaf_ous.iter().any(|ou| ou == AMT_SETUP_OU);
        let eku_ok = chain.leaf_server_auth && chain.leaf_amt_oid;
        if eku_ok || ou_ok {
            return Outcome::pass();
        }
        let mut missing = Vec::new();
        if !chain.leaf_server_auth {
            missing.push("server authentication (1.3.6.1.5.5.7.3.1)");
        }
        if !chain.leaf_amt_oid {
            missing.push("the AMT provisioning OID 2.16.840.1.113741.1.2.3");
        }
        Outcome::findings(vec![cx.finding(format!(
            "the leaf's extended key usage lacks {}, and its subject has no OU `{AMT_SETUP_OU}`",
            missing.join(" and ")
        ))])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{chain, rules, run_cert};
    use crate::cert::AMT_SETUP_OU;

    #[test]
    fn the_oid_with_server_auth_or_the_ou() {
        let mut c = chain();
        assert!(run_cert("CERT-LEAF-USAGE", &c, None).findings.is_empty());
        c.leaf_amt_oid = false;
        let out = run_cert("CERT-LEAF-USAGE", &c, None);
        assert_eq!(rules(&out), ["CERT-LEAF-USAGE"]);
        assert!(out.findings[0].message.contains("2.16.840.1.113741.1.2.3"));
        assert!(!out.findings[0].message.contains("server authentication"));
        c.leaf_ous = vec![AMT_SETUP_OU.to_string()];
        assert!(run_cert("CERT-LEAF-USAGE", &c, None).findings.is_empty());
    }
}
