//! The command line: one file per subcommand, in the binary only. Each turns
//! flags into the library's options, runs it, and says what happened;
//! `main.rs` only parses and dispatches.

pub mod cert;
#[cfg(feature = "demo")]
pub mod demo;
pub mod flags;
pub mod host_facts;
pub mod password;
pub mod report;
pub mod rules;
pub mod scan;
pub mod site;
pub mod tls;
pub mod validate;
pub mod winrm;

#[cfg(test)]
mod tests;

use std::fmt::Display;

use clap::{Parser, Subcommand};

use amtready::ExitCode;

/// The help headings flags are grouped under, by the task they serve, so
/// `--help` reads as a checklist rather than one list of sixty flags.
pub mod heading {
    pub const TARGETS: &str = "Targets";
    pub const CREDENTIALS: &str = "Credentials";
    pub const DISCOVERY: &str = "Discovery and speed";
    pub const TLS: &str = "TLS";
    pub const HOST_FACTS: &str = "Host facts (inventory export, WinRM)";
    pub const SITE: &str = "Site (the flags override --site FILE)";
    pub const OUTPUT: &str = "Output";
    pub const RULES: &str = "Rules";
    /// `cert`'s inputs: which devices' root hashes the chain is checked against.
    pub const DEVICES: &str = "Devices";
}

/// Ends `-h` of the commands whose rarely used flags only `--help` lists.
const SHORT_HELP_NOTE: &str = "Rarely used flags are left out here: see all of them with --help.";

/// Tells which Intel AMT (vPro) machines are ready for Configuration Manager 2007 SP1
/// out-of-band management, and exactly why the others are not.
#[derive(Debug, Parser)]
#[command(name = "amtready", version, about, long_about = None)]
pub struct Cli {
    /// Log verbosity for diagnostics on stderr.
    ///
    /// One of error, warn, info, debug, trace, or a tracing filter.
    #[arg(
        long,
        global = true,
        value_name = "LEVEL",
        default_value = "warn",
        env = "AMTREADY_LOG",
        help_heading = heading::OUTPUT,
        hide_short_help = true,
        display_order = 1000
    )]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read AMT devices over the network and judge them against the rules.
    #[command(after_help = SHORT_HELP_NOTE, after_long_help = "")]
    Scan(Box<scan::ScanArgs>),
    /// Start a mock AMT fleet on loopback and scan it: the whole product, offline.
    #[cfg(feature = "demo")]
    #[command(after_help = SHORT_HELP_NOTE, after_long_help = "")]
    Demo(demo::DemoArgs),
    /// List every rule with its id, what it checks and its seed section.
    Rules(rules::RulesArgs),
    /// Judge saved facts (a scan's JSON or JSON Lines, or a hand-written file) offline.
    #[command(after_help = SHORT_HELP_NOTE, after_long_help = "")]
    Validate(validate::ValidateArgs),
    /// Render a saved scan (JSON Lines or JSON) as a table, CSV, JUnit, Markdown or HTML, judged again.
    #[command(after_help = SHORT_HELP_NOTE, after_long_help = "")]
    Report(report::ReportArgs),
    /// Check the Configuration Manager site side alone.
    Site(site::SiteArgs),
    /// Check an AMT provisioning certificate chain against devices' trusted root hashes.
    Cert(cert::CertArgs),
}

/// Says one thing on stderr, as `amtready: ...` (see [`amtready::report::text::say`]).
pub use amtready::report::text::say;

/// Reports a usage or input error on stderr and gives its exit code.
pub fn input_error(message: impl Display) -> ExitCode {
    say(format_args!("{message}"));
    ExitCode::Input
}
