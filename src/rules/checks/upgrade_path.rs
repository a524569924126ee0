//! `upgrade-path`: the product upgraded from can be upgraded with the chosen
//! SP1 release (the upgrade table).

use serde::Deserialize;

use super::{clip, Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::parsed::Text;
use crate::rules::product::{Release, UpgradeSource};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::SiteUpgradeFrom, FactId::SiteRelease])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let parsed = cx.parsed;
        let mut lacking = Vec::new();
        let source = match &parsed.upgrade_from {
            Text::Absent => {
                lacking.push(FactId::SiteUpgradeFrom.missing());
                None
            }
            Text::Present { value, .. } => match value {
                Some(UpgradeSource::NewInstall) => return Outcome::pass(),
                Some(source) => Some(*source),
                None => {
                    lacking.push(FactId::SiteUpgradeFrom.missing_because("unrecognised"));
                    None
                }
            },
        };
        let release = match &parsed.release {
            Text::Absent => {
                lacking.push(FactId::SiteRelease.missing());
                None
            }
            Text::Present { value, .. } => {
                if value.is_none() {
                    lacking.push(
                        FactId::SiteRelease.missing_because("unrecognised; eval, sp or complete"),
                    );
                }
                *value
            }
        };
        let (Some(source), Some(release)) = (source, release) else {
            return Outcome::missing(lacking);
        };
        let from_text = parsed.upgrade_from.text().map(clip).unwrap_or_default();
        let Some(row) = cx.policy.upgrade.iter().find(|r| r.from == source) else {
            return Outcome::findings(vec![cx.finding(format!(
                "upgrading from {from_text} is not a supported path to Configuration Manager 2007 SP1 (not in the upgrade table)"))]);
        };
        let allowed = match release {
            Release::Eval => row.eval,
            Release::Sp => Some(row.sp),
            Release::Complete => Some(row.complete),
        };
        match allowed {
            Some(true) => Outcome::pass(),
            Some(false) | None => {
                let mut finding = cx.finding(format!(
                    "upgrading from {from_text} with the SP1 {} is not supported (seed row \"{}\")",
                    release.display_name(),
                    row.seed
                ));
                let ok: Vec<&str> = [
                    (row.eval == Some(true), "evaluation"),
                    (row.sp, "service pack"),
                    (row.complete, "complete"),
                ]
                .iter()
                .filter(|(yes, _)| *yes)
                .map(|(_, name)| *name)
                .collect();
                finding.fix = Some(if ok.is_empty() {
                    "no SP1 release upgrades this product; install Configuration Manager 2007 SP1 as a new site".into()
                } else {
                    format!("use the {} release", ok.join(" or "))
                });
                Outcome::findings(vec![finding])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    #[test]
    fn table_cells_and_missing_parts() {
        let r = |from: &str, release: &str| {
            run(
                "UPGRADE-PATH",
                json!({"target": "t", "site": {"upgrade_from": from, "release": release}}),
            )
        };
        assert!(r("SMS 2003 SP3", "complete").findings.is_empty());
        assert!(r("none", "eval").findings.is_empty());
        let eval = r("SMS 2003 SP3", "sp");
        assert!(r("SMS 2003 SP3", "eval").findings.is_empty());
        assert_eq!(rules(&eval), ["UPGRADE-PATH"]);
        assert!(eval.findings[0].fix.is_some());
        assert_eq!(rules(&r("SMS 2003 SP1", "complete")), ["UPGRADE-PATH"]);
        assert_eq!(
            r("SMS 2.0", "beta").missing,
            ["site.upgrade_from (unrecognised)", "site.release (unrecognised; eval, sp or complete)"]
        );
    }
}
