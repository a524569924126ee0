//! The `amtready` binary: argument parsing and dispatch only.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};

use amtready::cli::{self, exit};

/// mimalloc rather than glibc malloc: a scan makes millions of small
/// short-lived allocations on two worker threads, where glibc spent a third
/// of the CPU (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tells which Intel AMT (vPro) machines are ready for Configuration Manager 2007 SP1
/// out-of-band management, and exactly why the others are not.
#[derive(Debug, Parser)]
#[command(name = "amtready", version, about, long_about = None)]
struct Cli {
    /// Log verbosity for diagnostics on stderr (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "warn", env = "AMTREADY_LOG")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Read AMT devices over the network and judge them against the rules.
    Scan(Box<cli::scan::ScanArgs>),
    /// Start a mock AMT fleet on loopback and scan it: the whole product, offline.
    Demo(cli::demo::DemoArgs),
    /// List every rule with its id, what it checks and its seed section.
    Rules(cli::rules::RulesArgs),
    /// Judge saved facts (a scan's JSON or JSON Lines, or a hand-written file) offline.
    Validate(cli::validate::ValidateArgs),
    /// Render a saved scan (JSON Lines or JSON) as a table, CSV, JUnit, Markdown or HTML, judged again.
    Report(cli::report::ReportArgs),
    /// Check the Configuration Manager site side alone.
    Site(cli::site::SiteArgs),
    /// Check an AMT provisioning certificate chain against devices' trusted root hashes.
    Cert(cli::cert::CertArgs),
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::INPUT
            } else {
                exit::READY
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let mut filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // sspi traces its NTLM state with return values (session keys among
    // them) at debug level: no --log setting may put those in a log.
    if let Ok(quiet) = "sspi=off".parse() {
        filter = filter.add_directive(quiet);
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let code = match &cli.command {
        Command::Scan(args) => cli::scan::run(args),
        Command::Demo(args) => cli::demo::run(args),
        Command::Rules(args) => cli::rules::run(args),
        Command::Validate(args) => cli::validate::run(args),
        Command::Cert(args) => cli::cert::run(args),
        Command::Report(args) => cli::report::run(args),
        Command::Site(args) => cli::site::run(args),
    };
    std::process::exit(code);
}
