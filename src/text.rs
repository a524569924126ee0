//! One-line, bounded, escaped text: what every string a device or a file
//! controls goes through before it reaches an error, a terminal or a report.
//! It sits at the crate root because the protocol layer, the rules and the
//! reports all need it, and none of them should depend on another for it.

use std::borrow::Cow;

/// True for characters that must never reach a terminal or a document raw: C0
/// and C1 controls (escape sequences, newlines, carriage returns, bells), DEL,
/// and the bidirectional overrides that can make text read differently from
/// what it is.
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A device-supplied string made safe for one line of human-readable output:
/// every control character (an ANSI escape, a newline in a hostname or an
/// error) is replaced by a visible escape such as `\x1b` or `\n`.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
                c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Longest piece of device text quoted in an error.
pub const MAX_QUOTED_CHARS: usize = 120;

/// Longest string a record keeps from a device, an inventory export or a
/// Windows host (a hostname, a caption, a banner), in bytes. Far above any
/// real value (a DNS name is at most 253 bytes), and small enough that every
/// record amtready writes stays well inside what its readers accept.
pub const MAX_FIELD_BYTES: usize = 4096;

/// `text` cut to at most [`MAX_FIELD_BYTES`] bytes (on a character
/// boundary), with a marker saying how much was cut: `…(clipped 595904
/// bytes)`. Text that fits is returned as it is; nothing else is changed, so
/// a value that fits reads back exactly.
pub fn clip_field(text: &str) -> Cow<'_, str> {
    clip_field_to(text, MAX_FIELD_BYTES)
}

/// [`clip_field`] with its own limit (at least the marker's length).
pub fn clip_field_to(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let marker = |cut: usize| format!("…(clipped {cut} bytes)");
    // Room for the longest marker this text can need.
    let room = max.saturating_sub(marker(text.len()).len());
    let mut end = room.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(max);
    out.push_str(&text[..end]);
    out.push_str(&marker(text.len() - end));
    Cow::Owned(out)
}

/// `text` as one line of at most `max` characters: whitespace runs become one
/// space, every other control character a visible escape (`\x1b`), and
/// what does not fit is cut with `…` and the length left out. The note
/// counts toward `max` (room is kept for the longest one `text` can need),
/// so a clipped line is no longer than an unclipped one may be; only a `max`
/// shorter than the note itself gives a longer line.
pub fn bounded_line(text: &str, max: usize) -> String {
    let text = text.trim();
    let note = |rest: usize| format!("… ({rest} more bytes)");
    let note_room = note(text.len()).chars().count();
    let mut out = String::new();
    let mut shown = 0usize;
    let mut space = false;
    // Where the note goes if the line turns out too long: the output length
    // and the input offset at the last piece that still left room for it.
    let mut cut: Option<(usize, usize)> = None;
    for (at, c) in text.char_indices() {
        let piece: std::borrow::Cow<'_, str> = if c.is_whitespace() {
            if space {
                continue;
            }
            space = true;
            " ".into()
        } else {
            space = false;
            if is_unsafe(c) {
                if (c as u32) < 0x100 {
                    format!("\\x{:02x}", c as u32).into()
                } else {
                    format!("\\u{{{:x}}}", c as u32).into()
                }
            } else {
                c.to_string().into()
            }
        };
        let n = piece.chars().count();
        if cut.is_none() && shown + n + note_room > max {
            cut = Some((out.len(), at));
        }
        if shown + n > max {
            let (keep, from) = cut.unwrap_or((out.len(), at));
            out.truncate(keep);
            out.push_str(&note(text.len() - from));
            return out;
        }
        shown += n;
        out.push_str(&piece);
    }
    out
}

/// Device text for an error message: quoted, on one line, escaped and clipped,
/// so a hostile device can neither flood a report nor forge its lines.
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", bounded_line(text, MAX_QUOTED_CHARS))
}

/// Lower-case hex of `bytes`, no separators (digests, fingerprints).
pub fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// A hex digest as lower-case digits alone: `AB:CD ef` becomes `abcdef`, so
/// thumbprints match however a tool or a person wrote them.
pub fn normalise_hex(hex: &str) -> String {
    hex.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_clipped_on_a_character_boundary_with_a_marker() {
        assert_eq!(clip_field("ws-01.corp"), "ws-01.corp");
        let long = "é".repeat(300_000);
        let clipped = clip_field(&long);
        assert!(clipped.len() <= MAX_FIELD_BYTES, "{}", clipped.len());
        assert!(clipped.ends_with("bytes)") && clipped.contains("…(clipped "));
        let exact = "a".repeat(MAX_FIELD_BYTES);
        assert_eq!(clip_field(&exact), exact.as_str());
    }

    #[test]
    fn clean_makes_escapes_and_newlines_visible() {
        assert_eq!(clean("pc1\x1b[32mgreen\nx"), "pc1\\x1b[32mgreen\\nx");
        assert_eq!(clean("a\u{202e}b"), "a\\u{202e}b");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn lower_hex_pads_every_byte() {
        assert_eq!(lower_hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(lower_hex(&[]), "");
    }
}
