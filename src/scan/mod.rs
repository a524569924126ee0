//! Scanning: target expansion and the concurrent runner that reads many hosts and
//! streams each result the moment it is known.

pub mod runner;
pub mod target;

pub use runner::{scan, ScanOptions};
pub use target::{Target, TargetError, TargetSpec, AMT_HTTP_PORT};
