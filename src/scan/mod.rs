//! Scanning: plan → discover → inventory → judge → write.
//!
//! [`plan`] turns what the user typed into a deduplicated, excluded, sharded
//! and resumable sequence of addresses; [`discover`] sweeps them for the ones
//! that answer (TCP 16992/16993 and the [`rmcp`] presence ping); [`pipeline`]
//! reads each answering device on its own task, judges it, and hands every
//! result over as it is known. Stages are joined by bounded channels, so
//! memory follows the concurrency, not the size of the subnet. Writing is the
//! caller's (the CLI's report sinks).

pub mod discover;
pub mod pipeline;
pub mod plan;
pub mod rmcp;
pub mod tally;
pub mod target;

pub use discover::DiscoveryOptions;
pub use pipeline::{PipelineOptions, Progress, ScanEvent};
pub use plan::{Plan, PlanError, PlanInput, PlannedTarget, Shard};
pub use tally::{FailOn, Tally};
pub use target::{Target, TargetError, TargetSpec, AMT_HTTPS_PORT, AMT_HTTP_PORT};
