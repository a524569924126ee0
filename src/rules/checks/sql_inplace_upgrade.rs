//! `sql-inplace-upgrade`: an in-place SQL Server upgrade of the site database
//! follows a supported path (and that path's notes apply).

use serde::Deserialize;

use super::{is_none_word, Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::parsed::Text;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::SiteSqlUpgradedFrom, FactId::SiteSql, FactId::SiteKbs],
            triggers: &[FactId::SiteSqlUpgradedFrom],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let parsed = cx.parsed;
        let from = match &parsed.sql_upgraded_from {
            Text::Absent => return Outcome::pass(),
            Text::Present { text, .. } if is_none_word(text) => return Outcome::pass(),
            Text::Present { value: None, .. } => {
                return Outcome::missing(vec![
                    FactId::SiteSqlUpgradedFrom.missing_because("unrecognised")
                ])
            }
            Text::Present {
                value: Some(sql), ..
            } => sql.version,
        };
        let to = match &parsed.sql {
            Text::Absent => return Outcome::missing(vec![FactId::SiteSql.missing()]),
            Text::Present { value: None, .. } => {
                return Outcome::missing(vec![FactId::SiteSql.missing_because("unrecognised")])
            }
            Text::Present {
                value: Some(sql), ..
            } => sql.version,
        };
        if from == to {
            return Outcome::pass();
        }
        match cx
            .policy
            .sql_upgrade
            .iter()
            .find(|u| u.from == from && u.to == to)
        {
            Some(path) => {
                let describe = format!(
                    "{} upgraded from {}",
                    to.display_name(),
                    from.display_name()
                );
                Outcome::findings(cx.sql_notes(
                    &path.notes,
                    &describe,
                    parsed.site.site_kbs.as_deref(),
                ))
            }
            None => Outcome::findings(vec![cx.finding(format!(
                "an in-place upgrade of the site database from {} to {} is not a supported path",
                from.display_name(),
                to.display_name()
            ))]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    #[test]
    fn paths() {
        let r = |from: &str, to: &str| {
            run(
                "SQL-UPGRADE",
                json!({"target": "t", "site": {"sql_upgraded_from": from, "sql": to}}),
            )
        };
        assert!(r("none", "SQL Server 2008").findings.is_empty());
        assert_eq!(rules(&r("SQL Server 2008", "SQL Server 2005")), ["SQL-UPGRADE"]);
        assert_eq!(r("Oracle", "SQL Server 2005").missing, ["site.sql_upgraded_from (unrecognised)"]);
    }
}
