//! Byte-level tests of the mock against what firmware sends, over raw sockets.

use crate::common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::*;
use mock_amt::{
    fleet_addresses, round_robin, start_device, start_fleet, DeviceConfig, DeviceHandle, Fault,
    Profile, DEFAULT_PASSWORD, DEFAULT_USER,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn device(profile: &str) -> DeviceHandle {
    device_with(profile, |_| {}).await
}

async fn device_with(profile: &str, tweak: impl FnOnce(&mut DeviceConfig)) -> DeviceHandle {
    // Raw HTTP over TCP: TLS-only profiles (16.1) are served plain here.
    let mut cfg =
        DeviceConfig::new(Profile::builtin(profile).expect("profile"), local()).without_tls();
    tweak(&mut cfg);
    start_device(cfg).await.expect("start")
}

fn client() -> DigestClient {
    DigestClient::new(DEFAULT_USER, DEFAULT_PASSWORD)
}

async fn get(client: &mut DigestClient, addr: SocketAddr, uri: &str) -> Response {
    client
        .post(
            addr,
            "/wsman",
            "",
            envelope(GET, uri, "uuid:g-1", "").as_bytes(),
        )
        .await
}

#[tokio::test]
async fn get_root_is_the_exact_303_nmap_fingerprints() {
    for (profile, server) in [
        ("amt-7.1", "Intel(R) Active Management Technology 7.1.91"),
        ("amt-11.8", "AMT"),
        ("amt-5.0", "Intel(R) Standard Manageability 5.0.50"),
        ("amt-5.1", "Intel(R) Active Management Technology 5.1"),
        (
            "amt-15.0",
            "Intel(R) Active Management Technology 15.0.41.2142",
        ),
    ] {
        let d = device(profile).await;
        let r = exchange(d.addr(), b"GET / HTTP/1.0\r\n\r\n").await;
        let expected = format!(
            "HTTP/1.1 303 See Other\r\nLocation: /logon.htm\r\nContent-Length: 0\r\nServer: {server}\r\n\r\n"
        );
        assert_eq!(r.head, expected, "{profile}");
        assert!(r.body.is_empty());
        d.shutdown().await;
    }
}

#[tokio::test]
async fn unauthenticated_post_gets_the_firmware_401() {
    for (profile, body_len, qop) in [
        ("amt-5.2.10", 689, "auth"),
        ("amt-11.8", 690, "auth"),
        ("amt-15.0", 693, "auth"),
        ("amt-16.1", 693, "auth-int, auth"),
    ] {
        let d = device(profile).await;
        let p = d.profile().clone();
        let r = exchange(
            d.addr(),
            b"POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        )
        .await;
        assert_eq!(r.status, 401);
        assert_eq!(
            r.header_names(),
            [
                "WWW-Authenticate",
                "Content-Type",
                "Server",
                "Content-Length",
                "Connection"
            ],
            "{profile}"
        );
        assert_eq!(r.header("Content-Type"), Some("text/html"));
        assert_eq!(r.header("Connection"), Some("close"));
        assert_eq!(r.body.len(), body_len, "{profile}");
        assert!(r.text().contains(
            "Log on failed. Incorrect user name or password, or user account temporarily locked."
        ));
        let ch = r.header("WWW-Authenticate").unwrap();
        let prefix = format!("Digest realm=\"{}\", nonce=\"", p.realm);
        assert!(ch.starts_with(&prefix), "{ch}");
        assert!(
            ch.ends_with(&format!("\",stale=\"false\",qop=\"{qop}\"")),
            "{ch}"
        );
        let nonce = parse_challenge(ch).nonce;
        assert_eq!(nonce.len(), 32, "24 bytes in base64");
        assert_eq!(d.stats().auth_challenges, 1);
        assert_eq!(
            d.stats().failed_auth,
            0,
            "a bare challenge is not a failed login"
        );
        d.shutdown().await;
    }
}

#[tokio::test]
async fn wrong_password_counts_and_locks_and_lock_looks_the_same() {
    let d = device_with("amt-7.1", |c| {
        c.lockout_threshold = 3;
        c.lockout_duration = Duration::from_secs(600);
    })
    .await;
    let mut bad = DigestClient::new(DEFAULT_USER, "not-the-password");
    let uri = format!("{AMT}AMT_GeneralSettings");
    for n in 1..=3u64 {
        let r = get(&mut bad, d.addr(), &uri).await;
        assert_eq!(r.status, 401);
        assert_eq!(d.stats().failed_auth, n);
        bad.challenge = None;
    }
    let s = d.stats();
    assert!(s.locked);
    assert_eq!(s.lockouts, 1);
    // The right password is refused while locked, with the same page.
    let mut good = client();
    let r = get(&mut good, d.addr(), &uri).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body.len(), 689);
    assert_eq!(d.stats().failed_auth, 4);
    d.shutdown().await;
}

/// Intel's documented back-off by default: ten successive failures lock
/// (for 5 s at first), nine do not.
#[tokio::test]
async fn default_lockout_starts_after_ten_failures() {
    let d = device("amt-15.0").await;
    let mut bad = DigestClient::new(DEFAULT_USER, "not-the-password");
    let uri = format!("{AMT}AMT_GeneralSettings");
    for _ in 1..=9 {
        let r = get(&mut bad, d.addr(), &uri).await;
        assert_eq!(r.status, 401);
        bad.challenge = None;
        assert!(!d.stats().locked);
    }
    let r = get(&mut bad, d.addr(), &uri).await;
    assert_eq!(r.status, 401);
    let s = d.stats();
    assert!(s.locked, "the tenth failure locks");
    assert_eq!(s.lockouts, 1);
    let r = get(&mut client(), d.addr(), &uri).await;
    assert_eq!(r.status, 401, "the right password waits out the lock");
    d.shutdown().await;
}

#[tokio::test]
async fn expired_nonce_gets_stale_true_and_nonce_reuse_works() {
    // Nonce lifetime zero: every nonce is expired by the time it is used.
    let d = device_with("amt-8.1", |c| c.nonce_lifetime = Duration::ZERO).await;
    let uri = format!("{AMT}AMT_GeneralSettings");
    let first = exchange(
        d.addr(),
        b"POST /wsman HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    let mut c = client();
    c.challenge = Some(parse_challenge(first.header("WWW-Authenticate").unwrap()));
    let body = envelope(GET, &uri, "uuid:s-1", "");
    let req = format!(
        "POST /wsman HTTP/1.1\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n{body}",
        c.authorization("POST", "/wsman", body.as_bytes()).unwrap(),
        body.len()
    );
    let r = exchange(d.addr(), req.as_bytes()).await;
    assert_eq!(r.status, 401);
    assert!(parse_challenge(r.header("WWW-Authenticate").unwrap()).stale);
    assert_eq!(d.stats().stale_nonces, 1);
    assert_eq!(
        d.stats().failed_auth,
        0,
        "a stale nonce is not a failed login"
    );
    d.shutdown().await;

    // With a normal lifetime one nonce serves many requests with nc counting up,
    // and a replayed nc is refused.
    let d = device("amt-8.1").await;
    let mut c = client();
    for _ in 0..4 {
        assert_eq!(get(&mut c, d.addr(), &uri).await.status, 200);
    }
    assert_eq!(
        d.stats().auth_challenges,
        1,
        "one challenge, then nonce reuse"
    );
    c.nc -= 1;
    let r = exchange(
        d.addr(),
        format!(
            "POST /wsman HTTP/1.1\r\nAuthorization: {}\r\nContent-Length: 0\r\n\r\n",
            c.authorization("POST", "/wsman", b"").unwrap()
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(d.stats().replays, 1);
    d.shutdown().await;
}

#[tokio::test]
async fn auth_int_and_chunked_request_bodies_and_full_url_uri_are_accepted() {
    let d = device("amt-16.1").await;
    let uri = format!("{AMT}AMT_GeneralSettings");
    let body = envelope(GET, &uri, "uuid:ai-1", "");
    let mut c = client();
    c.auth_int = true;
    let r = c.post(d.addr(), "/wsman", "", body.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Chunked request body with a full-URL digest uri.
    let full = format!("http://{}/wsman", d.addr());
    c.auth_int = false;
    let auth = c.authorization("POST", &full, body.as_bytes()).unwrap();
    let (a, b) = body.split_at(100);
    let req = format!(
        "POST /wsman HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        d.addr(),
        a.len(),
        b.len()
    );
    let r = exchange(d.addr(), req.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<g:HostName>nb-amt161</g:HostName>"));
    d.shutdown().await;
}

#[tokio::test]
async fn get_answers_mirror_the_firmware_envelope_and_framing() {
    let d = device("amt-15.0").await;
    let mut c = client();
    let r = c
        .post(
            d.addr(),
            "/wsman",
            "",
            envelope(
                GET,
                &format!("{AMT}AMT_GeneralSettings"),
                "uuid:relate-me",
                "",
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header_names(),
        [
            "Date",
            "Server",
            "X-Frame-Options",
            "Content-Type",
            "Transfer-Encoding"
        ]
    );
    assert_eq!(
        r.header("Content-Type"),
        Some("application/soap+xml; charset=UTF-8")
    );
    // Chunk sizes: 4 uppercase hex digits, first 0x220, split mid-token.
    let raw = String::from_utf8(r.raw_body.clone()).unwrap();
    assert!(raw.starts_with("0220\r\n"), "{}", &raw[..10]);
    assert!(raw.contains("\r\n02FA\r\n"));
    assert!(raw.ends_with("\r\n0\r\n\r\n"));
    let text = r.text();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:b="));
    assert!(text.contains("<b:RelatesTo>uuid:relate-me</b:RelatesTo>"));
    assert!(text.contains("<b:MessageID>uuid:00000000-8086-8086-8086-"));
    let order = [
        "<b:To>",
        "<b:RelatesTo>",
        "<b:Action a:mustUnderstand=\"true\">",
        "<b:MessageID>",
        "<c:ResourceURI>",
    ];
    let pos: Vec<usize> = order.iter().map(|t| text.find(t).unwrap()).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "header order");
    // Properties in ASCII order: uppercase before lowercase.
    let a = text.find("<g:AMTNetworkEnabled>").unwrap();
    let b = text.find("<g:DDNSUpdateEnabled>").unwrap();
    let c2 = text.find("<g:DHCPv6ConfigurationTimeout>").unwrap();
    let e = text.find("<g:DigestRealm>").unwrap();
    assert!(a < b && b < c2 && c2 < e);
    assert!(
        !text.contains("> <") && !text.contains(">\n<"),
        "no whitespace between elements"
    );
    // Keep-alive on 200: a second request on the same socket is answered.
    let body = envelope(GET, &format!("{AMT}AMT_GeneralSettings"), "uuid:k", "");
    let mut s = TcpStream::connect(d.addr()).await.unwrap();
    let mut buf = Vec::new();
    for _ in 0..2 {
        let req = format!(
            "POST /wsman HTTP/1.1\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n{body}",
            c.authorization("POST", "/wsman", b"").unwrap(),
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let r = tokio::time::timeout(DEADLINE, read_response(&mut s, &mut buf))
            .await
            .unwrap();
        assert_eq!(r.status, 200);
    }
    d.shutdown().await;
}

#[tokio::test]
async fn class_contents_follow_the_release() {
    let d81 = device("amt-8.1").await;
    let d15 = device("amt-15.0").await;
    let d62 = device("amt-6.2").await;
    let d52 = device("amt-5.2.10").await;
    let gs = format!("{AMT}AMT_GeneralSettings");
    let r81 = get(&mut client(), d81.addr(), &gs).await.text();
    let r15 = get(&mut client(), d15.addr(), &gs).await.text();
    assert!(!r81.contains("AMTNetworkEnabled"));
    assert!(r15.contains("<g:AMTNetworkEnabled>1</g:AMTNetworkEnabled>"));
    let ips = format!("{IPS}IPS_HostBasedSetupService");
    let r = get(&mut client(), d62.addr(), &ips).await.text();
    assert!(r.contains("<g:AllowedControlModes>2</g:AllowedControlModes><g:AllowedControlModes>1</g:AllowedControlModes>"));
    assert!(r.contains("<g:CurrentControlMode>2</g:CurrentControlMode>"));
    // IPS_HostBasedSetupService does not exist before 6.1.
    let r = get(&mut client(), d52.addr(), &ips).await;
    assert_eq!(r.status, 400);
    let sc = format!("{AMT}AMT_SetupAndConfigurationService");
    let r = get(&mut client(), d52.addr(), &sc).await.text();
    assert!(r.contains("<g:ProvisioningState>0</g:ProvisioningState>"));
    assert!(r.contains("<g:TrustedDNSSuffix>corp.example.com</g:TrustedDNSSuffix>"));
    for d in [d81, d15, d62, d52] {
        d.shutdown().await;
    }
}

#[tokio::test]
async fn paging_honours_max_elements_for_every_page_size() {
    let d = device("amt-15.0").await;
    let p = d.profile().clone();
    let hashes = p.cert_hashes.as_ref().unwrap().count as usize;
    for (uri, total) in [
        (format!("{CIM}CIM_SoftwareIdentity"), p.software.len()),
        (format!("{AMT}AMT_ProvisioningCertificateHash"), hashes),
    ] {
        for max in [1, 2, 3, 7, total, 999] {
            let mut c = client();
            let (pages, pulls) = enumerate_all(&mut c, d.addr(), &uri, max).await;
            let class = uri.rsplit('/').next().unwrap();
            let items: usize = pages
                .iter()
                .map(|r| r.text().matches(&format!("<h:{class}>")).count())
                .sum();
            assert_eq!(items, total, "{uri} max {max}");
            assert_eq!(pulls, total.div_ceil(max), "{uri} max {max}");
            for page in &pages[..pages.len() - 1] {
                assert_eq!(page.text().matches(&format!("<h:{class}>")).count(), max);
            }
        }
    }
    // The AMT entry carries the profile's version.
    let (pages, _) = enumerate_all(
        &mut client(),
        d.addr(),
        &format!("{CIM}CIM_SoftwareIdentity"),
        999,
    )
    .await;
    let t = pages[0].text();
    assert!(t.contains(&format!("<h:InstanceID>AMT</h:InstanceID><h:IsEntity>true</h:IsEntity><h:VersionString>{}</h:VersionString>", p.version)));
    d.shutdown().await;
}

#[tokio::test]
async fn empty_enumeration_gives_empty_items_and_end_of_sequence() {
    let d = device_with("amt-7.1", |c| c.profile.cert_hashes = None).await;
    let (pages, pulls) = enumerate_all(
        &mut client(),
        d.addr(),
        &format!("{AMT}AMT_ProvisioningCertificateHash"),
        5,
    )
    .await;
    assert_eq!(pulls, 1);
    assert!(pages[0]
        .text()
        .contains("<g:Items></g:Items><g:EndOfSequence></g:EndOfSequence>"));
    d.shutdown().await;
}

#[tokio::test]
async fn faults_for_unknown_class_action_and_context() {
    let d = device("amt-7.1").await;
    let mut c = client();
    let r = get(&mut c, d.addr(), &format!("{AMT}AMT_NoSuchClass")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("Connection"), Some("close"));
    assert_eq!(r.header("Transfer-Encoding"), Some("chunked"));
    let t = r.text();
    assert!(
        t.contains("<a:Value>b:DestinationUnreachable</a:Value>"),
        "{t}"
    );
    assert!(t.contains("xmlns:b=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""));
    assert!(t.contains("<b:RelatesTo>uuid:g-1</b:RelatesTo>"));
    assert!(!t.contains("ResourceURI"));

    let r = c
        .post(
            d.addr(),
            "/wsman",
            "",
            envelope(
                "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete",
                &format!("{AMT}AMT_GeneralSettings"),
                "uuid:x",
                "",
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("b:ActionNotSupported"));

    let r = c
        .post(
            d.addr(),
            "/wsman",
            "",
            envelope(
                PULL,
                &format!("{CIM}CIM_SoftwareIdentity"),
                "uuid:y",
                &pull_body("99000000-0000-0000-0000-000000000000", 5),
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("c:InvalidEnumerationContext"));
    d.shutdown().await;
}

#[tokio::test]
async fn old_firmware_generations() {
    // AMT 3.0: WS-Man answers but lacks CIM_SoftwareIdentity; EOI gives the version.
    let d = device("amt-3.0").await;
    let mut c = client();
    let r = get(&mut c, d.addr(), &format!("{CIM}CIM_SoftwareIdentity")).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("DestinationUnreachable"));
    let r = get(
        &mut c,
        d.addr(),
        &format!("{AMT}AMT_SetupAndConfigurationService"),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = eoi_call(
        &mut c,
        d.addr(),
        "SecurityAdministration",
        "GetCoreVersion",
        '#',
    )
    .await;
    assert!(
        r.contains("<s0:StatusCode>0</s0:StatusCode><s0:Version>3.0.2</s0:Version>"),
        "{r}"
    );
    d.shutdown().await;

    // AMT 2.6: no WS-Man at all.
    let d = device("amt-2.6").await;
    let r = exchange(
        d.addr(),
        b"POST /wsman HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert_eq!(r.status, 404);
    let r = eoi_call(
        &mut client(),
        d.addr(),
        "NetworkAdministration",
        "GetHostName",
        '/',
    )
    .await;
    assert!(
        r.contains("<s0:StatusCode>0</s0:StatusCode><s0:HostName>ws-amt26</s0:HostName>"),
        "{r}"
    );
    d.shutdown().await;

    // AMT 11.8: no EOI any more.
    let d = device("amt-11.8").await;
    let r = exchange(
        d.addr(),
        b"POST /RemoteControlService HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert_eq!(r.status, 404);
    d.shutdown().await;
}

async fn eoi_call(
    c: &mut DigestClient,
    addr: SocketAddr,
    service: &str,
    method: &str,
    sep: char,
) -> String {
    let ns = format!("http://schemas.intel.com/platform/client/{service}/2004/01");
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><{method} xmlns=\"{ns}\"/></soap:Body></soap:Envelope>"
    );
    let headers =
        format!("SOAPAction: \"{ns}{sep}{method}\"\r\nContent-Type: text/xml; charset=utf-8\r\n");
    let r = c
        .post(
            addr,
            &format!("/{service}Service"),
            &headers,
            body.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

#[tokio::test]
async fn eoi_answers_in_amttool_order() {
    let d = device("amt-7.1").await;
    let mut c = client();
    let r = eoi_call(
        &mut c,
        d.addr(),
        "RemoteControl",
        "GetSystemPowerState",
        '#',
    )
    .await;
    assert!(
        r.contains("<b:Status>0</b:Status><b:SystemPowerState>0</b:SystemPowerState>"),
        "{r}"
    );
    let r = eoi_call(
        &mut c,
        d.addr(),
        "RemoteControl",
        "GetRemoteControlCapabilities",
        '#',
    )
    .await;
    let order = [
        "Status>",
        "IanaOemNumber>343",
        "OemDefinedCapabilities>",
        "SpecialCommandsSupported>",
        "SystemCapabilitiesSupported>",
        "SystemFirmwareCapabilities>",
    ];
    let pos: Vec<usize> = order.iter().map(|t| r.find(t).unwrap()).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{r}");
    let r = eoi_call(
        &mut c,
        d.addr(),
        "NetworkAdministration",
        "GetDomainName",
        '#',
    )
    .await;
    assert!(
        r.contains("<b:StatusCode>0</b:StatusCode><b:DomainName>corp.example.com</b:DomainName>")
    );
    d.shutdown().await;
}

#[tokio::test]
async fn identify_needs_credentials() {
    let d = device("amt-11.8").await;
    let body = "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\"><s:Header/><s:Body><i:Identify/></s:Body></s:Envelope>";
    let r = exchange(
        d.addr(),
        format!(
            "POST /wsman HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(r.status, 401);
    let r = client().post(d.addr(), "/wsman", "", body.as_bytes()).await;
    assert_eq!(r.status, 200);
    assert!(r
        .text()
        .contains("<b:ProductVersion>AMT 11.8.55</b:ProductVersion>"));
    d.shutdown().await;
}

/// MAAS routes on `wsman identify`'s ProductVersion (<= 8: amttool), so
/// 8.x and older answer it too; 3.0, before DSP0226 1.0, does not.
#[tokio::test]
async fn identify_is_answered_from_3_2_including_8x_and_older() {
    let body = "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\"><s:Header/><s:Body><i:Identify/></s:Body></s:Envelope>";
    for (profile, version) in [
        ("amt-3.2.1", Some("3.2.1")),
        ("amt-5.2.10", Some("5.2.10")),
        ("amt-8.1", Some("8.1.40")),
        ("amt-3.0", None),
    ] {
        let d = device(profile).await;
        let r = client().post(d.addr(), "/wsman", "", body.as_bytes()).await;
        match version {
            Some(v) => {
                assert_eq!(r.status, 200, "{profile}: {}", r.text());
                assert!(
                    r.text()
                        .contains(&format!("<b:ProductVersion>AMT {v}</b:ProductVersion>")),
                    "{profile}: {}",
                    r.text()
                );
            }
            None => {
                assert_eq!(r.status, 400, "{profile}");
                assert!(r.text().contains("ActionNotSupported"), "{}", r.text());
            }
        }
        d.shutdown().await;
    }
}

#[tokio::test]
async fn injected_faults() {
    let gs = format!("{AMT}AMT_GeneralSettings");
    // close: the connection ends before any byte.
    let d = device_with("amt-7.1", |c| c.faults = vec![Fault::CloseImmediately]).await;
    let mut s = TcpStream::connect(d.addr()).await.unwrap();
    let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n").await;
    let mut buf = Vec::new();
    let n = tokio::time::timeout(DEADLINE, s.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0);
    d.shutdown().await;

    // stall: nothing comes back (we wait 2 s; a stall never answers, so this cannot flake).
    let d = device_with("amt-7.1", |c| c.faults = vec![Fault::Stall]).await;
    let mut s = TcpStream::connect(d.addr()).await.unwrap();
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
    let mut one = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_secs(2), s.read(&mut one))
            .await
            .is_err()
    );
    d.shutdown().await;

    // answer-level faults after a successful login
    for (fault, check) in [
        (Fault::Http500, 500u16),
        (Fault::EmptyBadRequest, 400),
        (Fault::MalformedXml, 200),
        (Fault::OversizedBody(300_000), 200),
    ] {
        let d = device_with("amt-7.1", |c| c.faults = vec![fault.clone()]).await;
        let r = get(&mut client(), d.addr(), &gs).await;
        assert_eq!(r.status, check, "{fault}");
        match fault {
            Fault::EmptyBadRequest => {
                assert_eq!(r.header_names(), ["Date", "Server", "Content-Length"]);
                assert_eq!(r.header("Content-Length"), Some("0"));
            }
            Fault::MalformedXml => assert!(!r.text().contains("</a:Envelope>")),
            Fault::OversizedBody(n) => assert!(r.body.len() >= n),
            _ => {}
        }
        assert_eq!(d.stats().failed_auth, 0);
        d.shutdown().await;
    }

    // missing class
    let d = device_with("amt-15.0", |c| {
        c.faults = vec![Fault::MissingClass("AMT_GeneralSettings".into())]
    })
    .await;
    let r = get(&mut client(), d.addr(), &gs).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("DestinationUnreachable"));
    d.shutdown().await;
}

#[tokio::test]
async fn non_loopback_listen_is_refused() {
    let cfg = DeviceConfig::new(
        Profile::builtin("amt-7.1").unwrap(),
        "0.0.0.0:0".parse().unwrap(),
    );
    let err = start_device(cfg).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(fleet_addresses(Ipv4Addr::new(10, 0, 0, 1), 2).is_err());
    assert!(fleet_addresses(Ipv4Addr::new(127, 255, 255, 250), 10).is_err());
}

#[tokio::test]
async fn a_fleet_on_many_loopback_addresses_in_one_runtime() {
    let addrs = fleet_addresses(Ipv4Addr::new(127, 77, 0, 1), 40).unwrap();
    let profiles: Vec<Profile> = Profile::builtin_names()
        .into_iter()
        .filter_map(Profile::builtin)
        .collect();
    let configs = round_robin(&addrs, 0, &profiles)
        .into_iter()
        .map(DeviceConfig::without_tls)
        .collect();
    let fleet = start_fleet(configs).await.unwrap();
    assert_eq!(fleet.devices.len(), 40);
    for d in &fleet.devices {
        let r = exchange(d.addr(), b"GET / HTTP/1.0\r\n\r\n").await;
        assert_eq!(r.header("Server"), Some(d.profile().server_header.as_str()));
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn every_profile_serves_its_version() {
    for name in Profile::builtin_names() {
        let d = device(name).await;
        let p = d.profile().clone();
        let mut c = client();
        if p.has_wsman() && p.has_class("CIM_SoftwareIdentity") {
            let (pages, _) =
                enumerate_all(&mut c, d.addr(), &format!("{CIM}CIM_SoftwareIdentity"), 999).await;
            assert!(
                pages[0]
                    .text()
                    .contains(&format!("<h:VersionString>{}</h:VersionString>", p.version)),
                "{name}"
            );
            let r = get(
                &mut c,
                d.addr(),
                &format!("{AMT}AMT_SetupAndConfigurationService"),
            )
            .await;
            assert!(
                r.text().contains(&format!(
                    "<g:ProvisioningState>{}</g:ProvisioningState>",
                    p.provisioning_state()
                )),
                "{name}"
            );
        }
        if p.has_eoi() {
            let r = eoi_call(
                &mut c,
                d.addr(),
                "SecurityAdministration",
                "GetCoreVersion",
                '#',
            )
            .await;
            assert!(r.contains(&format!("Version>{}</", p.version)), "{name}");
        }
        d.shutdown().await;
    }
}

/// A malformed envelope gets a SOAP fault (wsman:SchemaValidationError), not
/// a bare 400, and a fault goes out as one chunk, as in the 400 capture.
#[tokio::test]
async fn a_malformed_envelope_is_a_schema_validation_fault_in_one_chunk() {
    let d = device("amt-15.0").await;
    let r = client()
        .post(d.addr(), "/wsman", "", b"<a:Envelope><unclosed>")
        .await;
    assert_eq!(r.status, 400);
    let text = r.text();
    assert!(text.contains("e:SchemaValidationError"), "{text}");
    assert!(
        text.contains("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"),
        "{text}"
    );
    let raw = String::from_utf8_lossy(&r.raw_body).into_owned();
    let first_line = raw.split("\r\n").next().unwrap_or_default();
    let size = usize::from_str_radix(first_line, 16).unwrap();
    assert_eq!(size, text.len(), "one chunk holds the whole fault: {raw:?}");
    d.shutdown().await;
}

/// Intel AMT supports no WS-Management options: an OptionSet marked
/// mustUnderstand gets a SOAP MustUnderstand fault (Intel's DSP0226
/// compliance notes, "OptionSet Support"); one sent without it is ignored.
#[tokio::test]
async fn an_option_set_that_must_be_understood_is_refused() {
    let d = device("amt-11.8").await;
    let mut c = client();
    let uri = format!("{AMT}AMT_GeneralSettings");
    let with_options = |must_understand: &str, id: &str| {
        envelope(GET, &uri, id, "").replace(
            "</env:Header>",
            &format!(
                "<wm:OptionSet{must_understand}><wm:Option Name=\"x\">1</wm:Option></wm:OptionSet></env:Header>"
            ),
        )
    };
    let r = c
        .post(
            d.addr(),
            "/wsman",
            "",
            with_options(" env:mustUnderstand=\"true\"", "uuid:opt-1").as_bytes(),
        )
        .await;
    assert_eq!(r.status, 400);
    let t = r.text();
    assert!(t.contains("<a:Value>a:MustUnderstand</a:Value>"), "{t}");
    assert!(!t.contains("a:Subcode"), "{t}");
    assert!(t.contains("<b:RelatesTo>uuid:opt-1</b:RelatesTo>"), "{t}");

    let r = c
        .post(
            d.addr(),
            "/wsman",
            "",
            with_options("", "uuid:opt-2").as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("AMT_GeneralSettings"));
    d.shutdown().await;
}

/// amtc's `-d -I` (WS-Man power state, AMT 9+): an Enumerate with
/// OptimizeEnumeration and MaxElements 250 for a one-instance class, then
/// always a Pull of the context it was given, which must answer 200 with
/// PowerState. Firmware answers the optimized Enumerate with a context only.
#[tokio::test]
async fn optimized_enumerate_then_pull_as_amtc_does() {
    let uri = format!("{CIM}CIM_AssociatedPowerManagementService");
    let optimized = "<en:Enumerate><wm:OptimizeEnumeration/><wm:EnumerationMode>EnumerateObjectAndEPR</wm:EnumerationMode><wm:MaxElements>250</wm:MaxElements></en:Enumerate>";
    for profile in ["amt-7.1", "amt-8.1", "amt-15.0", "amt-16.1"] {
        let d = device(profile).await;
        let mut c = client();
        let r = c
            .post(
                d.addr(),
                "/wsman",
                "Content-Type: application/soap+xml;charset=UTF-8\r\n",
                envelope(ENUMERATE, &uri, "uuid:e-1", optimized).as_bytes(),
            )
            .await;
        assert_eq!(r.status, 200, "{profile}: {}", r.text());
        let text = r.text();
        assert!(
            text.contains("<g:EnumerateResponse><g:EnumerationContext>"),
            "{profile}: amtc finds the context by this prefix: {text}"
        );
        assert!(!text.contains("PowerState"), "{profile}: no items: {text}");
        assert!(!text.contains("EndOfSequence"), "{profile}: {text}");
        let ctx = element_text(&text, "EnumerationContext").expect("context");
        let r = c
            .post(
                d.addr(),
                "/wsman",
                "Content-Type: application/soap+xml;charset=UTF-8\r\n",
                envelope(PULL, &uri, "uuid:p-1", &pull_body(&ctx, 250)).as_bytes(),
            )
            .await;
        assert_eq!(r.status, 200, "{profile}: {}", r.text());
        assert!(
            r.text().contains("<h:PowerState>2</h:PowerState>"),
            "{profile}: {}",
            r.text()
        );
        assert!(r.text().contains("EndOfSequence"), "{profile}");
        d.shutdown().await;
    }
}

/// A profile that models a service implementing DSP0226's optimization puts
/// the items in the EnumerateResponse and ends the sequence there.
#[tokio::test]
async fn optimized_enumeration_when_a_profile_implements_it() {
    let d = device_with("amt-15.0", |c| c.profile.optimized_enumeration = true).await;
    let uri = format!("{CIM}CIM_AssociatedPowerManagementService");
    let r = client()
        .post(
            d.addr(),
            "/wsman",
            "Content-Type: application/soap+xml;charset=UTF-8\r\n",
            envelope(
                ENUMERATE,
                &uri,
                "uuid:e-1",
                "<en:Enumerate><wm:OptimizeEnumeration/><wm:MaxElements>250</wm:MaxElements></en:Enumerate>",
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    assert!(text.contains("<h:PowerState>2</h:PowerState>"), "{text}");
    assert!(text.contains("<c:EndOfSequence"), "{text}");
    d.shutdown().await;
}
