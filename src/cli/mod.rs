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

/// Says one thing on stderr, as `amtready: ...`. On a terminal (or with
/// `COLUMNS` set) it is wrapped at words to the width, with the text under
/// the text; into a file or a pipe it stays one line per message, for grep.
pub fn say(message: impl Display) {
    let text = format!("{message}");
    match crate::report::text::stderr_width() {
        Some(width) => {
            for line in crate::report::text::hanging("amtready: ", &text, width) {
                eprintln!("{line}");
            }
        }
        None => eprintln!("amtready: {text}"),
    }
}

/// Reports a usage or input error on stderr and gives its exit code.
pub fn input_error(message: impl Display) -> i32 {
    say(format_args!("{message}"));
    exit::INPUT
}
