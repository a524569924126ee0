//! Which AMT firmware has what: every fact about firmware generations that
//! the client, the certificate checks and the reports rely on, in one table,
//! each with the document and section it is taken from.
//!
//! Code asks here instead of comparing version numbers itself, so a
//! correction (a source that dates a feature differently) is one line. The
//! policy files carry two of these numbers again as rule parameters
//! (`control_modes_from_major`, `sha2_from_major`), because a rule takes its
//! figures from its row; a test below keeps the rows and this table equal.
//!
//! Most facts come from the project's fact sheet, `AMT-FACTS.md` (in the
//! shared notes beside the repository), which names its own sources
//! (amttool's man page, the Intel AMT SDK class pages, the captures).

use crate::version::ReportedVersion;

/// Firmware releases, by major version and, for the first one, minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The first release that has it, `(major, minor)`; `None` for "since
    /// the first AMT release".
    pub from: Option<(u32, u32)>,
    /// The last major version that has it; `None` while current firmware
    /// still does.
    pub through: Option<u32>,
}

impl Span {
    /// From `major.minor` on.
    pub const fn from(major: u32, minor: u32) -> Span {
        Span {
            from: Some((major, minor)),
            through: None,
        }
    }

    /// Up to and including major version `major`.
    pub const fn through(major: u32) -> Span {
        Span {
            from: None,
            through: Some(major),
        }
    }

    /// Whether firmware of this major version, and minor where known, is
    /// in the span: `None` where only the minor could tell (`6` against a
    /// span from 6.1).
    pub fn contains(self, major: u32, minor: Option<u32>) -> Option<bool> {
        if self.through.is_some_and(|last| major > last) {
            return Some(false);
        }
        match self.from {
            None => Some(true),
            Some((first, _)) if major > first => Some(true),
            Some((first, _)) if major < first => Some(false),
            Some((_, 0)) => Some(true),
            Some((_, first_minor)) => minor.map(|m| m >= first_minor),
        }
    }

    /// Whether firmware reporting `version` may have it: only a version
    /// that shows it cannot says no. An unknown or unreadable version is
    /// tried, because asking costs one request whose fault is tolerated,
    /// while not asking loses the fact.
    pub fn may_have(self, version: Option<&ReportedVersion>) -> bool {
        match version.and_then(ReportedVersion::major) {
            None => true,
            Some(major) => self
                .contains(major, version.and_then(ReportedVersion::minor))
                .unwrap_or(true),
        }
    }
}

/// One fact about firmware generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    /// What firmware in the span has, or does.
    pub what: &'static str,
    /// The releases it holds for.
    pub span: Span,
    /// The document it is taken from.
    pub document: &'static str,
    /// The section of that document.
    pub section: &'static str,
}

const FACT_SHEET: &str = "AMT-FACTS.md";

/// The first AMT major whose root-hash list may hold SHA-256 and SHA-384
/// hashes (SHA-1 only before).
pub const SHA2_FROM_MAJOR: u32 = 6;

/// The first AMT major whose ProvisioningMode 1 means admin control mode;
/// before it, 1 is enterprise mode.
pub(crate) const CONTROL_MODES_FROM_MAJOR: u32 = 7;

/// The newest AMT major version whose TLS stack speaks only TLS 1.0 (3.x-8.x
/// offer TLS 1.0 with RSA key exchange; 9 and later add TLS 1.1/1.2).
/// A `u8` because the RMCP pong carries the major in one byte.
pub const LAST_LEGACY_ONLY_MAJOR: u8 = 8;

/// The last AMT major that serves EOI.
pub(crate) const LAST_EOI_MAJOR: u32 = 8;

/// WS-Management on `/wsman`. The inventory does not skip WS-Man by the
/// version: a banner may be wrong or absent, and firmware without it answers
/// the first read with 404, which is the evidence taken.
pub(crate) const WSMAN: Generation = Generation {
    what: "WS-Management on /wsman (fully DSP0226-compliant from 3.2)",
    span: Span::from(3, 0),
    document: FACT_SHEET,
    section: "WS-Management reads (authenticated): amttool man page; AMT SDK class pages",
};

/// EOI, the SOAP 1.1 services (`/<Name>Service`), removed in 9.0.
pub(crate) const EOI: Generation = Generation {
    what: "the EOI SOAP services (GetCoreVersion, GetHostName, GetDomainName)",
    span: Span::through(LAST_EOI_MAJOR),
    document: FACT_SHEET,
    section: "EOI SOAP (AMT 1.x to 8.x; removed in 9.0)",
};

/// IPS_HostBasedSetupService, and with it the control mode.
pub(crate) const HOST_BASED_SETUP: Generation = Generation {
    what: "IPS_HostBasedSetupService (CurrentControlMode)",
    span: Span::from(6, 1),
    document: FACT_SHEET,
    section: "WS-Management reads (authenticated): IPS_HostBasedSetupService, Get (6.1+ only)",
};

/// ProvisioningMode's numbers changed meaning: 1 is admin control, 4 client
/// control; before, 1 enterprise, 2 small business, 3 remote connectivity.
pub(crate) const CONTROL_MODES: Generation = Generation {
    what: "AMT_SetupAndConfigurationService.ProvisioningMode in control modes (1 admin, 4 client)",
    span: Span::from(CONTROL_MODES_FROM_MAJOR, 0),
    document: FACT_SHEET,
    section:
        "WS-Management reads (authenticated): AMT_SetupAndConfigurationService, ProvisioningMode",
};

/// SHA-256 and SHA-384 trusted root hashes for remote provisioning. Only
/// the tests read it: the checks take this major from the policy row
/// (`sha2_from_major`), which the tests hold to [`SHA2_FROM_MAJOR`].
#[cfg(test)]
pub(crate) const SHA2_ROOT_HASHES: Generation = Generation {
    what: "SHA-256 and SHA-384 provisioning root hashes (SHA-1 only before)",
    span: Span::from(SHA2_FROM_MAJOR, 0),
    document: "Intel AMT SDK",
    section: "Root Certificate Hashes (SHA-256/384 hashes from AMT 6.0)",
};

/// TLS 1.0 as the only protocol on 16993, which rustls does not speak. The
/// fact sheet says "through roughly AMT 9" with TLS 1.0/1.1; the reading
/// taken is through 8, the last release without TLS 1.2, because a 9.x
/// sent to the legacy stack first would be read over TLS 1.0 when it could
/// do better, while an 8.x sent to rustls first costs only one refused
/// handshake before the fallback.
pub(crate) const TLS_1_0_ONLY: Generation = Generation {
    what: "TLS 1.0 only (RSA key exchange, legacy renegotiation) on 16993",
    span: Span::through(LAST_LEGACY_ONLY_MAJOR as u32),
    document: FACT_SHEET,
    section: "TLS",
};

const SDK_CLASS_REFERENCE: &str = "Intel AMT SDK, WS-Management Class Reference";

/// AMT_EthernetPortSettings: AMT's wired and wireless interfaces.
pub(crate) const ETHERNET_PORT_SETTINGS: Generation = Generation {
    what: "AMT_EthernetPortSettings (instance 0 wired, 1 wireless)",
    span: Span::from(3, 0),
    document: "Intel AMT SDK",
    section: "Set/Get Miscellaneous Network Interface Settings (SharedMAC required in Releases 3.0 and 3.2)",
};

/// AMT_8021XProfile: the wired interface's 802.1X profile.
pub(crate) const IEEE8021X_PROFILE: Generation = Generation {
    what: "AMT_8021XProfile (802.1X on the wired interface)",
    span: Span::from(3, 0),
    document: SDK_CLASS_REFERENCE,
    section: "AMT_8021XProfile: compatible with Releases 3.0 to 11.0",
};

/// AMT_SystemPowerScheme and its CIM_ElementSettingData: the power packages
/// and the active one. The reading taken: the SDK's power package
/// description names Release 3.0's packages and its use cases read them over
/// WS-Man; the class page itself was not in any source we could read.
pub(crate) const POWER_PACKAGES: Generation = Generation {
    what: "AMT_SystemPowerScheme power packages over WS-Man",
    span: Span::from(3, 0),
    document: "Intel AMT SDK",
    section: "Power Packages: Detailed Description (Release 3.0 packages); Get the Currently Active Power Package",
};

/// AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch.
pub(crate) const TIME_SYNCHRONIZATION: Generation = Generation {
    what: "AMT_TimeSynchronizationService (GetLowAccuracyTimeSynch, Ta0)",
    span: Span::from(3, 0),
    document: SDK_CLASS_REFERENCE,
    section: "AMT_TimeSynchronizationService: compatible with Releases 3.0 to 11.0",
};

/// Every generation fact, oldest first: the tests hold each to its source.
#[cfg(test)]
pub(crate) const ALL: [&Generation; 10] = [
    &EOI,
    &WSMAN,
    &SHA2_ROOT_HASHES,
    &HOST_BASED_SETUP,
    &CONTROL_MODES,
    &TLS_1_0_ONLY,
    &ETHERNET_PORT_SETTINGS,
    &IEEE8021X_PROFILE,
    &POWER_PACKAGES,
    &TIME_SYNCHRONIZATION,
];

/// Whether firmware of this major version serves TLS 1.0 only, so its
/// connections start on the legacy stack.
pub(crate) fn tls_1_0_only(major: u32) -> bool {
    TLS_1_0_ONLY.span.contains(major, None) == Some(true)
}

/// Whether firmware of this major version reads ProvisioningMode as control
/// modes.
pub(crate) fn control_modes(major: u32) -> bool {
    CONTROL_MODES.span.contains(major, None) == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> ReportedVersion {
        ReportedVersion::new(text)
    }

    #[test]
    fn host_based_setup_exists_from_6_1() {
        let expected_on = |t: Option<&str>| HOST_BASED_SETUP.span.may_have(t.map(v).as_ref());
        assert!(!expected_on(Some("5.2.10")));
        assert!(!expected_on(Some("6.0.40")));
        assert!(expected_on(Some("6.1")));
        assert!(expected_on(Some("6.2.61.3535")));
        assert!(expected_on(Some("11.8.50")));
        assert!(expected_on(None));
        // Only the minor could tell: tried.
        assert!(expected_on(Some("6")));
        assert!(expected_on(Some("banner")));
    }

    #[test]
    fn eoi_ends_with_8() {
        let possible = |t: Option<&str>| EOI.span.may_have(t.map(v).as_ref());
        assert!(possible(Some("2.6.3")));
        assert!(possible(Some("8.1.71.3608")));
        assert!(!possible(Some("9.0.3")));
        assert!(possible(None));
        assert!(possible(Some("0.1")));
    }

    #[test]
    fn legacy_tls_and_control_modes_by_major() {
        assert!(tls_1_0_only(3) && tls_1_0_only(8) && !tls_1_0_only(9));
        assert!(!control_modes(6) && control_modes(7) && control_modes(16));
    }

    #[test]
    fn every_class_span_lies_inside_its_protocol() {
        // A class read over WS-Man cannot exist before WS-Man does.
        let (wsman_major, _) = WSMAN.span.from.unwrap();
        for g in [
            &HOST_BASED_SETUP,
            &CONTROL_MODES,
            &SHA2_ROOT_HASHES,
            &ETHERNET_PORT_SETTINGS,
            &IEEE8021X_PROFILE,
            &POWER_PACKAGES,
            &TIME_SYNCHRONIZATION,
        ] {
            assert!(g.span.from.unwrap().0 >= wsman_major, "{}", g.what);
        }
        for g in ALL {
            assert!(
                !g.document.is_empty() && !g.section.is_empty(),
                "{}",
                g.what
            );
        }
    }

    #[test]
    fn the_provisioning_policy_uses_the_same_majors() {
        // The rows carry the figures as parameters; they must not drift.
        let policy = include_str!("../rules/configmgr-2007-sp1-provisioning.toml");
        assert!(policy.contains(&format!("sha2_from_major = {SHA2_FROM_MAJOR}\n")));
        assert!(policy.contains(&format!(
            "control_modes_from_major = {CONTROL_MODES_FROM_MAJOR}\n"
        )));
    }
}
