//! AMT_EthernetPortSettings: one instance per network interface, the wired
//! one (`... Settings 0`) with the device's own address, and the wireless
//! one (`... Settings 1`), link down and no address, as on a machine whose
//! WLAN is not connected. The shapes are go-wsman-messages'
//! `amt/ethernetport/pull.xml` (an AMT answer with both instances);
//! `IPAddress` is added on the wired port, which rpc-go's `amtinfo` reads
//! and the sample had removed with the rest of its addresses.
//! `[classes.AMT_EthernetPortSettings] wireless = false` in a profile models
//! a desktop without WLAN.

use super::{bool_text, text, Class, Context};
use super::{Instance, Prop};

/// The class name.
pub const CLASS: &str = "AMT_EthernetPortSettings";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_EthernetPortSettings";

const ELEMENT_NAME: &str = "Intel(r) AMT Ethernet Port Settings";

/// AMT_EthernetPortSettings.
pub struct EthernetPortSettings;

impl Class for EthernetPortSettings {
    class_names!();

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        let nic = &ctx.nic;
        let wired = vec![
            ("DHCPEnabled".to_owned(), bool_text(true)),
            ("DefaultGateway".to_owned(), text(nic.gateway.to_string())),
            ("ElementName".to_owned(), text(ELEMENT_NAME)),
            ("IPAddress".to_owned(), text(nic.address.to_string())),
            ("InstanceID".to_owned(), text(format!("{ELEMENT_NAME} 0"))),
            ("IpSyncEnabled".to_owned(), bool_text(true)),
            ("LinkIsUp".to_owned(), bool_text(true)),
            (
                "LinkPolicy".to_owned(),
                Prop::Many(vec!["1".to_owned(), "14".to_owned()]),
            ),
            ("MACAddress".to_owned(), text(nic.mac_text(false))),
            ("PhysicalConnectionType".to_owned(), text("0")),
            ("PrimaryDNS".to_owned(), text(nic.gateway.to_string())),
            ("SharedDynamicIP".to_owned(), bool_text(true)),
            ("SharedMAC".to_owned(), bool_text(true)),
            ("SharedStaticIp".to_owned(), bool_text(false)),
            ("SubnetMask".to_owned(), text(nic.mask.to_string())),
        ];
        let mut ports = vec![wired];
        if ctx.profile.classes.ethernet_port_settings.wireless {
            ports.push(vec![
                ("ConsoleTcpMaxRetransmissions".to_owned(), text("5")),
                ("DHCPEnabled".to_owned(), bool_text(true)),
                ("ElementName".to_owned(), text(ELEMENT_NAME)),
                ("InstanceID".to_owned(), text(format!("{ELEMENT_NAME} 1"))),
                ("LinkControl".to_owned(), text("2")),
                ("LinkIsUp".to_owned(), bool_text(false)),
                ("LinkPreference".to_owned(), text("2")),
                ("MACAddress".to_owned(), text("00-00-00-00-00-00")),
                ("PhysicalConnectionType".to_owned(), text("3")),
                ("SharedMAC".to_owned(), bool_text(true)),
                ("WLANLinkProtectionLevel".to_owned(), text("1")),
            ]);
        }
        ports
    }
}
