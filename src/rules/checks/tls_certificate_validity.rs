//! `tls-certificate-validity`: the certificate AMT shows on 16993 is within
//! its validity period, and not about to leave it. Configuration Manager's
//! out of band console and service point reach a provisioned device over TLS
//! with this certificate; once it has expired they cannot, and the site
//! renews it only while the device is reachable before the end date.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::finding::Severity;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// A certificate ending within this many days is a warning.
    #[serde(default = "default_warn_days")]
    pub warn_days: u32,
}

fn default_warn_days() -> u32 {
    30
}

fn parse(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()
}

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
        let (Some(not_before), Some(not_after)) = (
            cert.not_before.as_deref().and_then(parse),
            cert.not_after.as_deref().and_then(parse),
        ) else {
            return Outcome::missing(vec![FactId::AmtTlsCertificate.missing_because(
                "validity dates not readable",
            )]);
        };
        let now = time::OffsetDateTime::now_utc();
        let day = |t: time::OffsetDateTime| t.date().to_string();
        if now > not_after {
            return Outcome::findings(vec![cx.finding(format!(
                "the AMT TLS certificate expired on {}; management connections over TLS fail until it is renewed",
                day(not_after)
            ))]);
        }
        if now < not_before {
            return Outcome::findings(vec![cx.finding(format!(
                "the AMT TLS certificate is not valid before {} (check the device clock)",
                day(not_before)
            ))]);
        }
        let left = not_after - now;
        if left <= time::Duration::days(i64::from(self.warn_days)) {
            let mut finding = cx.finding(format!(
                "the AMT TLS certificate expires on {} ({} days left); renew it while the device is reachable",
                day(not_after),
                left.whole_days()
            ));
            finding.severity = Severity::Warning;
            return Outcome::findings(vec![finding]);
        }
        Outcome::pass()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::finding::Severity;
    use crate::rules::Policy;
    use serde_json::json;

    fn at(days: i64) -> String {
        let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    }

    fn run(not_before: i64, not_after: i64) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        run_in(
            policy,
            "TLS-CERT-VALIDITY",
            json!({"target": "t", "amt": {"version": "15.0.41", "tls": {"certificate": {
                "not_before": at(not_before), "not_after": at(not_after)}}}}),
        )
    }

    #[test]
    fn expired_is_an_error_and_expiring_soon_a_warning() {
        // Far from every boundary: no wall-clock luck.
        let expired = run(-400, -30);
        assert_eq!(rules(&expired), ["TLS-CERT-VALIDITY"]);
        assert_eq!(expired.findings[0].severity, Severity::Error);
        assert!(expired.findings[0].message.contains("expired"));
        let soon = run(-300, 10);
        assert_eq!(soon.findings[0].severity, Severity::Warning);
        assert!(soon.findings[0].message.contains("days left"));
        assert!(run(-30, 365).findings.is_empty());
        assert_eq!(rules(&run(20, 400)), ["TLS-CERT-VALIDITY"]);
    }

    #[test]
    fn no_certificate_is_missing_not_a_pass() {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        let out = run_in(policy, "TLS-CERT-VALIDITY", json!({"target": "t", "amt": {"version": "15.0.41"}}));
        assert_eq!(out.missing, ["amt.tls.certificate"]);
        let out = run_in(
            policy,
            "TLS-CERT-VALIDITY",
            json!({"target": "t", "amt": {"tls": {"certificate": {"not_after": "garbage"}}}}),
        );
        assert!(out.findings.is_empty());
        assert_eq!(out.missing.len(), 1);
    }
}
