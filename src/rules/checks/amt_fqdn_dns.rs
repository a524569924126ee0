//! `amt-fqdn-dns`: Configuration Manager reaches a device by its FQDN, so the
//! host record of the FQDN AMT reports (HostName.DomainName) must hold the
//! address the device answered at. A name that does not resolve, or resolves
//! only to other addresses (a stale record, a DHCP lease that moved), sends
//! discovery and the console elsewhere.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use super::dns_path::{forward, Forward};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::DnsAmtFqdn, FactId::AmtHostname, FactId::AmtDomain],
            triggers: &[FactId::DnsAmtFqdn],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let dns = cx.parsed.record.dns.as_ref();
        let (lookup, leads) = match forward(dns, FactId::DnsAmtFqdn, |d| d.amt_fqdn.as_ref()) {
            Ok(judged) => judged,
            Err(outcome) => return outcome,
        };
        let name = super::clip(&lookup.name);
        let message = match leads {
            Forward::ToDevice => return Outcome::pass(),
            Forward::Elsewhere { addresses, scanned } => format!(
                "AMT's FQDN {name} resolves elsewhere: {addresses}, not {scanned} where the device answered"
            ),
            Forward::Nowhere { scanned } => format!(
                "AMT's FQDN {name} does not resolve, so Configuration Manager cannot reach the device at {scanned} by name"
            ),
        };
        Outcome::findings(vec![cx.finding(message)])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::{json, Value};

    fn run(lookup: Value) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-provisioning-path").unwrap();
        run_in(policy, "PATH-AMT-FQDN", json!({"target": "t",
            "amt": {"hostname": "amt1", "domain": "corp.example.com"},
            "dns": {"scanned_address": "10.0.0.21", "amt_fqdn": lookup}}))
    }

    #[test]
    fn the_fqdn_must_hold_the_scanned_address() {
        let ok = run(json!({"name": "amt1.corp.example.com", "answer": "found", "addresses": ["10.0.0.5", "10.0.0.21"]}));
        assert!(ok.findings.is_empty() && ok.missing.is_empty());
        let stale = run(json!({"name": "amt1.corp.example.com", "answer": "found", "addresses": ["10.0.0.5"]}));
        assert_eq!(rules(&stale), ["PATH-AMT-FQDN"]);
        assert!(stale.findings[0].message.contains("resolves elsewhere: 10.0.0.5, not 10.0.0.21"));
        let none = run(json!({"name": "amt1.corp.example.com", "answer": "no_record"}));
        assert!(none.findings[0].message.contains("does not resolve"));
        let failed = run(json!({"name": "amt1.corp.example.com", "answer": "failed", "error": "refused"}));
        assert!(failed.findings.is_empty());
        assert_eq!(failed.missing, ["dns.amt_fqdn (amt1.corp.example.com: refused)"]);
    }
}
