//! `--site FILE`: the Configuration Manager site described once, in a small
//! TOML or JSON file, for `scan`, `validate`, `report` and `site`.
//!
//! The keys are the names of the `site` facts ([`SiteFacts`]), the same names
//! the `"kind": "site"` record carries, so a site record written by a scan can
//! be copied into a site file. The file is strict: an unknown key is an error
//! naming it (and its line, in TOML), with the closest known key when one is
//! close, because a misspelt key would otherwise leave a fact silently unset
//! and a rule silently unchecked. `site`'s flags override the file's values.

use std::path::Path;

use serde::Deserialize;

use crate::facts::SiteFacts;

/// Largest site file read: a site is a dozen short lines.
const MAX_BYTES: u64 = 1024 * 1024;

/// The keys a site file may hold, in the order docs/site.example.toml documents them.
pub const KEYS: &[&str] = &[
    "mode",
    "release",
    "upgrade_from",
    "service_point_os",
    "service_point_kbs",
    "site_server_os",
    "site_server_os_upgraded_from",
    "site_kbs",
    "console_os",
    "console_roles",
    "sql",
    "sql_upgraded_from",
    "role_os",
    "provision_server_name",
    "service_point_fqdn",
    "service_point_addresses",
];

/// Values `mode` may take (as `--site-mode`).
pub const MODES: &[&str] = &["mixed", "native"];
/// Values `release` may take (as `--release`).
pub const RELEASES: &[&str] = &["eval", "sp", "complete"];

/// What a user may have written for a key, mapped to the key: the flag
/// spellings (`site-mode`, `service-point-kb`) differ from the fact names.
const FLAG_SPELLINGS: &[(&str, &str)] = &[
    ("site_mode", "mode"),
    ("service_point_kb", "service_point_kbs"),
    ("site_kb", "site_kbs"),
    ("console_role", "console_roles"),
];

/// The file's shape, strict at every level a value could hide a typo.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    mode: Option<String>,
    release: Option<String>,
    upgrade_from: Option<String>,
    service_point_os: Option<String>,
    service_point_kbs: Option<Vec<String>>,
    site_server_os: Option<String>,
    site_server_os_upgraded_from: Option<String>,
    site_kbs: Option<Vec<String>>,
    console_os: Option<String>,
    console_roles: Option<Vec<String>>,
    sql: Option<String>,
    sql_upgraded_from: Option<String>,
    role_os: Option<std::collections::BTreeMap<String, String>>,
    provision_server_name: Option<String>,
    service_point_fqdn: Option<String>,
    service_point_addresses: Option<Vec<String>>,
}

impl From<SiteFile> for SiteFacts {
    fn from(f: SiteFile) -> SiteFacts {
        SiteFacts {
            mode: f.mode,
            console_os: f.console_os,
            service_point_os: f.service_point_os,
            service_point_kbs: f.service_point_kbs,
            sql: f.sql,
            upgrade_from: f.upgrade_from,
            release: f.release,
            site_server_os: f.site_server_os,
            site_server_os_upgraded_from: f.site_server_os_upgraded_from,
            sql_upgraded_from: f.sql_upgraded_from,
            console_roles: f.console_roles,
            role_os: f.role_os,
            site_kbs: f.site_kbs,
            provision_server_name: f.provision_server_name,
            service_point_fqdn: f.service_point_fqdn,
            service_point_addresses: f.service_point_addresses,
        }
    }
}

/// The known key closest to `key`, when one is close enough to be a typo.
pub fn suggest(key: &str) -> Option<&'static str> {
    let norm = key.trim().to_ascii_lowercase().replace('-', "_");
    if let Some((_, to)) = FLAG_SPELLINGS.iter().find(|(from, _)| *from == norm) {
        return Some(to);
    }
    if let Some(known) = KEYS.iter().find(|k| **k == norm) {
        return Some(known);
    }
    KEYS.iter()
        .map(|k| (strsim::damerau_levenshtein(&norm, k), *k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn unknown_key(origin: &str, line: Option<usize>, key: &str) -> String {
    let shown: String = crate::text::clean(key).chars().take(60).collect();
    let at = match line {
        Some(l) => format!("{origin}:{l}"),
        None => origin.to_string(),
    };
    let hint = match suggest(key) {
        Some(k) => format!(" (did you mean `{k}`?)"),
        None => format!(" (known keys: {})", KEYS.join(", ")),
    };
    format!("{at}: unknown key `{shown}` in the site file{hint}")
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map(|s| s.matches('\n').count() + 1)
        .unwrap_or(1)
}

/// Reads a site file: JSON when it starts with `{` (or is named `.json`),
/// TOML otherwise. Every error is one line naming the file.
pub fn load(path: &Path) -> Result<SiteFacts, String> {
    use std::io::Read;
    let origin = path.display().to_string();
    let file = bounded_read::TimedReader::open(path, bounded_read::READ_TIME)
        .map_err(|e| e.to_string())?;
    let mut text = String::new();
    file.take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {origin}: {e}"))?;
    if text.len() as u64 > MAX_BYTES {
        return Err(format!(
            "{origin}: larger than {MAX_BYTES} bytes: not a site file"
        ));
    }
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{');
    parse(&text, &origin, json)
}

/// Parses a site file's text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str, json: bool) -> Result<SiteFacts, String> {
    let file: SiteFile = if json {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("{origin}: not JSON: {}", one_line(&e.to_string())))?;
        let Some(map) = value.as_object() else {
            return Err(format!("{origin}: a site file is one JSON object"));
        };
        if let Some(key) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(unknown_key(origin, None, key));
        }
        serde_json::from_value(value)
            .map_err(|e| format!("{origin}: {}", one_line(&e.to_string())))?
    } else {
        let table = toml::de::DeTable::parse(text).map_err(|e| toml_error(text, origin, &e))?;
        for (key, _) in table.get_ref().iter() {
            if !KEYS.contains(&key.get_ref().as_ref()) {
                let line = line_of(text, key.span().start);
                return Err(unknown_key(origin, Some(line), key.get_ref()));
            }
        }
        toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?
    };
    let facts = SiteFacts::from(file);
    check_values(&facts).map_err(|e| format!("{origin}: {e}"))?;
    Ok(facts)
}

fn toml_error(text: &str, origin: &str, e: &toml::de::Error) -> String {
    let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
    format!("{origin}:{line}: {}", one_line(e.message()))
}

fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::text::clean(&s).chars().take(300).collect()
}

/// Values with a fixed set of spellings are checked here, as the flags are.
pub fn check_values(facts: &SiteFacts) -> Result<(), String> {
    let check = |key: &str, value: &Option<String>, allowed: &[&str]| match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(format!(
            "`{key}` is `{}`; it must be one of {}",
            one_line(v),
            allowed.join(", ")
        )),
        _ => Ok(()),
    };
    check("mode", &facts.mode, MODES)?;
    check("release", &facts.release, RELEASES)?;
    // A mistyped address would otherwise make every provisioning server
    // lookup "resolve elsewhere".
    for address in facts.service_point_addresses.iter().flatten() {
        if address.trim().parse::<std::net::IpAddr>().is_err() {
            return Err(format!(
                "`service_point_addresses` holds `{}`, which is not an IP address (give a name as `service_point_fqdn`)",
                one_line(address)
            ));
        }
    }
    for (key, value) in [
        ("provision_server_name", &facts.provision_server_name),
        ("service_point_fqdn", &facts.service_point_fqdn),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(format!("`{key}` is blank"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses_and_is_the_readme_example() {
        let example = include_str!("../docs/site.example.toml");
        let facts = parse(example, "docs/site.example.toml", false).unwrap();
        assert_eq!(facts.mode.as_deref(), Some("native"));
        assert_eq!(facts.release.as_deref(), Some("complete"));
        assert!(facts.console_os.is_some() && facts.service_point_os.is_some());
        assert!(facts.sql.is_some() && facts.upgrade_from.is_some());
        // The user guide shows the same file, so neither can drift from the other.
        let guide = include_str!("../docs/user-guide.md");
        assert!(
            guide.contains(example.trim_end()),
            "docs/user-guide.md must show docs/site.example.toml verbatim"
        );
        // And every key the file may hold is in the example, so none is undocumented.
        for key in KEYS {
            assert!(
                example.contains(&format!("{key} =")) || example.contains(&format!("# {key} =")),
                "{key} is not in the example"
            );
        }
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line_and_a_suggestion() {
        let e = parse(
            "mode = \"native\"\nconsle_os = \"Windows XP\"\n",
            "s.toml",
            false,
        )
        .unwrap_err();
        assert!(e.contains("s.toml:2"), "{e}");
        assert!(e.contains("`consle_os`"), "{e}");
        assert!(e.contains("did you mean `console_os`"), "{e}");
        let e = parse("site-mode = \"native\"\n", "s.toml", false).unwrap_err();
        assert!(e.contains("did you mean `mode`"), "{e}");
        let e = parse(r#"{"sql": "x", "zzzzzzzz": 1}"#, "s.json", true).unwrap_err();
        assert!(e.contains("`zzzzzzzz`") && e.contains("known keys"), "{e}");
        let e = parse("[site]\nmode = \"native\"\n", "s.toml", false).unwrap_err();
        assert!(e.contains("`site`"), "{e}");
    }

    #[test]
    fn values_are_checked_and_types_are_strict() {
        let e = parse("mode = \"hybrid\"\n", "s.toml", false).unwrap_err();
        assert!(e.contains("mixed, native"), "{e}");
        let e = parse("service_point_kbs = \"KB942841\"\n", "s.toml", false).unwrap_err();
        assert!(e.starts_with("s.toml:1"), "{e}");
        let e = parse("role_os = { reporting-point = 5 }\n", "s.toml", false).unwrap_err();
        assert!(e.contains("s.toml:1"), "{e}");
        let ok = parse(
            r#"{"mode": "mixed", "role_os": {"reporting-point": "Windows Server 2003 SP2"}}"#,
            "s.json",
            true,
        )
        .unwrap();
        assert_eq!(ok.role_os.unwrap().len(), 1);
        assert!(parse("not toml = = =", "s.toml", false).is_err());
        assert!(parse("[1]", "s.json", true).is_err());
    }
}
