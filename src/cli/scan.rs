//! `amtready scan`: read AMT devices and say which are ready.

use std::path::PathBuf;
use std::time::Duration;

use super::password::PasswordArgs;
use super::{exit, input_error};
use crate::amt::{AmtClient, ClientOptions};
use crate::facts::HostStatus;
use crate::report::progress::{HostDone, Progress};
use crate::report::{self, Format, HostReport, ReportOptions};
use crate::rules::{self, Verdict};
use crate::scan::{scan, ScanOptions, Target, TargetSpec};
use crate::wsman::{CallLimits, Credentials, Password};

/// Options shared by `scan` and `demo`: how to talk to devices and what to print.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Seconds allowed for each request to a device, Digest round trip included.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Seconds allowed to open a TCP connection.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub connect_timeout: f64,
    /// Largest response body accepted from a device, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    pub body_cap: usize,
    /// Devices read at the same time.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub concurrency: usize,
    /// Judge with this policy file instead of the built-in configmgr-2007-sp1.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Print what was read without judging it against the rules.
    #[arg(long)]
    pub no_rules: bool,
    /// Never draw a progress bar (it is drawn only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// Table: list every rule not checked and each finding's source.
    #[arg(short, long)]
    pub verbose: bool,
    /// JSON Lines: end with a `{"summary": ...}` line.
    #[arg(long)]
    pub summary: bool,
}

impl ReadArgs {
    /// How reports are shaped for these arguments (width from `COLUMNS` or the terminal).
    pub fn report_options(&self) -> ReportOptions {
        ReportOptions {
            width: report::text::output_width(),
            verbose: self.verbose,
            jsonl_summary: self.summary,
            ..ReportOptions::default()
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct ScanArgs {
    /// Devices to read: HOST, HOST:PORT, [IPv6]:PORT, a CIDR block (10.0.0.0/24) or
    /// an IPv4 range (10.0.0.5-10.0.0.20, 10.0.0.5-20), each with an optional :PORT.
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// AMT user for the authenticated inventory (only used with a password source).
    #[arg(long, default_value = "admin")]
    pub user: String,
    #[command(flatten)]
    pub password: PasswordArgs,
    #[command(flatten)]
    pub read: ReadArgs,
}

pub fn run(args: &ScanArgs) -> i32 {
    let specs: Vec<TargetSpec> = match args.targets.iter().map(|t| t.parse()).collect() {
        Ok(specs) => specs,
        Err(e) => return input_error(format_args!("bad target: {e}")),
    };
    let password = match args.password.resolve() {
        Ok(p) => p,
        Err(e) => return input_error(e),
    };
    if password.is_none() {
        eprintln!(
            "amtready: no password source given, so only the unauthenticated probe runs \
             (version from the Server header; no provisioning facts). \
             Use --password-env, --password-file or --ask-password for the full inventory."
        );
    }
    let credentials = password.map(|p| Credentials {
        user: args.user.clone(),
        password: Password::new(p),
    });
    let total: u128 = specs.iter().map(TargetSpec::len).sum();
    let targets = specs.iter().flat_map(|s| s.targets());
    execute(targets, total, credentials, &args.read)
}

/// Reads `targets`, judges each record, streams the report to stdout, and returns
/// the exit code. Shared by `scan` and `demo`.
pub fn execute<I>(targets: I, total: u128, credentials: Option<Credentials>, read: &ReadArgs) -> i32
where
    I: Iterator<Item = Target> + Send,
{
    let policy = if read.no_rules {
        None
    } else {
        match super::rules::load_policy(read.policy.as_ref()) {
            Ok(p) => Some(p),
            Err(code) => return code,
        }
    };
    let options = match client_options(read) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let client = match AmtClient::new(options) {
        Ok(c) => c,
        Err(e) => return input_error(format_args!("cannot set up the HTTP client: {e}")),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return input_error(format_args!("cannot start the async runtime: {e}")),
    };

    let progress = Progress::new(u64::try_from(total).unwrap_or(u64::MAX), !read.no_progress);
    let stdout = std::io::stdout();
    let mut sink = report::sink(
        read.format,
        std::io::BufWriter::new(stdout.lock()),
        &read.report_options(),
    );
    let mut outcome = Outcome::default();
    let options = ScanOptions {
        concurrency: read.concurrency,
        credentials,
    };
    runtime.block_on(scan(&client, targets, &options, |facts| {
        let evaluation = policy.as_ref().map(|p| p.evaluate(&facts));
        let verdict = evaluation.as_ref().map(|e| e.verdict);
        outcome.add(facts.status, verdict);
        progress.host_done(HostDone {
            amt_found: matches!(
                facts.status,
                Some(HostStatus::Ok | HostStatus::AuthFailed | HostStatus::Error)
            ),
            verdict,
        });
        let line = HostReport { facts, evaluation };
        if let Err(e) = progress.suspend(|| sink.record(&line)) {
            // A closed stdout (`| head`) is no reason to keep probing devices,
            // but the scan is cheap to let finish and nothing else can be done.
            tracing::debug!("cannot write a result: {e}");
        }
    }));
    progress.finish();
    if let Err(e) = sink.finish() {
        tracing::debug!("cannot finish the report: {e}");
    }
    outcome.exit_code()
}

fn secs(value: f64) -> Option<Duration> {
    (value.is_finite() && value > 0.0 && value <= 3600.0).then(|| Duration::from_secs_f64(value))
}

/// Checks the user's limits and turns them into the client's options, once.
fn client_options(read: &ReadArgs) -> Result<ClientOptions, i32> {
    let deadline = secs(read.timeout)
        .ok_or_else(|| input_error("--timeout must be between 0 and 3600 seconds"))?;
    let connect_timeout = secs(read.connect_timeout)
        .ok_or_else(|| input_error("--connect-timeout must be between 0 and 3600 seconds"))?;
    if read.body_cap < 4096 {
        return Err(input_error(
            "--body-cap below 4096 bytes cannot hold an AMT response",
        ));
    }
    if read.concurrency == 0 {
        return Err(input_error("--concurrency must be at least 1"));
    }
    Ok(ClientOptions {
        limits: CallLimits {
            deadline,
            body_cap: read.body_cap,
        },
        connect_timeout,
        ..ClientOptions::default()
    })
}

/// Tallies host outcomes into the exit code documented in the README.
#[derive(Default)]
struct Outcome {
    unread: usize,
    verdicts: Vec<Verdict>,
}

impl Outcome {
    fn add(&mut self, status: Option<HostStatus>, verdict: Option<Verdict>) {
        if status != Some(HostStatus::Ok) {
            self.unread += 1;
        }
        if let Some(v) = verdict {
            self.verdicts.push(v);
        }
    }

    /// A host that could not be read outranks every verdict: its readiness is not known.
    fn exit_code(&self) -> i32 {
        if self.unread > 0 {
            exit::UNREAD
        } else {
            rules::exit_code(self.verdicts.iter().copied())
        }
    }
}
