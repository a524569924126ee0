//! Scanning: plan → discover → inventory → judge → write.
//!
//! `plan` turns what the user typed into a deduplicated, excluded, sharded
//! and resumable sequence of addresses; `discover` sweeps them for the ones
//! that answer (TCP 16992/16993 and the [`rmcp`] presence ping); `pipeline`
//! reads each answering device on its own task (read → enrich → judge) and
//! [`run`] hands every result over as an [`Event`] as it is known. Stages are
//! joined by bounded channels, so memory follows the concurrency, not the
//! size of the subnet. One [`Tally`] of the events gives the counts and the
//! exit code. Writing is the caller's (the report sinks).

pub(crate) mod discover;
pub(crate) mod output;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub mod rmcp;
pub(crate) mod target;

pub use crate::report::{Counts, Event, FailOn, Tally};
pub use discover::{default_in_flight, DiscoveryOptions, DEFAULT_RATE};
pub use output::open as open_output;
pub use pipeline::{credential_facts, run, Events, PipelineOptions};
pub use plan::{Plan, PlanError, PlanInput, PlannedTarget, Shard};
pub use target::{
    label, SpecKind, Target, TargetError, TargetSpec, AMT_HTTPS_PORT, AMT_HTTP_PORT,
    MAX_HOSTS_PER_SPEC,
};
