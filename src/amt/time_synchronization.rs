//! AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch: AMT's clock. The
//! Intel AMT SDK (Time Synchronization, Detailed Description) gives Ta0 as
//! AMT's local time in seconds since 1970-01-01 UTC, and the class as
//! compatible with Releases 3.0 to 11.0 (WS-Management Class Reference).
//! The scanner notes its own clock when the request went out and when the
//! answer came back, so the comparison allows for the round trip and a
//! saved scan is judged on what was measured then.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::facts::ClockFacts;
use crate::wsman::response::Fault;
use crate::wsman::{Element, Error};

use super::class::{set_facts, Apply, Class, Fetch};
use super::firmware::{self, Generation};
use super::{expect_class, property, property_u32};

/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_TimeSynchronizationService";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "AMT_TimeSynchronizationService";

/// The method read.
pub const METHOD: &str = "GetLowAccuracyTimeSynch";

/// Ta0 from a `GetLowAccuracyTimeSynch_OUTPUT`, which must say ReturnValue
/// 0 (PT_STATUS_SUCCESS). Another ReturnValue is the device refusing the
/// call (the class is then unavailable, the host still read); an answer
/// without one is malformed.
pub fn ta0(output: &Element) -> Result<i64, Error> {
    expect_class(output, RESOURCE_URI, "GetLowAccuracyTimeSynch_OUTPUT")?;
    match property_u32(output, "ReturnValue") {
        Some(0) => {}
        Some(status) => {
            return Err(Error::Fault(Fault {
                code: "ReturnValue".into(),
                subcode: Some(status.to_string()),
                reason: format!("{METHOD} returned ReturnValue {status}"),
                ..Fault::default()
            }))
        }
        None => return Err(Error::Protocol(format!("{METHOD} gave no ReturnValue"))),
    }
    property(output, "Ta0")
        .and_then(|t| t.parse::<u32>().ok())
        .map(i64::from)
        .ok_or_else(|| Error::Protocol(format!("{METHOD} gave no Ta0")))
}

fn unix_ms(at: SystemTime) -> Option<i64> {
    at.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
}

/// AMT_TimeSynchronizationService, as the inventory reads it.
pub struct AmtTimeSynchronization;

impl Class for AmtTimeSynchronization {
    type Value = ClockFacts;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Invoke { method: METHOD };
    const FIRMWARE: &'static Generation = &firmware::TIME_SYNCHRONIZATION;

    fn parse(&self, answer: &[Element]) -> Result<ClockFacts, Error> {
        let output = super::class::single(answer, CLASS)?;
        Ok(ClockFacts {
            amt_unix: Some(ta0(output)?),
            ..ClockFacts::default()
        })
    }

    fn stamp(&self, clock: &mut ClockFacts, sent: SystemTime, answered: SystemTime) {
        clock.scanner_sent_unix_ms = unix_ms(sent);
        clock.scanner_answered_unix_ms = unix_ms(answered);
    }

    fn apply(&self, clock: ClockFacts, out: &mut Apply<'_>) {
        set_facts!(out, clock = Some(clock));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(body: &str) -> Element {
        crate::wsman::xml::parse(
            format!(r#"<g:GetLowAccuracyTimeSynch_OUTPUT xmlns:g="{RESOURCE_URI}">{body}</g:GetLowAccuracyTimeSynch_OUTPUT>"#).as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn ta0_needs_success() {
        assert_eq!(
            ta0(&output("<g:Ta0>1700000000</g:Ta0><g:ReturnValue>0</g:ReturnValue>")).unwrap(),
            1_700_000_000
        );
        let refused = ta0(&output("<g:Ta0>1700000000</g:Ta0><g:ReturnValue>1</g:ReturnValue>"));
        assert!(refused.unwrap_err().is_refusal());
        assert!(ta0(&output("<g:ReturnValue>0</g:ReturnValue>")).is_err());
    }

    #[test]
    fn the_round_trip_bounds_the_skew() {
        let mut clock = AmtTimeSynchronization
            .parse(&[output("<g:Ta0>1000</g:Ta0><g:ReturnValue>0</g:ReturnValue>")])
            .unwrap();
        let at = |ms: u64| UNIX_EPOCH + std::time::Duration::from_millis(ms);
        AmtTimeSynchronization.stamp(&mut clock, at(999_800), at(1_000_300));
        assert_eq!(clock.round_trip_ms(), Some(500));
        assert_eq!(clock.skew_bounds_ms(), Some((-300, 1_199)));
    }
}
