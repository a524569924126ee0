//! `amtready site`: checks the Configuration Manager site side alone (service
//! point, console, SQL Server, upgrade path and release), without any AMT host;
//! and the site facts every judging command takes ([`SiteFactsArgs`]).

use super::flags::{FormatArgs, PolicyArgs, VerboseArgs};
use amtready::ExitCode;
use std::path::PathBuf;
use std::sync::Arc;

use amtready::facts::SiteFacts;
use amtready::report::{self, ReportOptions, SiteReport};
use amtready::rules::{exit_code, Judge};

/// The SP1 release being installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReleaseArg {
    Eval,
    Sp,
    Complete,
}

/// Site mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SiteModeArg {
    Mixed,
    Native,
}

/// The site facts of a run: `--site FILE` and the flags that override it.
/// Shared by `site`, `scan`, `validate` and `report`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SiteFactsArgs {
    /// The Configuration Manager site, described in a TOML or JSON file.
    ///
    /// See docs/site.example.toml; judged once for the whole run.
    #[arg(long = "site", value_name = "FILE", help_heading = super::heading::SITE)]
    pub site_file: Option<PathBuf>,
    /// OS of the out-of-band service point (`Windows Server 2003 SP2`).
    #[arg(long, value_name = "OS", help_heading = super::heading::SITE, hide_short_help = true)]
    pub service_point_os: Option<String>,
    /// Hotfix installed on the out-of-band service point (repeatable).
    #[arg(long = "service-point-kb", value_name = "KB", help_heading = super::heading::SITE, hide_short_help = true)]
    pub service_point_kbs: Vec<String>,
    /// OS of the out-of-band console computer.
    #[arg(long, value_name = "OS", help_heading = super::heading::SITE, hide_short_help = true)]
    pub console_os: Option<String>,
    /// SQL Server hosting the site database (`SQL Server 2005 Enterprise SP2 x64`).
    #[arg(long, value_name = "SQL", help_heading = super::heading::SITE, hide_short_help = true)]
    pub sql: Option<String>,
    /// Product upgraded from (`SMS 2003 SP3`, `Configuration Manager 2007`), or `none`.
    #[arg(long, value_name = "PRODUCT", help_heading = super::heading::SITE, hide_short_help = true)]
    pub upgrade_from: Option<String>,
    /// The Configuration Manager 2007 SP1 release used.
    #[arg(long, value_enum, value_name = "RELEASE", help_heading = super::heading::SITE, hide_short_help = true)]
    pub release: Option<ReleaseArg>,
    /// Site mode.
    #[arg(long, value_enum, value_name = "MODE", help_heading = super::heading::SITE, hide_short_help = true)]
    pub site_mode: Option<SiteModeArg>,
    /// OS of the primary site server.
    #[arg(long, value_name = "OS", help_heading = super::heading::SITE, hide_short_help = true)]
    pub site_server_os: Option<String>,
    /// Hotfix on the site server / SMS Provider / console computers (repeatable).
    #[arg(long = "site-kb", value_name = "KB", help_heading = super::heading::SITE, hide_short_help = true)]
    pub site_kbs: Vec<String>,
}

impl SiteFactsArgs {
    /// The site facts the flags give (without the file).
    pub fn flag_facts(&self) -> SiteFacts {
        let kbs = |list: &Vec<String>| (!list.is_empty()).then(|| list.clone());
        SiteFacts {
            mode: self.site_mode.map(|m| match m {
                SiteModeArg::Mixed => "mixed".to_string(),
                SiteModeArg::Native => "native".to_string(),
            }),
            console_os: self.console_os.clone(),
            service_point_os: self.service_point_os.clone(),
            service_point_kbs: kbs(&self.service_point_kbs),
            sql: self.sql.clone(),
            upgrade_from: self.upgrade_from.clone(),
            release: self.release.map(|r| match r {
                ReleaseArg::Eval => "eval".to_string(),
                ReleaseArg::Sp => "sp".to_string(),
                ReleaseArg::Complete => "complete".to_string(),
            }),
            site_server_os: self.site_server_os.clone(),
            site_kbs: kbs(&self.site_kbs),
            ..SiteFacts::default()
        }
    }

    /// The run's site facts: the file's, overridden by the flags; `None`
    /// when neither gives any. A bad file is a one-line error.
    pub fn resolve(&self) -> Result<Option<SiteFacts>, String> {
        let mut facts = match &self.site_file {
            Some(path) => amtready::site_file::load(path)?,
            None => SiteFacts::default(),
        };
        facts.overlay(self.flag_facts());
        Ok((!facts.is_empty()).then_some(facts))
    }
}

/// Arguments of `amtready site`.
#[derive(Debug, Clone, clap::Args)]
// The site flags are all this command reads, so its -h shows them all,
// though the commands that share them keep them to --help.
#[command(mut_args(|a: clap::Arg| a.hide_short_help(false)))]
#[command(mut_arg("policy", |a: clap::Arg| a
    .help("Judge with this built-in policy or policy file (repeatable)")
    .long_help("Judge with this built-in policy or policy file (repeatable).\n\nOnly their site rules run.")))]
#[command(mut_arg("format", |a: clap::Arg| a
    .help("Output format")
    .long_help("Output format.\n\nThe same report sinks as `scan`: the site section alone.")))]
#[command(mut_arg("verbose", |a: clap::Arg| a
    .help("Table: list the site rules not checked and each finding's source")))]
pub struct SiteArgs {
    #[command(flatten)]
    pub site: SiteFactsArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub verbose: VerboseArgs,
}

/// Runs `amtready site`: the site judged alone, through the same judge and
/// the same report sinks as a scan with `--site`; returns the exit code.
pub fn run(args: &SiteArgs) -> ExitCode {
    let policy = match super::rules::load_policies(&args.policy.policy) {
        Ok(policy) => policy,
        Err(code) => return code,
    };
    let facts = match args.site.resolve() {
        Ok(Some(facts)) => facts,
        Ok(None) => {
            return super::input_error(
                "site: give --site FILE or at least one of --service-point-os, --console-os, --sql, --upgrade-from, --release, --site-mode, --site-server-os",
            )
        }
        Err(e) => return super::input_error(e),
    };
    let judge = Judge::new(Arc::new(policy), Some(facts));
    let Some(report) = site_report(&judge, true) else {
        return super::input_error("site: no site facts");
    };
    let options = ReportOptions {
        width: report::text::output_width(),
        verbose: args.verbose.verbose,
        title: "amtready: Configuration Manager 2007 SP1 site readiness".to_string(),
        ..ReportOptions::default()
    };
    let stdout = std::io::stdout();
    let mut sink = report::sink(
        args.format.format,
        std::io::BufWriter::new(stdout.lock()),
        &options,
    );
    match sink.site(&report).and_then(|()| sink.finish()) {
        // `| head` closed the pipe: the reader has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return super::input_error(format_args!("cannot write the report: {e}")),
        Ok(()) => {}
    }
    site_exit_code(&report)
}

/// The run's site judged by `judge` (facts only when `rules` is false);
/// `None` when the run has no site facts.
pub fn site_report(judge: &Judge, rules: bool) -> Option<SiteReport> {
    let facts = judge.site()?.clone();
    let evaluation = if rules { judge.judge_site() } else { None };
    Some(SiteReport { facts, evaluation })
}

/// The exit code of a site alone.
pub fn site_exit_code(site: &SiteReport) -> ExitCode {
    exit_code(site.evaluation.iter().map(|e| e.verdict))
}
