//! `cert-validity`: every certificate of the provisioning chain is valid now:
//! not before its start (an error: the clocks, or too early) nor after its
//! end (an error), and not within `warn_days` of it (a warning, so it is
//! renewed while the devices can still be provisioned with it).

use serde::Deserialize;

use super::{no_certificate, Check, Ctx, Outcome};
use crate::cert::short_name;
use crate::rules::fact::FactUse;
use crate::rules::finding::Severity;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// A certificate ending within this many days is a warning.
    pub warn_days: i64,
    /// The fix for a certificate not valid yet (the rule's `fix` is for one
    /// that has expired).
    pub not_yet_valid_fix: String,
    /// The fix for one about to expire.
    pub expiring_fix: String,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::CHAIN_ONLY
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let Some(cert) = cx.cert else {
            return no_certificate();
        };
        let now = cert.now;
        let mut out = Vec::new();
        for c in &cert.chain.certs {
            let name = short_name(&c.subject);
            if now < c.not_before {
                let mut finding = cx.finding(format!("`{name}` is not valid yet"));
                finding.fix = Some(self.not_yet_valid_fix.clone());
                out.push(finding);
            } else if now > c.not_after {
                out.push(cx.finding(format!("`{name}` has expired")));
            } else if c.not_after - now < self.warn_days.saturating_mul(86_400) {
                let mut finding = cx.finding(format!(
                    "`{name}` expires within {} days",
                    self.warn_days
                ));
                finding.severity = Severity::Warning;
                finding.fix = Some(self.expiring_fix.clone());
                out.push(finding);
            }
        }
        Outcome::findings(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{chain, run_cert};
    use crate::rules::finding::Severity;

    #[test]
    fn early_and_expired_are_errors_and_expiring_a_warning() {
        let mut c = chain();
        // `run_cert` judges at 1_000_000 seconds.
        c.certs[0].not_before = 2_000_000;
        c.certs[1].not_after = 1_000_000 + 86_400;
        let out = run_cert("CERT-VALIDITY", &c, None);
        let got: Vec<(&str, Severity)> = out
            .findings
            .iter()
            .map(|f| (f.message.as_str(), f.severity))
            .collect();
        assert_eq!(
            got,
            [
                ("`leaf.corp.example.com` is not valid yet", Severity::Error),
                ("`Root` expires within 30 days", Severity::Warning)
            ]
        );
        assert!(out.findings[0].fix.as_deref().unwrap().contains("clocks"));
        c.certs[0].not_before = 0;
        c.certs[1].not_after = 10;
        let out = run_cert("CERT-VALIDITY", &c, None);
        assert_eq!(out.findings[0].message, "`Root` has expired");
        assert_eq!(out.findings[0].severity, Severity::Error);
    }
}
