//! A scripted HTTP/1.1 server on loopback for transport tests: it records
//! every request and answers with bytes the test writes, so tests control
//! framing (chunk splits, stalls, closes) exactly.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What to do with one request.
pub(crate) enum Reply {
    /// Write these bytes; then keep the connection open for the next request.
    Bytes(Vec<u8>),
    /// Write these bytes, then close.
    BytesThenClose(Vec<u8>),
    /// Write these pieces with a flush and a short pause between them, so
    /// the client really receives them separately; then keep open.
    Pieces(Vec<Vec<u8>>),
    /// Wait, then write these bytes; then keep the connection open.
    Delayed(Duration, Vec<u8>),
    /// Say nothing and keep the connection open (a stalled device).
    Stall,
    /// Write these bytes if the request is the connection's first; a later
    /// request on it is read and then the connection closes unanswered (a
    /// device that drops kept-alive connections, seen by a client that
    /// wrote before the close reached it).
    FirstOnConnection(Vec<u8>),
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

/// A running scripted server.
pub(crate) struct TestServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl TestServer {
    /// Starts a server whose handler gets each request and its index (0-based).
    pub(crate) async fn start(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                let recorded = recorded.clone();
                tokio::spawn(serve(stream, handler, recorded));
            }
        });
        Self { addr, requests }
    }

    pub(crate) fn endpoint(&self) -> super::Endpoint {
        super::Endpoint::http(self.addr.ip().to_string(), self.addr.port())
    }

    pub(crate) fn recorded(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, handler: Arc<Handler>, recorded: Arc<Mutex<Vec<Recorded>>>) {
    let mut buf = Vec::new();
    let mut answered_here = 0usize;
    loop {
        let Some(request) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        let index = {
            let mut all = recorded.lock().unwrap();
            all.push(request.clone());
            all.len() - 1
        };
        let reply = handler(&request, index);
        let first_here = answered_here == 0;
        answered_here += 1;
        match reply {
            Reply::Bytes(b) => {
                if stream.write_all(&b).await.is_err() {
                    return;
                }
            }
            Reply::BytesThenClose(b) => {
                let _ = stream.write_all(&b).await;
                let _ = stream.shutdown().await;
                return;
            }
            Reply::Pieces(pieces) => {
                for p in pieces {
                    if stream.write_all(&p).await.is_err() || stream.flush().await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            Reply::Delayed(pause, b) => {
                tokio::time::sleep(pause).await;
                if stream.write_all(&b).await.is_err() {
                    return;
                }
            }
            Reply::FirstOnConnection(b) => {
                if !first_here || stream.write_all(&b).await.is_err() {
                    let _ = stream.shutdown().await;
                    return;
                }
            }
            Reply::Stall => {
                tokio::time::sleep(Duration::from_secs(120)).await;
                return;
            }
        }
    }
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Recorded> {
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let method = start.next()?.to_owned();
    let path = start.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    buf.drain(..head_end + length);
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

/// A complete HTTP/1.1 response with Content-Length.
pub(crate) fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A 401 Digest challenge as AMT sends it (Connection: close).
pub(crate) fn challenge(nonce: &str, stale: bool) -> Vec<u8> {
    let value = format!(
        r#"Digest realm="Digest:0A1B0000000000000000000000000000", nonce="{nonce}",stale="{stale}",qop="auth""#
    );
    http(
        "401 Unauthorized",
        &[
            ("WWW-Authenticate", &value),
            ("Content-Type", "text/html"),
            ("Connection", "close"),
        ],
        b"<html>Log on failed.</html>",
    )
}

/// Checks a request's Digest answer against `password`; returns (nonce, nc).
pub(crate) fn verify_digest(request: &Recorded, password: &str) -> Option<(String, u32)> {
    let value = request.header("authorization")?;
    let parsed = digest_auth::AuthorizationHeader::parse(value).ok()?;
    let mut expected = parsed.clone();
    let context = digest_auth::AuthContext::new_with_method(
        parsed.username.as_str(),
        password,
        parsed.uri.as_str(),
        Some(request.body.as_slice()),
        digest_auth::HttpMethod::from(request.method.clone()),
    );
    expected.digest(&context);
    (expected.response == parsed.response).then(|| (parsed.nonce.clone(), parsed.nc))
}

/// The MessageID of a WS-Management request body.
pub(crate) fn message_id(request: &Recorded) -> String {
    super::xml::parse(&request.body)
        .ok()
        .and_then(|root| {
            root.child(super::envelope::NS_SOAP12, "Header")
                .and_then(|h| h.child_text(super::envelope::NS_ADDRESSING, "MessageID"))
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// A SOAP 1.2 response envelope around `body_xml`, relating to `relates_to`.
pub(crate) fn soap_envelope(relates_to: &str, body_xml: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" xmlns:b="http://schemas.xmlsoap.org/ws/2004/08/addressing">"#,
            "<a:Header><b:RelatesTo>{}</b:RelatesTo></a:Header><a:Body>{}</a:Body></a:Envelope>"
        ),
        relates_to, body_xml
    )
}

/// A 200 SOAP answer.
pub(crate) fn soap_ok(body: &str) -> Vec<u8> {
    http(
        "200 OK",
        &[("Content-Type", "application/soap+xml; charset=UTF-8")],
        body.as_bytes(),
    )
}

/// A 200 answer whose chunked body is split at the given byte offsets.
pub(crate) fn chunked_pieces(body: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut pieces = vec![b"HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml; charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec()];
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&body.len())) {
        let part = &body[start..cut];
        let mut chunk = format!("{:04X}\r\n", part.len()).into_bytes();
        chunk.extend_from_slice(part);
        chunk.extend_from_slice(b"\r\n");
        pieces.push(chunk);
        start = cut;
    }
    pieces.push(b"0\r\n\r\n".to_vec());
    pieces
}
