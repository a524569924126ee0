//! `amtready rules`: lists every rule of the policies with what it checks and
//! the document and section it comes from, in any listing format.

use super::flags::{FormatArgs, PolicyArgs};
use amtready::ExitCode;
use std::io::Write;

use serde::Serialize;

use amtready::report::source_of;
use amtready::report::write_listing;
use amtready::report::{text, Format};
use amtready::rules::BUILTINS;
use amtready::rules::DEFAULT_POLICIES;
use amtready::rules::{Policy, PolicySet, RuleInfo};

/// Arguments of `amtready rules`.
#[derive(Debug, Clone, clap::Args)]
#[command(mut_arg("format", |a: clap::Arg| a
    .help("Output format")
    .long_help("Output format.\n\n`junit` has no meaning for a rule list and is refused.")))]
#[command(mut_arg("policy", |a: clap::Arg| a
    .help("List this built-in policy or policy file (repeatable)")
    .long_help("List this built-in policy or policy file (repeatable).\n\nWithout it, every built-in policy is listed.")))]
pub struct RulesArgs {
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// One line of the listing: a rule, or a footnote that yields its own finding id.
#[derive(Debug, Serialize)]
struct Entry {
    id: String,
    /// The policy that holds it.
    policy: String,
    /// Whether `scan` and `validate` use that policy when none is named.
    default: bool,
    severity: &'static str,
    checks: String,
    /// The source document.
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<String>,
    /// The section of the document (a seed heading for the seed's matrix).
    seed_section: String,
    /// Facts the rule reads (empty for footnotes: they ride on their table's rule).
    reads: Vec<&'static str>,
    /// The rule is checked when at least one of these facts is present.
    applies_when_any_of: Vec<&'static str>,
}

fn entries(set: &PolicySet) -> Vec<Entry> {
    let mut out = Vec::new();
    for policy in set.policies() {
        out.extend(policy.rules().map(|rule| rule_entry(policy, rule)));
        for note in &policy.notes {
            out.push(Entry {
                id: note.rule.clone(),
                policy: policy.name.clone(),
                default: DEFAULT_POLICIES.contains(&policy.name.as_str()),
                severity: note.severity.as_str(),
                checks: note.message.clone(),
                document: policy.document.clone(),
                seed_section: note.seed_section.clone(),
                reads: Vec::new(),
                applies_when_any_of: Vec::new(),
            });
        }
    }
    out
}

fn rule_entry(policy: &Policy, rule: &RuleInfo) -> Entry {
    let facts = rule.facts();
    Entry {
        id: rule.id.clone(),
        policy: policy.name.clone(),
        default: DEFAULT_POLICIES.contains(&policy.name.as_str()),
        severity: rule.severity.as_str(),
        checks: rule.checks.clone(),
        document: rule.document.clone().or_else(|| policy.document.clone()),
        seed_section: rule.seed_section.clone(),
        reads: facts.reads.iter().map(|f| f.name()).collect(),
        applies_when_any_of: facts.triggers.iter().map(|f| f.name()).collect(),
    }
}

impl Entry {
    /// Document title and section, as every report names a rule's source.
    fn source(&self) -> String {
        source_of(self.document.as_deref(), &self.seed_section)
    }
}

/// Loads the `--policy` values (built-in names or files; none: the default
/// set); on error reports it and gives the exit code.
pub(crate) fn load_policies(args: &[String]) -> Result<PolicySet, ExitCode> {
    PolicySet::from_args(args).map_err(super::input_error)
}

/// What a report's header says the hosts were judged by: the policies' names.
pub(crate) fn judged_by(set: &PolicySet) -> String {
    set.policies()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a scan report's header says under `--no-rules`.
pub(crate) const NO_RULES: &str = "none (--no-rules)";

/// What `report --no-rules` says: the saved verdicts are shown as written.
pub(crate) const SAVED_VERDICTS: &str = "the verdicts saved in the file (--no-rules)";

/// Runs `amtready rules`; returns the exit code.
pub fn run(args: &RulesArgs) -> ExitCode {
    let names: Vec<String> = if args.policy.policy.is_empty() {
        BUILTINS.iter().map(|(name, _)| name.to_string()).collect()
    } else {
        args.policy.policy.clone()
    };
    let set = match load_policies(&names) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let list = entries(&set);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match args.format.format {
        Format::Json => serde_json::to_writer_pretty(&mut out, &list)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Jsonl => list.iter().try_for_each(|e| {
            serde_json::to_writer(&mut out, e)?;
            writeln!(out)
        }),
        Format::Junit => {
            return super::input_error(
                "rules: junit describes hosts; use table, json, jsonl, csv, markdown or html",
            )
        }
        format => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|e| {
                    vec![
                        e.id.clone(),
                        e.policy.clone(),
                        e.severity.to_string(),
                        e.checks.clone(),
                        e.source(),
                    ]
                })
                .collect();
            write_listing(
                &mut out,
                format,
                "amtready rules",
                &["Rule", "Policy", "Severity", "Checks", "Source"],
                &[18, 12, 8, 30, 24],
                &rows,
                text::output_width(),
            )
        }
    };
    match written.and_then(|()| out.flush()) {
        // `| head` closed the pipe: the reader has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return super::input_error(format_args!("cannot write the rules: {e}")),
        Ok(()) => {}
    }
    ExitCode::Ready
}
