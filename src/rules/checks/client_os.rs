//! `client-os`: the host OS, edition, service pack and architecture match a
//! row of the computer client OS table (and the row's notes apply).

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::facts::HostFacts;
use crate::rules::candidates::{decide, Concrete, OsFact};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::finding::Finding;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// The facts that make up a host OS.
pub(crate) const HOST_OS: &[FactId] = &[
    FactId::HostOs,
    FactId::HostServicePack,
    FactId::HostArchitecture,
    FactId::HostEdition,
    FactId::HostServerCore,
];

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(HOST_OS)
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        match &cx.parsed.host_os {
            OsFact::Absent => Outcome::missing(vec![FactId::HostOs.missing()]),
            OsFact::Unrecognised => {
                Outcome::missing(vec![FactId::HostOs.missing_because("unrecognised")])
            }
            OsFact::Known(c) if c.family.is_mobile() => Outcome::pass(),
            OsFact::Known(c) if !c.contradictions.is_empty() => {
                Outcome::missing(c.contradictions.clone())
            }
            OsFact::Known(c) => Outcome::from_judged(decide(&c.all(), &c.unknown, |os| {
                client_os(cx, os, cx.parsed.host())
            })),
        }
    }
}

fn client_os(cx: &Ctx<'_>, c: &Concrete, host: Option<&HostFacts>) -> Vec<Finding> {
    let kbs = host.and_then(|h| h.kbs.as_deref());
    let table = &cx.policy.client_os;
    if let Some(row) = table.iter().find(|row| row.os.matches(c)) {
        return cx.note_findings(&row.notes, c, None, kbs);
    }
    let listed: Vec<&str> = table
        .iter()
        .filter(|r| r.os.family == c.family)
        .map(|r| r.seed.as_str())
        .collect();
    let message = if listed.is_empty() {
        format!("{} is not a supported client OS", c.describe())
    } else {
        format!(
            "{} is not a supported client OS (the table lists: {})",
            c.describe(),
            listed.join(" / ")
        )
    };
    vec![cx.finding(message)]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    fn host(os: &str) -> serde_json::Value {
        json!({"target": "t", "host": {"os": os, "server_core": false}})
    }

    #[test]
    fn rows_unknown_attributes_and_contradictions() {
        let xp3 = run("CLIENT-OS", host("Windows XP Professional SP3 x86"));
        assert!(xp3.findings.is_empty() && xp3.missing.is_empty(), "{xp3:?}");
        let xp1 = run("CLIENT-OS", host("Windows XP Professional SP1 x86"));
        assert_eq!(rules(&xp1), ["CLIENT-OS"]);
        // XP without a service pack could be SP1 (unsupported) or SP3.
        let xp = run("CLIENT-OS", host("Windows XP Professional x86"));
        assert!(xp.missing.contains(&"host.service_pack".to_string()), "{xp:?}");
        let bogus = run("CLIENT-OS", host("Windows Vista Business SP2 IA64"));
        assert!(bogus.missing[0].starts_with("host.architecture ("), "{bogus:?}");
        assert_eq!(run("CLIENT-OS", host("BeOS")).missing, ["host.os (unrecognised)"]);
        assert!(run("CLIENT-OS", host("Windows Mobile 6 Professional")).missing.is_empty());
    }
}
