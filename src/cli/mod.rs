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
    /// Every host was read and is ready.
    pub const READY: i32 = 0;
    /// At least one host is not ready.
    pub const NOT_READY: i32 = 1;
    /// Nothing failed, but at least one verdict is unknown (facts missing).
    pub const UNKNOWN: i32 = 2;
    /// Bad usage or unreadable input (target, password source, policy, facts file).
    pub const INPUT: i32 = 3;
    /// At least one device answered but could not be read (unreachable after
    /// answering the sweep, auth failed, error).
    pub const UNREAD: i32 = 4;
    /// The scan was interrupted (Ctrl-C); every finished host was written.
    pub const INTERRUPTED: i32 = 130;
}

/// Reports a usage or input error on stderr and gives its exit code.
pub fn input_error(message: impl Display) -> i32 {
    eprintln!("amtready: {message}");
    exit::INPUT
}
