//! IPS_HostBasedSetupService (AMT 6.1 and later): the control mode.

use crate::wsman::{CallLimits, Element, Error, Session};

use super::class::{self, set_facts, Apply, Class, Fetch};
use super::firmware::{self, Generation};
use super::{expect_class, property_u32};

pub use values::ControlMode;

/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_HostBasedSetupService";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "IPS_HostBasedSetupService";

/// What the class says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostBasedSetup {
    /// CurrentControlMode (0 none, 1 client, 2 admin).
    pub current_control_mode: Option<ControlMode>,
    /// AllowedControlModes (a repeated element), as wire numbers.
    pub allowed_control_modes: Vec<u32>,
}

impl HostBasedSetup {
    /// Reads the instance returned by a Get.
    pub fn from_element(item: &Element) -> Result<Self, Error> {
        expect_class(item, RESOURCE_URI, CLASS)?;
        Ok(Self {
            current_control_mode: property_u32(item, "CurrentControlMode")
                .and_then(ControlMode::from_wire),
            allowed_control_modes: item
                .children_named(&item.ns, "AllowedControlModes")
                .filter_map(|c| c.text.trim().parse().ok())
                .collect(),
        })
    }
}

/// IPS_HostBasedSetupService, as the inventory reads it.
pub struct IpsHostBasedSetupService;

impl Class for IpsHostBasedSetupService {
    type Value = HostBasedSetup;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Get;
    const FIRMWARE: &'static Generation = &firmware::HOST_BASED_SETUP;

    fn parse(&self, answer: &[Element]) -> Result<HostBasedSetup, Error> {
        HostBasedSetup::from_element(class::single(answer, CLASS)?)
    }

    fn apply(&self, h: HostBasedSetup, out: &mut Apply<'_>) {
        set_facts!(out, control_mode = h.current_control_mode);
    }
}

/// Gets the singleton instance.
pub async fn read(session: &Session, limits: &CallLimits) -> Result<HostBasedSetup, Error> {
    class::read(&IpsHostBasedSetupService, session, limits).await
}

/// The class's values as the record holds them. A module that needs nothing
/// of the record, so `facts` names these types without an import circle
/// through the class's reading into the record.
pub mod values {
    use serde::{Deserialize, Serialize};

    /// IPS_HostBasedSetupService.CurrentControlMode (AMT 6.1 and later).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ControlMode {
        /// 0: not provisioned; AMT 6.1 host-based setup has not been run.
        None,
        /// 1: Client Control Mode: set up from the host OS, with user consent for redirection.
        Client,
        /// 2: Admin Control Mode: set up with full trust (remote configuration or an admin).
        Admin,
    }

    impl ControlMode {
        /// Decodes the CurrentControlMode number AMT sends; `None` for a value it does not
        /// define.
        pub fn from_wire(value: u32) -> Option<Self> {
            match value {
                0 => Some(Self::None),
                1 => Some(Self::Client),
                2 => Some(Self::Admin),
                _ => None,
            }
        }
        /// The name a record and the reports write (`none`, `client`, `admin`).
        pub fn as_str(self) -> &'static str {
            match self {
                Self::None => "none",
                Self::Client => "client",
                Self::Admin => "admin",
            }
        }
    }
}
