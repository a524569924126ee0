//! Every kind of body the mock serves validates against the XSDs in
//! `wsman-schemas/` (checked with `xmllint --schema`), and a body that breaks
//! firmware shape does not.

use crate::common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use mock_amt::{start_device, DeviceConfig, Fault, Profile, DEFAULT_PASSWORD, DEFAULT_USER};

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../wsman-schemas")
}

fn xmllint_available() -> bool {
    let ok = Command::new("xmllint").arg("--version").output().is_ok();
    if !ok {
        if std::env::var("AMTREADY_REQUIRE_PEERS").is_ok_and(|v| v == "1") {
            panic!("xmllint is not installed but AMTREADY_REQUIRE_PEERS=1");
        }
        loud("SKIPPING: `xmllint` is not installed; the XSD checks did NOT run");
    }
    ok
}

/// Runs xmllint on each file; returns (file, passed, output) per file.
fn validate(schema: &str, files: &[PathBuf]) -> Vec<(PathBuf, bool, String)> {
    files
        .iter()
        .map(|f| {
            let out = Command::new("xmllint")
                .arg("--noout")
                .arg("--schema")
                .arg(schema_dir().join(schema))
                .arg(f)
                .output()
                .expect("run xmllint");
            let text = String::from_utf8_lossy(&out.stderr).into_owned();
            (f.clone(), out.status.success(), text)
        })
        .collect()
}

struct Corpus {
    dir: tempfile::TempDir,
    soap12: Vec<PathBuf>,
    soap11: Vec<PathBuf>,
}

impl Corpus {
    fn add(&mut self, soap11: bool, name: &str, body: &[u8]) {
        let path = self.dir.path().join(format!(
            "{:03}-{name}.xml",
            self.soap12.len() + self.soap11.len()
        ));
        std::fs::write(&path, body).unwrap();
        if soap11 {
            self.soap11.push(path);
        } else {
            self.soap12.push(path);
        }
    }
}

const CLASSES: [(&str, &str); 15] = [
    (CIM, "CIM_SoftwareIdentity"),
    (AMT, "AMT_SetupAndConfigurationService"),
    (IPS, "IPS_HostBasedSetupService"),
    (AMT, "AMT_GeneralSettings"),
    (AMT, "AMT_ProvisioningCertificateHash"),
    (CIM, "CIM_AssociatedPowerManagementService"),
    (AMT, "AMT_TLSSettingData"),
    (CIM, "CIM_ServiceAvailableToElement"),
    (CIM, "CIM_PowerManagementService"),
    (AMT, "AMT_EthernetPortSettings"),
    (IPS, "IPS_KVMRedirectionSettingData"),
    (AMT, "AMT_8021XProfile"),
    (AMT, "AMT_SystemPowerScheme"),
    (CIM, "CIM_ElementSettingData"),
    (AMT, "AMT_TimeSynchronizationService"),
];

async fn collect(corpus: &mut Corpus, profile_name: &str) {
    // Raw HTTP over TCP: TLS-only profiles (16.1) are served plain here.
    let mut cfg = DeviceConfig::new(
        Profile::builtin(profile_name).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .without_tls();
    if profile_name == "amt-4.0" {
        // An empty hash list gives the empty-Items final page.
        cfg.profile.cert_hashes = None;
    }
    let d = start_device(cfg).await.unwrap();
    let addr: SocketAddr = d.addr();
    let p = d.profile().clone();
    let mut c = DigestClient::new(DEFAULT_USER, DEFAULT_PASSWORD);
    if p.has_wsman() {
        for (base, class) in CLASSES {
            let uri = format!("{base}{class}");
            let r = c
                .post(
                    addr,
                    "/wsman",
                    "",
                    envelope(GET, &uri, "uuid:s-get", "").as_bytes(),
                )
                .await;
            corpus.add(
                false,
                &format!("{profile_name}-get-{class}-{}", r.status),
                &r.body,
            );
            if r.status != 200 {
                continue;
            }
            let (pages, _) = enumerate_all(&mut c, addr, &uri, 3).await;
            for (i, page) in pages.iter().enumerate() {
                corpus.add(
                    false,
                    &format!("{profile_name}-pull{i}-{class}"),
                    &page.body,
                );
            }
        }
        let r = c
            .post(
                addr,
                "/wsman",
                "",
                envelope(
                    ENUMERATE,
                    &format!("{CIM}CIM_SoftwareIdentity"),
                    "0",
                    &enumerate_body(),
                )
                .as_bytes(),
            )
            .await;
        corpus.add(false, &format!("{profile_name}-enumerate"), &r.body);
        let r = c
            .post(
                addr,
                "/wsman",
                "",
                envelope(
                    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put",
                    &format!("{AMT}AMT_GeneralSettings"),
                    "7",
                    "",
                )
                .as_bytes(),
            )
            .await;
        assert_eq!(r.status, 400);
        corpus.add(false, &format!("{profile_name}-fault-action"), &r.body);
        let r = c
            .post(
                addr,
                "/wsman",
                "",
                envelope(
                    PULL,
                    &format!("{CIM}CIM_SoftwareIdentity"),
                    "8",
                    &pull_body("EE000000-0000-0000-0000-000000000000", 1),
                )
                .as_bytes(),
            )
            .await;
        assert_eq!(r.status, 400);
        corpus.add(false, &format!("{profile_name}-fault-context"), &r.body);
        let pms = format!("{CIM}CIM_PowerManagementService");
        // Power control answers only once the device is provisioned.
        let provisioned = p.provisioning_state() == 2;
        let r = c
            .post(
                addr,
                "/wsman",
                "",
                envelope(
                    &format!("{pms}/RequestPowerStateChange"),
                    &pms,
                    "9",
                    &format!("<p:RequestPowerStateChange_INPUT xmlns:p=\"{pms}\"><p:PowerState>8</p:PowerState></p:RequestPowerStateChange_INPUT>"),
                )
                .as_bytes(),
            )
            .await;
        assert_eq!(
            r.status,
            if provisioned { 200 } else { 400 },
            "{}",
            r.text()
        );
        corpus.add(false, &format!("{profile_name}-invoke-power"), &r.body);
        if p.major() >= 3 {
            let tss = format!("{AMT}AMT_TimeSynchronizationService");
            let r = c
                .post(
                    addr,
                    "/wsman",
                    "",
                    envelope(
                        &format!("{tss}/GetLowAccuracyTimeSynch"),
                        &tss,
                        "10",
                        &format!("<p:GetLowAccuracyTimeSynch_INPUT xmlns:p=\"{tss}\"></p:GetLowAccuracyTimeSynch_INPUT>"),
                    )
                    .as_bytes(),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            corpus.add(false, &format!("{profile_name}-invoke-clock"), &r.body);
        }
        if p.identify {
            let body = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\"><s:Header/><s:Body><i:Identify/></s:Body></s:Envelope>";
            let r = c.post(addr, "/wsman", "", body.as_bytes()).await;
            assert_eq!(r.status, 200);
            corpus.add(false, &format!("{profile_name}-identify"), &r.body);
        }
    }
    if p.has_eoi() {
        for (service, method) in [
            ("SecurityAdministration", "GetCoreVersion"),
            ("NetworkAdministration", "GetHostName"),
            ("NetworkAdministration", "GetDomainName"),
            ("RemoteControl", "GetSystemPowerState"),
            ("RemoteControl", "GetRemoteControlCapabilities"),
            ("RemoteControl", "NoSuchMethod"),
        ] {
            let ns = format!("http://schemas.intel.com/platform/client/{service}/2004/01");
            let body = format!("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><{method} xmlns=\"{ns}\"/></soap:Body></soap:Envelope>");
            let r = c
                .post(
                    addr,
                    &format!("/{service}Service"),
                    &format!("SOAPAction: \"{ns}#{method}\"\r\n"),
                    body.as_bytes(),
                )
                .await;
            corpus.add(
                true,
                &format!("{profile_name}-eoi-{method}-{}", r.status),
                &r.body,
            );
        }
    }
    d.shutdown().await;
}

#[tokio::test]
#[ignore = "needs xmllint: CI runs it"]
async fn every_served_body_validates_against_the_xsds() {
    if !xmllint_available() {
        return;
    }
    let mut corpus = Corpus {
        dir: tempfile::tempdir().unwrap(),
        soap12: Vec::new(),
        soap11: Vec::new(),
    };
    for profile in [
        "amt-2.6",
        "amt-3.0",
        "amt-4.0",
        "amt-5.0",
        "amt-5.2.10",
        "amt-7.1",
        "amt-8.1",
        "amt-11.8",
        "amt-16.1",
    ] {
        collect(&mut corpus, profile).await;
    }
    // A missing class injected as a fault gives the DestinationUnreachable body too.
    let mut cfg = DeviceConfig::new(
        Profile::builtin("amt-15.0").unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    );
    cfg.faults = vec![Fault::MissingClass("AMT_GeneralSettings".into())];
    let d = start_device(cfg).await.unwrap();
    let r = DigestClient::new(DEFAULT_USER, DEFAULT_PASSWORD)
        .post(
            d.addr(),
            "/wsman",
            "",
            envelope(GET, &format!("{AMT}AMT_GeneralSettings"), "uuid:m", "").as_bytes(),
        )
        .await;
    corpus.add(false, "amt-15.0-fault-missing", &r.body);
    d.shutdown().await;

    assert!(
        corpus.soap12.len() > 60,
        "collected {} WS-Man bodies",
        corpus.soap12.len()
    );
    assert!(
        corpus.soap11.len() >= 30,
        "collected {} EOI bodies",
        corpus.soap11.len()
    );
    let mut failures = Vec::new();
    for (schema, files) in [
        ("soap-envelope.xsd", &corpus.soap12),
        ("soap11-envelope.xsd", &corpus.soap11),
    ] {
        for (file, ok, out) in validate(schema, files) {
            if !ok {
                failures.push(format!("{}: {out}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "bodies failing their XSD:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
#[ignore = "needs xmllint: CI runs it"]
async fn the_xsds_reject_bodies_that_break_firmware_shape() {
    if !xmllint_available() {
        return;
    }
    let d = start_device(DeviceConfig::new(
        Profile::builtin("amt-15.0").unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let r = DigestClient::new(DEFAULT_USER, DEFAULT_PASSWORD)
        .post(
            d.addr(),
            "/wsman",
            "",
            envelope(GET, &format!("{AMT}AMT_GeneralSettings"), "uuid:n", "").as_bytes(),
        )
        .await;
    d.shutdown().await;
    let good = r.text();
    let dir = tempfile::tempdir().unwrap();
    // Properties out of ASCII order, a malformed realm, an unknown class in the Body.
    let swapped = good.replacen("<g:DDNSTTL>900</g:DDNSTTL>", "", 1).replacen(
        "</g:WsmanOnlyMode>",
        "</g:WsmanOnlyMode><g:DDNSTTL>900</g:DDNSTTL>",
        1,
    );
    let bad_realm = good.replacen("<g:DigestRealm>Digest:", "<g:DigestRealm>Digest:zz", 1);
    let unknown = good.replace("AMT_GeneralSettings>", "AMT_Unknown>");
    let mut files = Vec::new();
    for (name, body) in [
        ("good", &good),
        ("swapped", &swapped),
        ("realm", &bad_realm),
        ("unknown", &unknown),
    ] {
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, body).unwrap();
        files.push(path);
    }
    let results = validate("soap-envelope.xsd", &files);
    assert!(results[0].1, "the real body validates: {}", results[0].2);
    for (file, ok, _) in &results[1..] {
        assert!(!ok, "{} should fail validation", file.display());
    }
}

/// Writes straight to the process's stderr: the test harness captures
/// `eprintln!` of passing tests, and a skipped check must not go unnoticed.
fn loud(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n!!!!! {msg} !!!!!\n");
}
