//! No false green: every exit 0 and every `ready` is earned. Each test is a
//! case where a readiness gate used to say ready, or exit 0, while the truth
//! was unknown or bad; the truth table test drives every row of the README's
//! exit-code section against mock-amt under every `--fail-on`.
//!
//! Addresses: 127.23.x.y, this suite's own range (a Windows host listens on
//! the fixed WinRM port of its device's address).

use crate::common;
use common::{records, rules_of, PASSWORD_VAR, WINRM_PASSWORD_VAR};

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mock_amt::winhost::{start_windows_host, WindowsHostConfig, WindowsProfile};
use mock_amt::{start_device, start_fleet, DeviceConfig, DeviceHandle, Fault, Profile};
use serde_json::Value;

/// A plain-HTTP device of `profile` on `ip` (any port).
async fn device(profile: &str, ip: [u8; 4]) -> DeviceHandle {
    let listen = SocketAddr::from((ip, 0));
    start_device(DeviceConfig::new(Profile::builtin(profile).unwrap(), listen).without_tls())
        .await
        .expect("mock device")
}

/// The binary with `args`, the AMT password from `amt_password` (none: no
/// password source) and the WinRM one from `winrm_password`.
async fn run(args: Vec<String>, amt_password: Option<&str>, winrm_password: &str) -> Output {
    let (amt_password, winrm_password) =
        (amt_password.map(str::to_string), winrm_password.to_string());
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_amtready"));
        cmd.env("AMTREADY_NO_DNS", "1");
        cmd.args(&args)
            .env_remove("AMTREADY_LOG")
            .env("COLUMNS", "120")
            .env(WINRM_PASSWORD_VAR, winrm_password);
        match amt_password {
            Some(p) => {
                cmd.env(PASSWORD_VAR, p)
                    .args(["--password-env", PASSWORD_VAR]);
            }
            None => {
                cmd.env_remove(PASSWORD_VAR);
            }
        }
        cmd.output().expect("the amtready binary runs")
    })
    .await
    .expect("the CLI task joins")
}

/// `scan TARGETS --format FORMAT` over plain HTTP without RMCP, then `extra`.
fn scan(targets: &[String], format: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["scan".to_string()];
    args.extend(targets.iter().cloned());
    args.extend(
        [
            "--format",
            format,
            "--rmcp",
            "off",
            "--tls",
            "off",
            "--timeout",
            "5",
        ]
        .map(String::from),
    );
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Sets the value of `flag` in `args` (which `scan` always writes).
fn set_flag(args: &mut [String], flag: &str, value: &str) {
    let at = args
        .iter()
        .position(|a| a == flag)
        .expect("the flag is there");
    args[at + 1] = value.to_string();
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The binary with its report going to a full disk (`/dev/full`).
async fn run_into_full_disk(args: Vec<String>, password: &str) -> Output {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full is part of every Linux system this suite runs on");
        Command::new(env!("CARGO_BIN_EXE_amtready"))
            .env("AMTREADY_NO_DNS", "1")
            .args(&args)
            .args(["--password-env", PASSWORD_VAR])
            .env(PASSWORD_VAR, password)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .expect("the amtready binary runs")
    })
    .await
    .expect("the CLI task joins")
}

/// A failed WinRM read leaves the host rules missing (never `ready`), and
/// every format says why in one line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_facts_asked_for_and_not_obtained_are_missing_in_every_format() {
    let dev = device("amt-5.2.10", [127, 23, 1, 1]).await;
    let windows = start_windows_host(WindowsHostConfig::new(
        WindowsProfile::builtin("xp-sp3+rras").unwrap(),
        dev.addr().ip(),
    ))
    .await
    .expect("Windows host");
    let target = vec![dev.addr().to_string()];
    let winrm = [
        "--winrm",
        "--winrm-user",
        "Administrator",
        "--winrm-password-env",
        WINRM_PASSWORD_VAR,
    ];
    let password = Some(mock_amt::DEFAULT_PASSWORD);
    // RRAS runs on that host; with the WinRM password wrong it was never seen.
    let out = run(scan(&target, "jsonl", &winrm), password, "wrong-winrm").await;
    let recs = records(&out);
    assert_eq!(recs.len(), 1, "{}", stderr(&out));
    let rec = &recs[0];
    assert_eq!(rec["status"], "ok", "{rec}");
    assert_eq!(rec["verdict"], "unknown", "{rec}");
    let missing = rec["missing"].to_string();
    assert!(
        missing.contains("host.rras_running (asked for, not read)"),
        "{rec}"
    );
    assert!(rec["host"]["unread"].to_string().contains("winrm"), "{rec}");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    for (format, extra) in [
        ("table", vec!["-v"]),
        ("table", vec![]),
        ("csv", vec![]),
        ("markdown", vec![]),
        ("junit", vec![]),
        ("html", vec![]),
    ] {
        let mut flags = winrm.to_vec();
        flags.extend(extra);
        let out = run(scan(&target, format, &flags), password, "wrong-winrm").await;
        let text = stdout(&out);
        assert!(
            text.contains("not read: winrm: ") && text.contains("credentials were rejected"),
            "{format}: the reason is in the report:\n{text}"
        );
        assert_eq!(out.status.code(), Some(2), "{format}");
    }
    // The right password: RRAS is seen running, and the host is not ready.
    let out = run(
        scan(&target, "jsonl", &winrm),
        password,
        mock_amt::DEFAULT_PASSWORD,
    )
    .await;
    let rec = &records(&out)[0];
    assert!(rules_of(rec).contains(&"HOST-RRAS".to_string()), "{rec}");
    assert_eq!(out.status.code(), Some(1));

    // An inventory without this device's row: the same, with its own reason.
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("cm.csv");
    std::fs::write(
        &export,
        "Netbios_Name0,IP_Addresses0,Caption0,CSDVersion0,SystemType0,rras_running\r\n\
         OTHER,127.23.1.99,Microsoft Windows XP Professional,Service Pack 3,X86-based PC,false\r\n",
    )
    .unwrap();
    let export = export.display().to_string();
    let out = with_export(&target, "jsonl", &export).await;
    let rec = &records(&out)[0];
    assert_eq!(rec["verdict"], "unknown", "{rec}");
    let unread = rec["host"]["unread"].to_string();
    assert!(
        unread.contains("inventory: no row of") && unread.contains("127.23.1.1"),
        "{rec}"
    );
    assert_eq!(out.status.code(), Some(2));
    windows.shutdown().await;
    dev.shutdown().await;
}

/// A resumed run covers every host of the file: a not-ready host found
/// before the stop still fails the gate after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_gate_fails_as_the_uninterrupted_run_did() {
    let dev = device("amt-5.2.9", [127, 23, 2, 1]).await;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("r.jsonl").display().to_string();
    let target = vec![dev.addr().to_string()];
    let password = Some(mock_amt::DEFAULT_PASSWORD);
    let first = run(scan(&target, "jsonl", &["--output", &saved]), password, "").await;
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    let resumed = run(scan(&target, "table", &["--resume", &saved]), password, "").await;
    let text = stdout(&resumed);
    assert_eq!(resumed.status.code(), Some(1), "{text}{}", stderr(&resumed));
    assert!(text.contains("Hosts scanned       1"), "{text}");
    assert!(text.contains("AMT-FW-VERSION"), "{text}");
    // Its machine-readable report holds the saved host too, and the file is
    // not written twice.
    let resumed = run(scan(&target, "jsonl", &["--resume", &saved]), password, "").await;
    assert_eq!(records(&resumed).len(), 1);
    assert_eq!(resumed.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&saved).unwrap().lines().count(), 1);
    dev.shutdown().await;
}

/// A report or `--output` that could not be written fails the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_could_not_be_written_fails_the_run() {
    let dev = device("amt-5.2.10", [127, 23, 3, 1]).await;
    let target = vec![dev.addr().to_string()];
    let password = mock_amt::DEFAULT_PASSWORD;
    for format in ["jsonl", "table", "csv"] {
        let out = run_into_full_disk(scan(&target, format, &[]), password).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{format}: {err}");
        assert!(
            err.contains("the report could not be written"),
            "{format}: {err}"
        );
    }
    let out = run(
        scan(&target, "jsonl", &["--output", "/dev/full"]),
        Some(password),
        "",
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("--output"), "{err}");
    dev.shutdown().await;
}

/// A scan of `target` joined to the inventory `export`, with the mock's password.
async fn with_export(target: &[String], format: &str, export: &str) -> Output {
    run(
        scan(target, format, &["--host-facts", export]),
        Some(mock_amt::DEFAULT_PASSWORD),
        "",
    )
    .await
}

/// Rows of one computer that disagree settle nothing, whatever their order;
/// two computers on one address join neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_order_never_decides_the_verdict() {
    let dev = device("amt-5.2.10", [127, 23, 4, 1]).await;
    let target = vec![dev.addr().to_string()];
    let ip = dev.addr().ip();
    let dir = tempfile::tempdir().unwrap();
    let header =
        "Netbios_Name0,IP_Addresses0,Caption0,CSDVersion0,SystemType0,rras_running,ics_enabled\r\n";
    let row = |rras: bool| {
        format!(
            "PC-1,{ip},Microsoft Windows XP Professional,Service Pack 3,X86-based PC,{rras},false\r\n"
        )
    };
    let mut verdicts = Vec::new();
    for (name, rows) in [
        ("true-first.csv", [row(true), row(false)]),
        ("false-first.csv", [row(false), row(true)]),
    ] {
        let export = dir.path().join(name);
        std::fs::write(&export, format!("{header}{}{}", rows[0], rows[1])).unwrap();
        let export = export.display().to_string();
        let out = with_export(&target, "jsonl", &export).await;
        let rec = records(&out).remove(0);
        let conflicts = rec["host"]["conflicts"].to_string();
        assert!(
            conflicts.contains("rras_running: inventory line 2 says")
                && conflicts.contains("line 3 says"),
            "{rec}"
        );
        assert!(rec["host"]["rras_running"].is_null(), "{rec}");
        assert!(
            rec["missing"]
                .to_string()
                .contains("host.rras_running (sources disagree)"),
            "{rec}"
        );
        verdicts.push((rec["verdict"].clone(), out.status.code()));
        // Every human format shows the dispute.
        for format in ["table", "markdown", "csv", "html"] {
            let out = with_export(&target, format, &export).await;
            assert!(
                stdout(&out).contains("conflict: rras"),
                "{format}: {}",
                stdout(&out)
            );
        }
    }
    assert_eq!(verdicts[0], verdicts[1]);
    assert_eq!(verdicts[0], (Value::from("unknown"), Some(2)));

    // Two computers claim the device's address: neither is joined by it.
    let export = dir.path().join("two.csv");
    std::fs::write(
        &export,
        format!(
            "{header}PC-A,{ip},Microsoft Windows XP Professional,Service Pack 3,X86-based PC,false,false\r\n\
             PC-B,{ip},Microsoft Windows XP Professional,Service Pack 3,X86-based PC,true,false\r\n"
        ),
    )
    .unwrap();
    let export = export.display().to_string();
    let out = with_export(&target, "jsonl", &export).await;
    let rec = records(&out).remove(0);
    let unread = rec["host"]["unread"].to_string();
    assert!(
        unread.contains("claimed by two computers")
            && unread.contains("PC-A")
            && unread.contains("PC-B"),
        "{rec}"
    );
    assert_eq!(rec["verdict"], "unknown", "{rec}");
    dev.shutdown().await;
}

/// A mistyped password: the run says to check the credentials first; the
/// devices never offered them are unknown, not Detected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_password_is_reported_as_one() {
    let configs = (1..=5)
        .map(|i| {
            DeviceConfig::new(
                Profile::builtin("amt-5.2.10").unwrap(),
                SocketAddr::from(([127, 23, 5, i], 0)),
            )
            .without_tls()
        })
        .collect();
    let fleet = start_fleet(configs).await.unwrap();
    let targets: Vec<String> = fleet.devices.iter().map(|d| d.addr().to_string()).collect();
    let limit = ["--auth-fail-limit", "2"];
    let out = run(scan(&targets, "jsonl", &limit), Some("Passw0rd!typo"), "").await;
    assert_eq!(out.status.code(), Some(4));
    let recs = records(&out);
    let with = |status: &str| {
        recs.iter()
            .filter(|r| r["status"] == status)
            .collect::<Vec<_>>()
    };
    let (rejected, not_tried) = (with("auth_failed"), with("not_tried"));
    assert_eq!((rejected.len(), not_tried.len()), (2, 3), "{recs:?}");
    for r in &rejected {
        assert_eq!(r["configmgr"]["amt_status"], "detected", "{r}");
        let finding = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "PROV-AMT-STATUS")
            .unwrap_or_else(|| panic!("{r}"));
        let fix = finding["fix"].as_str().unwrap();
        assert!(fix.starts_with("check the credentials"), "{fix}");
        assert!(
            !fix.contains("Not Supported"),
            "only the advice for Detected: {fix}"
        );
        assert!(
            r["configmgr"]["reason"]
                .as_str()
                .unwrap()
                .contains("credentials given are wrong"),
            "{r}"
        );
    }
    for r in &not_tried {
        assert_eq!(r["configmgr"]["amt_status"], "unknown", "{r}");
        assert_eq!(r["verdict"], "unknown", "{r}");
        assert!(r["error"].as_str().unwrap().contains("check them"), "{r}");
        // Never offered, so nothing judges the device but what its banner's
        // version says: INTEL-SA-00112 (info) on AMT 5.2.10.
        assert_eq!(rules_of(r), ["INTEL-SA-00112"], "never offered: {r}");
        assert!(
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["severity"] == "info"),
            "never offered, so no error or warning: {r}"
        );
    }
    // The run's conclusion comes first in the formats that summarise.
    let out = run(scan(&targets, "table", &limit), Some("Passw0rd!typo"), "").await;
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "NOTICE: the credentials were rejected by the first 2 devices in a row: check them"
        ),
        "{text}"
    );
    for format in ["markdown", "html", "json"] {
        let out = run(scan(&targets, format, &limit), Some("Passw0rd!typo"), "").await;
        assert!(
            stdout(&out).contains("the credentials were rejected by the first 2 devices in a row"),
            "{format}: {}",
            stdout(&out)
        );
    }
    fleet.shutdown().await;
}

/// What a user's CI runs: two mock-amt processes with default options side
/// by side, and a third named port where nothing listens. Two records read,
/// one unreachable, exit 4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_default_mocks_side_by_side_and_a_named_port_that_is_down() {
    let mock = Path::new(env!("CARGO_BIN_EXE_amtready")).with_file_name("mock-amt");
    assert!(
        mock.exists(),
        "{} is built with the workspace",
        mock.display()
    );
    let free_port = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (a, b, down) = (free_port(), free_port(), free_port());
    let start = |port: u16| {
        Command::new(&mock)
            .args(["--profile", "amt-5.2.10", "--http-port", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut mocks = [start(a), start(b)];
    // Each prints `listening ADDR PROFILE` once it serves.
    for (mock, port) in mocks.iter_mut().zip([a, b]) {
        use std::io::BufRead;
        let out = mock.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(out).lines();
        let listening = lines
            .find_map(|l| l.ok().filter(|l| l.starts_with("listening ")))
            .unwrap_or_else(|| {
                let _ = mock.kill();
                let err = mock.wait_with_output_stderr();
                panic!("mock on {port} did not start: {err}")
            });
        assert!(listening.contains(&port.to_string()), "{listening}");
    }
    let targets: Vec<String> = [a, b, down]
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect();
    let mut args = scan(&targets, "jsonl", &[]);
    // The user's CI keeps the RMCP sweep on: the mocks answer it or not.
    set_flag(&mut args, "--rmcp", "on");
    let out = run(args, Some(mock_amt::DEFAULT_PASSWORD), "").await;
    for mut mock in mocks {
        let _ = mock.kill();
        let _ = mock.wait();
    }
    let recs = records(&out);
    assert_eq!(recs.len(), 3, "{recs:?} {}", stderr(&out));
    let status = |port: u16| {
        recs.iter()
            .find(|r| r["target"] == format!("127.0.0.1:{port}"))
            .map(|r| r["status"].as_str().unwrap_or("").to_string())
            .unwrap()
    };
    assert_eq!((status(a).as_str(), status(b).as_str()), ("ok", "ok"));
    assert_eq!(status(down), "unreachable");
    assert_eq!(out.status.code(), Some(4));
}

trait StderrOf {
    fn wait_with_output_stderr(&mut self) -> String;
}

impl StderrOf for std::process::Child {
    fn wait_with_output_stderr(&mut self) -> String {
        use std::io::Read;
        let mut text = String::new();
        if let Some(mut e) = self.stderr.take() {
            let _ = e.read_to_string(&mut text);
        }
        text
    }
}

// ---------------------------------------------------------------------------
// The truth table: the README's exit-code section, row by row.
// ---------------------------------------------------------------------------

/// The README's truth table: (outcome, status, verdict, exits under
/// `--fail-on unread, error, unknown, warning`).
fn readme_rows() -> Vec<(String, String, String, [i32; 4])> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("<!-- truth-table -->")
        .expect("the README marks its truth table");
    let end = readme[start..]
        .find("<!-- /truth-table -->")
        .expect("the truth table ends")
        + start;
    let mut rows = Vec::new();
    for line in readme[start..end].lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() != 7 || cells[0] == "outcome" || cells[0].starts_with("---") {
            continue;
        }
        let code = |c: &str| -> i32 {
            c.trim_matches('*')
                .parse()
                .unwrap_or_else(|_| panic!("{line}"))
        };
        rows.push((
            cells[0].to_string(),
            cells[1].to_string(),
            cells[2].to_string(),
            [
                code(cells[3]),
                code(cells[4]),
                code(cells[5]),
                code(cells[6]),
            ],
        ));
    }
    assert!(rows.len() >= 12, "{rows:?}");
    rows
}

const FAIL_ON: [&str; 4] = ["unread", "error", "unknown", "warning"];

/// A scan that answers with non-AMT HTTP (a web server on the AMT port).
async fn web_server(ip: [u8; 4]) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((ip, 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let _ = conn
                    .write_all(b"HTTP/1.1 404 Not Found\r\nServer: nginx/1.24.0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (addr, task)
}

/// Runs one outcome of the truth table under `fail_on`; gives the exit code
/// and each host record's (status, verdict), the row's own target first.
async fn outcome(name: &str, fail_on: &str, n: u8) -> (i32, Vec<(String, String)>) {
    let ip = [127, 23, 10 + n, 1];
    let pw = Some(mock_amt::DEFAULT_PASSWORD);
    let fail = ["--fail-on", fail_on];
    let mut devices = Vec::new();
    let mut extra_targets: Vec<String> = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let mut stdout_to_full = false;
    let mut tls = false;
    let mut interrupt_when: Option<std::path::PathBuf> = None;
    let (mut args, password): (Vec<String>, Option<&str>) = match name {
        "ready" => {
            devices.push(device("amt-5.2.10", ip).await);
            (Vec::new(), pw)
        }
        "ready, with a warning finding" => {
            devices.push(device("amt-3.2.1", ip).await);
            (Vec::new(), pw)
        }
        "not ready" => {
            devices.push(device("amt-5.2.9", ip).await);
            (Vec::new(), pw)
        }
        "unknown (no password: the banner only)" => {
            devices.push(device("amt-5.2.10", ip).await);
            (Vec::new(), None)
        }
        "host facts asked for, not obtained" => {
            devices.push(device("amt-5.2.10", ip).await);
            let export = dir.path().join("cm.csv");
            std::fs::write(&export, "address,rras_running\r\n127.23.99.99,false\r\n").unwrap();
            (
                vec!["--host-facts".into(), export.display().to_string()],
                pw,
            )
        }
        "named host down" => {
            let port = std::net::TcpListener::bind(SocketAddr::from((ip, 0)))
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            extra_targets.push(format!("{}:{port}", std::net::Ipv4Addr::from(ip)));
            (Vec::new(), pw)
        }
        "silent address in a block or range, beside a ready host" => {
            devices.push(device("amt-5.2.10", ip).await);
            let port = devices[0].addr().port();
            extra_targets.push(format!("127.23.{}.50-51:{port}", 10 + n));
            (Vec::new(), pw)
        }
        "dark computer (the inventory says AMT, its address silent), beside a ready host" => {
            devices.push(device("amt-5.2.10", ip).await);
            let port = devices[0].addr().port();
            let silent = format!("127.23.{}.50", 10 + n);
            extra_targets.push(format!("{silent}-51:{port}"));
            let export = dir.path().join("amt.csv");
            std::fs::write(
                &export,
                format!(
                    "Netbios_Name0,IP_Addresses0,AMTStatus0,AMT0\r\nPC-DARK,{silent},2,5.2.10\r\nPC-READY,{},2,5.2.10\r\n",
                    std::net::Ipv4Addr::from(ip)
                ),
            )
            .unwrap();
            (
                vec!["--host-facts".into(), export.display().to_string()],
                pw,
            )
        }
        "nothing read (every address silent)" => {
            extra_targets.push(format!("127.23.{}.50-51:1", 10 + n));
            (Vec::new(), pw)
        }
        "auth_failed" => {
            devices.push(device("amt-5.2.10+provisioned-elsewhere", ip).await);
            (Vec::new(), pw)
        }
        "credentials not tried" => {
            devices.push(device("amt-5.2.10", ip).await);
            devices.push(device("amt-5.2.10", [127, 23, 10 + n, 2]).await);
            // One at a time: whichever is read first rejects them, the other
            // is never offered them.
            (
                vec![
                    "--auth-fail-limit".into(),
                    "1".into(),
                    "--concurrency".into(),
                    "1".into(),
                ],
                Some("Passw0rd!typo"),
            )
        }
        "not_amt, beside a ready host" => {
            let (addr, _server) = web_server(ip).await;
            extra_targets.push(addr.to_string());
            devices.push(device("amt-5.2.10", [127, 23, 10 + n, 2]).await);
            (Vec::new(), pw)
        }
        "tls_untrusted" => {
            let cfg = DeviceConfig::new(
                Profile::builtin("amt-16.1").unwrap(),
                SocketAddr::from((ip, 0)),
            );
            let dev = start_device(cfg).await.unwrap();
            extra_targets.push(dev.tls_addr().expect("16.1 serves TLS").to_string());
            devices.push(dev);
            tls = true;
            (Vec::new(), pw)
        }
        "site not ready" => {
            devices.push(device("amt-5.2.10", ip).await);
            let site = dir.path().join("site.toml");
            std::fs::write(&site, "sql = \"SQL Server 2000 SP4\"\n").unwrap();
            (vec!["--site".into(), site.display().to_string()], pw)
        }
        "report not written" => {
            devices.push(device("amt-5.2.10", ip).await);
            stdout_to_full = true;
            (Vec::new(), pw)
        }
        "resumed run (a not-ready host found before the stop)" => {
            devices.push(device("amt-5.2.9", ip).await);
            let saved = dir.path().join("r.jsonl").display().to_string();
            let targets: Vec<String> = devices.iter().map(|d| d.addr().to_string()).collect();
            let first = run(scan(&targets, "jsonl", &["--output", &saved]), pw, "").await;
            assert_eq!(first.status.code(), Some(1));
            (vec!["--resume".into(), saved], pw)
        }
        "interrupted" => {
            // One quick device and one that never answers: once the quick
            // one is in --output, the scan is in flight and is interrupted.
            devices.push(device("amt-5.2.10", ip).await);
            let mut stalled = DeviceConfig::new(
                Profile::builtin("amt-5.2.10").unwrap(),
                SocketAddr::from(([127, 23, 10 + n, 2], 0)),
            )
            .without_tls();
            stalled.faults = vec![Fault::Stall];
            devices.push(start_device(stalled).await.unwrap());
            let saved = dir.path().join("partial.jsonl");
            interrupt_when = Some(saved.clone());
            (vec!["--output".into(), saved.display().to_string()], pw)
        }
        other => panic!("the README's truth table has a row no test drives: {other:?}"),
    };
    // The row's own target first, the ready host beside it after.
    let mut targets = extra_targets;
    if !tls {
        targets.extend(devices.iter().map(|d| d.addr().to_string()));
    }
    // The record the row describes: its own target's, listed first.
    let focus = targets.first().cloned();
    let mut full = scan(&targets, "jsonl", &fail);
    if tls {
        set_flag(&mut full, "--tls", "on");
    }
    full.append(&mut args);
    let out = if let Some(saved) = interrupt_when {
        interrupt_once_written(full, password.unwrap(), saved).await
    } else if stdout_to_full {
        run_into_full_disk(full, password.unwrap()).await
    } else {
        run(full, password, "").await
    };
    for d in devices {
        d.shutdown().await;
    }
    let recs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r.get("target").is_some())
        .collect();
    let mut shown: Vec<(String, String)> = recs
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap_or("").to_string(),
                r["verdict"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    if let Some(at) = recs
        .iter()
        .position(|r| focus.as_deref().is_some_and(|f| r["target"] == f))
    {
        let own = shown.remove(at);
        shown.insert(0, own);
    }
    (out.status.code().unwrap_or(-1), shown)
}

/// Starts the scan and sends it Ctrl-C once `saved` (its `--output`) holds
/// a host.
async fn interrupt_once_written(
    args: Vec<String>,
    password: &str,
    saved: std::path::PathBuf,
) -> Output {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let child = Command::new(env!("CARGO_BIN_EXE_amtready"))
            .env("AMTREADY_NO_DNS", "1")
            .args(&args)
            .args(["--password-env", PASSWORD_VAR, "--no-progress"])
            .env(PASSWORD_VAR, password)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        common::interrupt_once_written(child, &saved, 1)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_of_the_readme_truth_table_holds_under_every_fail_on() {
    let started = Instant::now();
    let rows = readme_rows();
    let mut wrong = Vec::new();
    for (n, (name, status, verdict, exits)) in rows.iter().enumerate() {
        for (fail_on, expected) in FAIL_ON.iter().zip(exits) {
            let (code, shown) = outcome(name, fail_on, n as u8).await;
            if code != *expected {
                wrong.push(format!(
                    "{name} --fail-on {fail_on}: exit {code}, README says {expected}"
                ));
            }
            if status == "-" {
                continue;
            }
            // The row's host: its own target's record, or the record of the
            // status the row names (several hosts may share a row).
            let (status, verdict) = (status.trim_matches('`'), verdict.trim_matches('`'));
            // `-`: a record the scan writes unjudged (a dark computer).
            let verdict = if verdict == "-" { "" } else { verdict };
            let host = shown.iter().find(|(s, _)| s == status).or(shown.first());
            if host != Some(&(status.to_string(), verdict.to_string())) {
                wrong.push(format!(
                    "{name}: records {shown:?}, README says status {status}, verdict {verdict}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(started.elapsed() < Duration::from_secs(600));
}

// ---------------------------------------------------------------------------
// The property: exit 0 is earned.
// ---------------------------------------------------------------------------

mod exit_zero_is_earned {
    use std::sync::Arc;

    use amtready::facts::{
        AmtFacts, CredentialFacts, FactSource, FactsRecord, HostFacts, HostStatus,
        ProvisioningState,
    };
    use amtready::report::HostReport;
    use amtready::rules::{Judge, PolicySet, Verdict};
    use amtready::scan::{FailOn, Tally};
    use proptest::prelude::*;

    const STATUSES: [HostStatus; 8] = [
        HostStatus::Ok,
        HostStatus::Unreachable,
        HostStatus::AuthFailed,
        HostStatus::NotAmt,
        HostStatus::Error,
        HostStatus::TlsUntrusted,
        HostStatus::Silent,
        HostStatus::NotTried,
    ];
    const VERSIONS: [&str; 6] = ["5.2.10", "5.2.9", "4.1.3", "3.2.1", "6.2.61", "11.8.50"];
    const SOURCES: [FactSource; 4] = [
        FactSource::Wsman,
        FactSource::Eoi,
        FactSource::ServerHeader,
        FactSource::Rmcp,
    ];

    /// One host as a scan could report it: how reading went, what AMT said,
    /// and what a host-facts source gave, failed to give, or disputed.
    fn host() -> impl Strategy<Value = FactsRecord> {
        (
            0..STATUSES.len(),
            0..VERSIONS.len(),
            0..SOURCES.len(),
            0..3u8,
            (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        )
            .prop_map(
                |(status, version, source, state, (facts, unread, conflict, rras))| {
                    let mut record = FactsRecord::new("10.0.0.5");
                    record.status = Some(STATUSES[status]);
                    if STATUSES[status] != HostStatus::Silent {
                        record.amt = Some(AmtFacts {
                            version: Some(VERSIONS[version].into()),
                            source: Some(SOURCES[source]),
                            provisioning_state: Some(match state {
                                0 => ProvisioningState::Pre,
                                1 => ProvisioningState::In,
                                _ => ProvisioningState::Post,
                            }),
                            ..AmtFacts::default()
                        });
                    }
                    if facts || unread || conflict {
                        let mut host = HostFacts::default();
                        if facts {
                            host.os = Some("Microsoft Windows XP Professional".into());
                            host.service_pack = Some("Service Pack 3".into());
                            host.architecture = Some("x86".into());
                            host.rras_running = Some(rras);
                            host.ics_enabled = Some(false);
                        }
                        if unread {
                            host.unread
                                .push("winrm: 10.0.0.5:5985: the credentials were rejected".into());
                        }
                        if conflict {
                            host.rras_running = None;
                            host.conflicts.push(
                                "rras_running: inventory line 2 says true, line 3 says false"
                                    .into(),
                            );
                        }
                        record.host = Some(host);
                    }
                    record
                },
            )
    }

    fn judged(hosts: Vec<FactsRecord>, password_ok: bool) -> Vec<HostReport> {
        let judge = Judge::new(Arc::new(PolicySet::default_set()), None);
        hosts
            .into_iter()
            .map(|mut facts| {
                let evaluation = (facts.status != Some(HostStatus::Silent)).then(|| {
                    facts.credentials = Some(CredentialFacts {
                        user: Some("admin".into()),
                        password_given: true,
                        password_problems: if password_ok {
                            Vec::new()
                        } else {
                            vec!["shorter than 8 characters".into()]
                        },
                    });
                    judge.judge_host(&facts)
                });
                HostReport { facts, evaluation }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Exit 0 (with the default `--fail-on`, and with `warning`) implies
        /// at least one device read, every non-silent host read with
        /// credentials and ready, and every host fact asked for obtained.
        #[test]
        fn exit_zero_implies_every_host_read_with_credentials_and_ready(
            hosts in prop::collection::vec(host(), 0..6),
            password_ok in any::<bool>(),
        ) {
            let reports = judged(hosts, password_ok);
            for fail_on in [FailOn::Unknown, FailOn::Warning] {
                let mut tally = Tally::new(fail_on);
                for r in &reports {
                    tally.add(r);
                }
                if tally.exit_code() != 0 {
                    continue;
                }
                prop_assert!(reports.iter().any(|r| r.facts.status == Some(HostStatus::Ok)));
                for r in reports.iter().filter(|r| r.facts.status != Some(HostStatus::Silent)) {
                    prop_assert_eq!(r.facts.status, Some(HostStatus::Ok));
                    let source = r.facts.amt.as_ref().and_then(|a| a.source);
                    prop_assert!(matches!(source, Some(FactSource::Wsman | FactSource::Eoi)), "{:?}", source);
                    let e = r.evaluation.as_ref().unwrap();
                    prop_assert_eq!(e.verdict, Verdict::Ready);
                    prop_assert!(e.missing.is_empty(), "{:?}", e.missing);
                    if let Some(host) = &r.facts.host {
                        // Asked for and not read, or disputed: never ready.
                        let settled = host.os.is_some() && host.architecture.is_some()
                            && host.rras_running.is_some() && host.ics_enabled.is_some();
                        prop_assert!(host.unread.is_empty() || settled, "{:?}", host);
                        prop_assert!(host.conflicts.is_empty(), "{:?}", host);
                    }
                }
            }
        }
    }
}
