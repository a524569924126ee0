//! The facts record: everything amtready knows about one host.
//!
//! This is the one schema shared by every stage: `scan` writes it (one JSON object
//! per host), `validate` reads it back, and every report format renders it. Every
//! field is optional so that a record from a partial scan, a hand-written file or
//! an older amtready still loads; the rules decide what a missing fact means.
//! Unknown fields are ignored so newer records can be judged by older builds.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use crate::amt::host_based_setup::values::ControlMode;
pub use crate::amt::setup_and_configuration::values::{ProvisioningMode, ProvisioningState};
use crate::version::ReportedVersion;

/// One host: its target, how reading it went, and what was learnt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FactsRecord {
    /// What the user asked for (`10.0.0.5`, `host:16992`, `[::1]:16992`).
    pub target: String,
    /// How reading the host went. Absent in hand-written facts files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<HostStatus>,
    /// Why the status is not `ok`, in one line. Never contains a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the device itself said (probe, WS-Management or EOI reads); absent when nothing
    /// answered as AMT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amt: Option<AmtFacts>,
    /// The host operating system of the machine: from the record, an inventory export or WinRM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<HostFacts>,
    /// The Configuration Manager site the machine would be managed by (`--site`), for the site
    /// rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteFacts>,
    /// What was checked about the credentials given to `scan` (never the
    /// credentials themselves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialFacts>,
    /// What Configuration Manager's own data says of AMT on this machine
    /// (`--host-facts` rows with the `SMS_AMTObject` / `v_GS_AMT_AGENT` or
    /// `SMS_R_System.AMTStatus` columns): kept beside what the device said,
    /// so the two can be compared, and as the evidence of a `dark` record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_amt: Option<InventoryAmt>,
    /// What DNS answered for the names AMT and the out of band service point
    /// use (`scan` without `--no-dns`), kept so that `validate` judges a
    /// saved scan again without asking DNS. Absent in older records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsFacts>,
}

/// What a Configuration Manager 2007 SP1 export says of AMT on one computer:
/// the client's hardware inventory (`SMS_AMTObject`, from the Intel HECI
/// driver; `SMS_G_System_AMT_AGENT` on the site server, `v_GS_AMT_AGENT` in
/// SQL) and the site's discovery data (`SMS_R_System.AMTStatus` and
/// `AMTFullVersion`). Each value is as old as the inventory cycle or the
/// discovery that wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InventoryAmt {
    /// The computer's name in the export (`Name0`, `Netbios_Name0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computer: Option<String>,
    /// The export file and its line (or JSON element) that said it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `SMS_AMTObject.AMT` (`AMT0`): the AMT firmware version, `XX.YY.ZZZZ`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `SMS_AMTObject.BuildNumber` (`BuildNumber0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// `SMS_AMTObject.ProvisionState` (`ProvisionState0`): 0 pre, 1 in, 2 post.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// `SMS_AMTObject.ProvisionMode` (`ProvisionMode0`), the number as given:
    /// its meaning changed with AMT 7.0, as the device's own does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provision_mode: Option<u32>,
    /// `SMS_AMTObject.ZTCEnabled` (`ZTCEnabled0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ztc_enabled: Option<bool>,
    /// `SMS_AMTObject.TLSMode` (`TLSMode0`), the number as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_mode: Option<u32>,
    /// `SMS_AMTObject.Sku` (`Sku0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// `SMS_R_System.AMTStatus` (`AMTStatus0`): what the site's last
    /// discovery of the computer found. Absent when the column was blank
    /// (null: Unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amt_status: Option<AmtStatus>,
    /// `SMS_R_System.AMTFullVersion` (`AMTFullVersion0`): the firmware
    /// version discovery read, `major.minor.micro`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_version: Option<String>,
    /// For a `dark` record: the computer's addresses the scan swept and
    /// that answered nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub silent_addresses: Vec<String>,
    /// For a `dark` record: why AMT may be silent, the likeliest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub likely_causes: Vec<String>,
}

impl InventoryAmt {
    /// Whether the export says the computer has AMT: a firmware version in
    /// its hardware inventory, or a discovery status that found AMT
    /// (Detected, Not Provisioned, Provisioned). `Not Supported` and null
    /// say nothing: the same status covers a closed AMT interface.
    pub fn says_amt(&self) -> bool {
        let text = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        text(&self.version)
            || text(&self.full_version)
            || matches!(
                self.amt_status,
                Some(AmtStatus::Detected | AmtStatus::NotProvisioned | AmtStatus::Provisioned)
            )
    }

    /// The evidence in one line: `PC-7 (hosts.csv line 3): SMS_AMTObject AMT
    /// 5.2.10, BuildNumber 1023, ProvisionState 2 (post); AMTStatus 3
    /// (Provisioned)`.
    pub fn evidence(&self) -> String {
        let mut inventory = Vec::new();
        if let Some(v) = &self.version {
            inventory.push(format!("AMT {v}"));
        }
        if let Some(b) = &self.build {
            inventory.push(format!("BuildNumber {b}"));
        }
        if let Some(s) = self.provisioning_state {
            let wire = match s {
                ProvisioningState::Pre => 0,
                ProvisioningState::In => 1,
                ProvisioningState::Post => 2,
            };
            inventory.push(format!("ProvisionState {wire} ({})", s.as_str()));
        }
        if let Some(m) = self.provision_mode {
            inventory.push(format!("ProvisionMode {m}"));
        }
        if let Some(z) = self.ztc_enabled {
            inventory.push(format!("ZTCEnabled {}", u8::from(z)));
        }
        if let Some(t) = self.tls_mode {
            inventory.push(format!("TLSMode {t}"));
        }
        if let Some(s) = &self.sku {
            inventory.push(format!("Sku {s}"));
        }
        let mut parts = Vec::new();
        if !inventory.is_empty() {
            parts.push(format!("SMS_AMTObject {}", inventory.join(", ")));
        }
        let mut discovery = Vec::new();
        if let Some(s) = self.amt_status {
            discovery.push(format!("AMTStatus {}", s.with_value()));
        }
        if let Some(v) = &self.full_version {
            discovery.push(format!("AMTFullVersion {v}"));
        }
        if !discovery.is_empty() {
            parts.push(format!("SMS_R_System {}", discovery.join(", ")));
        }
        let who = match (&self.computer, &self.from) {
            (Some(c), Some(f)) => format!("{c} ({f})"),
            (Some(c), None) => c.clone(),
            (None, Some(f)) => f.clone(),
            (None, None) => "the inventory".into(),
        };
        crate::text::clean(&format!("{who}: {}", parts.join("; "))).into_owned()
    }
}

/// The DNS lookups of one device, and where and when they were made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DnsFacts {
    /// The resolver asked: `system (10.0.0.2:53)` from the system's
    /// configuration, or the `--dns-server` address.
    pub resolver: String,
    /// When the lookups were made, RFC 3339 UTC.
    pub at: String,
    /// The address the device was scanned at: its name must resolve to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanned_address: Option<std::net::IpAddr>,
    /// The provisioning server name AMT looks up, with the device's DNS
    /// suffix (devices not yet provisioned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provision_server: Option<DnsLookup>,
    /// The out of band service point that name must reach, from the site
    /// file (its addresses, or its FQDN resolved); absent when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_point: Option<ServicePointFacts>,
    /// AMT's own FQDN (HostName.DomainName), looked up forward.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amt_fqdn: Option<DnsLookup>,
    /// The scanned address, looked up in reverse (PTR).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverse: Option<DnsLookup>,
    /// The name the device's TLS certificate carries, looked up forward
    /// when it is not AMT's FQDN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_name: Option<DnsLookup>,
}

/// One DNS question and what came back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DnsLookup {
    /// The name asked (`ProvisionServer.corp.example.com`, or the address
    /// for a reverse lookup).
    pub name: String,
    /// For the provisioning server: the fact that gave the suffix,
    /// `amt.trusted_dns_suffix` (the PKI DNS suffix, which AMT prefers) or
    /// `amt.dhcp_dns_suffix` (DHCP option 15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suffix_from: Option<String>,
    /// Whether the name has records, has none, or could not be asked.
    pub answer: DnsAnswer,
    /// The addresses of a forward lookup.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<std::net::IpAddr>,
    /// The names of a reverse lookup, without the trailing dot.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Why the lookup failed (`timed out`), one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a DNS question was answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsAnswer {
    /// Records of the type asked came back.
    Found,
    /// The server said the name has no such record (NXDOMAIN or no data).
    NoRecord,
    /// No answer that says either: timed out, unreachable, refused,
    /// server failure. What the name resolves to is unknown.
    #[default]
    Failed,
}

/// The out of band service point, as the provisioning server name must reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServicePointFacts {
    /// Its addresses: those the site file gives, and its FQDN's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<std::net::IpAddr>,
    /// Its FQDN, when the site file gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// Why its FQDN gave no address, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<String>,
}

/// The password given to `scan`, judged against the rules Configuration
/// Manager enforces for an AMT Provisioning and Discovery Account. Only the
/// outcome is kept: which rules it breaks, in words that reveal nothing of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CredentialFacts {
    /// The AMT user the scan logged in as (`admin`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Whether a password was given at all.
    pub password_given: bool,
    /// The password rules it breaks (`shorter than 8 characters`); empty when
    /// it meets them all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub password_problems: Vec<String>,
}

/// The AMT status Configuration Manager 2007 SP1 shows for a computer after
/// discovery ("About the AMT Status and Out of Band Management"), and the
/// value of `SMS_R_System.AMTStatus` that its queries use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmtStatus {
    /// Not known yet: discovery has not reached it. `AMTStatus is null`.
    Unknown,
    /// AMT cannot be detected over the network interface: no AMT, or its
    /// network interface is closed. `AMTStatus=0`.
    NotSupported,
    /// AMT answers, but the out of band service point cannot provision it
    /// (provisioned elsewhere, password unknown). `AMTStatus=1`.
    Detected,
    /// AMT answers and can be provisioned. `AMTStatus=2`.
    NotProvisioned,
    /// AMT answers and can be managed out of band. `AMTStatus=3`.
    Provisioned,
}

impl AmtStatus {
    /// Every status, in query-value order.
    pub const ALL: [AmtStatus; 5] = [
        AmtStatus::Unknown,
        AmtStatus::NotSupported,
        AmtStatus::Detected,
        AmtStatus::NotProvisioned,
        AmtStatus::Provisioned,
    ];

    /// Every status, the most ready first: the order reports list them in.
    pub const BEST_FIRST: [AmtStatus; 5] = [
        AmtStatus::Provisioned,
        AmtStatus::NotProvisioned,
        AmtStatus::Detected,
        AmtStatus::NotSupported,
        AmtStatus::Unknown,
    ];

    /// `SMS_R_System.AMTStatus`: `None` is the query's `is null`.
    pub fn query_value(self) -> Option<u8> {
        match self {
            AmtStatus::Unknown => None,
            AmtStatus::NotSupported => Some(0),
            AmtStatus::Detected => Some(1),
            AmtStatus::NotProvisioned => Some(2),
            AmtStatus::Provisioned => Some(3),
        }
    }

    /// The snake_case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            AmtStatus::Unknown => "unknown",
            AmtStatus::NotSupported => "not_supported",
            AmtStatus::Detected => "detected",
            AmtStatus::NotProvisioned => "not_provisioned",
            AmtStatus::Provisioned => "provisioned",
        }
    }

    /// The name the Configuration Manager console shows.
    pub fn label(self) -> &'static str {
        match self {
            AmtStatus::Unknown => "Unknown",
            AmtStatus::NotSupported => "Not Supported",
            AmtStatus::Detected => "Detected",
            AmtStatus::NotProvisioned => "Not Provisioned",
            AmtStatus::Provisioned => "Provisioned",
        }
    }

    /// `Detected (1)`, `Unknown (null)`: the label with the query value.
    pub fn with_value(self) -> String {
        match self.query_value() {
            Some(value) => format!("{} ({value})", self.label()),
            None => format!("{} (null)", self.label()),
        }
    }
}

impl fmt::Display for AmtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What Configuration Manager would make of one host, as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigMgrView {
    /// The status Configuration Manager would show, from the facts by the one derivation in
    /// `rules::amt_status`.
    pub amt_status: AmtStatus,
    /// `SMS_R_System.AMTStatus`: null, 0, 1, 2 or 3.
    pub sms_r_system_amtstatus: Option<u8>,
    /// Why, in one line.
    pub reason: String,
}

/// The outcome of reading one host over the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HostStatus {
    /// Everything we were allowed to read was read (a class missing on old
    /// firmware still counts as read: the fact is simply unknown).
    Ok,
    /// Nothing answered in time: connection refused, reset or timed out.
    Unreachable,
    /// The device rejected the credentials (or the account is locked; AMT
    /// sends the same 401 for both).
    AuthFailed,
    /// Something answered, but it is not Intel AMT.
    NotAmt,
    /// It is AMT but the answer could not be used (bad XML, protocol error).
    Error,
    /// A TLS endpoint whose certificate the scan's policy does not trust (not
    /// signed by a trusted CA, wrong name, not the pinned one, or changed
    /// since first use). Nothing was sent to it, credentials least of all.
    TlsUntrusted,
    /// Nothing answered on TCP 16992/16993 or the RMCP ping, twice: an
    /// address without a device, not an unread device. Listed only with `--all`.
    Silent,
    /// AMT answered the unauthenticated probe, but the credentials were never
    /// offered to it: `--auth-fail-limit` had stopped them after devices in a
    /// row rejected them. Its readiness is not known, and nothing says it was
    /// provisioned elsewhere.
    NotTried,
    /// The inventory export says the computer has AMT, and none of its
    /// addresses the scan swept answered: a vPro machine Configuration
    /// Manager cannot reach. The record carries the inventory's evidence
    /// (`inventory_amt`) and the likely causes; it is listed without
    /// `--all`, and it is never ready (an unread target).
    Dark,
}

impl HostStatus {
    /// Whether the status alone shows Intel AMT answered: it was read, it
    /// refused or was not offered the credentials, or its answers were odd.
    pub fn proves_amt(self) -> bool {
        matches!(
            self,
            HostStatus::Ok | HostStatus::AuthFailed | HostStatus::Error | HostStatus::NotTried
        )
    }

    /// The snake_case name, as serialised (`auth_failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            HostStatus::Ok => "ok",
            HostStatus::Unreachable => "unreachable",
            HostStatus::AuthFailed => "auth_failed",
            HostStatus::NotAmt => "not_amt",
            HostStatus::Error => "error",
            HostStatus::TlsUntrusted => "tls_untrusted",
            HostStatus::Silent => "silent",
            HostStatus::NotTried => "not_tried",
            HostStatus::Dark => "dark",
        }
    }
}

impl fmt::Display for HostStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a fact came from. Reported beside every fact because the sources differ
/// in strength: a `Server` banner can be sent by non-Intel DASH firmware, while a
/// CIM_SoftwareIdentity read is authenticated and authoritative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactSource {
    /// Authenticated WS-Management read.
    Wsman,
    /// Authenticated EOI SOAP call (AMT 1.x to 8.x).
    Eoi,
    /// The unauthenticated HTTP `Server` header.
    ServerHeader,
    /// The RMCP presence pong (unauthenticated, major.minor only).
    Rmcp,
    /// Given by the user in a facts file.
    File,
    /// A row of an inventory export given with `--host-facts` (Configuration
    /// Manager hardware inventory, a WMI export, our own columns).
    Inventory,
    /// Read live from the host's Windows over WinRM (`scan --winrm`).
    Winrm,
    /// What the discovery sweep saw of the device's ports (a port it refused).
    Sweep,
}

impl FactSource {
    /// The snake_case name, as serialised and shown in `sources` (`server_header`).
    pub fn as_str(self) -> &'static str {
        match self {
            FactSource::Wsman => "wsman",
            FactSource::Eoi => "eoi",
            FactSource::ServerHeader => "server_header",
            FactSource::Rmcp => "rmcp",
            FactSource::File => "file",
            FactSource::Inventory => "inventory",
            FactSource::Winrm => "winrm",
            FactSource::Sweep => "sweep",
        }
    }
}

impl fmt::Display for FactSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One AMT_ProvisioningCertificateHash instance: a trusted root for remote provisioning.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CertHash {
    /// InstanceID: the firmware's key for the entry.
    pub instance_id: String,
    /// ElementName: the root CA's name as the firmware or the administrator labelled it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `md5`, `sha1`, `sha256`, `sha384` (wire values 0 to 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_type: Option<String>,
    /// Lower-case hex of the hash (AMT sends base64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_hex: Option<String>,
    /// Enabled: whether the firmware trusts this root for remote provisioning now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// IsDefault: whether the hash came with the firmware rather than being added by an
    /// administrator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
}

/// What the device itself told us. Every field may be unknown: old firmware lacks
/// classes, and without credentials only the probe's facts are there.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AmtFacts {
    /// Firmware version as the best source gave it: `5.2.10`, `11.8.50.3425`, `7.1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<ReportedVersion>,
    /// Where `version` came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<FactSource>,
    /// CIM_SoftwareIdentity `Build Number`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// CIM_SoftwareIdentity `Sku` (decimal, as the firmware sends it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// AMT_SetupAndConfigurationService.ProvisioningState (the RMCP pong says it too): pre, in
    /// or post.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// AMT_SetupAndConfigurationService.ProvisioningMode, decoded by firmware generation (its
    /// numbers changed in 7.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_mode: Option<ProvisioningMode>,
    /// IPS_HostBasedSetupService.CurrentControlMode (AMT 6.1 and later): client or admin
    /// control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_mode: Option<ControlMode>,
    /// AMT_SetupAndConfigurationService.ZeroTouchConfigurationEnabled: remote configuration
    /// with a provisioning certificate is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ztc_enabled: Option<bool>,
    /// AMT_SetupAndConfigurationService.DhcpDNSSuffix: the DNS suffix DHCP option 15 gave the
    /// firmware.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dhcp_dns_suffix: Option<String>,
    /// AMT_SetupAndConfigurationService.TrustedDNSSuffix: the PKI DNS suffix set in the MEBx,
    /// which a provisioning certificate must match first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_dns_suffix: Option<String>,
    /// The firmware's own host name (AMT_GeneralSettings.HostName, or EOI GetHostName before
    /// WS-Management).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The firmware's domain name (AMT_GeneralSettings.DomainName, or EOI GetDomainName).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The host OS's own name as AMT has it (GeneralSettings.HostOSFQDN),
    /// where `scan --winrm` looks for the host when its address has no
    /// listener.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_os_fqdn: Option<String>,
    /// AMT_GeneralSettings.DigestRealm (`Digest:` and 32 hex digits), which also names the
    /// device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_realm: Option<String>,
    /// AMT_GeneralSettings.NetworkInterfaceEnabled: the firmware's network interface is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_interface_enabled: Option<bool>,
    /// AMT_GeneralSettings.AMTNetworkEnabled: AMT is reachable over the network (absent on
    /// 8.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amt_network_enabled: Option<bool>,
    /// The trusted root hashes for remote provisioning (AMT_ProvisioningCertificateHash), one
    /// per instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_hashes: Option<Vec<CertHash>>,
    /// The raw unauthenticated `Server` header, kept as evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_header: Option<String>,
    /// The TCP port the device was read on (AMT: 16992 plain, 16993 TLS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `http` or `https`: how the device was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// What the TLS handshake negotiated and the certificate the device showed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFacts>,
    /// AMT's own TLS settings (AMT_TLSSettingData), where the firmware has the class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_settings: Option<TlsSettingsFacts>,
    /// AMT_EthernetPortSettings: one entry per network interface AMT has
    /// (wired, wireless), where the firmware has the class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ethernet_ports: Option<Vec<EthernetPortFacts>>,
    /// Whether an 802.1X profile is enabled on AMT's wired interface
    /// (AMT_8021XProfile): `false` when the firmware lists none enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wired_8021x: Option<bool>,
    /// AMT's power packages as read, the active one marked: the one
    /// CIM_ElementSettingData names current, with its AMT_SystemPowerScheme
    /// (in which host power states the management engine stays on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_packages: Option<Vec<PowerPackageFacts>>,
    /// AMT's clock against the scanner's, as measured at scan time
    /// (AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockFacts>,
    /// Which source gave each fact, keyed by the field name above.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, FactSource>,
    /// What the RMCP presence pong said, when the device answered the ping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rmcp: Option<RmcpFacts>,
    /// Classes or calls that the firmware did not answer (faulted or absent),
    /// so a reader knows why a fact is unknown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<String>,
}

impl AmtFacts {
    /// The DNS suffix AMT matches a provisioning certificate's name against:
    /// the PKI DNS suffix set in the MEBx, else the one DHCP gave it (option
    /// 15); a blank one is not set. `true` when it is the PKI DNS suffix.
    /// Both the rules and the certificate's device view read it, so the
    /// order of preference is written once.
    pub fn provisioning_dns_suffix(&self) -> Option<(&str, bool)> {
        fn set(value: &Option<String>) -> Option<&str> {
            value.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        set(&self.trusted_dns_suffix)
            .map(|s| (s, true))
            .or_else(|| set(&self.dhcp_dns_suffix).map(|s| (s, false)))
    }
}

/// What the TLS layer saw when the device was read over https.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsFacts {
    /// `tls-1.2`, `tls-1.3` (modern stack), `legacy-1.0`, `legacy-1.1` (the
    /// OpenSSL fallback for firmware that speaks nothing newer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Whether the legacy stack carried the connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy: Option<bool>,
    /// Why the legacy stack did: `modern TLS refused`, or the evidence that
    /// sent the scan there first (`RMCP pong: AMT 7.1`, `plain banner: AMT 6`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_reason: Option<String>,
    /// The negotiated cipher suite's IANA name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// The device's own certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertFacts>,
    /// The rest of the chain the device sent, in order (CA certificates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<CertFacts>,
}

/// One X.509 certificate, as facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CertFacts {
    /// Subject DN (RFC 4514 string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Issuer DN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The subject's common name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// DNS names in the subjectAltName extension.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub san_dns: Vec<String>,
    /// IP addresses in the subjectAltName extension.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub san_ip: Vec<String>,
    /// Start of validity, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// End of validity, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// `rsa`, `ec`, `ed25519`, `dsa` or the algorithm OID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// Key size in bits (RSA modulus, EC field size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_bits: Option<u32>,
    /// Signature algorithm (`sha256WithRSAEncryption`, or the OID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
    /// `sha256:` and the lower-case hex SHA-256 of the DER: what `--pin` takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Whether the subject and issuer are the same (no CA vouches for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_signed: Option<bool>,
    /// Whether basicConstraints marks it a CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_ca: Option<bool>,
}

/// AMT_TLSSettingData for one interface (AMT 3.0 and later over WS-Man).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsSettingsFacts {
    /// `remote` (the network interface, InstanceID "Intel(r) AMT 802.3 TLS
    /// Settings") or `local` (LMS, "Intel(r) AMT LMS TLS Settings").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// Enabled: TLS is on for this interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// MutualAuthentication: clients must show a certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutual_authentication: Option<bool>,
    /// AcceptNonSecureConnections: 16992 stays open next to TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept_non_secure_connections: Option<bool>,
}

/// One AMT_EthernetPortSettings instance: one of AMT's network interfaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EthernetPortFacts {
    /// `wired` (InstanceID "… Settings 0") or `wireless` ("… Settings 1",
    /// or PhysicalConnectionType 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// LinkIsUp: the interface has a link now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_up: Option<bool>,
    /// DHCPEnabled: AMT takes its IPv4 address from DHCP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dhcp_enabled: Option<bool>,
    /// SharedStaticIp: a static address AMT shares with the host OS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_static_ip: Option<bool>,
    /// IpSyncEnabled: AMT follows the host's address (AMT 7.0 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_sync_enabled: Option<bool>,
    /// SharedMAC: AMT shares the host's MAC address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_mac: Option<bool>,
    /// IPAddress, when the firmware reports one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// MACAddress (`00-15-17-0a-0b-0c`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
}

/// One AMT power package (AMT_SystemPowerScheme).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PowerPackageFacts {
    /// InstanceID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// SchemeGUID, as the firmware sends it (base64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// Description: the host power states the ME is on in
    /// (`Desktop: ON in S0, S3, S4-5`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it is the active package (CIM_ElementSettingData.IsCurrent);
    /// unknown when the association was not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// AMT's clock read against the scanner's. Both readings and the round trip
/// are kept, so a saved scan is judged again on what was measured then,
/// never against the clock of the day it is validated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClockFacts {
    /// Ta0: AMT's time, in whole seconds since 1970-01-01 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amt_unix: Option<i64>,
    /// The scanner's clock when the request went out, in milliseconds
    /// since 1970-01-01 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanner_sent_unix_ms: Option<i64>,
    /// The scanner's clock when the answer came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanner_answered_unix_ms: Option<i64>,
}

impl ClockFacts {
    /// The round trip in milliseconds, when both scanner readings are there
    /// and in order.
    pub fn round_trip_ms(&self) -> Option<i64> {
        let (sent, answered) = (self.scanner_sent_unix_ms?, self.scanner_answered_unix_ms?);
        (answered >= sent).then(|| answered - sent)
    }

    /// The least and the most AMT's clock can be ahead of the scanner's
    /// (negative: behind), in milliseconds. Ta0 was taken somewhere in the
    /// round trip and is cut to the second, so the span is the round trip
    /// plus one second wide.
    pub fn skew_bounds_ms(&self) -> Option<(i64, i64)> {
        let amt_ms = self.amt_unix?.checked_mul(1000)?;
        let sent = self.scanner_sent_unix_ms?;
        let answered = self.scanner_answered_unix_ms?;
        self.round_trip_ms()?;
        Some((
            amt_ms.checked_sub(answered)?,
            amt_ms.checked_add(999)?.checked_sub(sent)?,
        ))
    }
}

/// The RMCP presence pong (UDP 623): unauthenticated, but it answers before
/// provisioning and names the generation even when TCP is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RmcpFacts {
    /// `major.minor` (6.0 and later; none for the 4.x/5.x layouts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The layout's firmware range: `4.0-5.0`, `5.1-5.x`, `6.0-15.x`, `16+`.
    pub generation: String,
    /// The provisioning state the pong's flags give (6.0 and later layouts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    /// The ports the device says are open (16992 or 16993; none before setup).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_ports: Vec<u16>,
    /// DASH supported.
    pub dash: bool,
}

/// Facts about the host operating system of the AMT machine: from the record
/// itself (`file`), an inventory export joined with `--host-facts`
/// (`inventory`), or Windows over WinRM (`winrm`); `sources` says which.
/// The WMI property names (`Caption`, `CSDVersion`, `OSArchitecture`) are
/// accepted as aliases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostFacts {
    /// The OS as people have it: WMI Caption, a full string
    /// (`Windows Vista Business SP2 x64`) or a short form (`xp-sp3`).
    #[serde(skip_serializing_if = "Option::is_none", alias = "Caption")]
    pub os: Option<String>,
    /// WMI CSDVersion style (`Service Pack 3`) or short (`SP3`).
    #[serde(skip_serializing_if = "Option::is_none", alias = "CSDVersion")]
    pub service_pack: Option<String>,
    /// WMI OSArchitecture style (`32-bit`, `64-bit`) or `x86`, `x64`, `ia64`.
    #[serde(skip_serializing_if = "Option::is_none", alias = "OSArchitecture")]
    pub architecture: Option<String>,
    /// The Windows edition (`Business`, `Enterprise`, `Standard`), when given apart from `os`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    /// Whether the host is a Server Core installation (WMI OperatingSystemSKU):
    /// out-of-band management is supported on full installations only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_core: Option<bool>,
    /// Whether Routing and Remote Access (the RemoteAccess service) is running:
    /// out of band communication is not supported while it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rras_running: Option<bool>,
    /// Whether Internet Connection Sharing (the SharedAccess service) is on, which starts
    /// Routing and Remote Access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ics_enabled: Option<bool>,
    /// Whether the admin intends to provision this machine in band.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inband_provisioning: Option<bool>,
    /// Hotfixes installed on the host (`KB970093`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kbs: Option<Vec<String>>,
    /// Which source gave each fact, keyed by the field name above. A fact
    /// without an entry came from the record itself (`file`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, FactSource>,
    /// Facts on which two sources disagreed (`rras_running: winrm says true,
    /// inventory says false`). Such a fact is left unknown rather than one
    /// source silently winning, so the rules that read it say so.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
    /// What a live read of the host (`scan --winrm`) could not get, one line
    /// each (`winrm: 10.0.0.5:5985: authentication failed`), so a fact left
    /// unknown says why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
}

/// Facts about the Configuration Manager site that will manage the machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteFacts {
    /// `mixed` or `native`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// OS of the computer that runs the out of band management console (`Windows XP
    /// Professional SP3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_os: Option<String>,
    /// OS of the out of band service point's site system (`Windows Server 2003 SP2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_point_os: Option<String>,
    /// Hotfixes installed on the out of band service point (`KB942841`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_point_kbs: Option<Vec<String>>,
    /// The SQL Server holding the site database (`SQL Server 2005 Enterprise SP2 x64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// What the site was upgraded from (`SMS 2003 SP3`), or `none` for a new installation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade_from: Option<String>,
    /// `eval`, `sp` or `complete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// OS of the primary site server (`Windows Server 2008 SP2 x64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_server_os: Option<String>,
    /// The OS the site server was upgraded *in place* from, or `none` for a
    /// clean install (the seed forbids 2003 → 2008 in place).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_server_os_upgraded_from: Option<String>,
    /// The SQL Server release the site database instance was upgraded in
    /// place from, or `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql_upgraded_from: Option<String>,
    /// Site system roles installed on the console computer
    /// (`primary-site-server`, `management-point`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_roles: Option<Vec<String>>,
    /// OS of other site system roles, keyed by role (`reporting-point`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_os: Option<BTreeMap<String, String>>,
    /// Hotfixes on the site server, SMS Provider and console computers (`KB955262`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_kbs: Option<Vec<String>>,
    /// The provisioning server value set in the devices' BIOS extensions: a
    /// short name (`ProvisionServer` when absent), an FQDN or an address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provision_server_name: Option<String>,
    /// The out of band service point's FQDN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_point_fqdn: Option<String>,
    /// The out of band service point's addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_point_addresses: Option<Vec<String>>,
}

impl FactsRecord {
    /// A record for a target that has not been read yet.
    pub fn new(target: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            ..Self::default()
        }
    }
}

impl SiteFacts {
    /// Whether no site fact is given at all.
    pub fn is_empty(&self) -> bool {
        *self == SiteFacts::default()
    }

    /// Takes every fact `over` gives, keeping ours where it gives none: the
    /// site flags over the `--site` file.
    pub fn overlay(&mut self, over: SiteFacts) {
        fn take<T>(mine: &mut Option<T>, theirs: Option<T>) {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
        let SiteFacts {
            mode,
            console_os,
            service_point_os,
            service_point_kbs,
            sql,
            upgrade_from,
            release,
            site_server_os,
            site_server_os_upgraded_from,
            sql_upgraded_from,
            console_roles,
            role_os,
            site_kbs,
            provision_server_name,
            service_point_fqdn,
            service_point_addresses,
        } = over;
        take(&mut self.mode, mode);
        take(&mut self.console_os, console_os);
        take(&mut self.service_point_os, service_point_os);
        take(&mut self.service_point_kbs, service_point_kbs);
        take(&mut self.sql, sql);
        take(&mut self.upgrade_from, upgrade_from);
        take(&mut self.release, release);
        take(&mut self.site_server_os, site_server_os);
        take(
            &mut self.site_server_os_upgraded_from,
            site_server_os_upgraded_from,
        );
        take(&mut self.sql_upgraded_from, sql_upgraded_from);
        take(&mut self.console_roles, console_roles);
        take(&mut self.role_os, role_os);
        take(&mut self.site_kbs, site_kbs);
        take(&mut self.provision_server_name, provision_server_name);
        take(&mut self.service_point_fqdn, service_point_fqdn);
        take(&mut self.service_point_addresses, service_point_addresses);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_overlay_the_site_file() {
        let mut file = SiteFacts {
            mode: Some("mixed".into()),
            sql: Some("SQL Server 2005 SP2".into()),
            ..SiteFacts::default()
        };
        file.overlay(SiteFacts {
            mode: Some("native".into()),
            ..SiteFacts::default()
        });
        assert_eq!(file.mode.as_deref(), Some("native"));
        assert_eq!(file.sql.as_deref(), Some("SQL Server 2005 SP2"));
        assert!(!file.is_empty() && SiteFacts::default().is_empty());
    }

    #[test]
    fn issue_example_record_loads() {
        let json = r#"{"target": "10.0.0.5",
           "amt": {"version": "5.2.10.1023", "provisioning_state": "pre"},
           "host": {"os": "Microsoft Windows XP Professional", "service_pack": "Service Pack 3",
                    "architecture": "32-bit", "edition": "Professional", "server_core": false,
                    "rras_running": false, "ics_enabled": false, "inband_provisioning": true},
           "site": {"mode": "native", "console_os": "Windows XP Professional SP3",
                    "service_point_os": "Windows Server 2003 SP2", "service_point_kbs": ["KB942841"],
                    "sql": "SQL Server 2005 Enterprise SP2 x64", "upgrade_from": "SMS 2003 SP3",
                    "release": "complete"}}"#;
        let rec: FactsRecord = serde_json::from_str(json).unwrap();
        assert_eq!(
            rec.amt.as_ref().unwrap().provisioning_state,
            Some(ProvisioningState::Pre)
        );
        assert_eq!(
            rec.site
                .as_ref()
                .unwrap()
                .service_point_kbs
                .as_ref()
                .unwrap()[0],
            "KB942841"
        );
        let back: FactsRecord =
            serde_json::from_str(&serde_json::to_string(&rec).unwrap()).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn dark_records_and_records_from_before_them_load() {
        let old: FactsRecord =
            serde_json::from_str(r#"{"target": "10.0.0.5", "status": "silent"}"#).unwrap();
        assert_eq!(old.inventory_amt, None);
        let dark: FactsRecord = serde_json::from_str(
            r#"{"target": "10.0.0.6", "status": "dark",
                "inventory_amt": {"computer": "PC-6", "version": "5.2.10",
                                  "provisioning_state": "pre", "amt_status": "not_provisioned",
                                  "silent_addresses": ["10.0.0.6"],
                                  "likely_causes": ["AMT disabled in the BIOS"]}}"#,
        )
        .unwrap();
        assert_eq!(dark.status, Some(HostStatus::Dark));
        let amt = dark.inventory_amt.as_ref().unwrap();
        assert!(amt.says_amt());
        assert!(amt.evidence().starts_with(
            "PC-6: SMS_AMTObject AMT 5.2.10, ProvisionState 0 (pre); SMS_R_System AMTStatus Not Provisioned (2)"
        ));
        let back: FactsRecord =
            serde_json::from_str(&serde_json::to_string(&dark).unwrap()).unwrap();
        assert_eq!(back, dark);
        // Not Supported and null say nothing of AMT.
        let none = InventoryAmt {
            amt_status: Some(AmtStatus::NotSupported),
            ..InventoryAmt::default()
        };
        assert!(!none.says_amt());
    }

    #[test]
    fn dns_facts_round_trip_and_a_record_without_them_still_loads() {
        let old: FactsRecord =
            serde_json::from_str(r#"{"target": "10.0.0.5", "amt": {"version": "7.1.91"}}"#)
                .unwrap();
        assert_eq!(old.dns, None);
        let json = r#"{"target": "10.0.0.5", "dns": {"resolver": "10.0.0.2:53",
            "at": "2026-12-07T15:00:00Z", "scanned_address": "10.0.0.5",
            "provision_server": {"name": "ProvisionServer.corp.example.com",
                                 "suffix_from": "amt.dhcp_dns_suffix", "answer": "found",
                                 "addresses": ["10.0.0.10"]},
            "reverse": {"name": "10.0.0.5", "answer": "no_record"}}}"#;
        let rec: FactsRecord = serde_json::from_str(json).unwrap();
        let dns = rec.dns.as_ref().unwrap();
        assert_eq!(
            dns.provision_server.as_ref().unwrap().answer,
            DnsAnswer::Found
        );
        assert_eq!(dns.reverse.as_ref().unwrap().answer, DnsAnswer::NoRecord);
        let back: FactsRecord =
            serde_json::from_str(&serde_json::to_string(&rec).unwrap()).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn provisioning_mode_meaning_depends_on_release() {
        assert_eq!(
            ProvisioningMode::from_wire(1, Some(5)),
            Some(ProvisioningMode::Enterprise)
        );
        assert_eq!(
            ProvisioningMode::from_wire(1, Some(7)),
            Some(ProvisioningMode::AdminControl)
        );
        assert_eq!(ProvisioningMode::from_wire(1, None), None);
    }
}
