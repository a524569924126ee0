//! `console-colocation`: the out-of-band console shares its computer with no
//! site system role other than the primary site server.

use serde::Deserialize;

use super::{clip, Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::data::SiteRole;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::SiteConsoleRoles])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let roles = cx.parsed.site.console_roles.as_deref().unwrap_or_default();
        let mut found = Vec::new();
        let mut lacking = Vec::new();
        for name in roles {
            match SiteRole::parse(name) {
                Some(SiteRole::PrimarySiteServer) | Some(SiteRole::Console) => {}
                Some(role) => found.push(cx.finding(format!(
                    "the console shares its computer with the {} role; only the primary site server role may share it",
                    role.as_str()))),
                None => lacking.push(FactId::SiteConsoleRoles.missing_because(format_args!(
                    "unrecognised role `{}`",
                    clip(name)
                ))),
            }
        }
        Outcome {
            findings: found,
            missing: lacking,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    #[test]
    fn only_the_primary_site_server_may_share() {
        let r = |roles: serde_json::Value| {
            run("CONSOLE-COLOCATION", json!({"target": "t", "site": {"console_roles": roles}}))
        };
        assert!(r(json!(["primary-site-server"])).findings.is_empty());
        assert_eq!(rules(&r(json!(["management_point"]))), ["CONSOLE-COLOCATION"]);
        assert_eq!(r(json!(["toaster"])).missing, ["site.console_roles (unrecognised role `toaster`)"]);
    }
}
