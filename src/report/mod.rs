//! Reports: one file per output format, over one shared row projection
//! (`row::Row`). Machine formats (JSON, JSON Lines) write whole records as
//! each host finishes; every other format projects each host to a compact row
//! first, so a format that needs the whole scan before printing (the sorted
//! table, JUnit, HTML) holds rows, never records.

pub(crate) mod csv;
mod event;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod listing;
pub(crate) mod markdown;
pub(crate) mod progress;
pub(crate) mod render;
pub mod replay;
pub(crate) mod row;
pub(crate) mod summary;
pub(crate) mod table;
pub(crate) mod tally;
pub mod text;

use std::io::{self, BufRead, Read, Write};

use serde::Serialize;

use crate::facts::{ConfigMgrView, FactsRecord, SiteFacts};
use crate::rules::Evaluation;

pub use event::Event;
pub use json::JsonLinesSink;
pub use listing::write_listing;
pub use progress::Progress;
pub use render::{render, render_with_host_facts, render_with_site};
pub use row::source_of;
pub use tally::{Counts, FailOn, Tally};

/// Longest record, in bytes and without its newline, that every amtready
/// reader of a saved scan accepts (`scan --resume`, `report`, `validate`, the
/// replay of a resumed scan), and so the longest one the JSON writers may
/// write: a writer that wrote more than its own readers take would leave an
/// estate that cannot be resumed. Fields are clipped far below this
/// ([`crate::text::MAX_FIELD_BYTES`]); only a record with an absurd number of
/// elements reaches it, and is then written reduced (see `json`).
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// One line read by [`read_line_capped`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRead {
    /// Nothing was left to read.
    End,
    /// A line and its newline (the newline is in the buffer).
    Complete,
    /// A last line without its newline: a hand edit or a killed writer.
    Unterminated,
    /// The line is longer than the cap; the buffer holds its first `cap + 1`
    /// bytes and the rest of it is still unread.
    TooLong,
}

/// Reads the next line of `reader` into `buf` (cleared first), holding at
/// most `cap` bytes of it besides its newline, so one huge line cannot
/// exhaust memory. Every reader of saved records calls this with
/// [`MAX_RECORD_BYTES`], so they all agree on what a record may be.
pub fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<LineRead> {
    buf.clear();
    // One byte past the cap leaves room for the newline of a line exactly
    // `cap` bytes long.
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    let n = reader.take(limit).read_until(b'\n', buf)?;
    Ok(if n == 0 {
        LineRead::End
    } else if buf.last() == Some(&b'\n') {
        LineRead::Complete
    } else if buf.len() > cap {
        LineRead::TooLong
    } else {
        LineRead::Unterminated
    })
}

/// The output formats of `scan`, `demo`, `validate`, `report` and `site`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people, fitted to the terminal, printed when the scan ends.
    Table,
    /// A JSON array, one object per host, written as each host finishes, then
    /// a final `{"summary": ...}` element.
    Json,
    /// JSON Lines: one object per line, flushed per host (best for big scans).
    Jsonl,
    /// CSV, one row per host, for Excel.
    Csv,
    /// JUnit XML: one test case per host, for CI dashboards.
    Junit,
    /// Markdown, for tickets and wikis.
    Markdown,
    /// One self-contained HTML file with charts and a filterable host table.
    Html,
}

/// Choices that shape human-readable output.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Columns the table must fit.
    pub width: usize,
    /// Show every unchecked rule and each finding's source in the table.
    pub verbose: bool,
    /// JSON Lines: end with a `{"summary": ...}` line.
    pub jsonl_summary: bool,
    /// Title for documents (HTML, Markdown, JUnit suite name).
    pub title: String,
    /// What the hosts were judged by, as a document's header names it: the
    /// policies' names, or that no rules ran.
    pub judged_by: String,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            width: text::DEFAULT_WIDTH,
            verbose: false,
            jsonl_summary: false,
            title: "amtready: Configuration Manager 2007 SP1 out-of-band readiness".to_string(),
            judged_by: crate::rules::DEFAULT_POLICIES.join(", "),
        }
    }
}

/// One host's line in any report: what was read, what Configuration Manager
/// would show for it (`configmgr`, derived from the facts when written, so it
/// never disagrees with them), and what the rules made of it.
#[derive(Debug, Clone)]
pub struct HostReport {
    /// What was read of the host (or given for it).
    pub facts: FactsRecord,
    /// What the rules made of the facts; `None` when the host was not judged
    /// (a silent address is not).
    pub evaluation: Option<Evaluation>,
}

/// The site of a run, judged once: its facts and what the site rules made
/// of them. Written as one `{"kind": "site", "site": {...}, "verdict": ...}`
/// record, never copied into the host records.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteReport {
    /// The site as given (`--site`, or the flags of `site`).
    pub facts: SiteFacts,
    /// What the site rules made of it; `None` when it was not judged.
    pub evaluation: Option<Evaluation>,
}

/// The `kind` of a site record.
pub const SITE_KIND: &str = "site";

impl Serialize for SiteReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Record<'a> {
            kind: &'static str,
            site: &'a SiteFacts,
            #[serde(flatten)]
            evaluation: &'a Option<Evaluation>,
        }
        Record {
            kind: SITE_KIND,
            site: &self.facts,
            evaluation: &self.evaluation,
        }
        .serialize(serializer)
    }
}

impl HostReport {
    /// The AMT status Configuration Manager would show for this host.
    pub fn configmgr(&self) -> ConfigMgrView {
        crate::rules::amt_status(&self.facts)
    }
}

impl Serialize for HostReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Line<'a> {
            #[serde(flatten)]
            facts: &'a FactsRecord,
            configmgr: ConfigMgrView,
            #[serde(flatten)]
            evaluation: &'a Option<Evaluation>,
        }
        Line {
            facts: &self.facts,
            configmgr: self.configmgr(),
            evaluation: &self.evaluation,
        }
        .serialize(serializer)
    }
}

/// Receives the run's site once (before the hosts, or as soon as a saved
/// scan names it) and host reports one by one, as a scan produces them.
pub trait ReportSink {
    /// The run's site, judged once. Called at most once per run.
    fn site(&mut self, site: &SiteReport) -> io::Result<()>;
    /// One host, as soon as it is judged (or read back from a saved scan).
    fn record(&mut self, report: &HostReport) -> io::Result<()>;
    /// Called once after the last record.
    fn finish(&mut self) -> io::Result<()>;
    /// The scan was interrupted: what follows in `finish` is partial.
    fn mark_partial(&mut self) {}
    /// A conclusion about the whole run (the credentials are likely wrong),
    /// which formats that summarise show first. Per-host records say it too.
    fn notice(&mut self, _text: &str) {}
    /// One event of a scan (or of a saved one replayed): what it holds for a
    /// report goes to [`site`](Self::site), [`record`](Self::record) or
    /// [`notice`](Self::notice); the rest is the progress bar's.
    fn event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::SiteJudged(site) => self.site(site),
            Event::HostJudged(report) => self.record(report),
            Event::AuthLimitReached { limit } => {
                self.notice(&auth_limit_notice(*limit));
                Ok(())
            }
            Event::HostStarted | Event::Finished => Ok(()),
        }
    }
}

/// What a run says when the auth-fail limit trips: the likely cause first.
pub fn auth_limit_notice(limit: u32) -> String {
    format!(
        "the credentials were rejected by the first {limit} devices in a row: check them \
         (the rest were not offered them; --auth-fail-limit {limit})"
    )
}

/// The sink for `format`, writing to `out`.
pub fn sink<'a, W: Write + 'a>(
    format: Format,
    out: W,
    options: &ReportOptions,
) -> Box<dyn ReportSink + 'a> {
    match format {
        Format::Table => Box::new(Collecting::new(table::TableReport::new(
            out,
            options.clone(),
        ))),
        Format::Json => Box::new(json::JsonArraySink::new(out)),
        Format::Jsonl => Box::new(json::JsonLinesSink::new(out, options.jsonl_summary)),
        Format::Csv => Box::new(csv::CsvSink::new(out)),
        Format::Junit => Box::new(Collecting::new(junit::JunitReport::new(
            out,
            options.clone(),
        ))),
        Format::Markdown => Box::new(Collecting::new(markdown::MarkdownReport::new(
            out,
            options.clone(),
        ))),
        Format::Html => Box::new(Collecting::new(html::HtmlReport::new(out, options.clone()))),
    }
}

/// Rows and the running summary: what every format that waits for the end keeps.
#[derive(Default)]
pub(crate) struct Collected {
    pub projector: row::Projector,
    pub rows: Vec<row::Row>,
    pub site: Option<row::SiteRow>,
    pub summary: summary::SummaryBuilder,
    pub partial: bool,
}

impl Collected {
    pub(crate) fn notice(&mut self, text: &str) {
        self.summary.notice(text);
    }

    pub(crate) fn add_site(&mut self, site: &SiteReport) {
        let row = self.projector.site_row(site);
        self.summary.site(&row);
        self.site = Some(row);
    }

    pub(crate) fn add(&mut self, report: &HostReport) {
        let row = self.projector.row(report);
        self.summary.add(report, &row);
        self.rows.push(row);
    }

    /// Rows sorted by address (numerically), names after addresses.
    pub(crate) fn sort(&mut self) {
        self.rows.sort_by_cached_key(|r| table::sort_key(&r.target));
    }
}

/// A format that needs the whole scan before it can write (the sorted table,
/// JUnit, Markdown, HTML). [`Collecting`] keeps its rows and summary as the
/// hosts come and hands them over once, at the end.
pub(crate) trait WriteCollected {
    /// How hosts are projected to rows.
    fn projector(&self) -> row::Projector {
        row::Projector::default()
    }

    /// Writes the whole report: the rows sorted by address, the summary
    /// finished (partial if the scan was interrupted).
    fn write(&mut self, collected: &Collected, summary: &summary::Summary) -> io::Result<()>;
}

/// The [`ReportSink`] of every format that collects before writing: one
/// implementation of collecting, whatever the format.
pub(crate) struct Collecting<F> {
    format: F,
    collected: Collected,
}

impl<F: WriteCollected> Collecting<F> {
    pub(crate) fn new(format: F) -> Self {
        let collected = Collected {
            projector: format.projector(),
            ..Collected::default()
        };
        Collecting { format, collected }
    }
}

impl<F: WriteCollected> ReportSink for Collecting<F> {
    fn site(&mut self, site: &SiteReport) -> io::Result<()> {
        self.collected.add_site(site);
        Ok(())
    }

    fn record(&mut self, report: &HostReport) -> io::Result<()> {
        self.collected.add(report);
        Ok(())
    }

    fn mark_partial(&mut self) {
        self.collected.partial = true;
    }

    fn notice(&mut self, text: &str) {
        self.collected.notice(text);
    }

    fn finish(&mut self) -> io::Result<()> {
        self.collected.sort();
        let summary = self.collected.summary.finish(self.collected.partial);
        self.format.write(&self.collected, &summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_of_exactly_the_cap_is_whole_and_one_byte_more_is_too_long() {
        let mut buf = Vec::new();
        let mut r = io::Cursor::new(b"abcd\nabcde\nab".to_vec());
        assert_eq!(
            read_line_capped(&mut r, &mut buf, 4).unwrap(),
            LineRead::Complete
        );
        assert_eq!(buf, b"abcd\n");
        assert_eq!(
            read_line_capped(&mut r, &mut buf, 4).unwrap(),
            LineRead::TooLong
        );
        assert_eq!(buf, b"abcde");
        assert_eq!(
            read_line_capped(&mut r, &mut buf, 4).unwrap(),
            LineRead::Complete
        );
        assert_eq!(buf, b"\n");
        assert_eq!(
            read_line_capped(&mut r, &mut buf, 4).unwrap(),
            LineRead::Unterminated
        );
        assert_eq!(buf, b"ab");
        assert_eq!(
            read_line_capped(&mut r, &mut buf, 4).unwrap(),
            LineRead::End
        );
    }
}
