//! What the end-to-end suites that drive the `amtready` binary share: the CLI
//! as a child process (passwords through the environment, never argv) and
//! its JSON Lines read back.

// Each suite is its own crate and uses only some of these.
#![allow(dead_code)]

pub(crate) mod netns;

use std::net::SocketAddr;
use std::process::Output;

use serde_json::Value;

/// The variable the suites hand the mock's AMT password through.
pub const PASSWORD_VAR: &str = "AMTREADY_TEST_AMT_PASSWORD";
/// The variable the suites hand the mock Windows hosts' password through.
pub const WINRM_PASSWORD_VAR: &str = "AMTREADY_TEST_WINRM_PASSWORD";

/// Runs the binary off the async runtime, so the mock devices the test
/// started in-process keep answering while it scans them.
///
/// Every suite's scans run with `AMTREADY_NO_DNS=1` (`--no-dns`): the mock
/// devices' names would otherwise go to the machine's resolver, off the
/// machine. The DNS suites (`dns_path`) ask a loopback server in a private
/// network namespace instead.
pub async fn amtready(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_amtready"))
            .env("AMTREADY_NO_DNS", "1")
            .args(&args)
            .env_remove("AMTREADY_LOG")
            .env(PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
            .env(WINRM_PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
            .output()
            .expect("the amtready binary runs")
    })
    .await
    .expect("the CLI task joins")
}

/// Every stdout line as a JSON value; a line that is not JSON fails the test.
pub fn records(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect()
}

/// The rule ids of a record's findings, sorted so two runs compare as sets.
pub fn rules_of(rec: &Value) -> Vec<String> {
    let mut rules: Vec<String> = rec["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    rules.sort();
    rules
}

/// A JSON Lines scan of `addrs` over plain HTTP, without RMCP, the password
/// from [`PASSWORD_VAR`], then `extra`.
pub fn scan_args(addrs: &[SocketAddr], extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = vec!["scan".into()];
    args.extend(addrs.iter().map(|a| a.to_string()));
    args.extend(
        [
            "--format",
            "jsonl",
            "--password-env",
            PASSWORD_VAR,
            "--rmcp",
            "off",
            "--tls",
            "off",
        ]
        .map(String::from),
    );
    args.extend_from_slice(extra);
    args
}

/// Waits until `saved` (the child scan's `--output`, flushed per host) holds
/// `hosts` lines, then sends the child Ctrl-C (SIGINT): its scan loop, and so
/// its handler, is running by then. Gives what the child printed.
pub fn interrupt_once_written(
    child: std::process::Child,
    saved: &std::path::Path,
    hosts: usize,
) -> Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_to_string(saved)
        .map(|s| s.lines().count())
        .unwrap_or(0)
        < hosts
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{hosts} host(s) finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The shell's own `kill` (procps may be absent on a bare machine).
    let sent = std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .expect("sh runs");
    assert!(sent.success());
    child.wait_with_output().expect("the scan ends")
}

/// The mock devices' default admin credentials.
pub fn mock_credentials() -> amtready::wsman::Credentials {
    amtready::wsman::Credentials {
        user: mock_amt::DEFAULT_USER.into(),
        password: amtready::wsman::Password::new(mock_amt::DEFAULT_PASSWORD),
    }
}

/// A device of `profile` serving `kind` TLS on a free loopback port, and
/// no plain HTTP.
pub async fn tls_only_device(profile: &str, kind: mock_amt::TlsKind) -> mock_amt::DeviceHandle {
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let mut cfg = mock_amt::DeviceConfig::new(
        mock_amt::Profile::builtin(profile).expect("a built-in profile"),
        listen,
    )
    .with_tls(kind, 0);
    cfg.plain = false;
    mock_amt::start_device(cfg)
        .await
        .expect("the mock device starts")
}
