//! Out of band with the PC off (issue 28): each mock set-up gives exactly
//! its finding among the operational rules, and a healthy machine none. The
//! expectations are written from the documents the rules cite, not read
//! from the policy file.

use std::net::SocketAddr;

use amtready::amt::{read_host, AmtClient, ClientOptions};
use amtready::facts::{FactsRecord, HostStatus};
use amtready::rules::{Policy, PolicySet};
use amtready::wsman::{Credentials, Endpoint, Password};
use mock_amt::{start_device, start_fleet, DeviceConfig, Profile};

use crate::common;

const OPERATIONAL: [&str; 4] = [
    "AMT-WIRED-ONLY",
    "AMT-POWER-PACKAGE",
    "AMT-ADDRESSING",
    "AMT-CLOCK-SKEW",
];

async fn read(profile: &str) -> FactsRecord {
    let client = AmtClient::new(ClientOptions::default()).unwrap();
    let creds = Credentials {
        user: mock_amt::DEFAULT_USER.into(),
        password: Password::new(mock_amt::DEFAULT_PASSWORD),
    };
    let profile = Profile::builtin(profile).unwrap_or_else(|| panic!("{profile}"));
    let dev = start_device(
        DeviceConfig::new(profile, SocketAddr::from(([127, 0, 0, 1], 0))).without_tls(),
    )
    .await
    .unwrap();
    let endpoint = Endpoint::http(dev.addr().ip().to_string(), dev.addr().port());
    let record = read_host(&client, &endpoint, Some(&creds), "oob").await;
    dev.shutdown().await;
    record
}

/// The operational rules' findings and missing facts on a record, judged by
/// the default policies (the operational policy is among them).
fn operational(record: &FactsRecord) -> (Vec<String>, Vec<String>) {
    let evaluation = PolicySet::default_set().evaluate(record);
    let findings = evaluation
        .findings
        .iter()
        .filter(|f| OPERATIONAL.contains(&f.rule.as_str()))
        .map(|f| f.rule.clone())
        .collect();
    let missing = evaluation
        .missing
        .iter()
        .filter(|m| {
            [
                "amt.ethernet_ports",
                "amt.wired_8021x",
                "amt.power_packages",
                "amt.clock",
            ]
            .iter()
            .any(|fact| m.starts_with(fact))
        })
        .cloned()
        .collect();
    (findings, missing)
}

#[test]
fn the_policy_is_on_by_default() {
    assert!(amtready::rules::DEFAULT_POLICIES.contains(&"configmgr-2007-sp1-operational"));
    let policy = Policy::named("configmgr-2007-sp1-operational").unwrap();
    let ids: Vec<&str> = policy.rules().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, OPERATIONAL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_set_up_gives_exactly_its_finding() {
    let cases: [(&str, &[&str]); 11] = [
        ("amt-7.1+desktop", &[]),
        ("amt-7.1", &[]),
        ("amt-7.1+wireless-only", &["AMT-WIRED-ONLY"]),
        ("amt-5.2.10+wireless-only", &["AMT-WIRED-ONLY"]),
        ("amt-15.0+desktop+s0-only", &["AMT-POWER-PACKAGE"]),
        ("amt-3.2.1+static-shared-ip", &["AMT-ADDRESSING"]),
        ("amt-7.1+dot1x", &["AMT-WIRED-ONLY"]),
        ("amt-7.1+desktop+s0-only", &["AMT-POWER-PACKAGE"]),
        ("amt-7.1+static-shared-ip", &["AMT-ADDRESSING"]),
        ("amt-7.1+clock-skew=3600", &["AMT-CLOCK-SKEW"]),
        ("amt-7.1+clock-skew=-3600", &["AMT-CLOCK-SKEW"]),
    ];
    for (profile, expected) in cases {
        let record = read(profile).await;
        assert_eq!(record.status, Some(HostStatus::Ok), "{profile}: {record:?}");
        let (findings, missing) = operational(&record);
        assert_eq!(findings, expected, "{profile}");
        assert!(missing.is_empty(), "{profile}: {missing:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_generation_answers_as_its_firmware_did() {
    for name in Profile::builtin_names() {
        let profile = Profile::builtin(name).unwrap();
        let record = read(name).await;
        assert_eq!(record.status, Some(HostStatus::Ok), "{name}: {record:?}");
        let amt = record.amt.as_ref().unwrap();
        let (findings, missing) = operational(&record);
        assert!(findings.is_empty(), "{name}: {findings:?}");
        if profile.has_wsman() && profile.major() >= 3 {
            // A healthy laptop: wired link up, wireless down, no 802.1X,
            // ME on when off, DHCP, the clock right.
            assert!(missing.is_empty(), "{name}: {missing:?}");
            // The wired instance answered its Get: the enumeration of
            // every interface was not needed.
            let ports = amt.ethernet_ports.as_ref().unwrap();
            assert_eq!(ports.len(), 1, "{name}");
            assert_eq!(ports[0].interface.as_deref(), Some("wired"), "{name}");
            assert_eq!(ports[0].link_up, Some(true), "{name}");
            assert_eq!(amt.wired_8021x, Some(false), "{name}");
            let active: Vec<_> = amt
                .power_packages
                .as_ref()
                .unwrap()
                .iter()
                .filter(|p| p.active == Some(true))
                .collect();
            assert_eq!(active.len(), 1, "{name}");
            assert!(
                amt.clock.as_ref().unwrap().round_trip_ms().is_some(),
                "{name}"
            );
        } else {
            // AMT 2.x: no WS-Man, so the classes are unavailable; EOI's
            // GetInterfaceSettings stands in for the wired port, with no
            // link state, and what stays unknown is never passed.
            let ports = amt.ethernet_ports.as_ref().unwrap();
            assert_eq!(ports[0].dhcp_enabled, Some(true), "{name}");
            assert_eq!(ports[0].link_up, None, "{name}");
            for class in [
                "AMT_EthernetPortSettings",
                "AMT_SystemPowerScheme",
                "AMT_TimeSynchronizationService",
            ] {
                assert!(
                    amt.unavailable.iter().any(|c| c == class),
                    "{name}: {class}"
                );
            }
            assert!(
                !missing.is_empty(),
                "{name}: the rules must say what they lack"
            );
        }
    }
}

/// A saved scan is judged again the same way: the clock is compared as it
/// was measured, not against the day of the validation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_scan_is_judged_again_as_measured() {
    for (profile, expected) in [("amt-7.1", 0), ("amt-7.1+clock-skew=900", 1)] {
        let record = read(profile).await;
        let saved = serde_json::to_string(&record).unwrap();
        let mut back: FactsRecord = serde_json::from_str(&saved).unwrap();
        assert_eq!(back, record);
        assert_eq!(operational(&back).0.len(), expected, "{profile}");
        // Years later, the same verdict.
        let clock = back.amt.as_mut().unwrap().clock.as_mut().unwrap();
        assert!(clock.amt_unix.is_some());
        assert_eq!(operational(&back).0.len(), expected, "{profile}");
    }
}

/// The CLI end to end: `scan` writes each set-up's finding, and `validate`
/// of that file, run later, gives the same findings from the saved facts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_then_validate_gives_the_same_findings() {
    let profiles = [
        "amt-7.1+desktop",
        "amt-7.1+clock-skew=-7200",
        "amt-7.1+s0-only",
        "amt-7.1+dot1x+static-shared-ip",
    ];
    let configs: Vec<DeviceConfig> = profiles
        .iter()
        .map(|p| {
            DeviceConfig::new(
                Profile::builtin(p).unwrap(),
                SocketAddr::from(([127, 0, 0, 1], 0)),
            )
        })
        .collect();
    let fleet = start_fleet(configs).await.unwrap();
    let addrs: Vec<SocketAddr> = fleet.devices.iter().map(|d| d.addr()).collect();
    let out = common::amtready(common::scan_args(&addrs, &[])).await;
    let scanned = common::records(&out);
    assert_eq!(scanned.len(), profiles.len(), "{out:?}");
    let saved = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(saved.path(), &out.stdout).unwrap();
    let out = common::amtready(vec![
        "validate".into(),
        saved.path().to_str().unwrap().into(),
        "--format".into(),
        "jsonl".into(),
    ])
    .await;
    let validated = common::records(&out);
    let operational = |rec: &serde_json::Value| -> Vec<String> {
        common::rules_of(rec)
            .into_iter()
            .filter(|r| OPERATIONAL.contains(&r.as_str()))
            .collect()
    };
    for (dev, profile) in fleet.devices.iter().zip(profiles) {
        let target = dev.addr().to_string();
        let find = |records: &[serde_json::Value]| {
            records
                .iter()
                .find(|r| r["target"] == target)
                .cloned()
                .unwrap_or_else(|| panic!("{profile}: no record"))
        };
        let (scan, later) = (find(&scanned), find(&validated));
        let expected: &[&str] = match profile {
            "amt-7.1+desktop" => &[],
            "amt-7.1+clock-skew=-7200" => &["AMT-CLOCK-SKEW"],
            "amt-7.1+s0-only" => &["AMT-POWER-PACKAGE"],
            _ => &["AMT-ADDRESSING", "AMT-WIRED-ONLY"],
        };
        assert_eq!(operational(&scan), expected, "{profile}: {scan}");
        assert_eq!(operational(&later), expected, "{profile}: {later}");
        assert!(
            scan["amt"]["clock"]["scanner_sent_unix_ms"].is_i64(),
            "{profile}"
        );
    }
}
