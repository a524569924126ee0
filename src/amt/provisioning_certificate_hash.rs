//! AMT_ProvisioningCertificateHash: the trusted roots for remote (PKI)
//! provisioning. A provisioning certificate's chain must end in a root whose
//! hash is listed here and enabled.

use base64::Engine as _;

use crate::facts::CertHash;
use crate::wsman::{CallLimits, Element, Error, Session};

use super::class::{self, set_facts, Apply, Class, Fetch};
use super::firmware::{self, Generation};
use super::{property, property_bool, property_u32};

/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_ProvisioningCertificateHash";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "AMT_ProvisioningCertificateHash";

/// The HashType wire value as a name. The MOF maps 3 to "SHA-384/512"; AMT
/// stores SHA-384 there (48-byte data), so it is named `sha384`.
pub fn hash_type_name(wire: u32) -> Option<&'static str> {
    match wire {
        0 => Some("md5"),
        1 => Some("sha1"),
        2 => Some("sha256"),
        3 => Some("sha384"),
        _ => None,
    }
}

/// One instance as a facts entry. Hash data that is not valid base64 is left
/// unknown rather than failing the whole list.
pub fn from_element(item: &Element) -> Option<CertHash> {
    if !item.is(RESOURCE_URI, CLASS) {
        return None;
    }
    let hash_hex = property(item, "HashData")
        .filter(|d| !d.is_empty())
        .and_then(|d| {
            // Base64 may be wrapped across lines in pretty-printed bodies.
            let compact: String = d.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .ok()
        })
        .map(|bytes| crate::text::lower_hex(&bytes));
    Some(CertHash {
        instance_id: property(item, "InstanceID").unwrap_or_default().to_owned(),
        name: property(item, "ElementName")
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        hash_type: property_u32(item, "HashType")
            .and_then(hash_type_name)
            .map(str::to_owned),
        hash_hex,
        enabled: property_bool(item, "Enabled"),
        is_default: property_bool(item, "IsDefault"),
    })
}

/// Every instance of an enumeration, in the device's order.
pub fn from_items(items: &[Element]) -> Vec<CertHash> {
    items.iter().filter_map(from_element).collect()
}

/// AMT_ProvisioningCertificateHash, as the inventory reads it.
pub struct AmtProvisioningCertificateHash;

impl Class for AmtProvisioningCertificateHash {
    type Value = Vec<CertHash>;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Enumerate;
    const FIRMWARE: &'static Generation = &firmware::WSMAN;

    fn parse(&self, answer: &[Element]) -> Result<Vec<CertHash>, Error> {
        Ok(from_items(answer))
    }

    fn apply(&self, hashes: Vec<CertHash>, out: &mut Apply<'_>) {
        set_facts!(out, cert_hashes = Some(hashes));
    }
}

/// Enumerates every instance.
pub async fn read(session: &Session, limits: &CallLimits) -> Result<Vec<CertHash>, Error> {
    class::read(&AmtProvisioningCertificateHash, session, limits).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsman::xml;

    #[test]
    fn hash_is_decoded_to_lower_hex() {
        let doc = format!(
            r#"<h:{CLASS} xmlns:h="{RESOURCE_URI}"><h:Enabled>true</h:Enabled><h:HashData>3q2+7w==</h:HashData><h:HashType>1</h:HashType><h:InstanceID>Certificate Hash 9</h:InstanceID><h:IsDefault>false</h:IsDefault></h:{CLASS}>"#
        );
        let item = xml::parse(doc.as_bytes()).unwrap();
        let hash = from_element(&item).unwrap();
        assert_eq!(hash.hash_hex.as_deref(), Some("deadbeef"));
        assert_eq!(hash.hash_type.as_deref(), Some("sha1"));
        assert_eq!(hash.enabled, Some(true));
        assert_eq!(hash.is_default, Some(false));
        assert_eq!(hash.name, None);
        assert_eq!(hash.instance_id, "Certificate Hash 9");
    }

    #[test]
    fn bad_base64_and_unknown_type_stay_unknown() {
        let doc = format!(
            r#"<h:{CLASS} xmlns:h="{RESOURCE_URI}"><h:HashData>!!!</h:HashData><h:HashType>9</h:HashType></h:{CLASS}>"#
        );
        let item = xml::parse(doc.as_bytes()).unwrap();
        let hash = from_element(&item).unwrap();
        assert_eq!(hash.hash_hex, None);
        assert_eq!(hash.hash_type, None);
    }
}
