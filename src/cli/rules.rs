//! `amtready rules`: lists every rule of the policy with what it checks and
//! where in the seed it comes from.

use std::path::PathBuf;

use serde::Serialize;

use crate::rules::{Policy, RuleInfo};

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
    /// List the rules of this policy file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// One line of the listing: a rule, or a footnote that yields its own finding id.
#[derive(Debug, Serialize)]
struct Entry {
    id: String,
    severity: &'static str,
    checks: String,
    seed_section: String,
    /// Facts the rule reads (empty for footnotes: they ride on their table's rule).
    reads: Vec<&'static str>,
    /// The rule is checked when at least one of these facts is present.
    applies_when_any_of: Vec<&'static str>,
}

fn entries(policy: &Policy) -> Vec<Entry> {
    let mut out: Vec<Entry> = policy.rules().map(rule_entry).collect();
    for note in &policy.notes {
        out.push(Entry {
            id: note.rule.clone(),
            severity: note.severity.as_str(),
            checks: note.message.clone(),
            seed_section: note.seed_section.clone(),
            reads: Vec::new(),
            applies_when_any_of: Vec::new(),
        });
    }
    out
}

fn rule_entry(rule: &RuleInfo) -> Entry {
    let facts = rule.facts();
    Entry {
        id: rule.id.clone(),
        severity: rule.severity.as_str(),
        checks: rule.checks.clone(),
        seed_section: rule.seed_section.clone(),
        reads: facts.reads.iter().map(|f| f.name()).collect(),
        applies_when_any_of: facts.triggers.iter().map(|f| f.name()).collect(),
    }
}

/// Loads `--policy` or the built-in policy; on error reports it and gives the exit code.
pub(crate) fn load_policy(
    path: Option<&PathBuf>,
) -> Result<std::borrow::Cow<'static, Policy>, i32> {
    match path {
        None => Ok(std::borrow::Cow::Borrowed(Policy::builtin())),
        Some(path) => Policy::load(path)
            .map(std::borrow::Cow::Owned)
            .map_err(super::input_error),
    }
}

/// Runs `amtready rules`; returns the exit code.
pub fn run(args: &RulesArgs) -> i32 {
    let policy = match load_policy(args.policy.as_ref()) {
        Ok(policy) => policy,
        Err(code) => return code,
    };
    let list = entries(&policy);
    match args.format {
        RulesFormat::Json => match serde_json::to_string_pretty(&list) {
            Ok(text) => println!("{text}"),
            Err(error) => return super::input_error(error),
        },
        RulesFormat::Markdown => {
            println!("| Rule | Severity | Checks | Seed section |");
            println!("|---|---|---|---|");
            for entry in &list {
                println!(
                    "| `{}` | {} | {} | {} |",
                    entry.id,
                    entry.severity,
                    entry.checks.replace('|', "\\|"),
                    entry.seed_section
                );
            }
        }
        RulesFormat::Table => {
            let mut table = comfy_table::Table::new();
            // No terminal probing (comfy-table's tty feature is off): wrap to a fixed width.
            table
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_width(150);
            table.set_header(["rule", "severity", "checks", "seed section"]);
            for entry in &list {
                table.add_row([
                    entry.id.as_str(),
                    entry.severity,
                    entry.checks.as_str(),
                    entry.seed_section.as_str(),
                ]);
            }
            println!("{table}");
        }
    }
    super::exit::READY
}
