//! AMT_GeneralSettings: host and domain name, Digest realm, network switches.

use super::Instance;
use super::{bool_text, text, Class, Context};

/// HostOSFQDN as the host's name and domain make it: empty when there is no
/// host name (there is nothing to qualify), the bare name without a domain.
fn host_os_fqdn(hostname: &str, domain: &str) -> String {
    match (hostname.is_empty(), domain.is_empty()) {
        (true, _) => String::new(),
        (false, true) => hostname.to_owned(),
        (false, false) => format!("{hostname}.{domain}"),
    }
}

/// The class name.
pub const CLASS: &str = "AMT_GeneralSettings";
/// The class's resource URI.
pub const RESOURCE_URI: &str = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings";

/// AMT_GeneralSettings.
pub struct GeneralSettings;

impl Class for GeneralSettings {
    class_names!();

    fn get_declares_common(&self) -> bool {
        false
    }

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        let profile = ctx.profile;
        let mut i = vec![
            ("DDNSPeriodicUpdateInterval".to_owned(), text("1440")),
            ("DDNSTTL".to_owned(), text("900")),
            ("DDNSUpdateByDHCPServerEnabled".to_owned(), text("true")),
            ("DDNSUpdateEnabled".to_owned(), text("false")),
            ("DHCPv6ConfigurationTimeout".to_owned(), text("0")),
            ("DigestRealm".to_owned(), text(profile.realm.clone())),
            ("DomainName".to_owned(), text(profile.domain.clone())),
            (
                "ElementName".to_owned(),
                text("Intel(r) AMT: General Settings"),
            ),
            ("HostName".to_owned(), text(profile.hostname.clone())),
            (
                "HostOSFQDN".to_owned(),
                text(host_os_fqdn(&profile.hostname, &profile.domain)),
            ),
            ("IdleWakeTimeout".to_owned(), text("1")),
            (
                "InstanceID".to_owned(),
                text("Intel(r) AMT: General Settings"),
            ),
            (
                "NetworkInterfaceEnabled".to_owned(),
                bool_text(profile.network_interface_enabled),
            ),
            ("PingResponseEnabled".to_owned(), text("true")),
            ("PowerSource".to_owned(), text("0")),
            ("PreferredAddressFamily".to_owned(), text("0")),
            ("PresenceNotificationInterval".to_owned(), text("0")),
            ("PrivacyLevel".to_owned(), text("0")),
            ("RmcpPingResponseEnabled".to_owned(), text("true")),
            ("SharedFQDN".to_owned(), text("true")),
            ("WsmanOnlyMode".to_owned(), text("false")),
        ];
        if profile.amt_network_enabled {
            i.push(("AMTNetworkEnabled".to_owned(), text("1")));
        }
        if profile.thunderbolt_dock {
            i.push(("ThunderboltDockEnabled".to_owned(), text("0")));
        }
        vec![i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_is_empty_without_a_name() {
        assert_eq!(host_os_fqdn("", ""), "");
        assert_eq!(host_os_fqdn("", "corp.example.com"), "");
        assert_eq!(host_os_fqdn("pc1", ""), "pc1");
        assert_eq!(
            host_os_fqdn("pc1", "corp.example.com"),
            "pc1.corp.example.com"
        );
    }
}
