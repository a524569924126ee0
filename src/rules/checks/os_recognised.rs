//! `os-recognised`: every OS string in the record is one the rules can place.
//! An OS the rules cannot recognise is a finding, never silently supported.

use serde::Deserialize;

use super::{clip, is_none_word, Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::os::parse_os;
use crate::rules::parsed::non_empty;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

const FACTS: &[FactId] = &[
    FactId::HostOs,
    FactId::SiteConsoleOs,
    FactId::SiteServicePointOs,
    FactId::SiteSiteServerOs,
    FactId::SiteSiteServerOsUpgradedFrom,
    FactId::SiteRoleOs,
];

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(FACTS)
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let record = cx.parsed.record;
        let mut strings: Vec<(String, &str)> = Vec::new();
        if let Some(text) = record.host.as_ref().and_then(|h| non_empty(h.os.as_ref())) {
            strings.push((FactId::HostOs.missing(), text));
        }
        if let Some(site) = record.site.as_ref() {
            let named = [
                (FactId::SiteConsoleOs, site.console_os.as_ref()),
                (FactId::SiteServicePointOs, site.service_point_os.as_ref()),
                (FactId::SiteSiteServerOs, site.site_server_os.as_ref()),
                (
                    FactId::SiteSiteServerOsUpgradedFrom,
                    site.site_server_os_upgraded_from.as_ref(),
                ),
            ];
            for (fact, value) in named {
                if let Some(text) = non_empty(value) {
                    if !(fact == FactId::SiteSiteServerOsUpgradedFrom && is_none_word(text)) {
                        strings.push((fact.missing(), text));
                    }
                }
            }
            for role in &cx.parsed.role_os {
                strings.push((format!("{}.{}", FactId::SiteRoleOs, clip(role.key)), role.text));
            }
        }
        let mut findings = Vec::new();
        let mut lacking = Vec::new();
        for (name, text) in strings {
            if parse_os(text, None, None, None).is_none() {
                findings.push(cx.finding(format!(
                    "unknown OS: `{}` ({name}) is not an OS the rules recognise",
                    clip(text)
                )));
                lacking.push(format!("{name} (unrecognised)"));
            }
        }
        Outcome {
            findings,
            missing: lacking,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::run;
    use serde_json::json;

    #[test]
    fn unknown_strings_are_findings_and_missing() {
        let out = run(
            "HOST-OS-UNKNOWN",
            json!({"target": "t", "host": {"os": "Ubuntu 22.04"},
                   "site": {"site_server_os_upgraded_from": "none",
                            "role_os": {"reporting-point": "BeOS"}}}),
        );
        assert_eq!(out.findings.len(), 2);
        assert_eq!(
            out.missing,
            ["host.os (unrecognised)", "site.role_os.reporting-point (unrecognised)"]
        );
        let ok = run("HOST-OS-UNKNOWN", json!({"target": "t", "host": {"os": "xp-sp3"}}));
        assert!(ok.findings.is_empty() && ok.missing.is_empty());
    }
}
