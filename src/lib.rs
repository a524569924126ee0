//! amtready: tells an administrator which Intel AMT machines are ready for
//! Configuration Manager 2007 SP1 out-of-band management, and why the others are not.
//!
//! Data flows one way: targets → probe → inventory → [`facts`] → [`rules`] → findings → [`report`].
//! The network layers ([`wsman`], [`amt`]) only produce facts; the rules never touch the network.
#![forbid(unsafe_code)]
#![warn(unreachable_pub, missing_docs)]

pub mod amt;
pub mod cert;
pub mod dns;
mod exit;
pub mod facts;
pub mod hostfacts;
mod json_array;
pub mod os;
pub mod report;
pub mod rules;
pub mod scan;
pub mod site_file;
pub mod text;
pub mod version;
pub mod winrm;
pub mod wsman;

pub use exit::ExitCode;
pub use version::{ReportedVersion, Version};
