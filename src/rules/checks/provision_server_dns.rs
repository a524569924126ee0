//! `provision-server-dns`: a device not yet provisioned finds its
//! provisioning server by the name set in its BIOS extensions
//! (`ProvisionServer` unless changed), completed with the DNS suffix AMT has:
//! the PKI DNS suffix first, else DHCP option 15. The name must resolve, and
//! to the out of band service point: a record pointing at another computer
//! fails provisioning and is a security risk. Without the service point in
//! the site file, only "it resolves" can be checked, so the rule says what it
//! cannot know instead of passing.

use serde::Deserialize;

use super::{provisioning_states, Check, Ctx, Outcome};
use crate::facts::{DnsAnswer, DnsLookup, ProvisioningState};
use crate::rules::candidates::decide;
use crate::rules::fact::{FactId, FactUse};
use super::dns_path::unanswered;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// `with the PKI DNS suffix` / `with the DHCP option 15 suffix`: which
/// suffix AMT completed the name with.
fn suffix_said(lookup: &DnsLookup) -> &'static str {
    match lookup.suffix_from.as_deref() {
        Some("amt.trusted_dns_suffix") => " (completed with AMT's PKI DNS suffix)",
        Some("amt.dhcp_dns_suffix") => " (completed with AMT's DHCP option 15 suffix)",
        _ => "",
    }
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[
                FactId::DnsProvisionServer,
                FactId::DnsServicePoint,
                FactId::AmtProvisioningState,
            ],
            triggers: &[FactId::DnsProvisionServer],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let dns = cx.parsed.record.dns.as_ref();
        let Some(lookup) = dns.and_then(|d| d.provision_server.as_ref()) else {
            return Outcome::missing(vec![FactId::DnsProvisionServer.missing()]);
        };
        let name = super::clip(&lookup.name);
        let via = suffix_said(lookup);
        let problem = match lookup.answer {
            DnsAnswer::Failed => return unanswered(FactId::DnsProvisionServer, lookup),
            DnsAnswer::NoRecord => format!(
                "the provisioning server name {name}{via} does not resolve, so AMT cannot find the out of band service point (and its AMT status stays Unknown)"
            ),
            DnsAnswer::Found => {
                let service_point = dns.and_then(|d| d.service_point.as_ref());
                match service_point {
                    None => {
                        return Outcome::missing(vec![FactId::DnsServicePoint.missing_because(format!(
                            "{name}{via} resolves to {}, but the site file names no service point \
                             (service_point_fqdn or service_point_addresses) to check that it is the right computer",
                            list(&lookup.addresses)
                        ))])
                    }
                    Some(sp) if sp.addresses.is_empty() => {
                        return Outcome::missing(vec![FactId::DnsServicePoint.missing_because(format!(
                            "{name}{via} resolves to {}; the service point's own address is unknown: {}",
                            list(&lookup.addresses),
                            super::clip(sp.unresolved.as_deref().unwrap_or("no address"))
                        ))])
                    }
                    Some(sp) => {
                        let elsewhere: Vec<_> = lookup
                            .addresses
                            .iter()
                            .filter(|a| !sp.addresses.contains(a))
                            .collect();
                        if elsewhere.is_empty() {
                            return Outcome::pass();
                        }
                        format!(
                            "the provisioning server name {name}{via} resolves elsewhere: {} (the out of band service point is {})",
                            list(&elsewhere),
                            list(&sp.addresses)
                        )
                    }
                }
            }
        };
        let (states, unknown) = provisioning_states(cx);
        Outcome::from_judged(decide(&states, &unknown, |state| {
            if *state == ProvisioningState::Post {
                Vec::new()
            } else {
                vec![cx.finding(problem.clone())]
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::{json, Value};

    fn run(state: Option<&str>, dns: Value) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-provisioning-path").unwrap();
        let mut amt = json!({"version": "7.1.91"});
        if let Some(state) = state {
            amt["provisioning_state"] = json!(state);
        }
        run_in(policy, "PATH-PROVISION-SERVER", json!({"target": "t", "amt": amt, "dns": dns}))
    }

    fn lookup(answer: &str, addresses: &[&str]) -> Value {
        json!({"name": "ProvisionServer.corp.example.com", "suffix_from": "amt.dhcp_dns_suffix",
               "answer": answer, "addresses": addresses})
    }

    #[test]
    fn resolving_to_the_service_point_passes_and_elsewhere_fails_with_the_addresses() {
        let sp = json!({"addresses": ["10.0.0.10"], "fqdn": "oobsp.corp.example.com"});
        let ok = run(Some("pre"), json!({"provision_server": lookup("found", &["10.0.0.10"]), "service_point": sp}));
        assert!(ok.findings.is_empty() && ok.missing.is_empty(), "{ok:?}");
        let bad = run(Some("pre"), json!({"provision_server": lookup("found", &["10.0.0.10", "10.9.9.9"]), "service_point": sp}));
        assert_eq!(rules(&bad), ["PATH-PROVISION-SERVER"]);
        let message = &bad.findings[0].message;
        assert!(message.contains("resolves elsewhere: 10.9.9.9"), "{message}");
        assert!(message.contains("DHCP option 15"), "{message}");
        assert!(!message.contains("10.9.9.9, 10.0.0.10"), "{message}");
    }

    #[test]
    fn no_record_fails_and_a_provisioned_device_is_not_judged() {
        let none = run(Some("in"), json!({"provision_server": lookup("no_record", &[])}));
        assert_eq!(rules(&none), ["PATH-PROVISION-SERVER"]);
        assert!(none.findings[0].message.contains("does not resolve"));
        assert!(run(Some("post"), json!({"provision_server": lookup("no_record", &[])})).findings.is_empty());
        let unknown_state = run(None, json!({"provision_server": lookup("no_record", &[])}));
        assert_eq!(unknown_state.missing, ["amt.provisioning_state"]);
    }

    #[test]
    fn failed_lookups_and_an_unknown_service_point_are_missing_never_a_pass() {
        let mut failed = lookup("failed", &[]);
        failed["error"] = json!("no answer from 127.0.0.1:9 within 3.0 s");
        let out = run(Some("pre"), json!({"provision_server": failed}));
        assert!(out.findings.is_empty());
        assert!(out.missing[0].starts_with("dns.provision_server (") && out.missing[0].contains("no answer"), "{out:?}");
        let out = run(Some("pre"), json!({"provision_server": lookup("found", &["10.0.0.10"])}));
        assert!(out.findings.is_empty());
        assert!(out.missing[0].starts_with("dns.service_point (") && out.missing[0].contains("resolves to 10.0.0.10"), "{out:?}");
        let out = run(Some("pre"), json!({"provision_server": lookup("found", &["10.0.0.10"]),
                                          "service_point": {"fqdn": "oobsp.corp.example.com", "unresolved": "oobsp.corp.example.com has no address record"}}));
        assert!(out.missing[0].contains("has no address record"), "{out:?}");
    }
}
