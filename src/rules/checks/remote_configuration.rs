//! `remote-configuration`: a device that is not provisioned yet has remote
//! configuration (zero-touch configuration) enabled. Configuration Manager
//! provisions with its AMT provisioning certificate, which AMT accepts only
//! through remote configuration against its trusted root hashes.

use serde::Deserialize;

use super::{provisioning_states, Check, Ctx, Outcome};
use crate::facts::ProvisioningState;
use crate::rules::candidates::decide;
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtZtcEnabled, FactId::AmtProvisioningState],
            triggers: &[FactId::AmtVersion, FactId::AmtZtcEnabled],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let ztc = cx.parsed.record.amt.as_ref().and_then(|a| a.ztc_enabled);
        let (states, mut unknown) = provisioning_states(cx);
        let ztcs: Vec<bool> = match ztc {
            Some(value) => vec![value],
            None => {
                unknown.push(FactId::AmtZtcEnabled.missing());
                vec![false, true]
            }
        };
        let mut candidates = Vec::new();
        for &state in &states {
            for &ztc in &ztcs {
                candidates.push((state, ztc));
            }
        }
        Outcome::from_judged(decide(&candidates, &unknown, |&(state, ztc)| {
            if state != ProvisioningState::Post && !ztc {
                vec![cx.finding(
                    "remote configuration (zero-touch configuration) is disabled, so AMT cannot accept Configuration Manager's provisioning certificate".into(),
                )]
            } else {
                Vec::new()
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    #[test]
    fn zero_touch_off_before_provisioning_fails() {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        let run = |amt: serde_json::Value| run_in(policy, "PROV-REMOTE-CONFIG", json!({"target": "t", "amt": amt}));
        assert_eq!(
            rules(&run(json!({"version": "5.2.10", "provisioning_state": "pre", "ztc_enabled": false}))),
            ["PROV-REMOTE-CONFIG"]
        );
        assert!(run(json!({"version": "5.2.10", "provisioning_state": "post", "ztc_enabled": false})).findings.is_empty());
        assert!(run(json!({"version": "5.2.10", "provisioning_state": "pre", "ztc_enabled": true})).findings.is_empty());
        assert_eq!(run(json!({"version": "5.2.10", "ztc_enabled": false})).missing, ["amt.provisioning_state"]);
        assert!(run(json!({"version": "5.2.10", "provisioning_state": "pre"})).missing.contains(&"amt.ztc_enabled".to_string()));
    }
}
