//! CIM_ElementSettingData, read for one thing: which AMT_SystemPowerScheme
//! is the active power package. The Intel AMT SDK's use case "Get the
//! Currently Active Power Package" walks this association from AMT's
//! CIM_ComputerSystem: the instance whose SettingData points at an
//! AMT_SystemPowerScheme and whose IsCurrent is 1 names the active package
//! (0 and 2 do not). Read before AMT_SystemPowerScheme, which then Gets that
//! one package.

use crate::facts::PowerPackageFacts;
use crate::wsman::envelope::NS_WSMAN;
use crate::wsman::{Element, Error};

use super::class::{set_facts, Apply, Class, Fetch};
use super::firmware::{self, Generation};
use super::{property_u32, system_power_scheme};

/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ElementSettingData";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "CIM_ElementSettingData";

/// IsCurrent's "is current" value.
const IS_CURRENT: u32 = 1;

/// The InstanceID of the power package marked current, if the answer marks
/// one. Associations to other settings are passed over, and so are items
/// typed as another class: an association's enumeration may answer with a
/// subclass's instances (the 8.1.71 capture of CIM_ServiceAvailableToElement
/// does), which are read by their properties, in their own namespace.
pub fn current_power_scheme(items: &[Element]) -> Result<Option<String>, Error> {
    for item in items {
        if property_u32(item, "IsCurrent") != Some(IS_CURRENT) {
            continue;
        }
        let Some(reference) = item
            .child(&item.ns, "SettingData")
            .and_then(|s| s.children.iter().find(|c| c.name == "ReferenceParameters"))
        else {
            continue;
        };
        if reference.child_text(NS_WSMAN, "ResourceURI") != Some(system_power_scheme::RESOURCE_URI)
        {
            continue;
        }
        let instance = reference
            .child(NS_WSMAN, "SelectorSet")
            .into_iter()
            .flat_map(|set| set.children_named(NS_WSMAN, "Selector"))
            .find(|s| s.attr("", "Name") == Some("InstanceID"))
            .map(|s| s.text.trim().to_owned());
        if instance.is_some() {
            return Ok(instance);
        }
    }
    Ok(None)
}

/// CIM_ElementSettingData, as the inventory reads it.
pub struct CimElementSettingData;

impl Class for CimElementSettingData {
    type Value = Option<String>;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Enumerate;
    const FIRMWARE: &'static Generation = &firmware::POWER_PACKAGES;

    fn parse(&self, answer: &[Element]) -> Result<Option<String>, Error> {
        current_power_scheme(answer)
    }

    fn apply(&self, current: Option<String>, out: &mut Apply<'_>) {
        // None marked current: no package is known to be active, and the
        // rule says so.
        let packages: Vec<PowerPackageFacts> = current
            .map(|id| PowerPackageFacts {
                instance_id: Some(id),
                active: Some(true),
                ..PowerPackageFacts::default()
            })
            .into_iter()
            .collect();
        set_facts!(out, power_packages = Some(packages));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn association(is_current: u32, uri: &str, id: &str) -> Element {
        crate::wsman::xml::parse(
            format!(
                r#"<h:CIM_ElementSettingData xmlns:h="{RESOURCE_URI}" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="{NS_WSMAN}"><h:IsCurrent>{is_current}</h:IsCurrent><h:SettingData><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address><a:ReferenceParameters><w:ResourceURI>{uri}</w:ResourceURI><w:SelectorSet><w:Selector Name="InstanceID">{id}</w:Selector></w:SelectorSet></a:ReferenceParameters></h:SettingData></h:CIM_ElementSettingData>"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn the_current_power_scheme_is_named() {
        let other = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings";
        let items = [
            association(1, other, "Intel(r) AMT: General Settings"),
            association(2, system_power_scheme::RESOURCE_URI, "Scheme 0"),
            association(1, system_power_scheme::RESOURCE_URI, "Scheme 1"),
        ];
        assert_eq!(
            current_power_scheme(&items).unwrap().as_deref(),
            Some("Scheme 1")
        );
        assert_eq!(current_power_scheme(&items[..2]).unwrap(), None);
        // A subclass's instance (its own namespace) reads the same way.
        let subclass = crate::wsman::xml::parse(
            format!(
                r#"<h:AMT_ElementSettingData xmlns:h="urn:sub" xmlns:w="{NS_WSMAN}"><h:IsCurrent>1</h:IsCurrent><h:SettingData><h:ReferenceParameters><w:ResourceURI>{}</w:ResourceURI><w:SelectorSet><w:Selector Name="InstanceID">Scheme 2</w:Selector></w:SelectorSet></h:ReferenceParameters></h:SettingData></h:AMT_ElementSettingData>"#,
                system_power_scheme::RESOURCE_URI
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            current_power_scheme(&[subclass]).unwrap().as_deref(),
            Some("Scheme 2")
        );
    }
}
