//! What the provisioning-path checks (DNS as AMT and the service point use
//! it) share: a lookup that got no answer is a missing fact with the
//! resolver's reason, never a pass, and a forward lookup is judged by whether
//! it leads to the address the device answered at.

use std::net::IpAddr;

use super::{clip, Outcome};
use crate::facts::{DnsAnswer, DnsFacts, DnsLookup};
use crate::rules::fact::FactId;

/// The `missing` outcome of a lookup that got no answer, with its reason.
pub(crate) fn unanswered(fact: FactId, lookup: &DnsLookup) -> Outcome {
    Outcome::missing(vec![fact.missing_because(format!(
        "{}: {}",
        clip(&lookup.name),
        clip(lookup.error.as_deref().unwrap_or("lookup failed"))
    ))])
}

/// Where a forward lookup of one of the device's names leads.
pub(crate) enum Forward {
    /// Among its addresses is the one the device answered at.
    ToDevice,
    /// Only to other addresses (listed, comma-separated).
    Elsewhere { addresses: String, scanned: IpAddr },
    /// The name has no record.
    Nowhere { scanned: IpAddr },
}

/// Judges the forward lookup `pick` selects from the record's DNS facts
/// against the scanned address; `Err` is the outcome when the lookup or the
/// address is not there to judge, or the lookup got no answer.
pub(crate) fn forward<'a>(
    dns: Option<&'a DnsFacts>,
    fact: FactId,
    pick: impl Fn(&'a DnsFacts) -> Option<&'a DnsLookup>,
) -> Result<(&'a DnsLookup, Forward), Outcome> {
    let Some(lookup) = dns.and_then(pick) else {
        return Err(Outcome::missing(vec![fact.missing()]));
    };
    let Some(scanned) = dns.and_then(|d| d.scanned_address) else {
        return Err(Outcome::missing(vec![fact.missing_because(
            "the address the device was scanned at is not in the record",
        )]));
    };
    let leads = match lookup.answer {
        DnsAnswer::Failed => return Err(unanswered(fact, lookup)),
        DnsAnswer::Found if lookup.addresses.contains(&scanned) => Forward::ToDevice,
        DnsAnswer::Found => Forward::Elsewhere {
            addresses: lookup
                .addresses
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            scanned,
        },
        DnsAnswer::NoRecord => Forward::Nowhere { scanned },
    };
    Ok((lookup, leads))
}
