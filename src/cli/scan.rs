//! `amtready scan`: read AMT devices and say which are ready.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::flags::{FormatArgs, PolicyArgs, SummaryArgs, VerboseArgs};
use super::password::PasswordArgs;
use super::site::SiteFactsArgs;
use super::{heading, input_error};
use amtready::amt::{AmtClient, ClientOptions};
use amtready::facts::{HostStatus, SiteFacts};
use amtready::report::Progress as ProgressBar;
use amtready::report::{self, Counts, Event, Format, ReportOptions, SiteReport};
use amtready::rules::provisioning_cert::ProvisioningCert;
use amtready::rules::Judge;
pub use amtready::scan::FailOn;
use amtready::scan::{default_in_flight, DEFAULT_RATE};
use amtready::scan::{DiscoveryOptions, PipelineOptions, Plan, PlanInput, Shard, Tally};
use amtready::wsman::{CallLimits, Credentials, Password};
use amtready::ExitCode;

/// Options shared by `scan` and `demo`: how to talk to devices and what to print.
// Help headings are listed in the order their first flag is declared: the
// fields run in the order of a scan (reach, trust, host facts, output, rules).
#[derive(Debug, Clone, clap::Args)]
// A scan's --policy also names the built-in policies; its --summary is rarely used.
#[command(mut_arg("policy", |a: clap::Arg| a.long_help(
    "Judge with this built-in policy or policy file; repeatable.\n\n\
     Built in: configmgr-2007-sp1, configmgr-2007-sp1-provisioning, \
     configmgr-2007-sp1-provisioning-path, configmgr-2007-sp1-operational, \
     intel-advisories. Default: all five."
)))]
#[command(mut_arg("summary", |a: clap::Arg| a.hide_short_help(true)))]
pub struct ReadArgs {
    /// Seconds allowed for each request to a device.
    ///
    /// The Digest round trip is included.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, help_heading = heading::DISCOVERY)]
    pub timeout: f64,
    /// Seconds allowed for everything read from one device.
    ///
    /// The probe and every class; default 3 × --timeout, so one slow device
    /// cannot hold a slot for the length of its whole read sequence.
    #[arg(long, value_name = "SECS", help_heading = heading::DISCOVERY, hide_short_help = true)]
    pub host_timeout: Option<f64>,
    /// Seconds allowed to open a TCP connection.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, help_heading = heading::DISCOVERY, hide_short_help = true)]
    pub connect_timeout: f64,
    /// Largest response body accepted from a device, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024, help_heading = heading::DISCOVERY, hide_short_help = true)]
    pub body_cap: usize,
    /// Devices read at the same time.
    #[arg(long, value_name = "N", default_value_t = 64, help_heading = heading::DISCOVERY)]
    pub concurrency: usize,
    #[command(flatten)]
    pub tls: super::tls::TlsArgs,
    #[command(flatten)]
    pub host_facts: super::host_facts::HostFactsArgs,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub verbose: VerboseArgs,
    #[command(flatten)]
    pub summary: SummaryArgs,
    /// Never draw a progress bar (it is drawn only on a terminal anyway).
    #[arg(long, help_heading = heading::OUTPUT, hide_short_help = true)]
    pub no_progress: bool,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Print what was read without judging it against the rules.
    #[arg(long, help_heading = heading::RULES, hide_short_help = true)]
    pub no_rules: bool,
    /// Check this AMT provisioning certificate chain against every device read.
    ///
    /// PEM, or PKCS#12 with --provisioning-cert-password-env; checked as
    /// `amtready cert` does (findings CERT-*).
    #[arg(long, value_name = "CHAIN", help_heading = heading::RULES, hide_short_help = true)]
    pub provisioning_cert: Option<PathBuf>,
    /// Environment variable holding the PKCS#12 password of --provisioning-cert.
    #[arg(long, value_name = "VAR", requires = "provisioning_cert", help_heading = heading::RULES, hide_short_help = true)]
    pub provisioning_cert_password_env: Option<String>,
}

impl ReadArgs {
    /// How reports are shaped for these arguments (width from `COLUMNS` or the terminal).
    pub fn report_options(&self) -> ReportOptions {
        ReportOptions {
            width: report::text::output_width(),
            verbose: self.verbose.verbose,
            jsonl_summary: self.summary.summary,
            ..ReportOptions::default()
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct ScanArgs {
    /// Devices to read: HOST, HOST:PORT, [IPv6]:PORT, a CIDR block (10.0.0.0/24) or
    /// an IPv4 range (10.0.0.5-10.0.0.20, 10.0.0.5-20), each with an optional :PORT.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Read more targets from FILE (`-`: stdin).
    ///
    /// One or more per line, `#` comments.
    #[arg(long, value_name = "FILE", help_heading = heading::TARGETS)]
    pub targets_file: Option<PathBuf>,
    /// Leave these out (same forms as targets); repeatable.
    ///
    /// Without :PORT, the address is left out on every port.
    #[arg(long, value_name = "TARGET", help_heading = heading::TARGETS)]
    pub exclude: Vec<String>,
    /// Scan only part K of N (K from 0).
    ///
    /// The parts of one target list are disjoint and add up to the whole.
    #[arg(long, value_name = "K/N", help_heading = heading::TARGETS, hide_short_help = true)]
    pub shard: Option<Shard>,
    /// Skip the targets already recorded in this JSON Lines file, append the rest.
    ///
    /// A missing file starts a new scan.
    #[arg(long, value_name = "FILE", help_heading = heading::TARGETS)]
    pub resume: Option<PathBuf>,
    /// AMT user for the authenticated inventory.
    ///
    /// Only used with a password source.
    #[arg(long, value_name = "USER", default_value = "admin", help_heading = heading::CREDENTIALS)]
    pub user: String,
    #[command(flatten)]
    pub password: PasswordArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub sweep: SweepArgs,
    #[command(flatten)]
    pub site: SiteFactsArgs,
    #[command(flatten)]
    pub winrm: super::winrm::WinrmArgs,
    #[command(flatten)]
    pub dns: DnsArgs,
}

/// How the provisioning path's DNS lookups are made.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DnsArgs {
    /// Ask this DNS server (ADDR, ADDR:PORT or [IPv6]:PORT) instead of the
    /// system's.
    ///
    /// For a scanner outside the estate: the names AMT and the out of band
    /// service point use are those of the estate's own DNS.
    #[arg(long, value_name = "ADDR[:PORT]", help_heading = heading::DISCOVERY)]
    pub dns_server: Option<String>,
    /// Make no DNS lookups: the provisioning path rules (PATH-*) are then
    /// not checked.
    #[arg(long, env = "AMTREADY_NO_DNS", value_parser = clap::builder::FalseyValueParser::new(), help_heading = heading::DISCOVERY, hide_short_help = true)]
    pub no_dns: bool,
    /// Seconds allowed for each DNS lookup.
    #[arg(long, value_name = "SECS", default_value_t = amtready::dns::DEFAULT_TIMEOUT.as_secs_f64(), help_heading = heading::DISCOVERY, hide_short_help = true)]
    pub dns_timeout: f64,
}

impl DnsArgs {
    /// The resolver's options; `None` with `--no-dns`.
    pub fn options(&self) -> Result<Option<amtready::dns::DnsOptions>, String> {
        if self.no_dns {
            if self.dns_server.is_some() {
                // Checked here, not by clap: the environment's "0" is a
                // value too, and must not clash with --dns-server.
                return Err("--dns-server and --no-dns (or AMTREADY_NO_DNS) contradict each other: give one".into());
            }
            return Ok(None);
        }
        let server = match &self.dns_server {
            Some(text) => Some(amtready::dns::parse_server(text)?),
            None => None,
        };
        let Some(timeout) = secs(self.dns_timeout).filter(|t| !t.is_zero()) else {
            return Err("--dns-timeout must be above 0 and at most 3600 seconds".into());
        };
        Ok(Some(amtready::dns::DnsOptions {
            server,
            timeout,
            ..amtready::dns::DnsOptions::default()
        }))
    }
}

/// How the discovery sweep runs and what the run reports.
#[derive(Debug, Clone, clap::Args)]
pub struct SweepArgs {
    /// New TCP connection attempts per second during the sweep.
    ///
    /// Each address costs two: 16992 and 16993. The default is gentle enough
    /// for a production LAN.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RATE, help_heading = heading::DISCOVERY)]
    pub rate: u32,
    /// Ceiling of the sweep's adaptive timeout, in seconds.
    ///
    /// It learns from the round-trip times of hosts that answer and starts here.
    #[arg(long, value_name = "SECS", default_value_t = 1.0, help_heading = heading::DISCOVERY, hide_short_help = true)]
    pub max_rtt: f64,
    /// Floor of the sweep's adaptive timeout, in seconds.
    ///
    /// As nmap's --min-rtt-timeout: raise it on a network whose devices
    /// answer slower than the first hosts to answer suggest (a busy or
    /// distant segment).
    #[arg(long, value_name = "SECS", default_value_t = 0.1, help_heading = heading::DISCOVERY, hide_short_help = true)]
    pub min_rtt: f64,
    /// Addresses probed at once by the sweep.
    ///
    /// Default: as many as the open-file limit allows, at most 4096.
    #[arg(long, value_name = "N", help_heading = heading::DISCOVERY, hide_short_help = true)]
    pub sweep_concurrency: Option<usize>,
    /// Send the RMCP presence ping (UDP 623) too.
    ///
    /// It finds AMT 6.1+ before provisioning and names the generation.
    // Exactly on|off, as the user guide and --tls spell it: a bool parser would
    // also take true/false/yes/no and list true, false as the values.
    #[arg(
        long,
        value_name = "MODE",
        default_value = "on",
        action = clap::ArgAction::Set,
        value_parser = clap::builder::TypedValueParser::map(
            clap::builder::PossibleValuesParser::new(["on", "off"]),
            |v| v == "on"
        ),
        help_heading = heading::DISCOVERY,
        hide_short_help = true
    )]
    pub rmcp: bool,
    /// UDP port for the RMCP ping (for tests against a mock on an unprivileged port).
    #[arg(long, value_name = "PORT", default_value_t = amtready::scan::rmcp::RMCP_PORT, hide = true, help_heading = heading::DISCOVERY)]
    pub rmcp_port: u16,
    /// Stop offering the credentials after N devices in a row rejected them.
    ///
    /// 0: never. AMT locks accounts after repeated failures.
    #[arg(long, value_name = "N", default_value_t = 3, help_heading = heading::CREDENTIALS, hide_short_help = true)]
    pub auth_fail_limit: u32,
    /// Also write every finished host to FILE as JSON Lines.
    ///
    /// Flushed per host; with --resume, the resume file.
    #[arg(long, value_name = "FILE", help_heading = heading::OUTPUT)]
    pub output: Option<PathBuf>,
    /// List silent addresses too (status `silent`).
    ///
    /// Otherwise they are only counted.
    #[arg(long, help_heading = heading::OUTPUT, hide_short_help = true)]
    pub all: bool,
    /// What makes the exit code non-zero.
    ///
    /// Unread devices only (unread), or also not-ready verdicts (error),
    /// unknown verdicts (unknown, the default), or warning findings (warning).
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailOn::Unknown, help_heading = heading::OUTPUT)]
    pub fail_on: FailOn,
}

impl Default for SweepArgs {
    fn default() -> Self {
        Self {
            rate: DEFAULT_RATE,
            max_rtt: 1.0,
            min_rtt: 0.1,
            sweep_concurrency: None,
            rmcp: true,
            rmcp_port: amtready::scan::rmcp::RMCP_PORT,
            auth_fail_limit: 3,
            output: None,
            all: false,
            fail_on: FailOn::Unknown,
        }
    }
}

pub fn run(args: &ScanArgs) -> ExitCode {
    if args.targets.is_empty() && args.targets_file.is_none() && args.resume.is_none() {
        return input_error("no targets: give TARGET arguments, --targets-file or --resume");
    }
    if let (Some(out), Some(resume)) = (&args.sweep.output, &args.resume) {
        if out != resume {
            return input_error(
                "--resume appends to its own file; give --output the same file or leave it out",
            );
        }
    }
    let site = match args.site.resolve() {
        Ok(site) => site,
        Err(e) => return input_error(e),
    };
    let password = match args.password.resolve() {
        Ok(p) => p,
        Err(e) => return input_error(e),
    };
    if let Err(e) = check_user(&args.user) {
        return input_error(e);
    }
    let credentials = password.map(|p| Credentials {
        user: args.user.clone(),
        password: Password::new(p),
    });
    let input = PlanInput {
        targets: args.targets.clone(),
        targets_file: args.targets_file.clone(),
        excludes: args.exclude.clone(),
        shard: args.shard,
        resume: args.resume.clone(),
        resolve_timeout: RESOLVE_TIMEOUT,
    };
    let winrm = if args.winrm.winrm {
        // WinRM reads are bounded as AMT's are (--timeout, --body-cap).
        let limits = match client_options(&args.read) {
            Ok(o) => o.limits,
            Err(code) => return code,
        };
        match args.winrm.options(limits) {
            Ok(w) => w.map(Arc::new),
            Err(e) => return input_error(e),
        }
    } else {
        None
    };
    let dns = match args.dns.options() {
        Ok(d) => d,
        Err(e) => return input_error(e),
    };
    execute(
        input,
        credentials,
        &args.read,
        &args.sweep,
        site,
        Beside { winrm, dns },
        true,
    )
}

/// What a scan reads beside AMT itself: the Windows host over WinRM, and DNS.
#[derive(Debug, Default)]
pub struct Beside {
    /// `--winrm`.
    pub winrm: Option<Arc<amtready::winrm::HostOptions>>,
    /// The DNS lookups; `None` with `--no-dns`.
    pub dns: Option<amtready::dns::DnsOptions>,
}

/// Bound on resolving each host name, once, before the scan starts.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Plans, sweeps, reads and judges the targets, streams the report to
/// stdout (and `--output`), and returns the exit code. Shared by `scan` and
/// `demo`. `site` is the run's site: judged once, written once before the
/// hosts, and the source of the site facts host rules read.
pub fn execute(
    input: PlanInput,
    credentials: Option<Credentials>,
    read: &ReadArgs,
    sweep: &SweepArgs,
    site: Option<SiteFacts>,
    beside: Beside,
    warn_without_password: bool,
) -> ExitCode {
    let Beside { winrm, dns } = beside;
    let mut report_options = read.report_options();
    let judge = if read.no_rules {
        report_options.judged_by = super::rules::NO_RULES.into();
        None
    } else {
        match super::rules::load_policies(&read.policy.policy) {
            Ok(p) => {
                report_options.judged_by = super::rules::judged_by(&p);
                Some(Arc::new(Judge::new(Arc::new(p), site.clone())))
            }
            Err(code) => return code,
        }
    };
    let provisioning_cert = match provisioning_cert(read) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let dns_site = site.clone();
    let site_report = site.map(|facts| SiteReport {
        facts,
        evaluation: judge.as_ref().and_then(|j| j.judge_site()),
    });
    let options = match client_options(read) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let inventory = match read.host_facts.load() {
        Ok(i) => i.map(Arc::new),
        Err(e) => return input_error(e),
    };
    let Some(max_rtt) = secs(sweep.max_rtt) else {
        return input_error("--max-rtt must be between 0 and 3600 seconds");
    };
    let Some(min_rtt) = secs(sweep.min_rtt) else {
        return input_error("--min-rtt must be between 0 and 3600 seconds");
    };
    if min_rtt > max_rtt {
        return input_error(format_args!(
            "--min-rtt {} is above --max-rtt {}: the floor of the sweep's timeout must not exceed its ceiling",
            sweep.min_rtt, sweep.max_rtt
        ));
    }
    let client = match AmtClient::new(options) {
        Ok(c) => c,
        Err(e) => return input_error(format_args!("cannot set up the HTTP client: {e}")),
    };
    let client_tofu = client.options().tls.tofu().cloned();
    // Both cores: each host's Digest, XML and rules run on its own task.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return input_error(format_args!("cannot start the async runtime: {e}")),
    };
    let plan = match runtime.block_on(Plan::build(&input)) {
        Ok(p) => Arc::new(p),
        Err(e) => return input_error(e),
    };
    // The service point's FQDN is resolved here, once, before any device.
    let dns = match dns {
        Some(options) => {
            match runtime.block_on(amtready::dns::DnsChecker::new(&options, dns_site.as_ref())) {
                Ok(checker) => Some(Arc::new(checker)),
                Err(e) => return input_error(e),
            }
        }
        None => None,
    };
    let tofu = client_tofu.clone();
    // Said once every input is known good, so a usage error is never
    // preceded by a warning about something else.
    if warn_without_password && credentials.is_none() {
        super::say(format_args!(
            "no password source given, so only the unauthenticated probe runs \
             (version from the Server header; no provisioning facts). \
             Use --password-env, --password-file or --ask-password for the full inventory."
        ));
    }
    if plan.duplicates > 0 {
        super::say(format_args!(
            "{} target(s) named an address already planned; each address is read once",
            plan.duplicates
        ));
    }
    if plan.resumed > 0 {
        super::say(format_args!(
            "resuming: {} host(s) already in {}; {} to go",
            plan.resumed,
            input
                .resume
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            plan.total()
        ));
    }
    let output_path = input.resume.clone().or_else(|| sweep.output.clone());
    let mut output = match output_path {
        Some(path) => match amtready::scan::open_output(&path, &plan, |kept| {
            super::say(format_args!(
                "the last line of {} was cut short by a stopped scan ({} bytes): \
                 kept in {}, and its host is read again",
                path.display(),
                kept.bytes,
                kept.path.display()
            ))
        }) {
            Ok(f) => Some(report::sink(
                Format::Jsonl,
                std::io::BufWriter::new(f),
                &ReportOptions::default(),
            )),
            Err(e) => return input_error(e),
        },
        None => None,
    };

    let in_flight = sweep
        .sweep_concurrency
        .unwrap_or_else(|| default_in_flight(read.concurrency));
    let credential_facts = amtready::scan::credential_facts(credentials.as_ref());
    let pipeline = PipelineOptions {
        credentials,
        concurrency: read.concurrency,
        auth_fail_limit: sweep.auth_fail_limit,
        discovery: Some(DiscoveryOptions {
            rate: sweep.rate,
            max_rtt,
            min_rtt,
            in_flight: in_flight.max(1),
            rmcp: sweep.rmcp,
            rmcp_port: sweep.rmcp_port,
            read_starts_on_tls: read.tls.tls == amtready::amt::TlsMode::On,
            ..DiscoveryOptions::default()
        }),
        judge,
        credential_facts: Some(credential_facts),
        inventory: inventory.clone(),
        provisioning_cert,
        winrm,
        dns,
    };

    let bar = ProgressBar::new(plan.total(), !read.no_progress);
    let stdout = std::io::stdout();
    let mut sink = report::sink(
        read.format.format,
        std::io::BufWriter::new(stdout.lock()),
        &report_options,
    );
    // The one tally of the run: the bar, the summary line and the exit code
    // read it. The site, a resumed file's hosts and this run's hosts all
    // reach it, and the report, as events.
    let mut tally = Tally::new(sweep.fail_on);
    let mut written = Written::default();
    // Every event takes this one path. A resumed file's hosts (`from_file`)
    // are already in --output and are not this run's progress.
    let mut deliver = |tally: &mut Tally, event: Event, from_file: bool| {
        tally.event(&event);
        match &event {
            Event::HostJudged(report) if !from_file => {
                bar.show(tally);
                if report.facts.status == Some(HostStatus::Silent) && !sweep.all {
                    return;
                }
            }
            Event::AuthLimitReached { limit } => {
                let notice = report::auth_limit_notice(*limit);
                bar.suspend(|| super::say(format_args!("{notice}")));
            }
            // Nothing to write: the bar is not taken off the screen for it.
            Event::HostStarted | Event::Finished => return,
            _ => {}
        }
        let to_output = !from_file && matches!(event, Event::SiteJudged(_) | Event::HostJudged(_));
        if let (true, Some(out)) = (to_output, output.as_mut()) {
            written.output(out.event(&event), &bar);
        }
        written.report(bar.suspend(|| sink.event(&event)), &bar);
    };
    if let Some(site) = site_report {
        deliver(&mut tally, Event::SiteJudged(Box::new(site)), false);
    }
    // A resumed run reports, and is judged on, every host of the file as
    // well as the new ones, as if it had never stopped.
    if let Some(path) = &input.resume {
        let replayed =
            report::replay::saved_events(path, &mut |event| deliver(&mut tally, event, true));
        if let Err(e) = replayed {
            return input_error(format_args!("cannot read {}: {e}", path.display()));
        }
    }
    tally.mark_live();
    let started = Instant::now();
    let interrupted = runtime.block_on(async {
        let mut events = amtready::scan::run(client, Arc::clone(&plan), pipeline, None).await;
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            let event = tokio::select! {
                event = events.next() => event,
                _ = &mut ctrl_c => return true,
            };
            match event {
                None | Some(Event::Finished) => return false,
                Some(event) => deliver(&mut tally, event, false),
            }
        }
    });
    bar.finish();
    if interrupted {
        sink.mark_partial();
        super::say(format_args!(
            "interrupted: the report holds the {} of {} host(s) finished (partial)",
            tally.counts().hosts,
            plan.total()
        ));
    }
    written.report(sink.finish(), &bar);
    if let Some(store) = tofu {
        // What was learnt since the last write: a trust file that could not
        // be written fails the run, as an --output that could not be does.
        if let Err(e) = store.flush() {
            written.trust = Some(e);
        }
        let learnt = store.learnt();
        if !learnt.is_empty() {
            super::say(format_args!(
                "trusted {} new device certificate(s) on first use; review {}",
                learnt.len(),
                store.path().display()
            ));
        }
        // Once per run, not per device: every device it applies to already
        // says why it is untrusted.
        let refused = store.refused_full();
        if refused > 0 {
            super::say(format_args!(
                "{} is full: {refused} new device certificate(s) were not learnt and \
                 stay untrusted (prune the file, or use another --tofu file)",
                amtready::text::clean(&store.path().display().to_string())
            ));
        }
    }
    if let Some(mut out) = output {
        written.output(out.finish(), &bar);
    }
    summary(tally.counts(), sweep.all, started.elapsed());
    if tally.read() == 0 && !interrupted {
        super::say(format_args!(
            "no device was read, so nothing can be called ready \
             (check the targets, and that the devices are on)"
        ));
    }
    if let Some(inventory) = &inventory {
        super::host_facts::report(inventory);
    }
    // The scan's tasks may still hold connections; do not wait for them.
    runtime.shutdown_background();
    if let Some(failure) = written.failure() {
        super::say(format_args!("{failure}"));
        return ExitCode::Input;
    }
    if interrupted {
        return ExitCode::Interrupted;
    }
    tally.exit_code()
}

/// The first failure to write the report (stdout) or `--output`: either
/// fails the run, since the admin's record of it is incomplete. A reader
/// that closed stdout early (`| head`) took what it wanted: not a failure.
#[derive(Default)]
struct Written {
    report: Option<std::io::Error>,
    output: Option<std::io::Error>,
    /// The `--tofu` file could not take what this run learnt.
    trust: Option<String>,
}

impl Written {
    fn report(&mut self, result: std::io::Result<()>, bar: &ProgressBar) {
        if let Err(e) = result {
            if e.kind() != std::io::ErrorKind::BrokenPipe && self.report.is_none() {
                bar.suspend(|| super::say(format_args!("cannot write the report: {e}")));
                self.report = Some(e);
            }
        }
    }

    fn output(&mut self, result: std::io::Result<()>, bar: &ProgressBar) {
        if let Err(e) = result {
            if self.output.is_none() {
                bar.suspend(|| super::say(format_args!("cannot write --output: {e}")));
                self.output = Some(e);
            }
        }
    }

    fn failure(&self) -> Option<String> {
        if let Some(e) = &self.trust {
            return Some(format!("{e}: the run fails (exit 3)"));
        }
        match (&self.report, &self.output) {
            (_, Some(e)) => Some(format!(
                "the --output file is incomplete ({e}): the run fails (exit 3)"
            )),
            (Some(e), None) => Some(format!(
                "the report could not be written ({e}): the run fails (exit 3)"
            )),
            (None, None) => None,
        }
    }
}

fn summary(counts: &Counts, all: bool, elapsed: Duration) {
    let mut parts = vec![format!("{} ok", counts.ok)];
    for (count, name) in [
        (counts.auth_failed, "auth_failed"),
        (counts.not_tried, "not_tried"),
        (counts.error, "error"),
        (counts.unreachable, "unreachable"),
        (counts.not_amt, "not_amt"),
        (counts.tls_untrusted, "tls_untrusted"),
        (counts.dark, "dark"),
    ] {
        if count > 0 {
            parts.push(format!("{count} {name}"));
        }
    }
    // Only with an inventory that names AMT computers: the admin's list
    // of vPro machines to chase.
    let inventory = counts
        .inventory_amt_line()
        .map(|line| format!("; {line}"))
        .unwrap_or_default();
    super::say(format_args!(
        "{} host(s) reported ({}); {} silent address(es){}{inventory}; {:.1} s",
        counts.reported(),
        parts.join(", "),
        counts.silent,
        if all { "" } else { " (list them with --all)" },
        elapsed.as_secs_f64()
    ));
}

/// Reads `--provisioning-cert` once, with its chain-only findings.
fn provisioning_cert(read: &ReadArgs) -> Result<Option<Arc<ProvisioningCert>>, ExitCode> {
    let Some(path) = &read.provisioning_cert else {
        return Ok(None);
    };
    let password = match &read.provisioning_cert_password_env {
        Some(var) => Some(std::env::var(var).map_err(|_| {
            input_error(format_args!(
                "--provisioning-cert-password-env {var}: the variable is not set"
            ))
        })?),
        None => None,
    };
    let chain = amtready::cert::load_chain(path, password.as_deref()).map_err(input_error)?;
    Ok(Some(Arc::new(ProvisioningCert::new(chain))))
}

/// Shortest time limit accepted: below a millisecond no exchange can finish,
/// and `1e-300` is a typo, not a setting.
const MIN_SECS: f64 = 0.001;
/// Largest time limit accepted: an hour.
const MAX_SECS: f64 = 3600.0;
/// Largest `--body-cap`: the biggest real AMT answer (a Pull of every
/// certificate hash) is tens of KiB; 64 MiB per host × `--concurrency` is
/// already more memory than a scan should ever hold.
pub const MAX_BODY_CAP: usize = 64 * 1024 * 1024;
/// Smallest `--body-cap` that holds an AMT response.
const MIN_BODY_CAP: usize = 4096;
/// `--host-timeout` when not given, as a multiple of `--timeout`: the probe
/// and a few reads of a slow but healthy device fit; nine stalled reads do not.
const HOST_TIMEOUT_FACTOR: f64 = 3.0;

fn secs(value: f64) -> Option<Duration> {
    (value.is_finite() && (MIN_SECS..=MAX_SECS).contains(&value))
        .then(|| Duration::from_secs_f64(value))
}

/// The user name goes into the Digest `Authorization` header: a control
/// character (CR/LF) would corrupt every request, so it is refused up front.
pub fn check_user(user: &str) -> Result<(), String> {
    if user.is_empty() {
        return Err("--user must not be empty".into());
    }
    if user
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        return Err(format!(
            "--user {} holds a control character, quote or backslash, which cannot go into a Digest header",
            amtready::report::text::clean(user)
        ));
    }
    Ok(())
}

/// Checks the user's limits and turns them into the client's options, once.
fn client_options(read: &ReadArgs) -> Result<ClientOptions, ExitCode> {
    let range = format!("between {MIN_SECS} and {MAX_SECS} seconds");
    let deadline =
        secs(read.timeout).ok_or_else(|| input_error(format_args!("--timeout must be {range}")))?;
    let connect_timeout = secs(read.connect_timeout)
        .ok_or_else(|| input_error(format_args!("--connect-timeout must be {range}")))?;
    let host_deadline = match read.host_timeout {
        Some(v) => {
            secs(v).ok_or_else(|| input_error(format_args!("--host-timeout must be {range}")))?
        }
        None => deadline.mul_f64(HOST_TIMEOUT_FACTOR),
    };
    if host_deadline < deadline {
        return Err(input_error(
            "--host-timeout must not be shorter than --timeout",
        ));
    }
    if !(MIN_BODY_CAP..=MAX_BODY_CAP).contains(&read.body_cap) {
        return Err(input_error(format_args!(
            "--body-cap must be between {MIN_BODY_CAP} (the smallest that holds an AMT response) and {MAX_BODY_CAP} bytes"
        )));
    }
    if read.concurrency == 0 {
        return Err(input_error("--concurrency must be at least 1"));
    }
    let tls = read.tls.policy().map_err(input_error)?;
    Ok(ClientOptions {
        limits: CallLimits {
            deadline,
            body_cap: read.body_cap,
        },
        connect_timeout,
        host_deadline,
        tls,
        tls_mode: read.tls.tls,
        ..ClientOptions::default()
    })
}
