//! Many devices in one process: address ranges on loopback, round-robin
//! profiles, and mixed fleets with their manifest ([`manifest`]).

pub mod manifest;

use std::net::{Ipv4Addr, SocketAddr};

use crate::config::DeviceConfig;
use crate::profile::Profile;
use crate::server::{start_device, DeviceHandle};

/// Many devices in one process.
#[derive(Debug)]
pub struct Fleet {
    /// The running devices, in the order their configs were given.
    pub devices: Vec<DeviceHandle>,
}

impl Fleet {
    /// Stops every device.
    pub async fn shutdown(self) {
        for d in self.devices {
            d.shutdown().await;
        }
    }
}

/// Starts every device; if one fails to bind, the ones already started are
/// stopped and the error is returned.
pub async fn start_fleet(configs: Vec<DeviceConfig>) -> std::io::Result<Fleet> {
    let mut devices = Vec::with_capacity(configs.len());
    for cfg in configs {
        match start_device(cfg).await {
            Ok(d) => devices.push(d),
            Err(e) => {
                Fleet { devices }.shutdown().await;
                return Err(e);
            }
        }
    }
    Ok(Fleet { devices })
}

/// One device per address, profiles assigned round-robin, each with the
/// default credentials and `port` (0: a free port per device). Returns no
/// configs when `profiles` is empty.
pub fn round_robin(addrs: &[Ipv4Addr], port: u16, profiles: &[Profile]) -> Vec<DeviceConfig> {
    addrs
        .iter()
        .zip(profiles.iter().cycle())
        .map(|(addr, profile)| {
            DeviceConfig::new(profile.clone(), SocketAddr::new((*addr).into(), port))
        })
        .collect()
}

/// Why a fleet address range was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    /// The first address is not in 127.0.0.0/8.
    #[error("{0} is not a loopback address (pass --allow-non-loopback to use it)")]
    NotLoopback(Ipv4Addr),
    /// The range runs past the end of 127.0.0.0/8 (or of the address space).
    #[error("{count} addresses from {first} leave the allowed range")]
    OutOfRange { first: Ipv4Addr, count: usize },
}

/// `count` consecutive addresses from `first`, all inside 127.0.0.0/8 (on Linux
/// every one of them is routable on `lo` without configuration).
pub fn fleet_addresses(first: Ipv4Addr, count: usize) -> Result<Vec<Ipv4Addr>, FleetError> {
    if !first.is_loopback() {
        return Err(FleetError::NotLoopback(first));
    }
    let addrs = fleet_addresses_unchecked(first, count)?;
    if addrs
        .last()
        .is_some_and(|a| !a.is_loopback() || a.octets() == [127, 255, 255, 255])
    {
        return Err(FleetError::OutOfRange { first, count });
    }
    Ok(addrs)
}

/// Like [`fleet_addresses`] but anywhere in IPv4: only for `--allow-non-loopback`.
pub fn fleet_addresses_unchecked(
    first: Ipv4Addr,
    count: usize,
) -> Result<Vec<Ipv4Addr>, FleetError> {
    let start = u32::from(first);
    let span = u32::try_from(count).map_err(|_| FleetError::OutOfRange { first, count })?;
    if count > 0 && start.checked_add(span - 1).is_none() {
        return Err(FleetError::OutOfRange { first, count });
    }
    Ok((0..span).map(|i| Ipv4Addr::from(start + i)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_addresses_stay_on_loopback() {
        let a = fleet_addresses(Ipv4Addr::new(127, 1, 0, 254), 4).unwrap();
        assert_eq!(a.last(), Some(&Ipv4Addr::new(127, 1, 1, 1)));
        assert!(fleet_addresses(Ipv4Addr::new(192, 168, 0, 1), 1).is_err());
        assert!(fleet_addresses(Ipv4Addr::new(127, 255, 255, 254), 2).is_err());
        assert!(fleet_addresses_unchecked(Ipv4Addr::new(255, 255, 255, 255), 2).is_err());
        assert_eq!(
            fleet_addresses(Ipv4Addr::new(127, 0, 0, 1), 0).unwrap(),
            Vec::<Ipv4Addr>::new()
        );
    }
}
