//! AMT_EthernetPortSettings: one instance per network interface AMT has.
//! The Intel AMT SDK ("Set/Get Miscellaneous Network Interface Settings")
//! keys them by InstanceID: "Intel(r) AMT Ethernet Port Settings 0" is the
//! wired interface, "… Settings 1" the wireless one, and from Release 9.5
//! some platforms have no wired interface at all. The SDK names SharedMAC a
//! required property in Releases 3.0 and 3.2, so the class is there from
//! 3.0; IpSyncEnabled comes with 7.0 ("Automatic Synchronization of IP
//! Addresses"). The property set is go-wsman-messages' `amt/ethernetport`
//! answer (two instances), as mock-amt serves it.
//!
//! Read in one request where it can be: a Get of the wired instance by its
//! InstanceID gives every fact the rules judge (the wired link, DHCP, the
//! shared address). Only where that instance is not there (a platform
//! without a wired interface, or firmware that faults the Get) does the
//! enumeration of every interface follow, which tells "no wired interface"
//! (a wireless instance answers) from "no such class" (the enumeration
//! faults too).

use crate::facts::EthernetPortFacts;
use crate::wsman::response::Fault;
use crate::wsman::{Element, Error, Selector};

use super::class::{set_facts, Apply, Class, Fetch, Seen};
use super::firmware::{self, Generation};
use super::{expect_class, property, property_bool, property_text, property_u32};

/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_EthernetPortSettings";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "AMT_EthernetPortSettings";

/// The Get of the wired instance, as recorded in `AmtFacts.unavailable`
/// when the device has no such instance.
pub const WIRED_GET: &str = "AMT_EthernetPortSettings (wired instance)";

/// The wired interface's InstanceID (SDK: "… Settings 0").
pub const WIRED_INSTANCE_ID: &str = "Intel(r) AMT Ethernet Port Settings 0";

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

/// The wired instance by a Get: one request for every fact the rules need.
pub struct AmtWiredPortSettings;

impl Class for AmtWiredPortSettings {
    type Value = Vec<EthernetPortFacts>;
    const NAME: &'static str = WIRED_GET;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Get;
    const FIRMWARE: &'static Generation = &firmware::ETHERNET_PORT_SETTINGS;

    fn selectors(&self, _seen: &Seen<'_>) -> Vec<Selector> {
        vec![Selector {
            name: "InstanceID".to_owned(),
            value: WIRED_INSTANCE_ID.to_owned(),
        }]
    }

    fn parse(&self, answer: &[Element]) -> Result<Vec<EthernetPortFacts>, Error> {
        let port = from_element(super::class::single(answer, CLASS)?)?;
        // A device that ignores the selector and answers another interface
        // has not shown a wired one: treated as a refusal, so the
        // enumeration of every interface decides.
        if port.interface.as_deref() == Some(values::WIRELESS) {
            return Err(Error::Fault(Fault {
                code: "Sender".into(),
                reason: "asked for the wired instance, got the wireless one".into(),
                ..Fault::default()
            }));
        }
        Ok(vec![EthernetPortFacts {
            interface: Some(values::WIRED.to_owned()),
            ..port
        }])
    }

    fn apply(&self, ports: Vec<EthernetPortFacts>, out: &mut Apply<'_>) {
        set_facts!(out, ethernet_ports = Some(ports));
    }
}

/// AMT_EthernetPortSettings by enumeration, every interface: asked only
/// when the wired instance did not answer its Get.
pub struct AmtEthernetPortSettings;

impl Class for AmtEthernetPortSettings {
    type Value = Vec<EthernetPortFacts>;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Enumerate;
    const FIRMWARE: &'static Generation = &firmware::ETHERNET_PORT_SETTINGS;

    fn wanted(&self, seen: &Seen<'_>) -> bool {
        !seen.answered(WIRED_GET)
    }

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
    fn a_get_answered_with_the_wireless_instance_falls_back() {
        let wireless = instance(
            "<h:InstanceID>Intel(r) AMT Ethernet Port Settings 1</h:InstanceID><h:PhysicalConnectionType>3</h:PhysicalConnectionType>",
        );
        let err = AmtWiredPortSettings.parse(&[wireless]).unwrap_err();
        assert!(err.is_refusal(), "{err:?}");
        let wired = instance("<h:InstanceID>Intel(r) AMT Ethernet Port Settings 0</h:InstanceID>");
        let ports = AmtWiredPortSettings.parse(&[wired]).unwrap();
        assert_eq!(ports[0].interface.as_deref(), Some("wired"));
    }

    #[test]
    fn another_class_is_refused() {
        let item = crate::wsman::xml::parse(br#"<h:X xmlns:h="urn:x"/>"#).unwrap();
        assert!(from_element(&item).is_err());
    }
}
