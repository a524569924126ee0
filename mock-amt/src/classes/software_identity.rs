//! CIM_SoftwareIdentity: the firmware's version entries (`AMT`, `Flash`, `Build Number`, `Sku`, ...), in firmware order.

use super::Instance;
use super::{text, Class, Context};

/// The class name.
pub const CLASS: &str = "CIM_SoftwareIdentity";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity";

/// CIM_SoftwareIdentity.
pub struct SoftwareIdentity;

impl Class for SoftwareIdentity {
    class_names!();

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        let profile = ctx.profile;
        profile
            .software
            .iter()
            .map(|e| {
                vec![
                    ("InstanceID".to_owned(), text(e.id.clone())),
                    ("IsEntity".to_owned(), text("true")),
                    ("VersionString".to_owned(), text(e.version.clone())),
                ]
            })
            .collect()
    }
}
