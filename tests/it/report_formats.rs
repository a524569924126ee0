//! `amtready report` renders one mixed fleet (ready, not ready, unreachable,
//! wrong password, not AMT, no version, hostile device strings) in every
//! format; each output is read back by a consumer of that format.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use unicode_width::UnicodeWidthStr;

const FLEET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/mixed-fleet.jsonl"
);
/// Hosts in the fixture, and how the built-in policy judges them.
const HOSTS: usize = 12;
const READY: usize = 4;
const NOT_READY: usize = 6;
const UNKNOWN: usize = 2;

fn report(format: &str, columns: usize, extra: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_amtready"))
        .args(["report", FLEET, "--format", format])
        .args(extra)
        .env("COLUMNS", columns.to_string())
        .env_remove("AMTREADY_LOG")
        .output()
        .expect("run amtready");
    assert_eq!(
        out.status.code(),
        Some(1),
        "not ready hosts exit 1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// No device-sent control character or bidi override reaches human output raw.
fn assert_no_raw_controls(format: &str, s: &str) {
    for c in s.chars() {
        let allowed = matches!(c, '\n' | '\r' | '\u{feff}');
        assert!(
            allowed || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "{format}: raw {c:?} in output"
        );
    }
}

fn require_peers() -> bool {
    std::env::var_os("AMTREADY_REQUIRE_PEERS").is_some()
}

fn tool(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

#[test]
fn the_table_fits_80_100_and_120_columns() {
    for columns in [80, 100, 120] {
        let t = text(&report("table", columns, &[]));
        assert_no_raw_controls("table", &t);
        for line in t.lines() {
            assert!(
                UnicodeWidthStr::width(line) <= columns,
                "{columns} columns: {} wide: {line:?}",
                UnicodeWidthStr::width(line)
            );
        }
        for words in [
            "HOST",
            "AMT STATUS",
            "PROVISIONING",
            "SKU",
            "VERDICT",
            "Not Provisioned",
            "Not Supported",
            "error AMT-FW-VERSION:",
            "fix: update the AMT firmware",
            "unreachable: connection refused",
            "evil\\x1b[31mRED",
        ] {
            assert!(t.contains(words), "{columns}: {words:?} in\n{t}");
        }
        // At 80 columns a SKU may wrap inside a row its neighbours already
        // make tall; with room it stays whole.
        if columns >= 100 {
            assert!(t.contains("Intel AMT,"), "{columns}: SKU in\n{t}");
        }
        assert!(
            t.contains(&format!("Hosts scanned       {HOSTS}")),
            "summary in\n{t}"
        );
        assert!(
            t.contains(&format!(
                "ready\u{a0}{READY}, not ready\u{a0}{NOT_READY}, unknown\u{a0}{UNKNOWN}"
            )),
            "verdict counts in\n{t}"
        );
        assert!(
            t.contains("AMT-FW-VERSION (4 hosts)"),
            "top blocking in\n{t}"
        );
        // One row per host: each address starts exactly one line.
        for i in 5..=16 {
            let addr = format!("10.20.0.{i} ");
            assert_eq!(
                t.lines().filter(|l| l.starts_with(&addr)).count(),
                1,
                "{addr} in\n{t}"
            );
        }
        // "Not checked" appears once, as one short line, not per host.
        assert_eq!(t.matches("not checked").count(), 1, "{t}");
    }
    // Narrower than anyone should use: still no line wider, verbose or not.
    for extra in [&[][..], &["-v"][..]] {
        let t = text(&report("table", 40, extra));
        assert!(t.lines().all(|l| UnicodeWidthStr::width(l) <= 40), "{t}");
    }
    let verbose = text(&report("table", 100, &["-v"]));
    assert!(verbose.contains("Not checked (no facts for them): "));
    assert!(verbose.contains(
        "source: Configuration Manager 2007 SP1 Supported Configurations — Out of Band Management"
    ));
}

#[test]
fn csv_reads_back_with_stable_columns() {
    let out = report("csv", 100, &[]);
    let raw = text(&out);
    assert!(raw.starts_with('\u{feff}'), "Excel needs the BOM");
    assert_no_raw_controls("csv", &raw);
    let mut reader = csv::Reader::from_reader(raw.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        headers,
        [
            "target",
            "hostname",
            "read_status",
            "error",
            "amt_version",
            "version_source",
            "amt_status",
            "amt_status_value",
            "provisioning",
            "sku",
            "sku_raw",
            "verdict",
            "blocking_rules",
            "findings",
            "fixes",
            "missing_facts",
            "record",
            "site_facts",
            "host_notes"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), HOSTS);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let row = |target: &str| {
        rows.iter()
            .find(|r| &r[col("target")] == target)
            .unwrap_or_else(|| panic!("row {target}"))
            .clone()
    };
    let r = row("10.20.0.6");
    assert_eq!(&r[col("verdict")], "not ready");
    assert_eq!(&r[col("blocking_rules")], "AMT-FW-VERSION");
    assert!(r[col("findings")].contains("5.2.9"));
    assert!(r[col("fixes")].contains("update the AMT firmware"));
    assert_eq!(&r[col("amt_status")], "Provisioned");
    assert_eq!(&r[col("amt_status_value")], "3");
    assert_eq!(&r[col("sku")], "Intel AMT, corporate");
    assert_eq!(&r[col("sku_raw")], "16392");
    assert_eq!(&row("10.20.0.7")[col("amt_status")], "Not Provisioned");
    assert_eq!(&row("10.20.0.11")[col("read_status")], "unreachable");
    // A formula in a device's hostname is neutralised.
    assert!(row("10.20.0.14")[col("hostname")].starts_with("'=HYPERLINK"));
    let verdicts: Vec<&str> = rows.iter().map(|r| &r[col("verdict")]).collect();
    assert_eq!(verdicts.iter().filter(|v| **v == "ready").count(), READY);
    assert_eq!(
        verdicts.iter().filter(|v| **v == "not ready").count(),
        NOT_READY
    );
}

#[test]
fn junit_has_a_case_per_host_and_a_failure_per_not_ready_one() {
    let xml = text(&report("junit", 100, &[]));
    assert_no_raw_controls("junit", &xml);
    assert_eq!(xml.matches("<testcase ").count(), HOSTS);
    assert_eq!(xml.matches("<failure ").count(), NOT_READY);
    assert_eq!(xml.matches("<skipped").count(), UNKNOWN);
}

/// The JUnit report in a file that outlives the returned directory guard.
fn junit_file() -> (tempfile::TempDir, PathBuf) {
    let xml = text(&report("junit", 100, &[]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("readiness.xml");
    std::fs::write(&file, &xml).unwrap();
    (dir, file)
}

#[test]
#[ignore = "needs xmllint: CI runs it"]
fn junit_is_well_formed_for_xmllint() {
    let (_dir, file) = junit_file();
    check_with_xmllint(&file);
}

#[test]
#[ignore = "needs python3 with junitparser: CI runs it"]
fn junit_is_read_by_a_junit_consumer() {
    let (_dir, file) = junit_file();
    check_with_junitparser(&file);
}

fn check_with_xmllint(file: &Path) {
    let Some(xmllint) = tool("xmllint") else {
        assert!(!require_peers(), "xmllint is required");
        eprintln!("skipped: xmllint not installed");
        return;
    };
    let out = Command::new(xmllint)
        .arg("--noout")
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "well-formed XML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// PyPI `junitparser` (installed by .ci/run) reads the file as CI servers do.
fn check_with_junitparser(file: &Path) {
    let script = r#"
import sys
from junitparser import JUnitXml, Failure, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
tests = failures = skipped = 0
for suite in xml:
    for case in suite:
        tests += 1
        for r in case.result:
            if isinstance(r, Failure):
                failures += 1
                assert r.type in ("AMT-FW-VERSION", "PROV-AMT-STATUS", "PROV-MODE"), r.type
                assert "fix:" in (r.text or ""), r.text
            elif isinstance(r, Skipped):
                skipped += 1
                assert r.message, "a skipped host says why"
print(tests, failures, skipped)
"#;
    let probe = Command::new("python3")
        .args(["-c", "import junitparser"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(!require_peers(), "python3 with junitparser is required");
        eprintln!("skipped: python3 junitparser not installed");
        return;
    }
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "junitparser: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{HOSTS} {NOT_READY} {UNKNOWN}")
    );
}

#[test]
fn markdown_has_a_row_per_host_and_escapes_device_text() {
    let md = text(&report("markdown", 100, &[]));
    assert_no_raw_controls("markdown", &md);
    let table_rows = md.lines().filter(|l| l.starts_with("| 10.20.0.")).count();
    assert_eq!(table_rows, HOSTS, "{md}");
    assert!(md.contains("| HOST | AMT | AMT STATUS | PROVISIONING | SKU | VERDICT |"));
    assert!(md.contains("## Findings") && md.contains("## Summary"));
    assert!(md.contains("- Source: Configuration Manager 2007 SP1 Supported Configurations — Out of Band Management"));
    // A quote or bracket from a device cannot open a link or HTML.
    assert!(md.contains("=HYPERLINK\\(") || md.contains("=HYPERLINK("));
    assert!(!md.contains("<script"));
}

#[test]
fn html_is_self_contained_with_charts_and_every_host() {
    let html = text(&report("html", 100, &[]));
    assert_no_raw_controls("html", &html);
    for id in [
        "chart-verdicts",
        "chart-amt-status",
        "chart-firmware",
        "chart-blocking",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert_eq!(html.matches("<tbody class=\"host\"").count(), HOSTS);
    // Nothing is fetched: no external script, style, image or font.
    for needle in [
        "<script src",
        "<link",
        "<img",
        "@import",
        "url(",
        "https://",
    ] {
        assert!(!html.contains(needle), "{needle} in the HTML");
    }
    for url in html.match_indices("http://") {
        assert!(
            html[url.0..].starts_with("http://www.w3.org/2000/svg")
                || html[url.0..].starts_with("http://x.example/"),
            "only the SVG namespace and escaped device text: {}",
            &html[url.0..url.0 + 40]
        );
    }
    // Device text is escaped, never markup.
    assert!(html.contains("=HYPERLINK(&quot;http://x.example/&quot;"));
    assert!(html.contains(
        "Configuration Manager 2007 SP1 Supported Configurations — Out of Band Management"
    ));
}

#[test]
fn json_ends_with_a_summary_and_jsonl_only_when_asked() {
    let arr: Vec<Value> = serde_json::from_slice(&report("json", 100, &[]).stdout).unwrap();
    assert_eq!(arr.len(), HOSTS + 1);
    let s = &arr[HOSTS]["summary"];
    assert_eq!(s["hosts"], HOSTS);
    assert_eq!(s["answered"], 11);
    assert_eq!(s["amt_found"], 10);
    assert_eq!(s["verdicts"][1]["name"], "not ready");
    assert_eq!(s["verdicts"][1]["count"], NOT_READY);
    assert_eq!(s["top_blocking"][0]["rule"], "AMT-FW-VERSION");
    assert_eq!(s["top_blocking"][0]["hosts"], 4);

    let plain = text(&report("jsonl", 100, &[]));
    assert_eq!(plain.lines().count(), HOSTS);
    assert!(!plain.contains("\"summary\""));
    let with = text(&report("jsonl", 100, &["--summary"]));
    let last: Value = serde_json::from_str(with.lines().last().unwrap()).unwrap();
    assert_eq!(last["summary"]["hosts"], HOSTS);

    // A saved JSON report (summary element included) renders again.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.json");
    std::fs::write(&saved, serde_json::to_vec(&arr).unwrap()).unwrap();
    let again = Command::new(env!("CARGO_BIN_EXE_amtready"))
        .args(["report", saved.to_str().unwrap(), "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).lines().count(),
        HOSTS + 1
    );
}

#[test]
fn rules_and_site_use_the_same_formats() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_amtready"))
            .args(args)
            .env("COLUMNS", "80")
            .output()
            .expect("run amtready")
    };
    let rules = run(&["rules", "--format", "csv"]);
    assert_eq!(rules.status.code(), Some(0));
    let text = String::from_utf8(rules.stdout).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["Rule", "Policy", "Severity", "Checks", "Source"]
    );
    assert!(reader
        .records()
        .map(|r| r.unwrap())
        .any(|r| &r[0] == "AMT-FW-VERSION"
            && r[4].starts_with("Configuration Manager 2007 SP1 Supported Configurations — ")));
    let table = String::from_utf8(run(&["rules"]).stdout).unwrap();
    assert!(table.lines().all(|l| UnicodeWidthStr::width(l) <= 80));
    assert_eq!(run(&["rules", "--format", "junit"]).status.code(), Some(3));

    let site = ["site", "--service-point-os", "Windows Server 2003 SP1"];
    let table = run(&site);
    assert_eq!(table.status.code(), Some(1));
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.starts_with("SITE ") && table.lines().next().unwrap().ends_with("not ready"),
        "{table}"
    );
    assert!(
        table.lines().all(|l| UnicodeWidthStr::width(l) <= 80),
        "{table}"
    );
    let junit = run(&[&site[..], &["--format", "junit"]].concat());
    let xml = String::from_utf8(junit.stdout).unwrap();
    assert!(
        xml.contains("<testcase name=\"Configuration Manager site\"") && xml.contains("<failure "),
        "{xml}"
    );
    let html = run(&[&site[..], &["--format", "html"]].concat());
    let html = String::from_utf8(html.stdout).unwrap();
    assert!(html.contains("id=\"chart-verdicts\"") && html.contains("<section id=\"site\""));
}

/// The HTML header names the policies the hosts were judged by, not a fixed
/// title: a report judged by a site's own policy must not claim the seed's.
#[test]
fn html_header_names_the_policies_judged_by() {
    let header = |extra: &[&str]| {
        let html = text(&report("html", 100, extra));
        let start = html.find("<header>").expect("a header");
        let end = html.find("</header>").expect("the header ends");
        html[start..end].to_string()
    };
    let defaults = header(&[]);
    for name in amtready::rules::DEFAULT_POLICIES {
        assert!(defaults.contains(name), "{name} missing from {defaults}");
    }
    let one = header(&["--policy", "configmgr-2007-sp1"]);
    assert!(one.contains("rules: configmgr-2007-sp1 ·"), "{one}");
    assert!(!one.contains("intel-advisories"), "{one}");
}
