//! A subnet as it is in the field, in a private network namespace: a /24
//! whose live part is a mixed mock fleet (profiles, wrong passwords, faults,
//! AMT switched off) and whose rest is silently dropped by nftables. The scan
//! of the CIDR must give exactly the fleet manifest's truth, in every format.
//!
//! Each test re-runs itself inside `unshare -n` (root, as CI runs), where it
//! may use fixed addresses, port 16992 and UDP 623 without touching anything
//! outside. The tests are ignored in a plain `cargo test` (CI runs them with
//! `--include-ignored`); run without `unshare` or `nft` they skip loudly, and
//! fail when `AMTREADY_REQUIRE_PEERS=1` (as CI sets it).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::process::{Command, Output};

use mock_amt::{mixed_fleet, start_fleet, DeviceConfig, Fault, FleetMix, ManifestEntry, Profile};
use serde_json::Value;

use crate::common::netns::{self, Needs};

const PASSWORD_VAR: &str = "AMTREADY_NETNS_PASSWORD";

/// Outside the namespace: re-runs `test` inside a new one and returns false.
/// Inside: returns true, with loopback up and `nft_rules` loaded.
fn enter_netns(test: &str, nft_rules: &str) -> bool {
    enter_netns_from(module_path!(), test, nft_rules)
}

/// [`enter_netns`] for a test of another module of this binary, named by
/// that module's `module_path!()`.
pub(crate) fn enter_netns_from(module_path: &str, test: &str, nft_rules: &str) -> bool {
    let needs = [
        Needs {
            probe: &["true"],
            why: "`unshare -n` is not available (needs root or user namespaces)",
        },
        Needs {
            probe: &["nft", "list", "ruleset"],
            why: "`nft` (nftables) is not installed",
        },
    ];
    netns::enter(module_path, test, &needs, || {
        let mut nft = Command::new("nft")
            .args(["-f", "-"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("nft runs");
        use std::io::Write as _;
        nft.stdin
            .take()
            .unwrap()
            .write_all(nft_rules.as_bytes())
            .unwrap();
        assert!(nft.wait().unwrap().success(), "nft accepted the rules");
    })
}

fn amtready(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amtready"))
        .env("AMTREADY_NO_DNS", "1")
        .args(args)
        .env(PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
        .env_remove("AMTREADY_LOG")
        .output()
        .expect("amtready runs")
}

/// The formats `scan --format` offers, from its own help.
fn formats() -> Vec<String> {
    let help = amtready(&["scan".into(), "-h".into()]);
    let help = String::from_utf8_lossy(&help.stdout);
    let start = help.find("--format").expect("--format in help");
    let values = &help[start..];
    let list = values
        .split("[possible values: ")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("possible values");
    list.split(", ").map(str::to_string).collect()
}

fn expected_status(entry: &ManifestEntry) -> &'static str {
    match entry.fault.as_deref() {
        Some("closed") => "silent",
        Some("http500") => "error",
        Some("stall") => "unreachable",
        Some(other) => panic!("no expectation for fault {other}"),
        None if !entry.credentials_match => "auth_failed",
        None => "ok",
    }
}

const NET: [u8; 3] = [127, 9, 0];
const LIVE: u8 = 160;

/// A 160-device mixed fleet on 127.9.0.1-160; 161-255 are dropped.
async fn field_fleet() -> (mock_amt::Fleet, Vec<ManifestEntry>) {
    let addrs: Vec<Ipv4Addr> = (1..=LIVE)
        .map(|n| Ipv4Addr::new(NET[0], NET[1], NET[2], n))
        .collect();
    let profiles: Vec<Profile> = Profile::builtin_names()
        .into_iter()
        .map(|n| Profile::builtin(n).unwrap())
        .collect();
    let mix = FleetMix {
        closed_every: Some(10),
        fault_every: vec![(13, Fault::Http500)],
        wrong_password_every: Some(7),
        numbered_hostnames: false,
    };
    let configs: Vec<DeviceConfig> = mock_amt::round_robin(&addrs, 16992, &profiles)
        .into_iter()
        .map(|mut c| {
            c.rmcp_port = Some(623);
            c
        })
        .collect();
    let (configs, manifest) = mixed_fleet(configs, &mix);
    let fleet = start_fleet(configs)
        .await
        .expect("the fleet starts in the namespace");
    (fleet, manifest)
}

fn drop_rules() -> String {
    format!(
        "table inet field {{\n chain in {{\n  type filter hook input priority 0;\n  \
         ip daddr {a}.{b}.{c}.{first}-{a}.{b}.{c}.255 drop\n }}\n}}\n",
        a = NET[0],
        b = NET[1],
        c = NET[2],
        first = LIVE + 1
    )
}

fn scan_args(format: &str, ca: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "scan",
        "127.9.0.0/24",
        "--password-env",
        PASSWORD_VAR,
        "--format",
        format,
        "--auth-fail-limit",
        "0",
        "--max-rtt",
        "0.5",
        "--timeout",
        "10",
        "--no-progress",
        // AMT 16.1 serves TLS only; trust the mock fleet's test CA.
        "--ca",
        ca,
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, unshare -n, ip and nft: CI runs it"]
async fn a_mixed_subnet_with_a_silent_part_scans_to_the_manifest_in_every_format() {
    const NAME: &str = "a_mixed_subnet_with_a_silent_part_scans_to_the_manifest_in_every_format";
    if !enter_netns(NAME, &drop_rules()) {
        return;
    }
    let (fleet, manifest) = field_fleet().await;
    let truth: BTreeMap<String, &ManifestEntry> = manifest
        .iter()
        .map(|e| (e.address.to_string(), e))
        .collect();

    let ca_dir = tempfile::tempdir().unwrap();
    let ca = ca_dir.path().join("ca.pem");
    std::fs::write(&ca, mock_amt::test_pki().unwrap().ca_pem()).unwrap();
    let ca = ca.to_str().unwrap().to_string();
    let run = |format: &str, extra: &[&str]| {
        let args = scan_args(format, &ca, extra);
        async move {
            tokio::task::spawn_blocking(move || amtready(&args))
                .await
                .unwrap()
        }
    };

    // JSON Lines with --all: every address of the /24 exactly once.
    let out = run("jsonl", &["--all"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let recs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 254, "every host address once; {stderr}");
    let targets: BTreeSet<&str> = recs.iter().map(|r| r["target"].as_str().unwrap()).collect();
    assert_eq!(targets.len(), 254, "no address twice");
    let mut devices = 0;
    for r in &recs {
        let target = r["target"].as_str().unwrap();
        let status = r["status"].as_str().unwrap();
        let Some(entry) = truth.get(target) else {
            assert_eq!(status, "silent", "{target} is dropped by nftables: {r}");
            continue;
        };
        assert_eq!(
            status,
            expected_status(entry),
            "{target} ({}): {r}",
            entry.profile
        );
        if status == "silent" {
            continue;
        }
        devices += 1;
        let amt = &r["amt"];
        if status == "ok" {
            assert_eq!(amt["version"], entry.version.as_str(), "{target}: {r}");
        }
        if let Some(state) = amt["provisioning_state"].as_str() {
            assert_eq!(state, entry.provisioning_state, "{target}: {r}");
        }
        // RMCP: every device of 4.0 and later answers; older ones never do.
        let major: u32 = entry.version.split('.').next().unwrap().parse().unwrap();
        assert_eq!(
            amt["rmcp"].is_object(),
            major >= 4,
            "{target} ({}) RMCP: {r}",
            entry.profile
        );
        if major >= 6 {
            let mm: Vec<&str> = entry.version.split('.').take(2).collect();
            assert_eq!(amt["rmcp"]["version"], mm.join(".").as_str(), "{target}");
        }
    }
    let tls_only_read = recs.iter().any(|r| {
        truth
            .get(r["target"].as_str().unwrap())
            .is_some_and(|e| e.profile == "amt-16.1")
            && r["status"] == "ok"
    });
    assert!(
        tls_only_read,
        "a TLS-only AMT 16.1 device was read over TLS"
    );
    let live = manifest
        .iter()
        .filter(|e| e.fault.as_deref() != Some("closed"))
        .count();
    assert_eq!(devices, live, "0 live devices missed");
    assert_eq!(
        out.status.code(),
        Some(4),
        "wrong passwords and faults are unread devices"
    );

    // Every other format: the same devices, and no silent address listed.
    let by_target: BTreeMap<&str, &Value> = recs
        .iter()
        .map(|r| (r["target"].as_str().unwrap(), r))
        .collect();
    for format in formats() {
        let out = run(&format, &[]).await;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(out.status.code(), Some(4), "{format}");
        match format.as_str() {
            "jsonl" | "json" => {
                let mut got: Vec<Value> = if format == "json" {
                    serde_json::from_str(&text).unwrap()
                } else {
                    text.lines()
                        .map(|l| serde_json::from_str(l).unwrap())
                        .collect()
                };
                // The JSON array ends with the report's summary object.
                got.retain(|g| g.get("summary").is_none());
                assert_eq!(got.len(), live, "{format}: devices only");
                for g in &got {
                    let t = g["target"].as_str().unwrap();
                    let want = by_target[t];
                    assert_eq!(g["status"], want["status"], "{format} {t}");
                    assert_eq!(g["amt"]["version"], want["amt"]["version"], "{format} {t}");
                }
            }
            _ => {
                for (t, want) in &by_target {
                    // Whole-token match: 127.9.0.1 must not match 127.9.0.17.
                    let listed = text
                        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                        .any(|w| w == *t);
                    let silent = want["status"] == "silent";
                    assert_eq!(listed, !silent, "{format}: {t} listed={listed}\n{text}");
                }
            }
        }
    }
    fleet.shutdown().await;
}
