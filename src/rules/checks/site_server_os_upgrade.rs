//! `site-server-os-upgrade`: the site server OS was not upgraded in place
//! from a family the source forbids to one it forbids it to.

use serde::Deserialize;

use super::{is_none_word, Check, Ctx, Outcome};
use crate::rules::candidates::OsFact;
use crate::rules::fact::{FactId, FactUse};
use crate::rules::os::OsFamily;
use crate::rules::parsed::Text;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Families upgraded from.
    pub upgraded_from: Vec<OsFamily>,
    /// Families upgraded to.
    pub families: Vec<OsFamily>,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::SiteSiteServerOsUpgradedFrom, FactId::SiteSiteServerOs],
            triggers: &[FactId::SiteSiteServerOsUpgradedFrom],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let parsed = cx.parsed;
        let before_os = match &parsed.site_server_os_upgraded_from {
            Text::Absent => return Outcome::pass(),
            Text::Present { text, .. } if is_none_word(text) => return Outcome::pass(),
            Text::Present { value: None, .. } => {
                return Outcome::missing(vec![
                    FactId::SiteSiteServerOsUpgradedFrom.missing_because("unrecognised")
                ])
            }
            Text::Present {
                value: Some(os), ..
            } => os,
        };
        if !self.upgraded_from.contains(&before_os.family) {
            return Outcome::pass();
        }
        match &parsed.site_server_os {
            OsFact::Known(c) if self.families.contains(&c.family) => {
                Outcome::findings(vec![cx.finding(format!(
                "the site server OS was upgraded in place from {} to {}, which is not supported",
                before_os.family.display_name(), c.family.display_name()))])
            }
            OsFact::Known(_) => Outcome::pass(),
            OsFact::Unrecognised => {
                Outcome::missing(vec![FactId::SiteSiteServerOs.missing_because("unrecognised")])
            }
            OsFact::Absent => Outcome::missing(vec![FactId::SiteSiteServerOs.missing()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    #[test]
    fn in_place_2003_to_2008() {
        let r = |from: &str, to: Option<&str>| {
            let mut site = json!({"site_server_os_upgraded_from": from});
            if let Some(to) = to {
                site["site_server_os"] = json!(to);
            }
            run("SITE-SERVER-OS-UPGRADE", json!({"target": "t", "site": site}))
        };
        assert_eq!(rules(&r("2003 SP2", Some("2008 SP2"))), ["SITE-SERVER-OS-UPGRADE"]);
        assert!(r("none", Some("2008 SP2")).findings.is_empty());
        assert!(r("2003 SP2", Some("2003 R2 SP2")).findings.is_empty());
        assert_eq!(r("2003 SP2", None).missing, ["site.site_server_os"]);
    }
}
