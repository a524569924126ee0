//! `sql-database`: the site database's SQL Server version, edition, service
//! pack and architecture match a row of the SQL Server table.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::candidates::decide;
use crate::rules::fact::{FactId, FactUse};
use crate::rules::os::Arch;
use crate::rules::parsed::Text;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::SiteSql, FactId::SiteKbs],
            triggers: &[FactId::SiteSql],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let sql = match &cx.parsed.sql {
            Text::Absent => return Outcome::missing(vec![FactId::SiteSql.missing()]),
            Text::Present { value: None, .. } => {
                return Outcome::missing(vec![FactId::SiteSql.missing_because("unrecognised")])
            }
            Text::Present {
                value: Some(sql), ..
            } => sql,
        };
        let mut unknown = Vec::new();
        let editions: Vec<Option<String>> = match &sql.edition {
            Some(e) => vec![Some(e.clone())],
            None => {
                unknown.push(FactId::SiteSql.missing_because("edition"));
                vec![
                    Some("standard".into()),
                    Some("enterprise".into()),
                    Some("express".into()),
                    Some("workgroup".into()),
                    None,
                ]
            }
        };
        let sps: Vec<u8> = match sql.service_pack {
            Some(sp) => vec![sp],
            None => {
                unknown.push(FactId::SiteSql.missing_because("service pack"));
                (0..=4).collect()
            }
        };
        let archs: Vec<Arch> = match sql.arch {
            Some(a) => vec![a],
            None => {
                unknown.push(FactId::SiteSql.missing_because("architecture"));
                vec![Arch::X86, Arch::X64, Arch::Ia64]
            }
        };
        let mut candidates = Vec::new();
        for e in &editions {
            for &sp in &sps {
                for &arch in &archs {
                    candidates.push((e.clone(), sp, arch));
                }
            }
        }
        let kbs = cx.parsed.site.site_kbs.as_deref();
        Outcome::from_judged(decide(&candidates, &unknown, |(edition, sp, arch)| {
            let describe = format!(
                "{} {} {} {}",
                sql.version.display_name(),
                edition.as_deref().unwrap_or("(other edition)"),
                if *sp == 0 {
                    "(no SP)".to_string()
                } else {
                    format!("SP{sp}")
                },
                arch.as_str()
            );
            let row = cx.policy.sql.iter().find(|r| {
                r.version == sql.version
                    && edition.as_ref().is_some_and(|e| r.editions.contains(e))
                    && r.service_packs.contains(sp)
                    && r.archs.contains(arch)
            });
            match row {
                Some(row) => cx.sql_notes(&row.notes, &describe, kbs),
                None => vec![cx.finding(format!(
                    "{describe} is not a supported site database configuration"
                ))],
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    #[test]
    fn rows_and_unknown_parts() {
        let r = |sql: &str| run("SQL-DATABASE", json!({"target": "t", "site": {"sql": sql}}));
        assert!(!r("SQL Server 2005 Enterprise SP2 x64").findings.iter().any(|f| f.rule == "SQL-DATABASE"));
        assert_eq!(rules(&r("SQL Server 2000 Enterprise SP4 x86")), ["SQL-DATABASE"]);
        assert!(r("SQL Server 2005").missing.contains(&"site.sql (service pack)".to_string()));
        assert_eq!(r("Oracle").missing, ["site.sql (unrecognised)"]);
    }
}
