//! One run judges everything: the site given with `--site` is judged once and
//! reported once, host rules get the site facts they need from it, and the
//! exit code covers both. The scans run the real binary against mock-amt
//! devices started in this process on loopback (ephemeral ports).

use crate::common;
use common::{amtready, PASSWORD_VAR};

use std::io::Write;
use std::path::Path;
use std::process::Output;

use amtready::facts::SiteFacts;
use amtready::report::render_with_site;
use amtready::report::{Format, ReportOptions};
use amtready::rules::PolicySet;
use mock_amt::{start_fleet, DeviceConfig, Profile};
use serde_json::{json, Value};

/// A site the seed supports in every respect, in native mode.
const GOOD_SITE: &str = r#"
mode = "native"
release = "complete"
upgrade_from = "SMS 2003 SP3"
service_point_os = "Windows Server 2003 SP2"
service_point_kbs = ["KB942841"]
console_os = "Windows XP Professional SP3"
sql = "SQL Server 2005 Enterprise SP2 x64"
"#;

fn run(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_amtready"))
        .env("AMTREADY_NO_DNS", "1")
        .args(args)
        .env_remove("AMTREADY_LOG")
        .output()
        .expect("the amtready binary runs")
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| {
                panic!(
                    "bad JSON line {l:?}: {e}\nstderr: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn sites(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["kind"] == "site").collect()
}

fn hosts(records: &[Value]) -> Vec<&Value> {
    records
        .iter()
        .filter(|r| r.get("target").is_some())
        .collect()
}

fn rules(record: &Value) -> Vec<String> {
    record["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|x| x["rule"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Starts `n` mock devices of a firmware the seed supports.
async fn supported_fleet(n: usize) -> (mock_amt::Fleet, Vec<String>) {
    let fleet = start_fleet(
        (0..n)
            .map(|_| {
                DeviceConfig::new(
                    Profile::builtin("amt-5.2.10").unwrap(),
                    "127.0.0.1:0".parse().unwrap(),
                )
            })
            .collect(),
    )
    .await
    .expect("fleet starts on loopback");
    let targets = fleet.devices.iter().map(|d| d.addr().to_string()).collect();
    (fleet, targets)
}

fn scan_args(targets: &[String], extra: &[&str]) -> Vec<String> {
    let mut args = vec!["scan".to_string()];
    args.extend(targets.iter().cloned());
    if !extra.contains(&"--format") {
        args.extend(["--format", "jsonl"].map(String::from));
    }
    args.extend(
        [
            "--password-env",
            PASSWORD_VAR,
            "--timeout",
            "5",
            "--no-progress",
            "--rmcp",
            "off",
        ]
        .map(String::from),
    );
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_native_mode_site_gives_the_windows_2000_host_the_native_mode_error() {
    // Host facts join by address, so each device has its own (127.15.x is this
    // suite's loopback range; port 0 keeps parallel runs apart).
    let fleet = start_fleet(
        ["127.15.2.1:0", "127.15.2.2:0"]
            .iter()
            .map(|a| DeviceConfig::new(Profile::builtin("amt-5.2.10").unwrap(), a.parse().unwrap()))
            .collect(),
    )
    .await
    .expect("fleet starts on loopback");
    let targets: Vec<String> = fleet.devices.iter().map(|d| d.addr().to_string()).collect();
    let dir = tempfile::tempdir().unwrap();
    let site = write(dir.path(), "site.toml", GOOD_SITE);
    // An inventory export in Configuration Manager's hardware-inventory column names.
    let inventory = write(
        dir.path(),
        "inventory.csv",
        "Netbios_Name0,IP_Addresses0,Caption0,CSDVersion0,SystemType0,inband_provisioning\r\n\
         PC-W2K,127.15.2.1,Microsoft Windows 2000 Professional,Service Pack 4,X86-based PC,false\r\n\
         PC-XP,127.15.2.2,Microsoft Windows XP Professional,Service Pack 3,X86-based PC,false\r\n",
    );
    let saved = dir.path().join("scan.jsonl").display().to_string();
    let out = amtready(scan_args(
        &targets,
        &[
            "--site",
            &site,
            "--host-facts",
            &inventory,
            "--output",
            &saved,
        ],
    ))
    .await;
    let scanned = lines(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the Windows 2000 host is not ready: {out:?}"
    );
    assert_eq!(
        scanned[0]["kind"], "site",
        "the site comes first: {scanned:?}"
    );
    assert_eq!(sites(&scanned).len(), 1);
    assert_eq!(scanned[0]["verdict"], "ready", "{}", scanned[0]);
    for host in hosts(&scanned) {
        assert!(host.get("site").is_none(), "no site copied into {host}");
        assert!(
            !host["not_checked"].to_string().contains("CONSOLE"),
            "site rules are not host rules: {host}"
        );
    }
    let host = |records: &[Value], target: &str| -> Value {
        hosts(records)
            .into_iter()
            .find(|h| h["target"] == target)
            .unwrap_or_else(|| panic!("{target} in {records:?}"))
            .clone()
    };
    let w2k = host(&scanned, &targets[0]);
    assert_eq!(w2k["verdict"], "not_ready", "{w2k}");
    // AMT 5.2.10 also carries INTEL-SA-00112 (info: no build clears it).
    assert_eq!(rules(&w2k), ["HOST-W2K-NATIVE", "INTEL-SA-00112"], "{w2k}");
    let xp = host(&scanned, &targets[1]);
    assert_eq!(xp["verdict"], "ready", "{xp}");

    // The saved scan, judged again with the same site and inventory, agrees.
    let out = amtready(vec![
        "validate".into(),
        saved,
        "--site".into(),
        site,
        "--host-facts".into(),
        inventory,
        "--format".into(),
        "jsonl".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let judged = lines(&out);
    assert_eq!(sites(&judged).len(), 1);
    assert_eq!(
        rules(&host(&judged, &targets[0])),
        ["HOST-W2K-NATIVE", "INTEL-SA-00112"]
    );
    assert_eq!(host(&judged, &targets[1])["verdict"], "ready");
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_on_xp_sp2_is_one_site_finding_and_the_run_is_not_ready() {
    let (fleet, targets) = supported_fleet(3).await;
    let dir = tempfile::tempdir().unwrap();
    let site = write(dir.path(), "site.toml", GOOD_SITE);
    let saved = dir.path().join("scan.jsonl").display().to_string();

    let without = amtready(scan_args(&targets, &[])).await;
    assert_eq!(
        without.status.code(),
        Some(0),
        "every host is ready: {without:?}"
    );

    // The file says SP3; the flag overrides it.
    let out = amtready(scan_args(
        &targets,
        &[
            "--site",
            &site,
            "--console-os",
            "Windows XP Professional SP2",
            "--output",
            &saved,
        ],
    ))
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "the site blocks the rollout: {out:?}"
    );
    let records = lines(&out);
    let site_records = sites(&records);
    assert_eq!(site_records.len(), 1, "{records:?}");
    assert_eq!(
        site_records[0]["site"]["console_os"],
        "Windows XP Professional SP2"
    );
    assert_eq!(
        site_records[0]["site"]["mode"], "native",
        "the file's other facts stay"
    );
    assert_eq!(rules(site_records[0]), ["CONSOLE-OOB-SP"]);
    assert_eq!(hosts(&records).len(), 3);
    for host in hosts(&records) {
        assert_eq!(host["verdict"], "ready", "{host}");
        assert!(!host.to_string().contains("CONSOLE-OOB-SP"), "{host}");
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("CONSOLE-OOB-SP").count(),
        1,
        "reported once: {text}"
    );

    // The table says it once, and the summary says why the rollout is not ready.
    let table = amtready(scan_args(
        &targets,
        &[
            "--site",
            &site,
            "--console-os",
            "Windows XP Professional SP2",
            "--format",
            "table",
        ],
    ))
    .await;
    assert_eq!(table.status.code(), Some(1));
    let table = String::from_utf8_lossy(&table.stdout);
    assert_eq!(table.matches("CONSOLE-OOB-SP").count(), 1, "{table}");
    assert!(
        table.contains("Site                not ready: 1 blocking finding"),
        "{table}"
    );
    assert!(table.contains("not ready: blocked by the site"), "{table}");

    // Judged again from the saved scan alone, and with the same site given:
    // the same results as the scan.
    let same_site = write(
        dir.path(),
        "xp-sp2.toml",
        &GOOD_SITE.replace("Windows XP Professional SP3", "Windows XP Professional SP2"),
    );
    for extra in [vec![], vec!["--site".to_string(), same_site]] {
        let mut args = vec![
            "validate".to_string(),
            saved.clone(),
            "--format".into(),
            "jsonl".into(),
        ];
        args.extend(extra);
        let again = amtready(args).await;
        assert_eq!(again.status.code(), Some(1), "{again:?}");
        let judged = lines(&again);
        assert_eq!(
            judged, records,
            "validate of the saved scan gives what the scan gave"
        );
    }
    fleet.shutdown().await;
}

#[test]
fn a_typo_in_the_site_file_is_a_usage_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let site = write(
        dir.path(),
        "site.toml",
        "mode = \"native\"\nconsle_os = \"Windows XP Professional SP3\"\n",
    );
    let facts = write(
        dir.path(),
        "f.jsonl",
        "{\"target\":\"a\",\"amt\":{\"version\":\"5.2.10\"}}\n",
    );
    for args in [
        vec!["scan", "127.0.0.1", "--site", &site],
        vec!["validate", &facts, "--site", &site],
        vec!["report", &facts, "--site", &site],
        vec!["site", "--site", &site],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("site.toml:2"), "{err}");
        assert!(err.contains("unknown key `consle_os`"), "{err}");
        assert!(err.contains("did you mean `console_os`"), "{err}");
        assert!(out.stdout.is_empty(), "nothing judged: {out:?}");
    }
}

#[test]
fn a_record_with_site_facts_inside_a_host_is_still_read() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/site-inside-host-records.jsonl"
    );
    let out = run(&["validate", fixture, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let records = lines(&out);
    assert_eq!(
        sites(&records).len(),
        1,
        "lifted out and judged once: {records:?}"
    );
    assert_eq!(records[0]["site"]["mode"], "native");
    assert_eq!(rules(&records[0]), ["CONSOLE-OOB-SP"]);
    let hosts = hosts(&records);
    assert_eq!(hosts.len(), 3);
    for host in &hosts {
        assert!(host.get("site").is_none(), "{host}");
        assert!(
            !rules(host).contains(&"CONSOLE-OOB-SP".to_string()),
            "{host}"
        );
    }
    assert_eq!(
        rules(hosts[1]),
        ["HOST-W2K-NATIVE", "INTEL-SA-00112"],
        "{}",
        hosts[1]
    );
    assert_eq!(rules(hosts[0]), ["INTEL-SA-00112"], "{}", hosts[0]);
    assert_ne!(hosts[0]["verdict"], "not_ready", "{}", hosts[0]);

    // The site flags win over the records' own site.
    let out = run(&[
        "validate",
        fixture,
        "--format",
        "jsonl",
        "--site-mode",
        "mixed",
        "--console-os",
        "Windows Vista Business SP1",
    ]);
    let records = lines(&out);
    assert_eq!(
        records[0]["site"],
        json!({"mode": "mixed", "console_os": "Windows Vista Business SP1"})
    );
    // Nothing is left but the AMT 5.2.10 advisory (info).
    assert!(
        hosts_of(&records)
            .iter()
            .all(|h| rules(h).iter().all(|r| r == "INTEL-SA-00112")),
        "{records:?}"
    );

    // Two different sites in one input: an input error naming both lines.
    let text = std::fs::read_to_string(fixture).unwrap();
    let mut file = tempfile::Builder::new()
        .suffix(".jsonl")
        .tempfile()
        .unwrap();
    file.write_all(
        text.replacen("\"mode\":\"native\"", "\"mode\":\"mixed\"", 1)
            .as_bytes(),
    )
    .unwrap();
    let out = run(&[
        "validate",
        file.path().to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":2:") && err.contains(":1;"), "{err}");
}

fn hosts_of(records: &[Value]) -> Vec<&Value> {
    hosts(records)
}

/// Every format: the site's finding appears once, in the site's own part.
#[test]
fn every_format_reports_the_site_once() {
    let input = (1..=4)
        .map(|i| format!("{{\"target\":\"10.0.0.{i}\",\"status\":\"ok\",\"amt\":{{\"version\":\"5.2.10\",\"source\":\"wsman\"}}}}\n"))
        .collect::<String>();
    let site = SiteFacts {
        console_os: Some("Windows XP Professional SP2".into()),
        mode: Some("native".into()),
        ..SiteFacts::default()
    };
    for format in [
        Format::Table,
        Format::Json,
        Format::Jsonl,
        Format::Csv,
        Format::Junit,
        Format::Markdown,
        Format::Html,
    ] {
        let mut out = Vec::new();
        let done = render_with_site(
            input.as_bytes(),
            "test",
            Some(&PolicySet::default_set()),
            Some(site.clone()),
            format,
            &ReportOptions::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(done.hosts, 4);
        assert_eq!(done.exit_code("test"), 1, "{format:?}: the site blocks");
        let text = String::from_utf8(out).unwrap();
        let once = match format {
            // One row: its blocking_rules, findings and fixes cells name the rule.
            Format::Csv => {
                text.lines()
                    .filter(|l| l.contains("CONSOLE-OOB-SP"))
                    .count()
                    == 1
            }
            // One test case: its failure's message, type and description name the rule.
            Format::Junit => {
                let failing: Vec<&str> = text
                    .split("<testcase")
                    .skip(1)
                    .filter(|case| case.contains("<failure"))
                    .collect();
                assert_eq!(failing.len(), 1, "one failing case, the site's: {text}");
                assert!(failing[0].contains("Configuration Manager site"));
                assert!(text.contains("<testsuite name=\"Configuration Manager 2007 SP1 site\""));
                true
            }
            _ => text.matches("CONSOLE-OOB-SP").count() == 1,
        };
        assert!(once, "{format:?} names the site finding once:\n{text}");
        match format {
            Format::Csv => {
                let second = text.lines().nth(1).unwrap();
                assert!(
                    second.starts_with("site,") && second.contains(",site,"),
                    "{second}"
                );
                assert!(text
                    .lines()
                    .next()
                    .unwrap()
                    .ends_with("record,site_facts,host_notes"));
            }
            Format::Html => assert!(text.contains("<section id=\"site\"")),
            Format::Markdown => assert!(text.contains("## Site: not ready")),
            Format::Table => assert!(text.starts_with("SITE ")),
            Format::Json => {
                let v: Vec<Value> = serde_json::from_str(&text).unwrap();
                assert_eq!(v[0]["kind"], "site");
                assert_eq!(v[5]["summary"]["site"]["blocking"], 1);
                assert_eq!(v[5]["summary"]["rollout"], "not_ready");
            }
            _ => {}
        }
    }
}
