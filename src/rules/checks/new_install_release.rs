//! `new-install-release`: a new installation on the listed OS families or SQL
//! Server releases uses the required SP1 release (the complete one).

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::candidates::OsFact;
use crate::rules::fact::{FactId, FactUse};
use crate::rules::os::OsFamily;
use crate::rules::product::{Release, UpgradeSource};
use crate::rules::sql::SqlVersion;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Site server OS families that need the release.
    #[serde(default)]
    pub families: Vec<OsFamily>,
    /// SQL Server releases that need it.
    #[serde(default)]
    pub sql_versions: Vec<SqlVersion>,
    /// The release required (default: complete).
    #[serde(default)]
    pub release: Option<Release>,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[
                FactId::SiteUpgradeFrom,
                FactId::SiteRelease,
                FactId::SiteSiteServerOs,
                FactId::SiteSql,
            ],
            triggers: &[FactId::SiteUpgradeFrom, FactId::SiteRelease],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let parsed = cx.parsed;
        let source = parsed.upgrade_from.text().map(|_| parsed.upgrade_from.value());
        if let Some(Some(source)) = source {
            if *source != UpgradeSource::NewInstall {
                return Outcome::pass();
            }
        }
        let release = parsed.release.text().map(|_| parsed.release.value().copied());
        if release == Some(Some(self.release.unwrap_or(Release::Complete))) {
            return Outcome::pass();
        }
        let server = match &parsed.site_server_os {
            OsFact::Known(c) => Some(self.families.contains(&c.family)),
            _ => None,
        };
        let sql = parsed
            .sql
            .value()
            .map(|s| self.sql_versions.contains(&s.version));
        if server == Some(false) && sql == Some(false) {
            return Outcome::pass();
        }
        let mut lacking = Vec::new();
        if !matches!(source, Some(Some(_))) {
            lacking.push(FactId::SiteUpgradeFrom.missing());
        }
        if !matches!(release, Some(Some(_))) {
            lacking.push(FactId::SiteRelease.missing());
        }
        let needs_complete = server == Some(true) || sql == Some(true);
        if !needs_complete {
            if server.is_none() {
                lacking.push(FactId::SiteSiteServerOs.missing());
            }
            if sql.is_none() {
                lacking.push(FactId::SiteSql.missing());
            }
        }
        if !lacking.is_empty() {
            return Outcome::missing(lacking);
        }
        let on = match (server, sql) {
            (Some(true), Some(true)) => "Windows Server 2008 and SQL Server 2008",
            (Some(true), _) => "Windows Server 2008",
            _ => "SQL Server 2008",
        };
        Outcome::findings(vec![cx.finding(format!(
            "a new installation on {on} must use the complete release, not the {}",
            release
                .flatten()
                .map(Release::display_name)
                .unwrap_or("chosen release")
        ))])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    #[test]
    fn new_installs_on_2008_need_the_complete_release() {
        let r = |site: serde_json::Value| run("NEW-INSTALL-RELEASE", json!({"target": "t", "site": site}));
        let site = |release: &str| json!({"upgrade_from": "none", "release": release,
            "site_server_os": "Windows Server 2008 Standard SP2 x64", "sql": "SQL Server 2005 Standard SP2 x64"});
        assert_eq!(rules(&r(site("sp"))), ["NEW-INSTALL-RELEASE"]);
        assert!(r(site("complete")).findings.is_empty());
        assert!(r(json!({"upgrade_from": "SMS 2003 SP3", "release": "sp"})).findings.is_empty());
        assert_eq!(
            r(json!({"upgrade_from": "none", "release": "sp"})).missing,
            ["site.site_server_os", "site.sql"]
        );
    }
}
