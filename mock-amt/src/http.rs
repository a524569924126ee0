//! HTTP/1.1 on a raw socket: requests parsed with httparse, responses written
//! byte for byte the way AMT firmware writes them (title-case headers in
//! firmware order, no Date on 303/401, 4-digit uppercase chunk sizes).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest request head we accept; firmware has small fixed buffers too.
pub const MAX_HEAD: usize = 16 * 1024;
/// Largest request body we accept.
pub const MAX_BODY: usize = 512 * 1024;
/// The first chunk of a 200 is this size, as on AMT 15 (0x220).
const FIRST_CHUNK: usize = 0x220;
/// Later chunks are this size (0x2FA seen on AMT 15), so tokens split mid-way.
const NEXT_CHUNK: usize = 0x2FA;

/// Why a request could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The peer closed the connection before a request began.
    #[error("connection closed")]
    Closed,
    /// No complete request arrived within the deadline.
    #[error("request timed out")]
    Timeout,
    /// Head or body over the size limit.
    #[error("request too large")]
    TooLarge,
    /// Not HTTP/1.x, or a body framing we cannot read.
    #[error("malformed request: {0}")]
    Malformed(&'static str),
    /// The socket failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// One parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// HTTP/1.0 or earlier: close after answering unless keep-alive was asked.
    pub http10: bool,
    /// Header names lowercased; values as sent (non-UTF-8 bytes replaced).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the client wants the connection kept open after this request.
    pub fn wants_keep_alive(&self) -> bool {
        let conn = self.header("connection").unwrap_or("").to_ascii_lowercase();
        if self.http10 {
            conn.contains("keep-alive")
        } else {
            !conn.contains("close")
        }
    }
}

/// Reads one request from `stream`, keeping bytes of a pipelined next request
/// in `buf`. Every read is bounded by `deadline` in total.
pub async fn read_request<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    deadline: Duration,
) -> Result<Request, ReadError> {
    match tokio::time::timeout(deadline, read_request_inner(stream, buf)).await {
        Ok(r) => r,
        Err(_) => Err(ReadError::Timeout),
    }
}

async fn fill<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut Vec<u8>) -> Result<usize, ReadError> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    Ok(n)
}

async fn read_request_inner<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> Result<Request, ReadError> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let method = req.method.unwrap_or("").to_owned();
                let path = req.path.unwrap_or("").to_owned();
                let http10 = req.version.unwrap_or(1) == 0;
                let headers: Vec<(String, String)> = req
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_ascii_lowercase(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                buf.drain(..head_len);
                let mut request = Request {
                    method,
                    path,
                    http10,
                    headers,
                    body: Vec::new(),
                };
                let expects_continue = request
                    .header("expect")
                    .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
                if expects_continue && buf.is_empty() && !request.http10 {
                    // curl waits for this before sending a large body.
                    write_all(stream, b"HTTP/1.1 100 Continue\r\n\r\n").await?;
                }
                request.body = read_body(stream, buf, &request).await?;
                return Ok(request);
            }
            Ok(httparse::Status::Partial) => {
                if buf.len() > MAX_HEAD {
                    return Err(ReadError::TooLarge);
                }
                if fill(stream, buf).await? == 0 {
                    return Err(if buf.is_empty() {
                        ReadError::Closed
                    } else {
                        ReadError::Malformed("truncated head")
                    });
                }
            }
            Err(httparse::Error::TooManyHeaders) => return Err(ReadError::TooLarge),
            Err(_) => return Err(ReadError::Malformed("bad request head")),
        }
    }
}

async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    req: &Request,
) -> Result<Vec<u8>, ReadError> {
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return read_chunked(stream, buf).await;
    }
    let len = match req.header("content-length") {
        None => return Ok(Vec::new()),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map_err(|_| ReadError::Malformed("bad Content-Length"))?,
    };
    if len > MAX_BODY {
        return Err(ReadError::TooLarge);
    }
    while buf.len() < len {
        if fill(stream, buf).await? == 0 {
            return Err(ReadError::Malformed("truncated body"));
        }
    }
    Ok(buf.drain(..len).collect())
}

/// Finds `\r\n` in `buf` at or after `from`.
fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + from)
}

async fn read_chunked<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(p) = find_crlf(buf, 0) {
                break p;
            }
            if buf.len() > 1024 {
                return Err(ReadError::Malformed("chunk size line too long"));
            }
            if fill(stream, buf).await? == 0 {
                return Err(ReadError::Malformed("truncated chunk"));
            }
        };
        let line = String::from_utf8_lossy(buf.get(..line_end).unwrap_or(&[])).into_owned();
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| ReadError::Malformed("bad chunk size"))?;
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(ReadError::TooLarge);
        }
        buf.drain(..line_end + 2);
        if size == 0 {
            // Trailers end with an empty line; we read and drop them.
            loop {
                let end = loop {
                    if let Some(p) = find_crlf(buf, 0) {
                        break p;
                    }
                    if buf.len() > MAX_HEAD {
                        return Err(ReadError::TooLarge);
                    }
                    if fill(stream, buf).await? == 0 {
                        return Err(ReadError::Malformed("truncated trailer"));
                    }
                };
                buf.drain(..end + 2);
                if end == 0 {
                    return Ok(body);
                }
            }
        }
        while buf.len() < size + 2 {
            if fill(stream, buf).await? == 0 {
                return Err(ReadError::Malformed("truncated chunk"));
            }
        }
        body.extend(buf.drain(..size));
        if buf.get(..2) != Some(b"\r\n") {
            return Err(ReadError::Malformed("chunk without CRLF"));
        }
        buf.drain(..2);
    }
}

/// An RFC 7231 IMF-fixdate (`Mon, 31 Jan 2022 10:23:04 GMT`) for `t`.
pub fn http_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant), valid for every date a clock can give.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekday = WEEKDAYS
        .get(days.rem_euclid(7) as usize)
        .copied()
        .unwrap_or("Thu");
    let month_name = MONTHS.get((month - 1) as usize).copied().unwrap_or("Jan");
    format!(
        "{weekday}, {day:02} {month_name} {year} {:02}:{:02}:{:02} GMT",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Frames `body` the way AMT does: a 0x220 chunk, then 0x2FA chunks, each size
/// as 4 uppercase hex digits, then the `0` terminator. Splits fall wherever the
/// byte count says, mid-token included.
pub fn chunk_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 64 + 16);
    let mut rest = body;
    let mut size = FIRST_CHUNK;
    while !rest.is_empty() {
        let n = size.min(rest.len());
        let (head, tail) = rest.split_at(n);
        out.extend_from_slice(format!("{n:04X}\r\n").as_bytes());
        out.extend_from_slice(head);
        out.extend_from_slice(b"\r\n");
        rest = tail;
        size = NEXT_CHUNK;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// A 200 or 400 SOAP answer: Date, Server, X-Frame-Options, Content-Type,
/// Transfer-Encoding (and Connection: close for faults), chunked body.
pub fn soap_response(status: u16, server: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let reason = reason(status);
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nDate: {}\r\nServer: {server}\r\nX-Frame-Options: DENY\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n",
        http_date(SystemTime::now())
    );
    if status != 200 {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if status == 200 {
        bytes.extend(chunk_body(body));
    } else {
        // Faults come as one chunk (`04EC` then the whole envelope in
        // captures/http/400-fault-DestinationUnreachable-chunked-body-rps.txt).
        bytes.extend_from_slice(format!("{:04X}\r\n", body.len()).as_bytes());
        bytes.extend_from_slice(body);
        bytes.extend_from_slice(b"\r\n0\r\n\r\n");
    }
    bytes
}

/// A web UI page: 200, Date, Server, Content-Type, Content-Length.
pub fn html_ok(server: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nDate: {}\r\nServer: {server}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
        http_date(SystemTime::now()),
        body.len()
    )
    .into_bytes()
}

/// The 303 to /logon.htm that nmap's AMT fingerprint expects, byte for byte.
pub fn see_other(server: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 303 See Other\r\nLocation: /logon.htm\r\nContent-Length: 0\r\nServer: {server}\r\n\r\n"
    )
    .into_bytes()
}

/// A body-less answer (404, 400, 500): Date, Server, Content-Length: 0, close.
pub fn empty_response(status: u16, server: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\nDate: {}\r\nServer: {server}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        reason(status),
        http_date(SystemTime::now())
    )
    .into_bytes()
}

/// The bare 400 of AMT 12.x (a failed call answered without a SOAP fault):
/// Date, Server, Content-Length: 0 and nothing else.
pub fn bare_bad_request(server: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 400 Bad Request\r\nDate: {}\r\nServer: {server}\r\nContent-Length: 0\r\n\r\n",
        http_date(SystemTime::now())
    )
    .into_bytes()
}

/// The 401: WWW-Authenticate, Content-Type, Server, Content-Length,
/// Connection: close; no Date, no X-Frame-Options.
pub fn unauthorized(challenge: &str, server: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {challenge}\r\nContent-Type: text/html\r\nServer: {server}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request Entity Too Large",
        500 => "Internal Server Error",
        _ => "Error",
    }
}

/// Writes `bytes` and flushes.
pub async fn write_all<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn date_matches_a_known_instant() {
        let t = UNIX_EPOCH + Duration::from_secs(1_643_624_584);
        assert_eq!(http_date(t), "Mon, 31 Jan 2022 10:23:04 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn chunks_are_firmware_sized_and_reassemble() {
        let body: Vec<u8> = (0..2000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let framed = chunk_body(&body);
        let text = String::from_utf8(framed.clone()).unwrap();
        assert!(text.starts_with("0220\r\n"));
        assert!(text.contains("\r\n02FA\r\n"));
        assert!(text.ends_with("\r\n0\r\n\r\n"));
        // 2000 = 0x220 + 0x2FA + rest
        let last = 2000 - 0x220 - 0x2FA;
        assert!(text.contains(&format!("\r\n{last:04X}\r\n")));
    }

    /// A stream whose peer sent `raw` and then closed its sending side.
    async fn peer_sending(raw: &[u8]) -> tokio::io::DuplexStream {
        let (mut peer, ours) = tokio::io::duplex(1 << 20);
        peer.write_all(raw).await.unwrap();
        // Close the peer's sending side but keep draining what we write.
        tokio::spawn(async move {
            peer.shutdown().await.ok();
            let mut sink = Vec::new();
            let _ = peer.read_to_end(&mut sink).await;
        });
        ours
    }

    #[tokio::test]
    async fn expect_100_continue_is_answered_before_the_body() {
        let (mut peer, mut ours) = tokio::io::duplex(1 << 16);
        let server = tokio::spawn(async move {
            let mut buf = Vec::new();
            read_request(&mut ours, &mut buf, Duration::from_secs(20)).await
        });
        peer.write_all(
            b"POST /wsman HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
        )
        .await
        .unwrap();
        let mut interim = [0u8; 25];
        peer.read_exact(&mut interim).await.unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        peer.write_all(b"body").await.unwrap();
        let req = server.await.unwrap().unwrap();
        assert_eq!(req.body, b"body");
    }

    #[tokio::test]
    async fn reads_content_length_chunked_and_pipelined_requests() {
        let raw = b"POST /wsman HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\nGET / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi";
        let mut stream = peer_sending(raw).await;
        let mut buf = Vec::new();
        let a = read_request(&mut stream, &mut buf, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(a.body, b"abcde");
        assert!(a.wants_keep_alive());
        let b = read_request(&mut stream, &mut buf, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!((b.method.as_str(), b.path.as_str()), ("GET", "/"));
        assert_eq!(b.body, b"hi");
        assert!(!b.wants_keep_alive());
        let c = read_request(&mut stream, &mut buf, Duration::from_secs(5)).await;
        assert!(matches!(c, Err(ReadError::Closed)));
    }

    #[tokio::test]
    async fn oversized_bodies_are_refused() {
        let raw = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        let mut stream = peer_sending(raw.as_bytes()).await;
        let mut buf = Vec::new();
        let r = read_request(&mut stream, &mut buf, Duration::from_secs(5)).await;
        assert!(matches!(r, Err(ReadError::TooLarge)));
    }
}
