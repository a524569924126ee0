//! `firmware-advisory`: the firmware build is in none of the ranges an
//! advisory (or a known defect) names as affected. A range runs from its
//! `from` up to its `fixed` build, or, when the source names no fixed build,
//! up to an explicit `below`.
//!
//! The record's version is read as a prefix (see [`Version::fit`]): a
//! `major.minor.hotfix` with its build number in the record's `build` is the
//! four-part build; without it, it stands for every build of that hotfix. A
//! prefix that falls on both sides of a range's bound cannot be judged, and
//! is reported as missing (the build, or a fuller version), never as a pass.

use serde::Deserialize;

use super::{clip, Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};
use crate::rules::parsed::non_empty;
use crate::rules::version::{RangeFit, Version};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The advisory id (`INTEL-SA-00075`), or the defect's name, as the
    /// finding shows it.
    pub advisory: String,
    /// Its CVE ids.
    #[serde(default)]
    pub cves: Vec<String>,
    /// The affected ranges, each with its fixed build or none.
    #[serde(deserialize_with = "at_least_one_range")]
    pub affected: Vec<AffectedRange>,
    /// What to do until the fixed build is installed, where the source says
    /// (a workaround); without it the fix offers disabling AMT instead.
    #[serde(default)]
    pub meanwhile: Option<String>,
}

/// One affected range: `[from, end)`, where `end` is the fixed build the
/// source names, or `below` when it names none for the range.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawRange")]
pub struct AffectedRange {
    /// The first affected release.
    pub from: Version,
    /// The first version past the range.
    pub end: Version,
    /// The first fixed build; `None` when the source names no fix for the
    /// range (the line is out of support, or its fix is unnamed).
    pub fixed: Option<Version>,
}

/// A range as written: `fixed` is required, a build or `"none"`, so that
/// every row states the fix decision instead of leaving it to a default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    from: Version,
    #[serde(default)]
    below: Option<Version>,
    fixed: String,
}

impl TryFrom<RawRange> for AffectedRange {
    type Error = String;

    fn try_from(raw: RawRange) -> Result<Self, Self::Error> {
        let (end, fixed) = match (raw.fixed.trim(), raw.below) {
            ("none", Some(below)) => (below, None),
            ("none", None) => {
                return Err(format!(
                    "range from {}: `fixed = \"none\"` needs `below`, the end of the range",
                    raw.from
                ))
            }
            (_, Some(_)) => {
                return Err(format!(
                    "range from {}: a range with a fixed build ends at it; `below` is only for `fixed = \"none\"`",
                    raw.from
                ))
            }
            (build, None) => {
                let build: Version = build.parse().map_err(|e| format!("`fixed`: {e}"))?;
                (build.clone(), Some(build))
            }
        };
        if raw.from >= end {
            return Err(format!("range {} .. {end} is empty", raw.from));
        }
        Ok(AffectedRange {
            from: raw.from,
            end,
            fixed,
        })
    }
}

fn at_least_one_range<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<AffectedRange>, D::Error> {
    let ranges = Vec::<AffectedRange>::deserialize(deserializer)?;
    if ranges.is_empty() {
        return Err(serde::de::Error::custom("`affected` needs at least one range"));
    }
    Ok(ranges)
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
        let build_text = cx
            .parsed
            .record
            .amt
            .as_ref()
            .and_then(|a| non_empty(a.build.as_ref()));
        let build = build_text.and_then(|b| b.trim().parse::<u32>().ok());
        let full = with_build(version, build);
        let mut undecided = None;
        for range in &self.affected {
            match full.fit(&range.from, &range.end) {
                RangeFit::Inside => return Outcome::findings(vec![self.finding(cx, &full, range)]),
                RangeFit::Straddles => {
                    undecided.get_or_insert(range);
                }
                RangeFit::Outside => {}
            }
        }
        let Some(range) = undecided else {
            return Outcome::pass();
        };
        // Which fact would settle it: the build for a major.minor.hotfix,
        // else a fuller version.
        let bound = if full < range.from {
            &range.from
        } else {
            &range.end
        };
        let missing = if full.parts().len() == 3 {
            let why = match build_text {
                Some(text) => format!(
                    "unreadable build `{}`: {} needs it to place {full} against {bound}",
                    clip(text),
                    self.advisory
                ),
                None => format!("{} needs it to place {full} against {bound}", self.advisory),
            };
            FactId::AmtBuild.missing_because(why)
        } else {
            FactId::AmtVersion.missing_because(format_args!(
                "{} needs more of {full} than is known to place it against {bound}",
                self.advisory
            ))
        };
        Outcome::missing(vec![missing])
    }
}

/// The version with its build number appended, when the record gives a
/// `major.minor.hotfix` and the build separately.
fn with_build(version: &Version, build: Option<u32>) -> Version {
    match (version.parts(), build) {
        ([major, minor, hotfix], Some(build)) => {
            let text = format!("{major}.{minor}.{hotfix}.{build}");
            text.parse().unwrap_or_else(|_| version.clone())
        }
        _ => version.clone(),
    }
}

impl Params {
    fn finding(&self, cx: &Ctx<'_>, full: &Version, range: &AffectedRange) -> super::Finding {
        let cves = if self.cves.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.cves.join(", "))
        };
        let mut finding = match &range.fixed {
            Some(_) => cx.finding(format!("AMT {full} is affected by {}{cves}", self.advisory)),
            None => cx.finding(format!(
                "AMT {full} is affected by {}{cves}; no fixed build is named for AMT {} up to {} (exclusive)",
                self.advisory, range.from, range.end
            )),
        };
        if let Some(fixed) = &range.fixed {
            let update = format!("update the AMT firmware to {fixed} or later (the fixed build for its line)");
            finding.fix = Some(match &self.meanwhile {
                Some(meanwhile) => format!("{update}; meanwhile, {meanwhile}"),
                None => format!("{update}, or disable AMT"),
            });
        }
        finding
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use super::{AffectedRange, Params};
    use crate::rules::RuleParams;
    use crate::rules::{Policy, Severity};
    use serde_json::json;

    fn run_rule(id: &str, version: &str, build: Option<&str>) -> super::Outcome {
        let mut amt = json!({"version": version});
        if let Some(build) = build {
            amt["build"] = json!(build);
        }
        let policy = Policy::named("intel-advisories").unwrap();
        run_in(policy, id, json!({"target": "t", "amt": amt}))
    }

    fn run(version: &str, build: Option<&str>) -> super::Outcome {
        run_rule("INTEL-SA-00075", version, build)
    }

    /// Affected, fixed, undecidable, outside: the verdict of `id` on each.
    /// A row whose bounds are whole lines has no undecidable version short
    /// of an unreadable one: `None` then checks that a hotfix without its
    /// build is still judged affected.
    fn assert_shape(id: &str, affected: &str, fixed: &str, undecided: Option<&str>, outside: &str) {
        let hit = run_rule(id, affected, None);
        assert_eq!(rules(&hit), [id], "{id} on {affected}");
        assert!(hit.missing.is_empty());
        let clean = run_rule(id, fixed, None);
        assert!(clean.findings.is_empty() && clean.missing.is_empty(), "{id} on {fixed}: {clean:?}");
        match undecided {
            Some(undecided) => {
                let open = run_rule(id, undecided, None);
                assert!(open.findings.is_empty(), "{id} on {undecided}");
                assert_eq!(open.missing.len(), 1, "{id} on {undecided}: {open:?}");
            }
            None => {
                let hotfix: Vec<&str> = affected.split('.').take(3).collect();
                let hotfix = hotfix.join(".");
                assert_eq!(rules(&run_rule(id, &hotfix, None)), [id], "{id} on {hotfix}");
            }
        }
        let away = run_rule(id, outside, None);
        assert!(away.findings.is_empty() && away.missing.is_empty(), "{id} on {outside}");
    }

    #[test]
    fn builds_around_the_fix() {
        assert_eq!(rules(&run("11.6.27.3263", None)), ["INTEL-SA-00075"]);
        assert!(run("11.6.27.3264", None).findings.is_empty());
        assert_eq!(rules(&run("6.2.61", Some("3534"))), ["INTEL-SA-00075"]);
        assert!(run("6.2.61", Some("3535")).findings.is_empty());
        assert_eq!(rules(&run("6.2.50", None)), ["INTEL-SA-00075"]);
        assert!(run("6.2.70", None).findings.is_empty());
        // A line without a fixed build is vulnerable; the fix names a later line.
        let six_one = run("6.1.20", Some("1000"));
        assert!(six_one.findings[0].fix.as_deref().unwrap_or("").contains("6.2.61.3535"));
        assert!(run("5.2.10", None).findings.is_empty());
        assert!(run("11.8.50.3425", None).findings.is_empty());
        assert!(run("15.0.23.1706", None).findings.is_empty());
    }

    #[test]
    fn a_hotfix_without_its_build_is_missing_never_a_pass() {
        for outcome in [run("6.2.61", None), run("6.2.61", Some("")), run("6.2.61", Some("x"))] {
            assert!(outcome.findings.is_empty());
            assert_eq!(outcome.missing.len(), 1, "{outcome:?}");
            assert!(outcome.missing[0].starts_with("amt.build"), "{outcome:?}");
            assert!(outcome.missing[0].contains("6.2.61.3535"), "{outcome:?}");
        }
        // A banner's major.minor straddles the fix: a fuller version is needed.
        let banner = run("6.2", None);
        assert!(banner.findings.is_empty());
        assert!(banner.missing[0].starts_with("amt.version"), "{banner:?}");
        // ...but not where the whole line is on one side.
        assert_eq!(rules(&run("6.1", None)), ["INTEL-SA-00075"]);
        assert!(run("5.2", None).missing.is_empty());
        // An unreadable version is missing too.
        assert_eq!(run("six", None).missing.len(), 1);
    }

    #[test]
    fn each_row_shape() {
        // Fixed build with four parts (three-part version needs the build).
        assert_shape("INTEL-SA-00075", "8.1.71.3607", "8.1.71.3608", Some("8.1.71"), "5.2.10");
        // Whole lines with no fixed build, ended by `below`.
        assert_shape("INTEL-SA-00086", "11.7.0.1000", "11.8.50.3425", None, "10.0.55");
        assert_shape("INTEL-SA-00112", "5.2.10.1000", "9.0.2", None, "2.6.3");
        // Three-part fixed builds, several lines.
        assert_shape("INTEL-SA-00141", "12.0.4.1000", "12.0.5", Some("12.0"), "11.8.50");
        assert_shape("INTEL-SA-00213", "11.22.60", "11.22.65.1000", Some("11.8"), "15.0.41");
        assert_shape("INTEL-SA-00241", "11.11.65", "11.11.70", Some("12.0"), "14.0.30");
        assert_shape("INTEL-SA-00295", "14.0.32", "14.0.33", Some("14.0"), "13.0.40");
        assert_shape("INTEL-SA-00391", "11.11.90", "11.12.80", Some("11.12"), "16.1.25");
        assert_shape("INTEL-SA-00404", "12.0.67", "12.0.68", Some("11.22"), "10.0.55");
        let cert = "AMT-FW-3.2.1-SELF-SIGNED-CERT";
        assert_shape(cert, "3.2.1.1053", "3.2.2", Some("3.2"), "3.2.0");
        // Its fix keeps the source's workaround instead of disabling AMT.
        let fix = run_rule(cert, "3.2.1", Some("1053")).findings[0].fix.clone().unwrap_or_default();
        assert!(fix.contains("3.2.2") && fix.contains("unprovision"), "{fix}");
        assert!(!fix.contains("disable AMT"), "{fix}");
    }

    #[test]
    fn a_line_without_its_own_fix_runs_to_the_next_fix() {
        // 11.10 and 11.11 have no INTEL-SA-00404 fix of their own.
        let outcome = run_rule("INTEL-SA-00404", "11.11.100", Some("3000"));
        assert_eq!(rules(&outcome), ["INTEL-SA-00404"]);
        let fix = outcome.findings[0].fix.as_deref().unwrap_or("");
        assert!(fix.contains("11.12.79"), "{fix}");
        // A range without a fixed build says so, and keeps the row's fix.
        let old = run_rule("INTEL-SA-00112", "3.2.1", Some("1053"));
        assert!(old.findings[0].message.contains("no fixed build"), "{old:?}");
        assert!(old.findings[0].fix.as_deref().unwrap_or("").contains("no fix"));
        // No build clears it: info, not a warning (see the policy's reading).
        assert_eq!(old.findings[0].severity, Severity::Info);
    }

    fn advisory_params(policy: &Policy) -> Vec<(&crate::rules::RuleInfo, &Params)> {
        policy
            .rules()
            .filter_map(|rule| match &rule.params {
                RuleParams::FirmwareAdvisory(params) => Some((rule, params)),
                _ => None,
            })
            .collect()
    }

    /// Every row of the table cites where its values come from and states a
    /// fixed build or `none` for each range (the parser refuses a range
    /// without `fixed`; this reads the rows as written).
    #[test]
    fn every_row_has_a_source_and_a_fix_decision() {
        let text = include_str!("../intel-advisories.toml");
        let policy = Policy::named("intel-advisories").unwrap();
        let rows = advisory_params(policy);
        assert!(rows.len() >= 10, "{} rows", rows.len());
        for (rule, params) in rows {
            // The finding names its document; the address and the records
            // read are in the row's comment (reports stay self-contained).
            let document = rule.document.as_deref().unwrap_or("");
            assert!(!document.trim().is_empty(), "{}: no document", rule.id);
            assert!(!document.contains("://"), "{}: an address in a report", rule.id);
            assert!(!rule.seed_section.trim().is_empty(), "{}: no section", rule.id);
            assert!(rule.fix.is_some(), "{}: no fix", rule.id);
            let at = text.find(&format!("id = \"{}\"", rule.id)).unwrap();
            let comment = text[..at].rsplit("\n\n").next().unwrap_or("");
            assert!(comment.contains("Source"), "{}: no source comment", rule.id);
            assert!(comment.contains("https://"), "{}: no source address", rule.id);
            // The severity reading is written beside the row.
            assert!(
                comment.contains(rule.severity.as_str()),
                "{}: no reading for its severity",
                rule.id
            );
            if rule.id.starts_with("INTEL-SA-") {
                assert_eq!(params.advisory, rule.id);
                assert!(document.contains(&rule.id), "{}", rule.id);
                assert!(comment.contains(&rule.id.to_lowercase()), "{}: no advisory address", rule.id);
                assert!(!params.cves.is_empty(), "{}: no CVE", rule.id);
            }
            for cve in &params.cves {
                let digits = cve.strip_prefix("CVE-").unwrap_or("");
                assert!(
                    digits.len() >= 9 && digits.bytes().all(|b| b.is_ascii_digit() || b == b'-'),
                    "{}: `{cve}`",
                    rule.id
                );
            }
            for range in &params.affected {
                assert!(range.from < range.end);
                if let Some(fixed) = &range.fixed {
                    assert_eq!(fixed, &range.end);
                }
            }
        }
        // Each range line in the file carries `fixed` explicitly.
        for line in text.lines().filter(|l| l.trim_start().starts_with("{ from")) {
            assert!(line.contains("fixed = "), "{line}");
        }
    }

    #[test]
    fn malformed_ranges_are_refused() {
        let parse = |affected: &str| {
            let text = format!(
                "name = \"p\"\ndescription = \"d\"\ndocument = \"x\"\n[[rule]]\nid = \"R\"\nkind = \"firmware-advisory\"\nchecks = \"c\"\nsection = \"s\"\nadvisory = \"A\"\naffected = {affected}\n"
            );
            Policy::from_toml_str(&text, "t")
        };
        assert!(parse("[{ from = \"6.0\", fixed = \"6.2.61.3535\" }]").is_ok());
        for bad in [
            "[]",
            "[{ from = \"6.0\" }]",
            "[{ from = \"6.0\", fixed = \"none\" }]",
            "[{ from = \"6.0\", below = \"7.0\", fixed = \"6.2\" }]",
            "[{ from = \"6.0\", fixed = \"5.0\" }]",
            "[{ from = \"6.0\", fixed = \"soon\" }]",
            "[{ from = \"6.0\", fixed = \"6.2\", until = \"7\" }]",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let range = AffectedRange::try_from(super::RawRange {
            from: "3.0".parse().unwrap(),
            below: Some("9.0".parse().unwrap()),
            fixed: "none".into(),
        })
        .unwrap();
        assert_eq!(range.fixed, None);
    }
}
