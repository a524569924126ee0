//! The scan's progress bar, on stderr and only on a terminal: hosts done of
//! the total, AMT found, ready / not ready / unknown so far, a readable rate
//! and the time left.
//!
//! It never interleaves with stdout on the same terminal: whoever writes a
//! report line while the bar is drawn does it through [`Progress::suspend`],
//! which takes the bar off the screen for the write (only needed, and only
//! done, when stdout is a terminal too).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::Tally;

/// The bar: it keeps no counts of its own, it shows the run's [`Tally`].
pub struct Progress {
    bar: ProgressBar,
    /// Report lines go to the same terminal: suspend the bar around them.
    share_terminal: bool,
}

/// "12.3 hosts/s", or per minute when slower than one a second: never "0.0834/s".
pub(crate) fn rate_text(per_sec: f64) -> String {
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
pub(crate) fn counts_text(amt: u64, ready: u64, not_ready: u64, unknown: u64) -> String {
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
            share_terminal: visible && std::io::stdout().is_terminal(),
        }
    }

    /// A bar that draws nothing (tests, `--no-progress`).
    pub fn hidden() -> Self {
        Self {
            bar: ProgressBar::hidden(),
            share_terminal: false,
        }
    }

    /// Shows this run's counts (a resumed file's hosts are not this run's
    /// work, and not in the bar's total).
    pub fn show(&self, tally: &Tally) {
        let live = tally.live();
        self.bar.set_message(counts_text(
            live.amt_found,
            live.ready,
            live.not_ready,
            live.unknown,
        ));
        self.bar.set_position(live.hosts);
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
        use crate::facts::{AmtFacts, FactsRecord, HostStatus};
        use crate::report::HostReport;
        use crate::rules::{Evaluation, Verdict};
        let p = Progress::hidden();
        let mut tally = Tally::default();
        tally.add(&HostReport {
            facts: FactsRecord {
                status: Some(HostStatus::Ok),
                amt: Some(AmtFacts::default()),
                ..FactsRecord::new("10.0.0.5")
            },
            evaluation: Some(Evaluation {
                verdict: Verdict::NotReady,
                findings: Vec::new(),
                missing: Vec::new(),
                not_checked: Vec::new(),
            }),
        });
        p.show(&tally);
        assert_eq!(tally.live().not_ready, 1);
        assert_eq!(p.bar.message(), counts_text(1, 0, 1, 0));
        assert_eq!(p.bar.position(), 1);
        assert_eq!(p.suspend(|| 7), 7);
    }
}
