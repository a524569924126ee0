//! Third-party proof of the mock's TLS: Debian's `openssl s_client` against
//! every TLS mode. Ignored in a plain `cargo test` (CI runs it with
//! `--include-ignored`); run, it skips loudly when openssl is missing, and
//! fails instead when `AMTREADY_REQUIRE_PEERS=1` (as CI sets it).

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use mock_amt::{start_device, test_pki, DeviceConfig, DeviceHandle, Profile, TlsKind};
use tokio::process::Command;

const TOOL_DEADLINE: Duration = Duration::from_secs(120);

fn openssl() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("openssl"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("AMTREADY_REQUIRE_PEERS").as_deref() != Ok("1"),
            "openssl is not installed but AMTREADY_REQUIRE_PEERS=1"
        );
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPING: openssl is not installed; the s_client check did NOT run ***\n"
        );
    }
    found
}

async fn device(profile: &str, kind: TlsKind) -> DeviceHandle {
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let cfg = DeviceConfig::new(Profile::builtin(profile).unwrap(), listen).with_tls(kind, 0);
    start_device(cfg).await.unwrap()
}

/// Runs `openssl s_client` against the device's TLS port with `extra`
/// arguments, sends `GET /` and returns everything it printed.
async fn s_client(openssl: &std::path::Path, dev: &DeviceHandle, extra: &[&str]) -> String {
    let port = dev.tls_addr().unwrap().port();
    let mut cmd = Command::new(openssl);
    cmd.args([
        "s_client",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-ign_eof",
    ])
    .args(extra)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    let mut child = cmd.spawn().expect("spawn openssl");
    if let Some(mut pipe) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        let _ = pipe.write_all(b"GET / HTTP/1.0\r\n\r\n").await;
    }
    let out = tokio::time::timeout(TOOL_DEADLINE, child.wait_with_output())
        .await
        .expect("s_client finished")
        .expect("s_client ran");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

struct Pem {
    _dir: tempfile::TempDir,
    ca: String,
    cert: String,
    key: String,
}

fn pem() -> Pem {
    let pki = test_pki().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    Pem {
        ca: write("ca.pem", pki.ca_pem()),
        cert: write("client.pem", pki.client_cert_pem()),
        key: write("client.key", pki.client_key_pem()),
        _dir: dir,
    }
}

const BANNER: &str = "Server: Intel(R) Active Management Technology";

#[tokio::test]
#[ignore = "needs openssl: CI runs it"]
async fn s_client_reads_every_modern_mode() {
    let Some(openssl) = openssl() else { return };
    let pem = pem();
    let dev = device("amt-15.0", TlsKind::Modern).await;
    let out = s_client(
        &openssl,
        &dev,
        &["-CAfile", &pem.ca, "-verify_return_error"],
    )
    .await;
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    assert!(out.contains("HTTP/1.1 303 See Other"), "{out}");
    assert!(out.contains(BANNER), "{out}");
    dev.shutdown().await;

    let dev = device("amt-15.0", TlsKind::Expired).await;
    let out = s_client(&openssl, &dev, &["-CAfile", &pem.ca]).await;
    assert!(
        out.contains("Verify return code: 10 (certificate has expired)"),
        "{out}"
    );
    assert!(out.contains(BANNER), "{out}");
    dev.shutdown().await;

    let dev = device("amt-15.0", TlsKind::SelfSigned).await;
    let out = s_client(&openssl, &dev, &["-CAfile", &pem.ca]).await;
    assert!(out.contains("Verify return code: 18 ("), "{out}");
    assert!(out.contains(BANNER), "{out}");
    dev.shutdown().await;
}

#[tokio::test]
#[ignore = "needs openssl: CI runs it"]
async fn s_client_needs_a_client_certificate_for_mtls() {
    let Some(openssl) = openssl() else { return };
    let pem = pem();
    let dev = device("amt-15.0", TlsKind::Mtls).await;
    let with = s_client(
        &openssl,
        &dev,
        &[
            "-CAfile",
            &pem.ca,
            "-verify_return_error",
            "-cert",
            &pem.cert,
            "-key",
            &pem.key,
        ],
    )
    .await;
    assert!(with.contains(BANNER), "{with}");
    let without = s_client(&openssl, &dev, &["-CAfile", &pem.ca]).await;
    assert!(!without.contains(BANNER), "{without}");
    assert_eq!(
        dev.stats().requests,
        1,
        "only the authenticated client got in"
    );
    dev.shutdown().await;
}

#[cfg(feature = "legacy-tls")]
#[tokio::test]
#[ignore = "needs openssl: CI runs it"]
async fn s_client_speaks_tls_1_0_with_rsa_key_exchange_to_legacy_firmware() {
    let Some(openssl) = openssl() else { return };
    let pem = pem();
    for (profile, kind) in [
        ("amt-7.1", TlsKind::Legacy),
        ("amt-5.2.10", TlsKind::Modern),
    ] {
        // A 3.x-8.x profile speaks legacy whatever the mode asks.
        let dev = device(profile, kind).await;
        let out = s_client(
            &openssl,
            &dev,
            &[
                "-CAfile",
                &pem.ca,
                "-verify_return_error",
                "-tls1",
                "-cipher",
                "AES128-SHA:@SECLEVEL=0",
            ],
        )
        .await;
        assert!(out.contains("Protocol  : TLSv1\n"), "{profile}: {out}");
        assert!(out.contains("Cipher    : AES128-SHA"), "{profile}: {out}");
        assert!(out.contains(BANNER), "{profile}: {out}");
        // A client that insists on TLS 1.2 gets nowhere, as with the real thing.
        let modern = s_client(&openssl, &dev, &["-CAfile", &pem.ca, "-tls1_2"]).await;
        assert!(!modern.contains(BANNER), "{profile}: {modern}");
        dev.shutdown().await;
    }
}
