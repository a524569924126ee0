//! The client against the in-process mock-amt: one WS-Management profile,
//! one EOI-only profile, the probe alone, and a wrong password.

use std::net::SocketAddr;
use std::time::Duration;

use amtready::amt::{read_host, AmtClient, ClientOptions};
use amtready::facts::{
    ControlMode, FactSource, FactsRecord, HostStatus, ProvisioningMode, ProvisioningState,
};
use amtready::wsman::{CallLimits, Credentials, Endpoint, Password, TlsPolicy};
use mock_amt::{start_device, DeviceConfig, DeviceHandle, Profile};

/// A device and the password it accepts.
async fn device(profile: &str) -> (DeviceHandle, Profile, String) {
    let profile = Profile::builtin(profile).unwrap_or_else(|| panic!("no profile {profile}"));
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let config = DeviceConfig::new(profile.clone(), listen);
    let password = config.password.clone();
    let handle = start_device(config).await.unwrap();
    (handle, profile, password)
}

/// Trusts the mock's test CA: TLS-only firmware (16.1) is read over TLS.
fn mock_ca() -> TlsPolicy {
    let pki = mock_amt::test_pki().unwrap();
    TlsPolicy::ca_pem(pki.ca_pem().as_bytes(), std::path::Path::new("mock CA")).unwrap()
}

fn client() -> AmtClient {
    AmtClient::new(ClientOptions {
        limits: CallLimits {
            deadline: Duration::from_secs(20),
            body_cap: 4 * 1024 * 1024,
        },
        max_elements: 7,
        tls: mock_ca(),
        ..ClientOptions::default()
    })
    .unwrap()
}

fn creds(password: &str) -> Credentials {
    Credentials {
        user: mock_amt::DEFAULT_USER.into(),
        password: Password::new(password),
    }
}

async fn read(handle: &DeviceHandle, creds: Option<&Credentials>) -> FactsRecord {
    let addr = handle.addr();
    let endpoint = Endpoint::http(addr.ip().to_string(), addr.port());
    read_host(&client(), &endpoint, creds, &addr.to_string()).await
}

#[tokio::test]
async fn wsman_profile_is_read_in_full() {
    let (handle, profile, password) = device("amt-15.0").await;
    let record = read(&handle, Some(&creds(&password))).await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    assert_eq!(record.error, None);
    let amt = record.amt.unwrap();
    assert_eq!(amt.version.as_deref(), Some(profile.version.as_str()));
    assert_eq!(amt.source, Some(FactSource::Wsman));
    assert_eq!(amt.build, profile.build);
    assert_eq!(amt.sku, profile.sku);
    assert_eq!(
        amt.provisioning_state,
        ProvisioningState::from_wire(profile.provisioning_state.into())
    );
    assert_eq!(
        amt.provisioning_mode,
        profile
            .provisioning_mode
            .and_then(|m| ProvisioningMode::from_wire(m.into(), Some(15)))
    );
    assert_eq!(
        amt.control_mode,
        profile
            .control_mode
            .and_then(|m| ControlMode::from_wire(m.into()))
    );
    assert_eq!(amt.hostname.as_deref(), Some(profile.hostname.as_str()));
    assert_eq!(amt.domain.as_deref(), Some(profile.domain.as_str()));
    assert_eq!(amt.digest_realm.as_deref(), Some(profile.realm.as_str()));
    assert_eq!(
        amt.server_header.as_deref(),
        Some(profile.server_header.as_str())
    );
    if let Some(spec) = &profile.cert_hashes {
        // max_elements 7 forces several Pulls.
        let hashes = amt.cert_hashes.as_ref().unwrap();
        assert_eq!(hashes.len(), spec.count as usize);
        let disabled = hashes.iter().filter(|h| h.enabled == Some(false)).count();
        assert_eq!(disabled, spec.disabled as usize);
    }
    assert_eq!(amt.sources.get("hostname"), Some(&FactSource::Wsman));
    assert!(
        amt.unavailable.is_empty(),
        "nothing should be missing on 15.0: {:?}",
        amt.unavailable
    );
    let stats = handle.stats();
    assert_eq!(stats.failed_auth, 0);
    assert_eq!(
        stats.auth_challenges, 1,
        "one challenge, then the nonce is reused"
    );
}

#[tokio::test]
async fn eoi_only_profile_falls_back_to_get_core_version() {
    let (handle, profile, password) = device("amt-2.6").await;
    let record = read(&handle, Some(&creds(&password))).await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    let amt = record.amt.unwrap();
    assert_eq!(amt.version.as_deref(), Some(profile.version.as_str()));
    assert_eq!(amt.source, Some(FactSource::Eoi));
    assert_eq!(amt.hostname.as_deref(), Some(profile.hostname.as_str()));
    assert_eq!(amt.sources.get("hostname"), Some(&FactSource::Eoi));
    assert_eq!(amt.domain.as_deref(), Some(profile.domain.as_str()));
    assert!(amt.unavailable.iter().any(|c| c == "CIM_SoftwareIdentity"));
    assert_eq!(handle.stats().failed_auth, 0);
}

#[tokio::test]
async fn probe_alone_without_credentials() {
    let (handle, profile, _password) = device("amt-7.1").await;
    let record = read(&handle, None).await;
    assert_eq!(record.status, Some(HostStatus::Ok), "{record:?}");
    let amt = record.amt.unwrap();
    assert_eq!(amt.source, Some(FactSource::ServerHeader));
    assert_eq!(
        amt.server_header.as_deref(),
        Some(profile.server_header.as_str())
    );
    assert!(profile
        .server_header
        .ends_with(amt.version.as_deref().unwrap()));
    assert_eq!(amt.provisioning_state, None);
    assert_eq!(
        handle.stats().auth_challenges,
        0,
        "no authenticated call was made"
    );
}

#[tokio::test]
async fn wrong_password_is_one_failed_attempt() {
    let (handle, _profile, _password) = device("amt-8.1").await;
    let record = read(&handle, Some(&creds("not-the-password"))).await;
    assert_eq!(record.status, Some(HostStatus::AuthFailed), "{record:?}");
    let error = record.error.unwrap();
    assert!(!error.contains("not-the-password"));
    assert_eq!(handle.stats().failed_auth, 1, "exactly one failed attempt");
    // The banner still gives a version, marked as such.
    let amt = record.amt.unwrap();
    assert_eq!(amt.source, Some(FactSource::ServerHeader));
}

#[tokio::test]
async fn closed_port_is_unreachable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let record = read_host(
        &client(),
        &Endpoint::http("127.0.0.1", port),
        Some(&creds("x")),
        "closed",
    )
    .await;
    assert_eq!(record.status, Some(HostStatus::Unreachable));
    assert!(record.error.unwrap().contains("refused"));
}

#[tokio::test]
async fn every_builtin_profile_gives_its_version_and_state() {
    for name in Profile::builtin_names() {
        let (handle, profile, password) = device(name).await;
        let record = read(&handle, Some(&creds(&password))).await;
        assert_eq!(record.status, Some(HostStatus::Ok), "{name}: {record:?}");
        let amt = record.amt.unwrap();
        assert_eq!(
            amt.version.as_deref(),
            Some(profile.version.as_str()),
            "{name}"
        );
        assert_ne!(amt.source, Some(FactSource::ServerHeader), "{name}");
        // EOI-only firmware gives version and names; the state needs WS-Man.
        let state = ProvisioningState::from_wire(profile.provisioning_state.into());
        let expected = if profile.wsman { state } else { None };
        assert_eq!(amt.provisioning_state, expected, "{name}");
        assert_eq!(handle.stats().failed_auth, 0, "{name}");
    }
}

#[tokio::test]
async fn expired_nonce_is_renewed_without_a_failed_attempt() {
    let profile = Profile::builtin("amt-11.8").unwrap();
    let mut config = DeviceConfig::new(profile.clone(), "127.0.0.1:0".parse().unwrap());
    config.nonce_lifetime = Duration::from_millis(200);
    let password = config.password.clone();
    let handle = start_device(config).await.unwrap();
    let addr = handle.addr();
    let endpoint = Endpoint::http(addr.ip().to_string(), addr.port());
    let client = client();
    let transport = client.host_transport();
    let session = client.session(transport, &endpoint, &creds(&password));
    let limits = client.options().limits;

    let first = amtready::amt::software_identity::read(&session, &limits)
        .await
        .unwrap();
    assert_eq!(first.version(), Some(profile.version.as_str()));
    // Well past the nonce's lifetime: the device must answer stale="true".
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let second = amtready::amt::general_settings::read(&session, &limits)
        .await
        .unwrap();
    assert_eq!(second.hostname.as_deref(), Some(profile.hostname.as_str()));
    let stats = handle.stats();
    assert!(stats.stale_nonces >= 1, "{stats:?}");
    assert_eq!(stats.failed_auth, 0, "{stats:?}");
}

async fn read_with_fault(profile: &str, fault: mock_amt::Fault, limits: CallLimits) -> FactsRecord {
    let mut config = DeviceConfig::new(
        Profile::builtin(profile).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    );
    config.faults.push(fault);
    let password = config.password.clone();
    let handle = start_device(config).await.unwrap();
    let addr = handle.addr();
    let client = AmtClient::new(ClientOptions {
        limits,
        connect_timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    })
    .unwrap();
    let endpoint = Endpoint::http(addr.ip().to_string(), addr.port());
    read_host(&client, &endpoint, Some(&creds(&password)), "faulty").await
}

#[tokio::test]
async fn misbehaving_devices_become_statuses() {
    use mock_amt::Fault;
    let normal = CallLimits {
        deadline: Duration::from_secs(20),
        body_cap: 64 * 1024,
    };

    let r = read_with_fault(
        "amt-15.0",
        Fault::MissingClass("AMT_GeneralSettings".into()),
        normal,
    )
    .await;
    assert_eq!(r.status, Some(HostStatus::Ok), "{r:?}");
    let amt = r.amt.unwrap();
    assert_eq!(amt.unavailable, ["AMT_GeneralSettings"]);
    assert_eq!(amt.hostname, None, "no EOI on 15.0 to fall back to");
    assert_eq!(amt.source, Some(FactSource::Wsman));

    // Every SOAP call refused: nothing authenticated was read, so the host
    // was not inventoried (an error), though the banner is still reported
    // for what it is.
    let r = read_with_fault("amt-15.0", Fault::EmptyBadRequest, normal).await;
    assert_eq!(r.status, Some(HostStatus::Error), "{r:?}");
    assert!(
        r.error
            .as_deref()
            .unwrap()
            .contains("no authenticated read"),
        "{r:?}"
    );
    let amt = r.amt.unwrap();
    assert_eq!(amt.source, Some(FactSource::ServerHeader));
    assert!(amt.unavailable.iter().any(|c| c == "CIM_SoftwareIdentity"));

    let r = read_with_fault("amt-15.0", Fault::MalformedXml, normal).await;
    assert_eq!(r.status, Some(HostStatus::Error), "{r:?}");
    assert!(
        r.error.as_deref().unwrap().contains("CIM_SoftwareIdentity"),
        "{r:?}"
    );

    let r = read_with_fault("amt-15.0", Fault::OversizedBody(1024 * 1024), normal).await;
    assert_eq!(r.status, Some(HostStatus::Error), "{r:?}");
    assert!(r.error.as_deref().unwrap().contains("cap"), "{r:?}");

    let short = CallLimits {
        deadline: Duration::from_millis(800),
        body_cap: 64 * 1024,
    };
    let started = std::time::Instant::now();
    let r = read_with_fault("amt-15.0", Fault::Stall, short).await;
    assert_eq!(r.status, Some(HostStatus::Unreachable), "{r:?}");
    assert!(r.error.as_deref().unwrap().contains("--timeout"), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(10));

    let r = read_with_fault("amt-15.0", Fault::CloseImmediately, normal).await;
    assert_eq!(r.status, Some(HostStatus::Unreachable), "{r:?}");
}

/// A device awaiting setup answers the configuration classes but not power
/// or KVM (mock-amt's "Before setup" reading); the client reads all it needs
/// and Configuration Manager's view is Not Provisioned, as for the same
/// firmware before the mock modelled the restriction.
#[tokio::test]
async fn a_device_awaiting_setup_is_not_provisioned() {
    // 5.2 predates host-based setup (6.1): that class is missing either way.
    for (name, lacks) in [
        ("amt-15.0+pre", &[][..]),
        ("amt-11.8", &[][..]),
        ("amt-5.2.10", &["IPS_HostBasedSetupService"][..]),
    ] {
        let (handle, _, password) = device(name).await;
        let record = read(&handle, Some(&creds(&password))).await;
        assert_eq!(record.status, Some(HostStatus::Ok), "{name}: {record:?}");
        let amt = record.amt.as_ref().unwrap();
        assert_eq!(
            amt.provisioning_state,
            Some(ProvisioningState::Pre),
            "{name}"
        );
        assert_eq!(amt.unavailable, lacks, "{name}");
        let view = amtready::rules::amt_status(&record);
        assert_eq!(
            view.amt_status,
            amtready::facts::AmtStatus::NotProvisioned,
            "{name}: {}",
            view.reason
        );
        assert_eq!(view.sms_r_system_amtstatus, Some(2), "{name}");
        handle.shutdown().await;
    }
}
