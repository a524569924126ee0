//! A mock Intel AMT device for testing AMT tooling.
//!
//! It behaves like firmware on the wire, release by release (see the profiles
//! under `profiles/`): the unauthenticated `GET /` that nmap fingerprints,
//! Digest authentication with the firmware's challenge spelling, nonce expiry
//! and account lockout, WS-Management Get/Enumerate/Pull in the firmware's
//! envelope shape and chunking, and the EOI SOAP calls amttool makes. Many
//! devices share one tokio runtime, so one process can stand in for a fleet.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mock_amt::{start_device, DeviceConfig, Profile};
//! let profile = Profile::builtin("amt-5.2.10").expect("built-in profile");
//! let device = start_device(DeviceConfig::new(profile, "127.0.0.1:0".parse().unwrap())).await?;
//! println!("listening on {}", device.addr());
//! device.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod classes;
mod config;
mod device;
mod digest;
pub mod fault;
pub mod fleet;
pub mod hostile;
mod http;
mod nic;
pub mod pki;
pub mod profile;
pub mod rmcp;
mod router;
mod server;
mod services;
pub mod tls;
pub mod winhost;

pub use config::{DeviceConfig, DEFAULT_PASSWORD, DEFAULT_USER};
pub use digest::Lockout;
pub use fault::{Fault, FaultParseError, SIMPLE_FAULTS};
pub use fleet::manifest::{self, manifest_jsonl, mixed_fleet, FleetMix, ManifestEntry};
pub use fleet::{
    fleet_addresses, fleet_addresses_unchecked, round_robin, start_fleet, Fleet, FleetError,
};
pub use pki::{test_pki, TestPki};
pub use profile::{Password, Profile, ProfileError, TlsProfile, TlsSpeaks};
pub use server::{start_device, DeviceHandle, DeviceStats};
pub use tls::{TlsKind, TlsSetup};
