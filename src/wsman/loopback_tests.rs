//! The transport and session against a scripted loopback server: Digest
//! exchanges, nonce reuse, stale nonces, wrong passwords, limits, framing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::testserver::*;
use super::*;

const PASSWORD: &str = "Corr3ct!";
const CLASS_URI: &str = "urn:test:Class";

fn creds(password: &str) -> Credentials {
    Credentials {
        user: "admin".into(),
        password: Password::new(password),
    }
}

fn transport() -> Arc<HttpTransport> {
    Arc::new(HttpTransport::new(Arc::new(tls::Connector::plain(
        Duration::from_secs(5),
    ))))
}

fn session(server: &TestServer, password: &str) -> Session {
    Session::new(
        transport(),
        server.endpoint(),
        Arc::new(DigestAuth::new(creds(password))),
        "/wsman",
        EnvelopeOptions::default(),
    )
}

fn limits() -> CallLimits {
    CallLimits {
        deadline: Duration::from_secs(10),
        body_cap: 1024 * 1024,
    }
}

fn get_answer(relates_to: &str) -> String {
    soap_envelope(
        relates_to,
        &format!(r#"<c:Class xmlns:c="{CLASS_URI}"><c:Name>ok</c:Name></c:Class>"#),
    )
}

/// Issues a challenge to unsigned requests and answers signed ones that
/// verify, with nonce `N1` only.
fn digest_device() -> impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static {
    |req, _| match verify_digest(req, PASSWORD) {
        None if req.header("authorization").is_none() => {
            Reply::BytesThenClose(challenge("N1", false))
        }
        None => Reply::BytesThenClose(challenge("N1", false)),
        Some((nonce, _)) if nonce == "N1" => Reply::Bytes(soap_ok(&get_answer(&message_id(req)))),
        Some(_) => Reply::BytesThenClose(challenge("N1", false)),
    }
}

#[tokio::test]
async fn digest_401_then_200_and_nonce_reuse_with_increasing_nc() {
    let server = TestServer::start(digest_device()).await;
    let s = session(&server, PASSWORD);
    let first = s.get(CLASS_URI, &[], &limits()).await.unwrap();
    assert_eq!(first.child_text(CLASS_URI, "Name"), Some("ok"));
    s.get(CLASS_URI, &[], &limits()).await.unwrap();

    let seen = server.recorded();
    assert_eq!(seen.len(), 3, "one challenge, then two signed requests");
    assert!(seen[0].header("authorization").is_none());
    assert_eq!(verify_digest(&seen[1], PASSWORD), Some(("N1".into(), 1)));
    assert_eq!(verify_digest(&seen[2], PASSWORD), Some(("N1".into(), 2)));
    assert_eq!(seen[1].path, "/wsman");
    assert!(seen[1]
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/soap+xml")));
}

#[tokio::test]
async fn stale_nonce_is_renewed_once() {
    // N1 is good for one request, then reported stale; N2 works.
    let server = TestServer::start(|req, _| match verify_digest(req, PASSWORD) {
        None => Reply::BytesThenClose(challenge("N1", false)),
        Some((n, 1)) if n == "N1" => Reply::Bytes(soap_ok(&get_answer(&message_id(req)))),
        Some((n, _)) if n == "N1" => Reply::BytesThenClose(challenge("N2", true)),
        Some(_) => Reply::Bytes(soap_ok(&get_answer(&message_id(req)))),
    })
    .await;
    let s = session(&server, PASSWORD);
    s.get(CLASS_URI, &[], &limits()).await.unwrap();
    s.get(CLASS_URI, &[], &limits()).await.unwrap();
    let seen = server.recorded();
    assert_eq!(seen.len(), 4);
    assert_eq!(verify_digest(&seen[2], PASSWORD), Some(("N1".into(), 2)));
    assert_eq!(verify_digest(&seen[3], PASSWORD), Some(("N2".into(), 1)));
}

#[tokio::test]
async fn endless_stale_answers_are_not_followed() {
    let server = TestServer::start(|req, i| match verify_digest(req, PASSWORD) {
        None => Reply::BytesThenClose(challenge("N0", false)),
        Some(_) => Reply::BytesThenClose(challenge(&format!("N{i}"), true)),
    })
    .await;
    let s = session(&server, PASSWORD);
    let err = s.get(CLASS_URI, &[], &limits()).await.unwrap_err();
    assert_eq!(err, Error::AuthFailed);
    // Unsigned, signed, one stale renewal: never more.
    assert_eq!(server.recorded().len(), 3);
}

#[tokio::test]
async fn wrong_password_reaches_the_device_exactly_once() {
    let server = TestServer::start(digest_device()).await;
    let s = session(&server, "wrong-password");
    let err = s.get(CLASS_URI, &[], &limits()).await.unwrap_err();
    assert_eq!(err, Error::AuthFailed);
    let seen = server.recorded();
    let signed = seen
        .iter()
        .filter(|r| r.header("authorization").is_some())
        .count();
    assert_eq!(signed, 1, "exactly one failed attempt");
    assert_eq!(seen.len(), 2);
    assert!(!format!("{err} {err:?} {s:?}").contains("wrong-password"));
}

#[tokio::test]
async fn body_over_the_cap_is_refused() {
    let big = "x".repeat(10_000);
    let server = TestServer::start(move |_, _| {
        Reply::Bytes(http(
            "200 OK",
            &[("Content-Type", "text/plain")],
            big.as_bytes(),
        ))
    })
    .await;
    let t = transport();
    let small = CallLimits {
        deadline: Duration::from_secs(10),
        body_cap: 1000,
    };
    let err = transport::get(t.as_ref(), &server.endpoint(), "/", &small)
        .await
        .unwrap_err();
    assert_eq!(err, Error::BodyTooLarge(1000));

    // The same with chunked framing, where no length is announced.
    let body = vec![b'y'; 10_000];
    let server =
        TestServer::start(move |_, _| Reply::Pieces(chunked_pieces(&body, &[3000, 6000]))).await;
    let err = transport::get(t.as_ref(), &server.endpoint(), "/", &small)
        .await
        .unwrap_err();
    assert_eq!(err, Error::BodyTooLarge(1000));
}

#[tokio::test]
async fn stalled_device_hits_the_deadline() {
    let server = TestServer::start(|_, _| Reply::Stall).await;
    let t = transport();
    let short = CallLimits {
        deadline: Duration::from_millis(500),
        body_cap: 1000,
    };
    let started = Instant::now();
    let err = transport::get(t.as_ref(), &server.endpoint(), "/", &short)
        .await
        .unwrap_err();
    assert_eq!(err, Error::Timeout(Duration::from_millis(500)));
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test]
async fn refused_connection_is_unreachable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = transport::get(
        transport().as_ref(),
        &Endpoint::http("127.0.0.1", addr.port()),
        "/",
        &limits(),
    )
    .await
    .unwrap_err();
    assert_eq!(err, Error::ConnectionRefused);
}

#[tokio::test]
async fn chunked_answer_split_mid_token_parses() {
    let server = TestServer::start(|req, _| match verify_digest(req, PASSWORD) {
        None => Reply::BytesThenClose(challenge("N1", false)),
        Some(_) => {
            let body = get_answer(&message_id(req)).into_bytes();
            // Split inside `<a:Hea|der>`, inside the namespace URI, and in `</a:En|velope>`.
            let header = body.windows(6).position(|w| w == b"<a:Hea").unwrap() + 6;
            let ns = body.windows(6).position(|w| w == b"soap-e").unwrap() + 3;
            let end = body.len() - 5;
            let mut cuts = vec![ns, header, end];
            cuts.sort_unstable();
            Reply::Pieces(chunked_pieces(&body, &cuts))
        }
    })
    .await;
    let s = session(&server, PASSWORD);
    let item = s.get(CLASS_URI, &[], &limits()).await.unwrap();
    assert_eq!(item.child_text(CLASS_URI, "Name"), Some("ok"));
}

#[tokio::test]
async fn relates_to_mismatch_on_the_wire_is_a_protocol_error() {
    let server = TestServer::start(|req, _| match verify_digest(req, PASSWORD) {
        None => Reply::BytesThenClose(challenge("N1", false)),
        Some(_) => Reply::Bytes(soap_ok(&get_answer("uuid:someone-else"))),
    })
    .await;
    let err = session(&server, PASSWORD)
        .get(CLASS_URI, &[], &limits())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
}

#[tokio::test]
async fn faults_and_empty_400_are_typed() {
    let server = TestServer::start(|req, i| match verify_digest(req, PASSWORD) {
        None => Reply::BytesThenClose(challenge("N1", false)),
        Some(_) if i == 1 => Reply::Bytes(http("400 Bad Request", &[], b"")),
        Some(_) => {
            let fault = soap_envelope(
                &message_id(req),
                r#"<a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>b:DestinationUnreachable</a:Value></a:Subcode></a:Code><a:Reason><a:Text xml:lang="en-US">No route</a:Text></a:Reason><a:Detail></a:Detail></a:Fault>"#,
            );
            Reply::Bytes(http(
                "400 Bad Request",
                &[("Content-Type", "application/soap+xml; charset=UTF-8")],
                fault.as_bytes(),
            ))
        }
    })
    .await;
    let s = session(&server, PASSWORD);
    let err = s.get(CLASS_URI, &[], &limits()).await.unwrap_err();
    assert_eq!(err, Error::EmptyBadRequest);
    let err = s.get(CLASS_URI, &[], &limits()).await.unwrap_err();
    let Error::Fault(f) = err else {
        panic!("expected a fault, got {err:?}")
    };
    assert_eq!(f.subcode.as_deref(), Some("DestinationUnreachable"));
    assert_eq!(
        f.subcode_ns.as_deref(),
        Some(crate::wsman::envelope::NS_ADDRESSING)
    );
}

/// An EnumerateResponse that hands out `context` and no items, as AMT does.
fn enumerate_answer(relates_to: &str, context: &str) -> String {
    soap_envelope(
        relates_to,
        &format!(
            r#"<g:EnumerateResponse xmlns:g="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><g:EnumerationContext>{context}</g:EnumerationContext></g:EnumerateResponse>"#
        ),
    )
}

fn pull_answer(relates_to: &str, context: Option<&str>, values: &[u32], end: bool) -> String {
    let mut body = String::from(
        r#"<g:PullResponse xmlns:g="http://schemas.xmlsoap.org/ws/2004/09/enumeration">"#,
    );
    if let Some(c) = context {
        body.push_str(&format!("<g:EnumerationContext>{c}</g:EnumerationContext>"));
    }
    body.push_str("<g:Items>");
    for v in values {
        body.push_str(&format!(
            r#"<h:Class xmlns:h="{CLASS_URI}"><h:N>{v}</h:N></h:Class>"#
        ));
    }
    body.push_str("</g:Items>");
    if end {
        body.push_str("<g:EndOfSequence></g:EndOfSequence>");
    }
    body.push_str("</g:PullResponse>");
    soap_envelope(relates_to, &body)
}

fn enumeration_context_of(req: &Recorded) -> Option<String> {
    let root = xml::parse(&req.body).ok()?;
    root.child(envelope::NS_SOAP12, "Body")?
        .child(envelope::NS_ENUMERATION, "Pull")?
        .child_text(envelope::NS_ENUMERATION, "EnumerationContext")
        .map(str::to_owned)
}

#[tokio::test]
async fn many_pulls_follow_the_context_until_end_of_sequence() {
    let server = TestServer::start(|req, _| {
        if verify_digest(req, PASSWORD).is_none() {
            return Reply::BytesThenClose(challenge("N1", false));
        }
        let id = message_id(req);
        let answer = match enumeration_context_of(req).as_deref() {
            None => enumerate_answer(&id, "C0"),
            Some("C0") => pull_answer(&id, Some("C1"), &[1, 2], false),
            // No new context: the old one still holds, forever.
            Some("C1") => pull_answer(&id, None, &[3], false),
            _ => pull_answer(&id, None, &[], true),
        };
        Reply::Bytes(soap_ok(&answer))
    })
    .await;
    // A device that never says EndOfSequence is cut off at max_pages.
    let s = session(&server, PASSWORD).with_max_pages(3);
    let err = s.enumerate(CLASS_URI, &limits()).await.unwrap_err();
    assert!(
        matches!(err, Error::Protocol(ref m) if m.contains("did not end")),
        "{err:?}"
    );

    let server = TestServer::start(|req, _| {
        if verify_digest(req, PASSWORD).is_none() {
            return Reply::BytesThenClose(challenge("N1", false));
        }
        let id = message_id(req);
        let answer = match enumeration_context_of(req).as_deref() {
            None => enumerate_answer(&id, "C0"),
            Some("C0") => pull_answer(&id, Some("C1"), &[1, 2], false),
            Some("C1") => pull_answer(&id, Some("C2"), &[], false),
            Some("C2") => pull_answer(&id, None, &[3], true),
            _ => pull_answer(&id, None, &[], true),
        };
        Reply::Bytes(soap_ok(&answer))
    })
    .await;
    let items = session(&server, PASSWORD)
        .enumerate(CLASS_URI, &limits())
        .await
        .unwrap();
    let values: Vec<&str> = items
        .iter()
        .filter_map(|i| i.child_text(CLASS_URI, "N"))
        .collect();
    assert_eq!(values, ["1", "2", "3"]);
    // Enumerate + 3 Pulls + the initial challenge.
    assert_eq!(server.recorded().len(), 5);
}

#[tokio::test]
async fn endless_enumeration_is_bounded_by_the_deadline() {
    let pulls = Arc::new(AtomicUsize::new(0));
    let counter = pulls.clone();
    let server = TestServer::start(move |req, _| {
        if verify_digest(req, PASSWORD).is_none() {
            return Reply::BytesThenClose(challenge("N1", false));
        }
        counter.fetch_add(1, Ordering::SeqCst);
        let id = message_id(req);
        match enumeration_context_of(req) {
            None => Reply::Bytes(soap_ok(&enumerate_answer(&id, "C"))),
            // Slow pages that never end.
            Some(_) => Reply::Delayed(
                Duration::from_millis(50),
                soap_ok(&pull_answer(&id, Some("C"), &[1], false)),
            ),
        }
    })
    .await;
    let short = CallLimits {
        deadline: Duration::from_millis(700),
        body_cap: 1024 * 1024,
    };
    let started = Instant::now();
    let err = session(&server, PASSWORD)
        .enumerate(CLASS_URI, &short)
        .await
        .unwrap_err();
    assert_eq!(err, Error::Timeout(Duration::from_millis(700)));
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(pulls.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn device_closing_without_answering_is_a_reset() {
    let server = TestServer::start(|_, _| Reply::BytesThenClose(Vec::new())).await;
    let err = transport::get(transport().as_ref(), &server.endpoint(), "/", &limits())
        .await
        .unwrap_err();
    assert_eq!(err, Error::ConnectionReset);

    // Closed halfway through a body that announced its length.
    let server = TestServer::start(|_, _| {
        let mut bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".to_vec();
        bytes.extend_from_slice(b"only ten b");
        Reply::BytesThenClose(bytes)
    })
    .await;
    let err = transport::get(transport().as_ref(), &server.endpoint(), "/", &limits())
        .await
        .unwrap_err();
    assert_eq!(err, Error::ConnectionReset);
}

/// A device that drops every kept-alive connection after one answer, with
/// the close reaching the client only after it wrote the next request: the
/// first loss teaches the host's transport to stop reusing, so the
/// enumeration's one restart succeeds instead of losing the same race again.
#[tokio::test]
async fn a_device_dropping_kept_alive_connections_is_read_on_fresh_ones() {
    let server = TestServer::start(|req, _| {
        if verify_digest(req, PASSWORD).is_none() {
            return Reply::BytesThenClose(challenge("N1", false));
        }
        let id = message_id(req);
        let answer = match enumeration_context_of(req).as_deref() {
            None => enumerate_answer(&id, "C0"),
            _ => pull_answer(&id, None, &[7], true),
        };
        Reply::FirstOnConnection(soap_ok(&answer))
    })
    .await;
    let s = session(&server, PASSWORD);
    for _ in 0..3 {
        let items = s.enumerate(CLASS_URI, &limits()).await.unwrap();
        let values: Vec<&str> = items
            .iter()
            .filter_map(|i| i.child_text(CLASS_URI, "N"))
            .collect();
        assert_eq!(values, ["7"]);
    }
}

#[tokio::test]
async fn a_handed_connection_the_read_does_not_start_on_is_closed_at_once() {
    use tokio::io::AsyncReadExt;
    let device = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = device.local_addr().unwrap();
    let (stream, accepted) = tokio::join!(tokio::net::TcpStream::connect(addr), device.accept());
    let (mut device_side, _) = accepted.unwrap();
    let transport = transport();
    transport.adopt(transport::Preconnected {
        addr,
        stream: stream.unwrap(),
    });
    // The read starts on another port (where nothing listens), not on the
    // handed connection: the device must see that connection close then,
    // not when the host's read ends.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere = closed.local_addr().unwrap();
    drop(closed);
    let err = transport::get(
        transport.as_ref(),
        &Endpoint::http("127.0.0.1", elsewhere.port()),
        "/",
        &limits(),
    )
    .await
    .unwrap_err();
    assert_eq!(err, Error::ConnectionRefused);
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), device_side.read(&mut byte))
        .await
        .expect("the handed connection is closed, not held");
    assert_eq!(read.unwrap(), 0, "closed without a byte written");
    drop(transport);
}
