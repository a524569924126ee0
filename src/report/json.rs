//! Machine-readable output. Both sinks write and flush each host as it arrives,
//! so an interrupted scan loses nothing it had finished.

use std::io::{self, Write};

use serde::Serialize;

use super::row::Projector;
use super::summary::{Summary, SummaryBuilder};
use super::{HostReport, ReportSink, SiteReport};

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
        let mut line = serde_json::to_vec(report)?;
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
pub struct JsonArraySink<W: Write> {
    out: W,
    written: usize,
    tally: Tally,
}

impl<W: Write> JsonArraySink<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            written: 0,
            tally: Tally::default(),
        }
    }
}

impl<W: Write> JsonArraySink<W> {
    fn element(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.out.write_all(if self.written == 0 {
            b"[\n  "
        } else {
            b",\n  "
        })?;
        serde_json::to_writer(&mut self.out, value)?;
        self.written += 1;
        self.out.flush()
    }
}

impl<W: Write> ReportSink for JsonArraySink<W> {
    fn site(&mut self, site: &SiteReport) -> io::Result<()> {
        self.tally.site(site);
        self.element(site)
    }

    fn record(&mut self, report: &HostReport) -> io::Result<()> {
        self.tally.add(report);
        self.element(report)
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
