//! `dns-suffix`: a device that is not provisioned yet has a DNS suffix for the
//! provisioning certificate's name to match: the PKI DNS suffix set in the
//! MEBx, else the one DHCP gave it (option 15). AMT 3.2.1 and later compare
//! only the last two labels (`sales.contoso.com` matches a certificate for
//! `marketing.contoso.com`); a blank suffix never matches. With `suffixes` (a
//! site's own policy file, the certificate's domains) the device must match one.

use serde::Deserialize;

use super::{provisioning_states, Check, Ctx, Outcome};
use crate::facts::{AmtFacts, ProvisioningState};
use crate::rules::candidates::decide;
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Domains the provisioning certificate is issued for.
    #[serde(default)]
    pub suffixes: Vec<String>,
}

/// The suffix AMT matches the certificate against, and which fact gave it.
pub(crate) fn device_suffix(amt: &AmtFacts) -> Option<(&str, FactId)> {
    amt.provisioning_dns_suffix().map(|(suffix, pki)| {
        let fact = if pki {
            FactId::AmtTrustedDnsSuffix
        } else {
            FactId::AmtDhcpDnsSuffix
        };
        (suffix, fact)
    })
}

/// Whether a device suffix matches a certificate's domain as AMT 3.2.1+ does:
/// the last two labels, case-insensitively.
pub(crate) fn suffix_matches(device: &str, certificate: &str) -> bool {
    let tail = |name: &str| -> Vec<String> {
        let labels: Vec<String> = name
            .trim()
            .trim_end_matches('.')
            .split('.')
            .filter(|l| !l.is_empty())
            .map(|l| l.to_ascii_lowercase())
            .collect();
        labels[labels.len().saturating_sub(2)..].to_vec()
    };
    let (d, c) = (tail(device), tail(certificate));
    d.len() == 2 && d == c
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[
                FactId::AmtTrustedDnsSuffix,
                FactId::AmtDhcpDnsSuffix,
                FactId::AmtProvisioningState,
            ],
            triggers: &[FactId::AmtVersion, FactId::AmtDhcpDnsSuffix, FactId::AmtTrustedDnsSuffix],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let amt = cx.parsed.record.amt.as_ref();
        let problem = match amt.and_then(device_suffix) {
            None => {
                // Not read is not blank: firmware that does not return the
                // suffixes leaves them unknown.
                let read = amt.is_some_and(|a| {
                    a.sources.contains_key("dhcp_dns_suffix")
                        || a.sources.contains_key("trusted_dns_suffix")
                        || a.dhcp_dns_suffix.is_some()
                        || a.trusted_dns_suffix.is_some()
                });
                if !read {
                    let (states, _) = provisioning_states(cx);
                    if states == [ProvisioningState::Post] {
                        return Outcome::pass();
                    }
                    return Outcome::missing(vec![format!(
                        "{} or {}",
                        FactId::AmtTrustedDnsSuffix,
                        FactId::AmtDhcpDnsSuffix
                    )]);
                }
                "AMT has no DNS suffix (neither a PKI DNS suffix nor DHCP option 15), so no provisioning certificate name can match".to_string()
            }
            Some((suffix, _)) if !self.suffixes.is_empty()
                && !self.suffixes.iter().any(|c| suffix_matches(suffix, c)) =>
            {
                format!(
                    "AMT's DNS suffix `{}` does not match the provisioning certificate's domain ({})",
                    super::clip(suffix),
                    self.suffixes.join(", ")
                )
            }
            Some(_) => return Outcome::pass(),
        };
        let (states, unknown) = provisioning_states(cx);
        Outcome::from_judged(decide(&states, &unknown, |state| {
            if *state == ProvisioningState::Post {
                Vec::new()
            } else {
                vec![cx.finding(problem.clone())]
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use super::suffix_matches;
    use crate::rules::Policy;
    use serde_json::json;

    #[test]
    fn last_two_labels_match() {
        assert!(suffix_matches("sales.contoso.com", "marketing.contoso.com"));
        assert!(suffix_matches("Contoso.com.", "contoso.com"));
        assert!(!suffix_matches("sales.contoso.com", "marketing.northwindtraders.com"));
        assert!(!suffix_matches("", "contoso.com"));
        assert!(!suffix_matches("com", "com"));
    }

    #[test]
    fn blank_suffix_fails_unread_is_missing() {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        let run = |amt: serde_json::Value| run_in(policy, "PROV-DNS-SUFFIX", json!({"target": "t", "amt": amt}));
        assert!(run(json!({"version": "5.2.10", "provisioning_state": "pre", "dhcp_dns_suffix": "corp.example.com"})).findings.is_empty());
        assert_eq!(
            rules(&run(json!({"version": "5.2.10", "provisioning_state": "pre", "dhcp_dns_suffix": " "}))),
            ["PROV-DNS-SUFFIX"]
        );
        assert_eq!(
            run(json!({"version": "5.2.10", "provisioning_state": "pre"})).missing,
            ["amt.trusted_dns_suffix or amt.dhcp_dns_suffix"]
        );
        assert!(run(json!({"version": "5.2.10", "provisioning_state": "post"})).missing.is_empty());
    }
}
