//! The WS-Man classes the mock serves: one file per class, each behind the
//! small [`Class`] trait, mirroring the client's `src/amt/` (one file per
//! class read, with its `CLASS` and `RESOURCE_URI`).
//!
//! # Adding a class
//!
//! 1. Write `classes/<snake_name>.rs` with `pub const CLASS`, `pub const
//!    RESOURCE_URI` and a unit struct that implements [`Class`]
//!    (`class_names!()` supplies `name` and `resource_uri`): `instances`
//!    builds every instance from the [`Context`] (profile plus what the
//!    device runs now), properties named as firmware names them (the writer
//!    sorts them in ASCII order, as firmware does). Take the shape from a
//!    capture in `../shared/captures/wsman/` or a documented source, and say
//!    which in the module doc.
//! 2. Add its struct to [`ALL`]. Get, Enumerate, Pull, selectors, optimized
//!    enumeration and `missing-class=NAME` then work with no other change.
//! 3. If a firmware release lacks it, list it in that profile's
//!    `missing_classes` (see `Profile::has_class`), or gate it in
//!    [`Class::served`] when the absence is a rule by version.
//! 4. If it has methods, answer them in [`Class::invoke`], changing the
//!    device's [`State`] where firmware would, so later reads show it.
//! 5. Test it: a wire test in `tests/it/wire.rs` on the answer's shape, its
//!    entry in the class list of `tests/it/schemas.rs` (the XSD check), and a
//!    peer test in `tests/it/peers.rs` when a real client reads it.
//!
//! # Before setup
//!
//! A device whose ProvisioningState is pre or in still takes a remote Digest
//! login: Configuration Manager discovers and provisions such computers by
//! logging on as `admin` with the MEBx password ("About the MEBx Account",
//! "Determine Whether to Configure an AMT Provisioning and Discovery
//! Account", Configuration Manager 2007 SP1 documentation), and reads and
//! sets the configuration classes over WS-Man before committing. Our reading
//! of what else it serves: nothing that operates the machine. Classes whose
//! [`Class::before_setup`] is false (power, KVM) answer DestinationUnreachable,
//! the fault AMT gives for what it does not serve, and EOI RemoteControl
//! answers `Status` 3, PT_STATUS_INVALID_PT_MODE, which Intel's status list
//! defines as "Command is not permitted in current operating mode". The
//! listeners stay open: the RMCP pong of 6.1+ reports port 0 ("present, not
//! set up") for a device on DHCP, which suggests such firmware may not listen
//! at all until setup starts, but no source says so, and closing them would
//! hide the readiness facts a scan reads from a device awaiting setup.

/// `Class::name` and `Class::resource_uri` from a class file's `CLASS` and
/// `RESOURCE_URI`, the constants the client's class files have too.
macro_rules! class_names {
    () => {
        fn name(&self) -> &'static str {
            CLASS
        }

        fn resource_uri(&self) -> &'static str {
            RESOURCE_URI
        }
    };
}

pub mod associated_power_management_service;
pub mod element_setting_data;
pub mod ethernet_port_settings;
pub mod general_settings;
pub mod host_based_setup;
pub mod ieee8021x_profile;
pub mod kvm_redirection_setting_data;
pub mod power_management_service;
pub mod provisioning_certificate_hash;
pub mod service_available_to_element;
pub mod setup_and_configuration;
pub mod software_identity;
pub mod system_power_scheme;
pub mod time_synchronization_service;
pub mod tls_setting_data;

use crate::nic::Nic;
use crate::profile::Profile;
use crate::tls::TlsSetup;

// What a class renders lives here, beside the classes, so that they need
// nothing of the WS-Man service that writes it into an envelope.
/// One property value of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prop {
    /// A scalar, escaped when written.
    Text(String),
    /// A multi-valued property: the element repeats.
    Many(Vec<String>),
    /// An endpoint reference (resource URI and selectors), written with the
    /// addressing (`b:`) and wsman (`c:`) prefixes.
    Epr {
        resource_uri: String,
        selectors: Vec<(String, String)>,
    },
}

/// One instance: property name and value. Written in ASCII order of name.
pub type Instance = Vec<(String, Prop)>;

/// What changes while the device runs and later reads must show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// CIM PowerState now (2 on, 8 off).
    pub power_state: u8,
    /// The last state a client asked for (CIM RequestedPowerState).
    pub requested_power_state: u8,
}

impl State {
    /// The state a device starts in: the profile's power state.
    pub fn new(profile: &Profile) -> State {
        State {
            power_state: profile.power_state,
            requested_power_state: 2,
        }
    }
}

/// What a class may look at to build its instances: the firmware profile,
/// and what the device runs right now.
pub struct Context<'a> {
    /// The firmware behaviour.
    pub profile: &'a Profile,
    /// The TLS listener the device runs, if any.
    pub tls: Option<TlsSetup>,
    /// Whether plain HTTP is served beside TLS.
    pub plain: bool,
    /// The wired network interface.
    pub nic: Nic,
    /// The state that methods change.
    pub state: State,
}

/// The answer to a method call (`Invoke`): its output parameters, in the
/// order written inside `<Method>_OUTPUT`.
pub type Output = Vec<(String, Prop)>;

/// One WS-Man class as firmware serves it.
pub trait Class: Sync {
    /// The class name (`AMT_GeneralSettings`).
    fn name(&self) -> &'static str;

    /// The resource URI clients address it by.
    fn resource_uri(&self) -> &'static str;

    /// Every instance, in firmware order.
    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance>;

    /// Whether this firmware release has the class at all, beyond the
    /// profile's `missing_classes` (a rule by version, such as KVM from 6.0).
    fn served(&self, _profile: &Profile) -> bool {
        true
    }

    /// Whether the class answers before the device is provisioned
    /// (ProvisioningState pre or in). Setup reads and writes
    /// configuration (version, setup service, names, hashes, TLS, network),
    /// so those classes answer; what operates the machine (power, KVM) waits
    /// for the end of setup. See "Before setup" above.
    fn before_setup(&self) -> bool {
        true
    }

    /// The class the instances are written as, and its URI (the `h:` or `g:`
    /// namespace): an association such as CIM_ServiceAvailableToElement
    /// answers with instances of a subclass.
    fn item_class(&self) -> (&'static str, &'static str) {
        (self.name(), self.resource_uri())
    }

    /// Whether a GetResponse declares the CIM common namespace (`h:`);
    /// AMT 15 leaves it out on AMT_GeneralSettings.
    fn get_declares_common(&self) -> bool {
        true
    }

    /// Runs the method `method` (the action is `<resource URI>/<method>`)
    /// with the `<method>_INPUT` parameters, changing `state` where firmware
    /// would. `None`: the class has no such method.
    fn invoke(
        &self,
        _method: &str,
        _input: &[(String, String)],
        _ctx: &Context<'_>,
        _state: &mut State,
    ) -> Option<Output> {
        None
    }
}

/// Every class served, in no particular order (lookup is by resource URI).
pub const ALL: &[&dyn Class] = &[
    &tls_setting_data::TlsSettingData,
    &software_identity::SoftwareIdentity,
    &setup_and_configuration::SetupAndConfiguration,
    &host_based_setup::HostBasedSetup,
    &general_settings::GeneralSettings,
    &provisioning_certificate_hash::ProvisioningCertificateHash,
    &associated_power_management_service::AssociatedPowerManagementService,
    &service_available_to_element::ServiceAvailableToElement,
    &power_management_service::PowerManagementService,
    &ethernet_port_settings::EthernetPortSettings,
    &kvm_redirection_setting_data::KvmRedirectionSettingData,
    &ieee8021x_profile::Ieee8021xProfile,
    &system_power_scheme::SystemPowerScheme,
    &element_setting_data::ElementSettingData,
    &time_synchronization_service::TimeSynchronizationService,
];

/// The class a resource URI names, if we serve it.
pub fn for_uri(uri: &str) -> Option<&'static dyn Class> {
    ALL.iter().copied().find(|c| c.resource_uri() == uri)
}

fn text(s: impl Into<String>) -> Prop {
    Prop::Text(s.into())
}

fn bool_text(b: bool) -> Prop {
    text(if b { "true" } else { "false" })
}

/// Deterministic pseudo-random bytes from a seed, so generated hash lists and
/// nonces are stable across runs.
fn seeded_bytes(seed: &str, len: usize) -> Vec<u8> {
    use md5::{Digest, Md5};
    let mut out = Vec::with_capacity(len + 16);
    let mut block = 0u32;
    while out.len() < len {
        let mut h = Md5::new();
        h.update(seed.as_bytes());
        h.update(block.to_le_bytes());
        out.extend_from_slice(&h.finalize());
        block += 1;
    }
    out.truncate(len);
    out
}

fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}
