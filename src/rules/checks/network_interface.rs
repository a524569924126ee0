//! `network-interface`: the AMT network interface is enabled. With it closed
//! (for example after the out of band provisioning period ran out),
//! Configuration Manager cannot detect AMT and shows it as Not Supported.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtNetworkInterfaceEnabled],
            triggers: &[FactId::AmtVersion, FactId::AmtNetworkInterfaceEnabled],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        match cx
            .parsed
            .record
            .amt
            .as_ref()
            .and_then(|a| a.network_interface_enabled)
        {
            Some(true) => Outcome::pass(),
            Some(false) => Outcome::findings(vec![cx.finding(
                "the AMT network interface is disabled, so Configuration Manager cannot detect or provision AMT over the network".into(),
            )]),
            None => Outcome::missing(vec![FactId::AmtNetworkInterfaceEnabled.missing()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    #[test]
    fn disabled_fails_unknown_is_missing() {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        let run = |amt: serde_json::Value| run_in(policy, "PROV-NETWORK-INTERFACE", json!({"target": "t", "amt": amt}));
        assert_eq!(
            rules(&run(json!({"version": "5.2.10", "network_interface_enabled": false}))),
            ["PROV-NETWORK-INTERFACE"]
        );
        assert!(run(json!({"version": "5.2.10", "network_interface_enabled": true})).findings.is_empty());
        assert_eq!(run(json!({"version": "5.2.10"})).missing, ["amt.network_interface_enabled"]);
    }
}
