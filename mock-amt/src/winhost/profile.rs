//! The Windows releases a mock host can be, with the values their
//! Win32_OperatingSystem and Win32_ComputerSystem report (WMI class
//! reference: OSArchitecture and OperatingSystemSKU appear with Windows
//! Vista / Server 2008; before that only the caption and SystemType tell
//! the architecture).

/// One Windows release's `Win32_OperatingSystem` values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsProfile {
    pub name: String,
    pub caption: &'static str,
    pub csd_version: Option<&'static str>,
    pub os_architecture: Option<&'static str>,
    pub sku: Option<u32>,
    pub version: &'static str,
    pub build: &'static str,
    /// Routing and Remote Access running.
    pub rras: bool,
    /// Internet Connection Sharing on (SharedAccess running for ICS).
    pub ics: bool,
}

/// The built-in releases: `name`, caption, CSDVersion, OSArchitecture, SKU,
/// Version. Captions are spelt as Windows spells them, trailing space and
/// registered marks included.
type Release = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<u32>,
    &'static str,
);

const RELEASES: &[Release] = &[
    (
        "xp-sp2",
        "Microsoft Windows XP Professional",
        Some("Service Pack 2"),
        None,
        None,
        "5.1.2600",
    ),
    (
        "xp-sp3",
        "Microsoft Windows XP Professional",
        Some("Service Pack 3"),
        None,
        None,
        "5.1.2600",
    ),
    (
        "xp-tablet-sp2",
        "Microsoft Windows XP Tablet PC Edition",
        Some("Service Pack 2"),
        None,
        None,
        "5.1.2600",
    ),
    // XP Professional x64 Edition is built on Server 2003 (5.2) and never
    // had a Service Pack 3: SP2 is its last.
    (
        "xp-x64-sp2",
        "Microsoft Windows XP Professional x64 Edition",
        Some("Service Pack 2"),
        None,
        None,
        "5.2.3790",
    ),
    (
        "vista-sp2",
        "Microsoft\u{ae} Windows Vista\u{2122} Business ",
        Some("Service Pack 2"),
        Some("32-bit"),
        Some(6),
        "6.0.6002",
    ),
    (
        "win7",
        "Microsoft Windows 7 Enterprise ",
        Some("Service Pack 1"),
        Some("64-bit"),
        Some(4),
        "6.1.7601",
    ),
    (
        "server2003-sp2",
        "Microsoft(R) Windows(R) Server 2003, Enterprise Edition",
        Some("Service Pack 2"),
        None,
        None,
        "5.2.3790",
    ),
    (
        "server2003-x64-sp2",
        "Microsoft(R) Windows(R) Server 2003, Standard x64 Edition",
        Some("Service Pack 2"),
        None,
        None,
        "5.2.3790",
    ),
    (
        "server2008-core",
        "Microsoft\u{ae} Windows Server\u{ae} 2008 Enterprise ",
        Some("Service Pack 2"),
        Some("64-bit"),
        Some(14),
        "6.0.6002",
    ),
    (
        "server2008r2",
        "Microsoft Windows Server 2008 R2 Enterprise ",
        Some("Service Pack 1"),
        Some("64-bit"),
        Some(10),
        "6.1.7601",
    ),
];

impl WindowsProfile {
    /// A built-in release, with `+rras` and/or `+ics` suffixes turning those
    /// services on (`win7+ics`, `server2003-sp2+rras`).
    pub fn builtin(spec: &str) -> Option<WindowsProfile> {
        let mut parts = spec.split('+');
        let base = parts.next()?;
        let &(name, caption, csd_version, os_architecture, sku, version) =
            RELEASES.iter().find(|r| r.0 == base)?;
        let mut profile = WindowsProfile {
            name: name.to_string(),
            caption,
            csd_version,
            os_architecture,
            sku,
            version,
            build: version.rsplit('.').next().unwrap_or(version),
            rras: false,
            ics: false,
        };
        for extra in parts {
            match extra {
                "rras" => profile.rras = true,
                "ics" => profile.ics = true,
                _ => return None,
            }
        }
        if profile.rras || profile.ics {
            profile.name = spec.to_string();
        }
        Some(profile)
    }

    /// `Win32_ComputerSystem.SystemType`, which every release has: what
    /// the OS runs as, so the 64-bit builds (`64-bit`, or before Vista
    /// `x64 Edition` in the name) say `x64-based PC` and the rest x86.
    pub fn system_type(&self) -> &'static str {
        if self.os_architecture == Some("64-bit") || self.caption.contains("x64 Edition") {
            "x64-based PC"
        } else {
            "X86-based PC"
        }
    }

    /// Every built-in release name (without suffixes).
    pub fn names() -> Vec<&'static str> {
        RELEASES.iter().map(|r| r.0).collect()
    }

    /// XP and Server 2003 run the Windows Firewall in SharedAccess, so
    /// that service runs there whether ICS is on or not.
    fn firewall_in_shared_access(&self) -> bool {
        self.version.starts_with("5.")
    }

    /// The `Win32_Service` rows (Name, State, StartMode) of RemoteAccess and
    /// SharedAccess, as `services.msc` would show them.
    pub fn services(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let rras = if self.rras {
            ("RemoteAccess", "Running", "Auto")
        } else {
            ("RemoteAccess", "Stopped", "Disabled")
        };
        let shared = if self.ics || self.firewall_in_shared_access() {
            ("SharedAccess", "Running", "Auto")
        } else {
            ("SharedAccess", "Stopped", "Manual")
        };
        vec![rras, shared]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_turn_services_on() {
        let p = WindowsProfile::builtin("server2008-core+rras").unwrap();
        assert!(p.rras && !p.ics);
        assert_eq!(p.services()[0], ("RemoteAccess", "Running", "Auto"));
        let w7 = WindowsProfile::builtin("win7").unwrap();
        assert_eq!(w7.services()[1], ("SharedAccess", "Stopped", "Manual"));
        let xp = WindowsProfile::builtin("xp-sp3").unwrap();
        assert_eq!(xp.services()[1].1, "Running");
        assert!(WindowsProfile::builtin("win7+bogus").is_none());
        assert!(WindowsProfile::builtin("win95").is_none());
        assert_eq!(WindowsProfile::names().len(), RELEASES.len());
        let arch = |name: &str| WindowsProfile::builtin(name).unwrap().system_type();
        assert_eq!(arch("xp-sp3"), "X86-based PC");
        assert_eq!(arch("xp-x64-sp2"), "x64-based PC");
        assert_eq!(arch("server2003-sp2"), "X86-based PC");
        assert_eq!(arch("server2003-x64-sp2"), "x64-based PC");
        assert_eq!(arch("vista-sp2"), "X86-based PC");
        assert_eq!(arch("win7"), "x64-based PC");
    }
}
