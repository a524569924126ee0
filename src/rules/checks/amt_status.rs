//! `amt-status`: the AMT status Configuration Manager would show after
//! discovery ([`crate::rules::amt_status`]) is one it can provision or manage:
//! Not Provisioned or Provisioned. Detected and Not Supported block; Unknown
//! is a missing fact.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::facts::AmtStatus;
use crate::rules::amt_status::amt_status;
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The fix printed for a Detected host, in place of the rule's general
    /// `fix`: only the advice for the status at hand is shown.
    #[serde(default)]
    pub detected_fix: Option<String>,
    /// The fix printed for a Not Supported host.
    #[serde(default)]
    pub not_supported_fix: Option<String>,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[
                FactId::ReadStatus,
                FactId::AmtVersionSource,
                FactId::AmtProvisioningState,
                FactId::AmtNetworkInterfaceEnabled,
            ],
            triggers: &[FactId::ReadStatus, FactId::AmtVersion],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let view = amt_status(cx.parsed.record);
        match view.amt_status {
            AmtStatus::NotProvisioned | AmtStatus::Provisioned => Outcome::pass(),
            AmtStatus::Unknown => Outcome::missing(vec![format!(
                "configmgr.amt_status (Unknown: {})",
                view.reason
            )]),
            status => {
                let mut finding = cx.finding(format!(
                    "Configuration Manager would show AMT status {}: {}",
                    status.with_value(),
                    view.reason
                ));
                let own_fix = match status {
                    AmtStatus::Detected => self.detected_fix.as_ref(),
                    AmtStatus::NotSupported => self.not_supported_fix.as_ref(),
                    _ => None,
                };
                if let Some(fix) = own_fix {
                    finding.fix = Some(fix.clone());
                }
                Outcome::findings(vec![finding])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    fn run(record: serde_json::Value) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        run_in(policy, "PROV-AMT-STATUS", record)
    }

    #[test]
    fn detected_and_not_supported_block_unknown_is_missing() {
        let detected = run(json!({"target": "t", "status": "auth_failed"}));
        assert_eq!(rules(&detected), ["PROV-AMT-STATUS"]);
        assert!(detected.findings[0].message.contains("Detected (1)"));
        // Only the advice for the status at hand, the credentials first.
        let fix = detected.findings[0].fix.as_deref().unwrap();
        assert!(fix.starts_with("check the credentials"), "{fix}");
        assert!(!fix.contains("Not Supported"), "{fix}");
        let closed = run(json!({"target": "t", "status": "ok",
            "amt": {"version": "5.2.10", "source": "wsman", "network_interface_enabled": false}}));
        assert!(closed.findings[0].message.contains("Not Supported (0)"));
        let fix = closed.findings[0].fix.as_deref().unwrap();
        assert!(fix.contains("network interface") && !fix.contains("Detected"), "{fix}");
        // Never offered the credentials: unknown, not Detected.
        let not_tried = run(json!({"target": "t", "status": "not_tried",
            "amt": {"version": "5.2.10", "source": "server_header"}}));
        assert!(not_tried.findings.is_empty(), "{not_tried:?}");
        assert!(not_tried.missing[0].contains("check the credentials"), "{not_tried:?}");
        let banner = run(json!({"target": "t", "status": "ok",
            "amt": {"version": "5.2.10", "source": "server_header"}}));
        assert!(banner.findings.is_empty());
        assert!(banner.missing[0].starts_with("configmgr.amt_status (Unknown"));
        let ready = run(json!({"target": "t", "status": "ok",
            "amt": {"version": "5.2.10", "source": "wsman", "provisioning_state": "pre"}}));
        assert_eq!(ready, super::Outcome::pass());
    }
}
