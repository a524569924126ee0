//! The scan pipeline through the CLI, on loopback with ephemeral ports:
//! malformed targets, duplicates, excludes, shards, resume, and the
//! auth-fail limit, each checked against the mock devices' own counters.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};

use mock_amt::{start_fleet, DeviceConfig, Fault, Profile};
use serde_json::Value;

const PASSWORD_VAR: &str = "AMTREADY_PLAN_PASSWORD";

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn amtready(args: Vec<String>, password: Option<&str>) -> Output {
    let password = password.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_amtready"));
        cmd.env("AMTREADY_NO_DNS", "1");
        cmd.args(&args).env_remove("AMTREADY_LOG");
        match password {
            Some(p) => cmd.env(PASSWORD_VAR, p),
            None => cmd.env_remove(PASSWORD_VAR),
        };
        cmd.output().expect("the amtready binary runs")
    })
    .await
    .unwrap()
}

fn args(targets: &[String], extra: &[&str]) -> Vec<String> {
    let mut a = vec!["scan".to_string()];
    a.extend(targets.iter().cloned());
    a.extend(["--format", "jsonl", "--rmcp", "off", "--no-rules"].map(String::from));
    if !extra.contains(&"--timeout") {
        a.extend(["--timeout", "5"].map(String::from));
    }
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn records(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

fn targets_of(recs: &[Value]) -> BTreeSet<String> {
    recs.iter()
        .map(|r| r["target"].as_str().unwrap().to_string())
        .collect()
}

async fn fleet(profiles: &[&str]) -> mock_amt::Fleet {
    start_fleet(
        profiles
            .iter()
            .map(|p| DeviceConfig::new(Profile::builtin(p).unwrap(), any_port()))
            .collect(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_targets_are_usage_errors_that_name_the_target() {
    for bad in [
        "10.0.2",
        "10.0.0.300",
        "999.999.999.999",
        "0177.0.0.1",
        "167772161",
        "http://10.0.0.5/",
    ] {
        let out = amtready(args(&["127.0.0.1:1".into(), bad.into()], &[]), None).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{bad}: {stderr}");
        assert!(stderr.contains(bad), "{bad}: {stderr}");
        assert!(out.stdout.is_empty(), "{bad}: nothing is scanned");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    std::fs::write(&file, "# estate\n127.0.0.1:1\n10.0.2 # typo\n").unwrap();
    let out = amtready(args(&[], &["--targets-file", file.to_str().unwrap()]), None).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("targets.txt:3") && stderr.contains("10.0.2"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_min_rtt_above_the_max_rtt_is_a_usage_error() {
    let out = amtready(
        args(
            &["127.0.0.1:1".into()],
            &["--min-rtt", "2", "--max-rtt", "0.5"],
        ),
        None,
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("--min-rtt 2") && stderr.contains("--max-rtt 0.5"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let out = amtready(args(&["127.0.0.1:1".into()], &["--min-rtt", "-1"]), None).await;
    assert_eq!(out.status.code(), Some(3));
    // Within bounds it is accepted (the closed port is simply silent).
    let out = amtready(
        args(
            &["127.0.0.1:1".into()],
            &["--min-rtt", "0.2", "--max-rtt", "0.5", "--all"],
        ),
        None,
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(3), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_device_named_three_ways_gets_one_credential_try() {
    let fleet = fleet(&["amt-7.1"]).await;
    let port = fleet.devices[0].addr().port();
    let named = vec![
        format!("127.0.0.1:{port}"),
        format!("127.0.0.1-1:{port}"),
        format!("127.0.0.0/31:{port}"),
    ];
    let out = amtready(
        args(
            &named,
            &["--password-env", PASSWORD_VAR, "--exclude", "127.0.0.0"],
        ),
        Some("wrong-password"),
    )
    .await;
    let recs = records(&out);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0]["status"], "auth_failed");
    assert_eq!(
        fleet.devices[0].stats().failed_auth,
        1,
        "one try, however named"
    );
    assert_eq!(out.status.code(), Some(4));
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_across_twenty_devices_stops_at_the_limit() {
    let fleet = fleet(&["amt-11.8"; 20]).await;
    let targets: Vec<String> = fleet.devices.iter().map(|d| d.addr().to_string()).collect();
    let out = amtready(
        args(
            &targets,
            &["--password-env", PASSWORD_VAR, "--concurrency", "20"],
        ),
        Some("Wr0ng-password"),
    )
    .await;
    let recs = records(&out);
    assert_eq!(recs.len(), 20);
    // Three rejected the password; the rest were never offered it, so
    // nothing says they would refuse it: not Detected, but not tried.
    let with = |status: &str| recs.iter().filter(|r| r["status"] == status).count();
    assert_eq!(
        (with("auth_failed"), with("not_tried")),
        (3, 17),
        "{recs:?}"
    );
    let failed: u64 = fleet.devices.iter().map(|d| d.stats().failed_auth).sum();
    assert_eq!(
        failed, 3,
        "exactly --auth-fail-limit (3) devices were offered the password"
    );
    let untried = recs
        .iter()
        .filter(|r| r["error"].as_str().unwrap().contains("not tried"))
        .count();
    assert_eq!(untried, 17);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rejected by the first 3 devices in a row: check them"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(4));

    // With the right password nothing stops.
    let out = amtready(
        args(&targets, &["--password-env", PASSWORD_VAR]),
        Some(mock_amt::DEFAULT_PASSWORD),
    )
    .await;
    assert!(records(&out).iter().all(|r| r["status"] == "ok"));
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_add_up_to_the_whole_with_no_overlap() {
    let fleet = fleet(&["amt-5.2.10", "amt-7.1", "amt-11.8", "amt-15.0", "amt-16.1"]).await;
    // Three addresses per device port: the devices answer, the rest are refused.
    let targets: Vec<String> = fleet
        .devices
        .iter()
        .map(|d| format!("127.0.0.1-3:{}", d.addr().port()))
        .collect();
    let whole = records(&amtready(args(&targets, &["--all"]), None).await);
    assert_eq!(whole.len(), 15);
    assert_eq!(whole.iter().filter(|r| r["status"] == "silent").count(), 10);
    let mut union = Vec::new();
    for k in 0..3 {
        let shard = format!("{k}/3");
        let part = records(&amtready(args(&targets, &["--all", "--shard", &shard]), None).await);
        union.extend(part);
    }
    assert_eq!(union.len(), whole.len(), "no overlap");
    assert_eq!(targets_of(&union), targets_of(&whole));
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_killed_halfway_and_resumed_equals_an_uninterrupted_one() {
    use std::io::{BufRead, BufReader};
    // Six quick devices and two that never answer HTTP: the first run cannot
    // finish while they hold it, so it is killed with six hosts written.
    let mut configs: Vec<DeviceConfig> = [
        "amt-4.2", "amt-5.0", "amt-7.1", "amt-8.1", "amt-11.8", "amt-15.0",
    ]
    .iter()
    .map(|n| DeviceConfig::new(Profile::builtin(n).unwrap(), any_port()))
    .collect();
    for _ in 0..2 {
        // Not amt-16.1: it is TLS-only, so a plain read of its port fails fast
        // (or not, by timing) instead of stalling.
        let mut stalled = DeviceConfig::new(Profile::builtin("amt-11.8").unwrap(), any_port());
        stalled.faults = vec![Fault::Stall];
        configs.push(stalled);
    }
    let fleet = start_fleet(configs).await.unwrap();
    let targets: Vec<String> = fleet.devices.iter().map(|d| d.addr().to_string()).collect();
    let dir = tempfile::tempdir().unwrap();
    let resumed = dir.path().join("resumed.jsonl");

    let first = {
        let a = args(
            &targets,
            &[
                "--password-env",
                PASSWORD_VAR,
                "--timeout",
                "120",
                "--resume",
                resumed.to_str().unwrap(),
            ],
        );
        tokio::task::spawn_blocking(move || {
            let mut child = Command::new(env!("CARGO_BIN_EXE_amtready"))
                .env("AMTREADY_NO_DNS", "1")
                .args(a)
                .env(PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            for _ in 0..6 {
                lines.next().unwrap().unwrap();
            }
            child.kill().unwrap();
            child.wait().unwrap();
        })
    };
    first.await.unwrap();
    // A killed writer may leave half a record; that host is not finished.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&resumed)
        .unwrap()
        .write_all(b"{\"target\":\"127.0.0.1:9\",\"sta")
        .unwrap();
    let short = ["--password-env", PASSWORD_VAR, "--timeout", "1"];
    let mut resume_args = short.to_vec();
    resume_args.extend(["--resume", resumed.to_str().unwrap()]);
    let second = amtready(
        args(&targets, &resume_args),
        Some(mock_amt::DEFAULT_PASSWORD),
    )
    .await;
    // The resumed run reports every host, the six saved ones as they were
    // saved; only the two unfinished ones are read (and appended) again.
    let reported = records(&second);
    assert_eq!(reported.len(), 8, "the report covers every host");
    let stderr = String::from_utf8_lossy(&second.stderr).to_string();
    assert!(stderr.contains("6 host(s) already in"), "{stderr}");
    assert!(stderr.contains("2 to go"), "{stderr}");

    let whole = records(&amtready(args(&targets, &short), Some(mock_amt::DEFAULT_PASSWORD)).await);
    let file: Vec<Value> = std::fs::read_to_string(&resumed)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(file.len(), whole.len(), "no host twice, none lost");
    let summary = |recs: &[Value]| -> BTreeSet<(String, String, String)> {
        recs.iter()
            .map(|r| {
                (
                    r["target"].as_str().unwrap().to_string(),
                    r["status"].as_str().unwrap().to_string(),
                    r["amt"]["version"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(summary(&file), summary(&whole));
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_on_chooses_what_fails_the_run() {
    // AMT 2.6 is below what Configuration Manager 2007 SP1 supports: not ready.
    let fleet = fleet(&["amt-2.6"]).await;
    let target = vec![fleet.devices[0].addr().to_string()];
    let with_rules = |extra: &[&str]| {
        let mut a: Vec<String> = args(&target, &["--password-env", PASSWORD_VAR]);
        a.retain(|s| s != "--no-rules");
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let code = |extra: &'static [&'static str]| {
        let a = with_rules(extra);
        async move {
            amtready(a, Some(mock_amt::DEFAULT_PASSWORD))
                .await
                .status
                .code()
        }
    };
    assert_eq!(code(&[]).await, Some(1), "default: not ready fails");
    assert_eq!(code(&["--fail-on", "error"]).await, Some(1));
    assert_eq!(
        code(&["--fail-on", "unread"]).await,
        Some(0),
        "only unread devices fail"
    );
    // An unread device fails whatever --fail-on says.
    let a = with_rules(&["--fail-on", "unread"]);
    let out = amtready(a, Some("not-the-password")).await;
    assert_eq!(out.status.code(), Some(4));
    fleet.shutdown().await;
}
