//! What a scan tells its consumers, as events: the report sinks, the
//! progress bar, the summary and the exit code all take them, through one
//! [`super::Tally`]. Here, below `scan`, so that reports and a saved scan's
//! replay speak them without importing the scanner.

use super::{HostReport, SiteReport};

/// What a scan tells its consumers (the writer, the progress bar, the
/// summary and the exit code, all through one [`super::Tally`]), in order:
/// the site, then each host as it starts and as it is judged, then
/// [`Event::Finished`] ([`crate::scan::run`]). A saved scan replays as the
/// same events ([`super::replay::saved_events`]).
#[derive(Debug)]
pub enum Event {
    /// The run's site, judged once, before any host.
    SiteJudged(Box<SiteReport>),
    /// A device that answered (or was named directly) is handed to a read
    /// slot: its read, enrichment and judging follow on its own task.
    HostStarted,
    /// One host is finished: read, enriched and judged (silent addresses
    /// included, status `silent`, not judged). With an inventory export
    /// that names AMT computers, the last ones before [`Event::Finished`]
    /// are its `dark` computers (one each, not judged) and the silent
    /// addresses held back to decide them.
    HostJudged(Box<HostReport>),
    /// `limit` devices in a row rejected the credentials; the rest are not
    /// offered them (their records say so).
    AuthLimitReached {
        /// The `--auth-fail-limit` that tripped.
        limit: u32,
    },
    /// The last event: every host of the plan is done.
    Finished,
}
