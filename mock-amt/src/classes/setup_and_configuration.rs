//! AMT_SetupAndConfigurationService: provisioning state and mode, zero-touch, DNS suffixes.

use super::Instance;
use super::{bool_text, text, Class, Context};

/// The class name.
pub const CLASS: &str = "AMT_SetupAndConfigurationService";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_SetupAndConfigurationService";

/// AMT_SetupAndConfigurationService.
pub struct SetupAndConfiguration;

impl Class for SetupAndConfiguration {
    class_names!();

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        let profile = ctx.profile;
        let mut i = vec![
            ("CreationClassName".to_owned(), text(CLASS)),
            (
                "ElementName".to_owned(),
                text("Intel(r) AMT Setup and Configuration Service"),
            ),
            ("EnabledState".to_owned(), text("5")),
            (
                "Name".to_owned(),
                text("Intel(r) AMT Setup and Configuration Service"),
            ),
            (
                "PasswordModel".to_owned(),
                text(profile.password_model.to_string()),
            ),
            ("ProvisioningServerOTP".to_owned(), text("AAAAAAAAAAA=")),
            (
                "ProvisioningState".to_owned(),
                text(profile.provisioning_state.to_string()),
            ),
            ("RequestedState".to_owned(), text("12")),
            (
                "SystemCreationClassName".to_owned(),
                text("CIM_ComputerSystem"),
            ),
            ("SystemName".to_owned(), text("Intel(r) AMT")),
            (
                "ZeroTouchConfigurationEnabled".to_owned(),
                bool_text(profile.zero_touch),
            ),
        ];
        if let Some(mode) = profile.provisioning_mode {
            i.push(("ProvisioningMode".to_owned(), text(mode.to_string())));
        }
        if profile.provisioning_pid {
            i.push(("ProvisioningPID".to_owned(), text("AAAAAAAAAAA=")));
        }
        if let Some(s) = &profile.dhcp_dns_suffix {
            i.push(("DhcpDNSSuffix".to_owned(), text(s.clone())));
        }
        if let Some(s) = &profile.trusted_dns_suffix {
            i.push(("TrustedDNSSuffix".to_owned(), text(s.clone())));
        }
        vec![i]
    }
}
