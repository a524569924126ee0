//! AMT_ProvisioningCertificateHash: the trusted root hashes for remote configuration.

use super::Instance;
use super::{b64, bool_text, seeded_bytes, text, Class, Context};

/// The class name.
pub const CLASS: &str = "AMT_ProvisioningCertificateHash";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_ProvisioningCertificateHash";

/// AMT_ProvisioningCertificateHash.
pub struct ProvisioningCertificateHash;

impl Class for ProvisioningCertificateHash {
    class_names!();

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        let profile = ctx.profile;
        let Some(spec) = &profile.cert_hashes else {
            return Vec::new();
        };
        let len = match spec.hash_type {
            0 => 16,
            1 => 20,
            3 => 48,
            _ => 32,
        };
        (1..=spec.count)
            .map(|n| {
                let data = seeded_bytes(&format!("{}-hash-{n}", profile.name), len);
                let enabled = n + spec.disabled <= spec.count;
                vec![
                    (
                        "ElementName".to_owned(),
                        text("Intel(r) AMT: Provisioning Certificate Hash"),
                    ),
                    ("Enabled".to_owned(), bool_text(enabled)),
                    ("HashData".to_owned(), text(b64(&data))),
                    ("HashType".to_owned(), text(spec.hash_type.to_string())),
                    (
                        "InstanceID".to_owned(),
                        text(format!("Certificate Hash {n}")),
                    ),
                    ("IsDefault".to_owned(), text("true")),
                ]
            })
            .collect()
    }
}
