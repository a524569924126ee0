//! Requests per full inventory, read from the mock's own counters: every
//! read that gives a fact, and nothing more. The probe is the
//! unauthenticated first leg of Digest; each Get is one request; each
//! enumeration is an Enumerate and a Pull, because AMT answers an Enumerate
//! that asks for `OptimizeEnumeration` with a context only (the evidence is
//! in mock-amt's `Profile::optimized_enumeration`). Against a service that
//! implements the optimization, as Windows' WinRM does, an enumeration is one
//! request. AMT_TLSSettingData is asked for only where TLS may be on: a
//! device the sweep saw refuse 16993 has TLS off, and its settings are known
//! without asking. The operational reads (issue 28) add a Get of the wired
//! AMT_EthernetPortSettings instance, a Get of the active power package, the
//! GetLowAccuracyTimeSynch call, and two enumerations: AMT_8021XProfile and
//! CIM_ElementSettingData.

use crate::common;

use std::net::SocketAddr;

use amtready::amt::{read_host, read_host_with, AmtClient, ClientOptions, Discovered};
use amtready::facts::{FactSource, HostStatus, TlsSettingsFacts};
use amtready::wsman::{Credentials, Endpoint, Password};
use mock_amt::{start_device, DeviceConfig, Profile};

fn client_and_mock_credentials() -> (AmtClient, Credentials) {
    let client = AmtClient::new(ClientOptions::default()).unwrap();
    let creds = Credentials {
        user: mock_amt::DEFAULT_USER.into(),
        password: Password::new(mock_amt::DEFAULT_PASSWORD),
    };
    (client, creds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_inventory_costs_one_request_per_get_and_two_per_enumeration() {
    let (client, creds) = client_and_mock_credentials();
    let mut report = Vec::new();
    for name in Profile::builtin_names() {
        let profile = Profile::builtin(name).unwrap();
        // Plain HTTP on every profile (16.1 is TLS-only by default): the
        // count is about HTTP requests, not the TLS handshake.
        let dev = start_device(
            DeviceConfig::new(profile.clone(), SocketAddr::from(([127, 0, 0, 1], 0))).without_tls(),
        )
        .await
        .unwrap();
        let endpoint = Endpoint::http(dev.addr().ip().to_string(), dev.addr().port());
        let record = read_host(&client, &endpoint, Some(&creds), name).await;
        let stats = dev.stats();
        assert_eq!(record.status, Some(HostStatus::Ok), "{name}: {record:?}");
        let amt = record.amt.unwrap();
        assert_eq!(
            amt.version.as_deref(),
            Some(profile.version.as_str()),
            "{name}"
        );
        if profile.has_wsman() && profile.has_class("AMT_SetupAndConfigurationService") {
            assert!(amt.provisioning_state.is_some(), "{name}: state kept");
        }
        if profile.has_wsman() && profile.has_class("AMT_ProvisioningCertificateHash") {
            assert!(amt.cert_hashes.is_some(), "{name}: hashes kept");
        }
        assert_eq!(stats.failed_auth, 0, "{name}");
        report.push(format!("{name}: {}", stats.requests));
        if name == "amt-15.0" || name == "amt-16.1" || name == "amt-11.8" {
            // Probe; Get SetupAndConfiguration, HostBasedSetup,
            // GeneralSettings, the wired EthernetPortSettings and the active
            // SystemPowerScheme; invoke GetLowAccuracyTimeSynch; Enumerate
            // and Pull SoftwareIdentity, ProvisioningCertificateHash,
            // TLSSettingData, 8021XProfile and ElementSettingData.
            assert_eq!(stats.requests, 1 + 5 + 1 + 5 * 2, "{name}");
        }
        dev.shutdown().await;
    }
    eprintln!("requests per full inventory: {}", report.join(", "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_refused_16993_is_not_asked_for_its_tls_settings() {
    let (client, creds) = client_and_mock_credentials();
    let read = |tls_refused, optimized_enumeration| {
        let client = client.clone();
        let creds = creds.clone();
        async move {
            let mut profile = Profile::builtin("amt-15.0").unwrap();
            profile.optimized_enumeration = optimized_enumeration;
            let dev = start_device(
                DeviceConfig::new(profile, SocketAddr::from(([127, 0, 0, 1], 0))).without_tls(),
            )
            .await
            .unwrap();
            let endpoint = Endpoint::http(dev.addr().ip().to_string(), dev.addr().port());
            let discovered = Discovered {
                plain_open: Some(true),
                tls_open: Some(false),
                tls_refused,
                ..Discovered::default()
            };
            let record = read_host_with(&client, &endpoint, Some(&creds), "d", &discovered).await;
            let requests = dev.stats().requests;
            dev.shutdown().await;
            assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
            (record.amt.unwrap(), requests)
        }
    };

    // 16993 refused: the class is not asked for, and the record says why.
    let (refused, requests) = read(true, false).await;
    assert_eq!(requests, 1 + 5 + 1 + 4 * 2);
    assert_eq!(
        refused.tls_settings,
        Some(TlsSettingsFacts {
            interface: Some("remote".into()),
            enabled: Some(false),
            mutual_authentication: None,
            accept_non_secure_connections: Some(true),
        })
    );
    assert_eq!(
        refused.sources.get("tls_settings"),
        Some(&FactSource::Sweep)
    );
    assert!(refused.cert_hashes.is_some() && refused.control_mode.is_some());

    // 16993 silent (filtered on the way, so TLS may be on): read, and the
    // device's own answer agrees with what the refusal told.
    let (silent, requests) = read(false, false).await;
    assert_eq!(requests, 1 + 5 + 1 + 5 * 2);
    assert_eq!(silent.sources.get("tls_settings"), Some(&FactSource::Wsman));
    let settings = silent.tls_settings.unwrap();
    assert_eq!(settings.enabled, Some(false));
    assert_eq!(settings.accept_non_secure_connections, Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_implements_optimized_enumeration_saves_the_pulls() {
    let (client, creds) = client_and_mock_credentials();
    let mut profile = Profile::builtin("amt-15.0").unwrap();
    profile.optimized_enumeration = true;
    let dev = start_device(
        DeviceConfig::new(profile, SocketAddr::from(([127, 0, 0, 1], 0))).without_tls(),
    )
    .await
    .unwrap();
    let endpoint = Endpoint::http(dev.addr().ip().to_string(), dev.addr().port());
    let record = read_host(&client, &endpoint, Some(&creds), "d").await;
    let requests = dev.stats().requests;
    dev.shutdown().await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    let amt = record.amt.unwrap();
    assert!(amt.cert_hashes.is_some() && amt.tls_settings.is_some() && amt.build.is_some());
    assert_eq!(requests, 1 + 5 + 1 + 5);
}

/// The sweep's connection to a device is handed to its read: the first
/// request (the probe) goes over it instead of a new TCP connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_connection_carries_the_probe() {
    for (with_credentials, connections) in [(true, 2), (false, 1)] {
        let profile = Profile::builtin("amt-15.0").unwrap();
        let dev = start_device(
            DeviceConfig::new(profile, SocketAddr::from(([127, 0, 0, 1], 0))).without_tls(),
        )
        .await
        .unwrap();
        let mut args = common::scan_args(&[dev.addr()], &[]);
        if !with_credentials {
            let at = args.iter().position(|a| a == "--password-env").unwrap();
            args.drain(at..at + 2);
        }
        let out = common::amtready(args).await;
        let records = common::records(&out);
        assert_eq!(records.len(), 1, "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(records[0]["status"], "ok", "{}", records[0]);
        let stats = dev.stats();
        dev.shutdown().await;
        // Sweep (handed over to the probe) and, with credentials, the
        // session after the probe's 401, which AMT sends with Connection: close.
        assert_eq!(
            stats.connections, connections,
            "credentials {with_credentials}: {stats:?}"
        );
    }
}
