//! Hostile devices: the answers a broken or malicious AMT (or something
//! pretending to be one) sends, so scanners can be tested against them. Each
//! is chosen by a [`Fault`]; `device.rs` decides where in the exchange it
//! strikes, this module writes the bytes.

use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::fault::Fault;
use crate::profile::Profile;

/// Size of the huge RelatesTo and namespace URI: the 3 MiB seen in the field
/// test of issue 13, under the client's default 4 MiB body cap so it is the
/// text, not the cap, that is tested.
pub const HUGE_TEXT: usize = 3 * 1024 * 1024;

/// What hostile devices put in every string property: a colour escape, a
/// fake table row after CR/LF, a bell, a cursor move and a bidi override.
pub const CONTROL_TEXT: &str = "\u{1b}[32mFAKE-LINE ready\r\n\u{7}\u{1b}[2J\u{202e}";

const SOAP12_CONTENT_TYPE: &str = "application/soap+xml; charset=UTF-8";

/// Puts [`CONTROL_TEXT`] into every string property a client prints (build,
/// SKU, host and domain names, DNS suffixes), leaving the version readable.
pub fn poison_profile(profile: &mut Profile) {
    let poison = |s: &str| format!("{s}{CONTROL_TEXT}");
    profile.build = Some(poison(profile.build.as_deref().unwrap_or("")));
    profile.sku = Some(poison(profile.sku.as_deref().unwrap_or("")));
    profile.hostname = poison(&profile.hostname);
    profile.domain = poison(&profile.domain);
    profile.dhcp_dns_suffix = Some(poison(profile.dhcp_dns_suffix.as_deref().unwrap_or("")));
    profile.trusted_dns_suffix = Some(poison(profile.trusted_dns_suffix.as_deref().unwrap_or("")));
}

/// The `WWW-Authenticate` value a Digest fault sends instead of the real one.
pub fn challenge(faults: &[Fault], realm: &str, nonce: &str, stale: bool, qop: &str) -> String {
    let normal =
        |realm: &str, nonce: &str, stale: bool| crate::digest::challenge(realm, nonce, stale, qop);
    for fault in faults {
        return match fault {
            Fault::DigestHugeNonce => normal(realm, &"n".repeat(100 * 1024), stale),
            Fault::DigestUnknownAlgorithm => format!(
                "Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm=SHA-999, qop=\"{qop}\""
            ),
            Fault::DigestNoRealm => format!("Digest nonce=\"{nonce}\",qop=\"{qop}\""),
            Fault::DigestNoNonce => format!("Digest realm=\"{realm}\",qop=\"{qop}\""),
            Fault::DigestNonAsciiRealm => normal("Digest:Ré∂lm-ÄMT", nonce, stale),
            Fault::DigestStaleForever => normal(realm, nonce, true),
            _ => continue,
        };
    }
    normal(realm, nonce, stale)
}

/// A SOAP 1.2 body that is hostile XML of the fault's kind, if it is one.
pub fn hostile_xml(fault: &Fault) -> Option<String> {
    const ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
    const ADDR: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
    Some(match fault {
        Fault::EntityExpansion => {
            let mut dtd = String::from("<!DOCTYPE a:Envelope [<!ENTITY l0 \"lol\">");
            for i in 1..10 {
                let prev = format!("&l{};", i - 1).repeat(10);
                dtd.push_str(&format!("<!ENTITY l{i} \"{prev}\">"));
            }
            dtd.push(']');
            dtd.push('>');
            format!(
                "<?xml version=\"1.0\"?>{dtd}<a:Envelope xmlns:a=\"{ENV}\"><a:Body><x>&l9;</x></a:Body></a:Envelope>"
            )
        }
        Fault::ExternalEntity => format!(
            "<?xml version=\"1.0\"?><!DOCTYPE a:Envelope [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><a:Envelope xmlns:a=\"{ENV}\"><a:Body><x>&xxe;</x></a:Body></a:Envelope>"
        ),
        Fault::DeepNesting => {
            let depth = 100_000;
            format!(
                "<?xml version=\"1.0\"?><a:Envelope xmlns:a=\"{ENV}\"><a:Body>{}{}</a:Body></a:Envelope>",
                "<x>".repeat(depth),
                "</x>".repeat(depth)
            )
        }
        Fault::HugeRelatesTo => {
            let line = "urn:uuid:00000000-0000-0000-0000-000000000000\n";
            let huge = line.repeat(HUGE_TEXT / line.len());
            format!(
                "<?xml version=\"1.0\"?><a:Envelope xmlns:a=\"{ENV}\" xmlns:b=\"{ADDR}\"><a:Header><b:RelatesTo>{huge}</b:RelatesTo></a:Header><a:Body></a:Body></a:Envelope>"
            )
        }
        Fault::HugeNamespace => {
            let huge = format!("urn:x-{}\n", "n".repeat(HUGE_TEXT));
            format!(
                "<?xml version=\"1.0\"?><a:Envelope xmlns:a=\"{huge}\"><a:Body></a:Body></a:Envelope>"
            )
        }
        _ => return None,
    })
}

/// Labels an answer `text/html` instead of SOAP (the head only is changed).
pub fn wrong_content_type(answer: &[u8]) -> Vec<u8> {
    let from = format!("Content-Type: {SOAP12_CONTENT_TYPE}\r\n");
    let head_end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(answer.len());
    let head = String::from_utf8_lossy(answer.get(..head_end).unwrap_or_default());
    let mut out = head
        .replacen(from.trim_end(), "Content-Type: text/html", 1)
        .into_bytes();
    out.extend_from_slice(answer.get(head_end..).unwrap_or_default());
    out
}

/// Writes `bytes` one a second (a device on its last legs, or a tarpit).
pub async fn trickle<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> std::io::Result<()> {
    for b in bytes {
        stream.write_all(&[*b]).await?;
        stream.flush().await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}

/// A status line and then header lines forever (until the peer goes away).
pub async fn endless_headers<S: AsyncWrite + Unpin>(
    stream: &mut S,
    server: &str,
) -> std::io::Result<()> {
    stream
        .write_all(format!("HTTP/1.1 200 OK\r\nServer: {server}\r\n").as_bytes())
        .await?;
    let line = format!("X-Padding: {}\r\n", "a".repeat(1000));
    loop {
        stream.write_all(line.as_bytes()).await?;
    }
}

/// Something that is not HTTP: a bare page, as an HTTP/0.9 server sends.
pub fn not_http() -> &'static [u8] {
    b"<html><body>\x1b[31mnot a web server\x1b[0m\r\nHTTP/1.1 200 OK lies here</body></html>\r\n"
}

/// A SOAP 200 head announcing a chunked body.
fn chunked_head(server: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nServer: {server}\r\nContent-Type: {SOAP12_CONTENT_TYPE}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
}

/// Head, `Content-Length` of a whole envelope, half of it, then the end of
/// the connection.
pub async fn reset_mid_body<S: AsyncWrite + Unpin>(
    stream: &mut S,
    server: &str,
) -> std::io::Result<()> {
    let body = vec![b' '; 8192];
    let head = format!(
        "HTTP/1.1 200 OK\r\nServer: {server}\r\nContent-Type: {SOAP12_CONTENT_TYPE}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream
        .write_all(body.get(..body.len() / 2).unwrap_or_default())
        .await?;
    stream.flush().await
}

/// A chunked body that stops inside a chunk.
pub async fn truncated_chunked<S: AsyncWrite + Unpin>(
    stream: &mut S,
    server: &str,
) -> std::io::Result<()> {
    stream.write_all(chunked_head(server).as_bytes()).await?;
    stream
        .write_all(b"0400\r\n<?xml version=\"1.0\"?><a:Envelope")
        .await?;
    stream.flush().await
}

/// A chunked body that never ends (until the peer goes away).
pub async fn endless_body<S: AsyncWrite + Unpin>(
    stream: &mut S,
    server: &str,
) -> std::io::Result<()> {
    stream.write_all(chunked_head(server).as_bytes()).await?;
    let filler = vec![b' '; 0x2000];
    loop {
        stream.write_all(b"2000\r\n").await?;
        stream.write_all(&filler).await?;
        stream.write_all(b"\r\n").await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_challenges_differ_from_the_normal_one() {
        let normal = challenge(&[], "Digest:AB", "n1", false, "auth");
        assert!(normal.contains("realm=\"Digest:AB\""));
        for f in [
            Fault::DigestHugeNonce,
            Fault::DigestUnknownAlgorithm,
            Fault::DigestNoRealm,
            Fault::DigestNoNonce,
            Fault::DigestNonAsciiRealm,
            Fault::DigestStaleForever,
        ] {
            assert_ne!(
                challenge(std::slice::from_ref(&f), "Digest:AB", "n1", false, "auth"),
                normal,
                "{f}"
            );
        }
    }

    #[test]
    fn wrong_content_type_changes_the_head_only() {
        let answer = crate::http::soap_response(200, "S", SOAP12_CONTENT_TYPE, b"<x/>");
        let out = String::from_utf8(wrong_content_type(&answer)).unwrap();
        assert!(out.contains("Content-Type: text/html\r\n"), "{out}");
        assert!(out.contains("<x/>"));
    }

    #[test]
    fn hostile_xml_is_what_it_says() {
        let bomb = hostile_xml(&Fault::EntityExpansion).unwrap();
        assert!(bomb.contains("<!ENTITY l9"));
        assert!(hostile_xml(&Fault::HugeRelatesTo).unwrap().len() > HUGE_TEXT);
        assert!(hostile_xml(&Fault::Http500).is_none());
    }
}
