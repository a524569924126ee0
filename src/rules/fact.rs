//! The facts a rule can read, as a closed set of names.
//!
//! Rules say which facts they read and which of them make the rule apply; the
//! driver asks [`FactId::present`] instead of matching strings, and the site
//! evaluation keeps the rules whose facts are all [`FactId::is_site`]. The
//! dotted names (`host.os`) are what `missing` and `amtready rules` print.

use std::fmt;

use crate::facts::FactsRecord;

/// Which part of the record a fact lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactGroup {
    /// What the AMT device said about itself.
    Amt,
    /// The host operating system of the AMT machine.
    Host,
    /// The Configuration Manager site that will manage it.
    Site,
    /// How reading the device went (`status`), not a device fact.
    Read,
    /// What `scan` was given (the credentials' checks), not a device fact.
    Scan,
    /// What Configuration Manager's own data says of the computer
    /// (`--host-facts` with its AMT columns).
    Inventory,
    /// What DNS answered for the device's names.
    Dns,
}

macro_rules! facts {
    ($($variant:ident = $name:literal, $group:ident;)*) => {
        /// One fact of a [`FactsRecord`] that a rule can read.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FactId {
            $(#[doc = concat!("`", $name, "`")] $variant,)*
        }

        impl FactId {
            /// Every fact, in declaration order.
            pub const ALL: &'static [FactId] = &[$(FactId::$variant),*];

            /// The dotted name used in `missing` and in `amtready rules`.
            pub fn name(self) -> &'static str {
                match self {
                    $(FactId::$variant => $name,)*
                }
            }

            /// The part of the record the fact lives in.
            pub fn group(self) -> FactGroup {
                match self {
                    $(FactId::$variant => FactGroup::$group,)*
                }
            }
        }
    };
}

facts! {
    ReadStatus = "status", Read;
    AmtVersion = "amt.version", Amt;
    AmtVersionSource = "amt.source", Amt;
    AmtBuild = "amt.build", Amt;
    AmtProvisioningState = "amt.provisioning_state", Amt;
    AmtProvisioningMode = "amt.provisioning_mode", Amt;
    AmtControlMode = "amt.control_mode", Amt;
    AmtZtcEnabled = "amt.ztc_enabled", Amt;
    AmtCertHashes = "amt.cert_hashes", Amt;
    AmtDhcpDnsSuffix = "amt.dhcp_dns_suffix", Amt;
    AmtTrustedDnsSuffix = "amt.trusted_dns_suffix", Amt;
    AmtNetworkInterfaceEnabled = "amt.network_interface_enabled", Amt;
    AmtHostname = "amt.hostname", Amt;
    AmtDomain = "amt.domain", Amt;
    AmtTlsProtocol = "amt.tls.protocol", Amt;
    AmtTlsCertificate = "amt.tls.certificate", Amt;
    AmtOperationalRead = "amt.operational_read", Amt;
    AmtEthernetPorts = "amt.ethernet_ports", Amt;
    AmtWired8021x = "amt.wired_8021x", Amt;
    AmtPowerPackages = "amt.power_packages", Amt;
    AmtClock = "amt.clock", Amt;
    HostOs = "host.os", Host;
    HostServicePack = "host.service_pack", Host;
    HostArchitecture = "host.architecture", Host;
    HostEdition = "host.edition", Host;
    HostServerCore = "host.server_core", Host;
    HostRrasRunning = "host.rras_running", Host;
    HostIcsEnabled = "host.ics_enabled", Host;
    HostInbandProvisioning = "host.inband_provisioning", Host;
    HostKbs = "host.kbs", Host;
    SiteMode = "site.mode", Site;
    SiteConsoleOs = "site.console_os", Site;
    SiteServicePointOs = "site.service_point_os", Site;
    SiteServicePointKbs = "site.service_point_kbs", Site;
    SiteSql = "site.sql", Site;
    SiteUpgradeFrom = "site.upgrade_from", Site;
    SiteRelease = "site.release", Site;
    SiteSiteServerOs = "site.site_server_os", Site;
    SiteSiteServerOsUpgradedFrom = "site.site_server_os_upgraded_from", Site;
    SiteSqlUpgradedFrom = "site.sql_upgraded_from", Site;
    SiteConsoleRoles = "site.console_roles", Site;
    SiteRoleOs = "site.role_os", Site;
    SiteKbs = "site.site_kbs", Site;
    CredentialsPassword = "credentials.password", Scan;
    InventoryAmt = "inventory_amt", Inventory;
    DnsProvisionServer = "dns.provision_server", Dns;
    DnsServicePoint = "dns.service_point", Dns;
    DnsAmtFqdn = "dns.amt_fqdn", Dns;
    DnsReverse = "dns.reverse", Dns;
    DnsCertificateName = "dns.certificate_name", Dns;
}

impl FactId {
    /// Whether the fact belongs to the site (so `amtready site` judges it).
    pub fn is_site(self) -> bool {
        self.group() == FactGroup::Site
    }

    /// Looks a fact up by its dotted name.
    pub fn parse(name: &str) -> Option<FactId> {
        FactId::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The `missing` entry for this fact.
    pub fn missing(self) -> String {
        self.name().to_string()
    }

    /// A `missing` entry that says why (`host.os (unrecognised)`).
    pub fn missing_because(self, why: impl fmt::Display) -> String {
        format!("{} ({why})", self.name())
    }

    /// Whether the record carries a usable value for this fact. Blank strings
    /// and empty maps count as absent: they say nothing.
    pub fn present(self, record: &FactsRecord) -> bool {
        let amt = record.amt.as_ref();
        let host = record.host.as_ref();
        let site = record.site.as_ref();
        let dns = record.dns.as_ref();
        let text = |value: Option<&String>| value.is_some_and(|s| !s.trim().is_empty());
        match self {
            FactId::ReadStatus => record.status.is_some(),
            FactId::AmtVersion => {
                amt.is_some_and(|a| a.version.as_deref().is_some_and(|s| !s.trim().is_empty()))
            }
            FactId::AmtVersionSource => amt.is_some_and(|a| a.source.is_some()),
            FactId::AmtBuild => amt.is_some_and(|a| text(a.build.as_ref())),
            FactId::AmtProvisioningState => amt.is_some_and(|a| a.provisioning_state.is_some()),
            FactId::AmtProvisioningMode => amt.is_some_and(|a| a.provisioning_mode.is_some()),
            FactId::AmtControlMode => amt.is_some_and(|a| a.control_mode.is_some()),
            FactId::AmtZtcEnabled => amt.is_some_and(|a| a.ztc_enabled.is_some()),
            FactId::AmtCertHashes => amt.is_some_and(|a| a.cert_hashes.is_some()),
            FactId::AmtDhcpDnsSuffix => amt.is_some_and(|a| text(a.dhcp_dns_suffix.as_ref())),
            FactId::AmtTrustedDnsSuffix => amt.is_some_and(|a| text(a.trusted_dns_suffix.as_ref())),
            FactId::AmtNetworkInterfaceEnabled => {
                amt.is_some_and(|a| a.network_interface_enabled.is_some())
            }
            FactId::AmtHostname => amt.is_some_and(|a| text(a.hostname.as_ref())),
            FactId::AmtDomain => amt.is_some_and(|a| text(a.domain.as_ref())),
            FactId::AmtTlsProtocol => amt
                .and_then(|a| a.tls.as_ref())
                .is_some_and(|t| text(t.protocol.as_ref())),
            FactId::AmtTlsCertificate => amt
                .and_then(|a| a.tls.as_ref())
                .is_some_and(|t| t.certificate.is_some()),
            FactId::AmtOperationalRead => amt.is_some_and(operational_read),
            FactId::AmtEthernetPorts => amt.is_some_and(|a| a.ethernet_ports.is_some()),
            FactId::AmtWired8021x => amt.is_some_and(|a| a.wired_8021x.is_some()),
            FactId::AmtPowerPackages => amt.is_some_and(|a| a.power_packages.is_some()),
            FactId::AmtClock => amt.is_some_and(|a| a.clock.is_some()),
            FactId::HostOs => host.is_some_and(|h| text(h.os.as_ref())),
            FactId::HostServicePack => host.is_some_and(|h| h.service_pack.is_some()),
            FactId::HostArchitecture => host.is_some_and(|h| text(h.architecture.as_ref())),
            FactId::HostEdition => host.is_some_and(|h| text(h.edition.as_ref())),
            FactId::HostServerCore => host.is_some_and(|h| h.server_core.is_some()),
            FactId::HostRrasRunning => host.is_some_and(|h| h.rras_running.is_some()),
            FactId::HostIcsEnabled => host.is_some_and(|h| h.ics_enabled.is_some()),
            FactId::HostInbandProvisioning => host.is_some_and(|h| h.inband_provisioning.is_some()),
            FactId::HostKbs => host.is_some_and(|h| h.kbs.is_some()),
            FactId::SiteMode => site.is_some_and(|s| text(s.mode.as_ref())),
            FactId::SiteConsoleOs => site.is_some_and(|s| text(s.console_os.as_ref())),
            FactId::SiteServicePointOs => site.is_some_and(|s| text(s.service_point_os.as_ref())),
            FactId::SiteServicePointKbs => site.is_some_and(|s| s.service_point_kbs.is_some()),
            FactId::SiteSql => site.is_some_and(|s| text(s.sql.as_ref())),
            FactId::SiteUpgradeFrom => site.is_some_and(|s| text(s.upgrade_from.as_ref())),
            FactId::SiteRelease => site.is_some_and(|s| text(s.release.as_ref())),
            FactId::SiteSiteServerOs => site.is_some_and(|s| text(s.site_server_os.as_ref())),
            FactId::SiteSiteServerOsUpgradedFrom => {
                site.is_some_and(|s| text(s.site_server_os_upgraded_from.as_ref()))
            }
            FactId::SiteSqlUpgradedFrom => site.is_some_and(|s| text(s.sql_upgraded_from.as_ref())),
            FactId::SiteConsoleRoles => site.is_some_and(|s| s.console_roles.is_some()),
            FactId::SiteRoleOs => {
                site.is_some_and(|s| s.role_os.as_ref().is_some_and(|m| !m.is_empty()))
            }
            FactId::SiteKbs => site.is_some_and(|s| s.site_kbs.is_some()),
            FactId::CredentialsPassword => record.credentials.is_some(),
            FactId::InventoryAmt => record.inventory_amt.as_ref().is_some_and(|i| {
                text(i.version.as_ref())
                    || text(i.full_version.as_ref())
                    || i.provisioning_state.is_some()
                    || i.amt_status.is_some()
            }),
            FactId::DnsProvisionServer => dns.is_some_and(|d| d.provision_server.is_some()),
            FactId::DnsServicePoint => dns.is_some_and(|d| d.service_point.is_some()),
            FactId::DnsAmtFqdn => dns.is_some_and(|d| d.amt_fqdn.is_some()),
            FactId::DnsReverse => dns.is_some_and(|d| d.reverse.is_some()),
            FactId::DnsCertificateName => dns.is_some_and(|d| d.certificate_name.is_some()),
        }
    }
}

/// The classes the operational facts come from (out of band with the PC
/// off, `rules/operational.rs`).
const OPERATIONAL_CLASSES: [&str; 6] = [
    crate::amt::ethernet_port_settings::CLASS,
    crate::amt::ethernet_port_settings::WIRED_GET,
    crate::amt::ieee8021x_profile::CLASS,
    crate::amt::system_power_scheme::CLASS,
    crate::amt::element_setting_data::CLASS,
    crate::amt::time_synchronization::CLASS,
];

/// Whether the scan asked for any operational class: one of the facts is
/// there, or one of the classes is recorded unavailable. A record that never
/// asked (a facts file, a scan by an older amtready) leaves the operational
/// rules not checked.
fn operational_read(amt: &crate::facts::AmtFacts) -> bool {
    amt.ethernet_ports.is_some()
        || amt.wired_8021x.is_some()
        || amt.power_packages.is_some()
        || amt.clock.is_some()
        || amt
            .unavailable
            .iter()
            .any(|c| OPERATIONAL_CLASSES.contains(&c.as_str()))
}

impl fmt::Display for FactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for FactId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The facts a rule reads, and the subset whose presence makes it apply. A
/// rule none of whose triggers is present is listed as not checked.
#[derive(Debug, Clone, Copy)]
pub struct FactUse {
    /// Every fact the rule reads; one it needs and lacks is reported missing.
    pub reads: &'static [FactId],
    /// The facts whose presence makes the rule apply; without any, it is not checked.
    pub triggers: &'static [FactId],
    /// Runs whatever the record holds (the firmware version: a record without
    /// one is unknown, not unchecked).
    pub always: bool,
}

impl FactUse {
    /// A rule over the provisioning certificate chain alone: it reads no fact
    /// of the record, and runs for every record (the chain is judged once
    /// per scan, whatever the device said).
    pub const CHAIN_ONLY: FactUse = FactUse {
        reads: &[],
        triggers: &[],
        always: true,
    };

    /// A rule that reads and is triggered by the same facts.
    pub const fn same(facts: &'static [FactId]) -> FactUse {
        FactUse {
            reads: facts,
            triggers: facts,
            always: false,
        }
    }

    /// Whether the rule applies to this record.
    pub fn applies(&self, record: &FactsRecord) -> bool {
        self.always || self.triggers.iter().any(|fact| fact.present(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for fact in FactId::ALL {
            assert!(seen.insert(fact.name()), "{fact}");
            assert_eq!(FactId::parse(fact.name()), Some(*fact));
        }
        assert_eq!(FactId::parse("host.nope"), None);
    }

    #[test]
    fn blank_values_are_absent() {
        let record: FactsRecord = serde_json::from_value(serde_json::json!({
            "target": "t", "host": {"os": "  ", "server_core": false},
            "site": {"role_os": {}}
        }))
        .unwrap();
        assert!(!FactId::HostOs.present(&record));
        assert!(FactId::HostServerCore.present(&record));
        assert!(!FactId::SiteRoleOs.present(&record));
        assert!(FactId::SiteRoleOs.is_site() && !FactId::HostOs.is_site());
    }
}
