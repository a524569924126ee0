//! The files amtready reads and writes: nothing lost, nothing unbounded,
//! nothing blocking. A resumed scan never loses a finished host, never
//! writes through a link or into a file that is not its own, and survives
//! `kill -9` at any point; no input path (a FIFO nothing writes to) can hold
//! a run.
//!
//! Addresses: 127.24.x.y, this suite's own range.

use crate::common;
use common::{amtready, records, scan_args, PASSWORD_VAR};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mock_amt::{start_fleet, DeviceConfig, Fault, Fleet, Profile};
use rand::{Rng, SeedableRng};
use serde_json::Value;

async fn fleet(n: u8, third: u8, delay: Option<Duration>) -> Fleet {
    let configs = (1..=n)
        .map(|i| {
            let mut cfg = DeviceConfig::new(
                Profile::builtin(if i % 3 == 0 {
                    "amt-5.2.9"
                } else {
                    "amt-5.2.10"
                })
                .unwrap(),
                SocketAddr::from(([127, 24, third, i], 0)),
            )
            .without_tls();
            if let Some(d) = delay {
                cfg.faults = vec![Fault::Delay(d)];
            }
            cfg
        })
        .collect();
    start_fleet(configs).await.expect("fleet on 127.24.x.y")
}

fn addrs(fleet: &Fleet) -> Vec<SocketAddr> {
    fleet.devices.iter().map(|d| d.addr()).collect()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

fn targets_in(path: &Path) -> Vec<String> {
    let mut t: Vec<String> = lines(path)
        .iter()
        .filter_map(|r| r["target"].as_str().map(str::to_string))
        .collect();
    t.sort();
    t
}

fn flag(name: &str, path: &Path) -> Vec<String> {
    vec![name.to_string(), path.display().to_string()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_file_keeps_every_finished_host() {
    let fleet = fleet(2, 1, None).await;
    let all = addrs(&fleet);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("r.jsonl");
    let out = amtready(scan_args(&all[..1], &flag("--output", &saved))).await;
    assert_eq!(records(&out).len(), 1);
    // A complete last record without its newline is a complete record.
    let len = std::fs::metadata(&saved).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&saved)
        .unwrap()
        .set_len(len - 1)
        .unwrap();
    let out = amtready(scan_args(&all, &flag("--resume", &saved))).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("1 host(s) already in"), "{stderr}");
    let mut expected: Vec<String> = all.iter().map(|a| a.to_string()).collect();
    expected.sort();
    assert_eq!(targets_in(&saved), expected, "both hosts, each once");

    // A half-written last line is set aside, never deleted, and its host is
    // read again.
    let text = std::fs::read_to_string(&saved).unwrap();
    let last = text.lines().last().unwrap();
    let cut = &last[..last.len() / 2];
    let mut kept_lines: Vec<&str> = text.lines().collect();
    kept_lines.pop();
    std::fs::write(&saved, format!("{}\n{cut}", kept_lines.join("\n"))).unwrap();
    let out = amtready(scan_args(&all, &flag("--resume", &saved))).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let partial = PathBuf::from(format!("{}.partial", saved.display()));
    assert!(
        stderr.contains("kept in") && stderr.contains(".partial"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&partial).unwrap(), cut);
    assert_eq!(targets_in(&saved), expected, "the cut host is read again");
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_writes_only_to_a_scan_file_of_its_own() {
    let fleet = fleet(1, 2, None).await;
    let all = addrs(&fleet);
    let dir = tempfile::tempdir().unwrap();
    // Someone else's file behind a link.
    let theirs = dir.path().join("theirs.txt");
    std::fs::write(&theirs, "line one\nline two\n").unwrap();
    let link = dir.path().join("r.jsonl");
    std::os::unix::fs::symlink(&theirs, &link).unwrap();
    let out = amtready(scan_args(&all, &flag("--resume", &link))).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&theirs).unwrap(),
        "line one\nline two\n"
    );
    // A file whose lines are not amtready records.
    let notes = dir.path().join("notes.jsonl");
    std::fs::write(&notes, "hello\n{\"target\":\"10.0.0.1\"}\n").unwrap();
    let out = amtready(scan_args(&all, &flag("--resume", &notes))).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("line 1 is not an amtready record"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "hello\n{\"target\":\"10.0.0.1\"}\n"
    );
    // --output does not follow a link either.
    let out = amtready(scan_args(&all, &flag("--output", &link))).await;
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        std::fs::read_to_string(&theirs).unwrap(),
        "line one\nline two\n"
    );
    fleet.shutdown().await;
}

/// Runs the binary with a watchdog: a run that hangs is killed and fails
/// the test instead of holding the suite.
async fn bounded_run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_amtready"))
            .env("AMTREADY_NO_DNS", "1")
            .args(&args)
            .env(PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if child.try_wait().unwrap().is_some() {
                return child.wait_with_output().unwrap();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!("{args:?} hung: {}", String::from_utf8_lossy(&out.stderr));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_nothing_writes_to_never_holds_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo is part of coreutils");
    let shown = fifo.display().to_string();
    let target = "127.24.3.1:1".to_string();
    for f in [
        "--policy",
        "--output",
        "--host-facts",
        "--password-file",
        "--tofu",
        "--site",
        "--targets-file",
        "--resume",
    ] {
        let mut args = vec![
            "scan".to_string(),
            target.clone(),
            "--rmcp".into(),
            "off".into(),
        ];
        args.extend([f.to_string(), shown.clone()]);
        if f != "--password-file" {
            args.extend(["--password-env".to_string(), PASSWORD_VAR.to_string()]);
        }
        if f == "--tofu" {
            args.extend(["--tls".to_string(), "on".to_string()]);
        }
        let out = bounded_run(args).await;
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(3), "{f}: {stderr}");
        assert!(
            stderr.contains(&shown),
            "{f}: the error names the file: {stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "{f}: one line: {stderr}");
    }
}

/// `kill -9` at random points, twenty times, resuming each time: the union
/// of hosts equals an uninterrupted run's, each host once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_at_any_point_loses_no_finished_host() {
    // Each request takes a while, and two devices are read at once, so the
    // kills land while hosts are being read and written.
    let fleet = fleet(24, 4, Some(Duration::from_millis(15))).await;
    let all = addrs(&fleet);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("killed.jsonl");
    let args = {
        let mut extra = flag("--resume", &saved);
        extra.extend(["--concurrency", "2", "--no-progress"].map(String::from));
        scan_args(&all, &extra)
    };
    let seed: u64 = std::env::var("AMTREADY_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0024);
    eprintln!("kill points from seed {seed} (AMTREADY_KILL_SEED)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut kills = 0;
    for _ in 0..20 {
        let wait = Duration::from_millis(rng.random_range(0..400));
        let args = args.clone();
        let finished = tokio::task::spawn_blocking(move || {
            let mut child = Command::new(env!("CARGO_BIN_EXE_amtready"))
                .env("AMTREADY_NO_DNS", "1")
                .args(&args)
                .env(PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(wait);
            if child.try_wait().unwrap().is_some() {
                return true;
            }
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            false
        })
        .await
        .unwrap();
        if finished {
            break;
        }
        kills += 1;
    }
    // Then to the end.
    let out = amtready(args.clone()).await;
    assert!(out.status.code().is_some());
    let whole = records(&amtready(scan_args(&all, &[])).await);
    let by_target = |recs: &[Value]| -> BTreeMap<String, (String, String)> {
        recs.iter()
            .filter_map(|r| {
                Some((
                    r["target"].as_str()?.to_string(),
                    (
                        r["status"].as_str().unwrap_or("").to_string(),
                        r["verdict"].as_str().unwrap_or("").to_string(),
                    ),
                ))
            })
            .collect()
    };
    let file = lines(&saved);
    assert_eq!(
        file.len(),
        whole.len(),
        "each host once, after {kills} kills"
    );
    assert_eq!(by_target(&file), by_target(&whole), "after {kills} kills");
    assert!(kills > 0, "the loop killed the scan at least once");
    fleet.shutdown().await;
}
