//! IPS_HostBasedSetupService: control mode and allowed control modes (AMT 6.1 and later).

use super::{b64, seeded_bytes, text, Class, Context};
use super::{Instance, Prop};

/// The class name.
pub const CLASS: &str = "IPS_HostBasedSetupService";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_HostBasedSetupService";

/// IPS_HostBasedSetupService.
pub struct HostBasedSetup;

impl Class for HostBasedSetup {
    class_names!();

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        let profile = ctx.profile;
        let nonce = seeded_bytes(&format!("{}-nonce", profile.name), 20);
        vec![vec![
            (
                "AllowedControlModes".to_owned(),
                Prop::Many(
                    profile
                        .allowed_control_modes
                        .iter()
                        .map(u8::to_string)
                        .collect(),
                ),
            ),
            ("CertChainStatus".to_owned(), text("0")),
            ("ConfigurationNonce".to_owned(), text(b64(&nonce))),
            ("CreationClassName".to_owned(), text(CLASS)),
            (
                "CurrentControlMode".to_owned(),
                text(profile.control_mode.unwrap_or(0).to_string()),
            ),
            (
                "ElementName".to_owned(),
                text("Intel(r) AMT Host Based Setup Service"),
            ),
            (
                "Name".to_owned(),
                text("Intel(r) AMT Host Based Setup Service"),
            ),
            (
                "SystemCreationClassName".to_owned(),
                text("CIM_ComputerSystem"),
            ),
            ("SystemName".to_owned(), text("Intel(r) AMT")),
        ]]
    }
}
