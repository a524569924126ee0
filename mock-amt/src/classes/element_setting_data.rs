//! CIM_ElementSettingData: the associations from AMT's CIM_ComputerSystem
//! to its power packages, `IsCurrent` 1 on the active one and 2 on the
//! others, which is how the Intel AMT SDK's "Get the Currently Active Power
//! Package" finds it. Real firmware associates other settings too; the
//! mock serves the power packages' only.

use super::{system_power_scheme, text, Class, Context};
use super::{Instance, Prop};
use crate::profile::Profile;

/// The class name.
pub const CLASS: &str = "CIM_ElementSettingData";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ElementSettingData";

/// CIM_ElementSettingData.
pub struct ElementSettingData;

impl Class for ElementSettingData {
    class_names!();

    fn served(&self, profile: &Profile) -> bool {
        system_power_scheme::SystemPowerScheme.served(profile)
    }

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        let active = system_power_scheme::active(ctx.profile);
        (0..system_power_scheme::packages(ctx.profile).len())
            .map(|n| {
                vec![
                    ("IsCurrent".to_owned(), text(if n == active { "1" } else { "2" })),
                    (
                        "ManagedElement".to_owned(),
                        Prop::Epr {
                            resource_uri:
                                "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ComputerSystem"
                                    .to_owned(),
                            selectors: vec![
                                ("CreationClassName".to_owned(), "CIM_ComputerSystem".to_owned()),
                                ("Name".to_owned(), "Intel(r) AMT".to_owned()),
                            ],
                        },
                    ),
                    (
                        "SettingData".to_owned(),
                        Prop::Epr {
                            resource_uri: system_power_scheme::RESOURCE_URI.to_owned(),
                            selectors: vec![(
                                "InstanceID".to_owned(),
                                system_power_scheme::instance_id(n),
                            )],
                        },
                    ),
                ]
            })
            .collect()
    }
}
