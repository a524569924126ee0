//! RMCP presence pongs: every layout in `../shared/captures/rmcp/`, and the
//! mock's answer for every built-in profile, through the scanner's parser.
//!
//! The captures are read at run time, never copied in; missing captures skip
//! loudly, or fail with `AMTREADY_REQUIRE_CAPTURES=1` (as CI sets it).

use std::path::{Path, PathBuf};
use std::time::Duration;

use amtready::facts::ProvisioningState;
use amtready::scan::rmcp::{parse_pong, ping, Layout};
use mock_amt::{start_device, DeviceConfig, Profile};

fn rmcp_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("AMTREADY_CAPTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures"))
        .join("rmcp");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("AMTREADY_REQUIRE_CAPTURES").as_deref() != Ok("1"),
        "AMTREADY_REQUIRE_CAPTURES=1 but no RMCP captures at {}",
        dir.display()
    );
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPING: no RMCP captures at {}; the capture checks did NOT run",
        dir.display()
    );
    None
}

fn hex_file(path: &Path) -> Vec<u8> {
    std::fs::read_to_string(path)
        .unwrap()
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect()
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn every_captured_pong_layout_is_parsed() {
    let Some(dir) = rmcp_dir() else { return };
    use Layout::*;
    use ProvisioningState::*;
    // (file, layout, version, state, port): what the captures README says each holds.
    let expected = [
        ("pong-amt4x-5.0-CONSTRUCTED.hex", Amt4To50, None, None, None),
        (
            "pong-amt5.1-5.x-CONSTRUCTED.hex",
            Amt51To5x,
            None,
            None,
            None,
        ),
        (
            "pong-amt6-15-example-11.8-preprov-CONSTRUCTED.hex",
            Amt6To15,
            Some("11.8"),
            Some(Pre),
            None,
        ),
        (
            "pong-amt6-15-example-7.1-post-16992-CONSTRUCTED.hex",
            Amt6To15,
            Some("7.1"),
            Some(Post),
            Some(16992),
        ),
        (
            "pong-amt16plus-example-16.1-post-16993-CONSTRUCTED.hex",
            Amt16Plus,
            Some("16.1"),
            Some(Post),
            Some(16993),
        ),
    ];
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.starts_with("pong-") {
            continue;
        }
        let (_, layout, version, state, port) = expected
            .iter()
            .find(|e| e.0 == name)
            .unwrap_or_else(|| panic!("a pong capture this test does not know: {name}"));
        let pong =
            parse_pong(&hex_file(&dir.join(&name))).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(pong.layout, *layout, "{name}");
        assert_eq!(pong.version().as_deref(), *version, "{name}");
        assert_eq!(pong.provisioning_state, *state, "{name}");
        assert_eq!(pong.port, *port, "{name}");
        assert!(pong.dash, "{name}: every captured layout sets a DASH bit");
        seen += 1;
    }
    assert_eq!(seen, expected.len(), "every layout has its capture");

    // Both captured pings are pings the mock answers, and ours is nmap's.
    for ping_file in ["ping-request-meshcentral.hex", "ping-request-nmap.hex"] {
        let bytes = hex_file(&dir.join(ping_file));
        assert!(mock_amt::rmcp::ping_tag(&bytes).is_some(), "{ping_file}");
    }
    assert_eq!(
        ping(0).to_vec(),
        hex_file(&dir.join("ping-request-nmap.hex"))
    );
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn the_mock_matches_the_captured_bytes() {
    let Some(dir) = rmcp_dir() else { return };
    for (profile, port, file) in [
        (
            "amt-7.1",
            16992,
            "pong-amt6-15-example-7.1-post-16992-CONSTRUCTED.hex",
        ),
        ("amt-5.0", 16992, "pong-amt4x-5.0-CONSTRUCTED.hex"),
        ("amt-5.1", 16992, "pong-amt5.1-5.x-CONSTRUCTED.hex"),
    ] {
        let p = Profile::builtin(profile).unwrap();
        let pong = mock_amt::rmcp::pong(&p, port, 0).unwrap();
        assert_eq!(pong.to_vec(), hex_file(&dir.join(file)), "{profile}");
    }
}

/// The mock answers on UDP for 4.0+ and not at all for 2.x/3.x; the scanner
/// reads every generation's answer right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_answers_the_ping_with_each_generations_layout() {
    for name in Profile::builtin_names() {
        let profile = Profile::builtin(name).unwrap();
        let mut cfg = DeviceConfig::new(profile.clone(), "127.0.0.1:0".parse().unwrap());
        cfg.rmcp_port = Some(0);
        let dev = start_device(cfg).await.unwrap();
        let major: u8 = profile.version.split('.').next().unwrap().parse().unwrap();
        let Some(udp) = dev.rmcp_addr() else {
            assert!(major < 4, "{name}: AMT 4.0+ answers RMCP");
            dev.shutdown().await;
            continue;
        };
        assert!(major >= 4, "{name}: AMT before 4.0 never answered RMCP");
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.send_to(&ping(0x5A), udp).await.unwrap();
        let mut buf = [0u8; 128];
        let (len, _) = tokio::time::timeout(Duration::from_secs(5), socket.recv_from(&mut buf))
            .await
            .expect("a pong")
            .unwrap();
        let pong = parse_pong(&buf[..len]).unwrap();
        assert_eq!(pong.tag, 0x5A, "{name}: the tag is echoed");
        let minor: u8 = profile.version.split('.').nth(1).unwrap().parse().unwrap();
        match major {
            4 => assert_eq!(pong.layout, Layout::Amt4To50, "{name}"),
            5 if minor == 0 => assert_eq!(pong.layout, Layout::Amt4To50, "{name}"),
            5 => assert_eq!(pong.layout, Layout::Amt51To5x, "{name}"),
            6..=15 => assert_eq!(pong.layout, Layout::Amt6To15, "{name}"),
            _ => assert_eq!(pong.layout, Layout::Amt16Plus, "{name}"),
        }
        if major >= 6 {
            assert_eq!(pong.version(), Some(format!("{major}.{minor}")), "{name}");
            assert_eq!(
                pong.provisioning_state,
                ProvisioningState::from_wire(u32::from(profile.provisioning_state)),
                "{name}"
            );
            let expected_port = (profile.provisioning_state != 0).then_some(dev.addr().port());
            assert_eq!(pong.port, expected_port, "{name}");
        } else {
            assert_eq!(pong.version(), None, "{name}: no version before 6.0");
        }
        dev.shutdown().await;
    }
}
