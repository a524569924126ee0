//! The command line: one file per subcommand. `main.rs` only parses and dispatches.

pub mod cert;
pub mod demo;
pub mod host_facts;
pub mod password;
pub mod report;
pub mod rules;
pub mod scan;
pub mod site;
pub mod tls;
pub mod validate;
pub mod winrm;

use std::fmt::Display;

/// Exit codes, the same for every subcommand (documented in the README).
pub mod exit {
    pub use crate::scan::tally::exit::{NOT_READY, READY, UNKNOWN, UNREAD};
    /// Bad usage or unreadable input (target, password source, policy, facts
    /// file), or a report or `--output` file that could not be written.
    pub const INPUT: i32 = 3;
    /// The scan was interrupted (Ctrl-C); every finished host was written.
    pub const INTERRUPTED: i32 = 130;
}

/// Reports a usage or input error on stderr and gives its exit code.
pub fn input_error(message: impl Display) -> i32 {
    eprintln!("amtready: {message}");
    exit::INPUT
}
