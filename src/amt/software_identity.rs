//! CIM_SoftwareIdentity: the firmware version, build number and SKU.
//!
//! AMT exposes one instance per firmware component, keyed by InstanceID:
//! `AMT` (the firmware version, e.g. `12.0.67`), `Build Number`, `Sku`,
//! `Flash`, `Netstack`, `Recovery Version`, … each with a VersionString.

use std::collections::BTreeMap;

use crate::wsman::{CallLimits, Element, Error, Session};

use super::class::{self, set_facts, Apply, Class, Fetch};
use super::firmware::{self, Generation};
use super::property;
use crate::version::ReportedVersion;

/// The class's resource URI (also the namespace of its instances).
pub const RESOURCE_URI: &str =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "CIM_SoftwareIdentity";

/// Every component's VersionString, keyed by InstanceID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareIdentity {
    /// InstanceID → VersionString.
    pub versions: BTreeMap<String, String>,
}

impl SoftwareIdentity {
    /// The firmware version (InstanceID `AMT`).
    pub fn version(&self) -> Option<&str> {
        self.non_empty("AMT")
    }

    /// The firmware build (InstanceID `Build Number`).
    pub fn build(&self) -> Option<&str> {
        self.non_empty("Build Number")
    }

    /// The SKU, decimal as sent (InstanceID `Sku`).
    pub fn sku(&self) -> Option<&str> {
        self.non_empty("Sku")
    }

    fn non_empty(&self, id: &str) -> Option<&str> {
        self.versions
            .get(id)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Collects the instances of an enumeration (items of other classes are skipped).
    pub fn from_items(items: &[Element]) -> Self {
        let versions = items
            .iter()
            .filter(|item| item.is(RESOURCE_URI, CLASS))
            .filter_map(|item| {
                let id = property(item, "InstanceID")?;
                let version = property(item, "VersionString").unwrap_or_default();
                Some((id.to_owned(), version.to_owned()))
            })
            .collect();
        Self { versions }
    }
}

/// CIM_SoftwareIdentity, as the inventory reads it: first, so the version
/// is known when the classes whose meaning depends on it are read.
pub struct CimSoftwareIdentity;

impl Class for CimSoftwareIdentity {
    type Value = SoftwareIdentity;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Enumerate;
    const FIRMWARE: &'static Generation = &firmware::WSMAN;

    fn parse(&self, answer: &[Element]) -> Result<SoftwareIdentity, Error> {
        Ok(SoftwareIdentity::from_items(answer))
    }

    fn apply(&self, si: SoftwareIdentity, out: &mut Apply<'_>) {
        set_facts!(
            out,
            version = si.version().map(ReportedVersion::from),
            build = si.build().map(str::to_owned),
            sku = si.sku().map(str::to_owned),
        );
    }
}

/// Enumerates every instance.
pub async fn read(session: &Session, limits: &CallLimits) -> Result<SoftwareIdentity, Error> {
    class::read(&CimSoftwareIdentity, session, limits).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsman::response::{parse_response, pull_page};

    #[test]
    fn items_with_renamed_prefixes_and_foreign_classes() {
        let doc = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><PullResponse xmlns="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><Items><x:CIM_SoftwareIdentity xmlns:x="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity"><x:InstanceID>AMT</x:InstanceID><x:VersionString>5.2.10</x:VersionString></x:CIM_SoftwareIdentity><CIM_SoftwareIdentity xmlns="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity"><InstanceID>Build Number</InstanceID><VersionString>1023</VersionString></CIM_SoftwareIdentity><y:CIM_SoftwareIdentity xmlns:y="urn:elsewhere"><y:InstanceID>Sku</y:InstanceID><y:VersionString>1</y:VersionString></y:CIM_SoftwareIdentity></Items><EndOfSequence/></PullResponse></s:Body></s:Envelope>"#;
        let page = pull_page(parse_response(doc.as_bytes(), None).unwrap()).unwrap();
        let si = SoftwareIdentity::from_items(&page.items);
        assert_eq!(si.version(), Some("5.2.10"));
        assert_eq!(si.build(), Some("1023"));
        assert_eq!(
            si.sku(),
            None,
            "an item in another namespace is not this class"
        );
    }
}
