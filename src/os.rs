//! Normalising the operating-system strings people actually have into typed values.
//!
//! Input comes from WMI (`Caption`, `CSDVersion`, `OSArchitecture`), from
//! Configuration Manager inventory, or from admins typing short forms such as
//! `xp-sp3`, `2003r2` or `2008-core`. Parsing never panics and never guesses a
//! family: a string it cannot place yields `None`, which the engine reports as
//! an unknown OS. Attributes it cannot read (service pack, architecture,
//! edition) stay `None` and the engine decides over every possible value.
//!
//! It sits at the crate root, below the rules, because the host-facts readers
//! (an inventory export, WinRM) normalise the same strings before any rule
//! runs, and must not depend on the rules to do it.

use serde::{Deserialize, Serialize};

/// An operating-system family as the seed's tables name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OsFamily {
    /// Windows 2000 (Professional, Server, Advanced Server, Datacenter).
    #[serde(rename = "windows-2000")]
    Windows2000,
    /// Windows XP Professional (x86 and x64 editions).
    WindowsXp,
    /// Windows XP Tablet PC Edition.
    WindowsXpTablet,
    /// Windows XP Embedded.
    WindowsXpEmbedded,
    /// Windows Embedded Standard 2009.
    #[serde(rename = "windows-embedded-standard-2009")]
    WindowsEmbeddedStandard2009,
    /// Windows Embedded for Point of Service.
    WindowsEmbeddedPos,
    /// Windows Embedded POSReady 2009.
    #[serde(rename = "windows-embedded-posready-2009")]
    WindowsEmbeddedPosready2009,
    /// Windows Fundamentals for Legacy PCs.
    WindowsFlp,
    /// Windows Vista.
    WindowsVista,
    /// Windows 7.
    #[serde(rename = "windows-7")]
    Windows7,
    /// Windows Server 2003.
    #[serde(rename = "server-2003")]
    Server2003,
    /// Windows Server 2003 R2.
    #[serde(rename = "server-2003-r2")]
    Server2003R2,
    /// Windows Storage Server 2003 (and R2).
    #[serde(rename = "storage-server-2003")]
    StorageServer2003,
    /// Windows Storage Server 2008.
    #[serde(rename = "storage-server-2008")]
    StorageServer2008,
    /// Windows Server 2008.
    #[serde(rename = "server-2008")]
    Server2008,
    /// Windows Server 2008 R2.
    #[serde(rename = "server-2008-r2")]
    Server2008R2,
    /// Windows Mobile for Pocket PC.
    WindowsMobilePocketPc,
    /// Windows Mobile for Smartphone.
    WindowsMobileSmartphone,
    /// Windows CE.
    WindowsCe,
}

impl OsFamily {
    /// Whether this is "any version of Windows Server" in the seed's sense.
    pub fn is_server(self) -> bool {
        matches!(
            self,
            OsFamily::Server2003
                | OsFamily::Server2003R2
                | OsFamily::StorageServer2003
                | OsFamily::StorageServer2008
                | OsFamily::Server2008
                | OsFamily::Server2008R2
        )
    }

    /// Whether this is a mobile-device OS (judged by the mobile table).
    pub fn is_mobile(self) -> bool {
        matches!(
            self,
            OsFamily::WindowsMobilePocketPc
                | OsFamily::WindowsMobileSmartphone
                | OsFamily::WindowsCe
        )
    }

    /// A human name for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            OsFamily::Windows2000 => "Windows 2000",
            OsFamily::WindowsXp => "Windows XP",
            OsFamily::WindowsXpTablet => "Windows XP Tablet PC Edition",
            OsFamily::WindowsXpEmbedded => "Windows XP Embedded",
            OsFamily::WindowsEmbeddedStandard2009 => "Windows Embedded Standard 2009",
            OsFamily::WindowsEmbeddedPos => "Windows Embedded for Point of Service",
            OsFamily::WindowsEmbeddedPosready2009 => "Windows Embedded POSReady 2009",
            OsFamily::WindowsFlp => "Windows Fundamentals for Legacy PCs",
            OsFamily::WindowsVista => "Windows Vista",
            OsFamily::Windows7 => "Windows 7",
            OsFamily::Server2003 => "Windows Server 2003",
            OsFamily::Server2003R2 => "Windows Server 2003 R2",
            OsFamily::StorageServer2003 => "Windows Storage Server 2003",
            OsFamily::StorageServer2008 => "Windows Storage Server 2008",
            OsFamily::Server2008 => "Windows Server 2008",
            OsFamily::Server2008R2 => "Windows Server 2008 R2",
            OsFamily::WindowsMobilePocketPc => "Windows Mobile for Pocket PC",
            OsFamily::WindowsMobileSmartphone => "Windows Mobile Smartphone",
            OsFamily::WindowsCe => "Windows CE",
        }
    }
}

impl OsFamily {
    /// Every service pack level released for the family (0 is "none"): the
    /// values an unknown service pack could take.
    pub fn service_packs(self) -> Vec<u8> {
        use OsFamily::*;
        let max = match self {
            Windows2000 => 4,
            WindowsXp | WindowsXpTablet | WindowsXpEmbedded => 3,
            WindowsEmbeddedStandard2009
            | WindowsEmbeddedPos
            | WindowsEmbeddedPosready2009
            | WindowsFlp => 3,
            WindowsVista | Server2008 | StorageServer2008 => 2,
            Windows7 | Server2008R2 => 1,
            Server2003 | Server2003R2 | StorageServer2003 => 2,
            WindowsMobilePocketPc | WindowsMobileSmartphone | WindowsCe => 0,
        };
        (0..=max).collect()
    }

    /// Every architecture the family ships for.
    pub fn archs(self) -> Vec<Arch> {
        use OsFamily::*;
        match self {
            Windows2000
            | WindowsXpTablet
            | WindowsXpEmbedded
            | WindowsEmbeddedStandard2009
            | WindowsEmbeddedPos
            | WindowsEmbeddedPosready2009
            | WindowsFlp => vec![Arch::X86],
            WindowsXp | Server2003 | Server2003R2 | Server2008 => {
                vec![Arch::X86, Arch::X64, Arch::Ia64]
            }
            WindowsVista | Windows7 | StorageServer2003 | StorageServer2008 => {
                vec![Arch::X86, Arch::X64]
            }
            Server2008R2 => vec![Arch::X64, Arch::Ia64],
            WindowsMobilePocketPc | WindowsMobileSmartphone => vec![Arch::Arm],
            WindowsCe => vec![Arch::Arm, Arch::X86],
        }
    }

    /// The architecture a single product-name string implies when it carries
    /// no mark: 64-bit and Itanium editions say so in their names, so an
    /// unmarked pre-Vista name is the x86 build, a 2008-era name is x86 or x64.
    pub fn implied_archs(self) -> Vec<Arch> {
        use OsFamily::*;
        match self {
            WindowsVista | Windows7 | Server2008 | StorageServer2008 => vec![Arch::X86, Arch::X64],
            Server2008R2 => vec![Arch::X64],
            other => other.archs().into_iter().take(1).collect(),
        }
    }

    /// Whether an install can be Server Core: only 2008 and 2008 R2 had it.
    pub fn server_core_options(self) -> Vec<bool> {
        if matches!(self, OsFamily::Server2008 | OsFamily::Server2008R2) {
            vec![false, true]
        } else {
            vec![false]
        }
    }
}

/// Processor architecture of an OS install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// 32-bit x86.
    X86,
    /// x64 (AMD64, Intel 64).
    X64,
    /// Itanium.
    Ia64,
    /// ARM (Windows CE and Mobile devices).
    Arm,
}

impl Arch {
    /// Every architecture, the domain used when the architecture is unknown.
    pub const ALL: [Arch; 4] = [Arch::X86, Arch::X64, Arch::Ia64, Arch::Arm];

    /// Name as the seed writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
            Arch::Ia64 => "IA64",
            Arch::Arm => "ARM",
        }
    }

    /// Reads `32-bit`, `64-bit`, `x64`, `amd64`, `ia64`, `Itanium`, `ARM`...
    pub fn parse(text: &str) -> Option<Arch> {
        let lower = text.to_ascii_lowercase();
        tokens(&lower).iter().find_map(|t| arch_token(t))
    }
}

/// What we know of one OS install. Unknown attributes are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Os {
    /// The product family.
    pub family: OsFamily,
    /// Lower-case edition keyword (`professional`, `enterprise`, `datacenter`,
    /// `web`, `6.1`, `phone 5.0`...).
    pub edition: Option<String>,
    /// Service pack level; `Some(0)` is "no service pack".
    pub service_pack: Option<u8>,
    /// Processor architecture.
    pub arch: Option<Arch>,
    /// `Some(true)` for a Server Core installation.
    pub server_core: Option<bool>,
}

impl Os {
    /// A short description for messages (`Windows XP professional SP2 x86`).
    pub fn describe(&self) -> String {
        let mut text = self.family.display_name().to_string();
        if let Some(edition) = &self.edition {
            text.push(' ');
            text.push_str(edition);
        }
        match self.service_pack {
            Some(0) => text.push_str(" (no SP)"),
            Some(n) => text.push_str(&format!(" SP{n}")),
            None => {}
        }
        if let Some(arch) = self.arch {
            text.push(' ');
            text.push_str(arch.as_str());
        }
        if self.server_core == Some(true) {
            text.push_str(" Server Core");
        }
        text
    }
}

/// Cap on how much of a user string is looked at: OS strings are short, and a
/// bound keeps hostile input from costing anything.
const MAX_INPUT: usize = 512;

fn clip(text: &str) -> &str {
    if text.len() <= MAX_INPUT {
        return text;
    }
    let mut end = MAX_INPUT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

/// Lower-cased words; trademark marks and punctuation become separators, but a
/// dot between digits is kept so that `6.1` and `5.0` survive.
pub(crate) fn tokens(lower: &str) -> Vec<String> {
    let cleaned = clip(lower)
        .replace("(r)", " ")
        .replace("(tm)", " ")
        .replace(['®', '™', '°'], " ");
    let chars: Vec<char> = cleaned.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let keep_dot = c == '.'
            && i > 0
            && chars.get(i - 1).is_some_and(|p| p.is_ascii_digit())
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c.is_alphanumeric() || keep_dot {
            current.push(c);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    // Short forms glue words together (`xp-sp3` splits fine, `2003r2`, `win7x64` do not).
    let mut split = Vec::with_capacity(out.len());
    for token in out {
        match token.as_str() {
            "2003r2" => split.extend(["2003".to_string(), "r2".to_string()]),
            "2008r2" => split.extend(["2008".to_string(), "r2".to_string()]),
            "win7" | "w7" => split.extend(["windows".to_string(), "7".to_string()]),
            "winxp" => split.push("xp".to_string()),
            "win2k" | "w2k" | "win2000" => split.push("2000".to_string()),
            "w2k3" | "win2k3" | "2k3" => split.push("2003".to_string()),
            "w2k8" | "win2k8" | "2k8" => split.push("2008".to_string()),
            _ => split.push(token),
        }
    }
    split
}

pub(crate) fn arch_token(token: &str) -> Option<Arch> {
    match token {
        "x86" | "32" | "i386" | "i686" | "x32" => Some(Arch::X86),
        "x64" | "amd64" | "x86_64" | "64" | "em64t" => Some(Arch::X64),
        "ia64" | "itanium" => Some(Arch::Ia64),
        "arm" => Some(Arch::Arm),
        _ => None,
    }
}

/// `SP2`, `Service Pack 2`, `sp 2`, `no service pack`, `RTM` → level.
pub(crate) fn service_pack_in(tokens: &[String]) -> Option<u8> {
    for (i, token) in tokens.iter().enumerate() {
        if let Some(rest) = token.strip_prefix("sp") {
            if let Ok(n) = rest.parse::<u8>() {
                return Some(n);
            }
            if rest.is_empty() {
                if let Some(n) = tokens.get(i + 1).and_then(|t| t.parse::<u8>().ok()) {
                    return Some(n);
                }
            }
        }
        if token == "pack" && i > 0 && tokens.get(i - 1).is_some_and(|t| t == "service") {
            if let Some(n) = tokens.get(i + 1).and_then(|t| t.parse::<u8>().ok()) {
                return Some(n);
            }
            if i >= 2 && tokens.get(i - 2).is_some_and(|t| t == "no") {
                return Some(0);
            }
        }
        if token == "rtm" || token == "nosp" {
            return Some(0);
        }
    }
    None
}

/// Reads a free-standing service-pack field (`Service Pack 3`, `SP3`, `3`, ``).
pub fn parse_service_pack(text: &str) -> Option<u8> {
    let lower = text.trim().to_ascii_lowercase();
    if lower.is_empty() || lower == "none" || lower == "0" {
        return Some(0);
    }
    if let Ok(n) = lower.parse::<u8>() {
        return Some(n);
    }
    service_pack_in(&tokens(&lower))
}

pub(crate) fn has(tokens: &[String], word: &str) -> bool {
    tokens.iter().any(|t| t == word)
}

fn has_seq(tokens: &[String], seq: &[&str]) -> bool {
    tokens
        .windows(seq.len())
        .any(|w| w.iter().zip(seq).all(|(a, b)| a == b))
}

fn family_of(t: &[String]) -> Option<OsFamily> {
    use OsFamily::*;
    let mobile = has(t, "mobile") || has(t, "pocket") || has(t, "smartphone") || has(t, "ppc");
    if mobile {
        return Some(if has(t, "smartphone") {
            WindowsMobileSmartphone
        } else if has(t, "pocket") || has(t, "ppc") {
            WindowsMobilePocketPc
        } else {
            // Windows Mobile 6 and 6.x: the seed lists them under "Windows Mobile".
            WindowsMobileSmartphone
        });
    }
    if has(t, "ce") || has(t, "wince") {
        return Some(WindowsCe);
    }
    let r2 = has(t, "r2");
    if has(t, "storage") {
        if has(t, "2008") {
            return Some(StorageServer2008);
        }
        if has(t, "2003") {
            return Some(StorageServer2003);
        }
        return None;
    }
    if has(t, "2008") {
        return Some(if r2 { Server2008R2 } else { Server2008 });
    }
    if has(t, "2003") {
        return Some(if r2 { Server2003R2 } else { Server2003 });
    }
    if has(t, "vista") {
        return Some(WindowsVista);
    }
    if has_seq(t, &["windows", "7"]) || (t.first().is_some_and(|f| f == "7") && t.len() <= 3) {
        return Some(Windows7);
    }
    if has(t, "posready") || has_seq(t, &["pos", "ready"]) {
        return Some(WindowsEmbeddedPosready2009);
    }
    if has(t, "wepos") || has_seq(t, &["point", "of", "service"]) {
        return Some(WindowsEmbeddedPos);
    }
    if has(t, "fundamentals") || has(t, "flp") || has(t, "winflp") {
        return Some(WindowsFlp);
    }
    if has_seq(t, &["embedded", "standard"]) || has(t, "wes2009") {
        return Some(WindowsEmbeddedStandard2009);
    }
    if has(t, "xp") || has(t, "xpe") {
        if has(t, "tablet") {
            return Some(WindowsXpTablet);
        }
        if has(t, "embedded") || has(t, "xpe") {
            return Some(WindowsXpEmbedded);
        }
        return Some(WindowsXp);
    }
    if has(t, "2000") {
        return Some(Windows2000);
    }
    None
}

const EDITION_WORDS: &[&str] = &[
    "professional",
    "home",
    "business",
    "enterprise",
    "ultimate",
    "starter",
    "basic",
    "premium",
    "web",
    "standard",
    "datacenter",
    "express",
    "workgroup",
    "foundation",
    "classic",
    "media",
    "small",
];

fn edition_of(family: OsFamily, t: &[String]) -> Option<String> {
    use OsFamily::*;
    match family {
        WindowsMobilePocketPc => {
            let version = if has(t, "5.0") || has(t, "5") {
                "5.0"
            } else if has(t, "2003") {
                "2003"
            } else {
                return None;
            };
            let second = has(t, "second") || has(t, "se");
            let phone = has(t, "phone");
            let mut edition = String::new();
            if phone {
                edition.push_str("phone ");
            }
            edition.push_str(version);
            if second && version == "2003" {
                edition.push_str(" se");
            }
            Some(edition)
        }
        WindowsMobileSmartphone => {
            if has(t, "2003") {
                Some("smartphone 2003".into())
            } else if has(t, "5.0") || has(t, "5") {
                Some("smartphone 5.0".into())
            } else if has(t, "6.5") {
                Some("6.5".into())
            } else if has(t, "6.1") {
                Some("6.1".into())
            } else if has(t, "6") || has(t, "6.0") {
                ["standard", "professional", "classic"]
                    .iter()
                    .find(|e| has(t, e))
                    .map(|e| format!("6 {e}"))
            } else {
                None
            }
        }
        WindowsCe => ["4.2", "5.0", "6.0"]
            .iter()
            .find(|v| has(t, v))
            .map(|v| v.to_string()),
        Windows2000 => {
            if has(t, "professional") {
                Some("professional".into())
            } else if has(t, "datacenter") {
                Some("datacenter server".into())
            } else if has(t, "advanced") {
                Some("advanced server".into())
            } else if has(t, "server") {
                Some("server".into())
            } else {
                None
            }
        }
        _ => {
            if has(t, "media") && has(t, "center") {
                return Some("media center".into());
            }
            if has(t, "small") && has(t, "business") {
                return Some("small business server".into());
            }
            if has(t, "home") && has(t, "premium") {
                return Some("home premium".into());
            }
            if has(t, "home") && has(t, "basic") {
                return Some("home basic".into());
            }
            EDITION_WORDS
                .iter()
                .find(|w| has(t, w))
                .map(|w| w.to_string())
                .or_else(|| match family {
                    // Short forms name the edition by their abbreviations.
                    _ if has(t, "pro") => Some("professional".into()),
                    _ if has(t, "ent") => Some("enterprise".into()),
                    _ if has(t, "std") => Some("standard".into()),
                    _ if has(t, "dc") => Some("datacenter".into()),
                    _ => None,
                })
        }
    }
}

/// Reads an edition field (`Enterprise`, `Datacenter Edition`) for a family.
pub fn parse_edition(family: OsFamily, text: &str) -> Option<String> {
    edition_of(family, &tokens(&text.to_ascii_lowercase()))
}

/// Normalises an OS from its parts. Any of `service_pack`, `architecture`,
/// `edition` may be absent; a value found in the separate field wins over one
/// found inside `os`. Returns `None` when the family cannot be recognised.
pub fn parse_os(
    os: &str,
    service_pack: Option<&str>,
    architecture: Option<&str>,
    edition: Option<&str>,
) -> Option<Os> {
    let lower = os.to_ascii_lowercase();
    let t = tokens(&lower);
    let family = family_of(&t)?;
    let mut edition_value = edition
        .map(|e| tokens(&e.to_ascii_lowercase()))
        .and_then(|et| edition_of(family, &et))
        .or_else(|| edition_of(family, &t));
    // "Windows XP Professional x64 Edition": the trailing word is not the edition.
    if family == OsFamily::WindowsXp && edition_value.is_none() && has(&t, "x64") {
        edition_value = Some("professional".into());
    }
    let service_pack_value = service_pack
        .and_then(parse_service_pack)
        .or_else(|| service_pack_in(&t));
    let arch = architecture
        .and_then(Arch::parse)
        .or_else(|| t.iter().find_map(|tok| arch_token(tok)));
    let server_core = if has(&t, "core") {
        Some(true)
    } else if has(&t, "full") {
        Some(false)
    } else {
        None
    };
    Some(Os {
        family,
        edition: edition_value,
        service_pack: service_pack_value,
        arch,
        server_core,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wmi_strings() {
        let os = parse_os(
            "Microsoft Windows XP Professional",
            Some("Service Pack 2"),
            Some("32-bit"),
            None,
        )
        .unwrap();
        assert_eq!(
            (os.family, os.service_pack, os.arch),
            (OsFamily::WindowsXp, Some(2), Some(Arch::X86))
        );
        assert_eq!(os.edition.as_deref(), Some("professional"));
        let os = parse_os(
            "Microsoft(R) Windows(R) Server 2003, Enterprise Edition",
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            (os.family, os.edition.as_deref()),
            (OsFamily::Server2003, Some("enterprise"))
        );
        let os = parse_os("Windows Server 2008 R2 Datacenter", None, None, None).unwrap();
        assert_eq!(
            (os.family, os.edition.as_deref()),
            (OsFamily::Server2008R2, Some("datacenter"))
        );
        let os = parse_os("Microsoft® Windows Vista™ Business", None, None, None).unwrap();
        assert_eq!(
            (os.family, os.edition.as_deref()),
            (OsFamily::WindowsVista, Some("business"))
        );
        let os = parse_os("Windows Vista Business SP2 x64", None, None, None).unwrap();
        assert_eq!((os.service_pack, os.arch), (Some(2), Some(Arch::X64)));
        let os = parse_os(
            "Microsoft Windows XP Professional x64 Edition",
            Some("Service Pack 2"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            (os.family, os.arch, os.edition.as_deref()),
            (OsFamily::WindowsXp, Some(Arch::X64), Some("professional"))
        );
    }

    #[test]
    fn short_forms() {
        let os = parse_os("xp-sp3", None, None, None).unwrap();
        assert_eq!((os.family, os.service_pack), (OsFamily::WindowsXp, Some(3)));
        assert_eq!(
            parse_os("2003r2", None, None, None).unwrap().family,
            OsFamily::Server2003R2
        );
        let core = parse_os("2008-core", None, None, None).unwrap();
        assert_eq!(
            (core.family, core.server_core),
            (OsFamily::Server2008, Some(true))
        );
        let seven = parse_os("win7-x64", None, None, None).unwrap();
        assert_eq!(
            (seven.family, seven.arch),
            (OsFamily::Windows7, Some(Arch::X64))
        );
        assert!(parse_os("Ubuntu 22.04", None, None, None).is_none());
        assert!(parse_os("", None, None, None).is_none());
    }
}
