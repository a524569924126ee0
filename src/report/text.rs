//! Text helpers shared by every human-readable format: making device-supplied
//! strings safe to print, measuring and wrapping them, and the terminal width.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Width used when stdout is not a terminal and `COLUMNS` is unset.
pub const DEFAULT_WIDTH: usize = 100;
/// Narrowest layout attempted; below it lines may be cut hard.
pub const MIN_WIDTH: usize = 40;

/// The width human-readable output must fit: `COLUMNS` when set (the user's
/// say wins, also in pipes), else the terminal's width when stdout is one,
/// else [`DEFAULT_WIDTH`].
pub fn output_width() -> usize {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return cols.clamp(MIN_WIDTH, 1000);
    }
    let term = console::Term::stdout();
    if term.is_term() {
        if let Some((_, cols)) = term.size_checked() {
            return usize::from(cols).clamp(MIN_WIDTH, 1000);
        }
    }
    DEFAULT_WIDTH
}

/// The width stderr messages are wrapped to when stderr is a terminal (its
/// width, or `COLUMNS` when set); `None` into files and pipes, where one line
/// per message is what grep and logs want.
pub fn stderr_width() -> Option<usize> {
    let term = console::Term::stderr();
    if !term.is_term() {
        return None;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| term.size_checked().map(|(_, cols)| usize::from(cols)))
        .map(|cols| cols.clamp(MIN_WIDTH, 1000))
}

pub use crate::text::clean;

/// Says one thing on stderr, as `amtready: ...`. On a terminal (or with
/// `COLUMNS` set) it is wrapped at words to the width, with the text under
/// the text; into a file or a pipe it stays one line per message, for grep.
pub fn say(message: impl std::fmt::Display) {
    let text = format!("{message}");
    match stderr_width() {
        Some(width) => {
            for line in hanging("amtready: ", &text, width) {
                eprintln!("{line}");
            }
        }
        None => eprintln!("amtready: {text}"),
    }
}

/// Display width in terminal columns (CJK counts 2, combining marks 0).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Splits `text` into lines of at most `max` columns, at spaces where it can
/// and inside a word only when the word alone is wider than a line.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_w = 0usize;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let w = width(word);
        if line_w > 0 && line_w + 1 + w <= max {
            line.push(' ');
            line.push_str(word);
            line_w += 1 + w;
            continue;
        }
        if line_w > 0 {
            lines.push(std::mem::take(&mut line));
            line_w = 0;
        }
        if w <= max {
            line.push_str(word);
            line_w = w;
            continue;
        }
        // A word wider than a line (a long FQDN, a hash): break it after
        // dots and dashes where it can, by columns where it cannot.
        for segment in word.split_inclusive(['.', '-']) {
            let sw = width(segment);
            if line_w > 0 && line_w + sw > max {
                lines.push(std::mem::take(&mut line));
                line_w = 0;
            }
            for c in segment.chars() {
                let cw = UnicodeWidthChar::width(c).unwrap_or(0);
                if line_w + cw > max && line_w > 0 {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0;
                }
                line.push(c);
                line_w += cw;
            }
        }
    }
    if line_w > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` wrapped to `width` with `first` before the first line and as many
/// spaces before the others (a hanging indent), every line at most `width`.
pub fn hanging(first: &str, text: &str, width_total: usize) -> Vec<String> {
    let indent = width(first);
    if indent + 10 > width_total {
        // No room beside the prefix (a long rule id on a narrow screen): the
        // prefix gets its own line(s) and the text goes under it.
        let mut out = wrap(first, width_total);
        let room = width_total.saturating_sub(4).max(1);
        out.extend(wrap(text, room).into_iter().map(|l| format!("    {l}")));
        return out;
    }
    let room = width_total.saturating_sub(indent);
    wrap(text, room)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{first}{l}")
            } else {
                format!("{}{l}", " ".repeat(indent))
            }
        })
        .collect()
}

/// Pads `s` with spaces to `w` columns.
pub fn pad(s: &str, w: usize) -> String {
    let have = width(s);
    let mut out = String::with_capacity(s.len() + w.saturating_sub(have));
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(have)));
    out
}

/// A plain-text grid whose columns shrink (widest first) until the whole row
/// fits `total` columns; cells then wrap onto continuation lines. Used by the
/// host table and by `rules`.
pub(crate) struct Grid {
    pub widths: Vec<usize>,
}

/// Two spaces between columns: enough to read, cheap on an 80-column screen.
const GAP: usize = 2;

/// Rows looked at when choosing which column wraps: enough to see a fleet's
/// kinds of values, few enough that a /16's table is laid out at once.
const FIT_SAMPLE: usize = 256;

impl Grid {
    /// Chooses column widths for `header` and `rows` within `total` columns.
    /// `mins` is the width each column keeps while others can still give
    /// room (so wordy columns wrap before an address does); when every column
    /// is at its minimum and the row is still too wide, the widest shrink
    /// first, down to one column if the terminal is absurdly narrow, so no
    /// line is ever wider than asked. A cell may hold several lines (`\n`).
    ///
    /// Among the columns that may still give, each step takes a column from
    /// the one whose narrowing makes the table least taller (over a sample of
    /// rows on a big table), then the one that wraps fewest cells: "Provisioned,
    /// Enterprise mode" should not wrap while the SKU beside it has room to,
    /// and a cell may wrap freely in a row its neighbours already make tall.
    pub(crate) fn fit<R: AsRef<[String]>>(
        header: &[&str],
        rows: impl Iterator<Item = R>,
        mins: &[usize],
        hard_mins: &[usize],
        total: usize,
    ) -> Grid {
        let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
        let mut sample: Vec<Vec<String>> = Vec::new();
        for row in rows {
            let row = row.as_ref();
            for (w, cell) in widths.iter_mut().zip(row.iter()) {
                *w = (*w).max(cell.split('\n').map(width).max().unwrap_or(0));
            }
            if sample.len() < FIT_SAMPLE {
                sample.push(row.to_vec());
            }
        }
        let gaps = GAP * header.len().saturating_sub(1);
        let budget = total.saturating_sub(gaps);
        let soft: Vec<usize> = (0..widths.len())
            .map(|i| mins.get(i).copied().unwrap_or(4).min(widths[i]).max(1))
            .collect();
        let hard: Vec<usize> = (0..widths.len())
            .map(|i| hard_mins.get(i).copied().unwrap_or(1).min(soft[i]).max(1))
            .collect();
        let one = vec![1usize; widths.len()];
        // Lines each sampled cell takes at a column width.
        let cell_lines = |i: usize, w: usize| -> Vec<usize> {
            sample
                .iter()
                .map(|row| {
                    row.get(i)
                        .map(|c| c.split('\n').map(|part| wrap(part, w).len()).sum())
                        .unwrap_or(1)
                })
                .collect()
        };
        let mut lines: Vec<Vec<usize>> = (0..widths.len())
            .map(|i| cell_lines(i, widths[i]))
            .collect();
        // The table's height over the sample with column `i` at `with`: a
        // cell that wraps inside a row already as tall costs nothing.
        let height = |lines: &[Vec<usize>], i: usize, with: &[usize]| -> usize {
            (0..sample.len())
                .map(|r| {
                    (0..lines.len())
                        .map(|c| if c == i { with[r] } else { lines[c][r] })
                        .max()
                        .unwrap_or(1)
                })
                .sum()
        };
        for floor in [&soft, &hard, &one] {
            while widths.iter().sum::<usize>() > budget {
                let Some((i, _, after)) = widths
                    .iter()
                    .enumerate()
                    .filter(|(i, w)| **w > floor[*i])
                    .map(|(i, w)| {
                        let after = cell_lines(i, w - 1);
                        let grows = height(&lines, i, &after);
                        let wraps: usize = after.iter().sum();
                        (i, (grows, wraps, usize::MAX - *w, i), after)
                    })
                    .min_by_key(|(_, key, _)| *key)
                else {
                    break;
                };
                widths[i] -= 1;
                lines[i] = after;
            }
        }
        Grid { widths }
    }

    /// Total width of a rendered line.
    pub(crate) fn line_width(&self) -> usize {
        self.widths.iter().sum::<usize>() + GAP * self.widths.len().saturating_sub(1)
    }

    /// One logical row as one or more physical lines (cells wrapped).
    pub(crate) fn render<S: AsRef<str>>(&self, cells: &[S]) -> Vec<String> {
        let wrapped: Vec<Vec<String>> = self
            .widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                cells
                    .get(i)
                    .map(|c| c.as_ref())
                    .unwrap_or("")
                    .split('\n')
                    .flat_map(|part| wrap(part, *w))
                    .collect()
            })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        (0..height)
            .map(|line| {
                let mut out = String::new();
                for (i, w) in self.widths.iter().enumerate() {
                    let part = wrapped[i].get(line).map(String::as_str).unwrap_or("");
                    if i + 1 == self.widths.len() {
                        out.push_str(part);
                    } else {
                        out.push_str(&pad(part, *w));
                        out.push_str("  ");
                    }
                }
                out.truncate(out.trim_end().len());
                out
            })
            .collect()
    }

    /// A rule of dashes under the header, as wide as the grid.
    pub(crate) fn rule(&self) -> String {
        "-".repeat(self.line_width())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_never_exceeds_the_width() {
        let text = "AMT firmware 2.6.1 is older than every release Configuration Manager supports averyveryverylongwordwithoutspaces";
        for max in 1..60 {
            for line in wrap(text, max) {
                assert!(width(&line) <= max, "{max}: {line:?}");
            }
        }
    }

    #[test]
    fn hanging_never_exceeds_the_width() {
        let prefix = "    warning A-VERY-LONG-RULE-IDENTIFIER-INDEED: ";
        for total in [12, 20, 40, 60] {
            for line in hanging(prefix, "some words that need wrapping here", total) {
                assert!(width(&line) <= total.max(5), "{total}: {line:?}");
            }
        }
    }

    #[test]
    fn grid_fits_the_total() {
        let header = ["HOST", "AMT", "VERDICT"];
        let rows = [vec![
            "10.0.0.1 very-long-hostname.corp.example.com".to_string(),
            "11.8.50.3425".to_string(),
            "not ready".to_string(),
        ]];
        for total in [20, 40, 80] {
            let grid = Grid::fit(
                &header,
                rows.iter().map(Vec::as_slice),
                &[8, 6, 9],
                &[4, 4, 4],
                total,
            );
            assert!(grid.line_width() <= total);
            for line in grid.render(&rows[0]) {
                assert!(width(&line) <= total, "{total}: {line:?}");
            }
        }
    }
}
