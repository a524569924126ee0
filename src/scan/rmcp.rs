//! The RMCP/ASF presence ping on UDP 623, and every pong layout AMT has sent.
//!
//! Layouts (`../shared/captures/README.md`, "RMCP pong byte layout", from the
//! Intel AMT SDK's Discovery pages):
//! - 4.x–5.0: Intel's IANA number, DASH in bit 5 of Supported Entities (offset 20);
//! - 5.1–5.x: DASH in bit 5 of Supported Interactions (offset 21);
//! - 6.0–15.x: open port (offsets 16–17), version nibbles (18), provisioning state (19);
//! - 16+: the version byte is 0 (a nibble cannot hold 16) and major/minor are
//!   in offsets 22/23, which MeshCentral never reads (it shows "0.0").
//!
//! A pong is weak, unauthenticated evidence, recorded with the source `rmcp`.

use crate::facts::{ProvisioningState, RmcpFacts};

/// UDP port of RMCP (ASF primary port).
pub const RMCP_PORT: u16 = 623;
/// Intel's IANA enterprise number, in a pong's data bytes 1–4.
const INTEL_IANA: [u8; 4] = [0x00, 0x00, 0x01, 0x57];
/// ASF's IANA enterprise number (4542), in every ASF message header.
const ASF_IANA: [u8; 4] = [0x00, 0x00, 0x11, 0xBE];
const PRESENCE_PING: u8 = 0x80;
const PRESENCE_PONG: u8 = 0x40;
/// The only RMCP message class a ping or pong has: ASF.
const CLASS_ASF: u8 = 0x06;
const DASH_BIT: u8 = 1 << 5;

/// The ping: RMCP v1.0, sequence 0xFF (no RMCP ACK wanted), class ASF; ASF
/// Presence Ping with `tag`, no data (the nmap form; MeshCentral sends seq 0).
pub fn ping(tag: u8) -> [u8; 12] {
    [
        0x06,
        0x00,
        0xFF,
        CLASS_ASF,
        ASF_IANA[0],
        ASF_IANA[1],
        ASF_IANA[2],
        ASF_IANA[3],
        PRESENCE_PING,
        tag,
        0x00,
        0x00,
    ]
}

/// Which generation's layout a pong has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// AMT 4.x to 5.0: no version; DASH in bit 5 of Supported Entities.
    Amt4To50,
    /// AMT 5.1 to 5.x: no version; DASH in bit 5 of Supported Interactions.
    Amt51To5x,
    /// AMT 6.0 to 15.x: open port, version nibbles and provisioning state.
    Amt6To15,
    /// AMT 16 and later: major and minor in bytes of their own (the nibble byte is 0).
    Amt16Plus,
}

impl Layout {
    /// The firmware range, as recorded in `amt.rmcp.generation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Amt4To50 => "4.0-5.0",
            Layout::Amt51To5x => "5.1-5.x",
            Layout::Amt6To15 => "6.0-15.x",
            Layout::Amt16Plus => "16+",
        }
    }
}

/// Why a datagram is not an AMT pong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PongError {
    /// The datagram is not an RMCP/ASF presence pong at all.
    #[error("not an RMCP/ASF presence pong")]
    NotPong,
    /// A presence pong whose IANA enterprise number (given) is not Intel's.
    #[error("a presence pong, but not from Intel AMT (IANA {0})")]
    NotIntel(u32),
    /// A pong from Intel, shorter (length given) than its layout needs.
    #[error("a truncated presence pong ({0} bytes)")]
    Truncated(usize),
}

/// A parsed pong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pong {
    /// The tag echoed from the ping.
    pub tag: u8,
    /// Which generation's byte layout the pong has, read from its bytes.
    pub layout: Layout,
    /// The firmware major version (6.0 and later layouts).
    pub major: Option<u8>,
    /// The firmware minor version (6.0 and later layouts).
    pub minor: Option<u8>,
    /// 6.0+ only.
    pub provisioning_state: Option<ProvisioningState>,
    /// The port the device says it serves (6.0+); none when it says "not set up".
    pub port: Option<u16>,
    /// Whether the device says it supports DASH (the desktop management standard beside AMT).
    pub dash: bool,
}

impl Pong {
    /// `major.minor`, when the pong carries it.
    pub fn version(&self) -> Option<String> {
        Some(format!("{}.{}", self.major?, self.minor?))
    }

    /// Why this pong says the firmware's TLS speaks only TLS 1.0 (AMT 8 or
    /// older), if it does: the 4.x and 5.x layouts by themselves, the 6-15
    /// layout by its version. Nothing for 16+ or a version it cannot read.
    pub fn legacy_evidence(&self) -> Option<String> {
        let last = crate::amt::LAST_LEGACY_ONLY_MAJOR;
        match (self.layout, self.major) {
            (Layout::Amt4To50 | Layout::Amt51To5x, _) => {
                Some(format!("RMCP pong: AMT {} layout", self.layout.as_str()))
            }
            (Layout::Amt6To15, Some(major)) if major <= last => {
                let version = self.version().unwrap_or_else(|| major.to_string());
                Some(format!("RMCP pong: AMT {version}"))
            }
            _ => None,
        }
    }

    /// The record's `amt.rmcp` object.
    pub fn facts(&self) -> RmcpFacts {
        RmcpFacts {
            version: self.version(),
            generation: self.layout.as_str().to_owned(),
            provisioning_state: self.provisioning_state,
            open_ports: self.port.into_iter().collect(),
            dash: self.dash,
        }
    }
}

/// Parses a whole UDP payload.
pub fn parse_pong(b: &[u8]) -> Result<Pong, PongError> {
    if b.len() < 12
        || b[0] != 0x06
        || b[3] & 0x7F != CLASS_ASF
        || b[4..8] != ASF_IANA
        || b[8] != PRESENCE_PONG
    {
        return Err(PongError::NotPong);
    }
    let tag = b[9];
    let data_len = usize::from(b[11]);
    if data_len < 16 || b.len() < 12 + 16 {
        return Err(PongError::Truncated(b.len()));
    }
    let d = &b[12..28];
    if d[0..4] != INTEL_IANA {
        return Err(PongError::NotIntel(u32::from_be_bytes([
            d[0], d[1], d[2], d[3],
        ])));
    }
    let (entities, interactions) = (d[8], d[9]);
    let port = u16::from_be_bytes([d[4], d[5]]);
    let state = || ProvisioningState::from_wire(u32::from(d[7] & 0x03));
    let mut pong = Pong {
        tag,
        layout: Layout::Amt4To50,
        major: None,
        minor: None,
        provisioning_state: None,
        port: None,
        dash: false,
    };
    if d[6] != 0 {
        pong.layout = Layout::Amt6To15;
        pong.major = Some(d[6] >> 4);
        pong.minor = Some(d[6] & 0x0F);
    } else if d[10] != 0 {
        pong.layout = Layout::Amt16Plus;
        pong.major = Some(d[10]);
        pong.minor = Some(d[11]);
    } else if interactions & DASH_BIT != 0 {
        pong.layout = Layout::Amt51To5x;
    } else {
        pong.layout = Layout::Amt4To50;
    }
    match pong.layout {
        Layout::Amt6To15 | Layout::Amt16Plus => {
            pong.provisioning_state = state();
            pong.port = (port != 0).then_some(port);
            pong.dash = interactions & DASH_BIT != 0;
        }
        Layout::Amt51To5x => pong.dash = true,
        Layout::Amt4To50 => pong.dash = entities & DASH_BIT != 0,
    }
    Ok(pong)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect()
    }

    #[test]
    fn ping_matches_nmap_probe_bytes() {
        assert_eq!(ping(0).to_vec(), hex("06 00 FF 06 00 00 11 BE 80 00 00 00"));
    }

    #[test]
    fn not_pongs_are_refused_without_panic() {
        assert_eq!(parse_pong(&[]), Err(PongError::NotPong));
        assert_eq!(parse_pong(&ping(1)), Err(PongError::NotPong));
        let mut short = hex("06 00 FF 06 00 00 11 BE 40 00 00 10 00 00 01 57");
        assert_eq!(parse_pong(&short), Err(PongError::Truncated(16)));
        short.resize(28, 0);
        short[15] = 0x58;
        assert!(matches!(parse_pong(&short), Err(PongError::NotIntel(_))));
        for len in 0..40 {
            let _ = parse_pong(&vec![0x06; len]);
        }
    }

    #[test]
    fn only_amt_8_or_older_sends_tls_to_the_legacy_stack_first() {
        let pong = |layout, major| Pong {
            tag: 0,
            layout,
            major,
            minor: major.map(|_| 1),
            provisioning_state: None,
            port: None,
            dash: false,
        };
        let says = |layout, major| pong(layout, major).legacy_evidence();
        assert_eq!(
            says(Layout::Amt6To15, Some(7)).as_deref(),
            Some("RMCP pong: AMT 7.1")
        );
        assert!(says(Layout::Amt6To15, Some(8)).is_some());
        assert!(says(Layout::Amt4To50, None).is_some());
        assert!(says(Layout::Amt51To5x, None).is_some());
        assert_eq!(says(Layout::Amt6To15, Some(9)), None);
        assert_eq!(says(Layout::Amt6To15, None), None);
        assert_eq!(says(Layout::Amt16Plus, Some(16)), None);
    }
}
