//! AMT_TimeSynchronizationService: GetLowAccuracyTimeSynch answers Ta0, AMT's
//! clock in seconds since 1970 (Intel AMT SDK, Time Synchronization), here
//! the machine's clock plus `[classes.AMT_TimeSynchronizationService]
//! offset_seconds` (the set-up `+clock-skew=SECONDS`). The output's shape
//! (`Ta0`, `ReturnValue`) is go-wsman-messages' `amt/timesynchronization`.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{text, Class, Context, Instance, Output, State};
use crate::profile::Profile;

/// The class name.
pub const CLASS: &str = "AMT_TimeSynchronizationService";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_TimeSynchronizationService";

/// PT_STATUS_SUCCESS.
const SUCCESS: &str = "0";

/// AMT_TimeSynchronizationService.
pub struct TimeSynchronizationService;

impl Class for TimeSynchronizationService {
    class_names!();

    fn served(&self, profile: &Profile) -> bool {
        profile.major() >= 3
    }

    fn instances(&self, _ctx: &Context<'_>) -> Vec<Instance> {
        vec![vec![
            ("CreationClassName".to_owned(), text(CLASS)),
            (
                "ElementName".to_owned(),
                text("Intel(r) AMT Time Synchronization Service"),
            ),
            ("EnabledState".to_owned(), text("5")),
            ("LocalTimeSyncEnabled".to_owned(), text("0")),
            (
                "Name".to_owned(),
                text("Intel(r) AMT Time Synchronization Service"),
            ),
            ("RequestedState".to_owned(), text("12")),
            (
                "SystemCreationClassName".to_owned(),
                text("CIM_ComputerSystem"),
            ),
            ("SystemName".to_owned(), text("Intel(r) AMT")),
            ("TimeSource".to_owned(), text("1")),
        ]]
    }

    fn invoke(
        &self,
        method: &str,
        _input: &[(String, String)],
        ctx: &Context<'_>,
        _state: &mut State,
    ) -> Option<Output> {
        if method != "GetLowAccuracyTimeSynch" {
            return None;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let offset = ctx.profile.classes.time_synchronization.offset_seconds;
        // Ta0 is a uint32: a clock set before 1970 or past 2106 wraps as
        // firmware's would not; clamp instead.
        let ta0 = now.saturating_add(offset).clamp(0, i64::from(u32::MAX));
        Some(vec![
            ("Ta0".to_owned(), text(ta0.to_string())),
            ("ReturnValue".to_owned(), text(SUCCESS)),
        ])
    }
}
