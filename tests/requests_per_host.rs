//! Requests per full inventory, read from the mock's own counters: every
//! read that gives a fact, and nothing more. Issue 9 asked for at most 6 on
//! AMT 15 (from 9): the probe is the unauthenticated first leg of Digest and
//! enumerations come optimized, so it is one probe plus one request per class
//! read. AMT_TLSSettingData, read since for the TLS facts, is the seventh.

use std::net::SocketAddr;

use amtready::amt::{read_host, AmtClient, ClientOptions};
use amtready::facts::HostStatus;
use amtready::wsman::{Credentials, Endpoint, Password};
use mock_amt::{start_device, DeviceConfig, Profile};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_inventory_costs_at_most_six_requests_and_keeps_every_fact() {
    let client = AmtClient::new(ClientOptions::default()).unwrap();
    let creds = Credentials {
        user: mock_amt::DEFAULT_USER.into(),
        password: Password::new(mock_amt::DEFAULT_PASSWORD),
    };
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
            // Probe + SoftwareIdentity, SetupAndConfiguration, HostBasedSetup,
            // GeneralSettings, ProvisioningCertificateHash, TLSSettingData.
            assert!(stats.requests <= 7, "{name}: {} requests", stats.requests);
        }
        dev.shutdown().await;
    }
    eprintln!("requests per full inventory: {}", report.join(", "));
}
