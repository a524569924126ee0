//! A facts record read once: every OS, SQL Server and product string parsed a
//! single time, before any rule runs, and expanded into candidates where an
//! attribute is unknown. Checks read these typed values, never the strings.

use super::candidates::{candidates, push_unique, OsCandidates, OsFact};
use super::data::{OsMatch, PolicyData, SiteRole};
use super::fact::FactId;
use super::os::{parse_edition, parse_os, parse_service_pack, Arch, Os, OsFamily};
use super::product::{parse_upgrade_source, Release, UpgradeSource};
use super::sql::{parse_sql, Sql};
use super::version::Version;
use crate::facts::{FactsRecord, HostFacts, SiteFacts};

/// A string fact: absent (or blank), or present and parsed (`None` when the
/// parser could not place it).
#[derive(Debug, Clone, PartialEq)]
pub enum Text<'a, T> {
    Absent,
    Present { text: &'a str, value: Option<T> },
}

impl<'a, T> Text<'a, T> {
    fn read(raw: Option<&'a String>, parse: impl FnOnce(&str) -> Option<T>) -> Self {
        match non_empty(raw) {
            None => Text::Absent,
            Some(text) => Text::Present {
                text,
                value: parse(text),
            },
        }
    }

    /// The parsed value, when present and recognised.
    pub fn value(&self) -> Option<&T> {
        match self {
            Text::Present { value, .. } => value.as_ref(),
            Text::Absent => None,
        }
    }

    /// The raw text, when present.
    pub fn text(&self) -> Option<&'a str> {
        match self {
            Text::Present { text, .. } => Some(text),
            Text::Absent => None,
        }
    }
}

/// One entry of `site.role_os`.
#[derive(Debug, Clone)]
pub struct RoleOs<'a> {
    /// The key as written.
    pub key: &'a str,
    pub role: Option<SiteRole>,
    pub text: &'a str,
    /// Candidates, when the role is known (the unknowns name the role).
    pub os: OsFact,
}

/// The parsed view of one record.
#[derive(Debug)]
pub struct Parsed<'a> {
    pub record: &'a FactsRecord,
    /// `site`, or an empty one, so checks need not care which.
    pub site: &'a SiteFacts,
    pub host_os: OsFact,
    pub console_os: OsFact,
    pub service_point_os: OsFact,
    pub site_server_os: OsFact,
    pub site_server_os_upgraded_from: Text<'a, Os>,
    pub role_os: Vec<RoleOs<'a>>,
    pub sql: Text<'a, Sql>,
    pub sql_upgraded_from: Text<'a, Sql>,
    pub upgrade_from: Text<'a, UpgradeSource>,
    pub release: Text<'a, Release>,
    /// `amt.version` as a version.
    pub amt_version: Text<'a, Version>,
}

static EMPTY_SITE: std::sync::LazyLock<SiteFacts> = std::sync::LazyLock::new(SiteFacts::default);

impl<'a> Parsed<'a> {
    /// Parses every string of `record` once. `policy` supplies the editions
    /// its tables name, the domain of an unknown edition.
    pub fn new(policy: &PolicyData, record: &'a FactsRecord) -> Parsed<'a> {
        let site = record.site.as_ref().unwrap_or(&EMPTY_SITE);
        let role_os = site
            .role_os
            .iter()
            .flatten()
            .map(|(key, text)| {
                let role = SiteRole::parse(key);
                let os = match role {
                    Some(role) => site_os(
                        policy,
                        &format!("{}.{}", FactId::SiteRoleOs, role.as_str()),
                        Some(text),
                    ),
                    None => OsFact::Absent,
                };
                RoleOs {
                    key,
                    role,
                    text,
                    os,
                }
            })
            .collect();
        Parsed {
            record,
            site,
            host_os: host_os(policy, record.host.as_ref()),
            console_os: site_os(
                policy,
                FactId::SiteConsoleOs.name(),
                site.console_os.as_ref(),
            ),
            service_point_os: site_os(
                policy,
                FactId::SiteServicePointOs.name(),
                site.service_point_os.as_ref(),
            ),
            site_server_os: site_os(
                policy,
                FactId::SiteSiteServerOs.name(),
                site.site_server_os.as_ref(),
            ),
            site_server_os_upgraded_from: Text::read(
                site.site_server_os_upgraded_from.as_ref(),
                |t| parse_os(t, None, None, None),
            ),
            role_os,
            sql: Text::read(site.sql.as_ref(), parse_sql),
            sql_upgraded_from: Text::read(site.sql_upgraded_from.as_ref(), parse_sql),
            upgrade_from: Text::read(site.upgrade_from.as_ref(), parse_upgrade_source),
            release: Text::read(site.release.as_ref(), Release::parse),
            amt_version: match record.amt.as_ref().and_then(|a| a.version.as_ref()) {
                Some(v) if !v.trim().is_empty() => Text::Present {
                    text: v.trim(),
                    value: v.version().cloned(),
                },
                _ => Text::Absent,
            },
        }
    }

    /// The host facts, if any.
    pub fn host(&self) -> Option<&'a HostFacts> {
        self.record.host.as_ref()
    }
}

/// Trimmed, non-blank text.
pub(crate) fn non_empty(value: Option<&String>) -> Option<&str> {
    value.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn host_os(policy: &PolicyData, host: Option<&HostFacts>) -> OsFact {
    let Some(host) = host else {
        return OsFact::Absent;
    };
    let Some(text) = non_empty(host.os.as_ref()) else {
        return OsFact::Absent;
    };
    let Some(parsed) = parse_os(text, None, None, None) else {
        return OsFact::Unrecognised;
    };
    let family = parsed.family;
    let mut unknown = Vec::new();

    let service_packs = candidates(
        parsed.service_pack,
        host.service_pack.as_deref().and_then(parse_service_pack),
        FactId::HostServicePack.name(),
        || family.service_packs(),
        &mut unknown,
    );
    let archs = candidates(
        parsed.arch,
        host.architecture.as_deref().and_then(Arch::parse),
        FactId::HostArchitecture.name(),
        || family.archs(),
        &mut unknown,
    );
    let editions = candidates(
        parsed.edition.map(Some),
        non_empty(host.edition.as_ref()).map(|field| parse_edition(family, field)),
        FactId::HostEdition.name(),
        || edition_domain(policy, family, false),
        &mut unknown,
    );

    let mut contradictions = Vec::new();
    let sp_range = family.service_packs();
    for sp in &service_packs {
        if !sp_range.contains(sp) {
            contradictions.push(FactId::HostServicePack.missing_because(format_args!(
                "SP{sp} was never released for {}",
                family.display_name()
            )));
        }
    }
    let arch_range = family.archs();
    for arch in &archs {
        if !arch_range.contains(arch) {
            contradictions.push(FactId::HostArchitecture.missing_because(format_args!(
                "{} was never built for {}",
                family.display_name(),
                arch.as_str()
            )));
        }
    }

    let cores = candidates(
        parsed.server_core,
        host.server_core,
        FactId::HostServerCore.name(),
        || family.server_core_options(),
        &mut unknown,
    );
    OsFact::Known(OsCandidates {
        family,
        editions,
        service_packs,
        archs,
        cores,
        unknown,
        contradictions,
    })
}

/// Every edition the policy names for a family, plus "another edition".
/// For single-string site facts (`site_only`), only the editions the site
/// tables name: a string such as `Windows Server 2003 SP2` is read as one of
/// the server editions a site runs on (see the policy file's header note).
fn edition_domain(policy: &PolicyData, family: OsFamily, site_only: bool) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    let mut add = |m: &OsMatch| {
        if m.family == family {
            for e in &m.editions {
                push_unique(&mut out, Some(e.clone()));
            }
        }
    };
    if site_only {
        policy.site_os.iter().for_each(|r| add(&r.os));
        if out.is_empty() {
            out.push(None);
        }
    } else {
        policy.client_os.iter().for_each(|r| add(&r.os));
        policy.mobile_os.iter().for_each(|r| add(&r.os));
        policy.site_os.iter().for_each(|r| add(&r.os));
        out.push(None);
    }
    out
}

/// A single-string OS fact from the site side (`Windows Server 2003 SP2`).
fn site_os(policy: &PolicyData, name: &str, text: Option<&String>) -> OsFact {
    let Some(text) = non_empty(text) else {
        return OsFact::Absent;
    };
    let Some(parsed) = parse_os(text, None, None, None) else {
        return OsFact::Unrecognised;
    };
    let family = parsed.family;
    let mut unknown = Vec::new();
    let service_packs = match parsed.service_pack {
        Some(sp) => vec![sp],
        None => {
            unknown.push(format!("{name} (service pack)"));
            family.service_packs()
        }
    };
    let archs = parsed
        .arch
        .map(|a| vec![a])
        .unwrap_or_else(|| family.implied_archs());
    if archs.len() > 1 {
        unknown.push(format!("{name} (architecture)"));
    }
    let editions = match parsed.edition {
        Some(edition) => vec![Some(edition)],
        None => {
            unknown.push(format!("{name} (edition)"));
            edition_domain(policy, family, true)
        }
    };
    let cores = vec![parsed.server_core.unwrap_or(false)];
    OsFact::Known(OsCandidates {
        family,
        editions,
        service_packs,
        archs,
        cores,
        unknown,
        contradictions: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Policy;

    #[test]
    fn strings_are_parsed_once_into_typed_values() {
        let record: FactsRecord = serde_json::from_value(serde_json::json!({
            "target": "t",
            "host": {"os": "xp-sp3"},
            "site": {"sql": "SQL Server 2005 Enterprise SP2 x64", "release": "full",
                     "console_os": "Ubuntu", "role_os": {"reporting-point": "2003 SP2", "bogus": "x"}}
        }))
        .unwrap();
        let parsed = Parsed::new(Policy::builtin(), &record);
        match &parsed.host_os {
            OsFact::Known(c) => {
                assert_eq!(c.family, OsFamily::WindowsXp);
                assert_eq!(c.service_packs, vec![3]);
                assert!(c.unknown.contains(&"host.architecture".to_string()));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parsed.console_os, OsFact::Unrecognised));
        assert!(matches!(parsed.site_server_os, OsFact::Absent));
        assert_eq!(parsed.release.value(), Some(&Release::Complete));
        assert!(parsed.sql.value().is_some());
        assert_eq!(parsed.upgrade_from, Text::Absent);
        assert_eq!(parsed.role_os.len(), 2);
        assert!(parsed.role_os.iter().any(|r| r.role.is_none()));
    }
}
