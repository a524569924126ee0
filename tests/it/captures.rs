//! The parser against real (and reconstructed) AMT wire captures.
//!
//! The captures live outside the repository (`../shared/captures`, or
//! `AMTREADY_CAPTURES_DIR`) and are read at run time, never copied in. When
//! they are missing at build time, `build.rs` marks every test here ignored,
//! so `cargo test` counts them as ignored, not passed; with
//! `AMTREADY_REQUIRE_CAPTURES=1` a missing directory is a failure.

use std::path::{Path, PathBuf};

use amtready::amt::probe::{parse_server_header, Product};
use amtready::amt::{
    general_settings::GeneralSettings, host_based_setup::HostBasedSetup,
    provisioning_certificate_hash, setup_and_configuration::SetupAndConfiguration,
    software_identity::SoftwareIdentity,
};
use amtready::facts::ControlMode;
use amtready::wsman::envelope::{NS_ADDRESSING, NS_WSMAN};
use amtready::wsman::interpret;
use amtready::wsman::response::{enumerate_context, parse_response, pull_page};
use amtready::wsman::{http1, Challenge, Error, RawResponse};

fn captures_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("AMTREADY_CAPTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures"));
    if dir.join("wsman").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("AMTREADY_REQUIRE_CAPTURES").as_deref() != Ok("1"),
        "AMTREADY_REQUIRE_CAPTURES=1 but no captures at {}",
        dir.display()
    );
    // Written to the real stderr: libtest captures eprintln! output of
    // passing tests, and a skip must be seen.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED: no AMT captures at {} (set AMTREADY_CAPTURES_DIR) ***\n",
        dir.display()
    );
    None
}

fn read(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A wire capture split into status, headers and de-chunked body.
struct Http {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Http {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn raw(&self) -> RawResponse {
        let mut headers = http::HeaderMap::new();
        for (n, v) in &self.headers {
            headers.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        RawResponse::new(
            http::StatusCode::from_u16(self.status).unwrap(),
            headers,
            self.body.clone(),
        )
    }
}

fn split_http(bytes: &[u8]) -> Http {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head ends with CRLF CRLF");
    let head = std::str::from_utf8(&bytes[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_owned(), v.trim().to_owned())
        })
        .collect();
    let rest = &bytes[end + 4..];
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Http {
        status,
        headers,
        body,
    }
}

/// HTTP/1.1 chunked decoding (the framing the transport undoes on the wire).
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = std::str::from_utf8(&data[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        assert_eq!(&data[size..size + 2], b"\r\n", "chunk ends with CRLF");
        data = &data[size + 2..];
    }
}

/// Re-frames `body` as two chunks cut at `at`, as a device could send it.
fn rechunk(body: &[u8], at: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [&body[..at], &body[at..]] {
        if part.is_empty() {
            continue;
        }
        out.extend_from_slice(format!("{:04X}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn items_of(dir: &Path, rel: &str) -> Vec<amtready::wsman::Element> {
    let page = pull_page(parse_response(&read(dir, rel), None).unwrap()).unwrap();
    assert!(page.end_of_sequence, "{rel}");
    page.items
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn software_identity_pulls_give_version_build_sku() {
    let Some(dir) = captures_dir() else { return };
    for (file, version, build, sku) in [
        (
            "wsman/CIM_SoftwareIdentity-Pull-amt8.1.71-mps.xml",
            "8.1.71",
            "3608",
            "24584",
        ),
        (
            "wsman/CIM_SoftwareIdentity-Pull-amt12-gowsman.xml",
            "12.0.67",
            "1579",
            "16392",
        ),
    ] {
        let items = items_of(&dir, file);
        assert_eq!(items.len(), 11, "{file}");
        let si = SoftwareIdentity::from_items(&items);
        assert_eq!(si.versions.len(), 11, "{file}");
        assert_eq!(si.version(), Some(version), "{file}");
        assert_eq!(si.build(), Some(build), "{file}");
        assert_eq!(si.sku(), Some(sku), "{file}");
        assert!(si.versions.contains_key("AMT FW Core Version"), "{file}");
    }
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn enumerate_responses_give_their_context() {
    let Some(dir) = captures_dir() else { return };
    for (file, relates, context) in [
        (
            "wsman/CIM_SoftwareIdentity-Enumerate-amt15.0.23-mps.xml",
            "0",
            "17000000-0000-0000-0000-000000000000",
        ),
        (
            "wsman/CIM_SoftwareIdentity-Enumerate-gowsman.xml",
            "0",
            "E2020000-0000-0000-0000-000000000000",
        ),
        (
            "wsman/AMT_ProvisioningCertificateHash-Enumerate-RECONSTRUCTED.xml",
            "0",
            "18000000-0000-0000-0000-000000000000",
        ),
        (
            "wsman/CIM_AssociatedPowerManagementService-Enumerate-gowsman.xml",
            "0",
            "5E1A0000-0000-0000-0000-000000000000",
        ),
    ] {
        let response = parse_response(&read(&dir, file), Some(relates)).unwrap();
        assert_eq!(enumerate_context(&response).unwrap(), context, "{file}");
        // The same body answering another request is refused.
        assert!(matches!(
            parse_response(&read(&dir, file), Some("uuid:mine")),
            Err(Error::Protocol(_))
        ));
    }
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn pull_pages_context_first_and_empty_items() {
    let Some(dir) = captures_dir() else { return };
    let chip = pull_page(
        parse_response(
            &read(&dir, "wsman/CIM_Chip-Pull-noEndOfSequence-gowsman.xml"),
            Some("1"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(!chip.end_of_sequence);
    assert_eq!(
        chip.context.as_deref(),
        Some("D4020000-0000-0000-0000-000000000000")
    );
    assert!(!chip.items.is_empty());

    let empty = pull_page(
        parse_response(
            &read(
                &dir,
                "wsman/AMT_PublicKeyCertificate-Pull-empty-EndOfSequence-rps.xml",
            ),
            Some("7"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(empty.end_of_sequence);
    assert!(empty.items.is_empty());
    assert_eq!(empty.context, None);

    // An association enumeration returns subclass-typed items; they parse.
    let assoc = items_of(
        &dir,
        "wsman/CIM_ServiceAvailableToElement-Pull-amt8.1.71-mps.xml",
    );
    assert!(assoc
        .iter()
        .any(|i| i.name == "CIM_AssociatedPowerManagementService"));
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn general_settings_of_two_releases() {
    let Some(dir) = captures_dir() else { return };
    let get = |file: &str| {
        let r = parse_response(&read(&dir, file), None).unwrap();
        GeneralSettings::from_element(r.payload().unwrap()).unwrap()
    };
    let g15 = get("wsman/AMT_GeneralSettings-Get-amt15.0.23-rps.xml");
    assert_eq!(
        g15.digest_realm.as_deref(),
        Some("Digest:62FFAC181B3F3457C5B3894ED21F3E6E")
    );
    assert_eq!(g15.hostname, None, "empty HostName reads as unknown");
    assert_eq!(g15.domain, None);
    assert_eq!(g15.network_interface_enabled, Some(true));
    assert_eq!(g15.amt_network_enabled, Some(true), "sent as 1 on 15.0");
    assert_eq!(g15.rmcp_ping_response_enabled, Some(true));

    let g8 = get("wsman/AMT_GeneralSettings-Get-amt8.1.71-mps.xml");
    assert_eq!(
        g8.digest_realm.as_deref(),
        Some("Digest:D29C0000000000000000000000000000")
    );
    assert_eq!(g8.amt_network_enabled, None, "8.1 lacks AMTNetworkEnabled");
    assert_eq!(
        g8.host_os_fqdn.as_deref(),
        Some("Vyshali_Sign"),
        "the host OS's own name, as its LMS told the firmware"
    );
    assert_eq!(
        g15.host_os_fqdn, None,
        "an empty HostOSFQDN reads as unknown"
    );
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn setup_and_host_based_setup() {
    let Some(dir) = captures_dir() else { return };
    let r = parse_response(
        &read(
            &dir,
            "wsman/AMT_SetupAndConfigurationService-Get-gowsman.xml",
        ),
        Some("0"),
    )
    .unwrap();
    let sc = SetupAndConfiguration::from_element(r.payload().unwrap()).unwrap();
    assert_eq!(sc.provisioning_state, Some(2));
    assert_eq!(sc.provisioning_mode, Some(1));
    assert_eq!(sc.ztc_enabled, Some(true));
    assert_eq!(sc.dhcp_dns_suffix, None);
    assert_eq!(sc.trusted_dns_suffix, None);

    let items = items_of(
        &dir,
        "wsman/AMT_SetupAndConfigurationService-Pull-amt8.1.71-mps.xml",
    );
    let sc8 = SetupAndConfiguration::from_element(&items[0]).unwrap();
    assert_eq!(sc8.provisioning_state, Some(2));
    assert_eq!(sc8.provisioning_mode, Some(1));
    assert_eq!(sc8.ztc_enabled, Some(true));

    let r = parse_response(
        &read(&dir, "wsman/IPS_HostBasedSetupService-Get-gowsman.xml"),
        Some("0"),
    )
    .unwrap();
    let hbs = HostBasedSetup::from_element(r.payload().unwrap()).unwrap();
    assert_eq!(hbs.current_control_mode, Some(ControlMode::Admin));
    assert_eq!(hbs.allowed_control_modes, [2, 1]);
    // A Get answer of another class is not mistaken for this one.
    assert!(SetupAndConfiguration::from_element(r.payload().unwrap()).is_err());
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn certificate_hashes_reconstructed() {
    let Some(dir) = captures_dir() else { return };
    let items = items_of(
        &dir,
        "wsman/AMT_ProvisioningCertificateHash-Pull-RECONSTRUCTED.xml",
    );
    let hashes = provisioning_certificate_hash::from_items(&items);
    assert_eq!(hashes.len(), 4);
    for h in &hashes {
        assert_eq!(h.hash_type.as_deref(), Some("sha256"));
        let hex = h.hash_hex.as_deref().unwrap();
        assert_eq!(hex.len(), 64);
        assert!(hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(h.enabled, Some(true));
        assert!(h.instance_id.starts_with("Certificate Hash "));
    }
    assert!(hashes[0]
        .hash_hex
        .as_deref()
        .unwrap()
        .starts_with("9acfab7e43c8d880d06b262a94deeee4b4659989"));
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn faults_are_typed_by_namespace() {
    let Some(dir) = captures_dir() else { return };
    let fault = |file: &str| match parse_response(&read(&dir, file), None) {
        Err(Error::Fault(f)) => f,
        other => panic!("{file}: {other:?}"),
    };
    let unreachable = fault("wsman/Fault-DestinationUnreachable-rps.xml");
    assert_eq!(unreachable.code, "Sender");
    assert_eq!(
        unreachable.subcode.as_deref(),
        Some("DestinationUnreachable")
    );
    assert_eq!(unreachable.subcode_ns.as_deref(), Some(NS_ADDRESSING));
    assert!(unreachable.reason.starts_with("No route can be determined"));
    assert_eq!(
        unreachable.action.as_deref(),
        Some("http://schemas.xmlsoap.org/ws/2004/08/addressing/fault")
    );
    let exists = fault("wsman/Fault-AlreadyExists-amt15.0.23-rps.xml");
    assert_eq!(exists.subcode.as_deref(), Some("AlreadyExists"));
    assert_eq!(exists.subcode_ns.as_deref(), Some(NS_WSMAN));
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn every_wsman_capture_parses_whole_and_fails_cleanly_truncated() {
    let Some(dir) = captures_dir() else { return };
    let mut count = 0;
    for entry in std::fs::read_dir(dir.join("wsman")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("xml") {
            continue;
        }
        count += 1;
        let body = std::fs::read(&path).unwrap();
        match parse_response(&body, None) {
            Ok(_) | Err(Error::Fault(_)) => {}
            Err(e) => panic!("{}: {e}", path.display()),
        }
        // Every proper prefix is an error, never a panic and never a success.
        let end = body.windows(2).rposition(|w| w == b"</").unwrap();
        for cut in 0..end {
            let result = parse_response(&body[..cut], None);
            assert!(
                matches!(result, Err(Error::BadXml(_)) | Err(Error::Protocol(_))),
                "{} cut at {cut}: {result:?}",
                path.display()
            );
        }
    }
    assert!(count >= 15, "expected the wsman captures, found {count}");
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn chunked_http_captures_split_at_every_offset() {
    let Some(dir) = captures_dir() else { return };
    for (file, relates) in [
        (
            "http/200-chunked-AMT_GeneralSettings-Get-amt15.0.23-rps.txt",
            "0",
        ),
        (
            "http/200-chunked-CIM_SoftwareIdentity-Enumerate-amt15.0.23-mps.txt",
            "0",
        ),
        ("http/200-chunked-Unprovision-amt15.0.23-rps.txt", "1"),
    ] {
        let http = split_http(&read(&dir, file));
        assert_eq!(http.status, 200, "{file}");
        let whole =
            parse_response(&http.body, Some(relates)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for at in 0..=http.body.len() {
            let reassembled = dechunk(&rechunk(&http.body, at));
            let again = parse_response(&reassembled, Some(relates)).unwrap();
            assert_eq!(again, whole, "{file} split at {at}");
        }
    }
    // The de-chunked GeneralSettings wire capture equals the body capture.
    let wire = split_http(&read(
        &dir,
        "http/200-chunked-AMT_GeneralSettings-Get-amt15.0.23-rps.txt",
    ));
    assert_eq!(
        wire.body,
        read(&dir, "wsman/AMT_GeneralSettings-Get-amt15.0.23-rps.xml")
    );
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn http_400_captures() {
    let Some(dir) = captures_dir() else { return };
    let empty = split_http(&read(&dir, "http/400-empty-body-amt12.0.92-rps-pr1155.txt"));
    assert_eq!(empty.status, 400);
    assert_eq!(
        interpret(empty.raw(), |b| parse_response(b, None)).unwrap_err(),
        Error::EmptyBadRequest
    );

    let fault = split_http(&read(
        &dir,
        "http/400-chunked-fault-AlreadyExists-amt15.0.23-rps.txt",
    ));
    assert_eq!(fault.status, 400);
    match interpret(fault.raw(), |b| parse_response(b, None)) {
        Err(Error::Fault(f)) => assert_eq!(f.subcode.as_deref(), Some("AlreadyExists")),
        other => panic!("{other:?}"),
    }

    // Only the chunked body was kept for this one.
    let body = dechunk(&read(
        &dir,
        "http/400-fault-DestinationUnreachable-chunked-body-rps.txt",
    ));
    match parse_response(&body, None) {
        Err(Error::Fault(f)) => assert_eq!(f.subcode.as_deref(), Some("DestinationUnreachable")),
        other => panic!("{other:?}"),
    }
}

/// The transport's own HTTP/1.1 reader on every wire capture of a whole
/// response, fed one byte per read up to all at once: the status, headers
/// and de-chunked body are those this file's independent split finds, and
/// only the answers that say `Connection: close` end the connection.
#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn the_transport_reads_every_http_capture_at_any_read_size() {
    let Some(dir) = captures_dir() else { return };
    let whole_answers = [
        "http/200-chunked-AMT_GeneralSettings-Get-amt15.0.23-rps.txt",
        "http/200-chunked-CIM_SoftwareIdentity-Enumerate-amt15.0.23-mps.txt",
        "http/200-chunked-Unprovision-amt15.0.23-rps.txt",
        "http/303-GET-root-Server-AMT-nmap.txt",
        "http/303-GET-root-amt7.1.91-meshcentral.txt",
        "http/400-chunked-fault-AlreadyExists-amt15.0.23-rps.txt",
        "http/400-empty-body-amt12.0.92-rps-pr1155.txt",
        "http/401-wsman-amt11.8.50-rps.txt",
        "http/401-wsman-amt15.0.23-rps.txt",
        "http/401-wsman-amt16.1.25-qop-auth-int-rps-issue779.txt",
    ];
    for file in whole_answers {
        let bytes = read(&dir, file);
        let expected = split_http(&bytes);
        for piece in [1, 2, 3, 5, 64, 1460, bytes.len()] {
            let got = http1::read_answer(&bytes, piece, 64 * 1024)
                .unwrap_or_else(|e| panic!("{file} in reads of {piece}: {e}"));
            assert_eq!(got.head.status.as_u16(), expected.status, "{file}");
            let headers: Vec<(String, String)> = got
                .head
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
                .collect();
            let want: Vec<(String, String)> = expected
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .collect();
            assert_eq!(headers, want, "{file} in reads of {piece}");
            assert_eq!(got.body, expected.body, "{file} in reads of {piece}");
            let closes = expected.header("Connection") == Some("close");
            assert_eq!(got.reusable, !closes, "{file} in reads of {piece}");
        }
    }
    // This one was captured up to the end of its head: the 689 bytes its
    // Content-Length promises never came, which is a reset, not a short body.
    let file = "http/401-eoi-RemoteControlService-amt8.0.3-headers-amtc-issue2.txt";
    assert_eq!(
        http1::read_answer(&read(&dir, file), 7, 64 * 1024).unwrap_err(),
        Error::ConnectionReset,
        "{file}"
    );
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn discovery_and_challenge_captures() {
    let Some(dir) = captures_dir() else { return };
    let r = split_http(&read(&dir, "http/303-GET-root-amt7.1.91-meshcentral.txt"));
    assert_eq!(r.status, 303);
    let banner = parse_server_header(r.header("Server").unwrap()).unwrap();
    assert_eq!(banner.product, Product::ActiveManagementTechnology);
    assert_eq!(banner.version.as_deref(), Some("7.1.91"));

    let r = split_http(&read(&dir, "http/303-GET-root-Server-AMT-nmap.txt"));
    let banner = parse_server_header(r.header("Server").unwrap()).unwrap();
    assert_eq!(banner.product, Product::BareAmt);
    assert_eq!(banner.version, None);

    for (file, realm, version) in [
        (
            "http/401-wsman-amt11.8.50-rps.txt",
            "Digest:A4070000000000000000000000000000",
            "11.8.50.3425",
        ),
        (
            "http/401-wsman-amt15.0.23-rps.txt",
            "Digest:8FF80F01A086065136E90CD6A08EBDB1",
            "15.0.23.1706",
        ),
        (
            "http/401-wsman-amt16.1.25-qop-auth-int-rps-issue779.txt",
            "Digest:2517B2332AFD88353D5F5FD352697901",
            "16.1.25.1917",
        ),
        (
            "http/401-eoi-RemoteControlService-amt8.0.3-headers-amtc-issue2.txt",
            "Digest:10DF0000000000000000000000000000",
            "8.0.3",
        ),
    ] {
        let r = split_http(&read(&dir, file));
        assert_eq!(r.status, 401, "{file}");
        let challenge = Challenge::parse(r.header("WWW-Authenticate").unwrap()).unwrap();
        assert_eq!(challenge.realm(), realm, "{file}");
        assert!(!challenge.stale());
        assert_eq!(challenge.qop(), Some("auth"), "{file}: auth is preferred");
        let banner = parse_server_header(r.header("Server").unwrap()).unwrap();
        assert_eq!(banner.version.as_deref(), Some(version), "{file}");
    }
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn every_observed_server_header_and_challenge() {
    let Some(dir) = captures_dir() else { return };
    let text = String::from_utf8(read(&dir, "http/server-header-variants.tsv")).unwrap();
    let mut accepted = 0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let value = line.split('\t').next().unwrap();
        let banner = parse_server_header(value);
        let family = value.starts_with("Intel(R) Active Management Technology")
            || value == "AMT"
            || value.starts_with("Intel(R) Standard Manageability")
            || value.starts_with("Intel(R) Small Business Technology");
        assert_eq!(banner.is_some(), family, "{value}");
        if let Some(b) = banner {
            accepted += 1;
            if let Some(v) = b.version {
                assert!(value.ends_with(&v), "{value}");
            }
        }
    }
    assert!(accepted >= 10, "{accepted}");

    let text = String::from_utf8(read(&dir, "http/www-authenticate-observed.tsv")).unwrap();
    let mut parsed = 0;
    for line in text.lines().skip(1) {
        let value = line.split('\t').nth(1).unwrap_or_default();
        if !value.starts_with("Digest ") {
            continue;
        }
        let challenge = Challenge::parse(value).unwrap_or_else(|e| panic!("{value}: {e}"));
        assert!(challenge.realm().starts_with("Digest:"));
        assert_eq!(challenge.qop(), Some("auth"));
        parsed += 1;
    }
    assert!(parsed >= 6, "{parsed}");
}

/// mock-amt's 401 is the firmware's: the same header names in the same
/// order and the captured page byte for byte, for each release captured.
#[tokio::test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
async fn mock_401_is_the_captured_firmware_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(dir) = captures_dir() else { return };
    for (profile, file) in [
        ("amt-11.8", "http/401-wsman-amt11.8.50-rps.txt"),
        ("amt-15.0", "http/401-wsman-amt15.0.23-rps.txt"),
        (
            "amt-16.1",
            "http/401-wsman-amt16.1.25-qop-auth-int-rps-issue779.txt",
        ),
    ] {
        let real = split_http(&read(&dir, file));
        let cfg = mock_amt::DeviceConfig::new(
            mock_amt::Profile::builtin(profile).unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .without_tls();
        let d = mock_amt::start_device(cfg).await.unwrap();
        let mut stream = tokio::net::TcpStream::connect(d.addr()).await.unwrap();
        stream
            .write_all(b"POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(20),
            stream.read_to_end(&mut raw),
        )
        .await
        .expect("the 401 closes the connection")
        .unwrap();
        let mock = split_http(&raw);
        assert_eq!(mock.status, 401, "{profile}");
        let names = |h: &Http| h.headers.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&mock), names(&real), "{profile}");
        assert_eq!(
            String::from_utf8_lossy(&mock.body),
            String::from_utf8_lossy(&real.body),
            "{profile}: the page is the firmware's"
        );
        d.shutdown().await;
    }
}

/// Serves `responses[i]` to the i-th request (GET, no body), on one
/// keep-alive connection or several.
async fn serve_in_order(responses: Vec<Vec<u8>>) -> std::net::SocketAddr {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let responses = Arc::new(responses);
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            // Without this, Nagle holds the second write until the first is
            // acknowledged, adding a delayed-ACK pause to every response.
            let _ = stream.set_nodelay(true);
            let responses = responses.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut pending = Vec::new();
                loop {
                    while !pending.windows(4).any(|w| w == b"\r\n\r\n") {
                        let mut buf = [0u8; 2048];
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                        }
                    }
                    let end = pending.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    pending.drain(..end);
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(reply) = responses.get(i) else {
                        return;
                    };
                    // Head and body in separate writes, so the body's first
                    // chunk does not always ride with the headers.
                    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    if stream.write_all(&reply[..split]).await.is_err()
                        || stream.flush().await.is_err()
                        || stream.write_all(&reply[split..]).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
async fn real_chunked_wire_bytes_through_the_transport_at_every_split() {
    let Some(dir) = captures_dir() else { return };
    let wire = read(
        &dir,
        "http/200-chunked-AMT_GeneralSettings-Get-amt15.0.23-rps.txt",
    );
    let http = split_http(&wire);
    let head_end = wire.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = &wire[..head_end];
    // First the firmware's own framing byte for byte, then the body cut in
    // two chunks at every offset.
    let mut responses = vec![wire.clone()];
    for at in 0..=http.body.len() {
        let mut reply = head.to_vec();
        reply.extend_from_slice(&rechunk(&http.body, at));
        responses.push(reply);
    }
    let count = responses.len();
    let addr = serve_in_order(responses).await;
    let transport = amtready::wsman::HttpTransport::standalone(&Default::default()).unwrap();
    let endpoint = amtready::wsman::Endpoint::http("127.0.0.1", addr.port());
    let limits = amtready::wsman::CallLimits::default();
    let expected = GeneralSettings::from_element(
        parse_response(&http.body, Some("0"))
            .unwrap()
            .payload()
            .unwrap(),
    )
    .unwrap();
    for i in 0..count {
        let raw = amtready::wsman::get(&transport, &endpoint, "/", &limits)
            .await
            .unwrap();
        assert_eq!(raw.body, http.body, "response {i}");
        let parsed = interpret(raw, |b| parse_response(b, Some("0"))).unwrap();
        let settings = GeneralSettings::from_element(parsed.payload().unwrap()).unwrap();
        assert_eq!(settings, expected, "response {i}");
    }
}

/// Rebinds every prefix of a document to another one of its prefixes
/// (rotated), so that e.g. `g:` now means what `h:` meant.
fn rotate_prefixes(doc: &str) -> String {
    let mut prefixes: Vec<String> = doc
        .match_indices("xmlns:")
        .filter_map(|(i, _)| {
            let rest = &doc[i + 6..];
            rest.find('=').map(|end| rest[..end].to_owned())
        })
        .collect();
    prefixes.sort();
    prefixes.dedup();
    let mut out = doc.to_owned();
    // Two phases through unique placeholders, so a rename never collides.
    for (i, p) in prefixes.iter().enumerate() {
        let tmp = format!("tmp{i}zz");
        for (from, to) in [
            (format!("xmlns:{p}="), format!("xmlns:{tmp}=")),
            (format!("<{p}:"), format!("<{tmp}:")),
            (format!("</{p}:"), format!("</{tmp}:")),
            (format!(" {p}:"), format!(" {tmp}:")),
            (format!(">{p}:"), format!(">{tmp}:")),
        ] {
            out = out.replace(&from, &to);
        }
    }
    for (i, _) in prefixes.iter().enumerate() {
        let tmp = format!("tmp{i}zz");
        let new = &prefixes[(i + 1) % prefixes.len()];
        out = out.replace(&format!("{tmp}:"), &format!("{new}:"));
        out = out.replace(&format!("xmlns:{tmp}="), &format!("xmlns:{new}="));
    }
    out
}

/// QName-valued text keeps its (now different) prefix; what must match is
/// the namespace it resolves to and the local part.
fn without_qname_prefixes(mut e: amtready::wsman::Element) -> amtready::wsman::Element {
    if e.text_qname_ns.is_some() {
        e.text = e.text_local_name().to_owned();
    }
    e.children = e.children.into_iter().map(without_qname_prefixes).collect();
    e
}

#[test]
#[cfg_attr(
    amt_captures_missing,
    ignore = "no AMT captures: ../shared/captures or AMTREADY_CAPTURES_DIR"
)]
fn rotated_prefixes_parse_to_the_same_tree() {
    let Some(dir) = captures_dir() else { return };
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.join("wsman")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("xml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let rotated = rotate_prefixes(&text);
        assert_ne!(rotated, text, "{}", path.display());
        let original = amtready::wsman::xml::parse(text.as_bytes()).unwrap();
        let renamed = amtready::wsman::xml::parse(rotated.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            without_qname_prefixes(renamed),
            without_qname_prefixes(original),
            "{}",
            path.display()
        );
        // And the typed reading is the same: faults stay faults, etc.
        assert_eq!(
            format!("{:?}", parse_response(rotated.as_bytes(), None)),
            format!("{:?}", parse_response(text.as_bytes(), None)),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 15);
}
