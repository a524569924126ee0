//! `mobile-os`: a mobile-device OS matches a row of the mobile device client
//! table; Windows CE 4.2 only in a mixed-mode site.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::candidates::{decide, OsCandidates, OsFact};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::parsed::non_empty;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::HostOs, FactId::HostArchitecture, FactId::SiteMode],
            triggers: &[FactId::HostOs],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        match &cx.parsed.host_os {
            OsFact::Known(c) if c.family.is_mobile() && !c.contradictions.is_empty() => {
                Outcome::missing(c.contradictions.clone())
            }
            OsFact::Known(c) if c.family.is_mobile() => mobile_os(cx, c),
            OsFact::Unrecognised => {
                Outcome::missing(vec![FactId::HostOs.missing_because("unrecognised")])
            }
            _ => Outcome::pass(),
        }
    }
}

fn mobile_os(cx: &Ctx<'_>, c: &OsCandidates) -> Outcome {
    let mode = non_empty(cx.parsed.site.mode.as_ref()).map(|m| m.to_ascii_lowercase());
    let modes: Vec<bool> = match mode.as_deref() {
        Some("native") => vec![true],
        Some("mixed") => vec![false],
        _ => vec![false, true],
    };
    let mut unknown = c.unknown.clone();
    unknown.push(FactId::SiteMode.missing());
    let mut candidates = Vec::new();
    for os in c.all() {
        for &native in &modes {
            candidates.push((os.clone(), native));
        }
    }
    Outcome::from_judged(decide(&candidates, &unknown, |(os, native)| {
        match cx.policy.mobile_os.iter().find(|row| row.os.matches(os)) {
            Some(row) if row.mixed_mode_only && *native => vec![cx.finding(format!(
                "{} is supported only in mixed-mode sites",
                os.describe()
            ))],
            Some(row) => cx.note_findings(&row.notes, os, None, None),
            None => vec![cx.finding(format!(
                "{} is not a supported mobile device OS",
                os.describe()
            ))],
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use crate::rules::candidates::has_error;
    use serde_json::json;

    #[test]
    fn ce_42_needs_mixed_mode_and_desktops_pass() {
        let ce = |mode: Option<&str>| {
            let mut record = json!({"target": "t", "host": {"os": "Windows CE 4.2", "architecture": "ARM"}});
            if let Some(mode) = mode {
                record["site"] = json!({"mode": mode});
            }
            run("MOBILE-OS", record)
        };
        assert!(rules(&ce(Some("native"))).contains(&"MOBILE-OS"));
        assert!(!has_error(&ce(Some("mixed")).findings));
        assert!(ce(None).missing.contains(&"site.mode".to_string()));
        let xp = run("MOBILE-OS", json!({"target": "t", "host": {"os": "xp-sp3"}}));
        assert!(xp.findings.is_empty() && xp.missing.is_empty());
    }
}
