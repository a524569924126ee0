//! `addressing`: AMT's wired interface does not use a static IPv4 address
//! shared with the host OS. With one, AMT answers on the address the host's
//! OS keeps, and when the OS is down nothing on the network holds it for
//! AMT (Intel, "Using Static IP Addressing with Intel AMT": a single static
//! address shared between the OS and AMT is not supported; from 7.0 AMT may
//! follow the host's address through the host's LMS, which is not running
//! then). DHCP, with the reservations and the option 15 suffix provisioning
//! uses, is the set-up Configuration Manager documents ("How to Provision
//! Computers for AMT"). A static address of AMT's own, apart from the
//! host's, is supported and passes.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::amt::ethernet_port_settings;
use crate::rules::fact::{FactId, FactUse};
use crate::rules::operational::{missing, wired};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtEthernetPorts],
            triggers: &[FactId::AmtOperationalRead],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let amt = cx.parsed.record.amt.as_ref();
        let Some(ports) = amt.and_then(|a| a.ethernet_ports.as_deref()) else {
            return Outcome::missing(vec![missing(amt, FactId::AmtEthernetPorts, ethernet_port_settings::CLASS)]);
        };
        // Without a wired interface there is no shared static address to
        // judge (wired-only reports the missing interface).
        let Some(port) = wired(ports) else {
            return Outcome::pass();
        };
        match (port.dhcp_enabled, port.shared_static_ip) {
            (Some(true), _) | (Some(false), Some(false)) => Outcome::pass(),
            (Some(false), Some(true)) => Outcome::findings(vec![cx.finding(
                "AMT's wired interface uses a static IP address shared with the host OS: while the OS is down or off, AMT cannot be reached at it".into(),
            )]),
            (None, _) => Outcome::missing(vec![
                FactId::AmtEthernetPorts.missing_because("wired DHCPEnabled not reported")
            ]),
            (Some(false), None) => Outcome::missing(vec![
                FactId::AmtEthernetPorts.missing_because("wired SharedStaticIp not reported")
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    fn run(wired: serde_json::Value) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-operational").unwrap();
        run_in(policy, "AMT-ADDRESSING", json!({"target": "t", "amt": {"ethernet_ports": [wired]}}))
    }

    #[test]
    fn shared_static_fails_dhcp_and_dedicated_static_pass() {
        let shared = json!({"interface": "wired", "dhcp_enabled": false, "shared_static_ip": true});
        assert_eq!(rules(&run(shared)), ["AMT-ADDRESSING"]);
        let dhcp = run(json!({"interface": "wired", "dhcp_enabled": true, "shared_static_ip": false}));
        assert!(dhcp.findings.is_empty() && dhcp.missing.is_empty());
        let own = run(json!({"interface": "wired", "dhcp_enabled": false, "shared_static_ip": false}));
        assert!(own.findings.is_empty() && own.missing.is_empty());
        assert_eq!(run(json!({"interface": "wired"})).missing.len(), 1);
    }
}
