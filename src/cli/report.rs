//! `amtready report`: renders a saved scan in any format, judged again with
//! the given policy (the work is [`amtready::report::render`]'s).

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;

use super::flags::{FormatArgs, PolicyArgs, SummaryArgs, VerboseArgs};
use super::input_error;
use super::site::SiteFactsArgs;
use amtready::report::render_with_host_facts;
use amtready::report::{self, ReportOptions};
use amtready::ExitCode;

/// Arguments of `amtready report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// A saved scan: JSON Lines, a JSON array or one JSON object (`-` for stdin).
    #[arg(value_name = "SCAN.jsonl")]
    pub file: PathBuf,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Render what was read without judging it.
    #[arg(long, help_heading = super::heading::RULES)]
    pub no_rules: bool,
    #[command(flatten)]
    pub verbose: VerboseArgs,
    #[command(flatten)]
    pub summary: SummaryArgs,
    /// Title of the HTML, Markdown and JUnit documents.
    #[arg(long, value_name = "TEXT", help_heading = super::heading::OUTPUT)]
    pub title: Option<String>,
    #[command(flatten)]
    pub site: SiteFactsArgs,
    #[command(flatten)]
    pub host_facts: super::host_facts::HostFactsArgs,
}

/// Runs `amtready report`; returns the exit code.
pub fn run(args: &ReportArgs) -> ExitCode {
    let policy = if args.no_rules {
        None
    } else {
        match super::rules::load_policies(&args.policy.policy) {
            Ok(p) => Some(p),
            Err(code) => return code,
        }
    };
    let mut options = ReportOptions {
        width: report::text::output_width(),
        verbose: args.verbose.verbose,
        jsonl_summary: args.summary.summary,
        ..ReportOptions::default()
    };
    if let Some(t) = &args.title {
        options.title = report::text::clean(t).into_owned();
    }
    options.judged_by = match &policy {
        Some(set) => super::rules::judged_by(set),
        None => super::rules::SAVED_VERDICTS.into(),
    };
    let site = match args.site.resolve() {
        Ok(site) => site,
        Err(e) => return input_error(e),
    };
    let origin = args.file.display().to_string();
    let inventory = match args.host_facts.load() {
        Ok(i) => i,
        Err(e) => return input_error(e),
    };
    let reader: Box<dyn BufRead> = if args.file.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        match File::open(&args.file) {
            Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
            Err(e) => return input_error(format_args!("cannot read {origin}: {e}")),
        }
    };
    let stdout = io::stdout();
    let out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let done = match render_with_host_facts(
        reader,
        &origin,
        policy.as_ref(),
        site,
        inventory.as_ref(),
        args.format.format,
        &options,
        out,
    ) {
        Ok(done) => done,
        Err(e) => return input_error(e),
    };
    if let Some(inventory) = &inventory {
        super::host_facts::report(inventory);
    }
    if done.bad_records > 0 && origin.to_ascii_lowercase().ends_with(".csv") {
        super::say(format_args!(
            "{origin} is read as facts records (JSON); an inventory export \
             goes to --host-facts, beside a scan's records"
        ));
    }
    done.exit_code(&origin)
}
