//! AMT_SystemPowerScheme: the power packages this generation offers, and
//! (through `element_setting_data.rs`) which one is active. The package
//! names follow the Intel AMT SDK's "Power Packages" description: the ME is
//! on in the S-states a description lists, "WoL" wakes it on traffic, "AC"
//! means on mains power only; Release 3.0 adds two "OFF After Power Loss"
//! packages, and from 6.0 there are two required packages each for desktop
//! and mobile platforms. A machine with a wireless interface gets the
//! mobile ones. The SchemeGUID values are generated: the SDK's table of
//! well-known GUIDs was not in any source we could read, so these are
//! stable stand-ins in the same base64 form, not Intel's.

use super::Instance;
use super::{b64, seeded_bytes, text, Class, Context};
use crate::profile::{PowerPackage, Profile};

/// The class name.
pub const CLASS: &str = "AMT_SystemPowerScheme";
/// The class's resource URI.
pub const RESOURCE_URI: &str = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_SystemPowerScheme";

/// The InstanceID of package `n`.
pub fn instance_id(n: usize) -> String {
    format!("Intel(r) AMT:Power Scheme {n}")
}

/// The packages `profile`'s firmware offers, in firmware order: the first
/// is ON in S0 only, the second ON in S0 to S5.
pub fn packages(profile: &Profile) -> Vec<&'static str> {
    let mobile = profile.classes.ethernet_port_settings.wireless;
    let major = profile.major();
    match (mobile, major) {
        (false, 6..) => vec!["Desktop: ON in S0", "Desktop: ON in S0, S3, S4-5"],
        (true, 6..) => vec!["Mobile: ON in S0", "Mobile: ON in S0, S3/AC, S4-5/AC"],
        (false, 3) => vec![
            "Desktop: ON in S0",
            "Desktop: ON in S0, S3, S4-5",
            "Desktop: ON in S0, ME WoL in S3, S4-5",
            "Desktop: ON in S0, S3, S4-5, OFF After Power Loss",
            "Desktop: ON in S0, ME WoL in S3, S4-5, OFF After Power Loss",
        ],
        (false, _) => vec![
            "Desktop: ON in S0",
            "Desktop: ON in S0, S3, S4-5",
            "Desktop: ON in S0, ME WoL in S3, S4-5",
        ],
        (true, _) => vec![
            "Mobile: ON in S0",
            "Mobile: ON in S0, S3/AC, S4-5/AC",
            "Mobile: ON in S0, S3/AC",
            "Mobile: ON in S0, ME WoL in S3/AC",
        ],
    }
}

/// The index of the active package.
pub fn active(profile: &Profile) -> usize {
    match profile.classes.system_power_scheme.active {
        PowerPackage::S0 => 0,
        PowerPackage::S0ToS5 => 1,
    }
}

/// AMT_SystemPowerScheme.
pub struct SystemPowerScheme;

impl Class for SystemPowerScheme {
    class_names!();

    fn served(&self, profile: &Profile) -> bool {
        profile.major() >= 3
    }

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        packages(ctx.profile)
            .into_iter()
            .enumerate()
            .map(|(n, description)| {
                vec![
                    ("CreationClassName".to_owned(), text(CLASS)),
                    ("Description".to_owned(), text(description)),
                    ("ElementName".to_owned(), text("Intel(r) AMT Power Scheme")),
                    ("InstanceID".to_owned(), text(instance_id(n))),
                    (
                        "SchemeGUID".to_owned(),
                        text(b64(&seeded_bytes(description, 16))),
                    ),
                    (
                        "SystemCreationClassName".to_owned(),
                        text("CIM_ComputerSystem"),
                    ),
                    ("SystemName".to_owned(), text("Intel(r) AMT")),
                ]
            })
            .collect()
    }
}
