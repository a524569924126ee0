//! AMT_EthernetPortSettings: one instance per network interface AMT has.
//! The Intel AMT SDK ("Set/Get Miscellaneous Network Interface Settings")
//! keys them by InstanceID: "Intel(r) AMT Ethernet Port Settings 0" is the
//! wired interface, "… Settings 1" the wireless one, and from Release 9.5
//! some platforms have no wired interface at all. The SDK names SharedMAC a
//! required property in Releases 3.0 and 3.2, so the class is there from
//! 3.0; IpSyncEnabled comes with 7.0 ("Automatic Synchronization of IP
//! Addresses"). The property set is go-wsman-messages' `amt/ethernetport`
//! answer (two instances), as mock-amt serves it.

use crate::facts::EthernetPortFacts;
use crate::wsman::{Element, Error};

use super::class::{set_facts, Apply, Class, Fetch};
use super::firmware::{self, Generation};
use super::{expect_class, property, property_bool, property_text, property_u32};

/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_EthernetPortSettings";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "AMT_EthernetPortSettings";

/// Interface names as the record has them.
pub mod values {
    /// The wired LAN interface (instance 0).
    pub const WIRED: &str = "wired";
    /// The wireless LAN interface (instance 1).
    pub const WIRELESS: &str = "wireless";
    /// PhysicalConnectionType of a wireless LAN (CIM: 3).
    pub const PHYSICAL_WIRELESS_LAN: u32 = 3;
}

/// One instance as facts. The interface comes from PhysicalConnectionType
/// where the firmware sends it, else from the InstanceID's number.
pub fn from_element(item: &Element) -> Result<EthernetPortFacts, Error> {
    expect_class(item, RESOURCE_URI, CLASS)?;
    let id = property(item, "InstanceID").unwrap_or_default();
    let interface = match property_u32(item, "PhysicalConnectionType") {
        Some(values::PHYSICAL_WIRELESS_LAN) => Some(values::WIRELESS),
        Some(_) => Some(values::WIRED),
        None if id.ends_with(" 0") => Some(values::WIRED),
        None if id.ends_with(" 1") => Some(values::WIRELESS),
        None => None,
    };
    Ok(EthernetPortFacts {
        interface: interface.map(str::to_owned),
        link_up: property_bool(item, "LinkIsUp"),
        dhcp_enabled: property_bool(item, "DHCPEnabled"),
        shared_static_ip: property_bool(item, "SharedStaticIp"),
        ip_sync_enabled: property_bool(item, "IpSyncEnabled"),
        shared_mac: property_bool(item, "SharedMAC"),
        ip_address: property_text(item, "IPAddress"),
        mac_address: property_text(item, "MACAddress"),
    })
}

/// AMT_EthernetPortSettings, as the inventory reads it: one enumeration
/// gives the interfaces, their links and their addressing at once.
pub struct AmtEthernetPortSettings;

impl Class for AmtEthernetPortSettings {
    type Value = Vec<EthernetPortFacts>;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Enumerate;
    const FIRMWARE: &'static Generation = &firmware::ETHERNET_PORT_SETTINGS;

    fn parse(&self, answer: &[Element]) -> Result<Vec<EthernetPortFacts>, Error> {
        answer.iter().map(from_element).collect()
    }

    fn apply(&self, ports: Vec<EthernetPortFacts>, out: &mut Apply<'_>) {
        set_facts!(out, ethernet_ports = Some(ports));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(body: &str) -> Element {
        crate::wsman::xml::parse(
            format!(r#"<h:AMT_EthernetPortSettings xmlns:h="{RESOURCE_URI}">{body}</h:AMT_EthernetPortSettings>"#)
                .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn wired_and_wireless_instances_read_apart() {
        let wired = instance(
            "<h:DHCPEnabled>true</h:DHCPEnabled><h:IPAddress>10.0.0.5</h:IPAddress><h:InstanceID>Intel(r) AMT Ethernet Port Settings 0</h:InstanceID><h:IpSyncEnabled>true</h:IpSyncEnabled><h:LinkIsUp>true</h:LinkIsUp><h:MACAddress>00-15-17-0a-0b-0c</h:MACAddress><h:PhysicalConnectionType>0</h:PhysicalConnectionType><h:SharedMAC>true</h:SharedMAC><h:SharedStaticIp>false</h:SharedStaticIp>",
        );
        let wired = from_element(&wired).unwrap();
        assert_eq!(wired.interface.as_deref(), Some("wired"));
        assert_eq!(
            (wired.link_up, wired.dhcp_enabled, wired.shared_static_ip),
            (Some(true), Some(true), Some(false))
        );
        assert_eq!(wired.ip_address.as_deref(), Some("10.0.0.5"));
        // A 3.x answer: no PhysicalConnectionType, the InstanceID tells.
        let wireless = instance(
            "<h:InstanceID>Intel(r) AMT Ethernet Port Settings 1</h:InstanceID><h:LinkIsUp>false</h:LinkIsUp>",
        );
        let wireless = from_element(&wireless).unwrap();
        assert_eq!(wireless.interface.as_deref(), Some("wireless"));
        assert_eq!(wireless.dhcp_enabled, None);
    }

    #[test]
    fn another_class_is_refused() {
        let item = crate::wsman::xml::parse(br#"<h:X xmlns:h="urn:x"/>"#).unwrap();
        assert!(from_element(&item).is_err());
    }
}
