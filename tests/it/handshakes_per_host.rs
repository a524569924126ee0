//! TCP connections and TLS handshakes per full inventory over TLS, read from
//! the mock's own counters (as `requests_per_host.rs` counts requests).
//!
//! AMT answers the unauthenticated probe's 401 with `Connection: close`, so a
//! host costs two connections whatever the scanner does. The second
//! handshake resumes the first one's session on the modern stack: the scan
//! shares one rustls configuration (and its session store) across hosts.
//! The legacy stack cannot resume from safe Rust (the `openssl` crate's
//! `set_session` is `unsafe`), so there the count to hold is attempts: no
//! refused modern handshake where the evidence says AMT 8 or older.

use crate::common;

use std::path::Path;

use amtready::amt::{read_host, AmtClient, ClientOptions, TlsMode};
use amtready::facts::HostStatus;
use amtready::wsman::{Endpoint, TlsPolicy};
use mock_amt::{test_pki, DeviceHandle, TlsKind};
// The legacy stack's counts: AMT 7.1 and older firmware, TLS 1.0.
#[cfg(feature = "legacy-tls")]
use {
    amtready::amt::{read_host_with, Discovered},
    mock_amt::{start_device, DeviceConfig, Profile},
    std::net::SocketAddr,
};

fn client() -> AmtClient {
    let pki = test_pki().unwrap();
    let tls = TlsPolicy::ca_pem(pki.ca_pem().as_bytes(), Path::new("mock CA")).unwrap();
    AmtClient::new(ClientOptions {
        tls,
        tls_mode: TlsMode::On,
        ..ClientOptions::default()
    })
    .unwrap()
}

fn endpoint(dev: &DeviceHandle) -> Endpoint {
    let addr = dev.tls_addr().unwrap();
    Endpoint::https(addr.ip().to_string(), addr.port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modern_tls_costs_one_full_handshake_per_host() {
    // TLS 1.3 resumes with a ticket, TLS 1.2 with the session ID.
    for (profile, kind) in [
        ("amt-15.0", TlsKind::Modern),
        ("amt-16.1", TlsKind::Modern),
        ("amt-15.0", TlsKind::Tls12),
    ] {
        // A client per device, as a scan has per address: rustls keys its
        // sessions by server name, which the port is not part of, and these
        // devices share 127.0.0.1 (a TLS 1.3 ticket left by the previous one
        // would be offered before the TLS 1.2 session ID).
        let client = client();
        let dev = common::tls_only_device(profile, kind).await;
        let record = read_host(
            &client,
            &endpoint(&dev),
            Some(&common::mock_credentials()),
            profile,
        )
        .await;
        let stats = dev.stats();
        dev.shutdown().await;
        assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
        // The probe's connection (closed after its 401) and the session's.
        assert_eq!(stats.connections, 2, "{profile}: {stats:?}");
        assert_eq!(stats.tls_handshakes, 2, "{profile}: {stats:?}");
        assert_eq!(stats.tls_resumed, 1, "{profile}: {stats:?}");
        assert_eq!(stats.tls_failed, 0, "{profile}: {stats:?}");
        // The resumed connection still reports the chain the first one verified.
        let tls = record.amt.unwrap().tls.unwrap();
        assert!(tls.certificate.is_some(), "{tls:?}");
        if kind == TlsKind::Tls12 {
            assert_eq!(tls.protocol.as_deref(), Some("tls-1.2"));
        }
    }
}

#[cfg(feature = "legacy-tls")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_tls_is_tried_first_only_on_evidence() {
    let client = client();
    // No evidence: the modern handshake is refused once, then the host stays
    // on the legacy stack.
    let dev = common::tls_only_device("amt-7.1", TlsKind::Legacy).await;
    let record = read_host(
        &client,
        &endpoint(&dev),
        Some(&common::mock_credentials()),
        "no-evidence",
    )
    .await;
    let stats = dev.stats();
    dev.shutdown().await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    assert_eq!(stats.tls_failed, 1, "{stats:?}");
    assert_eq!(stats.tls_handshakes, 2, "{stats:?}");
    assert_eq!(stats.connections, 3, "{stats:?}");
    let tls = record.amt.unwrap().tls.unwrap();
    assert_eq!(tls.legacy, Some(true));
    assert_eq!(tls.legacy_reason.as_deref(), Some("modern TLS refused"));

    // The RMCP pong said 7.1: one attempt per connection, no refusal.
    let dev = common::tls_only_device("amt-7.1", TlsKind::Legacy).await;
    let discovered = Discovered {
        legacy_evidence: Some("RMCP pong: AMT 7.1".into()),
        ..Discovered::default()
    };
    let record = read_host_with(
        &client,
        &endpoint(&dev),
        Some(&common::mock_credentials()),
        "evidence",
        &discovered,
    )
    .await;
    let stats = dev.stats();
    dev.shutdown().await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    assert_eq!(stats.tls_failed, 0, "{stats:?}");
    assert_eq!(stats.tls_handshakes, 2, "{stats:?}");
    assert_eq!(stats.connections, 2, "{stats:?}");
    let tls = record.amt.unwrap().tls.unwrap();
    assert_eq!(tls.legacy, Some(true));
    assert_eq!(tls.legacy_reason.as_deref(), Some("RMCP pong: AMT 7.1"));

    // Evidence that is wrong never costs a device its modern TLS: the legacy
    // stack is refused, and the modern one carries the read.
    let dev = common::tls_only_device("amt-15.0", TlsKind::Modern).await;
    let record = read_host_with(
        &client,
        &endpoint(&dev),
        Some(&common::mock_credentials()),
        "wrong-evidence",
        &discovered,
    )
    .await;
    dev.shutdown().await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    let tls = record.amt.unwrap().tls.unwrap();
    assert_eq!(tls.legacy, Some(false), "{tls:?}");
    assert_eq!(tls.legacy_reason, None);
}

/// The whole scan: the sweep's RMCP pong says 7.1, so the TLS read starts on
/// the legacy stack and the device sees no refused modern handshake.
#[cfg(feature = "legacy-tls")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_reads_an_amt_7_pong_over_legacy_tls_at_once() {
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut cfg = DeviceConfig::new(Profile::builtin("amt-7.1").unwrap(), listen)
        .with_tls(TlsKind::Legacy, 0);
    cfg.plain = false;
    cfg.rmcp_port = Some(0);
    let dev = start_device(cfg).await.unwrap();
    let rmcp_port = dev.rmcp_addr().expect("AMT 7.1 answers RMCP").port();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, test_pki().unwrap().ca_pem()).unwrap();
    let mut args = common::scan_args(&[dev.tls_addr().unwrap()], &[]);
    // scan_args turns RMCP and TLS off; this scan wants both.
    for (flag, value) in [("--rmcp", "on"), ("--tls", "on")] {
        let at = args.iter().position(|a| a == flag).unwrap();
        args[at + 1] = value.into();
    }
    args.extend([
        "--rmcp-port".into(),
        rmcp_port.to_string(),
        "--ca".into(),
        ca.display().to_string(),
    ]);
    let out = common::amtready(args).await;
    let records = common::records(&out);
    let stats = dev.stats();
    dev.shutdown().await;
    assert_eq!(records.len(), 1, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(records[0]["status"], "ok", "{}", records[0]);
    let tls = &records[0]["amt"]["tls"];
    assert_eq!(tls["legacy_reason"], "RMCP pong: AMT 7.1", "{tls}");
    assert_eq!(tls["protocol"], "legacy-1.0", "{tls}");
    assert_eq!(stats.tls_failed, 0, "{stats:?}");
    assert_eq!(stats.tls_handshakes, 2, "{stats:?}");
    // The sweep's connection carries the first handshake.
    assert_eq!(stats.connections, 2, "{stats:?}");
}
