//! `inband-provisioning`: in-band provisioning is not used on an OS the
//! source excludes (any Windows Server, or named families).

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::candidates::OsFact;
use crate::rules::fact::{FactId, FactUse};
use crate::rules::os::OsFamily;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// OS families on which in-band provisioning is not supported.
    #[serde(default)]
    pub families: Vec<OsFamily>,
    /// Every Windows Server family is concerned too.
    #[serde(default)]
    pub any_server: bool,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::HostOs, FactId::HostInbandProvisioning])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let inband = cx.parsed.host().and_then(|h| h.inband_provisioning);
        if inband == Some(false) {
            return Outcome::pass();
        }
        let concerned = |f: OsFamily| self.families.contains(&f) || (self.any_server && f.is_server());
        match (&cx.parsed.host_os, inband) {
            (OsFact::Known(c), _) if !concerned(c.family) => Outcome::pass(),
            (OsFact::Known(c), Some(true)) => Outcome::findings(vec![cx.finding(format!(
                "in-band provisioning is not supported on {}",
                c.family.display_name()
            ))]),
            (OsFact::Known(_), _) => {
                Outcome::missing(vec![FactId::HostInbandProvisioning.missing()])
            }
            (OsFact::Unrecognised, _) => {
                Outcome::missing(vec![FactId::HostOs.missing_because("unrecognised")])
            }
            (OsFact::Absent, _) => Outcome::missing(vec![FactId::HostOs.missing()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use serde_json::json;

    fn host(os: &str, inband: Option<bool>) -> serde_json::Value {
        let mut record = json!({"target": "t", "host": {"os": os}});
        if let Some(inband) = inband {
            record["host"]["inband_provisioning"] = json!(inband);
        }
        record
    }

    #[test]
    fn servers_and_named_families() {
        assert_eq!(
            rules(&run("HOST-INBAND-SERVER", host("2003 SP2", Some(true)))),
            ["HOST-INBAND-SERVER"]
        );
        assert!(run("HOST-INBAND-SERVER", host("xp-sp3", Some(true))).findings.is_empty());
        assert_eq!(
            run("HOST-INBAND-SERVER", host("2008", None)).missing,
            ["host.inband_provisioning"]
        );
        assert!(run("HOST-INBAND-OS", host("Windows 2000 SP4", Some(false))).findings.is_empty());
        assert_eq!(
            rules(&run("HOST-INBAND-OS", host("Windows 2000 SP4", Some(true)))),
            ["HOST-INBAND-OS"]
        );
    }
}
