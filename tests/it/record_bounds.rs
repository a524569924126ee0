//! Property tests of the promise that a scan's own output can always be read
//! back: whatever a device, an inventory or a Windows host sends (a
//! 600,000-character hostname, a megabyte caption, thousands of certificate
//! hashes, control characters), every record the JSON Lines sink writes is
//! read back, with its target, by every reader of saved scans: the resume
//! plan, `report`/`validate`, and the replay of a resumed scan. Then the
//! same end to end: the binary against a mock device with such a hostname.

use std::io::BufReader;
use std::net::SocketAddr;
use std::time::Duration;

use crate::common;

use amtready::facts::{
    AmtFacts, CertFacts, CertHash, FactsRecord, HostFacts, HostStatus, TlsFacts,
};
use amtready::report::replay::saved_hosts;
use amtready::report::replay::{read_scan, Item};
use amtready::report::JsonLinesSink;
use amtready::report::{HostReport, ReportSink, MAX_RECORD_BYTES};
use amtready::rules::{Evaluation, Verdict};
use amtready::scan::{Plan, PlanInput};
use amtready::text::{clip_field, MAX_FIELD_BYTES};
use proptest::prelude::*;

/// A device string: a short, possibly hostile, head (controls, bidi
/// overrides, any Unicode) and a run of one character that is empty, near
/// the field cap, or far past it.
fn hostile() -> impl Strategy<Value = String> {
    let head = prop_oneof![
        "\\PC{0,12}",
        "[\\x00-\\x1f\\x7f\"\\\\]{0,6}",
        "[\u{202a}-\u{202e}\u{2066}-\u{2069}é中]{0,6}",
    ];
    let run = prop_oneof![
        6 => 0usize..8,
        2 => (MAX_FIELD_BYTES - 8)..(MAX_FIELD_BYTES + 8),
        1 => 500_000usize..700_000,
    ];
    (head, any::<char>(), run).prop_map(|(head, c, n)| {
        let mut s = head;
        s.extend(std::iter::repeat_n(c, n));
        s
    })
}

fn hostile_list(most: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(hostile(), 0..most)
}

/// How many certificate hashes a device lists: a few, or so many that even
/// clipped the record is past what a reader takes.
fn hash_count() -> impl Strategy<Value = usize> {
    prop_oneof![8 => 0usize..4, 1 => Just(MAX_RECORD_BYTES / MAX_FIELD_BYTES + 16)]
}

#[derive(Debug, Clone)]
struct Device {
    hostname: String,
    caption: String,
    unread: Vec<String>,
    unavailable: Vec<String>,
    subject: String,
    sans: Vec<String>,
    hash_name: String,
    hashes: usize,
    error: Option<String>,
    verdict: Option<Verdict>,
}

fn device() -> impl Strategy<Value = Device> {
    (
        (hostile(), hostile(), hostile_list(3), hostile_list(3)),
        (hostile(), hostile_list(3), hostile(), hash_count()),
        (
            prop::option::of("[ -~]{0,80}"),
            prop::option::of(prop_oneof![
                Just(Verdict::Ready),
                Just(Verdict::NotReady),
                Just(Verdict::Unknown),
            ]),
        ),
    )
        .prop_map(
            |(
                (hostname, caption, unread, unavailable),
                (subject, sans, hash_name, hashes),
                (error, verdict),
            )| Device {
                hostname,
                caption,
                unread,
                unavailable,
                subject,
                sans,
                hash_name,
                hashes,
                error,
                verdict,
            },
        )
}

fn report(target: &str, d: &Device) -> HostReport {
    let hash = CertHash {
        instance_id: "Intel(r) AMT Certificate Hash".repeat(MAX_FIELD_BYTES / 29 + 1),
        // Hostile only where there are few: thousands of copies of a
        // megabyte name would only test the machine's memory.
        name: Some(if d.hashes < 4 {
            d.hash_name.clone()
        } else {
            "n".into()
        }),
        hash_type: Some("SHA256".into()),
        ..CertHash::default()
    };
    HostReport {
        facts: FactsRecord {
            status: Some(HostStatus::Ok),
            error: d.error.clone(),
            amt: Some(AmtFacts {
                hostname: Some(d.hostname.clone()),
                domain: Some("corp.example".into()),
                cert_hashes: Some(vec![hash; d.hashes]),
                unavailable: d.unavailable.clone(),
                tls: Some(TlsFacts {
                    certificate: Some(CertFacts {
                        subject: Some(d.subject.clone()),
                        san_dns: d.sans.clone(),
                        ..CertFacts::default()
                    }),
                    ..TlsFacts::default()
                }),
                ..AmtFacts::default()
            }),
            host: Some(HostFacts {
                os: Some(d.caption.clone()),
                unread: d.unread.clone(),
                conflicts: d.unread.clone(),
                ..HostFacts::default()
            }),
            ..FactsRecord::new(target)
        },
        evaluation: d.verdict.map(|verdict| Evaluation {
            verdict,
            findings: Vec::new(),
            missing: Vec::new(),
            not_checked: Vec::new(),
        }),
    }
}

proptest! {
    // Each case writes and reads up to tens of megabytes in a debug build.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_record_written_reads_back_with_its_target(
        devices in prop::collection::vec(device(), 1..4),
        summary in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.jsonl");
        let written: Vec<HostReport> = devices
            .iter()
            .enumerate()
            .map(|(i, d)| report(&format!("10.9.0.{}", i + 1), d))
            .collect();
        {
            let file = std::fs::File::create(&path).unwrap();
            let mut sink = JsonLinesSink::new(file, summary);
            for r in &written {
                sink.record(r).unwrap();
            }
            sink.finish().unwrap();
        }
        let targets: Vec<String> = written.iter().map(|r| r.facts.target.clone()).collect();
        let text = std::fs::read(&path).unwrap();
        for line in text.split(|b| *b == b'\n') {
            prop_assert!(line.len() <= MAX_RECORD_BYTES, "a line of {} bytes", line.len());
        }

        // The resume plan: every host is done, nothing is left to scan.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let plan = runtime
            .block_on(Plan::build(&PlanInput {
                targets: targets.clone(),
                resume: Some(path.clone()),
                resolve_timeout: Duration::from_secs(5),
                ..PlanInput::default()
            }))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(plan.resumed, written.len() as u64);
        prop_assert_eq!(plan.targets().count(), 0);
        prop_assert_eq!(plan.resume_valid_len, Some(text.len() as u64));

        // `report` and `validate`.
        let mut read = Vec::new();
        let mut errors = Vec::new();
        read_scan(BufReader::new(std::fs::File::open(&path).unwrap()), &mut |input| {
            match input.record {
                Ok(Item::Host(facts)) => read.push(*facts),
                Ok(Item::Site(_)) => errors.push("a site record".to_owned()),
                Err(e) => errors.push(e),
            }
        })
        .map_err(TestCaseError::fail)?;
        prop_assert!(errors.is_empty(), "{:?}", errors);
        let read_targets: Vec<&str> = read.iter().map(|f| f.target.as_str()).collect();
        prop_assert_eq!(&read_targets, &targets);

        // The replay of a resumed scan: targets, statuses and verdicts.
        let mut replayed = Vec::new();
        saved_hosts(&path, &mut |r| replayed.push(r)).map_err(TestCaseError::fail)?;
        prop_assert_eq!(replayed.len(), written.len());
        for ((back, sent), d) in replayed.iter().zip(&written).zip(&devices) {
            prop_assert_eq!(&back.facts.target, &sent.facts.target);
            prop_assert_eq!(back.facts.status, sent.facts.status);
            prop_assert_eq!(
                back.evaluation.as_ref().map(|e| e.verdict),
                sent.evaluation.as_ref().map(|e| e.verdict)
            );
            // A whole record keeps every device string, clipped at the
            // field cap; only a reduced one (too many hashes) drops them.
            if d.hashes < 4 {
                let amt = back.facts.amt.as_ref().unwrap();
                prop_assert_eq!(amt.hostname.as_deref(), Some(&*clip_field(&d.hostname)));
                let host = back.facts.host.as_ref().unwrap();
                prop_assert_eq!(host.os.as_deref(), Some(&*clip_field(&d.caption)));
                let unread: Vec<String> =
                    d.unread.iter().map(|s| clip_field(s).into_owned()).collect();
                prop_assert_eq!(&host.unread, &unread);
            } else {
                prop_assert!(back.facts.amt.is_none());
                let error = back.facts.error.clone().unwrap_or_default();
                prop_assert!(error.contains("dropped"), "{}", error);
            }
        }
    }
}

/// Issue 24.3: a device with a 600,000-character hostname once made `scan`
/// write a record longer than `--resume` reads, so resuming that scan's own
/// output was a usage error (exit 3). Now the resumed run is a normal one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_with_a_huge_hostname_leaves_a_scan_that_resumes() {
    let mut cfg = mock_amt::DeviceConfig::new(
        mock_amt::Profile::builtin("amt-15.0").unwrap(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    );
    cfg.profile.hostname = "h".repeat(600_000);
    let dev = mock_amt::start_device(cfg).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("scan.jsonl").to_string_lossy().into_owned();
    let args = |extra: &[&str]| {
        let mut extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        extra.extend(["--output".to_string(), saved.clone()]);
        common::scan_args(&[dev.addr()], &extra)
    };

    let first = common::amtready(args(&[])).await;
    let stderr = String::from_utf8_lossy(&first.stderr);
    let code = first.status.code();
    assert!(matches!(code, Some(0..=2)), "{code:?} {stderr}");
    let text = std::fs::read_to_string(&saved).unwrap();
    let record: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let hostname = record["amt"]["hostname"].as_str().unwrap_or_default();
    assert!(
        hostname.starts_with("hhhh") && hostname.ends_with(" bytes)"),
        "{hostname:.40}"
    );
    assert!(hostname.len() <= MAX_FIELD_BYTES);

    let resumed = common::amtready(args(&["--resume", &saved])).await;
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert_eq!(resumed.status.code(), code, "{stderr}");
    let replayed = common::records(&resumed);
    assert_eq!(replayed.len(), 1, "{stderr}");
    assert_eq!(replayed[0]["target"], record["target"]);
    dev.shutdown().await;
}
