//! Win32_OperatingSystem: the OS, its service pack, architecture, and the
//! SKU that tells Server Core.

use crate::hostfacts::windows;
use crate::wsman::{CallLimits, Element, Error, Session};

use super::{class_uri, expect_class, property_text};

/// Class name.
pub(crate) const CLASS: &str = "Win32_OperatingSystem";

/// What the class says. `OSArchitecture` and `OperatingSystemSKU` exist
/// from Windows Vista / Server 2008 on (WMI class reference,
/// Win32_OperatingSystem); on XP and Server 2003 they are absent and the
/// caption carries what there is (`x64 Edition`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatingSystem {
    pub caption: Option<String>,
    pub csd_version: Option<String>,
    pub os_architecture: Option<String>,
    pub sku: Option<u32>,
    pub version: Option<String>,
}

impl OperatingSystem {
    pub fn from_element(item: &Element) -> Result<Self, Error> {
        expect_class(item, CLASS)?;
        let sku = match property_text(item, "OperatingSystemSKU") {
            None => None,
            Some(t) => Some(t.parse().map_err(|_| {
                Error::Protocol(format!(
                    "OperatingSystemSKU {} is not a number",
                    crate::text::quoted(&t)
                ))
            })?),
        };
        Ok(Self {
            caption: property_text(item, "Caption"),
            csd_version: property_text(item, "CSDVersion"),
            os_architecture: property_text(item, "OSArchitecture"),
            sku,
            version: property_text(item, "Version"),
        })
    }
}

impl OperatingSystem {
    /// The architecture the OS itself tells: `OSArchitecture` (Vista / 2008
    /// on), else the mark pre-Vista 64-bit editions carry in their caption.
    pub fn architecture(&self) -> Option<String> {
        self.os_architecture
            .as_deref()
            .and_then(windows::architecture)
            .or_else(|| {
                self.caption
                    .as_deref()
                    .and_then(windows::caption_architecture)
                    .map(str::to_owned)
            })
    }
}

/// Enumerates the class (one instance: the running OS).
pub(crate) async fn read(session: &Session, limits: &CallLimits) -> Result<OperatingSystem, Error> {
    let items = session.enumerate(&class_uri(CLASS), limits).await?;
    let first = items
        .first()
        .ok_or_else(|| Error::Protocol(format!("{CLASS} enumerated no instance")))?;
    OperatingSystem::from_element(first)
}
