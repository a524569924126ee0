//! `amtready validate`: judges saved facts records offline (a scan saved
//! earlier, or hand-written facts), so a policy change can be re-applied
//! without touching the network. It is `report` with the scan formats; both
//! stream the file (see [`super::report::read_scan`]).

use amtready::ExitCode;
use std::path::PathBuf;

use super::site::SiteFactsArgs;
use amtready::report::Format;

/// Arguments of `amtready validate`.
#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// Facts file: one JSON object, a JSON array of objects, or JSON Lines.
    #[arg(value_name = "FACTS.json|FACTS.jsonl")]
    pub file: PathBuf,
    /// Judge with this built-in policy or policy file; repeatable.
    ///
    /// Default: configmgr-2007-sp1 and configmgr-2007-sp1-provisioning.
    #[arg(long, value_name = "NAME|FILE", help_heading = super::heading::RULES)]
    pub policy: Vec<String>,
    /// Output format, as for `scan`.
    ///
    /// The records come back with `verdict`, `findings`, `missing` and
    /// `not_checked` added.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Table, help_heading = super::heading::OUTPUT)]
    pub format: Format,
    /// Table: list every rule not checked and each finding's source.
    #[arg(short, long, help_heading = super::heading::OUTPUT)]
    pub verbose: bool,
    /// JSON Lines: end with a `{"summary": ...}` line.
    #[arg(long, help_heading = super::heading::OUTPUT)]
    pub summary: bool,
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
        format: args.format,
        policy: args.policy.clone(),
        no_rules: false,
        verbose: args.verbose,
        summary: args.summary,
        title: None,
        site: args.site.clone(),
        host_facts: args.host_facts.clone(),
    })
}
