//! `console-min-service-pack`: the out-of-band console runs on at least the
//! listed service pack of its OS family.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::candidates::{decide, OsFact};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::os::OsFamily;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Minimum service pack per family.
    pub min_service_packs: Vec<MinServicePack>,
}

/// A minimum service pack for one family.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinServicePack {
    pub family: OsFamily,
    pub service_pack: u8,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::SiteConsoleOs])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        match &cx.parsed.console_os {
            OsFact::Known(c) => Outcome::from_judged(decide(&c.all(), &c.unknown, |os| {
                self.min_service_packs
                    .iter()
                    .filter(|min| min.family == os.family && os.service_pack < min.service_pack)
                    .map(|min| {
                        cx.finding(format!(
                            "the out-of-band console is not supported on {}: {} needs SP{} or later",
                            os.describe(),
                            os.family.display_name(),
                            min.service_pack
                        ))
                    })
                    .collect()
            })),
            OsFact::Unrecognised => {
                Outcome::missing(vec![FactId::SiteConsoleOs.missing_because("unrecognised")])
            }
            OsFact::Absent => Outcome::missing(vec![FactId::SiteConsoleOs.missing()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    #[test]
    fn xp_sp2_console_fails_sp3_passes() {
        let r = |os: &str| run("CONSOLE-OOB-SP", json!({"target": "t", "site": {"console_os": os}}));
        assert_eq!(rules(&r("Windows XP Professional SP2")), ["CONSOLE-OOB-SP"]);
        assert!(r("Windows XP Professional SP3").findings.is_empty());
        assert_eq!(r("Windows XP Professional").missing, ["site.console_os (service pack)"]);
    }
}
