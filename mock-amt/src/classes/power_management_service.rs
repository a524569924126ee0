//! CIM_PowerManagementService: the service instance (shape from
//! go-wsman-messages' `cim/power/managementservice/get.xml`, an AMT answer)
//! and its `RequestPowerStateChange` method, which amtctrl, MeshCommander and
//! Open AMT call to power a machine on, off or round.
//!
//! Which requests succeed is our modelling, from what clients report of
//! real firmware: the answer is `RequestPowerStateChange_OUTPUT` with
//! `ReturnValue` 0 on success and 2 when the request does not fit the state
//! (sdague/amt issue 16: a power cycle sent to a machine that is off fails;
//! MAAS's AMT driver only sends "on" to a machine it found off). A state the
//! firmware does not offer is refused the same way. The states offered are
//! the AvailableRequestedPowerStates of AMT 12.x (`8, 5, 2, 10, 11, 12, 14`);
//! releases without that property (8.1 and older) take the four the EOI
//! RemoteControl capabilities advertise: on, off, power cycle, reset.

use super::Instance;
use super::{text, Class, Context, Output, State};
use crate::profile::Profile;

/// The class name.
pub const CLASS: &str = "CIM_PowerManagementService";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService";
/// The service's Name, the selector clients address it by.
pub const SERVICE_NAME: &str = "Intel(r) AMT Power Management Service";

/// CIM PowerState values (DSP1027) the mock uses.
const ON: u8 = 2;
const OFF_SOFT: u8 = 8;

/// Success, and "Unknown or Unspecified Error" (what AMT answers when the
/// request does not fit).
const COMPLETED: &str = "0";
const REFUSED: &str = "2";

/// The power states a client may request on this firmware, in the order
/// AvailableRequestedPowerStates lists them.
pub fn requestable(profile: &Profile) -> &'static [u8] {
    if profile.available_power_states {
        &[8, 5, 2, 10, 11, 12, 14]
    } else {
        &[2, 8, 5, 10]
    }
}

/// The state a request leaves the machine in, if it may be made now.
fn after(current: u8, requested: u8) -> Option<u8> {
    let on = current == ON;
    match requested {
        // Power up: only from off.
        2 if !on => Some(ON),
        // Off (soft), and its graceful form: only from on.
        8 | 12 if on => Some(OFF_SOFT),
        // Power cycle, master bus reset (and graceful), NMI: the machine
        // comes back on; all need it running.
        5 | 10 | 11 | 14 if on => Some(ON),
        _ => None,
    }
}

/// Makes a power request (a CIM PowerState) if this firmware offers it and
/// it fits the machine's state now; false leaves the state as it was. WS-Man's
/// RequestPowerStateChange and EOI's RemoteControl both come here, so either
/// protocol sees what the other did.
pub fn request_power_state(profile: &Profile, state: &mut State, requested: u8) -> bool {
    let Some(next) = Some(requested)
        .filter(|r| requestable(profile).contains(r))
        .and_then(|r| after(state.power_state, r))
    else {
        return false;
    };
    state.requested_power_state = requested;
    state.power_state = next;
    true
}

/// CIM_PowerManagementService.
pub struct PowerManagementService;

impl Class for PowerManagementService {
    class_names!();

    fn before_setup(&self) -> bool {
        false
    }

    fn instances(&self, _ctx: &Context<'_>) -> Vec<Instance> {
        vec![vec![
            ("CreationClassName".to_owned(), text(CLASS)),
            ("ElementName".to_owned(), text(SERVICE_NAME)),
            ("EnabledState".to_owned(), text("5")),
            ("Name".to_owned(), text(SERVICE_NAME)),
            ("RequestedState".to_owned(), text("12")),
            (
                "SystemCreationClassName".to_owned(),
                text("CIM_ComputerSystem"),
            ),
            ("SystemName".to_owned(), text("Intel(r) AMT")),
        ]]
    }

    fn invoke(
        &self,
        method: &str,
        input: &[(String, String)],
        ctx: &Context<'_>,
        state: &mut State,
    ) -> Option<Output> {
        if method != "RequestPowerStateChange" {
            return None;
        }
        let requested = input
            .iter()
            .find(|(name, _)| name == "PowerState")
            .and_then(|(_, v)| v.parse::<u8>().ok());
        let changed = requested.is_some_and(|r| request_power_state(ctx.profile, state, r));
        let code = if changed { COMPLETED } else { REFUSED };
        Some(vec![("ReturnValue".to_owned(), text(code))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_must_fit_the_state() {
        assert_eq!(after(ON, 8), Some(OFF_SOFT));
        assert_eq!(after(OFF_SOFT, 2), Some(ON));
        assert_eq!(after(ON, 5), Some(ON));
        assert_eq!(after(OFF_SOFT, 5), None, "no power cycle when off");
        assert_eq!(after(ON, 2), None, "already on");
        assert_eq!(after(OFF_SOFT, 8), None, "already off");
        assert_eq!(after(ON, 4), None, "sleep is not offered");
    }
}
