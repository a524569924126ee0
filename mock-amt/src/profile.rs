//! Firmware profiles: one small TOML data file per firmware behaviour.
//!
//! The built-in profiles are embedded with `include_str!` so the library works
//! with no filesystem; [`Profile::load`] reads the same format from a file so a
//! user can model a firmware we did not ship.

use std::path::Path;

use serde::Deserialize;

/// Every built-in profile: its name and its TOML text.
const BUILTIN: &[(&str, &str)] = &[
    ("amt-2.6", include_str!("../profiles/amt-2.6.toml")),
    ("amt-3.0", include_str!("../profiles/amt-3.0.toml")),
    ("amt-3.2.0", include_str!("../profiles/amt-3.2.0.toml")),
    ("amt-3.2.1", include_str!("../profiles/amt-3.2.1.toml")),
    ("amt-4.0", include_str!("../profiles/amt-4.0.toml")),
    ("amt-4.1", include_str!("../profiles/amt-4.1.toml")),
    ("amt-4.2", include_str!("../profiles/amt-4.2.toml")),
    ("amt-5.0", include_str!("../profiles/amt-5.0.toml")),
    ("amt-5.1", include_str!("../profiles/amt-5.1.toml")),
    ("amt-5.2.9", include_str!("../profiles/amt-5.2.9.toml")),
    ("amt-5.2.10", include_str!("../profiles/amt-5.2.10.toml")),
    ("amt-6.2", include_str!("../profiles/amt-6.2.toml")),
    ("amt-6.2.61", include_str!("../profiles/amt-6.2.61.toml")),
    ("amt-7.1", include_str!("../profiles/amt-7.1.toml")),
    ("amt-8.1", include_str!("../profiles/amt-8.1.toml")),
    ("amt-11.8", include_str!("../profiles/amt-11.8.toml")),
    ("amt-15.0", include_str!("../profiles/amt-15.0.toml")),
    ("amt-16.1", include_str!("../profiles/amt-16.1.toml")),
];

/// Why a profile could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid profile TOML (the message names the line).
    #[error("invalid profile TOML: {0}")]
    Toml(#[from] toml::de::Error),
    /// The TOML parsed but a value makes no sense for a firmware.
    #[error("invalid profile {name}: {reason}")]
    Invalid { name: String, reason: String },
}

/// One `CIM_SoftwareIdentity` instance: InstanceID and VersionString.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftwareEntry {
    /// InstanceID (`AMT`, `Flash`, `Build Number`, `Sku`, ...).
    pub id: String,
    /// VersionString exactly as firmware gives it.
    pub version: String,
}

/// How the provisioning-certificate hash list is generated.
///
/// No public capture of this class exists, so the data is generated
/// deterministically from the profile name: plausible base64 digests of the
/// right length, stable across runs so tests can compare.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertHashes {
    /// How many factory hashes the firmware carries.
    pub count: u32,
    /// HashType: 1 SHA-1 (before AMT 6.0), 2 SHA-256 (6.0 on).
    pub hash_type: u8,
    /// How many of them (from the end) the admin disabled.
    #[serde(default)]
    pub disabled: u32,
}

/// The body variant of the 401 "Log on failed" page, named by its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LogonFailedPage {
    /// 689 bytes: 8.0-era page, stylesheet link without a leading slash.
    #[serde(rename = "689")]
    Len689,
    /// 690 bytes: 11.x page, `valign="top"` on the logo cell.
    #[serde(rename = "690")]
    Len690,
    /// 693 bytes: 15.x/16.x page, `valign="middle"` on the logo cell.
    #[serde(rename = "693")]
    Len693,
}

/// A firmware behaviour: what one AMT release says and serves.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// `amt-<version>`, e.g. `amt-5.2.10`.
    pub name: String,
    /// The firmware version as CIM_SoftwareIdentity "AMT" gives it (`5.2.10`).
    pub version: String,
    /// The "Build Number" entry, when the firmware has one.
    #[serde(default)]
    pub build: Option<String>,
    /// The "Sku" entry, when the firmware has one.
    #[serde(default)]
    pub sku: Option<String>,
    /// The whole `Server` header value.
    pub server_header: String,
    /// Whether `POST /wsman` exists (AMT 3.0 and later).
    pub wsman: bool,
    /// Whether the EOI SOAP services exist (AMT 1.x to 8.x).
    pub eoi: bool,
    /// HTTP status for `POST /wsman` when WS-Man is absent.
    #[serde(default = "default_no_wsman_status")]
    pub no_wsman_status: u16,
    /// Whether WS-Man Identify is answered (with credentials only; without
    /// them it gets the 401 every request does). Built-in profiles answer it
    /// from 3.2 on, 8.x and older included. Our reading, from MAAS's AMT power
    /// driver (`provisioningserver/drivers/power/amt.py`, `_get_amt_command`,
    /// after Launchpad bug 1331214): it runs `wsman identify` on every AMT
    /// device, fails when the answer has no `ProductVersion>AMT N`, and sends
    /// N <= 8 to amttool, so the firmware it drives with amttool must answer
    /// Identify. 3.0 refuses it (ActionNotSupported): its WS-Man predates
    /// DSP0226 1.0, where Identify is defined, and 3.2 is the first release
    /// Intel calls DSP0226-compliant. Off by default for a profile file that
    /// does not say.
    #[serde(default)]
    pub identify: bool,
    /// Whether an Enumerate with `wsman:OptimizeEnumeration` gets its items
    /// in the EnumerateResponse (DSP0226 §8.2.3, which makes the optimization
    /// optional for a service). Off in every built-in profile: real firmware
    /// answers such an Enumerate with a context only and serves the items to
    /// the Pull. The evidence is amtc (github.com/schnoddelbotz/amtc,
    /// `src/wsman_info` and `src/wsman_info_step2`): an Enumerate with
    /// OptimizeEnumeration and MaxElements 250 for the one-instance
    /// CIM_AssociatedPowerManagementService, and the Pull that followed it,
    /// both "wiresharked" from an openwsman client talking to a real AMT 9
    /// device in 2013. That client pulls only when the EnumerateResponse
    /// leaves the enumeration open, amtc itself always pulls and needs a 200,
    /// and its `wsman-test.sh` reads PowerState from the Pull's answer. Intel's
    /// own stacks (MeshCommander, go-wsman-messages) never ask for the
    /// optimization. On for a profile file that models a service that
    /// implements it.
    #[serde(default)]
    pub optimized_enumeration: bool,
    /// Whether IPS_HostBasedSetupService exists (AMT 6.1 and later).
    #[serde(default)]
    pub host_based_setup: bool,
    /// Class names (e.g. `CIM_SoftwareIdentity`) this firmware lacks.
    #[serde(default)]
    pub missing_classes: Vec<String>,
    /// ProvisioningState: 0 pre, 1 in, 2 post.
    pub provisioning_state: u8,
    /// ProvisioningMode as the firmware numbers it (meaning changed in 7.0).
    #[serde(default)]
    pub provisioning_mode: Option<u8>,
    /// IPS_HostBasedSetupService CurrentControlMode (0 none, 1 client, 2 admin).
    #[serde(default)]
    pub control_mode: Option<u8>,
    /// AllowedControlModes, in firmware order.
    #[serde(default)]
    pub allowed_control_modes: Vec<u8>,
    /// ZeroTouchConfigurationEnabled.
    #[serde(default)]
    pub zero_touch: bool,
    /// PasswordModel of the setup service.
    #[serde(default)]
    pub password_model: u8,
    /// Whether the setup service carries ProvisioningPID (seen on 8.1).
    #[serde(default)]
    pub provisioning_pid: bool,
    /// DhcpDNSSuffix, when this firmware returns it.
    #[serde(default)]
    pub dhcp_dns_suffix: Option<String>,
    /// TrustedDNSSuffix (the PKI DNS suffix), when this firmware returns it.
    #[serde(default)]
    pub trusted_dns_suffix: Option<String>,
    /// AMT_GeneralSettings.HostName.
    pub hostname: String,
    /// AMT_GeneralSettings.DomainName.
    pub domain: String,
    /// Digest realm, `Digest:` + 32 hex; also AMT_GeneralSettings.DigestRealm.
    pub realm: String,
    /// The `qop` list exactly as the challenge spells it (`auth`, `auth-int, auth`).
    #[serde(default = "default_qop")]
    pub digest_qop: String,
    /// Which 401 page this firmware sends.
    pub logon_failed_page: LogonFailedPage,
    /// AMT_GeneralSettings has AMTNetworkEnabled (not on 8.1).
    #[serde(default)]
    pub amt_network_enabled: bool,
    /// AMT_GeneralSettings has ThunderboltDockEnabled (recent releases).
    #[serde(default)]
    pub thunderbolt_dock: bool,
    /// The power association carries AvailableRequestedPowerStates (12.x) or
    /// RequestedPowerState (8.1 and older).
    #[serde(default)]
    pub available_power_states: bool,
    /// CIM PowerState (2 = on).
    #[serde(default = "default_power_state")]
    pub power_state: u8,
    /// Namespace prefix of EOI response children (`b` on 6-8, `s0` on 5.x).
    #[serde(default = "default_eoi_prefix")]
    pub eoi_prefix: String,
    /// The provisioning certificate hashes.
    #[serde(default)]
    pub cert_hashes: Option<CertHashes>,
    /// The CIM_SoftwareIdentity instances, in firmware order.
    #[serde(default)]
    pub software: Vec<SoftwareEntry>,
    /// INTEL-SA-00075 / CVE-2017-5689: the firmware accepts a Digest
    /// Authorization whose `response` is empty (AMT 6.x to 11.6 before the fix).
    #[serde(default)]
    pub accepts_empty_digest_response: bool,
    /// A profile-specific default password (else [`crate::DEFAULT_PASSWORD`]).
    #[serde(default)]
    pub default_password: Option<Password>,
    /// What this generation's TLS speaks, and whether it is on out of the box.
    #[serde(default)]
    pub tls: Option<TlsProfile>,
    /// AMT_GeneralSettings.NetworkInterfaceEnabled.
    #[serde(default = "default_true")]
    pub network_interface_enabled: bool,
    /// Per-class settings: the `[classes.X]` sections.
    #[serde(default)]
    pub classes: ClassSettings,
}

/// The `[classes.X]` sections of a profile: settings of one WS-Man class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassSettings {
    /// `[classes.AMT_EthernetPortSettings]`.
    #[serde(default, rename = "AMT_EthernetPortSettings")]
    pub ethernet_port_settings: EthernetPortSettingsProfile,
    /// `[classes.AMT_8021XProfile]`.
    #[serde(default, rename = "AMT_8021XProfile")]
    pub ieee8021x_profile: Ieee8021xProfile,
    /// `[classes.AMT_SystemPowerScheme]`.
    #[serde(default, rename = "AMT_SystemPowerScheme")]
    pub system_power_scheme: SystemPowerSchemeProfile,
    /// `[classes.AMT_TimeSynchronizationService]`.
    #[serde(default, rename = "AMT_TimeSynchronizationService")]
    pub time_synchronization: TimeSynchronizationProfile,
}

/// `[classes.AMT_EthernetPortSettings]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EthernetPortSettingsProfile {
    /// Whether the machine has a wireless interface (a second instance);
    /// such a machine is a laptop, with the mobile power packages.
    #[serde(default = "default_true")]
    pub wireless: bool,
    /// Whether the machine has a wired interface (instance 0). From 9.5
    /// some platforms have none.
    #[serde(default = "default_true")]
    pub wired: bool,
    /// Whether the wireless interface has a link (the wired one's is up
    /// while the wired interface exists and this is off).
    #[serde(default)]
    pub wireless_link_up: bool,
    /// The wired interface takes its address from DHCP (else it is static).
    #[serde(default = "default_true")]
    pub dhcp: bool,
    /// A static wired address shared with the host OS (SharedStaticIp).
    #[serde(default)]
    pub shared_static_ip: bool,
}

impl Default for EthernetPortSettingsProfile {
    fn default() -> Self {
        EthernetPortSettingsProfile {
            wireless: true,
            wired: true,
            wireless_link_up: false,
            dhcp: true,
            shared_static_ip: false,
        }
    }
}

/// `[classes.AMT_8021XProfile]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ieee8021xProfile {
    /// An enabled 802.1X profile on the wired interface (else none at all).
    #[serde(default)]
    pub enabled: bool,
}

/// `[classes.AMT_SystemPowerScheme]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemPowerSchemeProfile {
    /// Which package is active.
    #[serde(default)]
    pub active: PowerPackage,
}

/// The active power package, by the host states the ME is on in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PowerPackage {
    /// ON in S0 only.
    S0,
    /// ON in S0, S3 and S4-5 (on AC power, on a laptop).
    #[default]
    S0ToS5,
}

/// `[classes.AMT_TimeSynchronizationService]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSynchronizationProfile {
    /// How far AMT's clock is ahead of the machine's (negative: behind).
    #[serde(default)]
    pub offset_seconds: i64,
}

/// The `[tls]` section of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsProfile {
    /// What the firmware's TLS stack speaks.
    pub speaks: TlsSpeaks,
    /// TLS is on when the device starts (a device config can still turn it on).
    #[serde(default)]
    pub enabled: bool,
    /// With TLS on, 16992 still answers plain HTTP (AMT_TLSSettingData
    /// AcceptNonSecureConnections). Real AMT 16+ closes it.
    #[serde(default = "yes")]
    pub accept_non_secure: bool,
}

fn yes() -> bool {
    true
}

/// The TLS a firmware generation speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsSpeaks {
    /// TLS 1.2 and later.
    Modern,
    /// TLS 1.0 with RSA key exchange only (AMT 3.x to 8.x).
    Legacy,
}

/// A set-up a device can be put in on top of its firmware profile, named
/// after `+` in a profile name: `amt-5.2.10+small-business+ztc-off`. Each is
/// a case Configuration Manager's provisioning readiness depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// ProvisioningMode 2: Small Business (its meaning before AMT 7.0).
    SmallBusiness,
    /// ZeroTouchConfigurationEnabled false: remote configuration off.
    ZtcOff,
    /// Every trusted root hash present but disabled.
    HashesDisabled,
    /// No trusted root hash at all.
    HashesAbsent,
    /// Provisioned (`post`) by another solution that set its own admin
    /// password, so the default credentials are refused.
    ProvisionedElsewhere,
    /// The AMT network interface disabled.
    NicOff,
    /// Not provisioned yet (state `pre`).
    Pre,
    /// DHCP gave no domain name (option 15) and no PKI DNS suffix is set.
    NoDnsSuffix,
    /// A laptop whose AMT has a wireless interface only, link up, and no
    /// wired one (from 9.5 some platforms have none).
    WirelessOnly,
    /// The active power package keeps the ME on in S0 only.
    S0Only,
    /// The wired interface has a static address shared with the host OS.
    StaticSharedIp,
    /// AMT's clock is this many seconds ahead (negative: behind):
    /// `clock-skew=SECONDS`.
    ClockSkew(i64),
    /// An 802.1X profile is enabled on the wired interface.
    Dot1x,
    /// A desktop: a wired interface only, no WLAN (and so the desktop
    /// power packages).
    Desktop,
}

/// The admin password [`Setup::ProvisionedElsewhere`] sets (another tool's).
/// Largest profile file read (a real profile is a few KiB).
pub const MAX_PROFILE_BYTES: u64 = 1024 * 1024;

pub const ELSEWHERE_PASSWORD: &str = "0ther-Tool#2008";

impl Setup {
    /// Every set-up without a value and its name after `+`; the valued
    /// ones are in [`Setup::VALUED`].
    pub const ALL: [(Setup, &'static str); 13] = [
        (Setup::SmallBusiness, "small-business"),
        (Setup::ZtcOff, "ztc-off"),
        (Setup::HashesDisabled, "hashes-disabled"),
        (Setup::HashesAbsent, "hashes-absent"),
        (Setup::ProvisionedElsewhere, "provisioned-elsewhere"),
        (Setup::NicOff, "nic-off"),
        (Setup::Pre, "pre"),
        (Setup::NoDnsSuffix, "no-dns-suffix"),
        (Setup::WirelessOnly, "wireless-only"),
        (Setup::S0Only, "s0-only"),
        (Setup::StaticSharedIp, "static-shared-ip"),
        (Setup::Dot1x, "dot1x"),
        (Setup::Desktop, "desktop"),
    ];

    /// The set-ups that take a value, `name=VALUE`, as their usage.
    pub const VALUED: [&'static str; 1] = ["clock-skew=SECONDS"];

    /// The set-up called `name` (`clock-skew=-3600` for one with a value).
    pub fn parse(name: &str) -> Option<Setup> {
        if let Some((key, value)) = name.split_once('=') {
            return match key {
                "clock-skew" => value.trim().parse().ok().map(Setup::ClockSkew),
                _ => None,
            };
        }
        Setup::ALL.iter().find(|(_, n)| *n == name).map(|(s, _)| *s)
    }

    /// Applies the set-up to a profile.
    pub fn apply(self, p: &mut Profile) {
        match self {
            Setup::SmallBusiness => p.provisioning_mode = Some(2),
            Setup::ZtcOff => p.zero_touch = false,
            Setup::HashesDisabled => {
                if let Some(h) = &mut p.cert_hashes {
                    h.disabled = h.count;
                }
            }
            Setup::HashesAbsent => {
                if let Some(h) = &mut p.cert_hashes {
                    h.count = 0;
                    h.disabled = 0;
                }
            }
            Setup::ProvisionedElsewhere => {
                p.provisioning_state = 2;
                p.default_password = Some(Password(ELSEWHERE_PASSWORD.to_owned()));
            }
            Setup::NicOff => p.network_interface_enabled = false,
            Setup::Pre => p.provisioning_state = 0,
            Setup::NoDnsSuffix => {
                p.dhcp_dns_suffix = Some(String::new());
                p.trusted_dns_suffix = None;
            }
            Setup::WirelessOnly => {
                let ports = &mut p.classes.ethernet_port_settings;
                ports.wired = false;
                ports.wireless = true;
                ports.wireless_link_up = true;
            }
            Setup::S0Only => p.classes.system_power_scheme.active = PowerPackage::S0,
            Setup::StaticSharedIp => {
                let ports = &mut p.classes.ethernet_port_settings;
                ports.dhcp = false;
                ports.shared_static_ip = true;
            }
            Setup::ClockSkew(seconds) => p.classes.time_synchronization.offset_seconds = seconds,
            Setup::Dot1x => p.classes.ieee8021x_profile.enabled = true,
            Setup::Desktop => p.classes.ethernet_port_settings.wireless = false,
        }
    }
}

/// A password from a profile file; its Debug form never shows it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

fn default_true() -> bool {
    true
}
fn default_no_wsman_status() -> u16 {
    404
}
fn default_qop() -> String {
    "auth".to_owned()
}
fn default_power_state() -> u8 {
    2
}
fn default_eoi_prefix() -> String {
    "b".to_owned()
}

/// The `[http]` and `[digest]` keys, each with the flat key it stands for.
/// Profile files written before the sections existed use the flat keys,
/// which stay accepted.
const SECTIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "http",
        &[
            ("server_header", "server_header"),
            ("no_wsman_status", "no_wsman_status"),
            ("logon_failed_page", "logon_failed_page"),
        ],
    ),
    (
        "digest",
        &[
            ("realm", "realm"),
            ("qop", "digest_qop"),
            ("accepts_empty_response", "accepts_empty_digest_response"),
        ],
    ),
];

/// Moves the `[http]` and `[digest]` keys to their flat names; a key given
/// both ways, or unknown in its section, is an error that names it.
fn lift_sections(table: &mut toml::Table) -> Result<(), ProfileError> {
    let name = table_name(table);
    let invalid = |reason: String| ProfileError::Invalid {
        name: name.clone(),
        reason,
    };
    for (section, keys) in SECTIONS {
        let Some(value) = table.remove(*section) else {
            continue;
        };
        let toml::Value::Table(inner) = value else {
            return Err(invalid(format!(
                "`{section}` must be a table (`[{section}]`)"
            )));
        };
        for (key, value) in inner {
            let Some((_, flat)) = keys.iter().find(|(k, _)| *k == key) else {
                let known: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
                return Err(invalid(format!(
                    "unknown key `{key}` in [{section}] (known: {})",
                    known.join(", ")
                )));
            };
            if table.contains_key(*flat) {
                return Err(invalid(format!(
                    "`{flat}` is set both at the top and as `{key}` in [{section}]"
                )));
            }
            table.insert((*flat).to_owned(), value);
        }
    }
    Ok(())
}

fn table_name(table: &toml::Table) -> String {
    table
        .get("name")
        .and_then(toml::Value::as_str)
        .unwrap_or("(unnamed)")
        .to_owned()
}

impl Profile {
    /// A built-in profile by name (`amt-5.2.10`), optionally with set-ups
    /// after `+` (`amt-5.2.10+ztc-off+nic-off`, see [`Setup`]), or `None`.
    pub fn builtin(name: &str) -> Option<Profile> {
        let mut parts = name.split('+');
        let base = parts.next()?;
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == base)?;
        // Built-in profiles are checked by a unit test, so a parse failure here
        // can only mean a broken build; report it as "not found" rather than panic.
        let mut profile = Profile::from_toml_str(text).ok()?;
        for setup in parts {
            Setup::parse(setup)?.apply(&mut profile);
        }
        profile.name = name.to_owned();
        Some(profile)
    }

    /// The names of all built-in profiles, oldest firmware first.
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(n, _)| *n).collect()
    }

    /// Parses and checks a profile from TOML text, in the sectioned form
    /// (`[http]`, `[digest]`, `[tls]`, `[classes.X]`) or the older flat one.
    pub fn from_toml_str(s: &str) -> Result<Profile, ProfileError> {
        let mut table: toml::Table = toml::from_str(s)?;
        lift_sections(&mut table)?;
        let profile: Profile = table.try_into()?;
        profile.validate()?;
        Ok(profile)
    }

    /// Reads a profile from a TOML file (at most [`MAX_PROFILE_BYTES`]).
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = bounded_read::read_to_string(path, MAX_PROFILE_BYTES).map_err(|e| match e {
            bounded_read::ReadError::Io { source, .. } => ProfileError::Read {
                path: path.display().to_string(),
                source,
            },
            bounded_read::ReadError::TooLarge { cap, .. } => ProfileError::Read {
                path: path.display().to_string(),
                source: std::io::Error::other(format!("larger than {cap} bytes")),
            },
            bounded_read::ReadError::NotUtf8 { .. } => ProfileError::Read {
                path: path.display().to_string(),
                source: std::io::Error::other("not UTF-8 text"),
            },
        })?;
        Profile::from_toml_str(&text)
    }

    fn validate(&self) -> Result<(), ProfileError> {
        let invalid = |reason: &str| ProfileError::Invalid {
            name: self.name.clone(),
            reason: reason.to_owned(),
        };
        if self.provisioning_state > 2 {
            return Err(invalid("provisioning_state must be 0, 1 or 2"));
        }
        let realm_hex = self.realm.strip_prefix("Digest:").unwrap_or("");
        if realm_hex.len() != 32 || !realm_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid("realm must be `Digest:` followed by 32 hex digits"));
        }
        if !self.digest_qop.split(',').any(|q| q.trim() == "auth") {
            return Err(invalid("digest_qop must offer `auth`"));
        }
        if self.server_header.is_empty() || self.server_header.contains(['\r', '\n']) {
            return Err(invalid("server_header must be one non-empty line"));
        }
        if !self.wsman && !self.eoi {
            return Err(invalid("a firmware needs WS-Man or EOI"));
        }
        if self.eoi_prefix.is_empty() || !self.eoi_prefix.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(invalid("eoi_prefix must be a simple XML prefix"));
        }
        Ok(())
    }

    /// The firmware's major version (0 when the version does not parse).
    pub fn major(&self) -> u32 {
        self.version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }

    /// The TLS this generation speaks: the `[tls]` section, else legacy up
    /// to AMT 8 and modern from 9.
    pub fn tls_speaks(&self) -> TlsSpeaks {
        if let Some(t) = self.tls {
            return t.speaks;
        }
        if self.major() <= 8 {
            TlsSpeaks::Legacy
        } else {
            TlsSpeaks::Modern
        }
    }

    /// Whether `POST /wsman` is served.
    pub fn has_wsman(&self) -> bool {
        self.wsman
    }

    /// Whether the EOI SOAP services are served.
    pub fn has_eoi(&self) -> bool {
        self.eoi
    }

    /// ProvisioningState: 0 pre, 1 in, 2 post.
    pub fn provisioning_state(&self) -> u8 {
        self.provisioning_state
    }

    /// CurrentControlMode of IPS_HostBasedSetupService, where the firmware has it.
    pub fn control_mode(&self) -> Option<u8> {
        if self.host_based_setup {
            self.control_mode
        } else {
            None
        }
    }

    /// The device's host name.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// Whether a WS-Man class is served by this firmware.
    pub fn has_class(&self, class: &str) -> bool {
        if self.missing_classes.iter().any(|c| c == class) {
            return false;
        }
        class != "IPS_HostBasedSetupService" || self.host_based_setup
    }

    /// The CIM_SoftwareIdentity VersionString for one InstanceID.
    pub fn software_version(&self, id: &str) -> Option<&str> {
        self.software
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.version.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_parses_and_is_named_after_its_file() {
        for (name, text) in BUILTIN {
            let p = Profile::from_toml_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&p.name, name);
            assert!(
                name.ends_with(&p.version) || p.version.starts_with(&name[4..]),
                "{name} vs {}",
                p.version
            );
            if p.wsman && p.has_class("CIM_SoftwareIdentity") {
                assert_eq!(
                    p.software_version("AMT"),
                    Some(p.version.as_str()),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn setups_apply_on_top_of_a_profile() {
        let p =
            Profile::builtin("amt-5.2.10+small-business+ztc-off+hashes-disabled+nic-off").unwrap();
        assert_eq!(p.provisioning_mode, Some(2));
        assert!(!p.zero_touch && !p.network_interface_enabled);
        let h = p.cert_hashes.as_ref().unwrap();
        assert_eq!(h.disabled, h.count);
        let p = Profile::builtin("amt-5.2.10+provisioned-elsewhere").unwrap();
        assert_eq!(p.provisioning_state, 2);
        assert!(p.default_password.is_some());
        assert_eq!(
            Profile::builtin("amt-5.2.10+hashes-absent")
                .unwrap()
                .cert_hashes
                .unwrap()
                .count,
            0
        );
        assert!(Profile::builtin("amt-5.2.10+bogus").is_none());
        let p = Profile::builtin("amt-7.1+clock-skew=-3600+s0-only+dot1x").unwrap();
        assert_eq!(p.classes.time_synchronization.offset_seconds, -3600);
        assert_eq!(p.classes.system_power_scheme.active, PowerPackage::S0);
        assert!(p.classes.ieee8021x_profile.enabled);
        assert!(Profile::builtin("amt-7.1+clock-skew=soon").is_none());
        assert!(Profile::builtin("amt-7.1+bogus=1").is_none());
        let p = Profile::builtin("amt-7.1+wireless-only+static-shared-ip").unwrap();
        let ports = &p.classes.ethernet_port_settings;
        assert!(!ports.wired && ports.wireless_link_up && ports.shared_static_ip && !ports.dhcp);
        assert!(
            Profile::builtin("amt-5.2.10")
                .unwrap()
                .network_interface_enabled
        );
    }

    #[test]
    fn bad_realm_is_rejected_with_a_reason() {
        let text = BUILTIN[0]
            .1
            .replace("realm = \"Digest:", "realm = \"Digest:X");
        let err = Profile::from_toml_str(&text).unwrap_err();
        assert!(err.to_string().contains("realm"), "{err}");
    }

    #[test]
    fn sections_and_flat_keys_give_the_same_profile() {
        let sectioned = Profile::builtin("amt-15.0").unwrap();
        let text = BUILTIN.iter().find(|(n, _)| *n == "amt-15.0").unwrap().1;
        assert!(text.contains("[http]") && text.contains("[digest]"));
        // The same profile in the flat form of older profile files.
        let flat = text
            .replace("[http]\n", "")
            .replace("[digest]\n", "")
            .replace("\nqop = ", "\ndigest_qop = ");
        let flat = format!("{}\n", flat.trim_end());
        let from_flat = Profile::from_toml_str(&reorder_tables_last(&flat)).unwrap();
        assert_eq!(from_flat, sectioned);
        let both = format!("realm = \"{}\"\n{text}", sectioned.realm);
        let err = Profile::from_toml_str(&both).unwrap_err().to_string();
        assert!(err.contains("both"), "{err}");
        let unknown = text.replace("[digest]\n", "[digest]\nnonce_bytes = 24\n");
        let err = Profile::from_toml_str(&unknown).unwrap_err().to_string();
        assert!(err.contains("nonce_bytes"), "{err}");
    }

    /// Keys after a `[table]` header belong to it: a flat file lists its
    /// tables last.
    fn reorder_tables_last(text: &str) -> String {
        let (mut plain, mut tables) = (String::new(), String::new());
        let mut in_table = false;
        for line in text.lines() {
            if line.starts_with('[') && !line.starts_with("[[") {
                in_table = true;
            }
            let out = if in_table { &mut tables } else { &mut plain };
            out.push_str(line);
            out.push('\n');
        }
        plain + &tables
    }

    #[test]
    fn unknown_field_names_its_line() {
        let text = format!("{}\nbogus = 1\n", BUILTIN[0].1);
        let err = Profile::from_toml_str(&text).unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }
}
