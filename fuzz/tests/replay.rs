//! Replays the committed corpus (`fuzz/corpus/<target>/`) through every
//! target, then a bounded number of random mutations of it: the part of
//! fuzzing that belongs in `cargo test --workspace`. Long coverage-guided
//! runs are the commands of docs/fuzzing.md.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

/// One replay at a time: the heap check measures the whole process, so a
/// test reading its corpus on another thread would count against a parse.
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

/// The corpus of a target, sorted by name; an empty or missing corpus is a
/// failure, not a pass.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (path.display().to_string(), bytes)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no seed", dir.display());
    files
}

fn run(target: &str, input: &[u8], label: &str) {
    let t = amtready_fuzz::target(target).expect("a known target");
    let outcome = std::panic::catch_unwind(|| (t.run)(input));
    if let Err(panic) = outcome {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!("{target}: {label} fails: {message}");
    }
}

/// One edit of a seed: overwrite, insert or delete at a position (taken
/// modulo the length), or cut the input there.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
    Repeat(usize, usize, u16),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Bytes that matter to the parsers more often than chance would pick them.
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"<>/:=\"'&;#.,|\n\r\t \\[]{}-0123456789xX\x1b\x00\xff".to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(p, b)| Edit::Set(p, b)),
        (any::<usize>(), prop::collection::vec(byte, 1..8)).prop_map(|(p, b)| Edit::Insert(p, b)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 1usize..32, 1u16..600).prop_map(|(p, n, k)| Edit::Repeat(p, n, k)),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
        match e {
            Edit::Set(p, b) if !bytes.is_empty() => {
                let i = p % bytes.len();
                bytes[i] = *b;
            }
            Edit::Set(..) => {}
            Edit::Insert(p, b) => {
                let i = at(*p, bytes.len());
                bytes.splice(i..i, b.iter().copied());
            }
            Edit::Delete(p, n) => {
                let i = at(*p, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Edit::Truncate(p) => {
                let i = at(*p, bytes.len());
                bytes.truncate(i);
            }
            // A slice repeated many times: long names, deep nesting, huge
            // values, the shapes that reach the size limits.
            Edit::Repeat(p, n, k) => {
                let i = at(*p, bytes.len());
                let end = (i + n).min(bytes.len());
                let piece = bytes[i..end].to_vec();
                let copies: Vec<u8> = piece.repeat(usize::from(*k));
                bytes.splice(end..end, copies);
            }
        }
    }
    bytes
}

macro_rules! replay {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[test]
            fn corpus_replays() {
                let _alone = alone();
                for (path, bytes) in corpus(stringify!($name)) {
                    run(stringify!($name), &bytes, &path);
                }
            }

            proptest! {
                #![proptest_config(ProptestConfig {
                    cases: 64,
                    failure_persistence: None,
                    // CI replays the same mutations on every run, so a red
                    // run is a finding, never luck; the long AFL runs are
                    // where new inputs are explored.
                    rng_seed: proptest::test_runner::RngSeed::Fixed(0x616d_7472_6561_6479),
                    ..ProptestConfig::default()
                })]
                #[test]
                fn mutated_corpus(seed in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 1..6)) {
                    let _alone = alone();
                    let files = corpus(stringify!($name));
                    let (path, bytes) = &files[seed.index(files.len())];
                    let input = apply(bytes.clone(), &edits);
                    run(stringify!($name), &input, &format!("{path} with {edits:?}"));
                }
            }
        }
    )*};
}

replay!(
    error_line,
    envelope,
    fault,
    digest,
    server_header,
    rmcp,
    version,
    os,
    host_facts,
    policy,
    http_response,
    eoi,
    target,
    site_file,
    facts_record,
);

#[test]
fn every_target_has_a_replay() {
    let replayed = [
        "error_line",
        "envelope",
        "fault",
        "digest",
        "server_header",
        "rmcp",
        "version",
        "os",
        "host_facts",
        "policy",
        "http_response",
        "eoi",
        "target",
        "site_file",
        "facts_record",
    ];
    let all: Vec<&str> = amtready_fuzz::TARGETS.iter().map(|t| t.name).collect();
    assert_eq!(all, replayed);
}
