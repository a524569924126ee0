//! Provisioning readiness, table-driven: every rule of the
//! `configmgr-2007-sp1-provisioning` and `intel-advisories` policies on facts
//! files and on mock devices set up for each case, and every AMT status value
//! Configuration Manager can show. Expectations are written by hand from the
//! documentation the rules cite, not read from the policy files.

use std::net::SocketAddr;
use std::process::Output;

use amtready::facts::FactsRecord;
use amtready::rules::{Evaluation, PolicySet, Severity, Verdict};
use mock_amt::{start_fleet, DeviceConfig, Profile};
use serde_json::{json, Value};

const PASSWORD_VAR: &str = "AMTREADY_PROVISIONING_TEST_PASSWORD";

fn evaluate(policies: &[&str], record: Value) -> Evaluation {
    let record: FactsRecord = serde_json::from_value(record).expect("test record");
    PolicySet::from_args(policies)
        .expect("built-in policies")
        .evaluate(&record)
}

fn rules_with(e: &Evaluation, severity: Severity) -> Vec<&str> {
    e.findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.rule.as_str())
        .collect()
}

/// An AMT 5.2.10 device that Configuration Manager can provision: every fact
/// the provisioning policy reads, read with credentials.
fn ready_device() -> Value {
    json!({"target": "t", "status": "ok",
        "amt": {"version": "5.2.10", "source": "wsman", "build": "1054",
                "provisioning_state": "pre", "provisioning_mode": "enterprise",
                "ztc_enabled": true, "network_interface_enabled": true,
                "dhcp_dns_suffix": "corp.example.com",
                "cert_hashes": [{"instance_id": "1", "hash_type": "sha1", "hash_hex": "ab", "enabled": true},
                                {"instance_id": "2", "hash_type": "sha1", "hash_hex": "cd", "enabled": false}]},
        "credentials": {"user": "admin", "password_given": true}})
}

fn with(mut record: Value, path: &[&str], value: Value) -> Value {
    let mut at = &mut record;
    for key in &path[..path.len() - 1] {
        at = &mut at[*key];
    }
    at[path[path.len() - 1]] = value;
    record
}

/// Every new rule, failing and passing, on facts records.
#[test]
fn every_provisioning_rule_on_facts_files() {
    let base = ready_device();
    let ready = evaluate(
        &["configmgr-2007-sp1", "configmgr-2007-sp1-provisioning"],
        base.clone(),
    );
    assert_eq!(ready.verdict, Verdict::Ready, "{ready:#?}");

    // (case, record, rule expected, its severity)
    let failing: Vec<(&str, Value, &str, Severity)> = vec![
        (
            "login refused: Detected",
            json!({"target": "t", "status": "auth_failed",
            "amt": {"version": "5.2.10", "source": "server_header"}}),
            "PROV-AMT-STATUS",
            Severity::Error,
        ),
        (
            "network interface closed: Not Supported",
            with(
                base.clone(),
                &["amt", "network_interface_enabled"],
                json!(false),
            ),
            "PROV-AMT-STATUS",
            Severity::Error,
        ),
        (
            "network interface disabled",
            with(
                base.clone(),
                &["amt", "network_interface_enabled"],
                json!(false),
            ),
            "PROV-NETWORK-INTERFACE",
            Severity::Error,
        ),
        (
            "already provisioned",
            with(base.clone(), &["amt", "provisioning_state"], json!("post")),
            "PROV-STATE",
            Severity::Warning,
        ),
        (
            "set-up half done",
            with(base.clone(), &["amt", "provisioning_state"], json!("in")),
            "PROV-STATE",
            Severity::Warning,
        ),
        (
            "small business mode",
            with(
                base.clone(),
                &["amt", "provisioning_mode"],
                json!("small_business"),
            ),
            "PROV-MODE",
            Severity::Error,
        ),
        (
            "remote connectivity mode",
            with(
                base.clone(),
                &["amt", "provisioning_mode"],
                json!("remote_connectivity"),
            ),
            "PROV-MODE",
            Severity::Error,
        ),
        (
            "zero touch off",
            with(base.clone(), &["amt", "ztc_enabled"], json!(false)),
            "PROV-REMOTE-CONFIG",
            Severity::Error,
        ),
        (
            "all hashes disabled",
            with(
                base.clone(),
                &["amt", "cert_hashes"],
                json!([{"instance_id": "1", "hash_type": "sha1", "hash_hex": "ab", "enabled": false}]),
            ),
            "PROV-ROOT-HASH",
            Severity::Error,
        ),
        (
            "no hashes",
            with(base.clone(), &["amt", "cert_hashes"], json!([])),
            "PROV-ROOT-HASH",
            Severity::Error,
        ),
        (
            "only SHA-256 before AMT 6.0",
            with(
                base.clone(),
                &["amt", "cert_hashes"],
                json!([{"instance_id": "1", "hash_type": "sha256", "hash_hex": "ab", "enabled": true}]),
            ),
            "PROV-ROOT-HASH",
            Severity::Error,
        ),
        (
            "blank DNS suffix",
            with(base.clone(), &["amt", "dhcp_dns_suffix"], json!("")),
            "PROV-DNS-SUFFIX",
            Severity::Error,
        ),
        (
            "weak password",
            with(
                base.clone(),
                &["credentials", "password_problems"],
                json!(["no digit"]),
            ),
            "PROV-PASSWORD",
            Severity::Error,
        ),
    ];
    for (case, record, rule, severity) in failing {
        let e = evaluate(
            &["configmgr-2007-sp1", "configmgr-2007-sp1-provisioning"],
            record,
        );
        assert!(
            rules_with(&e, severity).contains(&rule),
            "{case}: expected {rule} in {e:#?}"
        );
        if severity == Severity::Error {
            assert_eq!(e.verdict, Verdict::NotReady, "{case}: {e:#?}");
        }
        let finding = e.findings.iter().find(|f| f.rule == rule).unwrap();
        assert!(
            finding.document.is_some() && !finding.seed_section.is_empty(),
            "{case}: cited"
        );
        assert!(finding.fix.is_some(), "{case}: a fix");
    }

    // Provisioned devices need no remote configuration, hashes or suffix.
    let post = with(
        with(
            with(base.clone(), &["amt", "provisioning_state"], json!("post")),
            &["amt", "ztc_enabled"],
            json!(false),
        ),
        &["amt", "cert_hashes"],
        json!([]),
    );
    let e = evaluate(&["configmgr-2007-sp1-provisioning"], post);
    assert!(rules_with(&e, Severity::Error).is_empty(), "{e:#?}");

    // Facts the rules need and did not get are named.
    let bare =
        json!({"target": "t", "status": "ok", "amt": {"version": "5.2.10", "source": "wsman"}});
    let e = evaluate(&["configmgr-2007-sp1-provisioning"], bare);
    assert_eq!(e.verdict, Verdict::Unknown);
    for fact in [
        "amt.provisioning_state",
        "amt.provisioning_mode",
        "amt.network_interface_enabled",
        "amt.ztc_enabled",
        "amt.cert_hashes",
    ] {
        assert!(
            e.missing.iter().any(|m| m == fact),
            "{fact} in {:?}",
            e.missing
        );
    }
}

#[test]
fn intel_sa_00075_by_build_on_facts_files() {
    let cases = [
        ("6.2.50", Some("1062"), true),
        ("6.2.61", Some("3534"), true),
        ("6.2.61", Some("3535"), false),
        ("7.1.91", Some("3272"), false),
        ("8.1.40", Some("2551"), true),
        ("9.5.61.3012", None, false),
        ("11.6.27.3263", None, true),
        ("11.8.50.3425", None, false),
        ("5.2.10", Some("1054"), false),
    ];
    for (version, build, vulnerable) in cases {
        let mut amt = json!({"version": version, "source": "wsman"});
        if let Some(build) = build {
            amt["build"] = json!(build);
        }
        let e = evaluate(&["intel-advisories"], json!({"target": "t", "amt": amt}));
        assert_eq!(
            rules_with(&e, Severity::Error).contains(&"INTEL-SA-00075"),
            vulnerable,
            "{version} {build:?}: {e:#?}"
        );
    }
}

// ------------------------------------------------------------ mock devices

async fn amtready(args: Vec<String>, password: Option<&str>) -> Output {
    let password = password.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_amtready"));
        cmd.env("AMTREADY_NO_DNS", "1");
        cmd.args(&args).env_remove("AMTREADY_LOG");
        match password {
            Some(p) => cmd.env(PASSWORD_VAR, p),
            None => cmd.env_remove(PASSWORD_VAR),
        };
        cmd.output().expect("the amtready binary runs")
    })
    .await
    .expect("the CLI task joins")
}

fn records(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Scans `profiles` (with set-ups) with the mock's default credentials under
/// `policies`; returns each profile's record.
async fn scan(
    profiles: &[&str],
    policies: &[&str],
    password: Option<&str>,
) -> (Vec<(String, Value)>, Output) {
    let configs: Vec<DeviceConfig> = profiles
        .iter()
        .map(|name| {
            DeviceConfig::new(
                Profile::builtin(name).unwrap_or_else(|| panic!("{name}")),
                loopback(),
            )
        })
        .collect();
    let fleet = start_fleet(configs).await.expect("fleet on loopback");
    let mut args = vec!["scan".to_string()];
    args.extend(fleet.devices.iter().map(|d| d.addr().to_string()));
    args.extend(["--format", "jsonl", "--timeout", "5"].map(String::from));
    for policy in policies {
        args.extend(["--policy".to_string(), policy.to_string()]);
    }
    if password.is_some() {
        args.extend(["--password-env".to_string(), PASSWORD_VAR.to_string()]);
    }
    let out = amtready(args, password).await;
    let recs = records(&out);
    let by_profile = fleet
        .devices
        .iter()
        .zip(profiles)
        .map(|(dev, name)| {
            let target = dev.addr().to_string();
            let rec = recs
                .iter()
                .find(|r| r["target"] == target)
                .unwrap_or_else(|| panic!("{name}: no record in {recs:?}"))
                .clone();
            (name.to_string(), rec)
        })
        .collect();
    (by_profile, out)
}

fn rule_ids(rec: &Value, severity: &str) -> Vec<String> {
    rec["findings"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|f| f["severity"] == severity)
                .filter_map(|f| f["rule"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Every provisioning case on a mock device set up for it, and every AMT
/// status value Configuration Manager shows, with its query value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_on_mock_devices() {
    // (profile, AMT status, SMS_R_System.AMTStatus, verdict, rule that must fire)
    let cases: [(&str, &str, Value, &str, Option<&str>); 9] = [
        ("amt-5.2.10", "not_provisioned", json!(2), "ready", None),
        (
            "amt-8.1",
            "provisioned",
            json!(3),
            "not_ready",
            Some("PROV-STATE"),
        ),
        (
            "amt-5.2.10+provisioned-elsewhere",
            "detected",
            json!(1),
            "not_ready",
            Some("PROV-AMT-STATUS"),
        ),
        (
            "amt-5.2.10+nic-off",
            "not_supported",
            json!(0),
            "not_ready",
            Some("PROV-NETWORK-INTERFACE"),
        ),
        (
            "amt-5.2.10+small-business",
            "not_provisioned",
            json!(2),
            "not_ready",
            Some("PROV-MODE"),
        ),
        (
            "amt-5.2.10+ztc-off",
            "not_provisioned",
            json!(2),
            "not_ready",
            Some("PROV-REMOTE-CONFIG"),
        ),
        (
            "amt-5.2.10+hashes-disabled",
            "not_provisioned",
            json!(2),
            "not_ready",
            Some("PROV-ROOT-HASH"),
        ),
        (
            "amt-5.2.10+hashes-absent",
            "not_provisioned",
            json!(2),
            "not_ready",
            Some("PROV-ROOT-HASH"),
        ),
        (
            "amt-5.2.10+no-dns-suffix",
            "not_provisioned",
            json!(2),
            "not_ready",
            Some("PROV-DNS-SUFFIX"),
        ),
    ];
    let profiles: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let (recs, out) = scan(&profiles, &[], Some(mock_amt::DEFAULT_PASSWORD)).await;
    for ((name, rec), (_, status, value, verdict, rule)) in recs.iter().zip(&cases) {
        assert_eq!(rec["configmgr"]["amt_status"], *status, "{name}: {rec:#}");
        assert_eq!(rec["configmgr"]["sms_r_system_amtstatus"], *value, "{name}");
        assert_eq!(rec["verdict"], *verdict, "{name}: {rec:#}");
        if let Some(rule) = rule {
            let fired: Vec<String> = [rule_ids(rec, "error"), rule_ids(rec, "warning")].concat();
            assert!(fired.iter().any(|r| r == rule), "{name}: {rule} in {rec:#}");
        }
    }
    // The device provisioned elsewhere refused the login: its missing facts say so.
    let elsewhere = &recs[2].1;
    assert_eq!(elsewhere["status"], "auth_failed");
    assert!(
        elsewhere["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m.as_str().unwrap().contains("refused the credentials")),
        "{elsewhere:#}"
    );
    // The password given meets the rules, and is nowhere in the output.
    let everything = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!everything.contains(mock_amt::DEFAULT_PASSWORD));

    // Unknown (null): read without credentials, never ready.
    let (recs, _) = scan(&["amt-5.2.10"], &[], None).await;
    let rec = &recs[0].1;
    assert_eq!(rec["configmgr"]["amt_status"], "unknown");
    assert_eq!(rec["configmgr"]["sms_r_system_amtstatus"], Value::Null);
    assert_eq!(rec["verdict"], "unknown", "{rec:#}");
    assert!(
        rec["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m.as_str().unwrap().contains("Server header")),
        "{rec:#}"
    );
}

/// The provisioning account's password rules, checked on what `scan` was
/// given, and the password never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weak_password_is_a_finding_and_never_printed() {
    let weak = "weakpass";
    let mut config = DeviceConfig::new(Profile::builtin("amt-5.2.10").unwrap(), loopback());
    config.password = weak.to_string();
    let fleet = start_fleet(vec![config]).await.expect("device");
    let target = fleet.devices[0].addr().to_string();
    for format in ["jsonl", "table"] {
        let out = amtready(
            vec![
                "scan".into(),
                target.clone(),
                "--format".into(),
                format.into(),
                "--password-env".into(),
                PASSWORD_VAR.into(),
                "--timeout".into(),
                "5".into(),
            ],
            Some(weak),
        )
        .await;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("PROV-PASSWORD"), "{text}");
        assert!(
            text.contains("no upper-case letter") && text.contains("no digit"),
            "{text}"
        );
        assert!(!text.contains(weak), "the password leaked: {text}");
        assert_eq!(out.status.code(), Some(1), "{text}");
    }
}

/// INTEL-SA-00075 on the vulnerable and the fixed 6.2 firmware.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisory_on_mock_devices() {
    let (recs, _) = scan(
        &["amt-6.2", "amt-6.2.61"],
        &["intel-advisories"],
        Some(mock_amt::DEFAULT_PASSWORD),
    )
    .await;
    assert!(
        rule_ids(&recs[0].1, "error").contains(&"INTEL-SA-00075".to_string()),
        "{:#}",
        recs[0].1
    );
    assert!(rule_ids(&recs[1].1, "error").is_empty(), "{:#}", recs[1].1);
    assert_eq!(recs[1].1["verdict"], "ready");
}

fn advisory_ids(rec: &Value, severity: &str) -> Vec<String> {
    let mut ids: Vec<String> = rule_ids(rec, severity)
        .into_iter()
        .filter(|id| id.starts_with("INTEL-SA-") || id.starts_with("AMT-FW-3.2.1"))
        .collect();
    ids.sort();
    ids
}

/// The advisory table, on by default, against the built-in profiles: each
/// firmware gets exactly the advisories its build is in, at the severity
/// its row gives, and a three-part version without its build is missing the
/// build rather than passing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_advisory_table_judges_the_mock_firmware_by_default() {
    let profiles = ["amt-11.8", "amt-6.2", "amt-6.2.61", "amt-3.2.1", "amt-16.1"];
    let (recs, _) = scan(&profiles, &[], Some(mock_amt::DEFAULT_PASSWORD)).await;
    let by = |name: &str| &recs.iter().find(|(n, _)| n == name).unwrap().1;
    // 11.8.55.3510: before every 11.8 fix from INTEL-SA-00213 to 00404.
    let eleven = by("amt-11.8");
    assert_eq!(
        advisory_ids(eleven, "error"),
        [
            "INTEL-SA-00241",
            "INTEL-SA-00295",
            "INTEL-SA-00391",
            "INTEL-SA-00404"
        ],
        "{eleven:#}"
    );
    assert_eq!(
        advisory_ids(eleven, "warning"),
        ["INTEL-SA-00213"],
        "{eleven:#}"
    );
    assert_eq!(eleven["verdict"], "not_ready");
    let fix = eleven["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "INTEL-SA-00404")
        .and_then(|f| f["fix"].as_str())
        .unwrap_or("");
    assert!(fix.contains("11.8.79"), "{fix}");
    // 6.2.50 before the INTEL-SA-00075 fix; 6.2.61.3535 is that fix. Both
    // carry INTEL-SA-00112, which no build clears: info.
    assert_eq!(advisory_ids(by("amt-6.2"), "error"), ["INTEL-SA-00075"]);
    let fixed = by("amt-6.2.61");
    assert!(advisory_ids(fixed, "error").is_empty(), "{fixed:#}");
    assert!(advisory_ids(fixed, "warning").is_empty(), "{fixed:#}");
    assert_eq!(advisory_ids(fixed, "info"), ["INTEL-SA-00112"], "{fixed:#}");
    // 3.2.1: the self-signed certificate defect (a warning), ready still.
    let seed = by("amt-3.2.1");
    assert_eq!(
        advisory_ids(seed, "warning"),
        ["AMT-FW-3.2.1-SELF-SIGNED-CERT"]
    );
    assert_eq!(advisory_ids(seed, "info"), ["INTEL-SA-00112"]);
    // 16.1: nothing in the table.
    let new = by("amt-16.1");
    for severity in ["error", "warning", "info"] {
        assert!(advisory_ids(new, severity).is_empty(), "{new:#}");
    }

    // Without a password, 7.1's banner (`7.1.91`) gives no build:
    // INTEL-SA-00075 cannot tell it from the fixed 7.1.91.3272 and says so.
    let (recs, _) = scan(&["amt-7.1"], &[], None).await;
    let banner = &recs[0].1;
    assert!(advisory_ids(banner, "error").is_empty(), "{banner:#}");
    assert!(
        banner["missing"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .any(|m| m.starts_with("amt.build") && m.contains("7.1.91.3272")),
        "{banner:#}"
    );
    // Its only other advisory is the one every 7.x build is in.
    assert_eq!(
        advisory_ids(banner, "info"),
        ["INTEL-SA-00112"],
        "{banner:#}"
    );
}
