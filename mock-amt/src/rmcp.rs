//! The RMCP/ASF presence pong on UDP, in the layout of each AMT generation.
//!
//! Layouts: `../shared/captures/README.md`, "RMCP pong byte layout" (from the
//! Intel AMT SDK's Discovery pages). Release 4.0 was the first to answer the
//! ping; 2.x and 3.x do not answer at all, and neither does Small Business
//! Technology. From 6.1 a device that is not set up answers with port 0.

use std::net::SocketAddr;

use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::profile::Profile;

/// ASF's IANA enterprise number (4542).
const ASF_IANA: [u8; 4] = [0x00, 0x00, 0x11, 0xBE];
/// Intel's IANA enterprise number (343).
const INTEL_IANA: [u8; 4] = [0x00, 0x00, 0x01, 0x57];
const PRESENCE_PING: u8 = 0x80;
const PRESENCE_PONG: u8 = 0x40;
const DASH_BIT: u8 = 1 << 5;
/// The low nibble of Supported Entities: ASF version 1 (an assumption of the
/// constructed captures, kept so the mock matches them byte for byte).
const ASF_V1: u8 = 0x01;

/// The firmware's major and minor version, from the profile's version string.
fn major_minor(profile: &Profile) -> Option<(u8, u8)> {
    let mut parts = profile.version.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = parts.next().unwrap_or("0").trim().parse().ok()?;
    Some((major, minor))
}

/// Whether this firmware answers the presence ping at all.
pub fn answers_ping(profile: &Profile) -> bool {
    let sbt = profile.server_header.contains("Small Business Technology");
    matches!(major_minor(profile), Some((major, _)) if major >= 4) && !sbt
}

/// The pong this firmware sends to a ping with `tag`, or `None` when it does
/// not answer. `http_port` is the port the device serves on.
pub fn pong(profile: &Profile, http_port: u16, tag: u8) -> Option<[u8; 28]> {
    if !answers_ping(profile) {
        return None;
    }
    let (major, minor) = major_minor(profile)?;
    let mut b = [0u8; 28];
    b[..4].copy_from_slice(&[0x06, 0x00, 0xFF, 0x06]);
    b[4..8].copy_from_slice(&ASF_IANA);
    b[8] = PRESENCE_PONG;
    b[9] = tag;
    b[11] = 16;
    b[12..16].copy_from_slice(&INTEL_IANA);
    match (major, minor) {
        (4, _) | (5, 0) => b[20] = DASH_BIT | ASF_V1,
        (5, _) => {
            b[20] = ASF_V1;
            b[21] = DASH_BIT;
        }
        _ => {
            let state = profile.provisioning_state.min(2);
            // From 6.1, "present, not set up" is port 0.
            let port = if state == 0 && (major, minor) >= (6, 1) {
                0
            } else {
                http_port
            };
            b[16..18].copy_from_slice(&port.to_be_bytes());
            if major <= 15 && minor <= 15 {
                b[18] = (major << 4) | minor;
            } else {
                b[22] = major;
                b[23] = minor;
            }
            b[19] = state;
            b[20] = ASF_V1;
            b[21] = DASH_BIT;
        }
    }
    Some(b)
}

/// Whether a datagram is an RMCP/ASF presence ping; its tag when it is.
pub fn ping_tag(b: &[u8]) -> Option<u8> {
    let ok = b.len() >= 12
        && b[0] == 0x06
        && b[3] == 0x06
        && b[4..8] == ASF_IANA
        && b[8] == PRESENCE_PING;
    ok.then(|| b[9])
}

/// Answers pings on `socket` until `stop` changes.
pub(crate) async fn serve(
    socket: UdpSocket,
    profile: Profile,
    http_port: u16,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf = [0u8; 512];
    loop {
        let (len, from): (usize, SocketAddr) = tokio::select! {
            _ = stop.changed() => return,
            r = socket.recv_from(&mut buf) => match r {
                Ok(r) => r,
                Err(_) => continue,
            },
        };
        let Some(tag) = ping_tag(&buf[..len]) else {
            continue;
        };
        if let Some(answer) = pong(&profile, http_port, tag) {
            let _ = socket.send_to(&answer, from).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter()
            .map(|x| format!("{x:02X}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn old_firmware_is_silent_and_each_generation_has_its_layout() {
        for (name, answers) in [("amt-2.6", false), ("amt-3.2.1", false), ("amt-4.0", true)] {
            assert_eq!(
                answers_ping(&Profile::builtin(name).unwrap()),
                answers,
                "{name}"
            );
        }
        let p = Profile::builtin("amt-7.1").unwrap();
        let b = pong(&p, 16992, 0).unwrap();
        assert_eq!(b[18], 0x71);
        assert_eq!(&b[16..18], &[0x42, 0x60]);
        let p = Profile::builtin("amt-16.1").unwrap();
        let b = pong(&p, 16993, 0).unwrap();
        assert_eq!((b[18], b[22], b[23]), (0, 16, 1), "{}", hex(&b));
    }
}
