//! AMT_EthernetPortSettings: one instance per network interface, the wired
//! one (`... Settings 0`) with the device's own address, and the wireless
//! one (`... Settings 1`), link down and no address, as on a machine whose
//! WLAN is not connected. The shapes are go-wsman-messages'
//! `amt/ethernetport/pull.xml` (an AMT answer with both instances);
//! `IPAddress` is added on the wired port, which rpc-go's `amtinfo` reads
//! and the sample had removed with the rest of its addresses.
//!
//! By generation: PhysicalConnectionType and the WLAN link settings are
//! left out before 6.0 and IpSyncEnabled before 7.0 (the SDK's "Automatic
//! Synchronization of IP Addresses" adds it in Release 7.0); SharedMAC is
//! there from 3.0 (a required property in 3.0 and 3.2, "Set/Get
//! Miscellaneous Network Interface Settings"). Our reading, not a capture:
//! which properties each older release sends.
//!
//! `[classes.AMT_EthernetPortSettings]` in a profile: `wireless = false`
//! models a desktop without WLAN, `wired = false` a platform without a wired
//! interface (from 9.5, the set-up `+wireless-only`), `dhcp = false` with
//! `shared_static_ip = true` a static address shared with the host
//! (`+static-shared-ip`).

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
        let settings = &ctx.profile.classes.ethernet_port_settings;
        let major = ctx.profile.major();
        let mut ports = Vec::new();
        if settings.wired {
            let mut wired = vec![
                ("DHCPEnabled".to_owned(), bool_text(settings.dhcp)),
                ("DefaultGateway".to_owned(), text(nic.gateway.to_string())),
                ("ElementName".to_owned(), text(ELEMENT_NAME)),
                ("IPAddress".to_owned(), text(nic.address.to_string())),
                ("InstanceID".to_owned(), text(format!("{ELEMENT_NAME} 0"))),
                ("LinkIsUp".to_owned(), bool_text(true)),
                (
                    "LinkPolicy".to_owned(),
                    Prop::Many(vec!["1".to_owned(), "14".to_owned()]),
                ),
                ("MACAddress".to_owned(), text(nic.mac_text(false))),
                ("PrimaryDNS".to_owned(), text(nic.gateway.to_string())),
                ("SharedDynamicIP".to_owned(), bool_text(settings.dhcp)),
                ("SharedMAC".to_owned(), bool_text(true)),
                (
                    "SharedStaticIp".to_owned(),
                    bool_text(settings.shared_static_ip),
                ),
                ("SubnetMask".to_owned(), text(nic.mask.to_string())),
            ];
            if major >= 6 {
                wired.push(("PhysicalConnectionType".to_owned(), text("0")));
            }
            if major >= 7 {
                wired.push(("IpSyncEnabled".to_owned(), bool_text(true)));
            }
            ports.push(wired);
        }
        if settings.wireless {
            let link_up = settings.wireless_link_up || !settings.wired;
            let mut wireless = vec![
                ("DHCPEnabled".to_owned(), bool_text(true)),
                ("ElementName".to_owned(), text(ELEMENT_NAME)),
                ("InstanceID".to_owned(), text(format!("{ELEMENT_NAME} 1"))),
                ("LinkIsUp".to_owned(), bool_text(link_up)),
                ("SharedMAC".to_owned(), bool_text(true)),
            ];
            if link_up {
                // With the wired port gone, AMT answers on this one.
                wireless.push(("IPAddress".to_owned(), text(nic.address.to_string())));
                wireless.push(("MACAddress".to_owned(), text(nic.mac_text(false))));
            } else {
                wireless.push(("MACAddress".to_owned(), text("00-00-00-00-00-00")));
            }
            if major >= 6 {
                wireless.extend([
                    ("ConsoleTcpMaxRetransmissions".to_owned(), text("5")),
                    ("LinkControl".to_owned(), text("2")),
                    ("LinkPreference".to_owned(), text("2")),
                    ("PhysicalConnectionType".to_owned(), text("3")),
                    ("WLANLinkProtectionLevel".to_owned(), text("1")),
                ]);
            }
            ports.push(wireless);
        }
        ports
    }
}
