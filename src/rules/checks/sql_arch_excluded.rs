//! `sql-arch-excluded`: the site database is not on an excluded platform
//! (Itanium).

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::os::Arch;
use crate::rules::parsed::Text;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Architectures the site database may not run on.
    pub archs: Vec<Arch>,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::SiteSql])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        match &cx.parsed.sql {
            Text::Present {
                value: Some(sql), ..
            } => match sql.arch {
                Some(arch) if self.archs.contains(&arch) => Outcome::findings(vec![cx.finding(
                    format!(
                        "the site database on {} {} is not supported",
                        sql.version.display_name(),
                        arch.as_str()
                    ),
                )]),
                Some(_) => Outcome::pass(),
                None => Outcome::missing(vec![FactId::SiteSql.missing_because("architecture")]),
            },
            Text::Present { value: None, .. } => {
                Outcome::missing(vec![FactId::SiteSql.missing_because("unrecognised")])
            }
            Text::Absent => Outcome::missing(vec![FactId::SiteSql.missing()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    #[test]
    fn itanium_is_excluded() {
        let r = |sql: &str| run("SQL-ITANIUM", json!({"target": "t", "site": {"sql": sql}}));
        assert_eq!(rules(&r("SQL Server 2005 Enterprise SP2 IA64")), ["SQL-ITANIUM"]);
        assert!(r("SQL Server 2005 Enterprise SP2 x64").findings.is_empty());
        assert_eq!(r("SQL Server 2005").missing, ["site.sql (architecture)"]);
    }
}
