//! CIM_AssociatedPowerManagementService: the power state now, and which
//! states may be requested (12.x and later) or was last requested (8.1 and
//! older), as in `../shared/captures/wsman/CIM_AssociatedPowerManagementService-*`
//! and `CIM_ServiceAvailableToElement-Pull-amt8.1.71-mps.xml`. A
//! RequestPowerStateChange on CIM_PowerManagementService changes what it says.

use super::{power_management_service, text, Class, Context};
use super::{Instance, Prop};

/// The class name.
pub const CLASS: &str = "CIM_AssociatedPowerManagementService";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_AssociatedPowerManagementService";

/// CIM_AssociatedPowerManagementService.
pub struct AssociatedPowerManagementService;

impl Class for AssociatedPowerManagementService {
    class_names!();

    fn before_setup(&self) -> bool {
        false
    }

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        let profile = ctx.profile;
        let mut i = vec![
            ("PowerState".to_owned(), text(ctx.state.power_state.to_string())),
            (
                "ServiceProvided".to_owned(),
                Prop::Epr {
                    resource_uri:
                        "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService"
                            .to_owned(),
                    selectors: vec![
                        ("CreationClassName".to_owned(), "CIM_PowerManagementService".to_owned()),
                        ("Name".to_owned(), "Intel(r) AMT Power Management Service".to_owned()),
                        ("SystemCreationClassName".to_owned(), "CIM_ComputerSystem".to_owned()),
                        ("SystemName".to_owned(), "Intel(r) AMT".to_owned()),
                    ],
                },
            ),
            (
                "UserOfService".to_owned(),
                Prop::Epr {
                    resource_uri: "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ComputerSystem"
                        .to_owned(),
                    selectors: vec![
                        ("CreationClassName".to_owned(), "CIM_ComputerSystem".to_owned()),
                        ("Name".to_owned(), "ManagedSystem".to_owned()),
                    ],
                },
            ),
        ];
        if profile.available_power_states {
            i.push((
                "AvailableRequestedPowerStates".to_owned(),
                Prop::Many(
                    power_management_service::requestable(profile)
                        .iter()
                        .map(u8::to_string)
                        .collect(),
                ),
            ));
        } else {
            i.push((
                "RequestedPowerState".to_owned(),
                text(ctx.state.requested_power_state.to_string()),
            ));
        }
        vec![i]
    }
}
