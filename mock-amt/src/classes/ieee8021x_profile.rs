//! AMT_8021XProfile: the wired interface's 802.1X profile (Intel AMT SDK,
//! WS-Management Class Reference: compatible with Releases 3.0 to 11.0).
//! A device without one answers the enumeration with no item; with
//! `[classes.AMT_8021XProfile] enabled = true` (the set-up `+dot1x`) it has
//! one enabled PEAP profile. Property names are the SDK class page's; the
//! values (InstanceID, names) are ours, as no capture of the class exists.

use super::Instance;
use super::{bool_text, text, Class, Context};

/// The class name.
pub const CLASS: &str = "AMT_8021XProfile";
/// The class's resource URI.
pub const RESOURCE_URI: &str = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_8021XProfile";

/// PEAP, among the SDK's AuthenticationProtocol values.
const PEAP: &str = "2";

/// AMT_8021XProfile.
pub struct Ieee8021xProfile;

impl Class for Ieee8021xProfile {
    class_names!();

    fn served(&self, profile: &crate::profile::Profile) -> bool {
        profile.major() >= 3
    }

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        if !ctx.profile.classes.ieee8021x_profile.enabled {
            return Vec::new();
        }
        vec![vec![
            ("ActiveInS0".to_owned(), bool_text(true)),
            ("AuthenticationProtocol".to_owned(), text(PEAP)),
            ("Domain".to_owned(), text(ctx.profile.domain.clone())),
            (
                "ElementName".to_owned(),
                text("Intel(r) AMT 802.1x Profile"),
            ),
            ("Enabled".to_owned(), bool_text(true)),
            (
                "InstanceID".to_owned(),
                text("Intel(r) AMT 802.1x Profile 0"),
            ),
            ("RoamingIdentity".to_owned(), text("anonymous")),
            ("Username".to_owned(), text(ctx.profile.hostname.clone())),
        ]]
    }
}
