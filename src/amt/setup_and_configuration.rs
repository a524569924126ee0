//! AMT_SetupAndConfigurationService: provisioning state and mode, zero-touch
//! configuration, and the DNS suffixes remote provisioning matches against.

use crate::wsman::{CallLimits, Element, Error, Session};

use super::class::{self, set_facts, Apply, Class, Fetch};
use super::firmware::{self, Generation};
use super::{expect_class, property, property_bool, property_text, property_u32};
use crate::version::ReportedVersion;

pub use values::{ProvisioningMode, ProvisioningState};

/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_SetupAndConfigurationService";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "AMT_SetupAndConfigurationService";

/// What the class says. Wire numbers are kept raw: ProvisioningMode means
/// different things before and after AMT 7.0, so it is decoded only once
/// the firmware version is known (see [`ProvisioningMode::from_wire`]).
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

/// AMT_SetupAndConfigurationService, as the inventory reads it.
pub struct AmtSetupAndConfigurationService;

impl Class for AmtSetupAndConfigurationService {
    type Value = SetupAndConfiguration;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Get;
    const FIRMWARE: &'static Generation = &firmware::WSMAN;

    fn parse(&self, answer: &[Element]) -> Result<SetupAndConfiguration, Error> {
        SetupAndConfiguration::from_element(class::single(answer, CLASS)?)
    }

    fn apply(&self, sc: SetupAndConfiguration, out: &mut Apply<'_>) {
        let major = out.firmware_version().and_then(ReportedVersion::major);
        set_facts!(
            out,
            provisioning_state = sc.provisioning_state.and_then(ProvisioningState::from_wire),
            provisioning_mode = sc
                .provisioning_mode
                .and_then(|m| ProvisioningMode::from_wire(m, major)),
            ztc_enabled = sc.ztc_enabled,
            dhcp_dns_suffix = sc.dhcp_dns_suffix,
            trusted_dns_suffix = sc.trusted_dns_suffix,
        );
    }
}

/// Gets the singleton instance.
pub async fn read(session: &Session, limits: &CallLimits) -> Result<SetupAndConfiguration, Error> {
    class::read(&AmtSetupAndConfigurationService, session, limits).await
}

/// The class's values as the record holds them. A module that needs nothing
/// of the record, so `facts` names these types without an import circle
/// through the class's reading into the record.
pub mod values {
    use serde::{Deserialize, Serialize};

    use crate::amt::firmware;

    /// AMT's provisioning state (AMT_SetupAndConfigurationService.ProvisioningState).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ProvisioningState {
        /// 0: factory state, not set up.
        Pre,
        /// 1: set-up started but not finished.
        In,
        /// 2: provisioned.
        Post,
    }

    impl ProvisioningState {
        /// Decodes the ProvisioningState number AMT sends; `None` for a value it does not
        /// define.
        pub fn from_wire(value: u32) -> Option<Self> {
            match value {
                0 => Some(Self::Pre),
                1 => Some(Self::In),
                2 => Some(Self::Post),
                _ => None,
            }
        }
        /// The name a record and the reports write (`pre`, `in`, `post`).
        pub fn as_str(self) -> &'static str {
            match self {
                Self::Pre => "pre",
                Self::In => "in",
                Self::Post => "post",
            }
        }
    }

    /// AMT_SetupAndConfigurationService.ProvisioningMode. The numbers changed meaning
    /// in AMT 7.0, so the raw value is decoded with the firmware major version.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ProvisioningMode {
        /// Before 7.0: value 1.
        Enterprise,
        /// Before 7.0: value 2.
        SmallBusiness,
        /// Before 7.0: value 3.
        RemoteConnectivity,
        /// From 7.0: value 1.
        AdminControl,
        /// From 7.0: value 4.
        ClientControl,
    }

    impl ProvisioningMode {
        /// `major` is the firmware major version when known; without it the pre-7.0
        /// meaning is not assumed for 1 (ambiguous), only for the unambiguous values.
        pub fn from_wire(value: u32, major: Option<u32>) -> Option<Self> {
            match (value, major) {
                (1, Some(m)) if !firmware::control_modes(m) => Some(Self::Enterprise),
                (1, Some(_)) => Some(Self::AdminControl),
                (2, _) => Some(Self::SmallBusiness),
                (3, _) => Some(Self::RemoteConnectivity),
                (4, _) => Some(Self::ClientControl),
                _ => None,
            }
        }
        /// The name a record and the reports write (`enterprise`, `admin_control`, ...).
        pub fn as_str(self) -> &'static str {
            match self {
                Self::Enterprise => "enterprise",
                Self::SmallBusiness => "small_business",
                Self::RemoteConnectivity => "remote_connectivity",
                Self::AdminControl => "admin_control",
                Self::ClientControl => "client_control",
            }
        }
    }
}
