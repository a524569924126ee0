//! HTTP/1.1 client framing on a connection the transport owns: one request
//! written, one response read, with httparse (hyper's own parser) for the
//! head and the chunk-size lines.
//!
//! Why not hyper's client: every hyper connection holds a request queue
//! block, an 8 KiB write buffer and an 8–16 KiB adaptive read buffer, plus a
//! task of its own, none of them configurable; with 1,000 hosts in flight
//! that was 30 MiB of a 55 MiB heap. Here a connection at rest holds only its
//! socket, and an exchange one read buffer that starts at 4 KiB and grows only
//! for an unusually long head. A host's requests are strictly sequential, so
//! hyper's pipelining, upgrades and background dispatch bought nothing.
//!
//! Every read is bounded: the head by [`MAX_HEAD`] and [`MAX_HEADERS`], a
//! chunk-size line by `MAX_CHUNK_LINE`, the trailers by `MAX_TRAILERS`, the
//! body by the caller's cap; time is the caller's deadline.

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Error;

/// The longest response head accepted, as hyper's default (8 KiB + 100 × 4 KiB):
/// a hostile 100 KiB Digest nonce must reach the Digest parser and be judged
/// there, while an endless header block stops.
pub const MAX_HEAD: usize = 8 * 1024 + 100 * 4 * 1024;
/// The most response headers accepted (hyper's default too).
pub const MAX_HEADERS: usize = 100;
/// The longest chunk-size line (size plus extensions).
const MAX_CHUNK_LINE: usize = 4 * 1024;
/// The most trailer bytes after the last chunk.
const MAX_TRAILERS: usize = 16 * 1024;
/// The read buffer an exchange starts with: an AMT head is under 1 KiB and a
/// chunk under 2 KiB, so one or two reads of this size carry most answers.
const INITIAL_BUFFER: usize = 4 * 1024;
/// The most of a declared Content-Length reserved before the body arrives:
/// AMT's largest answers (a Pull page of certificate hashes) are well under
/// it, and a device that merely claims 4 MiB gets nothing before it sends.
const MAX_BODY_RESERVE: usize = 64 * 1024;

/// A response's status line and headers.
#[derive(Debug, PartialEq, Eq)]
pub struct Head {
    /// The status code.
    pub status: StatusCode,
    /// `HTTP/1.1` (not 1.0).
    pub http11: bool,
    /// The headers, in the order sent.
    pub headers: HeaderMap,
}

/// One response as read.
#[derive(Debug, PartialEq, Eq)]
pub struct Exchanged {
    /// Status line and headers.
    pub head: Head,
    /// The body, de-chunked (empty when it was not read).
    pub body: Vec<u8>,
    /// The connection ended the message cleanly and may carry another
    /// request: HTTP/1.1, no `Connection: close`, a delimited body read in
    /// full, and nothing after it.
    pub reusable: bool,
}

/// A failed exchange, and whether the device had sent any byte of an answer
/// (a reused connection that died silently may carry a read-only request
/// once more on a fresh one).
#[derive(Debug, PartialEq, Eq)]
pub struct Failed {
    /// Why (boxed: failures are rare, and an exchange's result stays small).
    pub error: Box<Error>,
    /// Some byte of an answer had arrived.
    pub answered: bool,
}

/// The request head as bytes on the wire: request line, `host`, the
/// caller's headers, `content-length` where there is a body. The body goes
/// out after it from the caller's own buffer (see `exchange`), never copied.
pub(super) fn encode_head(
    method: &Method,
    path: &str,
    authority: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<u8>, Error> {
    if path.is_empty() || !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Protocol(
            "the request path is not a valid origin-form target".into(),
        ));
    }
    let host = HeaderValue::from_str(authority)
        .map_err(|_| Error::Protocol("the host is not a valid Host header".into()))?;
    let mut out = Vec::with_capacity(160 + headers.len() * 48);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if is_framing(name) {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || method == Method::POST || method == Method::PUT {
        out.extend_from_slice(b"content-length: ");
        out.extend_from_slice(body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

/// Headers the framing owns: a caller's copy would contradict what is sent.
fn is_framing(name: &HeaderName) -> bool {
    name == http::header::HOST
        || name == http::header::CONTENT_LENGTH
        || name == http::header::TRANSFER_ENCODING
}

/// Writes `head` and `body` in one write (vectored where the connection
/// takes that, so the body is not copied) and reads one response. With `read_body` false it returns after the
/// head, and the connection is not reusable.
pub(super) async fn exchange<S: AsyncRead + AsyncWrite + Unpin + ?Sized>(
    stream: &mut S,
    head: &[u8],
    body: &[u8],
    read_body: bool,
    body_cap: usize,
) -> Result<Exchanged, Failed> {
    let unanswered = |error| Failed {
        error: Box::new(error),
        answered: false,
    };
    let written = if stream.is_write_vectored() {
        let mut request = bytes::Buf::chain(head, body);
        // Through `&mut S`, which is sized where `S` (a boxed connection) is not.
        AsyncWriteExt::write_all_buf(&mut &mut *stream, &mut request).await
    } else {
        // One write all the same (the legacy TLS stream has no vectored
        // writes): head and body in one TLS record, as before.
        let mut request = Vec::with_capacity(head.len() + body.len());
        request.extend_from_slice(head);
        request.extend_from_slice(body);
        stream.write_all(&request).await
    };
    written.map_err(|e| unanswered(io_error(&e)))?;
    stream.flush().await.map_err(|e| unanswered(io_error(&e)))?;
    let mut reader = Reader {
        stream,
        buf: Vec::with_capacity(INITIAL_BUFFER),
        pos: 0,
        received: 0,
    };
    let result = reader.response(read_body, body_cap).await;
    result.map_err(|error| Failed {
        error: Box::new(error),
        answered: reader.received > 0,
    })
}

/// Whether an idle connection still looks open: nothing arrived on it while
/// it waited (no EOF, no error, no unasked-for bytes). Polled once, never
/// waits. A device that closes it a moment later is caught by the retry rules.
pub(super) fn still_open<S: AsyncRead + Unpin + ?Sized>(stream: &mut S) -> bool {
    let mut probe = [0u8; 1];
    futures_util::FutureExt::now_or_never(stream.read(&mut probe)).is_none()
}

/// Reads one response from bytes already received, `piece` bytes per read
/// (at least 1), as `exchange` would from a device that sent them and then
/// closed: what the fuzz target drives the reader with.
pub fn read_answer(answer: &[u8], piece: usize, body_cap: usize) -> Result<Exchanged, Error> {
    read_pieces(answer, piece, body_cap).map_err(|failed| *failed.error)
}

fn read_pieces(answer: &[u8], piece: usize, body_cap: usize) -> Result<Exchanged, Failed> {
    let mut stream = Pieces {
        answer,
        at: 0,
        piece: piece.max(1),
    };
    let exchanged = futures_util::FutureExt::now_or_never(exchange(
        &mut stream,
        b"GET / HTTP/1.1\r\n\r\n",
        b"",
        true,
        body_cap,
    ));
    // `Pieces` is always ready, so the exchange never waits.
    exchanged.unwrap_or(Err(Failed {
        error: Box::new(Error::Http(
            "the in-memory answer was not read at once".into(),
        )),
        answered: false,
    }))
}

/// A connection that delivers `answer` in reads of at most `piece` bytes,
/// then EOF, and takes whatever is written. It never waits.
struct Pieces<'a> {
    answer: &'a [u8],
    at: usize,
    piece: usize,
}

impl AsyncRead for Pieces<'_> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let end = self
            .at
            .saturating_add(self.piece.min(buf.remaining()))
            .min(self.answer.len());
        buf.put_slice(self.answer.get(self.at..end).unwrap_or(&[]));
        self.at = end;
        std::task::Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Pieces<'_> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

struct Reader<'s, S: ?Sized> {
    stream: &'s mut S,
    /// Bytes read; those before `pos` are consumed.
    buf: Vec<u8>,
    pos: usize,
    received: u64,
}

enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

impl<S: AsyncRead + Unpin + ?Sized> Reader<'_, S> {
    fn pending(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    fn consume(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.buf.len());
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
    }

    /// Reads more bytes after those pending; `Ok(0)` is EOF.
    async fn fill(&mut self) -> Result<usize, Error> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        if self.buf.capacity() - self.buf.len() < 512 {
            // Doubling: only a head longer than the buffer grows it, since
            // body bytes are moved out as they arrive.
            self.buf.reserve(self.buf.len().max(INITIAL_BUFFER));
        }
        let n = self
            .stream
            .read_buf(&mut self.buf)
            .await
            .map_err(|e| io_error(&e))?;
        self.received += n as u64;
        Ok(n)
    }

    /// Reads more, where EOF means the device closed mid-message.
    async fn fill_or_reset(&mut self) -> Result<(), Error> {
        match self.fill().await? {
            0 => Err(Error::ConnectionReset),
            _ => Ok(()),
        }
    }

    async fn response(&mut self, read_body: bool, body_cap: usize) -> Result<Exchanged, Error> {
        let head = self.head().await?;
        if !read_body {
            return Ok(Exchanged {
                head,
                body: Vec::new(),
                reusable: false,
            });
        }
        let framing = framing(&head)?;
        let mut body = Vec::new();
        let delimited = match framing {
            Framing::Empty => true,
            Framing::Length(len) => {
                if len > body_cap as u64 {
                    return Err(Error::BodyTooLarge(body_cap));
                }
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                body.reserve_exact(len.min(MAX_BODY_RESERVE));
                self.copy_exact(&mut body, len).await?;
                true
            }
            Framing::Chunked => {
                self.chunked(&mut body, body_cap).await?;
                true
            }
            Framing::UntilClose => {
                self.until_close(&mut body, body_cap).await?;
                false
            }
        };
        let closing = !head.http11
            || head
                .headers
                .get_all(http::header::CONNECTION)
                .iter()
                .any(|v| {
                    v.to_str().is_ok_and(|s| {
                        s.split(',')
                            .any(|token| token.trim().eq_ignore_ascii_case("close"))
                    })
                });
        // After a 101 the connection speaks another protocol.
        let switched = head.status == StatusCode::SWITCHING_PROTOCOLS;
        let reusable = delimited && !closing && !switched && self.pending().is_empty();
        Ok(Exchanged {
            head,
            body,
            reusable,
        })
    }

    /// The status line and headers; 1xx interim answers are skipped.
    async fn head(&mut self) -> Result<Head, Error> {
        loop {
            let parsed = {
                let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut slots);
                match response.parse(self.pending()) {
                    Ok(httparse::Status::Complete(len)) => Some((len, to_head(&response)?)),
                    Ok(httparse::Status::Partial) => None,
                    Err(httparse::Error::TooManyHeaders) => {
                        return Err(Error::NotHttp(format!(
                            "more than {MAX_HEADERS} response headers"
                        )))
                    }
                    Err(_) if is_tls_record(self.pending()) => return Err(Error::TlsAnswer),
                    Err(e) => return Err(Error::NotHttp(format!("bad response head: {e}"))),
                }
            };
            match parsed {
                Some((len, head)) => {
                    self.consume(len);
                    let interim = head.status.is_informational()
                        && head.status != StatusCode::SWITCHING_PROTOCOLS;
                    if !interim {
                        return Ok(head);
                    }
                }
                None => {
                    if self.pending().len() >= MAX_HEAD {
                        return Err(Error::NotHttp(format!(
                            "the response head is longer than {} KiB",
                            MAX_HEAD / 1024
                        )));
                    }
                    self.fill_or_reset().await?;
                }
            }
        }
    }

    /// Moves exactly `len` body bytes into `body`.
    async fn copy_exact(&mut self, body: &mut Vec<u8>, len: usize) -> Result<(), Error> {
        let mut left = len;
        while left > 0 {
            if self.pending().is_empty() {
                self.fill_or_reset().await?;
            }
            let take = left.min(self.pending().len());
            body.extend_from_slice(self.pending().get(..take).unwrap_or(&[]));
            self.consume(take);
            left -= take;
        }
        Ok(())
    }

    async fn chunked(&mut self, body: &mut Vec<u8>, body_cap: usize) -> Result<(), Error> {
        loop {
            let size = loop {
                match httparse::parse_chunk_size(self.pending()) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        self.consume(used);
                        break size;
                    }
                    Ok(httparse::Status::Partial) => {
                        if self.pending().len() > MAX_CHUNK_LINE {
                            return Err(Error::Http("chunk-size line too long".into()));
                        }
                        self.fill_or_reset().await?;
                    }
                    Err(_) => return Err(Error::Http("invalid chunk size".into())),
                }
            };
            if size == 0 {
                return self.trailers().await;
            }
            let room = body_cap.saturating_sub(body.len()) as u64;
            if size > room {
                return Err(Error::BodyTooLarge(body_cap));
            }
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            self.copy_exact(body, size).await?;
            while self.pending().len() < 2 {
                self.fill_or_reset().await?;
            }
            if self.pending().get(..2) != Some(b"\r\n") {
                return Err(Error::Http("a chunk does not end with CRLF".into()));
            }
            self.consume(2);
        }
    }

    /// Reads and drops the trailer section after the last chunk.
    async fn trailers(&mut self) -> Result<(), Error> {
        loop {
            let mut slots = [httparse::EMPTY_HEADER; 16];
            match httparse::parse_headers(self.pending(), &mut slots) {
                Ok(httparse::Status::Complete((used, _))) => {
                    self.consume(used);
                    return Ok(());
                }
                Ok(httparse::Status::Partial) => {
                    if self.pending().len() > MAX_TRAILERS {
                        return Err(Error::Http("trailers too long".into()));
                    }
                    self.fill_or_reset().await?;
                }
                Err(e) => return Err(Error::Http(format!("bad trailers: {e}"))),
            }
        }
    }

    /// A body delimited by the device closing the connection.
    async fn until_close(&mut self, body: &mut Vec<u8>, body_cap: usize) -> Result<(), Error> {
        loop {
            let chunk = self.pending();
            if body.len().saturating_add(chunk.len()) > body_cap {
                return Err(Error::BodyTooLarge(body_cap));
            }
            body.extend_from_slice(chunk);
            let n = chunk.len();
            self.consume(n);
            if self.fill().await? == 0 {
                return Ok(());
            }
        }
    }
}

fn to_head(response: &httparse::Response<'_, '_>) -> Result<Head, Error> {
    let code = response.code.unwrap_or(0);
    let status = StatusCode::from_u16(code)
        .map_err(|_| Error::NotHttp(format!("invalid status code {code}")))?;
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    for header in response.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| Error::NotHttp("invalid header name".into()))?;
        let value = HeaderValue::from_bytes(header.value)
            .map_err(|_| Error::NotHttp(format!("invalid {name} header value")))?;
        headers.append(name, value);
    }
    Ok(Head {
        status,
        http11: response.version == Some(1),
        headers,
    })
}

/// How the body ends (RFC 9112 §6.3).
fn framing(head: &Head) -> Result<Framing, Error> {
    let status = head.status;
    if status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Ok(Framing::Empty);
    }
    if head.headers.contains_key(http::header::TRANSFER_ENCODING) {
        let last = head
            .headers
            .get_all(http::header::TRANSFER_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|c| !c.is_empty());
        return Ok(match last {
            Some(c) if c.eq_ignore_ascii_case("chunked") => Framing::Chunked,
            _ => Framing::UntilClose,
        });
    }
    let mut length: Option<u64> = None;
    for value in head.headers.get_all(http::header::CONTENT_LENGTH) {
        let text = value
            .to_str()
            .map_err(|_| Error::NotHttp("invalid Content-Length".into()))?;
        for part in text.split(',') {
            let part = part.trim();
            let parsed = (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u64>().ok())
                .flatten()
                .ok_or_else(|| Error::NotHttp("invalid Content-Length".into()))?;
            if length.is_some_and(|l| l != parsed) {
                return Err(Error::NotHttp("conflicting Content-Length headers".into()));
            }
            length = Some(parsed);
        }
    }
    Ok(length.map_or(Framing::UntilClose, Framing::Length))
}

/// Whether an answer starts as a TLS record does (RFC 8446 §5.1: a content
/// type from change_cipher_spec to heartbeat, then major version 3). A TLS
/// listener that is sent plain HTTP answers with an alert or a handshake
/// record; the caller must not take that for "not AMT".
fn is_tls_record(answer: &[u8]) -> bool {
    match answer {
        [content_type, rest @ ..] if (20..=24).contains(content_type) => {
            rest.first().is_none_or(|major| *major == 3)
        }
        _ => false,
    }
}

/// Whether `e` says the device closed or reset the connection, however the
/// OS or the TLS layer put it (a TLS stream without close_notify is an EOF).
pub(crate) fn closed_by_peer(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof
    )
}

/// io errors as the transport reports them: a connection that ended under
/// the exchange is a reset, whichever way the OS or TLS layer said so.
pub(super) fn io_error(e: &std::io::Error) -> Error {
    if closed_by_peer(e) {
        return Error::ConnectionReset;
    }
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => Error::ConnectionRefused,
        _ => Error::Http(super::response::one_line(&e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first chunk of captures/http/200-chunked-*: sizes are 4 uppercase
    /// hex digits and chunks split mid-token.
    const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: Intel(R) Active Management Technology 15.0.23.1706\r\nX-Frame-Options: DENY\r\nContent-Type: application/soap+xml; charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n0006\r\n<a:Hea\r\n0005;x=1\r\nder/>\r\n0\r\n\r\n";

    #[test]
    fn chunked_bodies_reassemble_whatever_the_read_sizes() {
        for piece in [1, 2, 3, 7, 64, 4096] {
            let got = read_pieces(CHUNKED, piece, 1024).unwrap();
            assert_eq!(got.head.status, StatusCode::OK);
            assert_eq!(got.body, b"<a:Header/>", "piece {piece}");
            assert!(got.reusable, "piece {piece}");
        }
    }

    #[test]
    fn a_content_length_body_is_read_exactly() {
        let answer =
            b"HTTP/1.1 303 See Other\r\nLocation: /logon.htm\r\nContent-Length: 5\r\n\r\nhello";
        for piece in [1, 5, 4096] {
            let got = read_pieces(answer, piece, 1024).unwrap();
            assert_eq!(got.body, b"hello");
            assert_eq!(got.head.headers["location"], "/logon.htm");
            assert!(got.reusable);
        }
    }

    #[test]
    fn connection_close_http10_and_close_delimited_bodies_are_not_reused() {
        let cases: [&[u8]; 3] = [
            b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno",
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nno",
            b"HTTP/1.1 200 OK\r\n\r\nno",
        ];
        for answer in cases {
            let got = read_pieces(answer, 3, 1024).unwrap();
            assert_eq!(got.body, b"no");
            assert!(!got.reusable, "{}", String::from_utf8_lossy(answer));
        }
    }

    #[test]
    fn interim_answers_are_skipped() {
        let answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nServer: AMT\r\n\r\n";
        let got = read_pieces(answer, 4096, 1024).unwrap();
        assert_eq!(got.head.status, StatusCode::NO_CONTENT);
        assert!(got.body.is_empty());
        assert!(got.reusable);
        let switched =
            read_pieces(b"HTTP/1.1 101 Switching Protocols\r\n\r\n", 4096, 1024).unwrap();
        assert_eq!(switched.head.status, StatusCode::SWITCHING_PROTOCOLS);
        assert!(!switched.reusable, "the connection left HTTP");
    }

    #[test]
    fn the_body_cap_holds_for_every_framing() {
        let declared = b"HTTP/1.1 200 OK\r\nContent-Length: 4194304\r\n\r\n";
        let err = read_pieces(declared, 4096, 1024).unwrap_err();
        assert_eq!(*err.error, Error::BodyTooLarge(1024));
        let chunk = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\n";
        let err = read_pieces(chunk, 4096, 1024).unwrap_err();
        assert_eq!(*err.error, Error::BodyTooLarge(1024));
        let mut endless = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        endless.extend(std::iter::repeat_n(b'x', 5000));
        let err = read_pieces(&endless, 512, 1024).unwrap_err();
        assert_eq!(*err.error, Error::BodyTooLarge(1024));
    }

    #[test]
    fn an_answer_cut_short_is_a_reset_and_says_whether_bytes_came() {
        let err = read_pieces(b"", 4096, 1024).unwrap_err();
        assert_eq!(*err.error, Error::ConnectionReset);
        assert!(!err.answered);
        let cut = &CHUNKED[..CHUNKED.len() - 20];
        for piece in [1, 4096] {
            let err = read_pieces(cut, piece, 1024).unwrap_err();
            assert_eq!(*err.error, Error::ConnectionReset);
            assert!(err.answered);
        }
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
        let err = read_pieces(short, 4096, 1024).unwrap_err();
        assert_eq!(*err.error, Error::ConnectionReset);
    }

    #[test]
    fn what_is_not_http_is_named_so() {
        let not_http: [&[u8]; 5] = [
            b"SSH-2.0-OpenSSH_9.2\r\n",
            b"<html>hello</html>",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        ];
        for answer in not_http {
            let err = read_pieces(answer, 4096, 1024).unwrap_err();
            assert!(
                matches!(*err.error, Error::NotHttp(_)),
                "{}: {:?}",
                String::from_utf8_lossy(answer),
                err.error
            );
        }
        let mut endless = b"HTTP/1.1 200 OK\r\n".to_vec();
        while endless.len() <= MAX_HEAD {
            endless.extend_from_slice(b"X-Filler: 0123456789\r\n");
        }
        let err = read_pieces(&endless, 4096, 1024).unwrap_err();
        assert!(matches!(*err.error, Error::NotHttp(_)), "{:?}", err.error);
    }

    #[test]
    fn a_tls_record_is_told_apart_from_other_bytes_that_are_not_http() {
        let tls: [&[u8]; 3] = [
            // A fatal protocol_version alert, as a TLS listener sends to "GET".
            b"\x15\x03\x03\x00\x02\x02\x46",
            // A ServerHello record header on its own.
            b"\x16\x03\x01\x00\x4a",
            // One byte so far: a record's content type and nothing HTTP has.
            b"\x15",
        ];
        for answer in tls {
            let err = read_pieces(answer, 4096, 1024).unwrap_err();
            assert_eq!(*err.error, Error::TlsAnswer, "{answer:?}");
        }
        let not_tls: [&[u8]; 3] = [
            b"SSH-2.0-OpenSSH_9.6\r\n",
            b"\x15\x04garbage",
            b"\x00\x03\x03\x00\x02",
        ];
        for answer in not_tls {
            let err = read_pieces(answer, 4096, 1024).unwrap_err();
            assert!(
                matches!(*err.error, Error::NotHttp(_)),
                "{answer:?}: {:?}",
                err.error
            );
        }
    }

    #[test]
    fn a_head_long_with_a_huge_header_value_still_parses() {
        let nonce = "n".repeat(100 * 1024);
        let answer = format!(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"r\", nonce=\"{nonce}\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let got = read_pieces(answer.as_bytes(), 4096, 1024).unwrap();
        assert_eq!(got.head.status, StatusCode::UNAUTHORIZED);
        assert!(got.head.headers["www-authenticate"].len() > 100 * 1024);
    }

    #[test]
    fn bad_chunk_framing_is_an_error() {
        let cases: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nTrailer: x\r\n",
        ];
        for answer in cases {
            assert!(read_pieces(answer, 4096, 1024).is_err());
        }
        let trailers =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nX-T: 1\r\n\r\n";
        let got = read_pieces(trailers, 4096, 1024).unwrap();
        assert_eq!(got.body, b"ab");
        assert!(got.reusable);
    }

    /// What `exchange` writes for a request whose head is `encode_head`'s.
    fn sent(
        method: &Method,
        path: &str,
        host: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let head = encode_head(method, path, host, headers, body)?;
        let answer: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";
        let mut stream = tokio::io::join(answer, Vec::new());
        let exchanged =
            futures_util::FutureExt::now_or_never(exchange(&mut stream, &head, body, true, 1024));
        assert!(matches!(exchanged, Some(Ok(_))), "{exchanged:?}");
        Ok(stream.into_inner().1)
    }

    #[test]
    fn the_request_carries_host_and_length_and_never_a_callers_framing() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/soap+xml"),
        );
        headers.insert(
            http::header::CONTENT_LENGTH,
            HeaderValue::from_static("999"),
        );
        let wire = sent(&Method::POST, "/wsman", "10.0.0.8:16992", &headers, b"<x/>").unwrap();
        let text = String::from_utf8(wire).unwrap();
        assert_eq!(
            text,
            "POST /wsman HTTP/1.1\r\nhost: 10.0.0.8:16992\r\ncontent-type: application/soap+xml\r\ncontent-length: 4\r\n\r\n<x/>"
        );
        let get = sent(&Method::GET, "/", "h", &HeaderMap::new(), b"").unwrap();
        assert_eq!(get, b"GET / HTTP/1.1\r\nhost: h\r\n\r\n");
        assert!(encode_head(&Method::GET, "/a b", "h", &HeaderMap::new(), b"").is_err());
        assert!(encode_head(&Method::GET, "/\r\nX: y", "h", &HeaderMap::new(), b"").is_err());
        assert!(encode_head(&Method::GET, "/", "h\r\nX: y", &HeaderMap::new(), b"").is_err());
    }
}
