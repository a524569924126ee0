//! `report` on a 65,536-host saved scan stays under 256 MiB of peak RSS in
//! the formats that need the whole fleet before printing (sorted table,
//! JUnit, HTML): they keep a compact row per host, not the record.
//!
//! The integration tests share one process, so the test runs again alone in
//! a child process of the same binary, which then measures nothing else: the
//! peak (VmHWM) is reset through /proc/self/clear_refs before each format.

use std::io::{BufRead, BufReader, BufWriter, Write};

use amtready::report::render;
use amtready::report::{Format, ReportOptions};
use amtready::rules::PolicySet;

const HOSTS: usize = 65_536;
const LIMIT_KIB: u64 = 256 * 1024;

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A scan as `scan --format jsonl` writes it: fixture hosts cycled over
/// 65,536 addresses, each with the trusted-root hashes a real device lists.
fn write_scan(path: &std::path::Path) {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mixed-fleet.jsonl"
    );
    let base: Vec<serde_json::Value> = BufReader::new(std::fs::File::open(fixture).unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let hashes: Vec<serde_json::Value> = (0..12)
        .map(|i| {
            serde_json::json!({
                "instance_id": format!("Intel(r) AMT Certificate: Handle: {i}"),
                "name": format!("Trusted root {i}"),
                "hash_type": "sha256",
                "hash_hex": format!("{i:064x}"),
                "enabled": true,
                "is_default": true
            })
        })
        .collect();
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..HOSTS {
        let mut rec = base[i % base.len()].clone();
        rec["target"] = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255).into();
        if let Some(amt) = rec.get_mut("amt").and_then(|a| a.as_object_mut()) {
            amt.insert("cert_hashes".into(), hashes.clone().into());
            amt.insert("hostname".into(), format!("ws-{i:05}").into());
        }
        serde_json::to_writer(&mut out, &rec).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
}

/// Set in the child process that runs the measurement alone.
const ALONE: &str = "AMTREADY_REPORT_MEMORY_ALONE";

/// Runs `test` (a function of this module) alone in a child process of this
/// test binary and checks that it passed; `true` when this process is that
/// child and should run the body.
fn alone_in_a_process(test: &str) -> bool {
    if std::env::var_os(ALONE).is_some() {
        return true;
    }
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    let qualified = format!("{module}::{test}");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &qualified, "--nocapture", "--test-threads=1"])
        .env(ALONE, "1")
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{stderr}");
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{qualified} alone in its process failed:\n{stdout}\n{stderr}"
    );
    false
}

#[test]
fn report_of_65536_hosts_stays_under_256_mib() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("skipped: no /proc (not Linux)");
        return;
    }
    if !alone_in_a_process("report_of_65536_hosts_stays_under_256_mib") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("scan.jsonl");
    write_scan(&scan);
    let size_mib = std::fs::metadata(&scan).unwrap().len() / (1024 * 1024);
    let policy = PolicySet::default_set();
    let mut peaks = Vec::new();
    for format in [Format::Table, Format::Junit, Format::Html] {
        assert!(reset_hwm(), "cannot reset VmHWM");
        let before = vm_hwm_kib().unwrap();
        let input = BufReader::new(std::fs::File::open(&scan).unwrap());
        let done = render(
            input,
            "scan.jsonl",
            Some(&policy),
            format,
            &ReportOptions::default(),
            std::io::sink(),
        )
        .unwrap();
        assert_eq!(done.hosts, HOSTS);
        let peak = vm_hwm_kib().unwrap();
        eprintln!(
            "{format:?}: {HOSTS} hosts from a {size_mib} MiB scan, peak RSS {} MiB (before {} MiB)",
            peak / 1024,
            before / 1024
        );
        peaks.push((format, peak));
    }
    for (format, peak) in peaks {
        assert!(peak < LIMIT_KIB, "{format:?} peaked at {} MiB", peak / 1024);
    }
}
