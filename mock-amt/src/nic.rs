//! The device's one wired network interface, as both EOI
//! (`GetInterfaceSettings`) and WS-Man (`AMT_EthernetPortSettings`) report
//! it: the address the device listens on, a /8 on loopback (/24 elsewhere),
//! DHCP on, the first host of the subnet as gateway and DNS server, and a MAC
//! address in Intel's 00-15-17 block made from the address, so each device
//! of a fleet has its own.

use std::net::{IpAddr, Ipv4Addr};

/// The wired interface's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Nic {
    pub address: Ipv4Addr,
    pub mask: Ipv4Addr,
    pub gateway: Ipv4Addr,
    pub mac: [u8; 6],
}

impl Nic {
    /// The interface of a device listening on `listen` (an IPv6 listener
    /// reports 127.0.0.1: AMT's EOI interface data is IPv4 only).
    pub fn for_listen(listen: IpAddr) -> Nic {
        let address = match listen {
            IpAddr::V4(v4) => v4,
            IpAddr::V6(_) => Ipv4Addr::LOCALHOST,
        };
        let mask = if address.is_loopback() {
            0xff00_0000u32
        } else {
            0xffff_ff00
        };
        let [_, b, c, d] = address.octets();
        Nic {
            address,
            mask: Ipv4Addr::from(mask),
            gateway: Ipv4Addr::from((u32::from(address) & mask) | 1),
            mac: [0x00, 0x15, 0x17, b, c, d],
        }
    }

    /// The MAC address as `00-15-17-0A-0B-0C`, or in lower case as WS-Man
    /// writes it (`00-15-17-0a-0b-0c`).
    pub fn mac_text(&self, upper: bool) -> String {
        let parts: Vec<String> = self
            .mac
            .iter()
            .map(|b| {
                if upper {
                    format!("{b:02X}")
                } else {
                    format!("{b:02x}")
                }
            })
            .collect();
        parts.join("-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_mac_and_a_subnet_gateway() {
        let n = Nic::for_listen("127.1.2.3".parse().unwrap());
        assert_eq!(n.mac_text(true), "00-15-17-01-02-03");
        assert_eq!(n.mac_text(false), "00-15-17-01-02-03");
        assert_eq!(n.gateway, Ipv4Addr::new(127, 0, 0, 1));
        let n = Nic::for_listen("10.0.5.9".parse().unwrap());
        assert_eq!(n.mask, Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(n.gateway, Ipv4Addr::new(10, 0, 5, 1));
        assert_eq!(
            Nic::for_listen("::1".parse().unwrap()).address,
            Ipv4Addr::LOCALHOST
        );
    }
}
