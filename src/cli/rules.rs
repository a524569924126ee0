//! `amtready rules`: lists every rule of the policy with what it checks and
//! where in the seed it comes from.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::report::listing::write_listing;
use crate::report::row::source_title;
use crate::report::{text, Format};
use crate::rules::{Policy, RuleInfo};

/// Arguments of `amtready rules`.
#[derive(Debug, Clone, clap::Args)]
pub struct RulesArgs {
    /// Output format.
    /// (`junit` has no meaning for a rule list and is refused.)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
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
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match args.format {
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
                        e.severity.to_string(),
                        e.checks.clone(),
                        source_title(&e.seed_section),
                    ]
                })
                .collect();
            write_listing(
                &mut out,
                format,
                &format!("Rules of policy {}", policy.name),
                &["Rule", "Severity", "Checks", "Source"],
                &[18, 8, 30, 24],
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
    super::exit::READY
}
