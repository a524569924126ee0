//! Host facts from outside AMT: inventory exports joined to the scan
//! (`--host-facts`), and the strict reading of hand-written facts records.
//!
//! Facts from several sources meet in one [`HostFacts`]: the record itself
//! (`file`), an inventory row (`inventory`), Windows over WinRM (`winrm`).
//! [`merge`] keeps each fact's source and reports a disagreement instead of
//! letting one source silently win.

pub(crate) mod inventory;
pub(crate) mod windows;

use serde_json::Value;

use crate::facts::{FactSource, HostFacts};
use crate::os::{parse_os, parse_service_pack, Arch};

pub use inventory::{HeldSilent, Inventory, Settled};

/// Adds `incoming` (all from `source`) to `host`. A fact the host lacks is
/// taken; one from the same source is replaced (a newer export); one from
/// another source that agrees is kept; one that disagrees becomes unknown,
/// and the disagreement is recorded in `conflicts`.
pub fn merge(host: &mut HostFacts, incoming: &HostFacts, source: FactSource) {
    // A fact the source could not settle itself (two inventory rows that
    // disagree) stays unsettled here: another source's value must not win
    // over a dispute it never saw.
    for conflict in &incoming.conflicts {
        let key = conflict_key(conflict);
        if is_disputed(&host.conflicts, key) {
            continue;
        }
        host.conflicts.push(conflict.clone());
        if forget(host, key) {
            host.sources.remove(key);
        }
    }
    macro_rules! field {
        ($name:ident, $same:expr) => {
            if let Some(value) = &incoming.$name {
                let key = stringify!($name);
                merge_one(host, key, value, source, $same, |h| &mut h.$name);
            }
        };
    }
    field!(os, |a: &String, b: &String| same_os(a, b));
    field!(service_pack, |a: &String, b: &String| parse_service_pack(a)
        == parse_service_pack(b)
        && parse_service_pack(a).is_some()
        || norm(a) == norm(b));
    field!(architecture, |a: &String, b: &String| Arch::parse(a)
        .zip(Arch::parse(b))
        .is_some_and(|(x, y)| x == y)
        || norm(a) == norm(b));
    field!(edition, |a: &String, b: &String| norm(a) == norm(b));
    field!(server_core, |a: &bool, b: &bool| a == b);
    field!(rras_running, |a: &bool, b: &bool| a == b);
    field!(ics_enabled, |a: &bool, b: &bool| a == b);
    field!(inband_provisioning, |a: &bool, b: &bool| a == b);
    field!(kbs, |a: &Vec<String>, b: &Vec<String>| {
        let n = |v: &Vec<String>| {
            let mut v: Vec<String> = v.iter().map(|s| norm(s)).collect();
            v.sort();
            v
        };
        n(a) == n(b)
    });
}

/// The fact a `host.conflicts` line is about: its text before the first
/// `:` (`rras_running: winrm says true, inventory says false`).
pub(crate) fn conflict_key(line: &str) -> &str {
    line.split(':').next().unwrap_or("")
}

/// Whether `conflicts` holds a dispute about the fact `key`.
pub(crate) fn is_disputed(conflicts: &[String], key: &str) -> bool {
    conflicts.iter().any(|c| conflict_key(c) == key)
}

/// Clears the fact named `key`; false when `key` names no fact (an
/// address dispute, say).
fn forget(host: &mut HostFacts, key: &str) -> bool {
    match key {
        "os" => host.os = None,
        "service_pack" => host.service_pack = None,
        "architecture" => host.architecture = None,
        "edition" => host.edition = None,
        "server_core" => host.server_core = None,
        "rras_running" => host.rras_running = None,
        "ics_enabled" => host.ics_enabled = None,
        "inband_provisioning" => host.inband_provisioning = None,
        "kbs" => host.kbs = None,
        _ => return false,
    }
    true
}

fn merge_one<T: Clone + std::fmt::Debug>(
    host: &mut HostFacts,
    key: &str,
    value: &T,
    source: FactSource,
    same: impl Fn(&T, &T) -> bool,
    slot: impl Fn(&mut HostFacts) -> &mut Option<T>,
) {
    if is_disputed(&host.conflicts, key) {
        return;
    }
    let had = host.sources.get(key).copied().unwrap_or(FactSource::File);
    let current = slot(host).clone();
    match current {
        None => {
            *slot(host) = Some(value.clone());
            host.sources.insert(key.to_string(), source);
        }
        Some(_) if had == source => {
            *slot(host) = Some(value.clone());
        }
        Some(old) if same(&old, value) => {}
        Some(old) => {
            let line = format!(
                "{key}: {had} says {}, {source} says {}",
                show(&old),
                show(value)
            );
            host.conflicts.push(crate::text::clean(&line).into_owned());
            *slot(host) = None;
            host.sources.remove(key);
        }
    }
}

fn show<T: std::fmt::Debug>(value: &T) -> String {
    let text = format!("{value:?}");
    let text = text.trim_start_matches('"').trim_end_matches('"');
    text.chars().take(80).collect()
}

fn norm(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// Two OS strings agree when they name the same family (and edition when
/// both say one): `Microsoft Windows XP Professional` and `xp-sp3` agree.
fn same_os(a: &str, b: &str) -> bool {
    match (parse_os(a, None, None, None), parse_os(b, None, None, None)) {
        (Some(x), Some(y)) => {
            x.family == y.family
                && (x.edition.is_none() || y.edition.is_none() || x.edition == y.edition)
        }
        _ => norm(a) == norm(b),
    }
}

/// The keys a facts record may carry: its own fields and what a report adds.
const RECORD_KEYS: &[&str] = &[
    "target",
    "status",
    "error",
    "amt",
    "host",
    "site",
    "credentials",
    "inventory_amt",
    "dns",
    "configmgr",
    "verdict",
    "findings",
    "missing",
    "not_checked",
    "kind",
];

/// The keys of a `host` object, with the WMI aliases.
const HOST_KEYS: &[&str] = &[
    "os",
    "service_pack",
    "architecture",
    "edition",
    "server_core",
    "rras_running",
    "ics_enabled",
    "inband_provisioning",
    "kbs",
    "sources",
    "conflicts",
    "unread",
    "Caption",
    "CSDVersion",
    "OSArchitecture",
];

/// Checks a facts record's keys (top level and `host`): an unknown one is an
/// error naming it, with the nearest known key when one is close. A typo
/// such as `hostt` must not leave a host judged without its facts.
pub fn check_record_keys(value: &Value) -> Result<(), String> {
    let Some(object) = value.as_object() else {
        return Ok(());
    };
    for key in object.keys() {
        unknown(key, RECORD_KEYS, "")?;
    }
    if let Some(host) = object.get("host").and_then(Value::as_object) {
        for key in host.keys() {
            unknown(key, HOST_KEYS, "host.")?;
        }
    }
    Ok(())
}

fn unknown(key: &str, known: &[&str], prefix: &str) -> Result<(), String> {
    if known.contains(&key) {
        return Ok(());
    }
    let shown = crate::text::clean(&key.chars().take(64).collect::<String>()).into_owned();
    let nearest = known
        .iter()
        .map(|k| {
            (
                strsim::damerau_levenshtein(&key.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                k,
            )
        })
        .min_by_key(|(d, _)| *d)
        .filter(|(d, _)| *d <= 3);
    Err(match nearest {
        Some((_, k)) => format!("unknown key `{prefix}{shown}` (did you mean `{prefix}{k}`?)"),
        None => format!(
            "unknown key `{prefix}{shown}` (known: {})",
            known.join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_are_named_with_a_suggestion() {
        let e = check_record_keys(&json!({"target": "t", "hostt": {}})).unwrap_err();
        assert_eq!(e, "unknown key `hostt` (did you mean `host`?)");
        let e =
            check_record_keys(&json!({"target": "t", "host": {"rras_runing": true}})).unwrap_err();
        assert!(
            e.contains("`host.rras_runing`") && e.contains("`host.rras_running`"),
            "{e}"
        );
        let ok = json!({"target": "t", "host": {"Caption": "Microsoft Windows XP Professional",
                        "CSDVersion": "Service Pack 3"}, "verdict": "ready"});
        assert!(check_record_keys(&ok).is_ok());
        let rec: crate::facts::FactsRecord = serde_json::from_value(ok).unwrap();
        let host = rec.host.unwrap();
        assert_eq!(
            host.os.as_deref(),
            Some("Microsoft Windows XP Professional")
        );
        assert_eq!(host.service_pack.as_deref(), Some("Service Pack 3"));
    }

    #[test]
    fn sources_agree_or_conflict_visibly() {
        let mut host = HostFacts {
            os: Some("xp-sp3".into()),
            rras_running: Some(false),
            ..HostFacts::default()
        };
        let inv = HostFacts {
            os: Some("Microsoft Windows XP Professional".into()),
            rras_running: Some(true),
            ics_enabled: Some(false),
            ..HostFacts::default()
        };
        merge(&mut host, &inv, FactSource::Inventory);
        assert_eq!(host.os.as_deref(), Some("xp-sp3"));
        assert_eq!(host.rras_running, None);
        assert_eq!(host.ics_enabled, Some(false));
        assert_eq!(
            host.conflicts,
            ["rras_running: file says false, inventory says true"]
        );
        assert_eq!(
            host.sources.get("ics_enabled"),
            Some(&FactSource::Inventory)
        );
        // A third source does not quietly settle a disputed fact.
        merge(&mut host, &inv, FactSource::Winrm);
        assert_eq!(host.rras_running, None);
        // The same source again replaces its own value.
        let newer = HostFacts {
            ics_enabled: Some(true),
            ..HostFacts::default()
        };
        merge(&mut host, &newer, FactSource::Inventory);
        assert_eq!(host.ics_enabled, Some(true));
    }
}
