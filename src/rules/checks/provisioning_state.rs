//! `provisioning-state`: a device already provisioned, or half-way through
//! set-up, is flagged: Configuration Manager provisions computers whose AMT
//! status is Not Provisioned, and re-provisions one set up by another solution
//! only with that solution's Remote Admin account or after its provisioning is
//! removed.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::facts::{FactSource, HostStatus, ProvisioningState};
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtProvisioningState],
            triggers: &[FactId::AmtVersion, FactId::AmtProvisioningState],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let state = cx.parsed.record.amt.as_ref().and_then(|a| a.provisioning_state);
        match state {
            None => Outcome::missing(vec![FactId::AmtProvisioningState.missing()]),
            Some(ProvisioningState::Pre) => Outcome::pass(),
            Some(ProvisioningState::In) => Outcome::findings(vec![cx.finding(
                "AMT set-up started but did not finish (provisioning state `in`); a set-up in progress from another tool may hold the device".into(),
            )]),
            Some(ProvisioningState::Post) => {
                let record = cx.parsed.record;
                let logged_in = record.status == Some(HostStatus::Ok)
                    && matches!(
                        record.amt.as_ref().and_then(|a| a.source),
                        Some(FactSource::Wsman | FactSource::Eoi)
                    );
                // A device that accepted the credentials is manageable as it
                // is; the question left is only whose they are, worded so it
                // does not contradict a `ready`.
                let message = if logged_in {
                    "AMT is already provisioned (provisioning state `post`) and accepted the credentials given: ready if they are this site's AMT Provisioning and Discovery Account; if another solution provisioned it, migrate it first"
                } else {
                    "AMT is already provisioned (provisioning state `post`); if another solution provisioned it, Configuration Manager needs that provisioning removed or its Remote Admin account first"
                };
                Outcome::findings(vec![cx.finding(message.into())])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::{Policy, Severity};
    use serde_json::json;

    fn run(state: Option<&str>) -> super::Outcome {
        let mut amt = json!({"version": "5.2.10"});
        if let Some(state) = state {
            amt["provisioning_state"] = json!(state);
        }
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        run_in(policy, "PROV-STATE", json!({"target": "t", "amt": amt}))
    }

    #[test]
    fn post_and_in_are_flagged_pre_passes() {
        assert_eq!(run(Some("pre")), super::Outcome::pass());
        let post = run(Some("post"));
        assert_eq!(rules(&post), ["PROV-STATE"]);
        assert_eq!(post.findings[0].severity, Severity::Warning);
        assert!(post.findings[0].fix.is_some());
        assert_eq!(rules(&run(Some("in"))), ["PROV-STATE"]);
        assert_eq!(run(None).missing, ["amt.provisioning_state"]);
    }
}
