//! Every failure the fuzz targets found, as the smallest input that showed
//! it, checked against the library directly. Each test failed before its
//! fix; the docs/fuzzing.md says how the inputs were found.

use std::str::FromStr;

use amtready::amt::MAX_ERROR_CHARS;
use amtready::text::{bounded_line, quoted};
use amtready::wsman::response::parse_response;
use amtready_fuzz::check::one_line;

/// `error_line`: the `… (N more bytes)` note came on top of `max`, so a
/// host's clipped `error` was up to 418 characters, not at most 400.
#[test]
fn clipped_error_line_keeps_its_note_within_the_limit() {
    for len in [401, 1000, 3 * 1024 * 1024] {
        let line = bounded_line(&"a".repeat(len), MAX_ERROR_CHARS);
        assert!(
            line.chars().count() <= MAX_ERROR_CHARS,
            "{len}: {}",
            line.chars().count()
        );
        assert!(line.ends_with("more bytes)"), "{line}");
    }
    // Escapes count as what they show, and are never split.
    let line = bounded_line(&"\u{1b}".repeat(500), MAX_ERROR_CHARS);
    assert!(line.chars().count() <= MAX_ERROR_CHARS);
    let shown = line.split('…').next().unwrap_or_default().trim_end();
    assert!(!shown.is_empty() && shown.len().is_multiple_of(4), "{line}");
    assert!(quoted(&"q".repeat(500)).chars().count() <= 122);
    // A line that fits is left as it is.
    assert_eq!(bounded_line(&"b".repeat(400), 400), "b".repeat(400));
}

/// `envelope` (seed `edge-long-names.xml`): quick-xml names both tags in a
/// mismatched-end error, so a body with 500-character names gave an error
/// of 1,091 characters before the host's record clipped it.
#[test]
fn xml_syntax_error_does_not_repeat_long_names_whole() {
    let body = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><{}></{}></s:Body></s:Envelope>"#,
        "n".repeat(500),
        "m".repeat(500)
    );
    let error = parse_response(body.as_bytes(), None).unwrap_err();
    one_line("mismatched end tag", &error.to_string());
    let error = parse_response(format!("<{}:E/>", "q".repeat(600)).as_bytes(), None).unwrap_err();
    one_line("undeclared prefix", &error.to_string());
    let error =
        parse_response(format!("<a>&{};</a>", "e".repeat(600)).as_bytes(), None).unwrap_err();
    one_line("unknown entity", &error.to_string());
}

/// `version` (seed `edge-escape.txt`): a refused version was repeated raw,
/// escape sequences, newlines and all, at any length.
#[test]
fn refused_version_is_quoted_on_one_bounded_line() {
    for text in ["\u{1b}[31m5.2", "5\n.2", &format!("1.{}", "9".repeat(600))] {
        let error = amtready::rules::Version::from_str(text).unwrap_err();
        one_line("version", &error.to_string());
    }
}

/// `target` (seed `edge-bad.txt`): a 700-character line of a targets file
/// was repeated whole in its error.
#[test]
fn refused_target_is_clipped() {
    for text in [
        "a".repeat(700),
        format!("{}.example", "\u{1b}[31m".repeat(90)),
        "1".repeat(800),
    ] {
        let error = amtready::scan::TargetSpec::from_str(&text).unwrap_err();
        one_line("target", &error.to_string());
    }
    let short = amtready::scan::TargetSpec::from_str("10.0.2").unwrap_err();
    assert!(short.to_string().starts_with("\"10.0.2\": "), "{short}");
}

/// `facts_record` (seed `edge-bad-variant.jsonl`): serde repeats an unknown
/// enum value in its message, so one record with a 600-character `status`
/// printed a 725-character line.
#[test]
fn bad_facts_record_is_one_bounded_line() {
    let line = format!(
        "{{\"target\":\"x\",\"status\":\"\\u001b[31m{}\"}}\n",
        "F".repeat(600)
    );
    let mut errors = Vec::new();
    amtready::report::replay::read_scan(line.as_bytes(), &mut |input| {
        errors.extend(input.record.err());
    })
    .unwrap();
    assert_eq!(errors.len(), 1);
    one_line("facts record", &errors[0]);
    assert!(errors[0].contains("unknown variant"), "{}", errors[0]);
}

/// `digest` (mutated corpus): digest_auth quotes the rest of the header in
/// its syntax error, so a long hostile challenge gave a 972-character error.
#[test]
fn unusable_digest_challenge_error_is_bounded() {
    let value = format!("Digest realm=\"r\", {}", "t ".repeat(480));
    let error = amtready::wsman::Challenge::parse(&value).unwrap_err();
    one_line("digest", &error.to_string());
}

/// What every policy file starts with.
const POLICY_HEAD: &str = "name = \"p\"\ndescription = \"d\"\ndocument = \"doc\"\n";

/// Why a policy of `POLICY_HEAD` and `rules` is refused.
fn policy_error(rules: &str) -> String {
    let text = format!("{POLICY_HEAD}{rules}");
    amtready::rules::Policy::from_toml_str(&text, "p.toml")
        .unwrap_err()
        .to_string()
}

/// `policy` (mutated corpus): a mistyped rule kind was repeated whole, so a
/// `kind` of any length or with escape sequences reached the terminal.
#[test]
fn unknown_rule_kind_is_quoted_and_clipped() {
    let error = policy_error(&format!(
        "[[rule]]\nid = \"X\"\nkind = \"\\u001b[31m{}\"\n",
        "k".repeat(700)
    ));
    assert!(!error.contains('\u{1b}'), "{error}");
    assert!(error.contains("\"\\x1b[31mkkk"), "{error}");
    assert!(error.chars().count() < 1000, "{}", error.chars().count());
}

/// `policy` (AFL++, 19 crashes in 150 s): serde and the note check repeat a
/// wrong value as written, so a tab or form feed inside a TOML string (`"inf\t"`
/// for a severity, a note id) reached the terminal raw.
#[test]
fn policy_error_escapes_control_characters() {
    let error =
        policy_error("[[rule]]\nid = \"X\"\nkind = \"amt-firmware\"\nseverity = \"inf\\t\"\n");
    assert!(!error.contains('\t'), "{error:?}");
    assert!(error.contains("inf\\t"), "{error}");
    let error = policy_error(&format!(
        "[[rule]]\nid = \"X\"\nkind = \"amt-firmware\"\nseverity = \"{}\"\n",
        "s".repeat(5000)
    ));
    assert!(error.contains("unknown variant"), "{error}");
    assert!(
        error.chars().count() <= amtready::rules::MAX_MESSAGE_CHARS + 16,
        "{}",
        error.len()
    );
}

/// `target` (AFL++, 9 crashes in 150 s): an IPv6 `/0` counts 2^128
/// addresses, which overflowed `u128` (a panic in a debug build; in a
/// release build the count wrapped to 0 and slipped under the host limit).
#[test]
fn ipv6_slash_zero_is_too_large_not_an_overflow() {
    let error = amtready::scan::TargetSpec::from_str("1001:db8::/0").unwrap_err();
    assert!(error.to_string().contains("more than the limit"), "{error}");
}

/// `host_facts` (AFL++, 19 crashes in 150 s): the "rows matched no AMT
/// device" line repeated each row's computer name whole.
#[test]
fn unmatched_row_names_are_clipped_in_the_report() {
    let csv = format!("computer,address\n{},10.0.0.5\n", "n".repeat(5000));
    let inventory = amtready::hostfacts::Inventory::parse(csv.as_bytes()).unwrap();
    let report = inventory.report(20);
    assert_eq!(report.len(), 1, "{report:?}");
    assert!(report[0].len() < 200, "{}", report[0].len());
}
