//! The `amtready` binary: the command line ([`cli`], clap and wiring) over
//! the `amtready` library, which does the work. It lives here, not in the
//! library, so clap types are no part of the library's API.
#![forbid(unsafe_code)]

mod cli;

use clap::Parser;

use amtready::ExitCode;
use cli::{Cli, Command};

/// mimalloc rather than glibc malloc: a scan makes millions of small
/// short-lived allocations on two worker threads, where glibc spent a third
/// of the CPU (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                ExitCode::Input
            } else {
                ExitCode::Ready
            };
            let _ = e.print();
            std::process::exit(code.code());
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
        #[cfg(feature = "demo")]
        Command::Demo(args) => cli::demo::run(args),
        Command::Rules(args) => cli::rules::run(args),
        Command::Validate(args) => cli::validate::run(args),
        Command::Cert(args) => cli::cert::run(args),
        Command::Report(args) => cli::report::run(args),
        Command::Site(args) => cli::site::run(args),
    };
    std::process::exit(code.code());
}
