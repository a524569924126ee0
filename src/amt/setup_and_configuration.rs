//! AMT_SetupAndConfigurationService: provisioning state and mode, zero-touch
//! configuration, and the DNS suffixes remote provisioning matches against.

use crate::wsman::{CallLimits, Element, Error, Session};

use super::{expect_class, property, property_bool, property_text, property_u32};

/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_SetupAndConfigurationService";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "AMT_SetupAndConfigurationService";

/// What the class says. Wire numbers are kept raw: ProvisioningMode means
/// different things before and after AMT 7.0, so it is decoded only once
/// the firmware version is known (see `facts::ProvisioningMode::from_wire`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupAndConfiguration {
    /// ProvisioningState (0 pre, 1 in, 2 post).
    pub provisioning_state: Option<u32>,
    /// ProvisioningMode, raw.
    pub provisioning_mode: Option<u32>,
    /// ZeroTouchConfigurationEnabled.
    pub ztc_enabled: Option<bool>,
    /// PasswordModel, raw.
    pub password_model: Option<u32>,
    /// DhcpDNSSuffix (not every firmware returns it).
    pub dhcp_dns_suffix: Option<String>,
    /// TrustedDNSSuffix, the PKI DNS suffix (not every firmware returns it).
    pub trusted_dns_suffix: Option<String>,
}

impl SetupAndConfiguration {
    /// Reads the instance returned by a Get (or one item of a Pull).
    pub fn from_element(item: &Element) -> Result<Self, Error> {
        expect_class(item, RESOURCE_URI, CLASS)?;
        Ok(Self {
            provisioning_state: property_u32(item, "ProvisioningState"),
            provisioning_mode: property_u32(item, "ProvisioningMode"),
            ztc_enabled: property_bool(item, "ZeroTouchConfigurationEnabled"),
            password_model: property_u32(item, "PasswordModel"),
            // An empty suffix is a reading, not an unknown: DHCP gave no
            // option 15, and no provisioning certificate name can match it.
            dhcp_dns_suffix: property(item, "DhcpDNSSuffix").map(str::to_owned),
            trusted_dns_suffix: property_text(item, "TrustedDNSSuffix"),
        })
    }
}

/// Gets the singleton instance.
pub async fn read(session: &Session, limits: &CallLimits) -> Result<SetupAndConfiguration, Error> {
    let item = session.get(RESOURCE_URI, &[], limits).await?;
    SetupAndConfiguration::from_element(&item)
}
