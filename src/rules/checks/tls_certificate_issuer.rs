//! `tls-certificate-issuer`: the certificate AMT shows on 16993 was issued by
//! a CA, not signed by itself. Configuration Manager has its enterprise CA
//! issue each provisioned device's web server certificate; a self-signed one
//! (AMT's factory certificate on 16.x, or one set by another tool) means the
//! device's TLS is not Configuration Manager's, and no client can verify it.

use serde::Deserialize;

use super::{clip, Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::AmtTlsCertificate])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let cert = cx
            .parsed
            .record
            .amt
            .as_ref()
            .and_then(|a| a.tls.as_ref())
            .and_then(|t| t.certificate.as_ref());
        let Some(cert) = cert else {
            return Outcome::missing(vec![FactId::AmtTlsCertificate.missing()]);
        };
        match cert.self_signed {
            Some(false) => Outcome::pass(),
            Some(true) => Outcome::findings(vec![cx.finding(format!(
                "the AMT TLS certificate ({}) is self-signed, not issued by the enterprise CA",
                clip(cert.subject.as_deref().unwrap_or("no subject"))
            ))]),
            None => Outcome::missing(vec![
                FactId::AmtTlsCertificate.missing_because("issuer not readable")
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    #[test]
    fn self_signed_is_flagged() {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        let run = |cert: serde_json::Value| {
            run_in(policy, "TLS-CERT-ISSUER", json!({"target": "t", "amt": {"tls": {"certificate": cert}}}))
        };
        let out = run(json!({"subject": "CN=amt", "self_signed": true}));
        assert_eq!(rules(&out), ["TLS-CERT-ISSUER"]);
        assert!(out.findings[0].message.contains("CN=amt"));
        assert!(run(json!({"self_signed": false})).findings.is_empty());
        assert_eq!(run(json!({})).missing.len(), 1);
    }
}
