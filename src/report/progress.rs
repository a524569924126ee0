//! The scan's progress bar, on stderr and only on a terminal: hosts done of
//! the total, AMT found, ready / not ready / unknown so far, a readable rate
//! and the time left.
//!
//! It never interleaves with stdout on the same terminal: whoever writes a
//! report line while the bar is drawn does it through [`Progress::suspend`],
//! which takes the bar off the screen for the write (only needed, and only
//! done, when stdout is a terminal too).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::rules::Verdict;

/// One finished host, as the bar counts it.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostDone {
    pub amt_found: bool,
    pub verdict: Option<Verdict>,
}

/// What the bar shows besides position: counts so far.
#[derive(Debug, Default)]
struct Counts {
    amt: AtomicU64,
    ready: AtomicU64,
    not_ready: AtomicU64,
    unknown: AtomicU64,
}

pub struct Progress {
    bar: ProgressBar,
    counts: Counts,
    /// Report lines go to the same terminal: suspend the bar around them.
    share_terminal: bool,
}

/// "12.3 hosts/s", or per minute when slower than one a second: never "0.0834/s".
pub fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "– hosts/s".to_string()
    } else if per_sec >= 100.0 {
        format!("{per_sec:.0} hosts/s")
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1} hosts/s")
    } else {
        format!("{:.1} hosts/min", per_sec * 60.0)
    }
}

/// The counts part of the bar's message.
pub fn counts_text(amt: u64, ready: u64, not_ready: u64, unknown: u64) -> String {
    format!("AMT found {amt} · ready {ready} · not ready {not_ready} · unknown {unknown}")
}

impl Progress {
    /// A bar for `total` hosts, drawn when `enabled` and stderr is a terminal.
    pub fn new(total: u64, enabled: bool) -> Self {
        let visible = enabled && std::io::stderr().is_terminal();
        let bar = if visible {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {pos}/{len} hosts {bar:24} {msg} · {rate} · ETA {eta_precise}",
        ) {
            bar.set_style(
                style
                    .with_key(
                        "rate",
                        |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&rate_text(state.per_sec()));
                        },
                    )
                    .progress_chars("=> "),
            );
        }
        bar.set_message(counts_text(0, 0, 0, 0));
        if visible {
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        Self {
            bar,
            counts: Counts::default(),
            share_terminal: visible && std::io::stdout().is_terminal(),
        }
    }

    /// A bar that draws nothing (tests, `--no-progress`).
    pub fn hidden() -> Self {
        Self {
            bar: ProgressBar::hidden(),
            counts: Counts::default(),
            share_terminal: false,
        }
    }

    pub fn host_done(&self, host: HostDone) {
        if host.amt_found {
            self.counts.amt.fetch_add(1, Ordering::Relaxed);
        }
        let counter = match host.verdict {
            Some(Verdict::Ready) => Some(&self.counts.ready),
            Some(Verdict::NotReady) => Some(&self.counts.not_ready),
            Some(Verdict::Unknown) => Some(&self.counts.unknown),
            None => None,
        };
        if let Some(c) = counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let msg = counts_text(
            self.counts.amt.load(Ordering::Relaxed),
            self.counts.ready.load(Ordering::Relaxed),
            self.counts.not_ready.load(Ordering::Relaxed),
            self.counts.unknown.load(Ordering::Relaxed),
        );
        self.bar.set_message(msg);
        self.bar.inc(1);
    }

    /// Runs `write` with the bar off the screen when report lines share its terminal.
    pub fn suspend<R>(&self, write: impl FnOnce() -> R) -> R {
        if self.share_terminal {
            self.bar.suspend(write)
        } else {
            write()
        }
    }

    /// Removes the bar before the report's end is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_like_words() {
        assert_eq!(rate_text(0.0834), "5.0 hosts/min");
        assert_eq!(rate_text(12.34), "12.3 hosts/s");
        assert_eq!(rate_text(1234.0), "1234 hosts/s");
        assert_eq!(rate_text(0.0), "– hosts/s");
    }

    #[test]
    fn hidden_bar_counts_without_drawing() {
        let p = Progress::hidden();
        p.host_done(HostDone {
            amt_found: true,
            verdict: Some(Verdict::NotReady),
        });
        assert_eq!(p.counts.not_ready.load(Ordering::Relaxed), 1);
        assert_eq!(p.suspend(|| 7), 7);
    }
}
