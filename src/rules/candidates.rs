//! Deciding a rule over every value an unknown fact could take.
//!
//! Unknown attributes are never guessed. When a service pack, architecture,
//! edition or Server Core flag is not known, a check runs once for every value
//! it could have (the candidates); if all candidates agree the rule is decided,
//! otherwise the attribute is reported missing and the rule is undecided. This
//! is also why removing a fact can never turn a failure into a pass: the set of
//! candidates only grows.

use super::finding::{Finding, Severity};
use super::os::{Arch, OsFamily};

/// One fully known OS install: a candidate for what the facts describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concrete {
    /// The product family.
    pub family: OsFamily,
    /// `None` stands for "an edition no table names".
    pub edition: Option<String>,
    /// Service pack level (0 for none).
    pub service_pack: u8,
    /// Processor architecture.
    pub arch: Arch,
    /// A Server Core installation.
    pub server_core: bool,
}

impl Concrete {
    /// For messages: `Windows XP professional SP2 x86`.
    pub fn describe(&self) -> String {
        let mut text = self.family.display_name().to_string();
        if let Some(edition) = &self.edition {
            text.push(' ');
            text.push_str(edition);
        }
        if !self.family.is_mobile() {
            if self.service_pack == 0 {
                text.push_str(" (no SP)");
            } else {
                text.push_str(&format!(" SP{}", self.service_pack));
            }
        }
        text.push(' ');
        text.push_str(self.arch.as_str());
        if self.server_core {
            text.push_str(" Server Core");
        }
        text
    }
}

/// Every OS install the facts allow, and which attributes were unknown.
#[derive(Debug, Clone)]
pub struct OsCandidates {
    /// The family, always known when there are candidates.
    pub family: OsFamily,
    /// Editions the facts allow (`None`: one no table names).
    pub editions: Vec<Option<String>>,
    /// Service pack levels the facts allow.
    pub service_packs: Vec<u8>,
    /// Architectures the facts allow.
    pub archs: Vec<Arch>,
    /// Whether Server Core, as the facts allow.
    pub cores: Vec<bool>,
    /// `missing` entries to report when the candidates disagree.
    pub unknown: Vec<String>,
    /// Stated values the family never shipped with (Vista on Itanium, XP SP4):
    /// contradictory facts make the OS rules unknown, not a verdict.
    pub contradictions: Vec<String>,
}

impl OsCandidates {
    /// The cross product of every attribute's candidates.
    pub fn all(&self) -> Vec<Concrete> {
        let mut out = Vec::new();
        for edition in &self.editions {
            for &service_pack in &self.service_packs {
                for &arch in &self.archs {
                    for &server_core in &self.cores {
                        out.push(Concrete {
                            family: self.family,
                            edition: edition.clone(),
                            service_pack,
                            arch,
                            server_core,
                        });
                    }
                }
            }
        }
        out
    }

    /// The unknowns that concern the Server Core flag alone.
    pub fn unknown_core(&self) -> Vec<String> {
        self.unknown
            .iter()
            .filter(|u| u.contains("server_core"))
            .cloned()
            .collect()
    }
}

/// What an OS fact turned out to be.
#[derive(Debug, Clone)]
pub enum OsFact {
    /// No OS fact at all.
    Absent,
    /// A caption no family matches.
    Unrecognised,
    /// A recognised family, with every install the other facts allow.
    Known(OsCandidates),
}

/// Outcome of deciding over candidates.
#[derive(Debug)]
pub enum Judged {
    /// Every candidate gives the same findings: these.
    Decided(Vec<Finding>),
    /// Candidates disagree: the unknown facts that would decide it.
    Undecided(Vec<String>),
}

/// Whether any finding blocks readiness.
pub(crate) fn has_error(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Runs `check` on every candidate: all fail → the first failure; none fail →
/// the findings every candidate shares; a mix → undecided, naming `unknown`.
pub(crate) fn decide<T>(
    candidates: &[T],
    unknown: &[String],
    check: impl Fn(&T) -> Vec<Finding>,
) -> Judged {
    // An undecided rule must always name something, or it would read as a pass.
    let undecided = || {
        Judged::Undecided(if unknown.is_empty() {
            vec!["(facts that decide this rule)".to_string()]
        } else {
            unknown.to_vec()
        })
    };
    let results: Vec<Vec<Finding>> = candidates.iter().map(check).collect();
    let failing = results.iter().filter(|r| has_error(r)).count();
    match results.split_first() {
        // No candidate at all cannot happen with the built-in domains; never
        // let it read as a pass.
        None => undecided(),
        Some((first, rest)) => {
            if failing == results.len() {
                let first_failure = results.iter().find(|r| has_error(r)).unwrap_or(first);
                Judged::Decided(first_failure.clone())
            } else if failing == 0 {
                let shared = first
                    .iter()
                    .filter(|f| rest.iter().all(|other| other.contains(f)))
                    .cloned()
                    .collect();
                Judged::Decided(shared)
            } else {
                undecided()
            }
        }
    }
}

/// Appends `value` unless it is already there.
pub(crate) fn push_unique<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// The values a fact may take: what the OS string and the separate field say
/// (both, when they disagree), or else every value in `domain`. The fact is
/// named in `unknown` whenever that leaves more than one value, so a rule
/// left undecided by it can say which fact was missing.
pub(crate) fn candidates<T: PartialEq>(
    from_os_string: Option<T>,
    from_field: Option<T>,
    fact: &str,
    domain: impl FnOnce() -> Vec<T>,
    unknown: &mut Vec<String>,
) -> Vec<T> {
    let mut values = Vec::new();
    for value in [from_os_string, from_field].into_iter().flatten() {
        push_unique(&mut values, value);
    }
    if values.len() > 1 {
        unknown.push(format!("{fact} (conflicting values)"));
    }
    if values.is_empty() {
        values = domain();
        if values.len() > 1 {
            unknown.push(fact.to_string());
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity, rule: &str) -> Finding {
        Finding {
            rule: rule.into(),
            severity,
            message: String::new(),
            seed_section: String::new(),
            document: None,
            fix: None,
        }
    }

    #[test]
    fn all_fail_decides_a_failure_and_a_mix_is_undecided() {
        let unknown = vec!["x".to_string()];
        match decide(&[1, 2], &unknown, |_| vec![finding(Severity::Error, "R")]) {
            Judged::Decided(f) => assert_eq!(f.len(), 1),
            other => panic!("{other:?}"),
        }
        match decide(&[1, 2], &unknown, |n| {
            if *n == 1 {
                vec![finding(Severity::Error, "R")]
            } else {
                Vec::new()
            }
        }) {
            Judged::Undecided(m) => assert_eq!(m, unknown),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_pass_keeps_only_shared_findings_and_no_candidate_is_undecided() {
        match decide(&[1, 2], &[], |n| {
            let mut out = vec![finding(Severity::Warning, "W")];
            if *n == 2 {
                out.push(finding(Severity::Info, "I"));
            }
            out
        }) {
            Judged::Decided(f) => assert_eq!(f, vec![finding(Severity::Warning, "W")]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decide::<u8>(&[], &[], |_| Vec::new()),
            Judged::Undecided(_)
        ));
    }

    #[test]
    fn conflicting_and_absent_values_are_named() {
        let mut unknown = Vec::new();
        assert_eq!(
            candidates(Some(1), Some(2), "f", || vec![9], &mut unknown),
            vec![1, 2]
        );
        assert_eq!(
            candidates(None, None, "g", || vec![3, 4], &mut unknown),
            vec![3, 4]
        );
        assert_eq!(
            candidates(None, None, "h", || vec![5], &mut unknown),
            vec![5]
        );
        assert_eq!(unknown, vec!["f (conflicting values)", "g"]);
    }
}
