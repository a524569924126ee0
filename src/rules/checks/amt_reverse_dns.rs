//! `amt-reverse-dns`: the reverse record of the address a device answered at,
//! beside AMT's FQDN. Configuration Manager does not look it up, so a missing
//! one is no finding; one naming another computer is a stale record that
//! misleads whoever follows the address (a warning).

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::dns::same_name;
use crate::facts::DnsAnswer;
use crate::rules::fact::{FactId, FactUse};
use super::dns_path::unanswered;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::DnsReverse, FactId::DnsAmtFqdn],
            triggers: &[FactId::DnsReverse],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let dns = cx.parsed.record.dns.as_ref();
        let (Some(reverse), Some(fqdn)) = (
            dns.and_then(|d| d.reverse.as_ref()),
            dns.and_then(|d| d.amt_fqdn.as_ref()),
        ) else {
            return Outcome::missing(vec![FactId::DnsReverse.missing()]);
        };
        match reverse.answer {
            DnsAnswer::Failed => unanswered(FactId::DnsReverse, reverse),
            DnsAnswer::NoRecord => Outcome::pass(),
            DnsAnswer::Found if reverse.names.iter().any(|n| same_name(n, &fqdn.name)) => {
                Outcome::pass()
            }
            DnsAnswer::Found => Outcome::findings(vec![cx.finding(format!(
                "the reverse record of {} names {}, not AMT's FQDN {}: one of the two records is stale",
                super::clip(&reverse.name),
                super::clip(&reverse.names.join(", ")),
                super::clip(&fqdn.name)
            ))]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::{json, Value};

    fn run(reverse: Value) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-provisioning-path").unwrap();
        run_in(policy, "PATH-AMT-REVERSE", json!({"target": "t",
            "dns": {"scanned_address": "10.0.0.21",
                    "amt_fqdn": {"name": "amt1.corp.example.com", "answer": "found", "addresses": ["10.0.0.21"]},
                    "reverse": reverse}}))
    }

    #[test]
    fn a_reverse_record_naming_another_computer_is_a_warning() {
        let same = run(json!({"name": "10.0.0.21", "answer": "found", "names": ["AMT1.corp.example.com"]}));
        assert!(same.findings.is_empty() && same.missing.is_empty());
        let stale = run(json!({"name": "10.0.0.21", "answer": "found", "names": ["old-pc.corp.example.com"]}));
        assert_eq!(rules(&stale), ["PATH-AMT-REVERSE"]);
        assert_eq!(stale.findings[0].severity, crate::rules::Severity::Warning);
        assert!(stale.findings[0].message.contains("names old-pc.corp.example.com, not AMT's FQDN amt1.corp.example.com"));
        assert!(run(json!({"name": "10.0.0.21", "answer": "no_record"})).findings.is_empty());
        let failed = run(json!({"name": "10.0.0.21", "answer": "failed", "error": "timed out"}));
        assert_eq!(failed.missing, ["dns.reverse (10.0.0.21: timed out)"]);
    }
}
