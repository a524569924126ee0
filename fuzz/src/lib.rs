//! Fuzz targets for amtready's parsers of device answers and of the files an
//! admin feeds it.
//!
//! Each target takes raw bytes and panics when a property fails. The same
//! functions serve two drivers:
//! - `tests/replay.rs` replays every file under `fuzz/corpus/<target>/` (and
//!   a bounded number of random mutations of them) in the workspace's
//!   ordinary `cargo test`, on stable, in seconds;
//! - `src/bin/afl.rs` runs one target under AFL++ (`cargo afl fuzz`, see
//!   docs/fuzzing.md) for as long as one cares to.
//!
//! Beyond "does not panic", every target checks what the project promises
//! about that input: errors are one line of at most
//! [`amtready::amt::MAX_ERROR_CHARS`] characters with every control character
//! escaped (the rule `bounded_line` enforces on a host's `error`), parsed
//! values survive a display/re-parse round trip, and a parse never holds
//! more heap than a small multiple of its input.
#![forbid(unsafe_code)]

pub mod check;
mod targets;
pub mod xml_writer;

use peak_alloc::PeakAlloc;

/// Counts heap use so [`check::heap_within`] can bound a parse's peak.
#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// A fuzz target: a name (its corpus directory) and the function that checks
/// one input.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Directory name under `fuzz/corpus/`, and the AFL driver's argument.
    pub name: &'static str,
    /// Runs one input; panics when a property fails.
    pub run: fn(&[u8]),
}

/// Every target, in the order docs/fuzzing.md lists them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "error_line",
        run: targets::error_line,
    },
    Target {
        name: "envelope",
        run: targets::envelope,
    },
    Target {
        name: "fault",
        run: targets::fault,
    },
    Target {
        name: "digest",
        run: targets::digest,
    },
    Target {
        name: "server_header",
        run: targets::server_header,
    },
    Target {
        name: "rmcp",
        run: targets::rmcp,
    },
    Target {
        name: "version",
        run: targets::version,
    },
    Target {
        name: "os",
        run: targets::os,
    },
    Target {
        name: "host_facts",
        run: targets::host_facts,
    },
    Target {
        name: "policy",
        run: targets::policy,
    },
    Target {
        name: "http_response",
        run: targets::http_response,
    },
    Target {
        name: "eoi",
        run: targets::eoi,
    },
    Target {
        name: "target",
        run: targets::target,
    },
    Target {
        name: "site_file",
        run: targets::site_file,
    },
    Target {
        name: "facts_record",
        run: targets::facts_record,
    },
];

/// The target of this name.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}
