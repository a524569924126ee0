//! A saved scan's host records, as the reports that wrote them: facts and
//! the evaluation they were judged with. A resumed scan replays its file
//! through these so its report, summary and exit code cover every host, as
//! if the run had never stopped.

use std::io::BufReader;
use std::path::Path;

use serde_json::{Map, Value};

use super::{read_line_capped, HostReport, LineRead, MAX_RECORD_BYTES};
use crate::facts::FactsRecord;
use crate::rules::{Evaluation, Verdict};

/// Calls `each` with every host record of the JSON Lines file at `path`, in
/// file order. Site records, summaries and lines that are not records (the
/// resume plan has already set a half-written last line aside) are skipped.
pub fn saved_hosts(path: &Path, each: &mut dyn FnMut(HostReport)) -> Result<(), String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    loop {
        match read_line_capped(&mut reader, &mut buf, MAX_RECORD_BYTES)
            .map_err(|e| e.to_string())?
        {
            LineRead::End => return Ok(()),
            LineRead::TooLong => {
                return Err(format!("a record is longer than {MAX_RECORD_BYTES} bytes"))
            }
            LineRead::Complete | LineRead::Unterminated => {}
        }
        if let Ok(Value::Object(record)) = serde_json::from_slice::<Value>(&buf) {
            if let Some(report) = host_report(record) {
                each(report);
            }
        }
    }
}

/// A host record back into its facts and evaluation; `None` for a site
/// record, a summary or anything without a target.
pub fn host_report(mut record: Map<String, Value>) -> Option<HostReport> {
    if record.contains_key("kind") && record.get("kind") != Some(&Value::from("host")) {
        return None;
    }
    if !record.get("target").is_some_and(Value::is_string) {
        return None;
    }
    let verdict = record.remove("verdict");
    let mut take_list = |key: &str| record.remove(key).unwrap_or(Value::Array(Vec::new()));
    let (findings, missing, not_checked) = (
        take_list("findings"),
        take_list("missing"),
        take_list("not_checked"),
    );
    // Derived when written; recomputed from the facts whenever shown.
    record.remove("configmgr");
    let evaluation = match verdict {
        Some(verdict) => Some(Evaluation {
            verdict: serde_json::from_value::<Verdict>(verdict).ok()?,
            findings: serde_json::from_value(findings).ok()?,
            missing: serde_json::from_value(missing).ok()?,
            not_checked: serde_json::from_value(not_checked).ok()?,
        }),
        None => None,
    };
    let facts: FactsRecord = serde_json::from_value(Value::Object(record)).ok()?;
    Some(HostReport { facts, evaluation })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::HostStatus;

    #[test]
    fn a_written_record_reads_back_with_its_evaluation() {
        let report = HostReport {
            facts: FactsRecord {
                status: Some(HostStatus::Ok),
                ..FactsRecord::new("10.0.0.5")
            },
            evaluation: Some(Evaluation {
                verdict: Verdict::NotReady,
                findings: Vec::new(),
                missing: vec!["host.os".into()],
                not_checked: vec!["HOST-RRAS".into()],
            }),
        };
        let Value::Object(map) = serde_json::to_value(&report).unwrap() else {
            panic!("a record is an object")
        };
        let back = host_report(map).unwrap();
        assert_eq!(back.facts, report.facts);
        assert_eq!(back.evaluation, report.evaluation);
        let site = serde_json::json!({"kind": "site", "site": {}});
        assert!(host_report(site.as_object().unwrap().clone()).is_none());
    }
}
