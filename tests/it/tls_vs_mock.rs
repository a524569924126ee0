//! The client's TLS against the in-process mock: every mock TLS mode, every
//! trust policy, the legacy fallback and when it must not happen.

use crate::common;

use std::path::Path;
use std::time::Duration;

use amtready::amt::{read_host, AmtClient, ClientOptions, TlsMode};
use amtready::facts::{FactsRecord, HostStatus};
use amtready::wsman::tls::{ClientIdentity, Fingerprint};
use amtready::wsman::{CallLimits, Endpoint, TlsPolicy};
use mock_amt::{test_pki, DeviceHandle, TlsKind};

fn mock_ca() -> TlsPolicy {
    let pki = test_pki().unwrap();
    TlsPolicy::ca_pem(pki.ca_pem().as_bytes(), Path::new("mock CA")).unwrap()
}

fn client_identity() -> ClientIdentity {
    let pki = test_pki().unwrap();
    ClientIdentity::from_pem(
        pki.client_cert_pem().as_bytes(),
        pki.client_key_pem().as_bytes(),
    )
    .unwrap()
}

fn client(tls: TlsPolicy, mode: TlsMode) -> AmtClient {
    AmtClient::new(ClientOptions {
        limits: CallLimits {
            deadline: Duration::from_secs(20),
            body_cap: 4 * 1024 * 1024,
        },
        connect_timeout: Duration::from_secs(5),
        tls,
        tls_mode: mode,
        ..ClientOptions::default()
    })
    .unwrap()
}

async fn read(client: &AmtClient, dev: &DeviceHandle) -> FactsRecord {
    let addr = dev.tls_addr().unwrap();
    let endpoint = Endpoint::https(addr.ip().to_string(), addr.port());
    read_host(
        client,
        &endpoint,
        Some(&common::mock_credentials()),
        &addr.to_string(),
    )
    .await
}

#[tokio::test]
async fn modern_tls_is_read_with_the_ca_and_gives_certificate_facts() {
    let dev = common::tls_only_device("amt-15.0", TlsKind::Modern).await;
    let record = read(&client(mock_ca(), TlsMode::On), &dev).await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    let amt = record.amt.unwrap();
    assert_eq!(amt.scheme.as_deref(), Some("https"));
    assert_eq!(amt.port, Some(dev.tls_addr().unwrap().port()));
    let tls = amt.tls.unwrap();
    assert!(
        matches!(tls.protocol.as_deref(), Some("tls-1.3" | "tls-1.2")),
        "{tls:?}"
    );
    assert_eq!(tls.legacy, Some(false));
    let cert = tls.certificate.unwrap();
    let p = dev.profile();
    let fqdn = format!("{}.{}", p.hostname, p.domain);
    assert_eq!(cert.san_dns, [fqdn.clone(), p.hostname.clone()]);
    assert_eq!(cert.common_name.as_deref(), Some(fqdn.as_str()));
    assert_eq!(cert.san_ip, ["127.0.0.1"]);
    assert_eq!(cert.key_type.as_deref(), Some("rsa"));
    assert_eq!(cert.key_bits, Some(2048));
    assert_eq!(cert.self_signed, Some(false));
    assert!(cert.issuer.unwrap().contains("mock-amt test CA"));
    assert_eq!(
        cert.signature_algorithm.as_deref(),
        Some("sha256WithRSAEncryption")
    );
    assert_eq!(tls.chain.len(), 1, "the CA follows the leaf");
    assert_eq!(tls.chain[0].is_ca, Some(true));
    let settings = amt.tls_settings.unwrap();
    assert_eq!(settings.enabled, Some(true));
    assert_eq!(settings.accept_non_secure_connections, Some(false));
    dev.shutdown().await;
}

#[cfg(feature = "legacy-tls")]
#[tokio::test]
async fn legacy_only_firmware_is_read_over_tls_1_0() {
    let dev = common::tls_only_device("amt-7.1", TlsKind::Legacy).await;
    let record = read(&client(mock_ca(), TlsMode::On), &dev).await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    let amt = record.amt.unwrap();
    assert_eq!(amt.version.as_deref(), Some("7.1.91"));
    let tls = amt.tls.unwrap();
    assert_eq!(tls.protocol.as_deref(), Some("legacy-1.0"));
    assert_eq!(tls.legacy, Some(true));
    assert!(
        tls.cipher.as_deref().unwrap().starts_with("TLS_RSA_WITH_"),
        "{tls:?}"
    );
    // With the legacy path turned off, the same device cannot be read, and
    // says why in one line.
    let record = read(&client(mock_ca().with_legacy(false), TlsMode::On), &dev).await;
    assert_eq!(record.status, Some(HostStatus::Unreachable), "{record:?}");
    let error = record.error.unwrap();
    assert!(error.contains("legacy TLS"), "{error}");
    dev.shutdown().await;
}

#[tokio::test]
async fn the_legacy_path_is_never_used_where_modern_tls_works() {
    // A 3.x-8.x profile speaks legacy whatever the mode; every other one is
    // modern and must be read with rustls even though legacy is allowed.
    for (profile, kind) in [
        ("amt-15.0", TlsKind::Modern),
        ("amt-11.8", TlsKind::Expired),
        ("amt-16.1", TlsKind::SelfSigned),
    ] {
        let dev = common::tls_only_device(profile, kind).await;
        let policy = TlsPolicy::dangerous().skip_verify();
        assert!(policy.legacy_allowed() == cfg!(feature = "legacy-tls"));
        let record = read(&client(policy, TlsMode::On), &dev).await;
        assert_eq!(record.status, Some(HostStatus::Ok), "{profile}: {record:?}");
        let tls = record.amt.unwrap().tls.unwrap();
        assert_eq!(tls.legacy, Some(false), "{profile}: {tls:?}");
        assert!(tls.protocol.unwrap().starts_with("tls-1."));
        dev.shutdown().await;
    }
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let dev = common::tls_only_device("amt-15.0", TlsKind::Mtls).await;
    let without = read(&client(mock_ca(), TlsMode::On), &dev).await;
    assert_ne!(without.status, Some(HostStatus::Ok), "{without:?}");
    assert_eq!(dev.stats().requests, 0, "nothing reached the router");
    let with = read(
        &client(
            mock_ca().with_client_identity(client_identity()),
            TlsMode::On,
        ),
        &dev,
    )
    .await;
    assert_eq!(with.status, Some(HostStatus::Ok), "{with:?}");
    let settings = with.amt.unwrap().tls_settings.unwrap();
    assert_eq!(settings.mutual_authentication, Some(true));
    dev.shutdown().await;
}

#[tokio::test]
async fn expired_and_self_signed_are_refused_by_the_ca_but_read_on_first_use() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, why) in [
        (TlsKind::Expired, "expired (device certificate sha256:"),
        (TlsKind::SelfSigned, "not issued by a trusted CA"),
    ] {
        let dev = common::tls_only_device("amt-15.0", kind).await;
        let refused = read(&client(mock_ca(), TlsMode::On), &dev).await;
        assert_eq!(
            refused.status,
            Some(HostStatus::TlsUntrusted),
            "{refused:?}"
        );
        let error = refused.error.unwrap();
        assert!(error.contains(why), "{error}");
        assert_eq!(dev.stats().requests, 0, "no request to an untrusted device");
        // The refused certificate is still described, for the rules and for
        // the admin who decides to pin it.
        let seen = refused.amt.unwrap().tls.unwrap();
        assert_eq!(seen.protocol, None);
        let fp = seen.certificate.unwrap().sha256.unwrap();
        assert!(error.contains(&fp), "{error} names {fp}");

        let tofu = dir.path().join(format!("tofu-{kind}.txt"));
        let trusted = read(
            &client(TlsPolicy::tofu_file(&tofu).unwrap(), TlsMode::On),
            &dev,
        )
        .await;
        assert_eq!(trusted.status, Some(HostStatus::Ok), "{trusted:?}");
        let cert = trusted.amt.unwrap().tls.unwrap().certificate.unwrap();
        let not_after = time::OffsetDateTime::parse(
            cert.not_after.as_deref().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let now = time::OffsetDateTime::now_utc();
        match kind {
            TlsKind::Expired => assert!(not_after < now),
            _ => {
                assert!(not_after > now);
                assert_eq!(cert.self_signed, Some(true));
            }
        }
        let text = std::fs::read_to_string(&tofu).unwrap();
        assert_eq!(text, format!("127.0.0.1 {}\n", cert.sha256.unwrap()));
        dev.shutdown().await;
    }
}

#[tokio::test]
async fn a_certificate_changed_since_first_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tofu = dir.path().join("tofu.txt");
    let first = common::tls_only_device("amt-15.0", TlsKind::Modern).await;
    let learnt = read(
        &client(TlsPolicy::tofu_file(&tofu).unwrap(), TlsMode::On),
        &first,
    )
    .await;
    assert_eq!(learnt.status, Some(HostStatus::Ok), "{learnt:?}");
    // The same run trusts it again; a later run reads the file back.
    let again = read(
        &client(TlsPolicy::tofu_file(&tofu).unwrap(), TlsMode::On),
        &first,
    )
    .await;
    assert_eq!(again.status, Some(HostStatus::Ok), "{again:?}");
    first.shutdown().await;
    // Another certificate on the same host: a replaced device, or someone
    // in the middle.
    let second = common::tls_only_device("amt-15.0", TlsKind::Modern).await;
    let refused = read(
        &client(TlsPolicy::tofu_file(&tofu).unwrap(), TlsMode::On),
        &second,
    )
    .await;
    assert_eq!(
        refused.status,
        Some(HostStatus::TlsUntrusted),
        "{refused:?}"
    );
    let error = refused.error.unwrap();
    assert!(error.contains("changed since first use"), "{error}");
    assert_eq!(second.stats().requests, 0);
    second.shutdown().await;
}

#[tokio::test]
async fn a_pinned_device_with_a_changed_certificate_fails_clearly() {
    let dev = common::tls_only_device("amt-15.0", TlsKind::Modern).await;
    let wrong = Fingerprint([7; 32]);
    let record = read(&client(TlsPolicy::pin(wrong), TlsMode::On), &dev).await;
    assert_eq!(record.status, Some(HostStatus::TlsUntrusted), "{record:?}");
    let error = record.error.unwrap();
    assert!(error.contains("does not match the pin"), "{error}");
    assert!(error.contains(&wrong.to_string()), "{error}");

    // The right pin, as the facts of an earlier read give it, works.
    let insecure = read(
        &client(TlsPolicy::dangerous().skip_verify(), TlsMode::On),
        &dev,
    )
    .await;
    let fp: Fingerprint = insecure
        .amt
        .unwrap()
        .tls
        .unwrap()
        .certificate
        .unwrap()
        .sha256
        .unwrap()
        .parse()
        .unwrap();
    let record = read(&client(TlsPolicy::pin(fp), TlsMode::On), &dev).await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    dev.shutdown().await;
}

/// A plain target on a TLS-only port under `--tls auto`: what the port sends
/// back to plain HTTP (an alert, a close) is not HTTP, yet it is no reason
/// to call the device `not_amt`; it is read over TLS on the same port.
#[tokio::test]
async fn a_plain_target_on_a_tls_only_port_is_read_over_tls_in_auto() {
    let dev = common::tls_only_device("amt-16.1", TlsKind::Modern).await;
    let addr = dev.tls_addr().unwrap();
    let endpoint = Endpoint::http(addr.ip().to_string(), addr.port());
    let record = read_host(
        &client(mock_ca(), TlsMode::Auto),
        &endpoint,
        Some(&common::mock_credentials()),
        &addr.to_string(),
    )
    .await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    let amt = record.amt.unwrap();
    assert_eq!(amt.scheme.as_deref(), Some("https"));
    assert_eq!(amt.port, Some(addr.port()));
    // What made auto go on to TLS: the port answers plain HTTP in TLS.
    let plain_only = read_host(
        &client(mock_ca(), TlsMode::Off),
        &endpoint,
        Some(&common::mock_credentials()),
        &addr.to_string(),
    )
    .await;
    let error = plain_only.error.unwrap_or_default();
    assert!(error.contains("TLS record"), "{error}");
    dev.shutdown().await;
}
