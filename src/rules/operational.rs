//! What the operational checks (out of band with the PC off) share: whether
//! the scan tried their classes at all, and where each fact came from.
//!
//! A record that never asked for these classes (a facts file, a scan by an
//! older amtready) leaves the rules not checked; a record whose scan asked
//! and was refused says so in `amt.unavailable`, and there the rules report
//! the fact missing with the class that did not answer, never a pass.

use crate::amt::{
    element_setting_data, ethernet_port_settings, ieee8021x_profile, system_power_scheme,
    time_synchronization,
};
use crate::facts::{AmtFacts, EthernetPortFacts};

/// The classes the operational facts come from.
pub(crate) const CLASSES: [&str; 6] = [
    ethernet_port_settings::CLASS,
    ethernet_port_settings::WIRED_GET,
    ieee8021x_profile::CLASS,
    system_power_scheme::CLASS,
    element_setting_data::CLASS,
    time_synchronization::CLASS,
];

/// Whether the scan asked for any operational class: one of the facts is
/// there, or one of the classes is recorded unavailable.
pub(crate) fn was_read(amt: &AmtFacts) -> bool {
    amt.ethernet_ports.is_some()
        || amt.wired_8021x.is_some()
        || amt.power_packages.is_some()
        || amt.clock.is_some()
        || amt
            .unavailable
            .iter()
            .any(|c| CLASSES.contains(&c.as_str()))
}

/// `missing` text for a fact: with the class that did not answer, when the
/// record says so.
pub(crate) fn missing(amt: &AmtFacts, fact: crate::rules::fact::FactId, class: &str) -> String {
    if amt.unavailable.iter().any(|c| c == class) {
        fact.missing_because(format!("{class} unavailable"))
    } else {
        fact.missing()
    }
}

/// The wired interface among AMT's ports.
pub(crate) fn wired(ports: &[EthernetPortFacts]) -> Option<&EthernetPortFacts> {
    ports
        .iter()
        .find(|p| p.interface.as_deref() == Some(ethernet_port_settings::values::WIRED))
}
