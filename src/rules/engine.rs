//! Evaluation: facts record in, findings and a verdict out.
//!
//! Unknown attributes are never guessed. When a service pack, architecture,
//! edition or Server Core flag is not known, a check runs once for every value
//! it could have (the candidates); if all candidates agree the rule is decided,
//! otherwise the attribute is reported missing and the rule is undecided. This
//! is also why removing a fact can never turn a failure into a pass: the set of
//! candidates only grows.

use super::finding::{Evaluation, Finding, Severity, Verdict};
use super::os::{
    parse_edition, parse_os, parse_service_pack, parse_sql, parse_upgrade_source, Arch, OsFamily,
    Release, UpgradeSource,
};
use super::policy::{Note, OsMatch, Policy, RuleInfo, RuleKind, SiteRole};
use super::version::{RangeFit, Version};
use crate::facts::{FactsRecord, HostFacts, SiteFacts};

/// One fully known OS install: a candidate for what the facts describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concrete {
    pub family: OsFamily,
    /// `None` stands for "an edition no table names".
    pub edition: Option<String>,
    pub service_pack: u8,
    pub arch: Arch,
    pub server_core: bool,
}

impl Concrete {
    fn describe(&self) -> String {
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
struct OsCandidates {
    family: OsFamily,
    editions: Vec<Option<String>>,
    service_packs: Vec<u8>,
    archs: Vec<Arch>,
    cores: Vec<bool>,
    /// Fact names to report when the candidates disagree.
    unknown: Vec<String>,
    /// Stated values the family never shipped with (Vista on Itanium, XP SP4):
    /// contradictory facts make the OS rules unknown, not a verdict.
    contradictions: Vec<String>,
}

impl OsCandidates {
    fn all(&self) -> Vec<Concrete> {
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
}

/// What an OS fact turned out to be.
enum OsFact {
    Absent,
    Unrecognised,
    Known(OsCandidates),
}

/// Outcome of deciding over candidates.
enum Judged {
    Decided(Vec<Finding>),
    Undecided(Vec<String>),
}

fn has_error(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Runs `check` on every candidate: all fail → the first failure; none fail →
/// the findings every candidate shares; a mix → undecided.
fn decide<T>(candidates: &[T], unknown: &[String], check: impl Fn(&T) -> Vec<Finding>) -> Judged {
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

fn sp_domain(family: OsFamily) -> Vec<u8> {
    use OsFamily::*;
    let max = match family {
        Windows2000 => 4,
        WindowsXp | WindowsXpTablet | WindowsXpEmbedded => 3,
        WindowsEmbeddedStandard2009
        | WindowsEmbeddedPos
        | WindowsEmbeddedPosready2009
        | WindowsFlp => 3,
        WindowsVista | Server2008 | StorageServer2008 => 2,
        Windows7 | Server2008R2 => 1,
        Server2003 | Server2003R2 | StorageServer2003 => 2,
        WindowsMobilePocketPc | WindowsMobileSmartphone | WindowsCe => 0,
    };
    (0..=max).collect()
}

/// Every architecture the family ships for.
fn arch_domain(family: OsFamily) -> Vec<Arch> {
    use OsFamily::*;
    match family {
        Windows2000
        | WindowsXpTablet
        | WindowsXpEmbedded
        | WindowsEmbeddedStandard2009
        | WindowsEmbeddedPos
        | WindowsEmbeddedPosready2009
        | WindowsFlp => vec![Arch::X86],
        WindowsXp | Server2003 | Server2003R2 | Server2008 => {
            vec![Arch::X86, Arch::X64, Arch::Ia64]
        }
        WindowsVista | Windows7 | StorageServer2003 | StorageServer2008 => {
            vec![Arch::X86, Arch::X64]
        }
        Server2008R2 => vec![Arch::X64, Arch::Ia64],
        WindowsMobilePocketPc | WindowsMobileSmartphone => vec![Arch::Arm],
        WindowsCe => vec![Arch::Arm, Arch::X86],
    }
}

/// The architecture a single product-name string implies when it carries no
/// mark: 64-bit and Itanium editions say so in their names, so an unmarked
/// pre-Vista name is the x86 build, a 2008-era name is x86 or x64.
fn implied_arch(family: OsFamily) -> Vec<Arch> {
    use OsFamily::*;
    match family {
        WindowsVista | Windows7 | Server2008 | StorageServer2008 => vec![Arch::X86, Arch::X64],
        Server2008R2 => vec![Arch::X64],
        other => arch_domain(other).into_iter().take(1).collect(),
    }
}

fn core_domain(family: OsFamily) -> Vec<bool> {
    if matches!(family, OsFamily::Server2008 | OsFamily::Server2008R2) {
        vec![false, true]
    } else {
        vec![false]
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

fn push_unique<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// The values a host fact may take: what the OS string and the separate field
/// say (both, when they disagree), or else every value the OS family allows.
/// The fact is named in `unknown` whenever that leaves more than one value, so
/// a rule left undecided by it can say which fact was missing.
fn candidates<T: PartialEq>(
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

fn kb_present(kbs: Option<&[String]>, kb: &str) -> bool {
    let wanted = kb.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    kbs.unwrap_or_default().iter().any(|have| {
        let have = have.trim();
        have.eq_ignore_ascii_case(kb)
            || have.trim_start_matches(|c: char| c.is_ascii_alphabetic()) == wanted
    })
}

fn os_matches(m: &OsMatch, c: &Concrete) -> bool {
    m.family == c.family
        && (m.editions.is_empty() || c.edition.as_ref().is_some_and(|e| m.editions.contains(e)))
        && (m.service_packs.is_empty() || m.service_packs.contains(&c.service_pack))
        && (m.archs.is_empty() || m.archs.contains(&c.arch))
}

fn note_applies(note: &Note, c: &Concrete, role: Option<SiteRole>) -> bool {
    (note.when_families.is_empty() || note.when_families.contains(&c.family))
        && (note.when_editions.is_empty()
            || c.edition
                .as_ref()
                .is_some_and(|e| note.when_editions.contains(e)))
        && (note.when_service_packs.is_empty() || note.when_service_packs.contains(&c.service_pack))
        && (note.when_archs.is_empty() || note.when_archs.contains(&c.arch))
        && note
            .when_server_core
            .is_none_or(|core| core == c.server_core)
        && (note.when_roles.is_empty() || role.is_some_and(|r| note.when_roles.contains(&r)))
}

/// The rule a kind of check reads, and the subset whose presence makes it apply.
struct FactUse {
    reads: &'static [&'static str],
    triggers: &'static [&'static str],
}

/// Which facts each kind of rule reads. A rule is checked when at least one
/// of its trigger facts is present; otherwise it is listed as not checked.
pub fn facts_read(
    kind: RuleKind,
    role: Option<SiteRole>,
) -> (&'static [&'static str], &'static [&'static str]) {
    let FactUse { reads, triggers } = fact_use(kind, role);
    (reads, triggers)
}

fn fact_use(kind: RuleKind, role: Option<SiteRole>) -> FactUse {
    const HOST_OS: &[&str] = &[
        "host.os",
        "host.service_pack",
        "host.architecture",
        "host.edition",
        "host.server_core",
    ];
    match kind {
        RuleKind::AmtFirmware => FactUse {
            reads: &["amt.version"],
            triggers: &["amt.version"],
        },
        RuleKind::OsRecognised => FactUse {
            reads: &[
                "host.os",
                "site.console_os",
                "site.service_point_os",
                "site.site_server_os",
                "site.site_server_os_upgraded_from",
                "site.role_os",
            ],
            triggers: &[
                "host.os",
                "site.console_os",
                "site.service_point_os",
                "site.site_server_os",
                "site.site_server_os_upgraded_from",
                "site.role_os",
            ],
        },
        RuleKind::ClientOs => FactUse {
            reads: HOST_OS,
            triggers: HOST_OS,
        },
        RuleKind::MobileOs => FactUse {
            reads: &["host.os", "host.architecture", "site.mode"],
            triggers: &["host.os"],
        },
        RuleKind::InbandProvisioning => FactUse {
            reads: &["host.os", "host.inband_provisioning"],
            triggers: &["host.os", "host.inband_provisioning"],
        },
        RuleKind::Rras => FactUse {
            reads: &["host.rras_running", "host.ics_enabled"],
            triggers: &["host.rras_running", "host.ics_enabled"],
        },
        RuleKind::ServerCoreOob => FactUse {
            reads: &["host.os", "host.server_core"],
            triggers: &["host.os", "host.server_core"],
        },
        RuleKind::NativeModeOs => FactUse {
            reads: &["host.os", "site.mode"],
            // The site mode alone says nothing about a client: host.os triggers it.
            triggers: &["host.os"],
        },
        RuleKind::ConsoleMinServicePack => FactUse {
            reads: &["site.console_os"],
            triggers: &["site.console_os"],
        },
        RuleKind::ConsoleColocation => FactUse {
            reads: &["site.console_roles"],
            triggers: &["site.console_roles"],
        },
        RuleKind::SiteRoleOs => match role {
            Some(SiteRole::Console) => FactUse {
                reads: &["site.console_os"],
                triggers: &["site.console_os"],
            },
            Some(SiteRole::OutOfBandServicePoint) => FactUse {
                reads: &["site.service_point_os", "site.service_point_kbs"],
                triggers: &["site.service_point_os"],
            },
            Some(SiteRole::PrimarySiteServer) => FactUse {
                reads: &["site.site_server_os"],
                triggers: &["site.site_server_os"],
            },
            _ => FactUse {
                reads: &["site.role_os", "site.site_kbs"],
                triggers: &["site.role_os"],
            },
        },
        RuleKind::SqlDatabase => FactUse {
            reads: &["site.sql", "site.site_kbs"],
            triggers: &["site.sql"],
        },
        RuleKind::SqlArchExcluded => FactUse {
            reads: &["site.sql"],
            triggers: &["site.sql"],
        },
        RuleKind::UpgradePath => FactUse {
            reads: &["site.upgrade_from", "site.release"],
            triggers: &["site.upgrade_from", "site.release"],
        },
        RuleKind::NewInstallRelease => FactUse {
            reads: &[
                "site.upgrade_from",
                "site.release",
                "site.site_server_os",
                "site.sql",
            ],
            triggers: &["site.upgrade_from", "site.release"],
        },
        RuleKind::SiteServerOsUpgrade => FactUse {
            reads: &["site.site_server_os_upgraded_from", "site.site_server_os"],
            triggers: &["site.site_server_os_upgraded_from"],
        },
        RuleKind::SqlInplaceUpgrade => FactUse {
            reads: &["site.sql_upgraded_from", "site.sql", "site.site_kbs"],
            triggers: &["site.sql_upgraded_from"],
        },
    }
}

fn present(record: &FactsRecord, fact: &str) -> bool {
    let host = record.host.as_ref();
    let site = record.site.as_ref();
    let text = |value: Option<&String>| value.is_some_and(|s| !s.trim().is_empty());
    match fact {
        "amt.version" => record
            .amt
            .as_ref()
            .is_some_and(|a| text(a.version.as_ref())),
        "host.os" => host.is_some_and(|h| text(h.os.as_ref())),
        "host.service_pack" => host.is_some_and(|h| h.service_pack.is_some()),
        "host.architecture" => host.is_some_and(|h| text(h.architecture.as_ref())),
        "host.edition" => host.is_some_and(|h| text(h.edition.as_ref())),
        "host.server_core" => host.is_some_and(|h| h.server_core.is_some()),
        "host.rras_running" => host.is_some_and(|h| h.rras_running.is_some()),
        "host.ics_enabled" => host.is_some_and(|h| h.ics_enabled.is_some()),
        "host.inband_provisioning" => host.is_some_and(|h| h.inband_provisioning.is_some()),
        "site.mode" => site.is_some_and(|s| text(s.mode.as_ref())),
        "site.console_os" => site.is_some_and(|s| text(s.console_os.as_ref())),
        "site.service_point_os" => site.is_some_and(|s| text(s.service_point_os.as_ref())),
        "site.service_point_kbs" => site.is_some_and(|s| s.service_point_kbs.is_some()),
        "site.sql" => site.is_some_and(|s| text(s.sql.as_ref())),
        "site.upgrade_from" => site.is_some_and(|s| text(s.upgrade_from.as_ref())),
        "site.release" => site.is_some_and(|s| text(s.release.as_ref())),
        "site.site_server_os" => site.is_some_and(|s| text(s.site_server_os.as_ref())),
        "site.site_server_os_upgraded_from" => {
            site.is_some_and(|s| text(s.site_server_os_upgraded_from.as_ref()))
        }
        "site.sql_upgraded_from" => site.is_some_and(|s| text(s.sql_upgraded_from.as_ref())),
        "site.console_roles" => site.is_some_and(|s| s.console_roles.is_some()),
        "site.role_os" => site.is_some_and(|s| s.role_os.as_ref().is_some_and(|m| !m.is_empty())),
        "site.site_kbs" => site.is_some_and(|s| s.site_kbs.is_some()),
        _ => false,
    }
}

/// The result of one rule on one record.
enum Outcome {
    Checked {
        findings: Vec<Finding>,
        missing: Vec<String>,
    },
}

impl Outcome {
    fn pass() -> Outcome {
        Outcome::Checked {
            findings: Vec::new(),
            missing: Vec::new(),
        }
    }
    fn findings(findings: Vec<Finding>) -> Outcome {
        Outcome::Checked {
            findings,
            missing: Vec::new(),
        }
    }
    fn missing(missing: Vec<String>) -> Outcome {
        Outcome::Checked {
            findings: Vec::new(),
            missing,
        }
    }
    fn from_judged(judged: Judged) -> Outcome {
        match judged {
            Judged::Decided(findings) => Outcome::findings(findings),
            Judged::Undecided(missing) => Outcome::missing(missing),
        }
    }
}

fn non_empty(value: Option<&String>) -> Option<&str> {
    value.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn host_os(policy: &Policy, host: Option<&HostFacts>) -> OsFact {
    let Some(host) = host else {
        return OsFact::Absent;
    };
    let Some(text) = non_empty(host.os.as_ref()) else {
        return OsFact::Absent;
    };
    let Some(parsed) = parse_os(text, None, None, None) else {
        return OsFact::Unrecognised;
    };
    let family = parsed.family;
    let mut unknown = Vec::new();

    let service_packs = candidates(
        parsed.service_pack,
        host.service_pack.as_deref().and_then(parse_service_pack),
        "host.service_pack",
        || sp_domain(family),
        &mut unknown,
    );
    let archs = candidates(
        parsed.arch,
        host.architecture.as_deref().and_then(Arch::parse),
        "host.architecture",
        || arch_domain(family),
        &mut unknown,
    );
    let editions = candidates(
        parsed.edition.map(Some),
        non_empty(host.edition.as_ref()).map(|field| parse_edition(family, field)),
        "host.edition",
        || edition_domain(policy, family, false),
        &mut unknown,
    );

    let mut contradictions = Vec::new();
    let sp_range = sp_domain(family);
    for sp in &service_packs {
        if !sp_range.contains(sp) {
            contradictions.push(format!(
                "host.service_pack (SP{sp} was never released for {})",
                family.display_name()
            ));
        }
    }
    let arch_range = arch_domain(family);
    for arch in &archs {
        if !arch_range.contains(arch) {
            contradictions.push(format!(
                "host.architecture ({} was never built for {})",
                family.display_name(),
                arch.as_str()
            ));
        }
    }

    let cores = candidates(
        parsed.server_core,
        host.server_core,
        "host.server_core",
        || core_domain(family),
        &mut unknown,
    );
    OsFact::Known(OsCandidates {
        family,
        editions,
        service_packs,
        archs,
        cores,
        unknown,
        contradictions,
    })
}

/// Every edition the policy names for a family, plus "another edition".
/// For single-string site facts (`site_only`), only the editions the site
/// tables name: a string such as `Windows Server 2003 SP2` is read as one of
/// the server editions a site runs on (see the policy file's header note).
fn edition_domain(policy: &Policy, family: OsFamily, site_only: bool) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    let mut add = |m: &OsMatch| {
        if m.family == family {
            for e in &m.editions {
                push_unique(&mut out, Some(e.clone()));
            }
        }
    };
    if site_only {
        policy.site_os.iter().for_each(|r| add(&r.os));
        if out.is_empty() {
            out.push(None);
        }
    } else {
        policy.client_os.iter().for_each(|r| add(&r.os));
        policy.mobile_os.iter().for_each(|r| add(&r.os));
        policy.site_os.iter().for_each(|r| add(&r.os));
        out.push(None);
    }
    out
}

/// A single-string OS fact from the site side (`Windows Server 2003 SP2`).
fn site_os(policy: &Policy, name: &str, text: Option<&String>) -> OsFact {
    let Some(text) = non_empty(text) else {
        return OsFact::Absent;
    };
    let Some(parsed) = parse_os(text, None, None, None) else {
        return OsFact::Unrecognised;
    };
    let family = parsed.family;
    let mut unknown = Vec::new();
    let service_packs = match parsed.service_pack {
        Some(sp) => vec![sp],
        None => {
            unknown.push(format!("{name} (service pack)"));
            sp_domain(family)
        }
    };
    let archs = parsed
        .arch
        .map(|a| vec![a])
        .unwrap_or_else(|| implied_arch(family));
    if archs.len() > 1 {
        unknown.push(format!("{name} (architecture)"));
    }
    let editions = match parsed.edition {
        Some(edition) => vec![Some(edition)],
        None => {
            unknown.push(format!("{name} (edition)"));
            edition_domain(policy, family, true)
        }
    };
    let cores = vec![parsed.server_core.unwrap_or(false)];
    OsFact::Known(OsCandidates {
        family,
        editions,
        service_packs,
        archs,
        cores,
        unknown,
        contradictions: Vec::new(),
    })
}

impl Policy {
    /// Evaluates one facts record against every rule of this policy.
    pub fn evaluate(&self, record: &FactsRecord) -> Evaluation {
        self.evaluate_rules(record, |_| true)
    }

    /// Evaluates the site side alone: the rules that read only `site.*`
    /// facts (plus OS recognition). The AMT and host rules are out of scope
    /// here, so they are neither run nor listed as not checked.
    pub fn evaluate_site(&self, site: &SiteFacts) -> Evaluation {
        let record = FactsRecord {
            site: Some(site.clone()),
            ..FactsRecord::default()
        };
        self.evaluate_rules(&record, |rule| {
            let (reads, _) = facts_read(rule.kind, rule.role);
            rule.kind == RuleKind::OsRecognised
                || reads.iter().all(|fact| fact.starts_with("site."))
        })
    }

    fn evaluate_rules(
        &self,
        record: &FactsRecord,
        in_scope: impl Fn(&RuleInfo) -> bool,
    ) -> Evaluation {
        let mut findings = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        let mut not_checked = Vec::new();
        for rule in self.rules().filter(|rule| in_scope(rule)) {
            let (_, triggers) = facts_read(rule.kind, rule.role);
            let always = rule.kind == RuleKind::AmtFirmware;
            if !always && !triggers.iter().any(|fact| present(record, fact)) {
                not_checked.push(rule.id.clone());
                continue;
            }
            match self.run_rule(rule, record) {
                Outcome::Checked {
                    findings: found,
                    missing: lacking,
                } => {
                    for finding in found {
                        push_unique(&mut findings, finding);
                    }
                    for fact in lacking {
                        push_unique(&mut missing, fact);
                    }
                }
            }
        }
        let verdict = if has_error(&findings) {
            Verdict::NotReady
        } else if !missing.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Ready
        };
        Evaluation {
            verdict,
            findings,
            missing,
            not_checked,
        }
    }

    fn finding(&self, rule: &RuleInfo, message: String) -> Finding {
        Finding {
            rule: rule.id.clone(),
            severity: rule.severity,
            message,
            seed_section: rule.seed_section.clone(),
            fix: rule.fix.clone(),
        }
    }

    fn note_findings(
        &self,
        ids: &[String],
        c: &Concrete,
        role: Option<SiteRole>,
        kbs: Option<&[String]>,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        for note in ids.iter().filter_map(|id| self.note(id)) {
            if !note_applies(note, c, role) {
                continue;
            }
            if note.kb.as_deref().is_some_and(|kb| kb_present(kbs, kb)) {
                continue;
            }
            out.push(Finding {
                rule: note.rule.clone(),
                severity: note.severity,
                // The family only: the note must read the same for every
                // candidate service pack or architecture it holds for.
                message: format!("{}: {}", c.family.display_name(), note.message),
                seed_section: note.seed_section.clone(),
                fix: note.fix.clone(),
            });
        }
        out
    }

    fn run_rule(&self, rule: &RuleInfo, record: &FactsRecord) -> Outcome {
        let host = record.host.as_ref();
        let default_site = SiteFacts::default();
        let site = record.site.as_ref().unwrap_or(&default_site);
        match rule.kind {
            RuleKind::AmtFirmware => self.amt_firmware(rule, record),
            RuleKind::OsRecognised => self.os_recognised(rule, record),
            RuleKind::ClientOs => match host_os(self, host) {
                OsFact::Absent => Outcome::missing(vec!["host.os".into()]),
                OsFact::Unrecognised => Outcome::missing(vec!["host.os (unrecognised)".into()]),
                OsFact::Known(c) if c.family.is_mobile() => Outcome::pass(),
                OsFact::Known(c) if !c.contradictions.is_empty() => {
                    Outcome::missing(c.contradictions)
                }
                OsFact::Known(c) => Outcome::from_judged(decide(&c.all(), &c.unknown, |os| {
                    self.client_os(rule, os, host)
                })),
            },
            RuleKind::MobileOs => match host_os(self, host) {
                OsFact::Known(c) if c.family.is_mobile() && !c.contradictions.is_empty() => {
                    Outcome::missing(c.contradictions)
                }
                OsFact::Known(c) if c.family.is_mobile() => self.mobile_os(rule, &c, site),
                OsFact::Unrecognised => Outcome::missing(vec!["host.os (unrecognised)".into()]),
                _ => Outcome::pass(),
            },
            RuleKind::InbandProvisioning => {
                let inband = host.and_then(|h| h.inband_provisioning);
                if inband == Some(false) {
                    return Outcome::pass();
                }
                let concerned =
                    |f: OsFamily| rule.families.contains(&f) || (rule.any_server && f.is_server());
                match (host_os(self, host), inband) {
                    (OsFact::Known(c), _) if !concerned(c.family) => Outcome::pass(),
                    (OsFact::Known(c), Some(true)) => Outcome::findings(vec![self.finding(
                        rule,
                        format!(
                            "in-band provisioning is not supported on {}",
                            c.family.display_name()
                        ),
                    )]),
                    (OsFact::Known(_), _) => {
                        Outcome::missing(vec!["host.inband_provisioning".into()])
                    }
                    (OsFact::Unrecognised, _) => {
                        Outcome::missing(vec!["host.os (unrecognised)".into()])
                    }
                    (OsFact::Absent, _) => Outcome::missing(vec!["host.os".into()]),
                }
            }
            RuleKind::Rras => {
                let rras = host.and_then(|h| h.rras_running);
                let ics = host.and_then(|h| h.ics_enabled);
                let mut found = Vec::new();
                if rras == Some(true) {
                    found.push(self.finding(rule, "the Routing and Remote Access service runs on the host; out-of-band communication is not supported".into()));
                }
                if ics == Some(true) {
                    found.push(self.finding(rule, "Internet Connection Sharing is enabled, which runs Routing and Remote Access; out-of-band communication is not supported".into()));
                }
                if !found.is_empty() {
                    return Outcome::findings(found);
                }
                let mut lacking = Vec::new();
                if rras.is_none() {
                    lacking.push("host.rras_running".to_string());
                }
                if ics.is_none() {
                    lacking.push("host.ics_enabled".to_string());
                }
                Outcome::missing(lacking)
            }
            RuleKind::ServerCoreOob => {
                let core_field = host.and_then(|h| h.server_core);
                match host_os(self, host) {
                    OsFact::Known(c) if !rule.families.contains(&c.family) => Outcome::pass(),
                    OsFact::Known(c) => {
                        Outcome::from_judged(decide(&c.cores, &c.unknown_core(), |&core| {
                            if core {
                                vec![self.finding(rule, format!("out-of-band management is not supported on a Server Core installation of {}", c.family.display_name()))]
                            } else {
                                Vec::new()
                            }
                        }))
                    }
                    _ if core_field == Some(false) => Outcome::pass(),
                    OsFact::Unrecognised => Outcome::missing(vec!["host.os (unrecognised)".into()]),
                    OsFact::Absent => Outcome::missing(vec!["host.os".into()]),
                }
            }
            RuleKind::NativeModeOs => {
                let mode = non_empty(site.mode.as_ref()).map(|m| m.to_ascii_lowercase());
                match mode.as_deref() {
                    Some("mixed") => return Outcome::pass(),
                    Some("native") | None => {}
                    Some(_) => {
                        return Outcome::missing(vec![
                            "site.mode (unrecognised; mixed or native)".into()
                        ])
                    }
                }
                match (host_os(self, host), mode.is_some()) {
                    (OsFact::Known(c), _) if !rule.families.contains(&c.family) => Outcome::pass(),
                    (OsFact::Known(c), true) => Outcome::findings(vec![self.finding(
                        rule,
                        format!(
                            "{} clients are not supported in a native-mode site",
                            c.family.display_name()
                        ),
                    )]),
                    (OsFact::Known(_), false) => Outcome::missing(vec!["site.mode".into()]),
                    (OsFact::Unrecognised, _) => {
                        Outcome::missing(vec!["host.os (unrecognised)".into()])
                    }
                    (OsFact::Absent, _) => Outcome::missing(vec!["host.os".into()]),
                }
            }
            RuleKind::ConsoleMinServicePack => {
                match site_os(self, "site.console_os", site.console_os.as_ref()) {
                    OsFact::Known(c) => Outcome::from_judged(decide(&c.all(), &c.unknown, |os| {
                        rule.min_service_packs
                        .iter()
                        .filter(|min| min.family == os.family && os.service_pack < min.service_pack)
                        .map(|min| self.finding(rule, format!(
                            "the out-of-band console is not supported on {}: {} needs SP{} or later",
                            os.describe(), os.family.display_name(), min.service_pack)))
                        .collect()
                    })),
                    OsFact::Unrecognised => {
                        Outcome::missing(vec!["site.console_os (unrecognised)".into()])
                    }
                    OsFact::Absent => Outcome::missing(vec!["site.console_os".into()]),
                }
            }
            RuleKind::ConsoleColocation => {
                let roles = site.console_roles.as_deref().unwrap_or_default();
                let mut found = Vec::new();
                let mut lacking = Vec::new();
                for name in roles {
                    match SiteRole::parse(name) {
                        Some(SiteRole::PrimarySiteServer) | Some(SiteRole::Console) => {}
                        Some(role) => found.push(self.finding(rule, format!(
                            "the console shares its computer with the {} role; only the primary site server role may share it",
                            role.as_str()))),
                        None => lacking.push(format!("site.console_roles (unrecognised role `{}`)", clip(name))),
                    }
                }
                Outcome::Checked {
                    findings: found,
                    missing: lacking,
                }
            }
            RuleKind::SiteRoleOs => self.site_role_os(rule, site),
            RuleKind::SqlDatabase => self.sql_database(rule, site),
            RuleKind::SqlArchExcluded => match non_empty(site.sql.as_ref()).map(parse_sql) {
                Some(Some(sql)) => match sql.arch {
                    Some(arch) if rule.archs.contains(&arch) => Outcome::findings(vec![self
                        .finding(
                            rule,
                            format!(
                                "the site database on {} {} is not supported",
                                sql.version.display_name(),
                                arch.as_str()
                            ),
                        )]),
                    Some(_) => Outcome::pass(),
                    None => Outcome::missing(vec!["site.sql (architecture)".into()]),
                },
                Some(None) => Outcome::missing(vec!["site.sql (unrecognised)".into()]),
                None => Outcome::missing(vec!["site.sql".into()]),
            },
            RuleKind::UpgradePath => self.upgrade_path(rule, site),
            RuleKind::NewInstallRelease => self.new_install_release(rule, site),
            RuleKind::SiteServerOsUpgrade => self.site_server_os_upgrade(rule, site),
            RuleKind::SqlInplaceUpgrade => self.sql_inplace_upgrade(rule, site),
        }
    }

    fn amt_firmware(&self, rule: &RuleInfo, record: &FactsRecord) -> Outcome {
        let Some(text) = record
            .amt
            .as_ref()
            .and_then(|a| non_empty(a.version.as_ref()))
        else {
            return Outcome::missing(vec!["amt.version".into()]);
        };
        let version: Version = match text.parse() {
            Ok(v) => v,
            Err(_) => {
                return Outcome::missing(vec![format!(
                    "amt.version (unreadable: `{}`)",
                    clip(text)
                )])
            }
        };
        let fits: Vec<RangeFit> = self
            .amt_supported
            .iter()
            .map(|r| version.fit(&r.from, &r.below))
            .collect();
        if fits.contains(&RangeFit::Inside) {
            return Outcome::pass();
        }
        if let Some(range) = self
            .amt_supported
            .iter()
            .zip(&fits)
            .find(|(_, f)| **f == RangeFit::Straddles)
            .map(|(r, _)| r)
        {
            return Outcome::missing(vec![format!(
                "amt.version (full revision: {version} alone cannot be decided against the minimum {})",
                range.from
            )]);
        }
        let same_minor = self
            .amt_supported
            .iter()
            .find(|r| r.from.parts().get(..2) == version.parts().get(..2) && version < r.from);
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
                let supported: Vec<String> = self
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
        Outcome::findings(vec![self.finding(rule, message)])
    }

    fn os_recognised(&self, rule: &RuleInfo, record: &FactsRecord) -> Outcome {
        let mut strings: Vec<(String, &str)> = Vec::new();
        if let Some(text) = record.host.as_ref().and_then(|h| non_empty(h.os.as_ref())) {
            strings.push(("host.os".into(), text));
        }
        if let Some(site) = record.site.as_ref() {
            let named = [
                ("site.console_os", site.console_os.as_ref()),
                ("site.service_point_os", site.service_point_os.as_ref()),
                ("site.site_server_os", site.site_server_os.as_ref()),
                (
                    "site.site_server_os_upgraded_from",
                    site.site_server_os_upgraded_from.as_ref(),
                ),
            ];
            for (name, value) in named {
                if let Some(text) = non_empty(value) {
                    if !(name.ends_with("upgraded_from") && is_none_word(text)) {
                        strings.push((name.into(), text));
                    }
                }
            }
            for (role, text) in site.role_os.iter().flatten() {
                strings.push((format!("site.role_os.{}", clip(role)), text.as_str()));
            }
        }
        let mut findings = Vec::new();
        let mut lacking = Vec::new();
        for (name, text) in strings {
            if parse_os(text, None, None, None).is_none() {
                findings.push(self.finding(
                    rule,
                    format!(
                        "unknown OS: `{}` ({name}) is not an OS the rules recognise",
                        clip(text)
                    ),
                ));
                lacking.push(format!("{name} (unrecognised)"));
            }
        }
        Outcome::Checked {
            findings,
            missing: lacking,
        }
    }

    fn client_os(&self, rule: &RuleInfo, c: &Concrete, host: Option<&HostFacts>) -> Vec<Finding> {
        let kbs = host.and_then(|h| h.kbs.as_deref());
        if let Some(row) = self.client_os.iter().find(|row| os_matches(&row.os, c)) {
            return self.note_findings(&row.notes, c, None, kbs);
        }
        let listed: Vec<&str> = self
            .client_os
            .iter()
            .filter(|r| r.os.family == c.family)
            .map(|r| r.seed.as_str())
            .collect();
        let message = if listed.is_empty() {
            format!("{} is not a supported client OS", c.describe())
        } else {
            format!(
                "{} is not a supported client OS (the table lists: {})",
                c.describe(),
                listed.join(" / ")
            )
        };
        vec![self.finding(rule, message)]
    }

    fn mobile_os(&self, rule: &RuleInfo, c: &OsCandidates, site: &SiteFacts) -> Outcome {
        let mode = non_empty(site.mode.as_ref()).map(|m| m.to_ascii_lowercase());
        let modes: Vec<bool> = match mode.as_deref() {
            Some("native") => vec![true],
            Some("mixed") => vec![false],
            _ => vec![false, true],
        };
        let mut unknown = c.unknown.clone();
        unknown.push("site.mode".into());
        let mut candidates = Vec::new();
        for os in c.all() {
            for &native in &modes {
                candidates.push((os.clone(), native));
            }
        }
        Outcome::from_judged(decide(&candidates, &unknown, |(os, native)| {
            match self.mobile_os.iter().find(|row| os_matches(&row.os, os)) {
                Some(row) if row.mixed_mode_only && *native => vec![self.finding(
                    rule,
                    format!("{} is supported only in mixed-mode sites", os.describe()),
                )],
                Some(row) => self.note_findings(&row.notes, os, None, None),
                None => vec![self.finding(
                    rule,
                    format!("{} is not a supported mobile device OS", os.describe()),
                )],
            }
        }))
    }

    fn site_role_os(&self, rule: &RuleInfo, site: &SiteFacts) -> Outcome {
        let mut targets: Vec<(String, SiteRole, Option<&String>)> = Vec::new();
        let mut lacking = Vec::new();
        match rule.role {
            Some(SiteRole::Console) => targets.push((
                "site.console_os".into(),
                SiteRole::Console,
                site.console_os.as_ref(),
            )),
            Some(SiteRole::OutOfBandServicePoint) => targets.push((
                "site.service_point_os".into(),
                SiteRole::OutOfBandServicePoint,
                site.service_point_os.as_ref(),
            )),
            Some(SiteRole::PrimarySiteServer) => targets.push((
                "site.site_server_os".into(),
                SiteRole::PrimarySiteServer,
                site.site_server_os.as_ref(),
            )),
            other => {
                for (name, os) in site.role_os.iter().flatten() {
                    match SiteRole::parse(name) {
                        Some(role) if Some(role) != other || other.is_none() => targets.push((
                            format!("site.role_os.{}", role.as_str()),
                            role,
                            Some(os),
                        )),
                        Some(_) => {}
                        None => lacking
                            .push(format!("site.role_os (unrecognised role `{}`)", clip(name))),
                    }
                }
            }
        }
        let mut findings = Vec::new();
        for (name, role, text) in targets {
            let kbs = if role == SiteRole::OutOfBandServicePoint {
                site.service_point_kbs.as_deref()
            } else {
                site.site_kbs.as_deref()
            };
            match site_os(self, &name, text) {
                OsFact::Absent => lacking.push(name),
                OsFact::Unrecognised => lacking.push(format!("{name} (unrecognised)")),
                OsFact::Known(c) => match decide(&c.all(), &c.unknown, |os| {
                    self.site_row_check(rule, role, os, kbs)
                }) {
                    Judged::Decided(found) => findings.extend(found),
                    Judged::Undecided(more) => lacking.extend(more),
                },
            }
        }
        Outcome::Checked {
            findings,
            missing: lacking,
        }
    }

    fn site_row_check(
        &self,
        rule: &RuleInfo,
        role: SiteRole,
        os: &Concrete,
        kbs: Option<&[String]>,
    ) -> Vec<Finding> {
        let row = self
            .site_os
            .iter()
            .find(|r| r.table == role.table() && os_matches(&r.os, os));
        match row {
            Some(row) if row.supported_roles.contains(&role) => {
                self.note_findings(&row.notes, os, Some(role), kbs)
            }
            Some(row) => vec![self.finding(
                rule,
                format!(
                    "the {} role is not supported on {} (seed row \"{}\"; {})",
                    role.as_str(),
                    os.describe(),
                    row.seed,
                    row.reading
                ),
            )],
            None => {
                vec![self.finding(
                    rule,
                    format!(
                "the {} role is not supported on {}: no row of the site system table lists it",
                role.as_str(), os.describe()),
                )]
            }
        }
    }

    fn sql_database(&self, rule: &RuleInfo, site: &SiteFacts) -> Outcome {
        let Some(text) = non_empty(site.sql.as_ref()) else {
            return Outcome::missing(vec!["site.sql".into()]);
        };
        let Some(sql) = parse_sql(text) else {
            return Outcome::missing(vec!["site.sql (unrecognised)".into()]);
        };
        let mut unknown = Vec::new();
        let editions: Vec<Option<String>> = match &sql.edition {
            Some(e) => vec![Some(e.clone())],
            None => {
                unknown.push("site.sql (edition)".to_string());
                vec![
                    Some("standard".into()),
                    Some("enterprise".into()),
                    Some("express".into()),
                    Some("workgroup".into()),
                    None,
                ]
            }
        };
        let sps: Vec<u8> = match sql.service_pack {
            Some(sp) => vec![sp],
            None => {
                unknown.push("site.sql (service pack)".to_string());
                (0..=4).collect()
            }
        };
        let archs: Vec<Arch> = match sql.arch {
            Some(a) => vec![a],
            None => {
                unknown.push("site.sql (architecture)".to_string());
                vec![Arch::X86, Arch::X64, Arch::Ia64]
            }
        };
        let mut candidates = Vec::new();
        for e in &editions {
            for &sp in &sps {
                for &arch in &archs {
                    candidates.push((e.clone(), sp, arch));
                }
            }
        }
        let kbs = site.site_kbs.as_deref();
        Outcome::from_judged(decide(&candidates, &unknown, |(edition, sp, arch)| {
            let describe = format!(
                "{} {} {} {}",
                sql.version.display_name(),
                edition.as_deref().unwrap_or("(other edition)"),
                if *sp == 0 {
                    "(no SP)".to_string()
                } else {
                    format!("SP{sp}")
                },
                arch.as_str()
            );
            let row = self.sql.iter().find(|r| {
                r.version == sql.version
                    && edition.as_ref().is_some_and(|e| r.editions.contains(e))
                    && r.service_packs.contains(sp)
                    && r.archs.contains(arch)
            });
            match row {
                Some(row) => self.sql_notes(&row.notes, &describe, kbs),
                None => vec![self.finding(
                    rule,
                    format!("{describe} is not a supported site database configuration"),
                )],
            }
        }))
    }

    fn sql_notes(&self, ids: &[String], describe: &str, kbs: Option<&[String]>) -> Vec<Finding> {
        ids.iter()
            .filter_map(|id| self.note(id))
            .filter(|note| !note.kb.as_deref().is_some_and(|kb| kb_present(kbs, kb)))
            .map(|note| Finding {
                rule: note.rule.clone(),
                severity: note.severity,
                message: format!("{describe}: {}", note.message),
                seed_section: note.seed_section.clone(),
                fix: note.fix.clone(),
            })
            .collect()
    }

    fn upgrade_path(&self, rule: &RuleInfo, site: &SiteFacts) -> Outcome {
        let from = non_empty(site.upgrade_from.as_ref());
        let release = non_empty(site.release.as_ref());
        let mut lacking = Vec::new();
        let source = match from {
            None => {
                lacking.push("site.upgrade_from".to_string());
                None
            }
            Some(text) => match parse_upgrade_source(text) {
                Some(UpgradeSource::NewInstall) => return Outcome::pass(),
                Some(source) => Some(source),
                None => {
                    lacking.push("site.upgrade_from (unrecognised)".to_string());
                    None
                }
            },
        };
        let release = match release {
            None => {
                lacking.push("site.release".to_string());
                None
            }
            Some(text) => {
                let parsed = Release::parse(text);
                if parsed.is_none() {
                    lacking.push("site.release (unrecognised; eval, sp or complete)".to_string());
                }
                parsed
            }
        };
        let (Some(source), Some(release)) = (source, release) else {
            return Outcome::missing(lacking);
        };
        let from_text = from.map(clip).unwrap_or_default();
        let Some(row) = self.upgrade.iter().find(|r| r.from == source) else {
            return Outcome::findings(vec![self.finding(rule, format!(
                "upgrading from {from_text} is not a supported path to Configuration Manager 2007 SP1 (not in the upgrade table)"))]);
        };
        let allowed = match release {
            Release::Eval => row.eval,
            Release::Sp => Some(row.sp),
            Release::Complete => Some(row.complete),
        };
        match allowed {
            Some(true) => Outcome::pass(),
            Some(false) | None => {
                let mut finding = self.finding(
                    rule,
                    format!(
                    "upgrading from {from_text} with the SP1 {} is not supported (seed row \"{}\")",
                    release.display_name(), row.seed),
                );
                let ok: Vec<&str> = [
                    (row.eval == Some(true), "evaluation"),
                    (row.sp, "service pack"),
                    (row.complete, "complete"),
                ]
                .iter()
                .filter(|(yes, _)| *yes)
                .map(|(_, name)| *name)
                .collect();
                finding.fix = Some(if ok.is_empty() {
                    "no SP1 release upgrades this product; install Configuration Manager 2007 SP1 as a new site".into()
                } else {
                    format!("use the {} release", ok.join(" or "))
                });
                Outcome::findings(vec![finding])
            }
        }
    }

    fn new_install_release(&self, rule: &RuleInfo, site: &SiteFacts) -> Outcome {
        let source = non_empty(site.upgrade_from.as_ref()).map(parse_upgrade_source);
        if let Some(Some(source)) = source {
            if source != UpgradeSource::NewInstall {
                return Outcome::pass();
            }
        }
        let release = non_empty(site.release.as_ref()).map(Release::parse);
        if release == Some(Some(rule.release.unwrap_or(Release::Complete))) {
            return Outcome::pass();
        }
        let server = match site_os(self, "site.site_server_os", site.site_server_os.as_ref()) {
            OsFact::Known(c) => Some(rule.families.contains(&c.family)),
            _ => None,
        };
        let sql = non_empty(site.sql.as_ref())
            .and_then(parse_sql)
            .map(|s| rule.sql_versions.contains(&s.version));
        if server == Some(false) && sql == Some(false) {
            return Outcome::pass();
        }
        let mut lacking = Vec::new();
        if !matches!(source, Some(Some(_))) {
            lacking.push("site.upgrade_from".to_string());
        }
        if !matches!(release, Some(Some(_))) {
            lacking.push("site.release".to_string());
        }
        let needs_complete = server == Some(true) || sql == Some(true);
        if !needs_complete {
            if server.is_none() {
                lacking.push("site.site_server_os".to_string());
            }
            if sql.is_none() {
                lacking.push("site.sql".to_string());
            }
        }
        if !lacking.is_empty() {
            return Outcome::missing(lacking);
        }
        let on = match (server, sql) {
            (Some(true), Some(true)) => "Windows Server 2008 and SQL Server 2008",
            (Some(true), _) => "Windows Server 2008",
            _ => "SQL Server 2008",
        };
        Outcome::findings(vec![self.finding(
            rule,
            format!(
                "a new installation on {on} must use the complete release, not the {}",
                release
                    .flatten()
                    .map(Release::display_name)
                    .unwrap_or("chosen release")
            ),
        )])
    }

    fn site_server_os_upgrade(&self, rule: &RuleInfo, site: &SiteFacts) -> Outcome {
        let Some(before) = non_empty(site.site_server_os_upgraded_from.as_ref()) else {
            return Outcome::pass();
        };
        if is_none_word(before) {
            return Outcome::pass();
        }
        let Some(before_os) = parse_os(before, None, None, None) else {
            return Outcome::missing(vec![
                "site.site_server_os_upgraded_from (unrecognised)".into()
            ]);
        };
        if !rule.upgraded_from.contains(&before_os.family) {
            return Outcome::pass();
        }
        match site_os(self, "site.site_server_os", site.site_server_os.as_ref()) {
            OsFact::Known(c) if rule.families.contains(&c.family) => Outcome::findings(vec![self
                .finding(
                    rule,
                    format!(
                "the site server OS was upgraded in place from {} to {}, which is not supported",
                before_os.family.display_name(), c.family.display_name()),
                )]),
            OsFact::Known(_) => Outcome::pass(),
            OsFact::Unrecognised => {
                Outcome::missing(vec!["site.site_server_os (unrecognised)".into()])
            }
            OsFact::Absent => Outcome::missing(vec!["site.site_server_os".into()]),
        }
    }

    fn sql_inplace_upgrade(&self, rule: &RuleInfo, site: &SiteFacts) -> Outcome {
        let Some(before) = non_empty(site.sql_upgraded_from.as_ref()) else {
            return Outcome::pass();
        };
        if is_none_word(before) {
            return Outcome::pass();
        }
        let Some(from) = parse_sql(before).map(|s| s.version) else {
            return Outcome::missing(vec!["site.sql_upgraded_from (unrecognised)".into()]);
        };
        let Some(text) = non_empty(site.sql.as_ref()) else {
            return Outcome::missing(vec!["site.sql".into()]);
        };
        let Some(to) = parse_sql(text).map(|s| s.version) else {
            return Outcome::missing(vec!["site.sql (unrecognised)".into()]);
        };
        if from == to {
            return Outcome::pass();
        }
        match self
            .sql_upgrade
            .iter()
            .find(|u| u.from == from && u.to == to)
        {
            Some(path) => {
                let describe = format!(
                    "{} upgraded from {}",
                    to.display_name(),
                    from.display_name()
                );
                Outcome::findings(self.sql_notes(&path.notes, &describe, site.site_kbs.as_deref()))
            }
            None => Outcome::findings(vec![self.finding(
                rule,
                format!(
                "an in-place upgrade of the site database from {} to {} is not a supported path",
                from.display_name(), to.display_name()),
            )]),
        }
    }
}

impl OsCandidates {
    fn unknown_core(&self) -> Vec<String> {
        self.unknown
            .iter()
            .filter(|u| u.contains("server_core"))
            .cloned()
            .collect()
    }
}

fn is_none_word(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "none" | "no" | "clean" | "new" | "n/a"
    )
}

/// Bounds user text echoed into messages.
fn clip(text: &str) -> &str {
    const MAX: usize = 80;
    if text.len() <= MAX {
        return text;
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::human_range;

    #[test]
    fn firmware_ranges_read_as_releases() {
        assert_eq!(human_range("3.2.1", "3.3"), "3.2.1 to 3.2.x");
        assert_eq!(human_range("4.0", "4.3"), "4.0 to 4.2.x");
        assert_eq!(human_range("5.0", "5.1"), "5.0.x");
        assert_eq!(human_range("5.2.10", "5.3"), "5.2.10 to 5.2.x");
        assert_eq!(human_range("5.3", "6.0"), "5.3 up to, not including, 6.0");
    }
}
