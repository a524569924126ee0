//! `amt-firmware`: the AMT firmware version is in a supported range of the
//! policy's `[[amt_supported]]` table.

use serde::Deserialize;

use super::{clip, Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::parsed::Text;
use crate::rules::version::{RangeFit, Version};

/// No parameters: the ranges are the policy's `[[amt_supported]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtVersion],
            triggers: &[FactId::AmtVersion],
            always: true,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let policy = cx.policy;
        let version: &Version = match &cx.parsed.amt_version {
            Text::Absent => return Outcome::missing(vec![FactId::AmtVersion.missing()]),
            Text::Present { value: Some(v), .. } => v,
            Text::Present { text, value: None } => {
                return Outcome::missing(vec![FactId::AmtVersion
                    .missing_because(format_args!("unreadable: `{}`", clip(text)))])
            }
        };
        let fits: Vec<RangeFit> = policy
            .amt_supported
            .iter()
            .map(|r| version.fit(&r.from, &r.below))
            .collect();
        if fits.contains(&RangeFit::Inside) {
            return Outcome::pass();
        }
        if let Some(range) = policy
            .amt_supported
            .iter()
            .zip(&fits)
            .find(|(_, f)| **f == RangeFit::Straddles)
            .map(|(r, _)| r)
        {
            return Outcome::missing(vec![FactId::AmtVersion.missing_because(format_args!(
                "full revision: {version} alone cannot be decided against the minimum {}",
                range.from
            ))]);
        }
        let same_minor = policy
            .amt_supported
            .iter()
            .find(|r| r.from.parts().get(..2) == version.parts().get(..2) && *version < r.from);
        let message = match same_minor {
            Some(range) => {
                let major_minor: Vec<String> = range
                    .from
                    .parts()
                    .iter()
                    .take(2)
                    .map(|p| p.to_string())
                    .collect();
                format!(
                    "AMT {version} is below the minimum revision {} for AMT {}",
                    range.from,
                    major_minor.join(".")
                )
            }
            None => {
                let supported: Vec<String> = policy
                    .amt_supported
                    .iter()
                    .map(|r| human_range(&r.from.to_string(), &r.below.to_string()))
                    .collect();
                format!(
                    "AMT {version} is not a supported firmware release (supported: {})",
                    supported.join(", ")
                )
            }
        };
        Outcome::findings(vec![cx.finding(message)])
    }
}

/// A half-open firmware range as an admin reads it: `3.2.1`..`3.3` is
/// "3.2.1 to 3.2.x", `5.0`..`5.1` is "5.0.x". Ranges whose end cannot be
/// stepped back one release (`6.0`) keep the exact form.
fn human_range(from: &str, below: &str) -> String {
    let parts: Option<Vec<u32>> = below.split('.').map(|p| p.parse().ok()).collect();
    let last_release = parts.and_then(|mut parts| {
        let last = parts.last_mut()?;
        *last = last.checked_sub(1)?;
        Some(
            parts
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join("."),
        )
    });
    match last_release {
        Some(last) if last == from => format!("{from}.x"),
        Some(last) => format!("{from} to {last}.x"),
        None => format!("{from} up to, not including, {below}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run};
    use super::human_range;
    use serde_json::json;

    #[test]
    fn firmware_ranges_read_as_releases() {
        assert_eq!(human_range("3.2.1", "3.3"), "3.2.1 to 3.2.x");
        assert_eq!(human_range("4.0", "4.3"), "4.0 to 4.2.x");
        assert_eq!(human_range("5.0", "5.1"), "5.0.x");
        assert_eq!(human_range("5.2.10", "5.3"), "5.2.10 to 5.2.x");
        assert_eq!(human_range("5.3", "6.0"), "5.3 up to, not including, 6.0");
    }

    #[test]
    fn supported_below_minimum_straddling_and_absent() {
        let amt = |v: &str| json!({"target": "t", "amt": {"version": v}});
        assert_eq!(run("AMT-FW-VERSION", amt("5.2.10")), super::Outcome::pass());
        let below = run("AMT-FW-VERSION", amt("5.2.9"));
        assert_eq!(rules(&below), ["AMT-FW-VERSION"]);
        assert!(below.findings[0].message.contains("minimum revision 5.2.10"));
        let unsupported = run("AMT-FW-VERSION", amt("6.0"));
        assert!(unsupported.findings[0].message.contains("supported: "));
        assert_eq!(
            run("AMT-FW-VERSION", amt("5.2")).missing[0].split(' ').next(),
            Some("amt.version")
        );
        assert_eq!(
            run("AMT-FW-VERSION", json!({"target": "t"})).missing,
            ["amt.version"]
        );
        assert!(run("AMT-FW-VERSION", amt("five")).missing[0].contains("unreadable"));
    }
}
