//! End-to-end TLS: the `amtready` binary against one mixed fleet that has every
//! mock TLS mode, on AMT's real ports (16992/16993) on loopback addresses of
//! this suite's own range (127.10.0.0/16), so `--tls auto` is tested as an
//! admin would use it: targets without a port.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Output;

use mock_amt::{start_fleet, test_pki, DeviceConfig, Fleet, Profile, TlsKind};
use serde_json::Value;

const PASSWORD_VAR: &str = "AMTREADY_E2E_TLS_PASSWORD";

/// One device of the mixed fleet: where, which firmware, which TLS.
struct Spec {
    last_octet: u8,
    profile: &'static str,
    tls: Option<TlsKind>,
}

const FLEET: &[Spec] = &[
    // AMT 16.1 as shipped: TLS only on 16993, 16992 closed.
    Spec {
        last_octet: 1,
        profile: "amt-16.1",
        tls: None,
    },
    Spec {
        last_octet: 2,
        profile: "amt-15.0",
        tls: Some(TlsKind::Modern),
    },
    // 3.x-8.x firmware with TLS on speaks TLS 1.0 with RSA key exchange only.
    Spec {
        last_octet: 3,
        profile: "amt-7.1",
        tls: Some(TlsKind::Legacy),
    },
    Spec {
        last_octet: 4,
        profile: "amt-11.8",
        tls: Some(TlsKind::Mtls),
    },
    Spec {
        last_octet: 5,
        profile: "amt-15.0",
        tls: Some(TlsKind::Expired),
    },
    Spec {
        last_octet: 6,
        profile: "amt-15.0",
        tls: Some(TlsKind::SelfSigned),
    },
    // Never provisioned for TLS: plain HTTP on 16992 only.
    Spec {
        last_octet: 7,
        profile: "amt-5.2.10",
        tls: None,
    },
];

fn ip(subnet: u8, last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 10, subnet, last))
}

/// The fleet on 127.10.`subnet`.x, each device on 16992 and/or 16993 with
/// TLS as it says (and 16992 closed where TLS is on).
async fn start(subnet: u8) -> Fleet {
    let configs = FLEET
        .iter()
        .map(|s| {
            let listen = SocketAddr::new(ip(subnet, s.last_octet), 16992);
            let cfg = DeviceConfig::new(Profile::builtin(s.profile).unwrap(), listen);
            match s.tls {
                None => cfg,
                Some(kind) => {
                    let mut cfg = cfg.with_tls(kind, 16993);
                    cfg.plain = false;
                    cfg
                }
            }
        })
        .collect();
    start_fleet(configs).await.expect("fleet on 127.10.x.x")
}

async fn amtready(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_amtready"))
            .env("AMTREADY_NO_DNS", "1")
            .args(&args)
            .env(PASSWORD_VAR, mock_amt::DEFAULT_PASSWORD)
            .env_remove("AMTREADY_LOG")
            .output()
            .expect("the amtready binary runs")
    })
    .await
    .unwrap()
}

struct Files {
    _dir: tempfile::TempDir,
    ca: String,
    cert: String,
    key: String,
    tofu: String,
    pins: String,
}

fn files() -> Files {
    let pki = test_pki().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let ca = write("ca.pem", pki.ca_pem());
    let cert = write("client.pem", pki.client_cert_pem());
    let key = write("client.key", pki.client_key_pem());
    let tofu = dir.path().join("tofu.txt").to_string_lossy().into_owned();
    let pins = dir.path().join("pins.txt").to_string_lossy().into_owned();
    Files {
        _dir: dir,
        ca,
        cert,
        key,
        tofu,
        pins,
    }
}

fn scan(subnet: u8, files: &Files, trust: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = FLEET
        .iter()
        .map(|s| ip(subnet, s.last_octet).to_string())
        .collect();
    args.insert(0, "scan".into());
    for a in [
        "--format",
        "jsonl",
        "--no-rules",
        "--timeout",
        "20",
        "--password-env",
        PASSWORD_VAR,
        "--tls",
        "auto",
        "--client-cert",
        &files.cert,
        "--client-key",
        &files.key,
    ] {
        args.push(a.to_owned());
    }
    args.extend(trust.iter().map(|s| s.to_string()));
    args
}

fn records(out: &Output) -> Vec<Value> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}\n{stderr}")))
        .collect()
}

fn rec(recs: &[Value], subnet: u8, last: u8) -> Value {
    let target = ip(subnet, last).to_string();
    recs.iter()
        .find(|r| r["target"] == target)
        .unwrap_or_else(|| panic!("no record for {target}: {recs:?}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_mixed_fleet_every_tls_mode_trusted_on_first_use() {
    let fleet = start(1).await;
    let files = files();
    let out = amtready(scan(1, &files, &["--tofu", &files.tofu])).await;
    let recs = records(&out);
    assert_eq!(recs.len(), FLEET.len());
    for spec in FLEET {
        let r = rec(&recs, 1, spec.last_octet);
        assert_eq!(r["status"], "ok", "{}: {r}", spec.profile);
        let amt = &r["amt"];
        let tls_on = spec.tls.is_some() || spec.profile == "amt-16.1";
        if tls_on {
            assert_eq!(amt["port"], 16993, "{r}");
            assert_eq!(amt["scheme"], "https", "{r}");
            let expected = if spec.tls == Some(TlsKind::Legacy) {
                "legacy-1.0"
            } else {
                "tls-1.3"
            };
            assert_eq!(amt["tls"]["protocol"], expected, "{r}");
            assert!(amt["tls"]["certificate"]["sha256"].is_string(), "{r}");
        } else {
            assert_eq!(amt["port"], 16992, "{r}");
            assert_eq!(amt["scheme"], "http", "{r}");
            assert!(amt.get("tls").is_none(), "{r}");
        }
    }
    // AMT 16.1 found and read on 16993 with --tls auto, its version authenticated.
    let r161 = rec(&recs, 1, 1);
    assert_eq!(r161["amt"]["version"], "16.1.27");
    assert_eq!(r161["amt"]["source"], "wsman");
    let r_mtls = rec(&recs, 1, 4);
    assert_eq!(r_mtls["amt"]["tls_settings"]["mutual_authentication"], true);
    let expired = rec(&recs, 1, 5);
    let not_after = expired["amt"]["tls"]["certificate"]["not_after"]
        .as_str()
        .unwrap()
        .to_owned();
    let not_after =
        time::OffsetDateTime::parse(&not_after, &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert!(not_after < time::OffsetDateTime::now_utc());
    assert_eq!(
        rec(&recs, 1, 6)["amt"]["tls"]["certificate"]["self_signed"],
        true
    );
    // Six TLS devices learnt, one line each, and the admin is told to review.
    let learnt = std::fs::read_to_string(&files.tofu).unwrap();
    assert_eq!(learnt.lines().count(), 6, "{learnt}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("trusted 6 new device certificate(s)"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    // The next run trusts exactly what the file holds, and judges what TLS
    // showed (the default policies, rules on).
    let mut judged = scan(1, &files, &["--tofu", &files.tofu]);
    judged.retain(|a| a != "--no-rules");
    let again = amtready(judged).await;
    let recs = records(&again);
    assert!(recs.iter().all(|r| r["status"] == "ok"), "{recs:?}");
    assert!(!String::from_utf8_lossy(&again.stderr).contains("trusted"));
    let tls_rules = |last: u8| -> Vec<String> {
        let r = rec(&recs, 1, last);
        r["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("no findings array: {r}"))
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .filter(|id| id.starts_with("TLS-"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(tls_rules(5), ["TLS-CERT-VALIDITY"], "expired");
    assert_eq!(tls_rules(6), ["TLS-CERT-ISSUER"], "self-signed");
    assert_eq!(tls_rules(3), ["TLS-LEGACY"], "legacy");
    for modern in [1, 2, 4] {
        assert!(
            tls_rules(modern).is_empty(),
            "{modern}: {:?}",
            tls_rules(modern)
        );
    }
    assert!(tls_rules(7).is_empty(), "plain HTTP: no TLS rule applies");
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ca_refuses_expired_and_self_signed_and_pins_fail_clearly() {
    let fleet = start(2).await;
    let files = files();
    let out = amtready(scan(2, &files, &["--ca", &files.ca])).await;
    let recs = records(&out);
    for spec in FLEET {
        let r = rec(&recs, 2, spec.last_octet);
        match spec.tls {
            Some(TlsKind::Expired) | Some(TlsKind::SelfSigned) => {
                assert_eq!(r["status"], "tls_untrusted", "{r}");
                assert_eq!(r["amt"]["port"], 16993, "{r}");
            }
            _ => assert_eq!(r["status"], "ok", "{}: {r}", spec.profile),
        }
    }
    assert!(rec(&recs, 2, 5)["error"]
        .as_str()
        .unwrap()
        .contains("xpired"));
    // Untrusted, yet judged on what it showed: the expired certificate is a
    // finding even though nothing was read from the device.
    let mut judged = scan(2, &files, &["--ca", &files.ca]);
    judged.retain(|a| a != "--no-rules");
    let recs_judged = records(&amtready(judged).await);
    let expired = rec(&recs_judged, 2, 5);
    assert!(
        expired["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["rule"] == "TLS-CERT-VALIDITY")),
        "{expired}"
    );
    assert_eq!(out.status.code(), Some(4), "untrusted devices are unread");

    // Pins: the 15.0's right pin (as the first scan's facts give it), a wrong
    // one for the 16.1, none for the rest.
    let right = rec(
        &records(&amtready(scan(2, &files, &["--insecure-skip-verify"])).await),
        2,
        2,
    )["amt"]["tls"]["certificate"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = format!("sha256:{}", "ab".repeat(32));
    std::fs::write(
        &files.pins,
        format!("# reviewed\n127.10.2.2 {right}\n127.10.2.1 {wrong}\n"),
    )
    .unwrap();
    let out = amtready(scan(2, &files, &["--pins", &files.pins])).await;
    let recs = records(&out);
    assert_eq!(rec(&recs, 2, 2)["status"], "ok");
    let changed = rec(&recs, 2, 1);
    assert_eq!(changed["status"], "tls_untrusted", "{changed}");
    let error = changed["error"].as_str().unwrap();
    assert!(error.contains("does not match the pin"), "{error}");
    assert!(error.contains(&wrong), "{error}");
    let unpinned = rec(&recs, 2, 3);
    assert!(unpinned["error"]
        .as_str()
        .unwrap()
        .contains("no pin for host 127.10.2.3"));
    // The plain device needs no pin.
    assert_eq!(rec(&recs, 2, 7)["status"], "ok");
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_skip_verify_warns_and_tls_off_reads_plain_only() {
    let fleet = start(3).await;
    let files = files();
    let out = amtready(scan(3, &files, &["--insecure-skip-verify"])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("WARNING: --insecure-skip-verify"),
        "{stderr}"
    );
    assert!(records(&out).iter().all(|r| r["status"] == "ok"));

    let mut off = scan(3, &files, &["--ca", &files.ca]);
    let at = off.iter().position(|a| a == "auto").unwrap();
    off[at] = "off".into();
    let recs = records(&amtready(off).await);
    // TLS-only devices are unreachable on 16992; the plain one is read.
    assert_eq!(rec(&recs, 3, 1)["status"], "unreachable");
    assert_eq!(rec(&recs, 3, 7)["status"], "ok");
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_names_16993_is_read_over_tls() {
    // The first thing a new user tries: `amtready scan HOST:16993`.
    let listen = SocketAddr::new(ip(4, 1), 16992);
    let fleet = start_fleet(vec![DeviceConfig::new(
        Profile::builtin("amt-16.1").unwrap(),
        listen,
    )])
    .await
    .unwrap();
    let files = files();
    let args: Vec<String> = [
        "scan",
        "127.10.4.1:16993",
        "--format",
        "jsonl",
        "--no-rules",
        "--password-env",
        PASSWORD_VAR,
        "--ca",
        &files.ca,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let recs = records(&amtready(args).await);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r["status"], "ok", "{r}");
    assert_eq!(r["amt"]["scheme"], "https", "{r}");
    assert_eq!(r["amt"]["port"], 16993, "{r}");
    assert_eq!(r["amt"]["version"], "16.1.27", "{r}");
    fleet.shutdown().await;
}

/// Issue 24.5: a TOFU file with no room for another entry is never grown
/// past what the next run reads back. Its new devices stay untrusted, the
/// run says so once, and the next run still loads the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_tofu_file_is_never_outgrown() {
    const CAP: usize = 4 * 1024 * 1024;
    let fleet = start(5).await;
    let files = files();
    // A comment fills the file to a few bytes short of the cap.
    let full = format!("#{}\n", "x".repeat(CAP - 12));
    std::fs::write(&files.tofu, &full).unwrap();
    let out = amtready(scan(5, &files, &["--tofu", &files.tofu])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let recs = records(&out);
    for spec in FLEET {
        let r = rec(&recs, 5, spec.last_octet);
        if spec.tls.is_some() || spec.profile == "amt-16.1" {
            assert_eq!(r["status"], "tls_untrusted", "{r}");
            let error = r["error"].as_str().unwrap_or_default();
            assert!(error.contains("TOFU file is full"), "{error}");
        } else {
            assert_eq!(r["status"], "ok", "{r}");
        }
    }
    assert_eq!(
        stderr
            .matches("is full: 6 new device certificate(s)")
            .count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("trusted 6 new"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&files.tofu).unwrap(), full);

    let again = amtready(scan(5, &files, &["--tofu", &files.tofu])).await;
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_ne!(again.status.code(), Some(3), "{stderr}");
    assert_eq!(records(&again).len(), FLEET.len(), "{stderr}");
    fleet.shutdown().await;
}
