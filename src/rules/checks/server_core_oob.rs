//! `server-core-oob`: out-of-band management only on full installations of
//! the listed Windows Server families, not Server Core.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::candidates::{decide, OsFact};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::os::OsFamily;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Families whose Server Core installations are excluded.
    #[serde(default)]
    pub families: Vec<OsFamily>,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::HostOs, FactId::HostServerCore])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let core_field = cx.parsed.host().and_then(|h| h.server_core);
        match &cx.parsed.host_os {
            OsFact::Known(c) if !self.families.contains(&c.family) => Outcome::pass(),
            OsFact::Known(c) => Outcome::from_judged(decide(&c.cores, &c.unknown_core(), |&core| {
                if core {
                    vec![cx.finding(format!("out-of-band management is not supported on a Server Core installation of {}", c.family.display_name()))]
                } else {
                    Vec::new()
                }
            })),
            _ if core_field == Some(false) => Outcome::pass(),
            OsFact::Unrecognised => {
                Outcome::missing(vec![FactId::HostOs.missing_because("unrecognised")])
            }
            OsFact::Absent => Outcome::missing(vec![FactId::HostOs.missing()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    #[test]
    fn core_fails_full_passes_unknown_is_missing() {
        let r = |host: serde_json::Value| run("HOST-OOB-SERVER-CORE", json!({"target": "t", "host": host}));
        assert_eq!(rules(&r(json!({"os": "2008-core"}))), ["HOST-OOB-SERVER-CORE"]);
        assert!(r(json!({"os": "2008", "server_core": false})).findings.is_empty());
        assert_eq!(r(json!({"os": "2008 SP2"})).missing, ["host.server_core"]);
        assert!(r(json!({"os": "xp-sp3"})).missing.is_empty());
        assert!(r(json!({"server_core": false})).missing.is_empty());
    }
}
