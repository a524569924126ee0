//! End-to-end: the `amtready` binary against mock-amt devices started in this
//! test process on loopback. Each test starts its own devices on ephemeral ports,
//! so tests run in parallel without clashing.

use std::net::SocketAddr;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common;

use mock_amt::{start_device, start_fleet, DeviceConfig, DeviceHandle, Fault, Profile};
use serde_json::Value;

const PASSWORD_VAR: &str = "AMTREADY_E2E_PASSWORD";

fn loopback_any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Runs the real binary off the async runtime so the in-process mock keeps serving.
async fn amtready(args: Vec<String>, password: Option<&str>) -> Output {
    let password = password.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_amtready"));
        cmd.env("AMTREADY_NO_DNS", "1");
        cmd.args(&args).env_remove("AMTREADY_LOG");
        match password {
            Some(p) => cmd.env(PASSWORD_VAR, p),
            None => cmd.env_remove(PASSWORD_VAR),
        };
        cmd.output().expect("the amtready binary runs")
    })
    .await
    .expect("the CLI task joins")
}

fn target_of(dev: &DeviceHandle) -> String {
    dev.addr().to_string()
}

fn records(out: &Output) -> Vec<Value> {
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| {
                panic!(
                    "bad JSON line {l:?}: {e}\nstderr: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
        })
        .collect()
}

/// The mock's test CA in a file, for `--ca`: TLS-only firmware (16.1) is
/// read over TLS and must be trusted like any other device.
fn mock_ca_file() -> String {
    static FILE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("amtready-e2e-ca-{}.pem", std::process::id()));
        std::fs::write(&path, mock_amt::test_pki().unwrap().ca_pem()).unwrap();
        path.to_string_lossy().into_owned()
    })
    .clone()
}

fn scan_args(targets: &[String], extra: &[&str]) -> Vec<String> {
    let mut args = vec!["scan".to_string()];
    args.extend(targets.iter().cloned());
    args.extend(["--format", "jsonl"].map(String::from));
    let trust = [
        "--ca",
        "--pin",
        "--pins",
        "--tofu",
        "--insecure-skip-verify",
    ];
    if !extra.iter().any(|a| trust.contains(a)) {
        args.extend(["--ca".to_string(), mock_ca_file()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout", "5"].map(String::from));
    }
    args
}

fn by_target(recs: &[Value], target: &str) -> Value {
    recs.iter()
        .find(|r| r["target"] == target)
        .unwrap_or_else(|| panic!("no record for {target} in {recs:?}"))
        .clone()
}

/// Which source a correct client must report the version from, given what the
/// profile's firmware offers: WS-Man's CIM_SoftwareIdentity first, then EOI's
/// GetCoreVersion, then the Server banner.
fn expected_source(profile: &Profile) -> &'static str {
    if profile.has_wsman() && profile.has_class("CIM_SoftwareIdentity") {
        "wsman"
    } else if profile.has_eoi() {
        "eoi"
    } else {
        "server_header"
    }
}

fn state_name(state: u8) -> &'static str {
    match state {
        0 => "pre",
        1 => "in",
        _ => "post",
    }
}

async fn start_all_profiles() -> mock_amt::Fleet {
    let configs = Profile::builtin_names()
        .into_iter()
        .map(|name| {
            DeviceConfig::new(
                Profile::builtin(name).expect("built-in profile"),
                loopback_any_port(),
            )
        })
        .collect();
    start_fleet(configs)
        .await
        .expect("fleet starts on loopback")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_reports_its_own_version_state_and_source() {
    let fleet = start_all_profiles().await;
    assert!(
        fleet.devices.len() >= 15,
        "issue 2 asks for at least 15 profiles"
    );
    let targets: Vec<String> = fleet.devices.iter().map(target_of).collect();
    let out = amtready(
        scan_args(&targets, &["--password-env", PASSWORD_VAR]),
        Some(mock_amt::DEFAULT_PASSWORD),
    )
    .await;
    let recs = records(&out);
    assert_eq!(
        recs.len(),
        targets.len(),
        "one record per device; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    for dev in &fleet.devices {
        let profile = dev.profile();
        let rec = by_target(&recs, &target_of(dev));
        let name = &profile.name;
        assert_eq!(rec["status"], "ok", "{name}: {rec}");
        let amt = &rec["amt"];
        assert_eq!(amt["version"], profile.version.as_str(), "{name}: version");
        assert_eq!(amt["source"], expected_source(profile), "{name}: source");
        if profile.has_wsman() {
            assert_eq!(
                amt["provisioning_state"],
                state_name(profile.provisioning_state()),
                "{name}: state"
            );
            if let Some(build) = &profile.build {
                if expected_source(profile) == "wsman" {
                    assert_eq!(amt["build"], build.as_str(), "{name}: build");
                }
            }
            if let Some(sku) = &profile.sku {
                if expected_source(profile) == "wsman" {
                    assert_eq!(amt["sku"], sku.as_str(), "{name}: sku");
                }
            }
        }
        match profile.control_mode() {
            Some(mode) if profile.has_wsman() => {
                let want = ["none", "client", "admin"][usize::from(mode.min(2))];
                assert_eq!(amt["control_mode"], want, "{name}: control mode");
            }
            _ => assert!(
                amt.get("control_mode").is_none(),
                "{name}: no control mode before 6.1: {amt}"
            ),
        }
        assert_eq!(amt["hostname"], profile.hostname(), "{name}: hostname");
        assert!(
            rec.get("verdict").is_some(),
            "{name}: scan judges every record"
        );
    }
    assert_eq!(
        out.status.code(),
        Some(1),
        "unsupported firmware in the fleet gives exit 1"
    );
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_the_banner_alone_is_reported() {
    let fleet = start_all_profiles().await;
    let targets: Vec<String> = fleet.devices.iter().map(target_of).collect();
    let out = amtready(scan_args(&targets, &[]), None).await;
    let recs = records(&out);
    for dev in &fleet.devices {
        let rec = by_target(&recs, &target_of(dev));
        assert_eq!(rec["status"], "ok", "{rec}");
        let header = dev.profile().server_header.as_str();
        assert_eq!(rec["amt"]["server_header"], header);
        // Some 11.x builds send a bare `AMT`: AMT, but no version to judge.
        let banner_version = header
            .rsplit(' ')
            .next()
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()));
        match banner_version {
            Some(v) => {
                assert_eq!(rec["amt"]["version"], v, "{rec}");
                assert_eq!(rec["amt"]["source"], "server_header", "{rec}");
            }
            None => {
                assert!(rec["amt"].get("version").is_none(), "{rec}");
                assert_eq!(rec["verdict"], "unknown", "no version, no verdict: {rec}");
            }
        }
        assert_eq!(dev.stats().failed_auth, 0, "the probe never authenticates");
    }
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_one_attempt_and_auth_failed() {
    for name in ["amt-5.2.10", "amt-2.6", "amt-16.1"] {
        let dev = start_device(DeviceConfig::new(
            Profile::builtin(name).unwrap(),
            loopback_any_port(),
        ))
        .await
        .unwrap();
        let out = amtready(
            scan_args(&[target_of(&dev)], &["--password-env", PASSWORD_VAR]),
            Some("not-the-password"),
        )
        .await;
        let rec = &records(&out)[0];
        assert_eq!(rec["status"], "auth_failed", "{name}: {rec}");
        assert_eq!(
            dev.stats().failed_auth,
            1,
            "{name}: exactly one failed attempt reached the device"
        );
        assert_eq!(
            out.status.code(),
            Some(4),
            "{name}: an unread host gives exit 4"
        );
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains("not-the-password"),
            "{name}: the password never appears in output"
        );
        dev.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_port_where_nothing_listens_is_a_host_down_and_fails_the_run() {
    let port = {
        let listener = std::net::TcpListener::bind(loopback_any_port()).unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let out = amtready(
        scan_args(
            std::slice::from_ref(&target),
            &["--timeout", "2", "--connect-timeout", "2", "--rmcp", "off"],
        ),
        None,
    )
    .await;
    // The user named it: a record says it is down and how, and the run
    // fails, so a CI job whose mock never started is never green.
    let recs = records(&out);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0]["target"], target.as_str());
    assert_eq!(recs[0]["status"], "unreachable");
    let error = recs[0]["error"].as_str().unwrap();
    assert!(error.contains(&format!("TCP {port} refused")), "{error}");
    assert_eq!(recs[0]["verdict"], "unknown", "{:?}", recs[0]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "a named host that is down fails the run"
    );
    // The same address reached by expanding a range is an empty address,
    // listed only with --all; but a run that read nothing is never a pass.
    let range = format!("127.0.0.1-1:{port}");
    let out = amtready(
        scan_args(
            std::slice::from_ref(&range),
            &["--timeout", "2", "--connect-timeout", "2", "--rmcp", "off"],
        ),
        None,
    )
    .await;
    assert!(
        records(&out).is_empty(),
        "silent addresses are only counted"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 silent address"), "{stderr}");
    assert!(stderr.contains("no device was read"), "{stderr}");
    assert_eq!(out.status.code(), Some(4), "a run that read nothing fails");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_never_answers_is_unreachable_within_the_deadline() {
    let mut cfg = DeviceConfig::new(Profile::builtin("amt-7.1").unwrap(), loopback_any_port());
    cfg.faults = vec![Fault::Stall];
    let dev = start_device(cfg).await.unwrap();
    let started = Instant::now();
    let out = amtready(scan_args(&[target_of(&dev)], &["--timeout", "1"]), None).await;
    let elapsed = started.elapsed();
    let rec = &records(&out)[0];
    assert_eq!(rec["status"], "unreachable", "{rec}");
    // The deadline is 1 s; the bound is loose on purpose (a loaded CI machine),
    // what matters is that a stalled device cannot hold the scan indefinitely.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    dev.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn something_that_is_not_amt_is_not_amt() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(loopback_any_port())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
                .await;
        }
    });
    let out = amtready(scan_args(&[addr.to_string()], &[]), None).await;
    let rec = &records(&out)[0];
    assert_eq!(rec["status"], "not_amt", "{rec}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_scan_is_judged_again_by_validate() {
    let fleet = start_fleet(
        ["amt-5.2.10", "amt-5.2.9"]
            .iter()
            .map(|n| DeviceConfig::new(Profile::builtin(n).unwrap(), loopback_any_port()))
            .collect(),
    )
    .await
    .unwrap();
    let targets: Vec<String> = fleet.devices.iter().map(target_of).collect();
    let out = amtready(
        scan_args(&targets, &["--password-env", PASSWORD_VAR]),
        Some(mock_amt::DEFAULT_PASSWORD),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("scan.jsonl");
    std::fs::write(&saved, &out.stdout).unwrap();

    let scanned = records(&out);
    let judged = amtready(
        vec![
            "validate".into(),
            saved.display().to_string(),
            "--format".into(),
            "json".into(),
        ],
        None,
    )
    .await;
    assert_eq!(
        judged.status.code(),
        Some(1),
        "5.2.9 is not ready: {}",
        String::from_utf8_lossy(&judged.stderr)
    );
    let mut rejudged: Vec<Value> =
        serde_json::from_slice(&judged.stdout).expect("validate --format json is a JSON array");
    let summary = rejudged
        .pop()
        .expect("the array ends with the summary object");
    assert_eq!(summary["summary"]["hosts"], scanned.len(), "{summary}");
    assert_eq!(rejudged.len(), scanned.len());
    for rec in &scanned {
        let again = by_target(&rejudged, rec["target"].as_str().unwrap());
        assert_eq!(
            again["verdict"], rec["verdict"],
            "same facts, same policy, same verdict"
        );
        assert_eq!(again["findings"], rec["findings"]);
        assert_eq!(
            again["amt"], rec["amt"],
            "validate keeps the facts as scanned"
        );
    }
    let verdicts: Vec<&str> = scanned
        .iter()
        .map(|r| r["verdict"].as_str().unwrap())
        .collect();
    assert!(
        verdicts.contains(&"ready") && verdicts.contains(&"not_ready"),
        "{verdicts:?}"
    );
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_refuses_every_authenticated_read_is_not_taken_as_read() {
    // The banner says 5.2.10 (supported), but every SOAP answer is HTTP 500:
    // that device was not inventoried, and the banner alone must not make it
    // look read and ready.
    let mut cfg = DeviceConfig::new(Profile::builtin("amt-5.2.10").unwrap(), loopback_any_port());
    cfg.faults = vec![Fault::Http500];
    let dev = start_device(cfg).await.unwrap();
    let out = amtready(
        scan_args(&[target_of(&dev)], &["--password-env", PASSWORD_VAR]),
        Some(mock_amt::DEFAULT_PASSWORD),
    )
    .await;
    let rec = &records(&out)[0];
    assert_eq!(rec["status"], "error", "{rec}");
    assert!(
        rec["error"]
            .as_str()
            .unwrap()
            .contains("no authenticated read"),
        "{rec}"
    );
    assert_eq!(
        rec["amt"]["source"], "server_header",
        "the banner is still reported, as such: {rec}"
    );
    assert_eq!(out.status.code(), Some(4));
    dev.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_scan_keeps_every_host_it_finished() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    // Four quick devices and one that never answers: the scan cannot finish
    // while the stalled one holds it, so killing it then is killing a scan
    // in flight, deterministically.
    let mut configs: Vec<DeviceConfig> = ["amt-3.2.1", "amt-4.2", "amt-5.0", "amt-7.1"]
        .iter()
        .map(|n| DeviceConfig::new(Profile::builtin(n).unwrap(), loopback_any_port()))
        .collect();
    let mut stalled =
        DeviceConfig::new(Profile::builtin("amt-5.2.10").unwrap(), loopback_any_port());
    stalled.faults = vec![Fault::Stall];
    configs.push(stalled);
    let fleet = start_fleet(configs).await.unwrap();
    let targets: Vec<String> = fleet.devices.iter().map(target_of).collect();

    let finished = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_amtready"))
            .env("AMTREADY_NO_DNS", "1")
            .args(scan_args(
                &targets,
                &["--timeout", "120", "--password-env", PASSWORD_VAR],
            ))
            .env(PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut got = Vec::new();
        while got.len() < 4 {
            got.push(lines.next().expect("a line per finished host").unwrap());
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the scan is still waiting on the stalled device"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        got
    })
    .await
    .unwrap();

    for line in &finished {
        let rec: Value = serde_json::from_str(line).expect("each written line is a whole record");
        assert_eq!(rec["status"], "ok", "{rec}");
    }
    let stalled_target = target_of(&fleet.devices[4]);
    assert!(finished.iter().all(|l| !l.contains(&stalled_target)));
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_prints_the_table_an_admin_reads() {
    let out = amtready(
        ["demo", "--profiles", "amt-5.2.10,amt-5.2.9,amt-2.6"]
            .map(String::from)
            .to_vec(),
        None,
    )
    .await;
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "every mock device read: {table}"
    );
    for column in [
        "HOST",
        "AMT",
        "AMT STATUS",
        "PROVISIONING",
        "SKU",
        "VERDICT",
    ] {
        assert!(table.contains(column), "column {column} in {table}");
    }
    let row = |version: &str| {
        table
            .lines()
            .find(|l| l.contains(&format!(" {version} ")))
            .unwrap_or_else(|| panic!("a row for {version} in {table}"))
            .to_string()
    };
    assert!(row("5.2.10").trim_end().ends_with(" ready"), "{table}");
    assert!(row("5.2.9").trim_end().ends_with("not ready"), "{table}");
    assert!(
        table.contains("error AMT-FW-VERSION: AMT 5.2.9")
            && table.contains("fix: update the AMT firmware"),
        "findings and fixes below the row: {table}"
    );
    assert!(
        row("5.2.10").contains("Intel AMT") && table.contains("corporate"),
        "SKU decoded: {table}"
    );
    assert!(table.contains("Hosts scanned       3"), "summary: {table}");
    assert!(
        table.to_lowercase().contains("not checked"),
        "unchecked rules are said: {table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_on_a_table_scan_prints_what_was_gathered_marked_partial() {
    use std::process::{Command, Stdio};

    // As above: four quick devices and one that never answers, so the scan is
    // still in flight when it is interrupted.
    let mut configs: Vec<DeviceConfig> = ["amt-3.2.1", "amt-4.2", "amt-5.0", "amt-7.1"]
        .iter()
        .map(|n| DeviceConfig::new(Profile::builtin(n).unwrap(), loopback_any_port()))
        .collect();
    let mut stalled =
        DeviceConfig::new(Profile::builtin("amt-5.2.10").unwrap(), loopback_any_port());
    stalled.faults = vec![Fault::Stall];
    configs.push(stalled);
    let fleet = start_fleet(configs).await.unwrap();
    let targets: Vec<String> = fleet.devices.iter().map(target_of).collect();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("scan.jsonl");

    let out = tokio::task::spawn_blocking(move || {
        let mut args = vec!["scan".to_string()];
        args.extend(targets);
        args.extend(
            [
                "--format",
                "table",
                "--timeout",
                "120",
                "--password-env",
                PASSWORD_VAR,
                "--no-progress",
                "--output",
            ]
            .map(String::from),
        );
        args.push(saved.display().to_string());
        let child = Command::new(env!("CARGO_BIN_EXE_amtready"))
            .env("AMTREADY_NO_DNS", "1")
            .args(&args)
            .env(PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
            .env("COLUMNS", "100")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // --output is flushed per host: wait until the four quick ones are in.
        common::interrupt_once_written(child, &saved, 4)
    })
    .await
    .unwrap();

    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{table}");
    assert!(table.starts_with("PARTIAL"), "{table}");
    assert!(
        table.contains("Summary (PARTIAL: the scan was interrupted)"),
        "{table}"
    );
    assert!(table.contains("Hosts scanned       4"), "{table}");
    for version in ["3.2.1", "4.2.", "5.0.", "7.1."] {
        assert!(table.contains(version), "{version} in {table}");
    }
    fleet.shutdown().await;
}
