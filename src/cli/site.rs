//! `amtready site`: checks the Configuration Manager site side alone (service
//! point, console, SQL Server, upgrade path and release), without any AMT host.

use std::io::Write;

use crate::facts::{FactsRecord, SiteFacts};
use crate::report::row::Projector;
use crate::report::{self, Format, HostReport, ReportOptions};
use crate::rules::{exit_code, Evaluation};

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

/// Arguments of `amtready site`.
#[derive(Debug, Clone, clap::Args)]
pub struct SiteArgs {
    /// OS of the out-of-band service point (`Windows Server 2003 SP2`).
    #[arg(long, value_name = "OS")]
    pub service_point_os: Option<String>,
    /// Hotfix installed on the out-of-band service point (repeatable).
    #[arg(long = "service-point-kb", value_name = "KB")]
    pub service_point_kbs: Vec<String>,
    /// OS of the out-of-band console computer.
    #[arg(long, value_name = "OS")]
    pub console_os: Option<String>,
    /// SQL Server hosting the site database (`SQL Server 2005 Enterprise SP2 x64`).
    #[arg(long, value_name = "SQL")]
    pub sql: Option<String>,
    /// Product upgraded from (`SMS 2003 SP3`, `Configuration Manager 2007`), or `none`.
    #[arg(long, value_name = "PRODUCT")]
    pub upgrade_from: Option<String>,
    /// The Configuration Manager 2007 SP1 release used.
    #[arg(long, value_enum)]
    pub release: Option<ReleaseArg>,
    /// Site mode.
    #[arg(long, value_enum)]
    pub site_mode: Option<SiteModeArg>,
    /// OS of the primary site server.
    #[arg(long, value_name = "OS")]
    pub site_server_os: Option<String>,
    /// Hotfix on the site server / SMS Provider / console computers (repeatable).
    #[arg(long = "site-kb", value_name = "KB")]
    pub site_kbs: Vec<String>,
    /// Judge with this built-in policy or policy file (repeatable); only
    /// their site rules run.
    #[arg(long, value_name = "NAME|FILE")]
    pub policy: Vec<String>,
    /// Output format.
    /// `json` is the evaluation itself; csv, junit, markdown and html render the
    /// site as one row named `site`, as the host reports do.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

impl SiteArgs {
    /// The site facts these arguments describe.
    pub fn facts(&self) -> SiteFacts {
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
}

/// Runs `amtready site`; returns the exit code.
pub fn run(args: &SiteArgs) -> i32 {
    let policy = match super::rules::load_policies(&args.policy) {
        Ok(policy) => policy,
        Err(code) => return code,
    };
    let facts = args.facts();
    if facts == SiteFacts::default() {
        return super::input_error("site: give at least one of --service-point-os, --console-os, --sql, --upgrade-from, --release, --site-server-os");
    }
    let evaluation = policy.evaluate_site(&facts);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let width = report::text::output_width();
    let written = match args.format {
        Format::Json => serde_json::to_writer_pretty(&mut out, &evaluation)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Jsonl => serde_json::to_writer(&mut out, &evaluation)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Table => site_table(&mut out, &facts, &evaluation, width),
        format => {
            let options = ReportOptions {
                width,
                title: "amtready: Configuration Manager 2007 SP1 site readiness".to_string(),
                ..ReportOptions::default()
            };
            let mut sink = report::sink(format, &mut out, &options);
            sink.record(&site_report(&facts, &evaluation))
                .and_then(|()| sink.finish())
        }
    };
    match written.and_then(|()| out.flush()) {
        // `| head` closed the pipe: the reader has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return super::input_error(format_args!("cannot write the report: {e}")),
        Ok(()) => {}
    }
    exit_code([evaluation.verdict])
}

fn site_report(facts: &SiteFacts, evaluation: &Evaluation) -> HostReport {
    HostReport {
        facts: FactsRecord {
            site: Some(facts.clone()),
            ..FactsRecord::new("site")
        },
        evaluation: Some(evaluation.clone()),
    }
}

/// The verdict, then each finding with its fix and source, fitted to `width`
/// like the host table's finding lines.
fn site_table(
    out: &mut impl Write,
    facts: &SiteFacts,
    evaluation: &Evaluation,
    width: usize,
) -> std::io::Result<()> {
    let row = Projector::new().row(&site_report(facts, evaluation));
    writeln!(out, "Site verdict: {}", row.verdict_label())?;
    for line in report::table::detail_lines(&row, width, true) {
        writeln!(out, "{line}")?;
    }
    if !evaluation.not_checked.is_empty() {
        let list = format!(
            "Not checked (no facts given): {}",
            evaluation.not_checked.join(", ")
        );
        for line in report::text::hanging("", &report::text::clean(&list), width) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
