//! A tiny raw-socket HTTP + Digest client for byte-level tests of the mock.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous: these tests must not depend on timing luck.
pub const DEADLINE: Duration = Duration::from_secs(20);

pub const NS_ENUM: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header lines in wire order, as sent.
    pub headers: Vec<(String, String)>,
    /// The head exactly as sent, through the blank line.
    pub head: String,
    /// The raw bytes after the head (chunk framing included).
    pub raw_body: Vec<u8>,
    /// The de-chunked body.
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn header_names(&self) -> Vec<&str> {
        self.headers.iter().map(|(n, _)| n.as_str()).collect()
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one response; `buf` keeps bytes already read from `stream`.
pub async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Response {
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = find(buf, b"\r\n\r\n") {
            break p + 4;
        }
        let n = stream.read(&mut tmp).await.expect("read head");
        assert!(
            n > 0,
            "connection closed before a full head: {:?}",
            String::from_utf8_lossy(buf)
        );
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).expect("ASCII head");
    buf.drain(..head_end);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(": ").expect("`Name: value` with one space");
            (n.to_owned(), v.to_owned())
        })
        .collect();
    let mut resp = Response {
        status,
        headers,
        head,
        raw_body: Vec::new(),
        body: Vec::new(),
    };
    if resp
        .header("transfer-encoding")
        .is_some_and(|v| v == "chunked")
    {
        loop {
            let line_end = loop {
                if let Some(p) = find(buf, b"\r\n") {
                    break p;
                }
                let n = stream.read(&mut tmp).await.expect("read chunk size");
                assert!(n > 0, "closed inside chunked body");
                buf.extend_from_slice(&tmp[..n]);
            };
            let size_text = String::from_utf8(buf[..line_end].to_vec()).unwrap();
            let size = usize::from_str_radix(&size_text, 16).expect("hex chunk size");
            while buf.len() < line_end + 2 + size + 2 {
                let n = stream.read(&mut tmp).await.expect("read chunk");
                assert!(n > 0, "closed inside chunk");
                buf.extend_from_slice(&tmp[..n]);
            }
            let total = line_end + 2 + size + 2;
            resp.raw_body.extend_from_slice(&buf[..total]);
            resp.body
                .extend_from_slice(&buf[line_end + 2..line_end + 2 + size]);
            assert_eq!(&buf[total - 2..total], b"\r\n");
            buf.drain(..total);
            if size == 0 {
                break;
            }
        }
    } else {
        let len: usize = resp
            .header("content-length")
            .map(|v| v.parse().unwrap())
            .unwrap_or(0);
        while buf.len() < len {
            let n = stream.read(&mut tmp).await.expect("read body");
            assert!(n > 0, "closed inside body");
            buf.extend_from_slice(&tmp[..n]);
        }
        resp.body = buf.drain(..len).collect();
        resp.raw_body = resp.body.clone();
    }
    resp
}

/// Sends raw bytes on a fresh connection and reads one response.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> Response {
    tokio::time::timeout(DEADLINE, async {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(request).await.unwrap();
        let mut buf = Vec::new();
        read_response(&mut s, &mut buf).await
    })
    .await
    .expect("answer within the deadline")
}

fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The fields of a challenge we need.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub stale: bool,
    pub qop: String,
}

pub fn parse_challenge(value: &str) -> Challenge {
    let field = |name: &str| {
        let start = value
            .find(&format!("{name}=\""))
            .unwrap_or_else(|| panic!("{name} in {value}"))
            + name.len()
            + 2;
        let end = value[start..].find('"').unwrap() + start;
        value[start..end].to_owned()
    };
    Challenge {
        realm: field("realm"),
        nonce: field("nonce"),
        stale: field("stale") == "true",
        qop: field("qop"),
    }
}

/// A Digest client that reuses a nonce with an increasing nc.
pub struct DigestClient {
    pub user: String,
    pub password: String,
    pub challenge: Option<Challenge>,
    pub nc: u32,
    /// Use qop=auth-int (hash the body) instead of auth.
    pub auth_int: bool,
}

impl DigestClient {
    pub fn new(user: &str, password: &str) -> Self {
        DigestClient {
            user: user.into(),
            password: password.into(),
            challenge: None,
            nc: 0,
            auth_int: false,
        }
    }

    pub fn authorization(&mut self, method: &str, uri: &str, body: &[u8]) -> Option<String> {
        let c = self.challenge.as_ref()?;
        self.nc += 1;
        let nc = format!("{:08x}", self.nc);
        let qop = if self.auth_int { "auth-int" } else { "auth" };
        let ha1 = md5_hex(format!("{}:{}:{}", self.user, c.realm, self.password).as_bytes());
        let ha2 = if self.auth_int {
            md5_hex(format!("{method}:{uri}:{}", md5_hex(body)).as_bytes())
        } else {
            md5_hex(format!("{method}:{uri}").as_bytes())
        };
        let cnonce = "0a4f113b";
        let response = md5_hex(format!("{ha1}:{}:{nc}:{cnonce}:{qop}:{ha2}", c.nonce).as_bytes());
        // qop and nc quoted, as AMT accepts (and as meshcmd sends them).
        Some(format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", qop=\"{qop}\", nc=\"{nc}\", cnonce=\"{cnonce}\", response=\"{response}\"",
            self.user, c.realm, c.nonce
        ))
    }

    /// POSTs `body` to `path`, answering one challenge if needed.
    pub async fn post(
        &mut self,
        addr: SocketAddr,
        path: &str,
        extra_headers: &str,
        body: &[u8],
    ) -> Response {
        for _ in 0..3 {
            let auth = self
                .authorization("POST", path, body)
                .map(|a| format!("Authorization: {a}\r\n"))
                .unwrap_or_default();
            let mut req = format!(
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}{extra_headers}Content-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            req.extend_from_slice(body);
            let resp = exchange(addr, &req).await;
            if resp.status != 401 {
                return resp;
            }
            let c = parse_challenge(resp.header("WWW-Authenticate").expect("challenge"));
            let had = self.challenge.is_some();
            self.challenge = Some(c);
            self.nc = 0;
            if had && !self.challenge.as_ref().unwrap().stale {
                return resp;
            }
        }
        panic!("still 401 after answering the challenge");
    }
}

pub const CIM: &str = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";
pub const AMT: &str = "http://intel.com/wbem/wscim/1/amt-schema/1/";
pub const IPS: &str = "http://intel.com/wbem/wscim/1/ips-schema/1/";

/// A WS-Man request envelope with unusual prefixes, as a third-party client might send.
pub fn envelope(action: &str, resource_uri: &str, message_id: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:wa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns:wm=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" xmlns:en=\"{NS_ENUM}\"><env:Header><wa:Action env:mustUnderstand=\"true\">{action}</wa:Action><wa:To env:mustUnderstand=\"true\">/wsman</wa:To><wm:ResourceURI env:mustUnderstand=\"true\">{resource_uri}</wm:ResourceURI><wa:MessageID env:mustUnderstand=\"true\">{message_id}</wa:MessageID><wa:ReplyTo><wa:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wa:Address></wa:ReplyTo></env:Header><env:Body>{body}</env:Body></env:Envelope>"
    )
}

pub const GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
pub const ENUMERATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
pub const PULL: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";

pub fn enumerate_body() -> String {
    "<en:Enumerate></en:Enumerate>".to_owned()
}

pub fn pull_body(context: &str, max: usize) -> String {
    format!("<en:Pull><en:EnumerationContext>{context}</en:EnumerationContext><en:MaxElements>{max}</en:MaxElements></en:Pull>")
}

/// The text of the first element with this local name (prefix-agnostic, for tests).
pub fn element_text(xml: &str, local: &str) -> Option<String> {
    let re_open = format!(":{local}>");
    let start = xml.find(&re_open)? + re_open.len();
    let end = xml[start..].find("</")? + start;
    Some(xml[start..end].to_owned())
}

/// WS-Man session helper: Enumerate then Pull to the end with `max` per page.
/// Returns (pages of item XML, number of Pull requests).
pub async fn enumerate_all(
    client: &mut DigestClient,
    addr: SocketAddr,
    uri: &str,
    max: usize,
) -> (Vec<Response>, usize) {
    let r = client
        .post(
            addr,
            "/wsman",
            "Content-Type: application/soap+xml;charset=UTF-8\r\n",
            envelope(ENUMERATE, uri, "uuid:e-1", &enumerate_body()).as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut ctx = element_text(&r.text(), "EnumerationContext").expect("context");
    let mut pages = Vec::new();
    let mut pulls = 0;
    loop {
        pulls += 1;
        assert!(pulls < 200, "enumeration never ended");
        let r = client
            .post(
                addr,
                "/wsman",
                "",
                envelope(PULL, uri, &format!("uuid:p-{pulls}"), &pull_body(&ctx, max)).as_bytes(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let text = r.text();
        pages.push(r);
        if text.contains("EndOfSequence") {
            assert!(
                !text.contains("EnumerationContext"),
                "last page carries no context"
            );
            break;
        }
        let next =
            element_text(&text, "EnumerationContext").expect("fresh context on a non-final page");
        assert!(
            text.find(":EnumerationContext>").unwrap() < text.find(":Items>").unwrap(),
            "context before Items"
        );
        assert_ne!(next, ctx, "a fresh context on each page");
        ctx = next;
    }
    (pages, pulls)
}
