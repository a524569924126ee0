//! Mixed fleets and their truth.
//!
//! A real estate mixes firmware, passwords that were never changed from an
//! old image, devices that misbehave, and PCs whose AMT is off. A
//! [`FleetMix`] builds such a fleet deterministically, and its manifest
//! ([`ManifestEntry`], written as JSON Lines by `mock-amt fleet --manifest`)
//! says what each address really is, so a scan can be checked against it.

use std::net::IpAddr;

use serde::Serialize;

use crate::config::DeviceConfig;
use crate::fault::Fault;

/// Every how-many-th device (1-based position: device `i` when `i % n == 0`)
/// differs from a plain healthy device. Precedence: closed, then a fault,
/// then a wrong password, so each device has one reason at most.
#[derive(Debug, Clone, Default)]
pub struct FleetMix {
    /// Nothing listens there (AMT off): no TCP, no RMCP.
    pub closed_every: Option<usize>,
    /// `(n, fault)`: inject `fault`; the first that matches wins.
    pub fault_every: Vec<(usize, Fault)>,
    /// The device's password is not the fleet's.
    pub wrong_password_every: Option<usize>,
    /// Each device's HostName gets its position (`ws-amt71-0042`), so every
    /// FQDN in the fleet is its own, as in an estate's DNS.
    pub numbered_hostnames: bool,
}

/// One line of the manifest: what the address really is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestEntry {
    pub address: IpAddr,
    pub port: u16,
    pub profile: String,
    /// The firmware version the profile reports.
    pub version: String,
    /// `pre`, `in` or `post`.
    pub provisioning_state: &'static str,
    /// Whether the fleet's credentials open this device.
    pub credentials_match: bool,
    /// `closed` (nothing listens), a fault in mock-amt's `--fault` spelling,
    /// or null when healthy.
    pub fault: Option<String>,
    /// AMT_GeneralSettings.HostName: the device's FQDN is `hostname.domain`.
    pub hostname: String,
    /// AMT_GeneralSettings.DomainName.
    pub domain: String,
    /// The DNS suffix AMT completes names with (the PKI DNS suffix, else
    /// DHCP option 15's); null when it has none.
    pub dns_suffix: Option<String>,
}

/// The state name a scan reports for a wire value.
pub fn state_name(state: u8) -> &'static str {
    match state {
        0 => "pre",
        1 => "in",
        _ => "post",
    }
}

fn every(n: Option<usize>, position: usize) -> bool {
    n.is_some_and(|n| n > 0 && position.is_multiple_of(n))
}

/// Applies `mix` to the configs of a fleet (each with its profile, address
/// and the fleet's password): the configs of the devices that listen, and the
/// manifest of every address, in the order given.
pub fn mixed_fleet(
    configs: Vec<DeviceConfig>,
    mix: &FleetMix,
) -> (Vec<DeviceConfig>, Vec<ManifestEntry>) {
    let mut listening = Vec::new();
    let mut manifest = Vec::new();
    for (i, mut cfg) in configs.into_iter().enumerate() {
        let position = i + 1;
        if mix.numbered_hostnames {
            cfg.profile.hostname = format!("{}-{position:04}", cfg.profile.hostname);
        }
        let profile = &cfg.profile;
        let set = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let mut entry = ManifestEntry {
            address: cfg.listen.ip(),
            port: cfg.listen.port(),
            profile: profile.name.clone(),
            version: profile.version.clone(),
            provisioning_state: state_name(profile.provisioning_state),
            credentials_match: true,
            fault: None,
            hostname: profile.hostname.clone(),
            domain: profile.domain.clone(),
            dns_suffix: set(&profile.trusted_dns_suffix).or_else(|| set(&profile.dhcp_dns_suffix)),
        };
        if every(mix.closed_every, position) {
            entry.fault = Some("closed".into());
            manifest.push(entry);
            continue;
        }
        if let Some((_, fault)) = mix
            .fault_every
            .iter()
            .find(|(n, _)| every(Some(*n), position))
        {
            entry.fault = Some(fault.to_string());
            cfg.faults.push(fault.clone());
        } else if every(mix.wrong_password_every, position) {
            cfg.password = format!("{}-not-the-fleet-{position}", cfg.password);
            entry.credentials_match = false;
        }
        listening.push(cfg);
        manifest.push(entry);
    }
    (listening, manifest)
}

/// The manifest as JSON Lines.
pub fn manifest_jsonl(manifest: &[ManifestEntry]) -> String {
    let mut out = String::new();
    for entry in manifest {
        // Serialising plain strings, numbers and bools cannot fail.
        if let Ok(line) = serde_json::to_string(entry) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use std::net::Ipv4Addr;

    #[test]
    fn a_mix_gives_each_device_one_reason_and_the_manifest_says_which() {
        let addrs: Vec<Ipv4Addr> = (1..=12).map(|n| Ipv4Addr::new(127, 9, 0, n)).collect();
        let profiles = vec![
            Profile::builtin("amt-7.1").unwrap(),
            Profile::builtin("amt-11.8").unwrap(),
        ];
        let mix = FleetMix {
            closed_every: Some(6),
            fault_every: vec![(4, Fault::Http500)],
            wrong_password_every: Some(3),
            numbered_hostnames: true,
        };
        let configs = crate::round_robin(&addrs, 16992, &profiles);
        let (configs, manifest) = mixed_fleet(configs, &mix);
        assert_eq!(manifest.len(), 12);
        assert_eq!(configs.len(), 10, "6 and 12 are closed");
        let m = |n: usize| &manifest[n - 1];
        assert_eq!(m(6).fault.as_deref(), Some("closed"));
        assert_eq!(m(4).fault.as_deref(), Some("http500"));
        assert!(!m(3).credentials_match && m(3).fault.is_none());
        assert!(!m(9).credentials_match);
        assert_eq!(m(2).profile, "amt-11.8");
        assert_eq!(m(2).provisioning_state, "pre");
        assert_eq!(m(2).hostname, "nb-amt118-0002");
        assert_eq!(configs[1].profile.hostname, "nb-amt118-0002");
        let line = manifest_jsonl(&manifest[..1]);
        assert_eq!(
            line,
            "{\"address\":\"127.9.0.1\",\"port\":16992,\"profile\":\"amt-7.1\",\"version\":\"7.1.91\",\
             \"provisioning_state\":\"post\",\"credentials_match\":true,\"fault\":null,\
             \"hostname\":\"ws-amt71-0001\",\"domain\":\"corp.example.com\",\"dns_suffix\":null}\n"
        );
    }
}
