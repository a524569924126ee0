//! `clock-skew`: AMT's clock is within `max_skew_seconds` of the scanner's.
//! AMT checks certificate dates for TLS and ticket times for Kerberos by its
//! own clock ("Keeping Time with Intel AMT"; the SDK's "Set the Network
//! Time": synchronise periodically when Active Directory users or TLS are
//! configured). The comparison is the one measured at scan time: AMT's Ta0
//! against the scanner's clock while the request was in flight, so the
//! skew is known to within the round trip and a second, and a saved scan is
//! judged on that, not on today's clock. A skew that could lie either side
//! of the threshold (a round trip too long) is missing, not a pass.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::amt::time_synchronization;
use crate::rules::fact::{FactId, FactUse};
use crate::rules::operational::missing;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The largest skew, either way, that passes.
    pub max_skew_seconds: u32,
}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse {
            reads: &[FactId::AmtClock],
            triggers: &[FactId::AmtOperationalRead],
            always: false,
        }
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let amt = cx.parsed.record.amt.as_ref();
        let Some(clock) = amt.and_then(|a| a.clock.as_ref()) else {
            return Outcome::missing(vec![missing(amt, FactId::AmtClock, time_synchronization::CLASS)]);
        };
        let Some((least, most)) = clock.skew_bounds_ms() else {
            return Outcome::missing(vec![FactId::AmtClock.missing_because(
                "AMT's or the scanner's reading is incomplete",
            )]);
        };
        let limit = i64::from(self.max_skew_seconds) * 1000;
        let seconds = |ms: i64| ms / 1000;
        if least > limit {
            return Outcome::findings(vec![cx.finding(format!(
                "AMT's clock is at least {} s ahead of the scanner's (more than {} s)",
                seconds(least),
                self.max_skew_seconds
            ))]);
        }
        if most < -limit {
            return Outcome::findings(vec![cx.finding(format!(
                "AMT's clock is at least {} s behind the scanner's (more than {} s)",
                seconds(-most),
                self.max_skew_seconds
            ))]);
        }
        if least >= -limit && most <= limit {
            return Outcome::pass();
        }
        Outcome::missing(vec![FactId::AmtClock.missing_because(format!(
            "a round trip of {} ms leaves the skew undecided",
            clock.round_trip_ms().unwrap_or_default()
        ))])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    fn run(amt_unix: i64, sent_ms: i64, answered_ms: i64) -> super::Outcome {
        let policy = Policy::named("configmgr-2007-sp1-operational").unwrap();
        let clock = json!({"amt_unix": amt_unix, "scanner_sent_unix_ms": sent_ms, "scanner_answered_unix_ms": answered_ms});
        run_in(policy, "AMT-CLOCK-SKEW", json!({"target": "t", "amt": {"clock": clock}}))
    }

    #[test]
    fn skew_is_judged_on_what_was_measured() {
        let t = 1_800_000_000_i64;
        let synced = run(t, t * 1000 - 20, t * 1000 + 30);
        assert!(synced.findings.is_empty() && synced.missing.is_empty());
        assert_eq!(rules(&run(t + 3600, t * 1000, t * 1000 + 50)), ["AMT-CLOCK-SKEW"]);
        assert_eq!(rules(&run(t - 3600, t * 1000, t * 1000 + 50)), ["AMT-CLOCK-SKEW"]);
        // A ten-minute round trip cannot tell 200 s of skew from none.
        let slow = run(t + 200, t * 1000, t * 1000 + 600_000);
        assert!(slow.findings.is_empty());
        assert_eq!(slow.missing.len(), 1);
    }
}
