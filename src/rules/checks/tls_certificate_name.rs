//! `tls-certificate-name`: the certificate AMT shows on 16993 names the
//! device as AMT itself knows it (AMT_GeneralSettings HostName and
//! DomainName). Configuration Manager connects to a provisioned device by
//! that FQDN and requests its web server certificate for it, so a
//! certificate for another name fails the TLS name check.

use serde::Deserialize;

use super::{clip, Check, Ctx, Outcome};
use crate::facts::CertFacts;
use crate::rules::fact::{FactId, FactUse};
use crate::rules::parsed::non_empty;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// The names a certificate is valid for: its DNS SANs, or its common name
/// when it has none (RFC 6125 §6.4.4).
fn names(cert: &CertFacts) -> Vec<String> {
    if cert.san_dns.is_empty() {
        cert.common_name.iter().cloned().collect()
    } else {
        cert.san_dns.clone()
    }
}

/// RFC 6125 matching: case-insensitive, a `*` only as the whole left-most
/// label, standing for exactly one label.
pub(crate) fn name_matches(pattern: &str, fqdn: &str) -> bool {
    let norm = |s: &str| s.trim().trim_end_matches('.').to_ascii_lowercase();
    let (pattern, fqdn) = (norm(pattern), norm(fqdn));
    match pattern.strip_prefix("*.") {
        Some(rest) => fqdn
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest && rest.contains('.')),
        None => !pattern.is_empty() && pattern == fqdn,
    }
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtTlsCertificate, FactId::AmtHostname, FactId::AmtDomain],
            triggers: &[FactId::AmtTlsCertificate],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let Some(amt) = cx.parsed.record.amt.as_ref() else {
            return Outcome::missing(vec![FactId::AmtTlsCertificate.missing()]);
        };
        let Some(cert) = amt.tls.as_ref().and_then(|t| t.certificate.as_ref()) else {
            return Outcome::missing(vec![FactId::AmtTlsCertificate.missing()]);
        };
        let (host, domain) = (non_empty(amt.hostname.as_ref()), non_empty(amt.domain.as_ref()));
        let (Some(host), Some(domain)) = (host, domain) else {
            let mut missing = Vec::new();
            if host.is_none() {
                missing.push(FactId::AmtHostname.missing());
            }
            if domain.is_none() {
                missing.push(FactId::AmtDomain.missing());
            }
            return Outcome::missing(missing);
        };
        let fqdn = format!("{}.{}", host.trim(), domain.trim().trim_start_matches('.'));
        let names = names(cert);
        if names.iter().any(|n| name_matches(n, &fqdn)) {
            return Outcome::pass();
        }
        let shown = if names.is_empty() {
            "no name".to_owned()
        } else {
            names.iter().map(|n| clip(n)).collect::<Vec<_>>().join(", ")
        };
        Outcome::findings(vec![cx.finding(format!(
            "the AMT TLS certificate is for {} but AMT calls itself {}; TLS connections by that name fail the name check",
            clip(&shown),
            clip(&fqdn)
        ))])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use super::name_matches;
    use crate::rules::Policy;
    use serde_json::json;

    #[test]
    fn wildcards_cover_one_label_only() {
        assert!(name_matches("PC1.Corp.Example.com.", "pc1.corp.example.com"));
        assert!(name_matches("*.corp.example.com", "pc1.corp.example.com"));
        assert!(!name_matches("*.example.com", "pc1.corp.example.com"));
        assert!(!name_matches("*.com", "example.com"));
        assert!(!name_matches("", "x"));
    }

    #[test]
    fn the_certificate_must_name_amts_own_fqdn() {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        let run = |cert: serde_json::Value, host: Option<&str>| {
            let mut amt = json!({"version": "15.0.41", "domain": "corp.example.com", "tls": {"certificate": cert}});
            if let Some(h) = host {
                amt["hostname"] = json!(h);
            }
            run_in(policy, "TLS-CERT-NAME", json!({"target": "t", "amt": amt}))
        };
        let good = json!({"san_dns": ["pc1.corp.example.com", "pc1"], "common_name": "other"});
        assert!(run(good.clone(), Some("pc1")).findings.is_empty());
        let out = run(good, Some("pc2"));
        assert_eq!(rules(&out), ["TLS-CERT-NAME"]);
        assert!(out.findings[0].message.contains("pc2.corp.example.com"), "{out:?}");
        // No SANs: the common name counts.
        let cn = json!({"common_name": "PC1.corp.example.com"});
        assert!(run(cn, Some("pc1")).findings.is_empty());
        // A factory self-signed certificate with no name at all.
        assert_eq!(rules(&run(json!({}), Some("pc1"))), ["TLS-CERT-NAME"]);
        assert_eq!(run(json!({}), None).missing, ["amt.hostname"]);
    }
}
