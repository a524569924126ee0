//! The flags several commands share, each defined once and flattened in
//! (`#[command(flatten)]`). Where a command's help says more about one, it
//! sets that text with `mut_arg` beside the flatten, so the flag itself (name,
//! type, default, heading) cannot drift between commands.

use amtready::report::Format;

use super::heading;

/// `--format`: the report sink.
#[derive(Debug, Clone, clap::Args)]
pub struct FormatArgs {
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Table, help_heading = heading::OUTPUT)]
    pub format: Format,
}

/// `--policy`: which rules judge, built in or from files.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PolicyArgs {
    /// Judge with this built-in policy or policy file; repeatable.
    ///
    /// Default: configmgr-2007-sp1, configmgr-2007-sp1-provisioning,
    /// configmgr-2007-sp1-provisioning-path, configmgr-2007-sp1-operational
    /// and intel-advisories.
    #[arg(long, value_name = "NAME|FILE", help_heading = heading::RULES)]
    pub policy: Vec<String>,
}

/// `--verbose`: the table's detail.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VerboseArgs {
    /// Table: list every rule not checked and each finding's source.
    #[arg(short, long, help_heading = heading::OUTPUT)]
    pub verbose: bool,
}

/// `--summary`: a JSON Lines report's last line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SummaryArgs {
    /// JSON Lines: end with a `{"summary": ...}` line.
    #[arg(long, help_heading = heading::OUTPUT)]
    pub summary: bool,
}
