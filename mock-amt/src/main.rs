//! `mock-amt`: run one mock Intel AMT device, or a fleet, on loopback.
#![forbid(unsafe_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use mock_amt::{
    fleet_addresses, fleet_addresses_unchecked, manifest_jsonl, mixed_fleet, start_fleet, test_pki,
    DeviceConfig, Fault, FleetMix, Profile, TlsKind,
};

/// The same allocator as the scanner: a fleet answers millions of requests
/// on a multi-threaded runtime, where glibc malloc is the slow part.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "mock-amt",
    version,
    about = "A mock Intel AMT device for testing AMT tooling"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Print the built-in profile names and exit.
    #[arg(long)]
    list_profiles: bool,
    #[command(flatten)]
    device: DeviceArgs,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run many devices in one process, one per loopback address.
    Fleet(FleetArgs),
}

#[derive(Args, Debug)]
struct DeviceArgs {
    /// Built-in profile name (see --list-profiles) or a path to a profile TOML file.
    #[arg(long, default_value = "amt-5.2.10")]
    profile: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    listen: IpAddr,
}

#[derive(Args, Debug)]
struct CommonArgs {
    /// TCP port (0 picks a free one per device).
    #[arg(long, default_value_t = 16992, global = true)]
    http_port: u16,
    /// Digest user.
    #[arg(long, default_value = mock_amt::DEFAULT_USER, global = true)]
    user: String,
    /// Name of an environment variable holding the password (default password otherwise).
    #[arg(long, global = true)]
    password_env: Option<String>,
    /// Put a mock Windows host (WinRM on 5985, Basic, the same user and
    /// password) beside each device on its address, with these profiles in
    /// turn (`xp-sp3+rras,server2008-core,win7`; see mock_amt::winhost).
    #[arg(long, global = true, value_name = "PROFILES", value_delimiter = ',')]
    windows: Vec<String>,
    /// Inject a fault into every device (fleet files add per-device `faults`):
    /// stall, close, http500, malformed-xml, empty-400, delay=MS,
    /// missing-class=NAME, oversized=BYTES, and the hostile modes trickle,
    /// endless-headers, not-http, keepalive-close, tls-stall, reset-mid-body,
    /// truncated-chunked, endless-body, entity-expansion, external-entity,
    /// deep-nesting, control-chars, huge-relates-to, huge-namespace,
    /// wrong-content-type, digest-huge-nonce, digest-unknown-algorithm,
    /// digest-no-realm, digest-no-nonce, digest-non-ascii-realm,
    /// digest-stale-forever, locked. Repeatable.
    #[arg(long = "fault", global = true)]
    faults: Vec<Fault>,
    /// Successive failed logins that start the lockout back-off (0 = never;
    /// default 10, Intel's number).
    #[arg(long, global = true)]
    lockout_threshold: Option<u32>,
    /// The first lockout in seconds (default 5); each further one of the same
    /// attack doubles, up to --lockout-max-seconds.
    #[arg(long, global = true)]
    lockout_seconds: Option<u64>,
    /// The longest lockout in seconds (default 80).
    #[arg(long, global = true)]
    lockout_max_seconds: Option<u64>,
    /// Seconds without a failed login that reset the back-off (default 3600).
    #[arg(long, global = true)]
    lockout_reset_seconds: Option<u64>,
    /// Nonce lifetime in seconds.
    #[arg(long, global = true)]
    nonce_lifetime: Option<u64>,
    /// Allow listening on addresses outside 127.0.0.0/8 and ::1.
    #[arg(long, global = true)]
    allow_non_loopback: bool,
    /// UDP port for the RMCP presence pong of AMT 4.0+ profiles (default
    /// 623, which needs root or CAP_NET_BIND_SERVICE). When the default
    /// cannot be bound (no privilege, or another mock holds it) the device
    /// runs without RMCP and warns; a port named here must be bound.
    #[arg(long, global = true, value_name = "PORT")]
    rmcp_port: Option<u16>,
    /// Do not answer RMCP at all.
    #[arg(long, global = true)]
    no_rmcp: bool,
    /// Serve TLS: modern, tls12 (TLS 1.2 only, session-ID resumption),
    /// legacy (TLS 1.0, RSA key exchange), mtls (client
    /// certificate required), expired, self-signed. AMT 3.x-8.x profiles
    /// speak legacy TLS whatever the mode.
    #[arg(long, global = true, value_name = "MODE")]
    tls: Option<TlsKind>,
    /// TLS port (default: 16993 beside 16992, the next port otherwise, a free
    /// one with --http-port 0).
    #[arg(long, global = true, value_name = "PORT")]
    tls_port: Option<u16>,
    /// Write the test CA certificate (PEM) here, for `amtready scan --ca`.
    #[arg(long, global = true, value_name = "FILE")]
    write_ca: Option<PathBuf>,
    /// Write a client certificate the mtls mode accepts (PEM) here.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        requires = "write_client_key"
    )]
    write_client_cert: Option<PathBuf>,
    /// Write its key (PEM) here.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        requires = "write_client_cert"
    )]
    write_client_key: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct FleetArgs {
    /// How many devices.
    #[arg(long, default_value_t = 10)]
    count: usize,
    /// The first address; the others follow it.
    #[arg(long, default_value = "127.1.0.1")]
    first: Ipv4Addr,
    /// Profiles to assign round-robin, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "amt-5.2.10")]
    profiles: Vec<String>,
    /// A fleet file instead: one `ADDRESS PROFILE [TLS-MODE [TLS-PORT]]` per line
    /// (`#` comments), or TOML with `[[device]] address = "…" profile = "…"`
    /// and optional `tls = "modern"`, `tls_port = 16993`.
    #[arg(long)]
    fleet_file: Option<PathBuf>,
    /// Write the fleet's truth to FILE as JSON Lines, one line per address:
    /// address, port, profile, version, provisioning_state, credentials_match,
    /// fault (null when healthy, `closed` when nothing listens), hostname,
    /// domain, dns_suffix.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Every N-th device (by position, from 1) listens on nothing: AMT off.
    #[arg(long, value_name = "N")]
    closed_every: Option<usize>,
    /// Every N-th device gets FAULT (e.g. `7:http500`). Repeatable; the first match wins.
    #[arg(long, value_name = "N:FAULT")]
    fault_every: Vec<String>,
    /// Every N-th device has a password other than the fleet's.
    #[arg(long, value_name = "N")]
    wrong_password_every: Option<usize>,
    /// Give each device a HostName of its own: the profile's, then its
    /// position (`ws-amt71-0042`), so each FQDN can have its own DNS record.
    #[arg(long)]
    numbered_hostnames: bool,
}

/// RMCP's port (ASF: the primary RMCP port, UDP 623).
const RMCP_PORT: u16 = 623;

fn resolve_profile(name: &str) -> Result<Profile, String> {
    if let Some(p) = Profile::builtin(name) {
        return Ok(p);
    }
    let path = Path::new(name);
    if path.exists() {
        return Profile::load(path).map_err(|e| e.to_string());
    }
    Err(format!(
        "unknown profile `{name}` (built-in: {})",
        Profile::builtin_names().join(", ")
    ))
}

#[derive(serde::Deserialize)]
struct FleetFile {
    device: Vec<FleetEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetEntry {
    address: IpAddr,
    profile: String,
    #[serde(default)]
    tls: Option<String>,
    #[serde(default)]
    tls_port: Option<u16>,
    /// This device's own faults, added to any `--fault` given for all.
    #[serde(default)]
    faults: Vec<String>,
}

/// One device of a fleet file.
struct Entry {
    address: IpAddr,
    profile: String,
    tls: Option<TlsKind>,
    tls_port: Option<u16>,
    faults: Vec<Fault>,
}

fn read_fleet_file(path: &Path) -> Result<Vec<Entry>, String> {
    // Capped while reading: a FIFO or /dev/zero reports a length of 0.
    let text = bounded_read::read_to_string(path, 16 * 1024 * 1024)
        .map_err(|e| format!("fleet file: {e}"))?;
    if let Ok(file) = toml::from_str::<FleetFile>(&text) {
        return file
            .device
            .into_iter()
            .map(|d| {
                let tls = d
                    .tls
                    .map(|t| t.parse::<TlsKind>())
                    .transpose()
                    .map_err(|e| format!("{}: {} {e}", path.display(), d.address))?;
                let faults = d
                    .faults
                    .iter()
                    .map(|f| f.parse::<Fault>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("{}: {} {e}", path.display(), d.address))?;
                Ok(Entry {
                    address: d.address,
                    profile: d.profile,
                    tls,
                    tls_port: d.tls_port,
                    faults,
                })
            })
            .collect();
    }
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let (addr, profile, tls, port) = match parts.as_slice() {
            [a, p] => (*a, *p, None, None),
            [a, p, t] => (*a, *p, Some(*t), None),
            [a, p, t, port] => (*a, *p, Some(*t), Some(*port)),
            _ => {
                return Err(format!(
                    "{}:{}: expected `ADDRESS PROFILE [TLS-MODE [TLS-PORT]]`",
                    path.display(),
                    n + 1
                ))
            }
        };
        let at = |what: String| format!("{}:{}: {what}", path.display(), n + 1);
        let address: IpAddr = addr
            .parse()
            .map_err(|_| at(format!("bad address `{addr}`")))?;
        let tls = tls.map(str::parse::<TlsKind>).transpose().map_err(at)?;
        let tls_port = port
            .map(|p| {
                p.parse::<u16>()
                    .map_err(|_| at(format!("bad TLS port `{p}`")))
            })
            .transpose()?;
        out.push(Entry {
            address,
            profile: profile.to_owned(),
            tls,
            tls_port,
            faults: Vec::new(),
        });
    }
    Ok(out)
}

fn build_config(
    profile: Profile,
    addr: SocketAddr,
    common: &CommonArgs,
    password: &Option<String>,
    tls: Option<TlsKind>,
    tls_port: Option<u16>,
) -> DeviceConfig {
    let mut cfg = DeviceConfig::new(profile, addr);
    cfg.user = common.user.clone();
    if let Some(p) = password {
        cfg.password = p.clone();
    }
    if let Some(n) = common.lockout_threshold {
        cfg.lockout_threshold = n;
    }
    if let Some(s) = common.lockout_seconds {
        cfg.lockout_duration = Duration::from_secs(s);
    }
    if let Some(s) = common.lockout_max_seconds {
        cfg.lockout_ceiling = Duration::from_secs(s);
    }
    if let Some(s) = common.lockout_reset_seconds {
        cfg.lockout_reset_after = Duration::from_secs(s);
    }
    if let Some(s) = common.nonce_lifetime {
        cfg.nonce_lifetime = Duration::from_secs(s);
    }
    cfg.faults = common.faults.clone();
    cfg.allow_non_loopback = common.allow_non_loopback;
    cfg.rmcp_port = (!common.no_rmcp).then_some(common.rmcp_port.unwrap_or(RMCP_PORT));
    cfg.rmcp_optional = common.rmcp_port.is_none();
    let asked_tls_port = tls_port.or(common.tls_port);
    if let Some(kind) = tls.or(common.tls) {
        let port = asked_tls_port.unwrap_or_else(|| DeviceConfig::tls_port_for(addr.port()));
        cfg = cfg.with_tls(kind, port);
    } else if let (Some(port), Some(setup)) = (asked_tls_port, cfg.tls.as_mut()) {
        setup.port = port;
    }
    cfg.tls_port_optional = asked_tls_port.is_none();
    cfg
}

fn parse_fault_every(spec: &str) -> Result<(usize, Fault), String> {
    let bad = || format!("--fault-every {spec:?}: expected N:FAULT, e.g. 7:http500");
    let (n, fault) = spec.split_once(':').ok_or_else(bad)?;
    let n: usize = n.parse().map_err(|_| bad())?;
    let fault: Fault = fault
        .parse()
        .map_err(|e| format!("--fault-every {spec:?}: {e}"))?;
    if n == 0 {
        return Err(bad());
    }
    Ok((n, fault))
}

/// Starts the devices. Listeners nobody asked for (the default RMCP port,
/// a derived TLS port) give way with a warning inside `start_device`; what
/// is left is a port the user named, and the error says which.
async fn start_devices(configs: Vec<DeviceConfig>) -> Result<mock_amt::Fleet, String> {
    start_fleet(configs)
        .await
        .map_err(|e| format!("cannot start: {e}"))
}

fn write_pki(common: &CommonArgs) -> Result<(), String> {
    if common.write_ca.is_none() && common.write_client_cert.is_none() {
        return Ok(());
    }
    let pki = test_pki().map_err(|e| format!("cannot make the test PKI: {e}"))?;
    let write = |path: &PathBuf, text: &str| {
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    if let Some(path) = &common.write_ca {
        write(path, pki.ca_pem())?;
    }
    if let (Some(cert), Some(key)) = (&common.write_client_cert, &common.write_client_key) {
        write(cert, pki.client_cert_pem())?;
        write(key, pki.client_key_pem())?;
    }
    Ok(())
}

async fn run(cli: Cli) -> Result<(), String> {
    let common = &cli.common;
    let password = match &common.password_env {
        Some(var) => {
            Some(std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?)
        }
        None => None,
    };
    let mut configs = Vec::new();
    let mut manifest_out = None;
    match &cli.command {
        None => {
            let profile = resolve_profile(&cli.device.profile)?;
            let addr = SocketAddr::new(cli.device.listen, common.http_port);
            configs.push(build_config(profile, addr, common, &password, None, None));
        }
        Some(Command::Fleet(fleet)) => {
            let entries: Vec<Entry> = match &fleet.fleet_file {
                Some(path) => read_fleet_file(path)?,
                None => {
                    let addrs = if common.allow_non_loopback {
                        fleet_addresses_unchecked(fleet.first, fleet.count)
                    } else {
                        fleet_addresses(fleet.first, fleet.count)
                    }
                    .map_err(|e| e.to_string())?;
                    if fleet.profiles.is_empty() {
                        return Err("--profiles is empty".into());
                    }
                    addrs
                        .into_iter()
                        .zip(fleet.profiles.iter().cycle())
                        .map(|(a, p)| Entry {
                            address: IpAddr::V4(a),
                            profile: p.clone(),
                            tls: None,
                            tls_port: None,
                            faults: Vec::new(),
                        })
                        .collect()
                }
            };
            for entry in entries {
                let profile = resolve_profile(&entry.profile)?;
                let mut cfg = build_config(
                    profile,
                    SocketAddr::new(entry.address, common.http_port),
                    common,
                    &password,
                    entry.tls,
                    entry.tls_port,
                );
                cfg.faults.extend(entry.faults);
                configs.push(cfg);
            }
            let mix = FleetMix {
                closed_every: fleet.closed_every,
                fault_every: fleet
                    .fault_every
                    .iter()
                    .map(|s| parse_fault_every(s))
                    .collect::<Result<_, _>>()?,
                wrong_password_every: fleet.wrong_password_every,
                numbered_hostnames: fleet.numbered_hostnames,
            };
            let (mixed, manifest) = mixed_fleet(std::mem::take(&mut configs), &mix);
            configs = mixed;
            manifest_out = fleet.manifest.clone().map(|path| (path, manifest));
        }
    }
    write_pki(common)?;
    let fleet = start_devices(configs).await?;
    if let Some((path, mut manifest)) = manifest_out {
        // Port 0 asked for free ports: record the ones the devices got.
        for entry in manifest.iter_mut().filter(|e| e.port == 0) {
            let port = fleet
                .devices
                .iter()
                .find(|d| d.addr().ip() == entry.address)
                .map(|d| d.addr().port());
            if let Some(port) = port {
                entry.port = port;
            }
        }
        std::fs::write(&path, manifest_jsonl(&manifest))
            .map_err(|e| format!("cannot write the manifest {}: {e}", path.display()))?;
    }
    // Scripts wait for these lines, so they go to stdout once every listener is bound.
    for d in &fleet.devices {
        if let Some(plain) = d.plain_addr() {
            println!("listening {plain} {}", d.profile().name);
        }
        if let (Some(tls), Some(kind)) = (d.tls_addr(), d.tls_kind()) {
            println!("listening-tls {tls} {} {kind}", d.profile().name);
        }
    }
    let mut windows = Vec::new();
    for (d, spec) in fleet.devices.iter().zip(common.windows.iter().cycle()) {
        let profile = mock_amt::winhost::WindowsProfile::builtin(spec).ok_or_else(|| {
            format!(
                "--windows {spec:?}: not a Windows profile (one of {}, with +rras/+ics)",
                mock_amt::winhost::WindowsProfile::names().join(", ")
            )
        })?;
        let mut cfg = mock_amt::winhost::WindowsHostConfig::new(profile, d.addr().ip());
        cfg.user.clone_from(&common.user);
        if let Some(p) = &password {
            cfg.password.clone_from(p);
        }
        let host = mock_amt::winhost::start_windows_host(cfg)
            .await
            .map_err(|e| format!("cannot start the Windows host on {}: {e}", d.addr().ip()))?;
        println!("listening-winrm {} {spec}", host.addr());
        if let Some(https) = host.https_addr() {
            println!("listening-winrm-tls {https} {spec}");
        }
        windows.push(host);
    }
    tracing::info!(
        devices = fleet.devices.len(),
        "mock-amt running; Ctrl-C stops"
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    // Benchmarks read requests per inventory from these totals.
    let mut total = mock_amt::DeviceStats::default();
    for d in &fleet.devices {
        let s = d.stats();
        total.requests += s.requests;
        total.connections += s.connections;
        total.authenticated += s.authenticated;
        total.failed_auth += s.failed_auth;
        total.tls_handshakes += s.tls_handshakes;
        total.tls_resumed += s.tls_resumed;
        total.tls_failed += s.tls_failed;
    }
    eprintln!(
        "mock-amt: stats devices={} requests={} connections={} authenticated={} failed_auth={} \
         tls_handshakes={} tls_resumed={} tls_failed={}",
        fleet.devices.len(),
        total.requests,
        total.connections,
        total.authenticated,
        total.failed_auth,
        total.tls_handshakes,
        total.tls_resumed,
        total.tls_failed
    );
    for host in windows {
        host.shutdown().await;
    }
    fleet.shutdown().await;
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    if cli.list_profiles {
        for name in Profile::builtin_names() {
            println!("{name}");
        }
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mock-amt: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mock-amt: {e}");
            ExitCode::from(2)
        }
    }
}
