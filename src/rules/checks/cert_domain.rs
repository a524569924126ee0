//! `cert-domain`: the provisioning chain's leaf is issued for the device's
//! DNS suffix (the one given with `--domain`, else the device's own),
//! matched on the last two labels as AMT 3.2.1 and later do. A suffix nobody
//! knows is a warning: the name could not be matched either way.

use serde::Deserialize;

use super::dns_suffix::suffix_matches;
use super::{no_certificate, Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::finding::Severity;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The fix when the device's suffix is not known.
    pub unknown_fix: String,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtTrustedDnsSuffix, FactId::AmtDhcpDnsSuffix],
            triggers: &[FactId::AmtTrustedDnsSuffix, FactId::AmtDhcpDnsSuffix],
            always: true,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let Some(cert) = cx.cert else {
            return no_certificate();
        };
        let suffix = cert
            .domain
            .map(str::to_string)
            .or_else(|| cert.device.and_then(|d| d.suffix.clone()));
        let Some(suffix) = suffix else {
            let mut finding = cx.finding(
                "the device's DNS suffix is not known, so the leaf's domain could not be matched"
                    .into(),
            );
            finding.severity = Severity::Warning;
            finding.fix = Some(self.unknown_fix.clone());
            return Outcome::findings(vec![finding]);
        };
        let domains = cert.chain.leaf_domains();
        if domains.iter().any(|d| suffix_matches(&suffix, d)) {
            return Outcome::pass();
        }
        Outcome::findings(vec![cx.finding(format!(
            "the leaf is for {} but the device's DNS suffix is `{suffix}`",
            if domains.is_empty() {
                "no DNS name".to_string()
            } else {
                domains.join(", ")
            }
        ))])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{chain, rules, run_cert};
    use crate::cert::DeviceView;
    use crate::rules::finding::Severity;

    #[test]
    fn the_leaf_matches_the_suffix_or_it_is_unknown() {
        let c = chain();
        let device = |suffix: Option<&str>| DeviceView {
            hashes: Vec::new(),
            major: Some(11),
            suffix: suffix.map(str::to_string),
        };
        let run = |d: &DeviceView| run_cert("CERT-DOMAIN", &c, Some(d));
        assert!(run(&device(Some("sales.example.com"))).findings.is_empty());
        let other = run(&device(Some("contoso.com")));
        assert_eq!(rules(&other), ["CERT-DOMAIN"]);
        assert_eq!(other.findings[0].severity, Severity::Error);
        let unknown = run(&device(None));
        assert_eq!(unknown.findings[0].severity, Severity::Warning);
        assert!(unknown.findings[0].fix.as_deref().unwrap().contains("--domain"));
    }
}
