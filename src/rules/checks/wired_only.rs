//! `wired-only`: AMT reaches the network over a wired, unauthenticated
//! connection. Configuration Manager 2007 SP1 supports its out of band
//! tasks on that connection only; 802.1X-authenticated wired and wireless
//! connections came with SP2 ("About Out of Band Management in
//! Configuration Manager"). So a machine whose AMT has no wired interface,
//! or whose wired link is down (AMT then answers over wireless), or whose
//! wired interface authenticates with 802.1X, cannot be managed out of band
//! by an SP1 site.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::amt::{ethernet_port_settings, ieee8021x_profile};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::operational::{missing, wired};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtEthernetPorts, FactId::AmtWired8021x],
            triggers: &[FactId::AmtOperationalRead],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let Some(amt) = cx.parsed.record.amt.as_ref() else {
            return Outcome::missing(vec![FactId::AmtEthernetPorts.missing()]);
        };
        let mut out = Outcome::default();
        match amt.ethernet_ports.as_deref() {
            None => out.missing.push(missing(
                Some(amt),
                FactId::AmtEthernetPorts,
                ethernet_port_settings::CLASS,
            )),
            Some(ports) => match wired(ports).map(|w| w.link_up) {
                None => out.findings.push(cx.finding(
                    "AMT has no wired interface, only wireless: Configuration Manager 2007 SP1 manages AMT out of band over a wired connection only".into(),
                )),
                Some(Some(false)) => out.findings.push(cx.finding(
                    "AMT's wired link is down, so AMT is reached over wireless, which Configuration Manager 2007 SP1 does not manage out of band".into(),
                )),
                Some(Some(true)) => {}
                Some(None) => out
                    .missing
                    .push(FactId::AmtEthernetPorts.missing_because("wired link state not reported")),
            },
        }
        match amt.wired_8021x {
            Some(true) => out.findings.push(cx.finding(
                "an 802.1X profile is enabled on AMT's wired interface: Configuration Manager 2007 SP1 supports out of band management on unauthenticated wired connections only".into(),
            )),
            Some(false) => {}
            None => out.missing.push(missing(
                Some(amt),
                FactId::AmtWired8021x,
                ieee8021x_profile::CLASS,
            )),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    fn run(amt: serde_json::Value) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-operational").unwrap();
        run_in(policy, "AMT-WIRED-ONLY", json!({"target": "t", "amt": amt}))
    }

    #[test]
    fn wireless_only_link_down_and_8021x_fail() {
        let wired = json!({"interface": "wired", "link_up": true});
        let wireless = json!({"interface": "wireless", "link_up": true});
        let ok = run(json!({"ethernet_ports": [wired, {"interface": "wireless", "link_up": false}], "wired_8021x": false}));
        assert!(ok.findings.is_empty() && ok.missing.is_empty(), "{ok:?}");
        assert_eq!(rules(&run(json!({"ethernet_ports": [wireless], "wired_8021x": false}))), ["AMT-WIRED-ONLY"]);
        assert_eq!(
            rules(&run(json!({"ethernet_ports": [{"interface": "wired", "link_up": false}, wireless], "wired_8021x": false}))),
            ["AMT-WIRED-ONLY"]
        );
        assert_eq!(rules(&run(json!({"ethernet_ports": [wired], "wired_8021x": true}))), ["AMT-WIRED-ONLY"]);
    }

    #[test]
    fn a_class_that_did_not_answer_is_missing_not_a_pass() {
        let out = run(json!({"ethernet_ports": [{"interface": "wired", "link_up": true}],
                              "unavailable": ["AMT_8021XProfile"]}));
        assert!(out.findings.is_empty());
        assert_eq!(out.missing, ["amt.wired_8021x (AMT_8021XProfile unavailable)"]);
        // A record from before these reads: not checked at all.
        let old = run(json!({"version": "7.1.91"}));
        assert!(old.findings.is_empty());
    }
}
