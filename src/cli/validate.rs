//! `amtready validate`: judges saved facts records offline (a scan saved
//! earlier, or hand-written facts), so a policy change can be re-applied
//! without touching the network. It is `report` with the scan formats; both
//! stream the file (see [`super::report::read_scan`]).

use amtready::ExitCode;
use std::path::PathBuf;

use super::flags::{FormatArgs, PolicyArgs, SummaryArgs, VerboseArgs};
use super::site::SiteFactsArgs;

/// Arguments of `amtready validate`.
#[derive(Debug, Clone, clap::Args)]
#[command(mut_arg("format", |a: clap::Arg| a
    .help("Output format, as for `scan`")
    .long_help(
        "Output format, as for `scan`.\n\n\
         The records come back with `verdict`, `findings`, `missing` and `not_checked` added."
    )))]
pub struct ValidateArgs {
    /// Facts file: one JSON object, a JSON array of objects, or JSON Lines.
    #[arg(value_name = "FACTS.json|FACTS.jsonl")]
    pub file: PathBuf,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub verbose: VerboseArgs,
    #[command(flatten)]
    pub summary: SummaryArgs,
    #[command(flatten)]
    pub site: SiteFactsArgs,
    #[command(flatten)]
    pub host_facts: super::host_facts::HostFactsArgs,
}

/// Runs `amtready validate`; returns the exit code (0 ready, 1 any host or
/// the site not ready, 2 only unknowns, 3 if any record was unreadable or
/// named a second site).
pub fn run(args: &ValidateArgs) -> ExitCode {
    super::report::run(&super::report::ReportArgs {
        file: args.file.clone(),
        format: args.format.clone(),
        policy: args.policy.clone(),
        no_rules: false,
        verbose: args.verbose.clone(),
        summary: args.summary.clone(),
        title: None,
        site: args.site.clone(),
        host_facts: args.host_facts.clone(),
    })
}
