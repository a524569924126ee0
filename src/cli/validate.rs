//! `amtready validate`: judges saved facts records offline (a scan saved
//! earlier, or hand-written facts), so a policy change can be re-applied
//! without touching the network.

use std::io::Read;
use std::path::PathBuf;

use serde_json::Value;

use crate::facts::FactsRecord;
use crate::report::{self, Format, HostReport};
use crate::rules::{exit_code, PolicySet, Verdict};

/// Largest facts file read: a saved scan of a large fleet is tens of MiB.
const MAX_FACTS_BYTES: u64 = 256 * 1024 * 1024;

/// Arguments of `amtready validate`.
#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// Facts file: one JSON object, a JSON array of objects, or JSON Lines.
    #[arg(value_name = "FACTS.json|FACTS.jsonl")]
    pub file: PathBuf,
    /// Judge with this built-in policy or policy file; repeat to combine.
    /// Default: configmgr-2007-sp1 and configmgr-2007-sp1-provisioning.
    #[arg(long, value_name = "NAME|FILE")]
    pub policy: Vec<String>,
    /// Output format, as for `scan`: the records come back with `verdict`,
    /// `findings`, `missing` and `not_checked` added.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// One record read from the file, or why it could not be read.
#[derive(Debug)]
pub struct InputRecord {
    /// 1-based line where the record starts (JSON Lines) or its index + 1 (array).
    pub position: usize,
    pub record: Result<FactsRecord, String>,
}

/// Splits a facts file into records. A record that does not parse is an error
/// for that record only; the others still come back.
pub fn parse_facts(text: &str) -> Result<Vec<InputRecord>, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<Value> =
            serde_json::from_str(text).map_err(|error| format!("not a JSON array: {error}"))?;
        return Ok(items
            .into_iter()
            .enumerate()
            .map(|(index, item)| InputRecord {
                position: index + 1,
                record: serde_json::from_value(item).map_err(|error| error.to_string()),
            })
            .collect());
    }
    // A single (possibly pretty-printed) object.
    if let Ok(record) = serde_json::from_str::<FactsRecord>(text) {
        return Ok(vec![InputRecord {
            position: 1,
            record: Ok(record),
        }]);
    }
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| InputRecord {
            position: index + 1,
            record: serde_json::from_str(line).map_err(|error| error.to_string()),
        })
        .collect())
}

fn read_bounded(path: &PathBuf) -> Result<String, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_FACTS_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if text.len() as u64 > MAX_FACTS_BYTES {
        return Err(format!(
            "{} is larger than {MAX_FACTS_BYTES} bytes",
            path.display()
        ));
    }
    Ok(text)
}

/// Judges records with a policy and writes them in `format`; returns the exit
/// code (0 ready, 1 any not ready, 2 only unknowns, 3 if any record was unreadable).
pub fn judge_and_print(
    policy: &PolicySet,
    records: Vec<InputRecord>,
    format: Format,
    origin: &str,
) -> i32 {
    let mut verdicts: Vec<Verdict> = Vec::new();
    let mut bad_records = 0usize;
    let stdout = std::io::stdout();
    let mut sink = report::sink(format, stdout.lock());
    for input in records {
        match input.record {
            Err(error) => {
                bad_records += 1;
                eprintln!(
                    "amtready: {origin}:{}: bad facts record: {error}",
                    input.position
                );
            }
            Ok(facts) => {
                let evaluation = policy.evaluate(&facts);
                verdicts.push(evaluation.verdict);
                let line = HostReport {
                    facts,
                    evaluation: Some(evaluation),
                };
                if let Err(e) = sink.record(&line) {
                    return super::input_error(format_args!("cannot write the report: {e}"));
                }
            }
        }
    }
    if let Err(e) = sink.finish() {
        return super::input_error(format_args!("cannot write the report: {e}"));
    }
    if bad_records > 0 {
        super::exit::INPUT
    } else {
        exit_code(verdicts)
    }
}

/// Runs `amtready validate`; returns the exit code.
pub fn run(args: &ValidateArgs) -> i32 {
    let policy = match super::rules::load_policies(&args.policy) {
        Ok(policy) => policy,
        Err(code) => return code,
    };
    let text = match read_bounded(&args.file) {
        Ok(text) => text,
        Err(message) => return super::input_error(message),
    };
    let records = match parse_facts(&text) {
        Ok(records) => records,
        Err(message) => return super::input_error(format!("{}: {message}", args.file.display())),
    };
    if records.is_empty() {
        return super::input_error(format!("{}: no facts records", args.file.display()));
    }
    judge_and_print(
        &policy,
        records,
        args.format,
        &args.file.display().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_object_array_and_lines() {
        let one =
            parse_facts("{\n \"target\": \"a\",\n \"amt\": {\"version\": \"4.1\"}\n}\n").unwrap();
        assert_eq!(one.len(), 1);
        let array = parse_facts(r#"[{"target":"a"},{"target":"b"},{"target":7}]"#).unwrap();
        assert_eq!(array.len(), 3);
        assert!(array[2].record.is_err());
        let lines = parse_facts("{\"target\":\"a\"}\n\nnot json\n{\"target\":\"c\"}\n").unwrap();
        let positions: Vec<usize> = lines.iter().map(|r| r.position).collect();
        assert_eq!(positions, [1, 3, 4]);
        assert!(lines[1].record.is_err() && lines[2].record.is_ok());
        assert!(parse_facts("[1, 2").is_err());
    }
}
