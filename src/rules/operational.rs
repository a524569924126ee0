//! What the operational checks (out of band with the PC off) share.
//!
//! A record that never asked for these classes (a facts file, a scan by an
//! older amtready) leaves the rules not checked (`FactId::AmtOperationalRead`
//! in `fact.rs` decides); a record whose scan asked and was refused says so
//! in `amt.unavailable`, and there the rules report the fact missing with the
//! class that did not answer, never a pass.

use crate::amt::ethernet_port_settings;
use crate::facts::{AmtFacts, EthernetPortFacts};
use crate::rules::fact::FactId;

/// Whether the record says `class` did not answer.
pub(crate) fn unavailable(amt: Option<&AmtFacts>, class: &str) -> bool {
    amt.is_some_and(|a| a.unavailable.iter().any(|c| c == class))
}

/// `missing` text for a fact: with the class that did not answer, when the
/// record says so.
pub(crate) fn missing(amt: Option<&AmtFacts>, fact: FactId, class: &str) -> String {
    if unavailable(amt, class) {
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
