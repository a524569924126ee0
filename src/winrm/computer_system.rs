//! Win32_ComputerSystem: `SystemType`, the architecture Windows XP and
//! Server 2003 report, which have no `Win32_OperatingSystem.OSArchitecture`.

use crate::wsman::{CallLimits, Element, Error, Session};

use super::{class_uri, expect_class, property_text};

/// Class name.
pub(crate) const CLASS: &str = "Win32_ComputerSystem";

/// What the class says that the host rules use. `SystemType` is
/// `X86-based PC`, `x64-based PC` or `Itanium (TM) -based System` on every
/// release from Windows 2000 on (WMI class reference, Win32_ComputerSystem),
/// the same value Configuration Manager inventories as `SystemType0`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComputerSystem {
    pub system_type: Option<String>,
}

impl ComputerSystem {
    pub fn from_element(item: &Element) -> Result<Self, Error> {
        expect_class(item, CLASS)?;
        Ok(Self {
            system_type: property_text(item, "SystemType"),
        })
    }
}

/// Enumerates the class (one instance: the machine).
pub(crate) async fn read(session: &Session, limits: &CallLimits) -> Result<ComputerSystem, Error> {
    let items = session.enumerate(&class_uri(CLASS), limits).await?;
    let first = items
        .first()
        .ok_or_else(|| Error::Protocol(format!("{CLASS} enumerated no instance")))?;
    ComputerSystem::from_element(first)
}
