//! Hostile devices and hostile input (issue 13): every mock-amt fault mode in
//! one fleet beside healthy devices, scanned by the real binary, plus the
//! regression tests of the six bugs the field test found.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use amtready::amt::{read_host, AmtClient, ClientOptions};
use amtready::facts::HostStatus;
use amtready::wsman::{CallLimits, Credentials, Endpoint, Password};
use mock_amt::{start_device, start_fleet, DeviceConfig, Fault, Profile};
use serde_json::Value;

const PASSWORD_VAR: &str = "AMTREADY_HOSTILE_PASSWORD";

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn amtready_bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amtready"));
    cmd.env("AMTREADY_NO_DNS", "1");
    cmd.env_remove("AMTREADY_LOG").env_remove("COLUMNS");
    cmd
}

/// Runs `amtready` under a 1 GiB address-space limit, so an unbounded read
/// fails the test instead of the machine.
fn amtready_capped(args: &[&str]) -> Output {
    let mut script = String::from("ulimit -v 1048576; exec \"$0\"");
    for i in 1..=args.len() {
        script.push_str(&format!(" \"${i}\""));
    }
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_amtready"))
        .args(args)
        .env("AMTREADY_NO_DNS", "1")
        .stdin(Stdio::null())
        .output()
        .expect("sh runs")
}

#[test]
fn policy_from_dev_zero_is_refused_at_the_cap() {
    let started = Instant::now();
    let out = amtready_capped(&["rules", "--policy", "/dev/zero"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("larger than"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn policy_from_a_fifo_fed_forever_is_refused_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("policy.toml");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer_path = fifo.clone();
    std::thread::spawn(move || {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(writer_path) {
            let line = b"# comment\n".repeat(1000);
            while f.write_all(&line).is_ok() {}
        }
    });
    let out = amtready_capped(&["rules", "--policy", fifo.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("larger than"), "{stderr}");
}

fn scan_usage_error(extra: &[&str]) -> String {
    let mut args = vec!["scan", "127.0.0.1:1", "--password-env", PASSWORD_VAR];
    args.extend_from_slice(extra);
    let out = amtready_bin()
        .args(&args)
        .env(PASSWORD_VAR, "x")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "{extra:?}: {stderr}");
    assert!(out.stdout.is_empty(), "nothing scanned: {extra:?}");
    stderr
}

#[test]
fn absurd_limits_and_a_user_with_cr_lf_are_usage_errors() {
    let e = scan_usage_error(&["--user", "admin\r\nX-Injected: 1"]);
    assert!(e.contains("--user") && e.contains("\\r\\n"), "{e}");
    assert!(!e.contains('\r'), "the message itself is escaped: {e:?}");
    assert!(scan_usage_error(&["--timeout", "1e-300"]).contains("--timeout"));
    assert!(scan_usage_error(&["--timeout", "NaN"]).contains("--timeout"));
    assert!(scan_usage_error(&["--body-cap", "1000000000000"]).contains("--body-cap"));
    assert!(
        scan_usage_error(&["--host-timeout", "0.5", "--timeout", "2"]).contains("--host-timeout")
    );
}

fn creds() -> Credentials {
    Credentials {
        user: mock_amt::DEFAULT_USER.into(),
        password: Password::new(mock_amt::DEFAULT_PASSWORD),
    }
}

fn client(timeout: Duration, host_timeout: Duration) -> AmtClient {
    AmtClient::new(ClientOptions {
        limits: CallLimits {
            deadline: timeout,
            body_cap: 4 * 1024 * 1024,
        },
        host_deadline: host_timeout,
        ..ClientOptions::default()
    })
    .unwrap()
}

/// Bug 4: a device that closes kept-alive connections without saying so
/// (the 12.x bare 400 does) gives the same status every run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_closing_kept_alive_connections_reads_the_same_every_run() {
    for fault in [Fault::EmptyBadRequest, Fault::KeepAliveClose] {
        let mut cfg = DeviceConfig::new(Profile::builtin("amt-15.0").unwrap(), any_port());
        cfg.faults = vec![fault.clone()];
        let dev = start_device(cfg).await.unwrap();
        let endpoint = Endpoint::http("127.0.0.1", dev.addr().port());
        let client = client(Duration::from_secs(5), Duration::from_secs(20));
        let mut seen = HashMap::new();
        for _ in 0..25 {
            let record = read_host(&client, &endpoint, Some(&creds()), "d").await;
            *seen
                .entry(format!("{:?} {:?}", record.status, record.error))
                .or_insert(0) += 1;
        }
        assert_eq!(seen.len(), 1, "{fault}: {seen:?}");
        let expected = match fault {
            Fault::KeepAliveClose => "Some(Ok)",
            _ => "Some(Error)",
        };
        assert!(
            seen.keys().all(|k| k.starts_with(expected)),
            "{fault}: {seen:?}"
        );
        dev.shutdown().await;
    }
}

/// Issue 28: a device that faults the operational classes, one at a time
/// or all together, is still read (status ok, every other fact kept); each
/// class it refused is `unavailable`, and the rule over it says what it
/// lacks instead of passing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_faulting_the_operational_classes_is_read_with_those_facts_unknown() {
    let classes = [
        "AMT_EthernetPortSettings",
        "AMT_8021XProfile",
        "CIM_ElementSettingData",
        "AMT_SystemPowerScheme",
        "AMT_TimeSynchronizationService",
    ];
    let mut cases: Vec<Vec<&str>> = classes.iter().map(|c| vec![*c]).collect();
    cases.push(classes.to_vec());
    for missing in cases {
        let mut cfg = DeviceConfig::new(Profile::builtin("amt-7.1").unwrap(), any_port());
        cfg.faults = missing
            .iter()
            .map(|c| Fault::MissingClass((*c).to_owned()))
            .collect();
        let dev = start_device(cfg).await.unwrap();
        let endpoint = Endpoint::http("127.0.0.1", dev.addr().port());
        let client = client(Duration::from_secs(5), Duration::from_secs(20));
        let record = read_host(&client, &endpoint, Some(&creds()), "d").await;
        dev.shutdown().await;
        assert_eq!(
            record.status,
            Some(HostStatus::Ok),
            "{missing:?}: {record:?}"
        );
        let amt = record.amt.as_ref().unwrap();
        assert!(
            amt.provisioning_state.is_some() && amt.hostname.is_some(),
            "{missing:?}"
        );
        for class in &missing {
            // Without CIM_ElementSettingData no package is named active,
            // and the Get of it is not sent at all.
            let asked =
                *class != "AMT_SystemPowerScheme" || !missing.contains(&"CIM_ElementSettingData");
            assert_eq!(
                amt.unavailable.iter().any(|c| c == class),
                asked,
                "{missing:?}: {class}"
            );
        }
        let evaluation = amtready::rules::PolicySet::default_set().evaluate(&record);
        let operational = [
            "AMT-WIRED-ONLY",
            "AMT-POWER-PACKAGE",
            "AMT-ADDRESSING",
            "AMT-CLOCK-SKEW",
        ];
        assert!(
            !evaluation
                .findings
                .iter()
                .any(|f| operational.contains(&f.rule.as_str())),
            "{missing:?}: {:?}",
            evaluation.findings
        );
        assert!(
            evaluation.missing.iter().any(|m| m.contains("unavailable")),
            "{missing:?}: {:?}",
            evaluation.missing
        );
    }
}

/// Bug 6: a device that answers each request just inside `--timeout` cannot
/// hold its slot past `--host-timeout`, and keeps what was read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_timeout_bounds_a_slow_device() {
    let mut cfg = DeviceConfig::new(Profile::builtin("amt-15.0").unwrap(), any_port());
    cfg.faults = vec![Fault::Delay(Duration::from_millis(600))];
    let dev = start_device(cfg).await.unwrap();
    let endpoint = Endpoint::http("127.0.0.1", dev.addr().port());
    let started = Instant::now();
    let record = read_host(
        &client(Duration::from_secs(2), Duration::from_millis(2500)),
        &endpoint,
        Some(&creds()),
        "slow",
    )
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(3500), "{took:?}");
    assert_eq!(record.status, Some(HostStatus::Unreachable), "{record:?}");
    let error = record.error.unwrap();
    assert!(error.contains("2.5 s --host-timeout"), "{error}");
    assert!(
        record.amt.and_then(|a| a.server_header).is_some(),
        "what was read before the deadline is kept"
    );
    dev.shutdown().await;
}

/// One device per hostile mode beside healthy ones: (label, profile, faults,
/// expected status, a piece of the expected reason).
fn hostile_fleet() -> Vec<(
    &'static str,
    &'static str,
    Vec<Fault>,
    &'static str,
    &'static str,
)> {
    use Fault::*;
    vec![
        ("healthy-15", "amt-15.0", vec![], "ok", ""),
        ("healthy-5", "amt-5.2.10", vec![], "ok", ""),
        ("healthy-7", "amt-7.1", vec![], "ok", ""),
        ("stall", "amt-15.0", vec![Stall], "unreachable", "--timeout"),
        (
            "trickle",
            "amt-15.0",
            vec![Trickle],
            "unreachable",
            "--timeout",
        ),
        (
            "endless-headers",
            "amt-15.0",
            vec![EndlessHeaders],
            "not_amt",
            "not HTTP",
        ),
        ("not-http", "amt-15.0", vec![NotHttp], "not_amt", "not HTTP"),
        (
            "close",
            "amt-15.0",
            vec![CloseImmediately],
            "unreachable",
            "reset",
        ),
        (
            "reset-mid-body",
            "amt-15.0",
            vec![ResetMidBody],
            "unreachable",
            "reset",
        ),
        (
            "truncated-chunked",
            "amt-15.0",
            vec![TruncatedChunked],
            "unreachable",
            "reset",
        ),
        (
            "endless-body",
            "amt-15.0",
            vec![EndlessBody],
            "error",
            "cap",
        ),
        (
            "oversized",
            "amt-15.0",
            vec![OversizedBody(100 * 1024 * 1024)],
            "error",
            "cap",
        ),
        (
            "malformed-xml",
            "amt-15.0",
            vec![MalformedXml],
            "error",
            "XML",
        ),
        (
            "entity-expansion",
            "amt-15.0",
            vec![EntityExpansion],
            "error",
            "XML",
        ),
        (
            "external-entity",
            "amt-15.0",
            vec![ExternalEntity],
            "error",
            "XML",
        ),
        (
            "deep-nesting",
            "amt-15.0",
            vec![DeepNesting],
            "error",
            "XML",
        ),
        ("control-chars", "amt-15.0", vec![ControlChars], "ok", ""),
        (
            "huge-relates-to",
            "amt-15.0",
            vec![HugeRelatesTo],
            "error",
            "RelatesTo",
        ),
        (
            "huge-namespace",
            "amt-15.0",
            vec![HugeNamespace],
            "error",
            "Envelope",
        ),
        (
            "wrong-content-type",
            "amt-15.0",
            vec![WrongContentType],
            "ok",
            "",
        ),
        (
            "http500",
            "amt-15.0",
            vec![Http500],
            "error",
            "no authenticated read",
        ),
        ("empty-400", "amt-15.0", vec![EmptyBadRequest], "error", ""),
        (
            "keepalive-close",
            "amt-15.0",
            vec![KeepAliveClose],
            "ok",
            "",
        ),
        (
            "digest-huge-nonce",
            "amt-15.0",
            vec![DigestHugeNonce],
            "error",
            "nonce",
        ),
        (
            "digest-unknown-algorithm",
            "amt-15.0",
            vec![DigestUnknownAlgorithm],
            "error",
            "Digest",
        ),
        (
            "digest-no-realm",
            "amt-15.0",
            vec![DigestNoRealm],
            "error",
            "Digest",
        ),
        (
            "digest-no-nonce",
            "amt-15.0",
            vec![DigestNoNonce],
            "error",
            "Digest",
        ),
        (
            "digest-non-ascii-realm",
            "amt-15.0",
            vec![DigestNonAsciiRealm],
            "error",
            "realm",
        ),
        (
            "digest-stale-forever",
            "amt-15.0",
            vec![DigestStaleForever],
            "auth_failed",
            "authentication failed",
        ),
        (
            "locked",
            "amt-15.0",
            vec![Locked],
            "auth_failed",
            "authentication failed",
        ),
    ]
}

/// Peak resident memory of a running process so far (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_hostile_fleet_is_scanned_within_its_budget() {
    let fleet_spec = hostile_fleet();
    let configs: Vec<DeviceConfig> = fleet_spec
        .iter()
        .map(|(_, profile, faults, _, _)| {
            let mut cfg = DeviceConfig::new(Profile::builtin(profile).unwrap(), any_port());
            cfg.faults = faults.clone();
            cfg.without_tls()
        })
        .collect();
    let fleet = start_fleet(configs).await.unwrap();
    let targets: Vec<String> = fleet.devices.iter().map(|d| d.addr().to_string()).collect();
    let label_of: HashMap<String, usize> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i))
        .collect();

    let (timeout, host_timeout) = (2.0, 6.0);
    let args: Vec<String> = [
        "scan",
        "--format",
        "jsonl",
        "--no-progress",
        "--rmcp",
        "off",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(targets.iter().cloned())
    .chain(
        [
            "--password-env",
            PASSWORD_VAR,
            "--timeout",
            &timeout.to_string(),
            "--host-timeout",
            &host_timeout.to_string(),
            "--auth-fail-limit",
            "0",
        ]
        .iter()
        .map(|s| s.to_string()),
    )
    .collect();
    let started = Instant::now();
    let (out, peak_kib) = tokio::task::spawn_blocking(move || {
        let child = amtready_bin()
            .args(&args)
            .env(PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let watcher = {
            let peak = peak.clone();
            std::thread::spawn(move || {
                while let Some(kib) = peak_rss_kib(pid) {
                    peak.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        let out = child.wait_with_output().unwrap();
        let _ = watcher.join();
        (out, peak.load(std::sync::atomic::Ordering::Relaxed))
    })
    .await
    .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");

    let mut failures = Vec::new();
    let mut seen = 0;
    for line in stdout.lines() {
        let rec: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let target = rec["target"].as_str().unwrap();
        let Some(&i) = label_of.get(target) else {
            continue;
        };
        seen += 1;
        let (label, profile, _, status, reason) = &fleet_spec[i];
        let error = rec["error"].as_str().unwrap_or("");
        assert!(
            !error.contains('\n') && !error.contains('\r'),
            "{label}: {error:?}"
        );
        assert!(
            error.chars().count() <= 400,
            "{label}: {} chars",
            error.len()
        );
        if rec["status"] != *status || !error.contains(reason) {
            failures.push(format!(
                "{label}: expected {status} with {reason:?}, got {} {error:?}",
                rec["status"]
            ));
        }
        if *status == "ok" {
            let want = Profile::builtin(profile).unwrap().version;
            if rec["amt"]["version"] != want.as_str() {
                failures.push(format!(
                    "{label}: version {} not {want}",
                    rec["amt"]["version"]
                ));
            }
        }
    }
    assert_eq!(seen, fleet_spec.len(), "{stdout}\n{stderr}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every host is bounded by --host-timeout, all run at once: the scan
    // takes one host budget plus set-up, not the sum of the stalls.
    assert!(
        took < Duration::from_secs_f64(host_timeout * 2.0 + 5.0),
        "{took:?}"
    );
    // A 100 MiB body, an endless one, a billion laughs and 3 MiB of RelatesTo
    // must not show in memory: each read stops at the 4 MiB cap.
    assert!(
        peak_kib > 0 && peak_kib < 256 * 1024,
        "peak RSS {peak_kib} KiB"
    );
    eprintln!(
        "hostile fleet: {} hosts in {took:?}, peak RSS {peak_kib} KiB",
        seen
    );

    // Table and markdown of the same run: no raw control character from
    // the control-chars device, and one line per host row.
    let jsonl = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(jsonl.path(), stdout.as_bytes()).unwrap();
    for format in ["table", "markdown", "csv"] {
        let out = amtready_bin()
            .args(["report", jsonl.path().to_str().unwrap(), "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains('\u{1b}'), "{format}: raw escape");
        assert!(
            !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "{format}"
        );
        assert!(
            !text.contains("\nFAKE-LINE") && !text.contains("\r\nFAKE"),
            "{format}"
        );
        assert!(
            text.contains("FAKE-LINE"),
            "{format}: the text is shown, escaped"
        );
        let longest = text.lines().map(str::len).max().unwrap_or(0);
        assert!(longest < 4000, "{format}: a line of {longest} bytes");
    }
    fleet.shutdown().await;
}

/// A TLS handshake that never comes: unreachable within the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_tls_handshake_is_unreachable_in_time() {
    let mut cfg = DeviceConfig::new(Profile::builtin("amt-15.0").unwrap(), any_port())
        .with_tls(mock_amt::tls::TlsKind::Modern, 0);
    cfg.faults = vec![Fault::TlsStall];
    cfg.plain = false;
    let dev = start_device(cfg).await.unwrap();
    let tls = dev.tls_addr().unwrap();
    let endpoint = Endpoint::https("127.0.0.1", tls.port());
    let mut opts = ClientOptions {
        limits: CallLimits {
            deadline: Duration::from_secs(2),
            body_cap: 1 << 20,
        },
        connect_timeout: Duration::from_secs(2),
        host_deadline: Duration::from_secs(6),
        ..ClientOptions::default()
    };
    opts.tls_mode = amtready::amt::TlsMode::On;
    let started = Instant::now();
    let record = read_host(&AmtClient::new(opts).unwrap(), &endpoint, None, "t").await;
    assert!(started.elapsed() < Duration::from_secs(7));
    assert_eq!(record.status, Some(HostStatus::Unreachable), "{record:?}");
    dev.shutdown().await;
}

/// A TCP server on loopback that greets every connection as an SSH server
/// does. After the first client (which spoke something else), later ones
/// get nothing when `penalize`: OpenSSH's PerSourcePenalties, which is how a
/// TLS handshake tried after the plain read came to time out in the field.
/// Returns the address and the number of connections taken so far.
async fn ssh_like(penalize: bool) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(any_port()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let taken = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&taken);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let nth = counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if penalize && nth > 0 {
                    let mut sink = [0u8; 512];
                    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                    return;
                }
                let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
                let mut line = [0u8; 512];
                let _ = stream.read(&mut line).await;
                let _ = stream
                    .write_all(b"Invalid SSH identification string.\r\n")
                    .await;
            });
        }
    });
    (addr, taken)
}

fn fast_client() -> AmtClient {
    AmtClient::new(ClientOptions {
        limits: CallLimits {
            deadline: Duration::from_secs(3),
            body_cap: 4 * 1024 * 1024,
        },
        host_deadline: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(1),
        ..ClientOptions::default()
    })
    .unwrap()
}

fn assert_not_amt_in_the_clear(record: &amtready::facts::FactsRecord, port: u16) {
    assert_eq!(record.status, Some(HostStatus::NotAmt), "{record:?}");
    let amt = record.amt.as_ref().expect("the port read is recorded");
    assert_eq!(amt.scheme.as_deref(), Some("http"), "{record:?}");
    assert_eq!(amt.port, Some(port), "{record:?}");
    let error = record.error.as_deref().unwrap_or_default();
    assert!(error.contains("not HTTP"), "{error}");
}

/// Issue 23, case 7: bytes that are neither HTTP nor TLS are the answer: the
/// host is `not_amt` on the plain port it was read on, and no TLS handshake
/// is tried on top (it could only cost seconds and overwrite the finding).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssh_banner_is_not_amt_at_once_without_a_tls_attempt() {
    let (addr, taken) = ssh_like(false).await;
    let endpoint = Endpoint::http("127.0.0.1", addr.port());
    for creds in [None, Some(creds())] {
        let before = taken.load(std::sync::atomic::Ordering::SeqCst);
        let record = read_host(&fast_client(), &endpoint, creds.as_ref(), "ssh").await;
        assert_not_amt_in_the_clear(&record, addr.port());
        let error = record.error.unwrap();
        assert!(!error.contains("https"), "no TLS fallback: {error}");
        assert_eq!(
            taken.load(std::sync::atomic::Ordering::SeqCst) - before,
            1,
            "one connection, the plain one: {error}"
        );
    }
}

/// Issue 23, case 7: where a TLS attempt after the plain read would fail (the
/// SSH server penalizes the address that sent it HTTP, so the handshake
/// times out), the record still says what the plain read proved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_plain_read_proved_survives_a_tls_port_that_goes_silent() {
    let (addr, _) = ssh_like(true).await;
    let endpoint = Endpoint::http("127.0.0.1", addr.port());
    let record = read_host(&fast_client(), &endpoint, Some(&creds()), "ssh").await;
    assert_not_amt_in_the_clear(&record, addr.port());
    let error = record.error.unwrap();
    assert!(!error.contains("timed out"), "{error}");
}
