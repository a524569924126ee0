//! IPS_KVMRedirectionSettingData: the KVM (VNC) redirection settings, from
//! AMT 6.0, when KVM came to vPro. The properties are those amtctrl writes
//! back with a Put (`amt/wsman.py`, `enable_remote_kvm`) and the AMT SDK
//! class reference lists, as firmware ships them: port 5900 closed, user
//! consent required, no session timeout. `RFBPassword` is write-only and
//! never read back.

use super::Instance;
use super::{bool_text, text, Class, Context};
use crate::profile::Profile;

/// The class name.
pub const CLASS: &str = "IPS_KVMRedirectionSettingData";
/// The class's resource URI.
pub const RESOURCE_URI: &str =
    "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_KVMRedirectionSettingData";

const ID: &str = "Intel(r) KVM Redirection Settings";

/// IPS_KVMRedirectionSettingData.
pub struct KvmRedirectionSettingData;

impl Class for KvmRedirectionSettingData {
    class_names!();

    fn before_setup(&self) -> bool {
        false
    }

    fn served(&self, profile: &Profile) -> bool {
        profile.major() >= 6
    }

    fn instances(&self, _ctx: &Context<'_>) -> Vec<Instance> {
        vec![vec![
            ("DefaultScreen".to_owned(), text("0")),
            ("ElementName".to_owned(), text(ID)),
            ("EnabledByMEBx".to_owned(), bool_text(true)),
            ("InstanceID".to_owned(), text(ID)),
            ("Is5900PortEnabled".to_owned(), bool_text(false)),
            ("OptInPolicy".to_owned(), bool_text(true)),
            ("SessionTimeout".to_owned(), text("0")),
        ]]
    }
}
