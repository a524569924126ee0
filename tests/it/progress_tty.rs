//! The progress bar on a real terminal (a pseudo-terminal from util-linux
//! `script`, where stdout and stderr are the same screen): it is drawn with its
//! counts, and every JSON line of the report still arrives whole on its own line.

use std::process::Command;

#[test]
#[ignore = "needs util-linux script (a terminal): CI runs it"]
fn the_bar_shares_a_terminal_without_splitting_report_lines() {
    let Ok(probe) = Command::new("script").arg("--version").output() else {
        assert!(
            std::env::var_os("AMTREADY_REQUIRE_PEERS").is_none(),
            "util-linux script is required"
        );
        eprintln!("SKIPPING: no `script` to make a terminal; this check did NOT run");
        return;
    };
    assert!(probe.status.success());
    let cmd = format!(
        "{} demo --format jsonl --profiles amt-5.2.10,amt-2.6,amt-11.8,amt-4.0,amt-5.2.9",
        env!("CARGO_BIN_EXE_amtready")
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("COLUMNS", "120")
        .env_remove("AMTREADY_LOG")
        .output()
        .expect("script runs");
    assert!(out.status.success(), "{out:?}");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("/5 hosts") && screen.contains("not ready") && screen.contains("ETA"),
        "the bar was drawn with counts: {screen}"
    );
    let mut records = 0;
    for raw in screen.split('\n') {
        let Some(at) = raw.find("{\"target\"") else {
            continue;
        };
        // What precedes the record on its line may only be the bar being
        // taken off the screen (control sequences), never bar text: with the
        // bar not suspended, the record would follow the bar's padding.
        assert!(
            strip_csi(&raw[..at]).chars().all(|c| c == '\r') || ends_with_csi(&raw[..at]),
            "bar text before a record: {raw:?}"
        );
        let json = raw[at..].trim_end_matches('\r');
        serde_json::from_str::<serde_json::Value>(json)
            .unwrap_or_else(|e| panic!("a whole record on its own line ({e}): {json:?}"));
        records += 1;
    }
    assert_eq!(records, 5, "{screen}");
}

/// Removes terminal control sequences (`ESC [ ... letter`), keeping the text.
fn strip_csi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `s` ends with a complete control sequence (`ESC [ params letter`).
fn ends_with_csi(s: &str) -> bool {
    let Some(esc) = s.rfind("\x1b[") else {
        return false;
    };
    let tail = &s[esc + 2..];
    let Some(last) = tail.chars().last() else {
        return false;
    };
    last.is_ascii_alphabetic()
        && tail[..tail.len() - 1]
            .chars()
            .all(|c| c.is_ascii_digit() || c == ';')
}
