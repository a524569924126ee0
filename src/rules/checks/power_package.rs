//! `power-package`: the active AMT power package keeps the management engine
//! on (or waking on traffic) when the PC is off. A package whose description
//! lists S0 alone turns the ME off in every sleep and off state ("Power
//! Packages", Intel AMT SDK: the ME is off in the S-states a package does
//! not list), so Configuration Manager's power on commands and every out of
//! band task with the PC off find nothing to talk to ("Choose Between Power
//! On Commands with Out of Band Management and Wake-Up Packets"; "How to
//! Configure the Site to Send Power-On Commands for Scheduled Wake-Up
//! Activities Using Out of Band Management"). A package with S3 but not
//! S4–S5 fails the same way once the PC is shut down.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::amt::{element_setting_data, system_power_scheme};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::operational::{missing, unavailable};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtPowerPackages],
            triggers: &[FactId::AmtOperationalRead],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let amt = cx.parsed.record.amt.as_ref();
        let Some(packages) = amt.and_then(|a| a.power_packages.as_deref()) else {
            return Outcome::missing(vec![missing(amt, FactId::AmtPowerPackages, element_setting_data::CLASS)]);
        };
        let Some(active) = packages.iter().find(|p| p.active == Some(true)) else {
            let why = if unavailable(amt, element_setting_data::CLASS) {
                format!("{} unavailable", element_setting_data::CLASS)
            } else {
                "no package marked active".to_owned()
            };
            return Outcome::missing(vec![FactId::AmtPowerPackages.missing_because(why)]);
        };
        let Some(description) = active.description.as_deref() else {
            let why = if unavailable(amt, system_power_scheme::CLASS) {
                format!("{} unavailable", system_power_scheme::CLASS)
            } else {
                "the active package has no description".to_owned()
            };
            return Outcome::missing(vec![FactId::AmtPowerPackages.missing_because(why)]);
        };
        let Some((sleep, off)) = system_power_scheme::me_states(description) else {
            return Outcome::missing(vec![FactId::AmtPowerPackages.missing_because(
                "the active package's description names no power states",
            )]);
        };
        let shown = super::clip(description);
        match (sleep, off) {
            (_, true) => Outcome::pass(),
            (false, false) => Outcome::findings(vec![cx.finding(format!(
                "the active power package ({shown}) keeps the management engine on in S0 only: with the PC asleep or off, power on commands and out of band management find no AMT to talk to"
            ))]),
            (true, false) => Outcome::findings(vec![cx.finding(format!(
                "the active power package ({shown}) turns the management engine off when the PC is off (S4-S5): power on commands and out of band management then fail"
            ))]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    fn run(packages: serde_json::Value) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-operational").unwrap();
        run_in(policy, "AMT-POWER-PACKAGE", json!({"target": "t", "amt": {"power_packages": packages}}))
    }

    #[test]
    fn only_a_package_on_when_off_passes() {
        let s0 = json!({"description": "Desktop: ON in S0", "active": true});
        let all = json!({"description": "Desktop: ON in S0, S3, S4-5", "active": true});
        let sleep = json!({"description": "Mobile: ON in S0, S3/AC", "active": true});
        assert_eq!(rules(&run(json!([s0]))), ["AMT-POWER-PACKAGE"]);
        assert_eq!(rules(&run(json!([sleep]))), ["AMT-POWER-PACKAGE"]);
        let ok = run(json!([all, {"description": "Desktop: ON in S0", "active": false}]));
        assert!(ok.findings.is_empty() && ok.missing.is_empty());
        // Which one is active is not known: missing, never a pass.
        let unknown = run(json!([{"description": "Desktop: ON in S0, S3, S4-5"}, {"description": "Desktop: ON in S0"}]));
        assert!(unknown.findings.is_empty());
        assert_eq!(unknown.missing.len(), 1);
    }
}
