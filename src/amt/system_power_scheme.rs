//! AMT_SystemPowerScheme: AMT's power packages. Each package names the host
//! power states in which the management engine stays on ("Power Packages",
//! Intel AMT SDK, Detailed Description: the ME is off in every S-state the
//! package's description does not list; "WoL" or "Wake" means the ME sleeps
//! and wakes on traffic to AMT's address; "AC" means on mains power only).
//! The SDK's use case "Get the Currently Active Power Package" finds the
//! active one through CIM_ElementSettingData (`element_setting_data.rs`,
//! read first) and then Gets that one instance by its InstanceID: three
//! requests where enumerating every package as well would take four.
//! The SDK describes Release 3.0's packages, so the class is asked from 3.0
//! on; AMT 2.x kept its power packages behind EOI's SecurityAdministration
//! service, whose method names no source we could read confirms, so there
//! the package stays unknown (the class is recorded unavailable). Property
//! names as go-wsman-messages' `amt/systempowerscheme` package has them.

use crate::facts::PowerPackageFacts;
use crate::wsman::{Element, Error, Selector};

use super::class::{set_facts, Apply, Class, Fetch, Seen};
use super::firmware::{self, Generation};
use super::{expect_class, property_text};

/// The class's resource URI.
pub const RESOURCE_URI: &str = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_SystemPowerScheme";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "AMT_SystemPowerScheme";

/// One instance as facts (not yet known to be active or not).
pub fn from_element(item: &Element) -> Result<PowerPackageFacts, Error> {
    expect_class(item, RESOURCE_URI, CLASS)?;
    Ok(PowerPackageFacts {
        instance_id: property_text(item, "InstanceID"),
        guid: property_text(item, "SchemeGUID"),
        description: property_text(item, "Description"),
        active: None,
    })
}

/// The active package's InstanceID, as CIM_ElementSettingData named it.
fn active_instance(seen: &Seen<'_>) -> Option<String> {
    seen.facts()
        .power_packages
        .as_ref()?
        .iter()
        .find(|p| p.active == Some(true))?
        .instance_id
        .clone()
}

/// AMT_SystemPowerScheme, as the inventory reads it: a Get of the active
/// package, asked only when CIM_ElementSettingData named one.
pub struct AmtSystemPowerScheme;

impl Class for AmtSystemPowerScheme {
    type Value = PowerPackageFacts;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Get;
    const FIRMWARE: &'static Generation = &firmware::POWER_PACKAGES;

    fn wanted(&self, seen: &Seen<'_>) -> bool {
        active_instance(seen).is_some()
    }

    fn selectors(&self, seen: &Seen<'_>) -> Vec<Selector> {
        active_instance(seen)
            .map(|id| {
                vec![Selector {
                    name: "InstanceID".to_owned(),
                    value: id,
                }]
            })
            .unwrap_or_default()
    }

    fn parse(&self, answer: &[Element]) -> Result<PowerPackageFacts, Error> {
        from_element(super::class::single(answer, CLASS)?)
    }

    fn apply(&self, mut package: PowerPackageFacts, out: &mut Apply<'_>) {
        package.active = Some(true);
        let mut packages = out.facts().power_packages.clone().unwrap_or_default();
        // The instance asked for replaces the name CIM_ElementSettingData gave.
        packages.retain(|p| p.instance_id != package.instance_id);
        packages.push(package);
        set_facts!(out, power_packages = Some(packages));
    }
}

/// The host power states a package's description says the ME is on (or
/// wakes) in, beside S0: `(sleep, off)` for S3 and S4–S5. `None` when the
/// description does not follow the SDK's wording.
pub fn me_states(description: &str) -> Option<(bool, bool)> {
    let text = description.to_ascii_uppercase();
    if !text.contains("S0") {
        return None;
    }
    let sleep = text.contains("S3");
    let off = text.contains("S4") || text.contains("S5");
    Some((sleep, off))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_name_the_states() {
        assert_eq!(me_states("Desktop: ON in S0"), Some((false, false)));
        assert_eq!(me_states("Desktop: ON in S0, S3, S4-5"), Some((true, true)));
        assert_eq!(
            me_states("Mobile: ON in S0, ME WoL in S3/AC"),
            Some((true, false))
        );
        assert_eq!(me_states("Balanced"), None);
    }

    #[test]
    fn an_instance_reads_as_a_package() {
        let item = crate::wsman::xml::parse(
            format!(r#"<h:AMT_SystemPowerScheme xmlns:h="{RESOURCE_URI}"><h:Description>Desktop: ON in S0</h:Description><h:InstanceID>Intel(r) AMT:Power Scheme 0</h:InstanceID><h:SchemeGUID>AAAA</h:SchemeGUID></h:AMT_SystemPowerScheme>"#).as_bytes(),
        )
        .unwrap();
        let read = AmtSystemPowerScheme.parse(&[item]).unwrap();
        assert_eq!(read.description.as_deref(), Some("Desktop: ON in S0"));
        assert_eq!(read.guid.as_deref(), Some("AAAA"));
    }
}
