//! AMT_GeneralSettings: host and domain name, Digest realm, network switches.

use crate::wsman::{CallLimits, Element, Error, Session};

use super::class::{self, set_facts, Apply, Class, Fetch};
use super::firmware::{self, Generation};
use super::{expect_class, property_bool, property_text};

/// The class's resource URI.
pub const RESOURCE_URI: &str = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "AMT_GeneralSettings";

/// What the class says. AMT sends empty strings as `<HostName></HostName>`;
/// those read as unknown (`None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneralSettings {
    /// HostName.
    pub hostname: Option<String>,
    /// DomainName.
    pub domain: Option<String>,
    /// DigestRealm (`Digest:` + 32 hex).
    pub digest_realm: Option<String>,
    /// HostOSFQDN: the name the host OS gave itself, passed to the firmware
    /// by the host's LMS (empty until it has).
    pub host_os_fqdn: Option<String>,
    /// NetworkInterfaceEnabled.
    pub network_interface_enabled: Option<bool>,
    /// AMTNetworkEnabled (absent on 8.1; sent as `1`/`0` on 15.0).
    pub amt_network_enabled: Option<bool>,
    /// PingResponseEnabled.
    pub ping_response_enabled: Option<bool>,
    /// RmcpPingResponseEnabled.
    pub rmcp_ping_response_enabled: Option<bool>,
}

impl GeneralSettings {
    /// Reads the instance returned by a Get.
    pub fn from_element(item: &Element) -> Result<Self, Error> {
        expect_class(item, RESOURCE_URI, CLASS)?;
        Ok(Self {
            hostname: property_text(item, "HostName"),
            domain: property_text(item, "DomainName"),
            digest_realm: property_text(item, "DigestRealm"),
            host_os_fqdn: property_text(item, "HostOSFQDN"),
            network_interface_enabled: property_bool(item, "NetworkInterfaceEnabled"),
            amt_network_enabled: property_bool(item, "AMTNetworkEnabled"),
            ping_response_enabled: property_bool(item, "PingResponseEnabled"),
            rmcp_ping_response_enabled: property_bool(item, "RmcpPingResponseEnabled"),
        })
    }
}

/// AMT_GeneralSettings, as the inventory reads it.
pub struct AmtGeneralSettings;

impl Class for AmtGeneralSettings {
    type Value = GeneralSettings;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Get;
    const FIRMWARE: &'static Generation = &firmware::WSMAN;

    fn parse(&self, answer: &[Element]) -> Result<GeneralSettings, Error> {
        GeneralSettings::from_element(class::single(answer, CLASS)?)
    }

    fn apply(&self, g: GeneralSettings, out: &mut Apply<'_>) {
        set_facts!(
            out,
            hostname = g.hostname,
            domain = g.domain,
            host_os_fqdn = g.host_os_fqdn,
            digest_realm = g.digest_realm,
            network_interface_enabled = g.network_interface_enabled,
            amt_network_enabled = g.amt_network_enabled,
        );
    }
}

/// Gets the singleton instance.
pub async fn read(session: &Session, limits: &CallLimits) -> Result<GeneralSettings, Error> {
    class::read(&AmtGeneralSettings, session, limits).await
}
