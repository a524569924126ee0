//! `native-mode-os`: clients of the listed families are not managed by a
//! native-mode site.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::candidates::OsFact;
use crate::rules::fact::{FactId, FactUse};
use crate::rules::os::OsFamily;
use crate::rules::parsed::non_empty;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Families not supported in native mode.
    #[serde(default)]
    pub families: Vec<OsFamily>,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::HostOs, FactId::SiteMode],
            // The site mode alone says nothing about a client: host.os triggers it.
            triggers: &[FactId::HostOs],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let mode = non_empty(cx.parsed.site.mode.as_ref()).map(|m| m.to_ascii_lowercase());
        match mode.as_deref() {
            Some("mixed") => return Outcome::pass(),
            Some("native") | None => {}
            Some(_) => {
                return Outcome::missing(vec![
                    FactId::SiteMode.missing_because("unrecognised; mixed or native")
                ])
            }
        }
        match (&cx.parsed.host_os, mode.is_some()) {
            (OsFact::Known(c), _) if !self.families.contains(&c.family) => Outcome::pass(),
            (OsFact::Known(c), true) => Outcome::findings(vec![cx.finding(format!(
                "{} clients are not supported in a native-mode site",
                c.family.display_name()
            ))]),
            (OsFact::Known(_), false) => Outcome::missing(vec![FactId::SiteMode.missing()]),
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

    #[test]
    fn windows_2000_in_native_mode() {
        let r = |mode: &str| {
            run(
                "HOST-W2K-NATIVE",
                json!({"target": "t", "host": {"os": "Windows 2000 SP4"}, "site": {"mode": mode}}),
            )
        };
        assert_eq!(rules(&r("native")), ["HOST-W2K-NATIVE"]);
        assert!(r("mixed").findings.is_empty());
        assert_eq!(r(" ").missing, ["site.mode"]);
        assert!(r("hybrid").missing[0].contains("unrecognised"));
    }
}
