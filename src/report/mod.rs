//! Reports: one file per output format. Every format renders the same
//! [`HostReport`] (the facts record plus, when rules ran, its evaluation), so a
//! saved JSON scan and a fresh table never disagree.

pub mod json;
pub mod table;

use std::io::{self, Write};

use serde::Serialize;

use crate::facts::{ConfigMgrView, FactsRecord};
use crate::rules::Evaluation;

/// The output formats of `scan` and `demo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people, printed when the scan ends.
    Table,
    /// A JSON array, one object per host, written as each host finishes.
    Json,
    /// JSON Lines: one object per line, flushed per host (best for big scans).
    Jsonl,
}

/// One host's line in any report: what was read, what Configuration Manager
/// would show for it (`configmgr`, derived from the facts when written, so it
/// never disagrees with them), and what the rules made of it.
#[derive(Debug, Clone)]
pub struct HostReport {
    pub facts: FactsRecord,
    pub evaluation: Option<Evaluation>,
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

/// Receives host reports one by one, as a scan produces them.
pub trait ReportSink {
    fn record(&mut self, report: &HostReport) -> io::Result<()>;
    /// Called once after the last record.
    fn finish(&mut self) -> io::Result<()>;
}

/// The sink for `format`, writing to `out`.
pub fn sink<'a, W: Write + 'a>(format: Format, out: W) -> Box<dyn ReportSink + 'a> {
    match format {
        Format::Table => Box::new(table::TableSink::new(out)),
        Format::Json => Box::new(json::JsonArraySink::new(out)),
        Format::Jsonl => Box::new(json::JsonLinesSink::new(out)),
    }
}
