//! The properties the targets assert, shared so every parser is held to the
//! same rule.

use std::sync::{Mutex, PoisonError};

use amtready::amt::MAX_ERROR_CHARS;

/// Asserts that `message` (what the program would print about one host, row
/// or file) is one line of at most `MAX_ERROR_CHARS` characters with no raw
/// control or bidirectional-override character: the rule `bounded_line`
/// enforces on a record's `error` (docs/user-guide.md, "Scan an estate": `error`).
#[track_caller]
pub fn one_line(what: &str, message: &str) {
    one_line_within(what, message, MAX_ERROR_CHARS);
}

/// [`one_line`] with another length limit, for a message that may list
/// every accepted spelling after the bounded part.
#[track_caller]
pub fn one_line_within(what: &str, message: &str, max: usize) {
    assert!(!message.trim().is_empty(), "{what}: empty message");
    let chars = message.chars().count();
    assert!(
        chars <= max,
        "{what}: {chars} characters (at most {max}): {:?}",
        clip(message)
    );
    if let Some(bad) = message.chars().find(|&c| unsafe_char(c)) {
        panic!(
            "{what}: raw control character {:?} in {:?}",
            bad,
            clip(message)
        );
    }
}

/// A character a terminal would act on instead of showing.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn clip(text: &str) -> String {
    text.chars().take(200).collect()
}

/// Serialises the heap measurements: the counter is process-wide, and the
/// replay tests run on several threads.
static MEASURING: Mutex<()> = Mutex::new(());

/// Heap a parse may hold at its peak: `per_byte` times the input, plus a
/// fixed allowance for tables and buffers that do not grow with the input.
#[derive(Debug, Clone, Copy)]
pub struct HeapBudget {
    pub per_byte: usize,
    pub fixed: usize,
}

impl HeapBudget {
    fn bytes(self, input_len: usize) -> usize {
        input_len
            .saturating_mul(self.per_byte)
            .saturating_add(self.fixed)
    }
}

/// Runs `parse` and asserts that the heap never grew by more than `budget`
/// allows for an input of `input_len` bytes while it ran (what it returns
/// counts too). This is what catches a length field trusted for an
/// allocation, or an expansion the input does not pay for.
#[track_caller]
pub fn heap_within<T>(
    what: &str,
    input_len: usize,
    budget: HeapBudget,
    parse: impl FnOnce() -> T,
) -> T {
    let _alone = MEASURING.lock().unwrap_or_else(PoisonError::into_inner);
    let heap = &super::HEAP;
    let before = heap.current_usage();
    heap.reset_peak_usage();
    let out = parse();
    let grew = heap.peak_usage().saturating_sub(before);
    let allowed = budget.bytes(input_len);
    assert!(
        grew <= allowed,
        "{what}: the parse of {input_len} bytes held {grew} bytes of heap (budget {allowed})"
    );
    out
}
