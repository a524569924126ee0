//! AMT_SystemPowerScheme: AMT's power packages. Each package names the host
//! power states in which the management engine stays on ("Power Packages",
//! Intel AMT SDK, Detailed Description: the ME is off in every S-state the
//! package's description does not list; "WoL" or "Wake" means the ME sleeps
//! and wakes on traffic to AMT's address; "AC" means on mains power only).
//! The SDK's use cases "Get the Currently Active Power Package" and "Change
//! to a Different Power Package" read them by enumeration; which one is
//! active is CIM_ElementSettingData's to say (`element_setting_data.rs`).
//! The SDK describes Release 3.0's packages, so the class is asked from 3.0
//! on; AMT 2.x kept its power packages behind EOI's SecurityAdministration
//! service, whose method names no source we could read confirms, so there
//! the package stays unknown (the class is recorded unavailable). Property
//! names as go-wsman-messages' `amt/systempowerscheme` package has them.

use crate::facts::PowerPackageFacts;
use crate::wsman::{Element, Error};

use super::class::{set_facts, Apply, Class, Fetch};
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

/// AMT_SystemPowerScheme, as the inventory reads it.
pub struct AmtSystemPowerScheme;

impl Class for AmtSystemPowerScheme {
    type Value = Vec<PowerPackageFacts>;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Enumerate;
    const FIRMWARE: &'static Generation = &firmware::POWER_PACKAGES;

    fn parse(&self, answer: &[Element]) -> Result<Vec<PowerPackageFacts>, Error> {
        answer.iter().map(from_element).collect()
    }

    fn apply(&self, mut packages: Vec<PowerPackageFacts>, out: &mut Apply<'_>) {
        // A firmware with one package has no choice to make: it is the
        // active one, and the association need not be read.
        if let [only] = packages.as_mut_slice() {
            only.active = Some(true);
        }
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
    fn a_lone_package_is_the_active_one() {
        let item = crate::wsman::xml::parse(
            format!(r#"<h:AMT_SystemPowerScheme xmlns:h="{RESOURCE_URI}"><h:Description>Desktop: ON in S0</h:Description><h:InstanceID>Intel(r) AMT Power Scheme 0</h:InstanceID></h:AMT_SystemPowerScheme>"#).as_bytes(),
        )
        .unwrap();
        let read = AmtSystemPowerScheme.parse(&[item]).unwrap();
        assert_eq!(read[0].description.as_deref(), Some("Desktop: ON in S0"));
        assert_eq!(read[0].active, None);
    }
}
