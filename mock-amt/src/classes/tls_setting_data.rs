//! AMT_TLSSettingData: the network interface's TLS settings as the device
//! runs them (not what the profile says by default), then the local (LMS)
//! interface's, which stays off.

use super::Instance;
use super::{bool_text, text, Class, Context};
use crate::tls::TlsKind;

/// The class name.
pub const CLASS: &str = "AMT_TLSSettingData";
/// The class's resource URI.
pub const RESOURCE_URI: &str = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_TLSSettingData";

/// AMT_TLSSettingData.
pub struct TlsSettingData;

impl Class for TlsSettingData {
    class_names!();

    fn instances(&self, ctx: &Context<'_>) -> Vec<Instance> {
        let enabled = ctx.tls.is_some();
        let mutual = ctx.tls.is_some_and(|t| t.kind == TlsKind::Mtls);
        let accept_non_secure = ctx.tls.is_none() || ctx.plain;
        let one = |id: &str, enabled: bool, mutual: bool, accept: bool| {
            vec![
                ("AcceptNonSecureConnections".to_owned(), bool_text(accept)),
                ("ElementName".to_owned(), text(id)),
                ("Enabled".to_owned(), bool_text(enabled)),
                ("InstanceID".to_owned(), text(id)),
                ("MutualAuthentication".to_owned(), bool_text(mutual)),
            ]
        };
        vec![
            one(
                "Intel(r) AMT 802.3 TLS Settings",
                enabled,
                mutual,
                accept_non_secure,
            ),
            one("Intel(r) AMT LMS TLS Settings", false, false, true),
        ]
    }
}
