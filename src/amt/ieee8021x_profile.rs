//! AMT_8021XProfile: the 802.1X profile of AMT's wired interface. The Intel
//! AMT SDK's WS-Management Class Reference lists the class as compatible
//! with Releases 3.0 to 11.0 (the newest the page covers), so AMT 3.x–5.x,
//! the releases Configuration Manager 2007 SP1 manages natively, have it;
//! before 3.0 there is no WS-Man to ask. A firmware with no profile answers
//! the enumeration with no item, which reads as "no 802.1X".

use crate::wsman::{Element, Error};

use super::class::{set_facts, Apply, Class, Fetch};
use super::firmware::{self, Generation};
use super::{expect_class, property_bool};

/// The class's resource URI.
pub const RESOURCE_URI: &str = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_8021XProfile";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "AMT_8021XProfile";

/// Whether any profile among the instances is enabled. An instance without
/// `Enabled` leaves the answer unknown unless another one is enabled.
pub fn any_enabled(items: &[Element]) -> Result<Option<bool>, Error> {
    let mut unknown = false;
    for item in items {
        expect_class(item, RESOURCE_URI, CLASS)?;
        match property_bool(item, "Enabled") {
            Some(true) => return Ok(Some(true)),
            Some(false) => {}
            None => unknown = true,
        }
    }
    Ok((!unknown).then_some(false))
}

/// AMT_8021XProfile, as the inventory reads it.
pub struct Amt8021xProfile;

impl Class for Amt8021xProfile {
    type Value = Option<bool>;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Enumerate;
    const FIRMWARE: &'static Generation = &firmware::IEEE8021X_PROFILE;

    fn parse(&self, answer: &[Element]) -> Result<Option<bool>, Error> {
        any_enabled(answer)
    }

    fn apply(&self, enabled: Option<bool>, out: &mut Apply<'_>) {
        set_facts!(out, wired_8021x = enabled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(enabled: Option<bool>) -> Element {
        let enabled = enabled
            .map(|e| format!("<h:Enabled>{e}</h:Enabled>"))
            .unwrap_or_default();
        crate::wsman::xml::parse(
            format!(r#"<h:AMT_8021XProfile xmlns:h="{RESOURCE_URI}">{enabled}<h:InstanceID>Intel(r) AMT 802.1x Profile 0</h:InstanceID></h:AMT_8021XProfile>"#).as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn none_is_no_8021x_and_one_enabled_is_8021x() {
        assert_eq!(any_enabled(&[]).unwrap(), Some(false));
        assert_eq!(any_enabled(&[profile(Some(false))]).unwrap(), Some(false));
        assert_eq!(
            any_enabled(&[profile(Some(false)), profile(Some(true))]).unwrap(),
            Some(true)
        );
        assert_eq!(any_enabled(&[profile(None)]).unwrap(), None);
    }
}
