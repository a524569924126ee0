//! `inventory-agrees`: where Configuration Manager's own data about a
//! computer's AMT and the device itself both answer, they say the same
//! firmware version and provisioning state. When they differ one of them is
//! stale: the client's hardware inventory (`SMS_AMTObject`, refreshed each
//! inventory cycle) or the site's discovery data (`SMS_R_System.AMTStatus`
//! and `AMTFullVersion`, refreshed by Discover AMT Status), and the console
//! decides on the stale value ("About the AMT Status and Out of Band
//! Management"). Each value the inventory gives needs its counterpart from
//! the device: one the device did not give is missing, never a pass.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::facts::{AmtStatus, InventoryAmt, ProvisioningState};
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[
                FactId::InventoryAmt,
                FactId::AmtVersion,
                FactId::AmtProvisioningState,
            ],
            triggers: &[FactId::InventoryAmt],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let record = cx.parsed.record;
        let Some(inventory) = record.inventory_amt.as_ref() else {
            return Outcome::missing(vec![FactId::InventoryAmt.missing()]);
        };
        let amt = record.amt.as_ref();
        let device_version = amt.and_then(|a| a.version.as_deref());
        let device_state = amt.and_then(|a| a.provisioning_state);
        let mut findings = Vec::new();
        let mut missing = Vec::new();
        let need = |fact: FactId, missing: &mut Vec<String>| {
            let entry = fact.missing();
            if !missing.contains(&entry) {
                missing.push(entry);
            }
        };
        for (column, said) in versions(inventory) {
            match device_version {
                None => need(FactId::AmtVersion, &mut missing),
                Some(device) => match same_version(said, device) {
                    Some(true) => {}
                    Some(false) => findings.push(cx.finding(format!(
                        "the inventory's {column} says AMT {said}, the device says {device}: one of them is stale"
                    ))),
                    // Too few parts on one side to compare (a bare major):
                    // neither agreement nor a difference is shown.
                    None => need(FactId::AmtVersion, &mut missing),
                },
            }
        }
        if let Some(said) = inventory.provisioning_state {
            match device_state {
                None => need(FactId::AmtProvisioningState, &mut missing),
                Some(state) if state != said => findings.push(cx.finding(format!(
                    "the inventory's SMS_AMTObject.ProvisionState says `{}`, the device says `{}`: one of them is stale",
                    said.as_str(),
                    state.as_str()
                ))),
                Some(_) => {}
            }
        }
        if let Some(status) = inventory.amt_status {
            match status_fits(status, device_state, amt.is_some()) {
                Fit::Agrees => {}
                Fit::Unknown => need(FactId::AmtProvisioningState, &mut missing),
                Fit::Differs(device) => findings.push(cx.finding(format!(
                    "the site's discovery data (SMS_R_System.AMTStatus) says {}, but the device {device}: the discovery is stale (run Discover AMT Status)",
                    status.with_value()
                ))),
            }
        }
        if findings.is_empty() {
            Outcome::missing(missing)
        } else {
            Outcome { findings, missing }
        }
    }
}

/// The versions the inventory gives, with the column each came from.
fn versions(inventory: &InventoryAmt) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    for (column, value) in [
        ("SMS_AMTObject.AMT", &inventory.version),
        ("SMS_R_System.AMTFullVersion", &inventory.full_version),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            out.push((column, v));
        }
    }
    out
}

/// Whether two firmware versions agree on the parts both give (`5.2.10`
/// and `5.2.10.1023` do); `None` when either gives fewer than two numeric
/// parts, or one is not a version at all.
fn same_version(a: &str, b: &str) -> Option<bool> {
    let parts = |v: &str| -> Option<Vec<u32>> {
        v.trim()
            .split('.')
            .map(|p| p.trim().parse().ok())
            .collect()
    };
    let (a, b) = (parts(a)?, parts(b)?);
    let common = a.len().min(b.len());
    (common >= 2).then(|| a[..common] == b[..common])
}

enum Fit {
    Agrees,
    /// What the device showed instead, in words.
    Differs(String),
    /// The device did not say enough to tell.
    Unknown,
}

/// Whether the device fits the AMT status discovery recorded. Not
/// Provisioned (2) and Provisioned (3) name a provisioning state; Not
/// Supported (0) says AMT was not detected, which a device that answered
/// contradicts; Detected (1) fits any state (provisioned elsewhere, or a
/// password the site does not know), and Unknown (null) says nothing.
fn status_fits(status: AmtStatus, state: Option<ProvisioningState>, answered: bool) -> Fit {
    match (status, state) {
        (AmtStatus::Unknown | AmtStatus::Detected, _) => Fit::Agrees,
        (AmtStatus::NotSupported, _) if answered => {
            Fit::Differs("answered as AMT".into())
        }
        (AmtStatus::NotSupported, _) => Fit::Unknown,
        (_, None) => Fit::Unknown,
        (AmtStatus::Provisioned, Some(ProvisioningState::Post))
        | (AmtStatus::NotProvisioned, Some(ProvisioningState::Pre | ProvisioningState::In)) => {
            Fit::Agrees
        }
        (_, Some(state)) => Fit::Differs(format!("is in provisioning state `{}`", state.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::{Policy, Severity};
    use serde_json::{json, Value};

    fn run(amt: Value, inventory: Value) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        run_in(
            policy,
            "PROV-INVENTORY-AGREES",
            json!({"target": "t", "amt": amt, "inventory_amt": inventory}),
        )
    }

    #[test]
    fn agreeing_inventory_passes_on_the_parts_both_give() {
        let out = run(
            json!({"version": "5.2.10.1023", "provisioning_state": "pre"}),
            json!({"version": "5.2.10", "provisioning_state": "pre", "amt_status": "not_provisioned", "full_version": "5.2.10"}),
        );
        assert_eq!(out, super::Outcome::pass());
    }

    #[test]
    fn a_different_version_or_state_is_a_stale_source() {
        let out = run(
            json!({"version": "6.0.3", "provisioning_state": "post"}),
            json!({"version": "5.2.10", "provisioning_state": "pre"}),
        );
        assert_eq!(rules(&out), ["PROV-INVENTORY-AGREES", "PROV-INVENTORY-AGREES"]);
        assert!(out.findings[0].message.contains("AMT 5.2.10, the device says 6.0.3"));
        assert!(out.findings[1].message.contains("says `pre`, the device says `post`"));
        assert_eq!(out.findings[0].severity, Severity::Warning);
        assert!(out.findings[0].fix.is_some() && out.findings[0].document.is_some());
    }

    #[test]
    fn discovery_status_is_compared_with_the_device() {
        let provisioned = json!({"amt_status": "provisioned"});
        assert_eq!(
            rules(&run(json!({"version": "5.2.10", "provisioning_state": "pre"}), provisioned.clone())),
            ["PROV-INVENTORY-AGREES"]
        );
        assert_eq!(
            run(json!({"version": "5.2.10", "provisioning_state": "post"}), provisioned),
            super::Outcome::pass()
        );
        let not_supported = run(json!({"version": "5.2.10"}), json!({"amt_status": "not_supported"}));
        assert!(not_supported.findings[0].message.contains("Not Supported (0)"));
        assert_eq!(
            run(json!({"version": "5.2.10", "provisioning_state": "in"}), json!({"amt_status": "detected"})),
            super::Outcome::pass()
        );
    }

    #[test]
    fn what_the_device_did_not_say_is_missing_not_passed() {
        let out = run(
            json!({"version": "5.2.10"}),
            json!({"version": "5.2.10", "provisioning_state": "post"}),
        );
        assert!(out.findings.is_empty());
        assert_eq!(out.missing, ["amt.provisioning_state"]);
        // A bare major from the RMCP pong cannot confirm 5.2.10.
        let out = run(json!({"version": "5"}), json!({"version": "5.2.10"}));
        assert_eq!(out.missing, ["amt.version"]);
        let out = run(json!(null), json!({"version": "5.2.10"}));
        assert_eq!(out.missing, ["amt.version"]);
    }

    #[test]
    fn versions_compare_on_the_common_parts() {
        assert_eq!(super::same_version("5.2.10", "5.2.10.1023"), Some(true));
        assert_eq!(super::same_version("5.2.9", "5.2.10"), Some(false));
        assert_eq!(super::same_version("7.1", "7.1.91"), Some(true));
        assert_eq!(super::same_version("7", "7.1.91"), None);
        assert_eq!(super::same_version("AMT", "7.1.91"), None);
    }
}
