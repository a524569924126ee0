//! `amtready rules`: lists every rule of the policies with what it checks and
//! the document and section it comes from.

use serde::Serialize;

use crate::rules::policy::BUILTINS;
use crate::rules::policy_set::DEFAULT_POLICIES;
use crate::rules::{Policy, PolicySet, RuleInfo};

/// Output formats of `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

/// Arguments of `amtready rules`.
#[derive(Debug, Clone, clap::Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
    /// List this built-in policy or policy file (repeatable) instead of every
    /// built-in one.
    #[arg(long, value_name = "NAME|FILE")]
    pub policy: Vec<String>,
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
    /// `document: section`, or the section alone.
    fn source(&self) -> String {
        match &self.document {
            Some(document) => format!("{document}: {}", self.seed_section),
            None => self.seed_section.clone(),
        }
    }
}

/// Loads the `--policy` values (built-in names or files; none: the default
/// set); on error reports it and gives the exit code.
pub(crate) fn load_policies(args: &[String]) -> Result<PolicySet, i32> {
    PolicySet::from_args(args).map_err(super::input_error)
}

/// Runs `amtready rules`; returns the exit code.
pub fn run(args: &RulesArgs) -> i32 {
    let names: Vec<String> = if args.policy.is_empty() {
        BUILTINS.iter().map(|(name, _)| name.to_string()).collect()
    } else {
        args.policy.clone()
    };
    let set = match load_policies(&names) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let list = entries(&set);
    match args.format {
        RulesFormat::Json => match serde_json::to_string_pretty(&list) {
            Ok(text) => println!("{text}"),
            Err(error) => return super::input_error(error),
        },
        RulesFormat::Markdown => {
            println!("| Rule | Policy | Severity | Checks | Source |");
            println!("|---|---|---|---|---|");
            for entry in &list {
                println!(
                    "| `{}` | {} | {} | {} | {} |",
                    entry.id,
                    entry.policy,
                    entry.severity,
                    entry.checks.replace('|', "\\|"),
                    entry.source().replace('|', "\\|")
                );
            }
        }
        RulesFormat::Table => {
            let mut table = comfy_table::Table::new();
            // No terminal probing (comfy-table's tty feature is off): wrap to a fixed width.
            table
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_width(150);
            table.set_header(["rule", "policy", "severity", "checks", "source"]);
            for entry in &list {
                table.add_row([
                    entry.id.as_str(),
                    entry.policy.as_str(),
                    entry.severity,
                    entry.checks.as_str(),
                    entry.source().as_str(),
                ]);
            }
            println!("{table}");
        }
    }
    super::exit::READY
}
