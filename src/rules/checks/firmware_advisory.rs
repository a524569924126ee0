//! `firmware-advisory`: the firmware build is not one a security advisory
//! names as vulnerable: inside `[affected_from, affected_below)` a release
//! line (major.minor) is fixed from the build its `fixed` entry gives, and a
//! line with no entry is vulnerable throughout.

use serde::Deserialize;

use super::{clip, Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::parsed::non_empty;
use crate::rules::version::Version;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The advisory id (`INTEL-SA-00075`).
    pub advisory: String,
    /// Its CVE ids.
    #[serde(default)]
    pub cves: Vec<String>,
    /// The first affected release.
    pub affected_from: Version,
    /// The first release past the affected range.
    pub affected_below: Version,
    /// The first fixed build of each release line (`6.2.61.3535`).
    pub fixed: Vec<Version>,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtVersion, FactId::AmtBuild],
            triggers: &[FactId::AmtVersion],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let Some(version) = cx.parsed.amt_version.value() else {
            return match cx.parsed.amt_version.text() {
                Some(text) => Outcome::missing(vec![FactId::AmtVersion
                    .missing_because(format_args!("unreadable: `{}`", clip(text)))]),
                None => Outcome::missing(vec![FactId::AmtVersion.missing()]),
            };
        };
        let parts = version.parts();
        let line = |v: &Version| v.parts().get(..2).map(<[u32]>::to_vec);
        let in_range = |v: &[u32]| {
            let from = self.affected_from.parts();
            let below = self.affected_below.parts();
            let cmp = |a: &[u32], b: &[u32]| a.iter().take(2).cmp(b.iter().take(2));
            cmp(v, from).is_ge() && cmp(v, below).is_lt()
        };
        if parts.len() < 2 || !in_range(parts) {
            return Outcome::pass();
        }
        let build = cx
            .parsed
            .record
            .amt
            .as_ref()
            .and_then(|a| non_empty(a.build.as_ref()))
            .and_then(|b| b.parse::<u32>().ok());
        // The full major.minor.hotfix.build, when the record gives it.
        let full: Vec<u32> = match (parts.len(), build) {
            (4, _) => parts.to_vec(),
            (3, Some(build)) => [parts, &[build]].concat(),
            _ => parts.to_vec(),
        };
        let fixed = self.fixed.iter().find(|f| line(f) == Some(parts[..2].to_vec()));
        let vulnerable = match fixed {
            None => true,
            Some(fixed) => {
                let want = fixed.parts();
                let known = full.len().min(want.len());
                match full[..known].cmp(&want[..known]) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Greater => false,
                    std::cmp::Ordering::Equal if full.len() >= want.len() => false,
                    std::cmp::Ordering::Equal => {
                        return Outcome::missing(vec![FactId::AmtBuild.missing_because(format_args!(
                            "{} needs the build to tell it from the fixed {fixed}",
                            self.advisory
                        ))])
                    }
                }
            }
        };
        if !vulnerable {
            return Outcome::pass();
        }
        let shown: Vec<String> = full.iter().map(u32::to_string).collect();
        let mut finding = cx.finding(format!(
            "AMT {} is vulnerable to {}{}",
            shown.join("."),
            self.advisory,
            if self.cves.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.cves.join(", "))
            }
        ));
        let target = fixed.or_else(|| {
            self.fixed
                .iter()
                .filter(|f| f.parts().get(..2) > parts.get(..2))
                .min()
        });
        if let Some(target) = target {
            finding.fix = Some(format!(
                "update the AMT firmware to {target} or later (the fixed build for its line), or disable AMT"
            ));
        }
        Outcome::findings(vec![finding])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    fn run(version: &str, build: Option<&str>) -> super::Outcome {
        let mut amt = json!({"version": version});
        if let Some(build) = build {
            amt["build"] = json!(build);
        }
        let policy = Policy::named("intel-advisories").unwrap();
        run_in(policy, "INTEL-SA-00075", json!({"target": "t", "amt": amt}))
    }

    #[test]
    fn builds_around_the_fix() {
        assert_eq!(rules(&run("11.6.27.3263", None)), ["INTEL-SA-00075"]);
        assert!(run("11.6.27.3264", None).findings.is_empty());
        assert_eq!(rules(&run("6.2.61", Some("3534"))), ["INTEL-SA-00075"]);
        assert!(run("6.2.61", Some("3535")).findings.is_empty());
        assert_eq!(run("6.2.61", None).missing.len(), 1);
        assert_eq!(rules(&run("6.2.50", None)), ["INTEL-SA-00075"]);
        assert!(run("6.2.70", None).findings.is_empty());
        // A line without a fixed build is vulnerable; the fix names a later line.
        let six_one = run("6.1.20", Some("1000"));
        assert!(six_one.findings[0].fix.as_deref().unwrap_or("").contains("6.2.61.3535"));
        assert!(run("5.2.10", None).findings.is_empty());
        assert!(run("11.8.50.3425", None).findings.is_empty());
        assert!(run("15.0.23.1706", None).findings.is_empty());
    }
}
