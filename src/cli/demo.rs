//! `amtready demo`: the whole product on one machine. Starts a mock fleet with one
//! device per built-in firmware profile on loopback, scans it with the mock's
//! default credentials, and prints the report: what a newcomer runs first.

use std::net::Ipv4Addr;

use mock_amt::{round_robin, start_fleet, Profile};

use super::input_error;
use super::scan::{execute, Beside, ReadArgs, SweepArgs};
use super::site::SiteFactsArgs;
use amtready::scan::PlanInput;
use amtready::wsman::{Credentials, Password};
use amtready::ExitCode;

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Firmware profiles to start (default: every built-in profile).
    ///
    /// See `mock-amt --list-profiles`.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...", help_heading = super::heading::TARGETS)]
    pub profiles: Vec<String>,
    /// Scan without credentials: only what the unauthenticated probe tells.
    #[arg(long, help_heading = super::heading::CREDENTIALS)]
    pub without_credentials: bool,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub site: SiteFactsArgs,
}

pub fn run(args: &DemoArgs) -> ExitCode {
    let site = match args.site.resolve() {
        Ok(site) => site,
        Err(e) => return input_error(e),
    };
    let names: Vec<String> = if args.profiles.is_empty() {
        Profile::builtin_names()
            .into_iter()
            .map(String::from)
            .collect()
    } else {
        args.profiles.clone()
    };
    let mut profiles = Vec::with_capacity(names.len());
    for name in &names {
        let Some(profile) = Profile::builtin(name) else {
            return input_error(format_args!(
                "no built-in profile {name:?}; known: {}",
                Profile::builtin_names().join(", ")
            ));
        };
        profiles.push(profile);
    }
    // One loopback address per device, in profile order, so the table (sorted
    // by address) reads oldest firmware first; where the system has only
    // 127.0.0.1 (not Linux), every device shares it on its own port. Port 0:
    // the kernel picks free ports, so the demo never clashes with a real AMT
    // agent or a second demo on the same machine.
    let configs = round_robin(&demo_addresses(profiles.len()), 0, &profiles);

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return input_error(format_args!("cannot start the async runtime: {e}")),
    };
    let fleet = match runtime.block_on(start_fleet(configs)) {
        Ok(fleet) => fleet,
        Err(e) => {
            super::say(format_args!("cannot start the mock fleet on loopback: {e}"));
            return ExitCode::Unread;
        }
    };
    let targets: Vec<String> = fleet.devices.iter().map(|d| d.addr().to_string()).collect();
    super::say(format_args!(
        "demo: started {} mock AMT devices on loopback ({}); scanning {}",
        targets.len(),
        names.join(", "),
        if args.without_credentials {
            "without credentials"
        } else {
            "as the mock's default admin user"
        },
    ));
    let credentials = (!args.without_credentials).then(|| Credentials {
        user: mock_amt::DEFAULT_USER.to_string(),
        password: Password::new(mock_amt::DEFAULT_PASSWORD.to_string()),
    });
    let mut read = args.read.clone();
    let ca_file = match demo_trust(&mut read) {
        Ok(f) => f,
        Err(e) => return input_error(e),
    };
    let input = PlanInput {
        targets,
        resolve_timeout: std::time::Duration::from_secs(5),
        ..PlanInput::default()
    };
    // The mock fleet answers no RMCP on the demo's ports; do not ping 623.
    let sweep = SweepArgs {
        rmcp: false,
        ..SweepArgs::default()
    };
    // The demo says itself whether it scans with credentials. No DNS: the
    // mock devices' names exist in no zone, and asking the user's DNS for
    // them would send made-up names off the machine.
    let code = execute(
        input,
        credentials,
        &read,
        &sweep,
        site,
        Beside::default(),
        false,
    );
    drop(ca_file);
    runtime.block_on(fleet.shutdown());
    // The demo fleet mixes supported and unsupported firmware on purpose, so
    // verdicts are not failures here; only an unread device is.
    if code == ExitCode::Unread || code == ExitCode::Input {
        code
    } else {
        ExitCode::Ready
    }
}

/// Unless the user chose what to trust, the demo trusts the mock's test CA
/// (made in this process), so its TLS-only firmware is read like a real
/// estate's with `--ca`. The file lives as long as the returned guard.
fn demo_trust(read: &mut ReadArgs) -> Result<Option<DemoCa>, String> {
    let t = &read.tls.trust;
    let chosen = t.ca.is_some()
        || t.pin.is_some()
        || t.pins.is_some()
        || t.tofu.is_some()
        || t.insecure_skip_verify;
    if chosen {
        return Ok(None);
    }
    let pki = mock_amt::test_pki().map_err(|e| format!("cannot make the mock's test PKI: {e}"))?;
    let path = std::env::temp_dir().join(format!("amtready-demo-ca-{}.pem", std::process::id()));
    std::fs::write(&path, pki.ca_pem())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    read.tls.trust.ca = Some(path.clone());
    Ok(Some(DemoCa(path)))
}

/// Removes the demo's CA file when dropped.
struct DemoCa(std::path::PathBuf);

impl Drop for DemoCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The first demo address, away from 127.0.0.1 where real local services live.
const DEMO_FIRST: Ipv4Addr = Ipv4Addr::new(127, 77, 0, 1);

fn demo_addresses(count: usize) -> Vec<Ipv4Addr> {
    let spread = std::net::TcpListener::bind((DEMO_FIRST, 0)).is_ok();
    match mock_amt::fleet_addresses(DEMO_FIRST, count) {
        Ok(addrs) if spread => addrs,
        _ => vec![Ipv4Addr::LOCALHOST; count],
    }
}
