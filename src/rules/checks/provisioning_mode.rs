//! `provisioning-mode`: on firmware before 7.0, the device is in Enterprise
//! provisioning mode; Small Business (and Remote Connectivity) mode devices
//! are set up by hand through the MEBx and have no configuration-server step
//! for Configuration Manager to perform. From 7.0 the same property holds the
//! control mode (admin or client), which this rule does not judge.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::facts::ProvisioningMode;
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The first firmware major whose ProvisioningMode no longer means
    /// Enterprise / Small Business (7).
    pub control_modes_from_major: u32,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtVersion, FactId::AmtProvisioningMode],
            triggers: &[FactId::AmtVersion, FactId::AmtProvisioningMode],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let mode = cx.parsed.record.amt.as_ref().and_then(|a| a.provisioning_mode);
        let major = cx
            .parsed
            .amt_version
            .value()
            .and_then(|v| v.parts().first().copied());
        match (mode, major) {
            (Some(ProvisioningMode::AdminControl | ProvisioningMode::ClientControl), _) => {
                Outcome::pass()
            }
            (_, Some(major)) if major >= self.control_modes_from_major => Outcome::pass(),
            (Some(ProvisioningMode::Enterprise), _) => Outcome::pass(),
            (Some(ProvisioningMode::SmallBusiness), _) => Outcome::findings(vec![cx.finding(
                "AMT is in Small Business provisioning mode; Configuration Manager provisions Enterprise mode only".into(),
            )]),
            (Some(ProvisioningMode::RemoteConnectivity), _) => Outcome::findings(vec![cx.finding(
                "AMT is in Remote Connectivity provisioning mode; Configuration Manager provisions Enterprise mode only".into(),
            )]),
            (None, _) => Outcome::missing(vec![FactId::AmtProvisioningMode.missing()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    fn run(version: &str, mode: Option<&str>) -> super::Outcome {
        let mut amt = json!({"version": version});
        if let Some(mode) = mode {
            amt["provisioning_mode"] = json!(mode);
        }
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        run_in(policy, "PROV-MODE", json!({"target": "t", "amt": amt}))
    }

    #[test]
    fn small_business_before_7_fails() {
        assert_eq!(rules(&run("5.2.10", Some("small_business"))), ["PROV-MODE"]);
        assert_eq!(rules(&run("4.0", Some("remote_connectivity"))), ["PROV-MODE"]);
        assert_eq!(run("5.2.10", Some("enterprise")), super::Outcome::pass());
        assert_eq!(run("8.1.40", Some("admin_control")), super::Outcome::pass());
        assert_eq!(run("5.2.10", None).missing, ["amt.provisioning_mode"]);
        // From 7.0 the value is a control mode: nothing to judge.
        assert_eq!(run("8.1.40", None), super::Outcome::pass());
    }
}
