//! What Windows' own values mean for the host rules. Shared by inventory
//! exports (which carry WMI values, under Configuration Manager's column
//! names or WMI's) and the live WinRM read, so both reach the same facts.

use crate::os::{parse_os, OsFamily};

/// `Win32_OperatingSystem.OperatingSystemSKU` values of Server Core
/// installations (the `PRODUCT_*_CORE` values of `GetProductInfo`; Windows
/// Vista / Server 2008 and later report the property).
const CORE_SKUS: &[u32] = &[
    0x0C, // Datacenter Server Core
    0x0D, // Standard Server Core
    0x0E, // Enterprise Server Core
    0x1D, // Web Server Core
    0x27, // Datacenter Server Core without Hyper-V
    0x28, // Standard Server Core without Hyper-V
    0x29, // Enterprise Server Core without Hyper-V
    0x2B, // Storage Server Express Core
    0x2C, // Storage Server Standard Core
    0x2D, // Storage Server Workgroup Core
    0x2E, // Storage Server Enterprise Core
    0x35, // Standard Server Solutions Core
    0x3F, // Small Business Server Premium Core
];

/// Whether an `OperatingSystemSKU` is a Server Core installation.
pub(crate) fn sku_is_server_core(sku: u32) -> bool {
    CORE_SKUS.contains(&sku)
}

/// `Win32_ComputerSystem.SystemType` (`X86-based PC`, `x64-based PC`,
/// `Itanium (TM) -based System`) or `OSArchitecture` (`32-bit`, `64-bit`)
/// in the words the OS parser takes.
pub(crate) fn architecture(value: &str) -> Option<String> {
    let lower = value.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return None;
    }
    let arch = if lower.contains("x64") || lower.contains("amd64") || lower.starts_with("64") {
        "x64"
    } else if lower.contains("itanium") || lower.contains("ia64") || lower.contains("ia-64") {
        "ia64"
    } else if lower.contains("x86") || lower.starts_with("32") {
        "x86"
    } else {
        // Leave it to the OS parser, which says when it cannot read it.
        return Some(value.trim().to_string());
    };
    Some(arch.to_string())
}

/// The architecture a pre-Vista caption names: XP and Server 2003 have no
/// `OSArchitecture`, and their 64-bit builds say so in the product name
/// ("Microsoft Windows XP Professional x64 Edition", "Microsoft(R)
/// Windows(R) Server 2003, Enterprise Edition for Itanium-based Systems").
/// An unmarked caption says nothing: the x86 build and a caption that
/// dropped the mark look alike, so `SystemType` has to settle it.
pub(crate) fn caption_architecture(caption: &str) -> Option<&'static str> {
    let lower = caption.to_ascii_lowercase();
    if lower.contains("x64 edition") {
        Some("x64")
    } else if lower.contains("itanium") || lower.contains("64-bit edition") {
        // "Windows XP 64-Bit Edition" was the Itanium release.
        Some("ia64")
    } else {
        None
    }
}

/// A service's `State` as a running flag: `Some(true)` when its process is
/// up (running, or on its way or paused), `Some(false)` when stopped,
/// `None` for anything else.
pub(crate) fn service_running(state: &str) -> Option<bool> {
    match state.trim().to_ascii_lowercase().as_str() {
        "running" | "start pending" | "continue pending" | "pause pending" | "paused" => Some(true),
        "stopped" | "stop pending" => Some(false),
        _ => None,
    }
}

/// What the service rows tell about one host. Each row is kept as what the
/// rules read of it, whether the service's process runs (`Some(None)`: a
/// row that does not say), so an inventory of millions of hosts keeps two
/// bytes a service, not its strings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Services {
    /// `RemoteAccess` (Routing and Remote Access).
    pub remote_access: Option<Option<bool>>,
    /// `SharedAccess`: Internet Connection Sharing, and on Windows XP and
    /// Server 2003 the Windows Firewall too.
    pub shared_access: Option<Option<bool>>,
}

impl Services {
    /// Records one `Win32_Service` row; other services are not ours.
    pub(crate) fn add(
        &mut self,
        name: &str,
        state: Option<String>,
        start_mode: Option<String>,
    ) -> bool {
        let slot = match name.trim().to_ascii_lowercase().as_str() {
            "remoteaccess" => &mut self.remote_access,
            "sharedaccess" => &mut self.shared_access,
            _ => return false,
        };
        *slot = Some(running(state.as_deref(), start_mode.as_deref()));
        true
    }

    /// `rras_running` from the RemoteAccess row.
    pub(crate) fn rras_running(&self) -> Option<bool> {
        self.remote_access.flatten()
    }

    /// `ics_enabled` from the SharedAccess row, read with the OS it runs on.
    ///
    /// The seed ("Out of Band Management"): "Out of band communication to an
    /// AMT-based computer is not supported if it is running the Routing and
    /// Remote Access service in the client operating system. This service
    /// runs when Internet Connection Sharing is enabled". ICS lives in the
    /// SharedAccess service. From Windows Vista / Server 2008 on that
    /// service is ICS alone, so running means ICS is on and stopped means
    /// off. On Windows XP and Server 2003 the same service is also the
    /// Windows Firewall ("Windows Firewall/Internet Connection Sharing"),
    /// which runs by default, so running there says nothing about ICS
    /// (unknown) while stopped or disabled still means ICS is off. On an OS
    /// we cannot place, only stopped is read.
    pub(crate) fn ics_enabled(&self, os: Option<&str>, version: Option<&str>) -> Option<bool> {
        let running = self.shared_access.flatten()?;
        if !running {
            return Some(false);
        }
        ics_only_service(os, version).then_some(true)
    }
}

/// A service row's state read as a running flag: its state settles it; a
/// disabled service without a state is not running.
fn running(state: Option<&str>, mode: Option<&str>) -> Option<bool> {
    state
        .and_then(service_running)
        .or_else(|| disabled(mode).then_some(false))
}

fn disabled(mode: Option<&str>) -> bool {
    mode.is_some_and(|m| m.trim().eq_ignore_ascii_case("disabled"))
}

/// Whether SharedAccess is ICS alone on this OS (Vista / 2008 and later).
fn ics_only_service(os: Option<&str>, version: Option<&str>) -> bool {
    if let Some(major) = version
        .and_then(|v| v.trim().split('.').next())
        .and_then(|m| m.parse::<u32>().ok())
    {
        return major >= 6;
    }
    let Some(parsed) = os.and_then(|os| parse_os(os, None, None, None)) else {
        return false;
    };
    matches!(
        parsed.family,
        OsFamily::WindowsVista
            | OsFamily::Windows7
            | OsFamily::Server2008
            | OsFamily::Server2008R2
            | OsFamily::StorageServer2008
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_access_is_read_with_the_os() {
        let mut s = Services::default();
        s.add("SharedAccess", Some("Running".into()), Some("Auto".into()));
        assert_eq!(
            s.ics_enabled(Some("Microsoft Windows XP Professional"), None),
            None
        );
        assert_eq!(s.ics_enabled(None, Some("6.1.7601")), Some(true));
        assert_eq!(
            s.ics_enabled(Some("Microsoft Windows 7 Enterprise"), None),
            Some(true)
        );
        s.add("SharedAccess", Some("Stopped".into()), None);
        assert_eq!(
            s.ics_enabled(Some("Microsoft Windows XP Professional"), None),
            Some(false)
        );
        assert_eq!(s.rras_running(), None);
        s.add("RemoteAccess", None, Some("Disabled".into()));
        assert_eq!(s.rras_running(), Some(false));
        s.add("remoteaccess", Some("Running".into()), Some("Auto".into()));
        assert_eq!(s.rras_running(), Some(true));
        assert!(!s.add("Spooler", Some("Running".into()), None));
    }

    #[test]
    fn architectures_and_skus() {
        assert_eq!(architecture("X86-based PC").as_deref(), Some("x86"));
        assert_eq!(architecture("x64-based PC").as_deref(), Some("x64"));
        assert_eq!(architecture("64-bit").as_deref(), Some("x64"));
        assert_eq!(architecture("32-bit").as_deref(), Some("x86"));
        assert!(sku_is_server_core(14) && !sku_is_server_core(10) && !sku_is_server_core(48));
    }

    #[test]
    fn pre_vista_captions_name_their_64_bit_editions() {
        for (caption, arch) in [
            ("Microsoft Windows XP Professional x64 Edition", Some("x64")),
            (
                "Microsoft(R) Windows(R) Server 2003, Standard x64 Edition",
                Some("x64"),
            ),
            (
                "Microsoft(R) Windows(R) Server 2003 Enterprise x64 Edition",
                Some("x64"),
            ),
            (
                "Microsoft(R) Windows(R) Server 2003, Enterprise Edition for Itanium-based Systems",
                Some("ia64"),
            ),
            ("Microsoft Windows XP 64-Bit Edition", Some("ia64")),
            // Unmarked: the x86 build, or a caption that says nothing.
            ("Microsoft Windows XP Professional", None),
            (
                "Microsoft(R) Windows(R) Server 2003, Enterprise Edition",
                None,
            ),
            ("Microsoft Windows XP Tablet PC Edition", None),
            ("", None),
        ] {
            assert_eq!(caption_architecture(caption), arch, "{caption}");
        }
    }
}
