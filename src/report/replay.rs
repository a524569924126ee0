//! Saved scans read back: the records of a JSON Lines file, a JSON array or
//! one pretty-printed object, streamed record by record ([`read_scan`]), and
//! a saved scan's host records as the reports that wrote them
//! ([`saved_hosts`]: facts and the evaluation they were judged with). A
//! resumed scan replays its file through the latter so its report, summary
//! and exit code cover every host, as if the run had never stopped.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value};

use super::{read_line_capped, Event, HostReport, LineRead, MAX_RECORD_BYTES, SITE_KIND};
use crate::facts::{FactsRecord, SiteFacts};
use crate::rules::{Evaluation, Verdict};

/// Largest single pretty-printed document read whole.
const MAX_DOCUMENT: u64 = 256 * 1024 * 1024;

/// One record of a saved scan: a host, or the run's site.
#[derive(Debug)]
pub enum Item {
    /// A host record, as the facts it holds (the verdict it was saved with
    /// is not kept here: [`saved_hosts`] reads that).
    Host(Box<FactsRecord>),
    /// A `{"kind": "site", "site": {...}}` record.
    Site(Box<SiteFacts>),
}

/// One record of a saved scan, or why it could not be read.
#[derive(Debug)]
pub struct Input {
    /// 1-based line (JSON Lines) or element number (array).
    pub position: usize,
    /// The record, or why it is not one (on one line, fit to show).
    pub record: Result<Item, String>,
}

/// A `{"summary": ...}` object that a JSON report ends with: not a host.
fn is_summary(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.contains_key("summary") && !o.contains_key("target"))
}

/// A record's `kind`: `site`, `host`, or absent (a host, as every record
/// was before site records).
fn to_item(mut value: Value) -> Result<Item, String> {
    let kind = value
        .as_object()
        .and_then(|o| o.get("kind"))
        .map(|k| k.as_str().unwrap_or("?").to_string());
    match kind.as_deref() {
        Some(SITE_KIND) => {
            let site = value
                .as_object_mut()
                .and_then(|o| o.remove("site"))
                .ok_or_else(|| "a site record without `site` facts".to_string())?;
            serde_json::from_value(site)
                .map(|s| Item::Site(Box::new(s)))
                .map_err(|e| format!("site record: {e}"))
        }
        None | Some("host") => crate::hostfacts::check_record_keys(&value).and_then(|()| {
            serde_json::from_value(value)
                .map(|r| Item::Host(Box::new(r)))
                .map_err(|e| e.to_string())
        }),
        Some(other) => Err(format!(
            "unknown record kind `{}` (host or site)",
            super::text::clean(other)
                .chars()
                .take(40)
                .collect::<String>()
        )),
    }
}

fn to_input(position: usize, value: Value) -> Option<Input> {
    if is_summary(&value) {
        return None;
    }
    // serde repeats a bad value in its message (`unknown variant
    // `<whatever the file says>``): one bounded, escaped line per record.
    Some(Input {
        position,
        record: to_item(value)
            .map_err(|e| crate::text::bounded_line(&e, crate::amt::MAX_ERROR_CHARS)),
    })
}

/// Reads a saved scan and calls `each` per record, in file order. A record
/// that does not parse is passed on as an error for that record; only a broken
/// JSON array (which cannot be resynchronised) or an I/O error stops early.
pub fn read_scan(mut reader: impl BufRead, each: &mut dyn FnMut(Input)) -> Result<(), String> {
    // Find the first significant byte without consuming the stream.
    let first = loop {
        let buf = reader.fill_buf().map_err(|e| e.to_string())?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                reader.consume(i);
                break b;
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    if first == b'[' {
        let mut de = serde_json::Deserializer::from_reader(reader);
        return crate::json_array::each_element(
            &mut de,
            "a JSON array of facts records",
            &mut |position, value| {
                if let Some(input) = to_input(position, value) {
                    each(input);
                }
            },
        )
        .map_err(|e| format!("not a JSON array: {e}"));
    }
    let mut line_no = 0usize;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let read =
            read_line_capped(&mut reader, &mut buf, MAX_RECORD_BYTES).map_err(|e| e.to_string())?;
        if read == LineRead::End {
            return Ok(());
        }
        line_no += 1;
        if read == LineRead::TooLong {
            // Skip the rest of an over-long line.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = (&mut reader)
                    .take(1 << 20)
                    .read_until(b'\n', &mut sink)
                    .map_err(|e| e.to_string())?;
                if m == 0 || sink.ends_with(b"\n") {
                    break;
                }
            }
            each(Input {
                position: line_no,
                record: Err(format!("record longer than {MAX_RECORD_BYTES} bytes")),
            });
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(v) => {
                if let Some(input) = to_input(line_no, v) {
                    each(input);
                }
            }
            // The first line opens an object it does not close: a single
            // pretty-printed document (hand-written facts). Read it whole.
            Err(e) if line_no == 1 && e.is_eof() => {
                let mut doc = buf.clone();
                (&mut reader)
                    .take(MAX_DOCUMENT)
                    .read_to_end(&mut doc)
                    .map_err(|e| e.to_string())?;
                let stream = serde_json::Deserializer::from_slice(&doc).into_iter::<Value>();
                for (i, v) in stream.enumerate() {
                    match v {
                        Ok(v) => {
                            if let Some(input) = to_input(i + 1, v) {
                                each(input);
                            }
                        }
                        Err(e) => {
                            each(Input {
                                position: i + 1,
                                record: Err(e.to_string()),
                            });
                            break;
                        }
                    }
                }
                return Ok(());
            }
            Err(e) => each(Input {
                position: line_no,
                record: Err(e.to_string()),
            }),
        }
    }
}

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

/// A saved scan's host records as the events the scan that wrote them gave
/// ([`Event::HostJudged`], in file order), so a resumed scan's report,
/// summary and exit code take the same path as its new hosts.
pub fn saved_events(path: &Path, each: &mut dyn FnMut(Event)) -> Result<(), String> {
    saved_hosts(path, &mut |report| {
        each(Event::HostJudged(Box::new(report)))
    })
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

    fn collect(text: &str) -> (Vec<(usize, bool)>, Result<(), String>) {
        let mut got = Vec::new();
        let r = read_scan(text.as_bytes(), &mut |i| {
            got.push((i.position, matches!(i.record, Ok(Item::Host(_)))))
        });
        (got, r)
    }

    #[test]
    fn reads_lines_arrays_and_pretty_objects_and_skips_summaries() {
        let (lines, r) = collect(
            "{\"target\":\"a\"}\n\nnot json\n{\"target\":\"c\"}\n{\"summary\":{\"hosts\":2}}\n",
        );
        assert!(r.is_ok());
        assert_eq!(lines, [(1, true), (3, false), (4, true)]);
        let (array, r) = collect(r#"  [{"target":"a"},{"target":7},{"summary":{}}]"#);
        assert!(r.is_ok());
        assert_eq!(array, [(1, true), (2, false)]);
        let (one, r) = collect("{\n \"target\": \"a\",\n \"amt\": {\"version\": \"4.1\"}\n}\n");
        assert!(r.is_ok());
        assert_eq!(one, [(1, true)]);
        let (_, r) = collect("[1, 2");
        assert!(r.is_err());
    }
}
