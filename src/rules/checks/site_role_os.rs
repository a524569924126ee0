//! `site-role-os`: a site system role runs on an OS its column of the core or
//! feature-specific site system table supports (and the row's notes apply).

use serde::Deserialize;

use super::{clip, Check, Ctx, Outcome};
use crate::rules::candidates::{decide, Concrete, Judged, OsFact};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::finding::Finding;
use crate::rules::data::SiteRole;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The role whose OS fact is checked. Absent: every role in `site.role_os`.
    #[serde(default)]
    pub role: Option<SiteRole>,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        match self.role {
            Some(SiteRole::Console) => FactUse::same(&[FactId::SiteConsoleOs]),
            Some(SiteRole::OutOfBandServicePoint) => FactUse {
                reads: &[FactId::SiteServicePointOs, FactId::SiteServicePointKbs],
                triggers: &[FactId::SiteServicePointOs],
                always: false,
            },
            Some(SiteRole::PrimarySiteServer) => FactUse::same(&[FactId::SiteSiteServerOs]),
            _ => FactUse {
                reads: &[FactId::SiteRoleOs, FactId::SiteKbs],
                triggers: &[FactId::SiteRoleOs],
                always: false,
            },
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let parsed = cx.parsed;
        let site = parsed.site;
        let mut targets: Vec<(String, SiteRole, &OsFact)> = Vec::new();
        let mut lacking = Vec::new();
        match self.role {
            Some(SiteRole::Console) => targets.push((
                FactId::SiteConsoleOs.missing(),
                SiteRole::Console,
                &parsed.console_os,
            )),
            Some(SiteRole::OutOfBandServicePoint) => targets.push((
                FactId::SiteServicePointOs.missing(),
                SiteRole::OutOfBandServicePoint,
                &parsed.service_point_os,
            )),
            Some(SiteRole::PrimarySiteServer) => targets.push((
                FactId::SiteSiteServerOs.missing(),
                SiteRole::PrimarySiteServer,
                &parsed.site_server_os,
            )),
            other => {
                for entry in &parsed.role_os {
                    match entry.role {
                        Some(role) if Some(role) != other || other.is_none() => targets.push((
                            format!("{}.{}", FactId::SiteRoleOs, role.as_str()),
                            role,
                            &entry.os,
                        )),
                        Some(_) => {}
                        None => lacking.push(FactId::SiteRoleOs.missing_because(format_args!(
                            "unrecognised role `{}`",
                            clip(entry.key)
                        ))),
                    }
                }
            }
        }
        let mut findings = Vec::new();
        for (name, role, os) in targets {
            let kbs = if role == SiteRole::OutOfBandServicePoint {
                site.service_point_kbs.as_deref()
            } else {
                site.site_kbs.as_deref()
            };
            match os {
                OsFact::Absent => lacking.push(name),
                OsFact::Unrecognised => lacking.push(format!("{name} (unrecognised)")),
                OsFact::Known(c) => {
                    match decide(&c.all(), &c.unknown, |os| row_check(cx, role, os, kbs)) {
                        Judged::Decided(found) => findings.extend(found),
                        Judged::Undecided(more) => lacking.extend(more),
                    }
                }
            }
        }
        Outcome {
            findings,
            missing: lacking,
        }
    }
}

fn row_check(cx: &Ctx<'_>, role: SiteRole, os: &Concrete, kbs: Option<&[String]>) -> Vec<Finding> {
    let row = cx
        .policy
        .site_os
        .iter()
        .find(|r| r.table == role.table() && r.os.matches(os));
    match row {
        Some(row) if row.supported_roles.contains(&role) => {
            cx.note_findings(&row.notes, os, Some(role), kbs)
        }
        Some(row) => vec![cx.finding(format!(
            "the {} role is not supported on {} (seed row \"{}\"; {})",
            role.as_str(),
            os.describe(),
            row.seed,
            row.reading
        ))],
        None => vec![cx.finding(format!(
            "the {} role is not supported on {}: no row of the site system table lists it",
            role.as_str(),
            os.describe()
        ))],
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    #[test]
    fn service_point_footnote_and_kb() {
        let r = |os: &str, kbs: serde_json::Value| {
            run(
                "SITE-OOB-SP-OS",
                json!({"target": "t", "site": {"service_point_os": os, "service_point_kbs": kbs}}),
            )
        };
        let without = r("Windows Server 2003 Enterprise SP2", json!([]));
        assert!(!without.findings.is_empty(), "{without:?}");
        let with = r("Windows Server 2003 Enterprise SP2", json!(["KB942841"]));
        assert!(with.findings.iter().all(|f| f.severity != crate::rules::Severity::Error));
        assert!(rules(&r("Windows Server 2003 Enterprise SP1", json!([]))).contains(&"SITE-OOB-SP-OS"));
    }

    #[test]
    fn other_roles_from_the_map() {
        let out = run(
            "SITE-ROLE-OS",
            json!({"target": "t", "site": {"role_os": {"pxe": "2003 SP2", "management-point": "Windows 2000 SP4"}}}),
        );
        assert_eq!(out.missing, ["site.role_os (unrecognised role `pxe`)"]);
        assert_eq!(rules(&out), ["SITE-ROLE-OS"]);
    }
}
