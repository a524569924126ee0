//! The `validate`, `rules` and `site` commands run as the built binary, on
//! temporary facts and policy files.

use std::io::Write;
use std::process::{Command, Output};

use serde_json::Value;

fn amtready(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amtready"))
        .args(args)
        .output()
        .expect("run amtready")
}

fn temp_file(suffix: &str, content: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .suffix(suffix)
        .tempfile()
        .expect("temp file");
    file.write_all(content.as_bytes()).expect("write temp file");
    file
}

fn stdout_json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}

/// Ready under the default policies: a supported version and every
/// provisioning fact the provisioning policy reads.
const READY: &str = r#"{"target":"10.0.0.5","amt":{"version":"5.2.10.1023","provisioning_state":"pre","provisioning_mode":"enterprise","ztc_enabled":true,"network_interface_enabled":true,"dhcp_dns_suffix":"corp.example.com","cert_hashes":[{"instance_id":"1","hash_type":"sha1","hash_hex":"ab","enabled":true}]}}"#;
/// Ready under the seed's matrix alone, unknown under the default policies.
const VERSION_ONLY: &str = r#"{"target":"10.0.0.8","amt":{"version":"5.2.10.1023"}}"#;
const NOT_READY: &str = r#"{"target":"10.0.0.6","amt":{"version":"5.2.9"}}"#;
const UNKNOWN: &str = r#"{"target":"10.0.0.7","amt":{"version":"5.2"}}"#;

#[test]
fn jsonl_with_a_bad_line_reports_it_and_judges_the_rest() {
    let file = temp_file(".jsonl", &format!("{READY}\n{{not json\n{NOT_READY}\n"));
    let out = amtready(&[
        "validate",
        file.path().to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(":2:"), "line number in {stderr}");
    let records = stdout_json_lines(&out);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["target"], "10.0.0.5");
    assert_eq!(records[0]["verdict"], "ready");
    assert!(records[0]["not_checked"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "CLIENT-OS"));
    assert_eq!(records[1]["verdict"], "not_ready");
    assert_eq!(records[1]["findings"][0]["rule"], "AMT-FW-VERSION");
    assert_eq!(records[1]["findings"][0]["severity"], "error");
    assert_eq!(
        records[1]["findings"][0]["seed_section"],
        "Out of Band Management"
    );
}

#[test]
fn exit_codes_follow_the_verdicts() {
    let cases = [
        (READY.to_string(), 0),
        (format!("[{READY},{NOT_READY},{UNKNOWN}]"), 1),
        (format!("[{READY},{UNKNOWN}]"), 2),
        (format!("{UNKNOWN}\n{READY}\n"), 2),
        (
            READY
                .replace("5.2.10.1023", "4.1")
                .replace(",\"", ",\n  \""),
            0,
        ),
        (VERSION_ONLY.to_string(), 2),
    ];
    for (content, code) in cases {
        let file = temp_file(".json", &content);
        let out = amtready(&["validate", file.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(code), "{content}: {out:?}");
        let table = String::from_utf8_lossy(&out.stdout);
        assert!(
            table.contains("ready") || table.contains("unknown"),
            "table output: {out:?}"
        );
    }
    // The seed's matrix alone judges the version only.
    let version_only = temp_file(".json", VERSION_ONLY);
    let out = amtready(&[
        "validate",
        version_only.path().to_str().unwrap(),
        "--policy",
        "configmgr-2007-sp1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let unknown = temp_file(".json", UNKNOWN);
    let out = amtready(&[
        "validate",
        unknown.path().to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let record = &stdout_json_lines(&out)[0];
    assert_eq!(record["verdict"], "unknown");
    assert!(record["missing"][0]
        .as_str()
        .unwrap()
        .starts_with("amt.version"));
}

#[test]
fn input_errors_exit_3() {
    let out = amtready(&["validate", "/nonexistent/facts.json"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let broken_array = temp_file(".json", "[{\"target\": \"a\"}, ");
    let out = amtready(&["validate", broken_array.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}

#[test]
fn policy_override_and_bad_policy() {
    // A site policy that also accepts AMT 6.x firmware.
    let builtin = include_str!("../../src/rules/configmgr-2007-sp1.toml");
    let extended = format!(
        "{builtin}\n[[amt_supported]]\nfrom = \"6.0\"\nbelow = \"7.0\"\nseed = \"site addition\"\n"
    );
    let policy = temp_file(".toml", &extended);
    let facts = temp_file(".json", r#"{"target":"x","amt":{"version":"6.2.61.3535"}}"#);
    let facts_path = facts.path().to_str().unwrap();
    assert_eq!(amtready(&["validate", facts_path]).status.code(), Some(1));
    let out = amtready(&[
        "validate",
        facts_path,
        "--policy",
        policy.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let bad = temp_file(
        ".toml",
        "name = \"x\"\ndescription = \"y\"\n\n[[rule]]\nid = \"A\"\nkind = \"no-such-kind\"\n",
    );
    let out = amtready(&[
        "validate",
        facts_path,
        "--policy",
        bad.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(":6:"), "names line 6: {stderr}");
}

#[test]
fn rules_lists_every_rule() {
    let out = amtready(&["rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON array");
    for id in [
        "AMT-FW-VERSION",
        "CLIENT-OS",
        "HOST-RRAS",
        "SITE-OOB-SP-OS",
        "UPGRADE-PATH",
        "CLIENT-OS-FN6",
    ] {
        assert!(list.iter().any(|r| r["id"] == id), "{id}");
    }
    assert!(list
        .iter()
        .all(|r| !r["seed_section"].as_str().unwrap().is_empty()));
    let md = amtready(&["rules", "--format", "markdown"]);
    assert!(String::from_utf8_lossy(&md.stdout).starts_with("| Rule | Policy | Severity |"));
    // Wide enough that no source wraps; the table fits whatever it is given.
    for columns in [80, 400] {
        let table = Command::new(env!("CARGO_BIN_EXE_amtready"))
            .arg("rules")
            .env("COLUMNS", columns.to_string())
            .output()
            .expect("run amtready");
        let text = String::from_utf8_lossy(&table.stdout);
        assert!(text.lines().all(|l| l.chars().count() <= columns), "{text}");
        if columns == 400 {
            assert!(text.contains(
                "Configuration Manager 2007 SP1 Supported Configurations — Out of Band Management"
            ));
        }
    }
}

#[test]
fn site_checks_the_site_side_alone() {
    let out = amtready(&[
        "site",
        "--service-point-os",
        "Windows Server 2003 Standard Edition SP1",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    // The same JSON sink as a scan: the site record, then the summary.
    let report: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.len(), 2, "{report:?}");
    assert_eq!(report[1]["summary"]["site"]["verdict"], "not_ready");
    let evaluation = &report[0];
    assert_eq!(evaluation["kind"], "site");
    assert_eq!(evaluation["verdict"], "not_ready");
    assert!(evaluation["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "SITE-OOB-SP-OS"));

    let out = amtready(&[
        "site",
        "--service-point-os",
        "Windows Server 2003 SP2",
        "--service-point-kb",
        "KB942841",
        "--console-os",
        "Windows XP Professional SP3",
        "--sql",
        "SQL Server 2005 Enterprise SP2 x64",
        "--upgrade-from",
        "SMS 2003 SP3",
        "--release",
        "complete",
        "--site-mode",
        "native",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.starts_with("SITE ") && table.contains("): ready"),
        "{table}"
    );
    assert!(
        !table.contains("HOST"),
        "a site alone has no host table: {table}"
    );

    let out = amtready(&[
        "site",
        "--upgrade-from",
        "SMS 2003 SP2",
        "--release",
        "eval",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let out = amtready(&["site", "--sql", "SQL Server 2005"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
