//! `amtready cert`: the AMT provisioning certificate chain against the
//! devices' trusted root hashes (a saved scan) or a hashes file.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;

use serde::Serialize;

use super::input_error;
use amtready::cert::{self, roots, ChainFacts, DeviceView};
use amtready::rules::provisioning_cert;
use amtready::rules::{Finding, Severity};
use amtready::ExitCode;

/// Output formats of `cert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CertFormat {
    Table,
    Json,
}

/// Arguments of `amtready cert`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("devices").required(true).args(["scan", "hashes"])))]
pub struct CertArgs {
    /// The provisioning certificate chain: PEM (every certificate, root
    /// included) or PKCS#12 (`.pfx`, `.p12`).
    #[arg(value_name = "CHAIN.pem|CHAIN.pfx")]
    pub chain: PathBuf,
    /// Environment variable holding the PKCS#12 password.
    ///
    /// Never on the command line, where `ps` and shell history would show it.
    #[arg(long, value_name = "VAR", help_heading = super::heading::CREDENTIALS)]
    pub password_env: Option<String>,
    /// A saved scan (JSON Lines or JSON) whose devices to check.
    ///
    /// Each device's enabled root hashes, firmware and DNS suffix are read.
    #[arg(long, value_name = "SCAN.jsonl", help_heading = super::heading::DEVICES)]
    pub scan: Option<PathBuf>,
    /// A file of trusted root hashes, one hex thumbprint per line.
    ///
    /// A `sha1:`/`sha256:`/`sha384:` prefix is optional; all are taken as enabled.
    #[arg(long, value_name = "FILE", help_heading = super::heading::DEVICES)]
    pub hashes: Option<PathBuf>,
    /// The devices' DNS suffix; overrides what the scan read.
    ///
    /// DHCP option 15 or the PKI DNS suffix.
    #[arg(long, value_name = "SUFFIX", help_heading = super::heading::DEVICES)]
    pub domain: Option<String>,
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = CertFormat::Table, help_heading = super::heading::OUTPUT)]
    pub format: CertFormat,
}

/// The result for one device (or the hashes file).
#[derive(Debug, Serialize)]
pub struct DeviceResult {
    pub target: String,
    /// The CAs the device's enabled hashes belong to, where known
    /// (`certs/amt-root-hashes.toml`).
    pub trusted_roots: Vec<String>,
    /// `ready` when no error finding.
    pub verdict: &'static str,
    pub findings: Vec<Finding>,
}

/// The whole answer.
#[derive(Debug, Serialize)]
struct Output<'a> {
    chain: ChainSummary<'a>,
    devices: &'a [DeviceResult],
}

#[derive(Debug, Serialize)]
struct ChainSummary<'a> {
    leaf: Option<&'a str>,
    root: Option<&'a str>,
    root_sha1: Option<&'a str>,
    root_sha256: Option<&'a str>,
    leaf_domains: Vec<String>,
    findings: &'a [Finding],
}

/// The names of the CAs behind a device's enabled hashes.
fn trusted_roots(device: &DeviceView) -> Vec<String> {
    let mut out = Vec::new();
    for hash in device.hashes.iter().filter(|h| h.enabled == Some(true)) {
        let name = hash
            .hash_hex
            .as_deref()
            .and_then(|hex| roots::name_of(hash.hash_type.as_deref(), hex))
            .map(str::to_string)
            .or_else(|| hash.name.clone().filter(|n| !n.trim().is_empty()))
            .unwrap_or_else(|| {
                format!(
                    "{} (not a known default)",
                    hash.hash_hex
                        .as_deref()
                        .map(|h| &h[..h.len().min(16)])
                        .unwrap_or("?")
                )
            });
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Judges one device: the chain's own findings plus the device's.
pub fn judge(
    chain: &ChainFacts,
    chain_findings: &[Finding],
    target: String,
    device: &DeviceView,
    domain: Option<&str>,
) -> DeviceResult {
    let mut findings = chain_findings.to_vec();
    findings.extend(provisioning_cert::check_device(chain, device, domain));
    let verdict = if findings.iter().any(|f| f.severity == Severity::Error) {
        "not_ready"
    } else {
        "ready"
    };
    DeviceResult {
        target,
        trusted_roots: trusted_roots(device),
        verdict,
        findings,
    }
}

fn devices(args: &CertArgs) -> Result<Vec<(String, Option<DeviceView>)>, String> {
    if let Some(path) = &args.hashes {
        // A hashes file is a few dozen lines; 1 MiB is far past any.
        let text = bounded_read::read_to_string(path, 1 << 20).map_err(|e| e.to_string())?;
        let hashes = cert::parse_hashes(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(vec![(
            path.display().to_string(),
            Some(DeviceView {
                hashes,
                // A hashes file says nothing of the firmware: take every type as usable.
                major: Some(cert::SHA2_FROM_MAJOR),
                suffix: None,
            }),
        )]);
    }
    let Some(path) = &args.scan else {
        return Err("give --scan SCAN.jsonl or --hashes FILE".into());
    };
    let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut bad = Vec::new();
    amtready::report::replay::read_scan(BufReader::new(file), &mut |input| match input.record {
        Ok(amtready::report::replay::Item::Host(record)) => {
            out.push((record.target.clone(), DeviceView::from_record(&record)))
        }
        // The site record of a scan holds no device.
        Ok(amtready::report::replay::Item::Site(_)) => {}
        Err(e) => bad.push(format!(
            "{}:{}: bad facts record: {e}",
            path.display(),
            input.position
        )),
    })?;
    for line in &bad {
        super::say(format_args!("{line}"));
    }
    if out.is_empty() {
        return Err(format!("{}: no facts records", path.display()));
    }
    Ok(out)
}

/// Runs `amtready cert`; returns the exit code: 0 every device can be
/// provisioned with this chain, 1 at least one cannot, 2 a device's hashes
/// were not read, 3 input error.
pub fn run(args: &CertArgs) -> ExitCode {
    let password = match &args.password_env {
        Some(var) => match std::env::var(var) {
            Ok(p) => Some(p),
            Err(_) => {
                return input_error(format_args!(
                    "--password-env {var}: the variable is not set"
                ))
            }
        },
        None => None,
    };
    let chain = match cert::load_chain(&args.chain, password.as_deref()) {
        Ok(chain) => chain,
        Err(e) => return input_error(e),
    };
    let devices = match devices(args) {
        Ok(d) => d,
        Err(e) => return input_error(e),
    };
    let chain_findings = provisioning_cert::check_chain(&chain, cert::now());
    let mut unread = false;
    let results: Vec<DeviceResult> = devices
        .into_iter()
        .map(|(target, device)| match device {
            Some(device) => judge(
                &chain,
                &chain_findings,
                target,
                &device,
                args.domain.as_deref(),
            ),
            None => {
                unread = true;
                DeviceResult {
                    target,
                    trusted_roots: Vec::new(),
                    verdict: "unknown",
                    findings: chain_findings.clone(),
                }
            }
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match args.format {
        CertFormat::Json => {
            let summary = ChainSummary {
                leaf: chain.leaf().map(|c| c.subject.as_str()),
                root: chain.root().map(|c| c.subject.as_str()),
                root_sha1: chain.root().map(|c| c.sha1.as_str()),
                root_sha256: chain.root().map(|c| c.sha256.as_str()),
                leaf_domains: chain.leaf_domains(),
                findings: &chain_findings,
            };
            serde_json::to_writer_pretty(
                &mut out,
                &Output {
                    chain: summary,
                    devices: &results,
                },
            )
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
        }
        CertFormat::Table => write_table(&mut out, &chain, &results),
    };
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return input_error(format_args!("cannot write: {e}"));
        }
    }
    if results.iter().any(|r| r.verdict == "not_ready") {
        ExitCode::NotReady
    } else if unread {
        ExitCode::Unknown
    } else {
        ExitCode::Ready
    }
}

fn write_table(
    out: &mut impl Write,
    chain: &ChainFacts,
    results: &[DeviceResult],
) -> std::io::Result<()> {
    let clean = |t: &str| amtready::report::text::clean(t).into_owned();
    writeln!(
        out,
        "leaf: {}",
        chain
            .leaf()
            .map(|c| clean(&c.subject))
            .unwrap_or_else(|| "-".into())
    )?;
    match chain.root() {
        Some(root) => writeln!(
            out,
            "root: {} (SHA-1 {}, SHA-256 {})",
            clean(&root.subject),
            root.sha1,
            root.sha256
        )?,
        None => writeln!(out, "root: not in the chain")?,
    }
    for r in results {
        writeln!(out)?;
        writeln!(out, "{}  {}", clean(&r.target), r.verdict.replace('_', " "))?;
        if !r.trusted_roots.is_empty() {
            writeln!(
                out,
                "    trusts: {}",
                r.trusted_roots
                    .iter()
                    .map(|n| clean(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        for f in &r.findings {
            writeln!(
                out,
                "    {} {}: {}",
                f.severity.as_str(),
                f.rule,
                clean(&f.message)
            )?;
            if let Some(fix) = &f.fix {
                writeln!(out, "        fix: {fix}")?;
            }
        }
    }
    Ok(())
}
