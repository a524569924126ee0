//! `amtready site`: checks the Configuration Manager site side alone (service
//! point, console, SQL Server, upgrade path and release), without any AMT host.

use crate::facts::SiteFacts;
use crate::rules::exit_code;

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

/// Output formats of `site`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SiteFormat {
    Table,
    Json,
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
    #[arg(long, value_enum, default_value_t = SiteFormat::Table)]
    pub format: SiteFormat,
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
    match args.format {
        SiteFormat::Json => match serde_json::to_string_pretty(&evaluation) {
            Ok(text) => println!("{text}"),
            Err(error) => return super::input_error(error),
        },
        SiteFormat::Table => {
            println!("verdict: {}", evaluation.verdict.as_str());
            if !evaluation.findings.is_empty() {
                let mut table = comfy_table::Table::new();
                // No terminal probing (comfy-table's tty feature is off): wrap to a fixed width.
                table
                    .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                    .set_width(150);
                table.set_header(["severity", "rule", "finding", "seed section", "fix"]);
                for f in &evaluation.findings {
                    table.add_row([
                        f.severity.as_str(),
                        f.rule.as_str(),
                        f.message.as_str(),
                        f.seed_section.as_str(),
                        f.fix.as_deref().unwrap_or(""),
                    ]);
                }
                println!("{table}");
            }
            if !evaluation.missing.is_empty() {
                println!("missing facts: {}", evaluation.missing.join(", "));
            }
            if !evaluation.not_checked.is_empty() {
                println!(
                    "not checked (no facts given): {}",
                    evaluation.not_checked.join(", ")
                );
            }
        }
    }
    exit_code([evaluation.verdict])
}
