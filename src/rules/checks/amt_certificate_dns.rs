//! `amt-certificate-dns`: where AMT speaks TLS, the console connects by the
//! name in the device's certificate, which Configuration Manager requested
//! for the device's FQDN. When the certificate carries another name than AMT
//! reports, that name must still lead to the device: a name that resolves
//! elsewhere, or not at all, means the console's TLS connection reaches
//! another computer or none (a warning; TLS-CERT-NAME says the names differ).

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use super::dns_path::{forward, Forward};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::DnsCertificateName, FactId::AmtTlsCertificate],
            triggers: &[FactId::DnsCertificateName],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let dns = cx.parsed.record.dns.as_ref();
        let (lookup, leads) = match forward(dns, FactId::DnsCertificateName, |d| d.certificate_name.as_ref()) {
            Ok(judged) => judged,
            Err(outcome) => return outcome,
        };
        let name = super::clip(&lookup.name);
        let message = match leads {
            Forward::ToDevice => return Outcome::pass(),
            Forward::Elsewhere { addresses, scanned } => format!(
                "the TLS certificate's name {name} resolves elsewhere: {addresses}, not {scanned} where the device answered"
            ),
            Forward::Nowhere { .. } => format!(
                "the TLS certificate's name {name} does not resolve"
            ),
        };
        Outcome::findings(vec![cx.finding(message)])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::{json, Value};

    fn run(lookup: Value) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-provisioning-path").unwrap();
        run_in(policy, "PATH-AMT-CERT-DNS", json!({"target": "t",
            "amt": {"tls": {"certificate": {"san_dns": ["amt1-old.corp.example.com"]}}},
            "dns": {"scanned_address": "10.0.0.21", "certificate_name": lookup}}))
    }

    #[test]
    fn the_certificate_name_must_lead_to_the_device() {
        let ok = run(json!({"name": "amt1-old.corp.example.com", "answer": "found", "addresses": ["10.0.0.21"]}));
        assert!(ok.findings.is_empty() && ok.missing.is_empty());
        let elsewhere = run(json!({"name": "amt1-old.corp.example.com", "answer": "found", "addresses": ["10.0.0.99"]}));
        assert_eq!(rules(&elsewhere), ["PATH-AMT-CERT-DNS"]);
        assert_eq!(elsewhere.findings[0].severity, crate::rules::Severity::Warning);
        let none = run(json!({"name": "amt1-old.corp.example.com", "answer": "no_record"}));
        assert!(none.findings[0].message.contains("does not resolve"));
        let failed = run(json!({"name": "amt1-old.corp.example.com", "answer": "failed"}));
        assert_eq!(failed.missing, ["dns.certificate_name (amt1-old.corp.example.com: lookup failed)"]);
    }
}
