//! Machine-readable output. Both sinks write and flush each host as it arrives,
//! so an interrupted scan loses nothing it had finished.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use super::row::Projector;
use super::summary::{Summary, SummaryBuilder};
use super::{replay, HostReport, ReportSink, SiteReport, MAX_RECORD_BYTES};
use crate::facts::{ConfigMgrView, HostStatus};
use crate::rules::Verdict;
use crate::text::{bounded_line, clip_field, MAX_FIELD_BYTES};

/// `report` as the JSON object written for it, never longer than
/// [`MAX_RECORD_BYTES`]: what every reader of a saved scan accepts, so a scan's
/// own output can always be resumed and reported.
///
/// Every string longer than [`MAX_FIELD_BYTES`] (a device's 600,000-character
/// hostname, a megabyte of WinRM caption) is clipped with
/// [`clip_field`] first. The record is walked as a JSON value rather than
/// field by field so a string field added later is clipped too. If the record
/// is still too long (an absurd number of elements), a reduced record is
/// written instead: the host keeps its target, status and verdict and says in
/// `error` what was dropped, so it still counts as done when resumed.
pub(crate) fn record_line(report: &HostReport) -> serde_json::Result<Vec<u8>> {
    let line = serde_json::to_vec(report)?;
    // A string is never longer than its JSON form, so a line whose string
    // literals are all this short holds nothing to clip: most records (a
    // full inventory is 4-9 KiB) are written without a second pass.
    if longest_string_literal(&line) <= MAX_FIELD_BYTES {
        if line.len() > MAX_RECORD_BYTES {
            return reduced(report, line.len(), "it was too long");
        }
        return Ok(line);
    }
    let mut value = serde_json::to_value(report)?;
    let line = if clip_strings(&mut value, true) {
        // Back through the reader's own parse, so the clipped record is
        // written with the same fields in the same order as any other.
        let clipped = match value {
            Value::Object(map) => replay::host_report(map),
            _ => None,
        };
        match clipped {
            Some(clipped) => serde_json::to_vec(&clipped)?,
            None => return reduced(report, line.len(), "it did not read back once clipped"),
        }
    } else {
        line
    };
    if line.len() > MAX_RECORD_BYTES {
        return reduced(report, line.len(), "it was too long");
    }
    Ok(line)
}

/// The length of the longest string literal (quotes excluded, escapes as
/// written) in serialised JSON: one pass over the bytes, no allocation.
fn longest_string_literal(json: &[u8]) -> usize {
    let (mut longest, mut current) = (0usize, None::<usize>);
    let mut escaped = false;
    for &b in json {
        match current {
            None if b == b'"' => current = Some(0),
            None => {}
            Some(n) if escaped => {
                escaped = false;
                current = Some(n + 1);
            }
            Some(n) if b == b'\\' => {
                escaped = true;
                current = Some(n + 1);
            }
            Some(n) if b == b'"' => {
                longest = longest.max(n);
                current = None;
            }
            Some(n) => current = Some(n + 1),
        }
    }
    longest.max(current.unwrap_or(0))
}

/// Clips every string in `value` longer than [`MAX_FIELD_BYTES`], except the
/// record's own `target`, which resuming matches exactly (and which the
/// target parser already bounds). Keys are field names amtready chose, never
/// a device's text. True if anything was clipped.
fn clip_strings(value: &mut Value, top: bool) -> bool {
    match value {
        Value::String(s) if s.len() > MAX_FIELD_BYTES => {
            *s = clip_field(s).into_owned();
            true
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, v| clip_strings(v, false) | any),
        Value::Object(map) => map
            .iter_mut()
            .filter(|(k, _)| !(top && k.as_str() == "target"))
            .fold(false, |any, (_, v)| clip_strings(v, false) | any),
        _ => false,
    }
}

/// The record written for a host whose full record is longer than any reader
/// accepts: enough to resume past it and to count its verdict.
fn reduced(report: &HostReport, full: usize, why: &str) -> serde_json::Result<Vec<u8>> {
    #[derive(Serialize)]
    struct Reduced<'a> {
        target: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<HostStatus>,
        error: String,
        configmgr: ConfigMgrView,
        #[serde(skip_serializing_if = "Option::is_none")]
        verdict: Option<Verdict>,
    }
    let mut error = format!(
        "record of {full} bytes not written whole ({why}; a reader takes at most \
         {MAX_RECORD_BYTES}): amt, host, site, credentials facts and findings dropped"
    );
    if let Some(was) = &report.facts.error {
        error.push_str("; error: ");
        error.push_str(was);
    }
    serde_json::to_vec(&Reduced {
        target: &report.facts.target,
        status: report.facts.status,
        error: bounded_line(&error, crate::amt::MAX_ERROR_CHARS),
        configmgr: report.configmgr(),
        verdict: report.evaluation.as_ref().map(|e| e.verdict),
    })
}

/// The object a JSON report ends with: `{"summary": {...}}`. Readers of saved
/// scans (`validate`, `report`) recognise and skip it.
#[derive(Serialize)]
struct SummaryObject<'a> {
    summary: &'a Summary,
}

/// Running counts for the final summary object, kept only when one is written.
#[derive(Default)]
struct Tally {
    projector: Projector,
    summary: SummaryBuilder,
    partial: bool,
}

impl Tally {
    fn site(&mut self, site: &SiteReport) {
        let row = self.projector.site_row(site);
        self.summary.site(&row);
    }

    fn add(&mut self, report: &HostReport) {
        let row = self.projector.row(report);
        self.summary.add(report, &row);
    }
}

/// JSON Lines: one compact object per line; with `--summary`, a last
/// `{"summary": ...}` line (off by default so line-per-host consumers are
/// not surprised).
pub struct JsonLinesSink<W: Write> {
    out: W,
    tally: Option<Tally>,
}

impl<W: Write> JsonLinesSink<W> {
    /// A sink writing to `out`, ending with the `{"summary": ...}` line if
    /// `with_summary` (`--summary`).
    pub fn new(out: W, with_summary: bool) -> Self {
        Self {
            out,
            tally: with_summary.then(Tally::default),
        }
    }
}

impl<W: Write> ReportSink for JsonLinesSink<W> {
    fn site(&mut self, site: &SiteReport) -> io::Result<()> {
        if let Some(t) = &mut self.tally {
            t.site(site);
        }
        serde_json::to_writer(&mut self.out, site)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    fn record(&mut self, report: &HostReport) -> io::Result<()> {
        if let Some(t) = &mut self.tally {
            t.add(report);
        }
        // One write per record: a record larger than the writer's buffer
        // would otherwise reach the file in pieces, and a scan killed between
        // them would leave half a line that `--resume` must then repair.
        let mut line = record_line(report)?;
        line.push(b'\n');
        self.out.write_all(&line)?;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        if let Some(t) = &self.tally {
            let summary = t.summary.finish(t.partial);
            serde_json::to_writer(&mut self.out, &SummaryObject { summary: &summary })?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }

    fn mark_partial(&mut self) {
        if let Some(t) = &mut self.tally {
            t.partial = true;
        }
    }

    fn notice(&mut self, text: &str) {
        if let Some(t) = &mut self.tally {
            t.summary.notice(text);
        }
    }
}

/// A JSON array written element by element. If the scan is killed the closing
/// bracket is missing but every finished element is on disk; `validate` reads
/// such a file as JSON Lines would not, so prefer `jsonl` for long scans.
/// The last element is the `{"summary": ...}` object.
pub(crate) struct JsonArraySink<W: Write> {
    out: W,
    written: usize,
    tally: Tally,
}

impl<W: Write> JsonArraySink<W> {
    pub(crate) fn new(out: W) -> Self {
        Self {
            out,
            written: 0,
            tally: Tally::default(),
        }
    }
}

impl<W: Write> JsonArraySink<W> {
    fn element(&mut self, json: &[u8]) -> io::Result<()> {
        self.out.write_all(if self.written == 0 {
            b"[\n  "
        } else {
            b",\n  "
        })?;
        self.out.write_all(json)?;
        self.written += 1;
        self.out.flush()
    }
}

impl<W: Write> ReportSink for JsonArraySink<W> {
    fn site(&mut self, site: &SiteReport) -> io::Result<()> {
        self.tally.site(site);
        self.element(&serde_json::to_vec(site)?)
    }

    fn record(&mut self, report: &HostReport) -> io::Result<()> {
        self.tally.add(report);
        let line = record_line(report)?;
        self.element(&line)
    }

    fn finish(&mut self) -> io::Result<()> {
        let summary = self.tally.summary.finish(self.tally.partial);
        self.out.write_all(if self.written == 0 {
            b"[\n  "
        } else {
            b",\n  "
        })?;
        serde_json::to_writer(&mut self.out, &SummaryObject { summary: &summary })?;
        self.out.write_all(b"\n]\n")?;
        self.out.flush()
    }

    fn mark_partial(&mut self) {
        self.tally.partial = true;
    }

    fn notice(&mut self, text: &str) {
        self.tally.summary.notice(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_string_literal_is_measured_as_written() {
        assert_eq!(longest_string_literal(br#"{"a":"xyz","bb":1}"#), 3);
        assert_eq!(longest_string_literal(br#"["a\"b",""]"#), 4);
        assert_eq!(longest_string_literal(b"{}"), 0);
    }
    use crate::facts::{FactsRecord, HostStatus};

    fn report(target: &str) -> HostReport {
        HostReport {
            facts: FactsRecord {
                status: Some(HostStatus::Ok),
                ..FactsRecord::new(target)
            },
            evaluation: None,
        }
    }

    #[test]
    fn array_is_valid_json_for_zero_one_and_many() {
        for n in [0usize, 1, 3] {
            let mut buf = Vec::new();
            let mut sink = JsonArraySink::new(&mut buf);
            for i in 0..n {
                sink.record(&report(&format!("10.0.0.{i}"))).unwrap();
            }
            sink.finish().unwrap();
            let parsed: Vec<serde_json::Value> = serde_json::from_slice(&buf).unwrap();
            assert_eq!(parsed.len(), n + 1);
            assert_eq!(parsed[n]["summary"]["hosts"], n);
        }
    }

    fn parse(line: &[u8]) -> Value {
        serde_json::from_slice(line).unwrap()
    }

    #[test]
    fn a_huge_device_string_is_clipped_and_the_rest_kept() {
        let mut r = report("10.0.0.9");
        r.facts.amt = Some(crate::facts::AmtFacts {
            hostname: Some("h".repeat(600_000)),
            domain: Some("corp.example".into()),
            ..Default::default()
        });
        let line = record_line(&r).unwrap();
        assert!(line.len() < 2 * MAX_FIELD_BYTES, "{}", line.len());
        let v = parse(&line);
        let hostname = v["amt"]["hostname"].as_str().unwrap();
        assert_eq!(hostname, clip_field(&"h".repeat(600_000)));
        assert!(hostname.ends_with(" bytes)"), "{hostname}");
        assert_eq!(v["amt"]["domain"], "corp.example");
        assert_eq!(v["target"], "10.0.0.9");
        assert_eq!(v["status"], "ok");
    }

    #[test]
    fn a_record_too_long_even_clipped_is_written_reduced_and_still_reads_back() {
        let mut r = report("10.0.0.10");
        r.facts.error = Some("partly read".into());
        let hash = crate::facts::CertHash {
            instance_id: "x".repeat(MAX_FIELD_BYTES),
            ..Default::default()
        };
        let count = MAX_RECORD_BYTES / MAX_FIELD_BYTES + 1;
        r.facts.amt = Some(crate::facts::AmtFacts {
            cert_hashes: Some(vec![hash; count]),
            ..Default::default()
        });
        r.evaluation = Some(crate::rules::Evaluation {
            verdict: Verdict::NotReady,
            findings: Vec::new(),
            missing: Vec::new(),
            not_checked: Vec::new(),
        });
        let line = record_line(&r).unwrap();
        assert!(line.len() <= MAX_RECORD_BYTES);
        let Value::Object(map) = parse(&line) else {
            panic!("a record is an object")
        };
        let back = replay::host_report(map).unwrap();
        assert_eq!(back.facts.target, "10.0.0.10");
        assert_eq!(back.facts.status, Some(HostStatus::Ok));
        assert!(back.facts.amt.is_none());
        assert_eq!(back.evaluation.unwrap().verdict, Verdict::NotReady);
        let error = back.facts.error.unwrap();
        assert!(
            error.contains("dropped") && error.contains("partly read"),
            "{error}"
        );
    }

    #[test]
    fn lines_are_one_object_each() {
        let mut buf = Vec::new();
        let mut sink = JsonLinesSink::new(&mut buf, false);
        sink.record(&report("a")).unwrap();
        sink.record(&report("b")).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let targets: Vec<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["target"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(targets, ["a", "b"]);
    }
}
