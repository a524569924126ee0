//! A WS-Management client: envelopes, response parsing, faults,
//! Enumerate/Pull, and the transport seam under them: a [`Transport`] per
//! host (plain, rustls or legacy TLS chosen per endpoint by the scan's
//! [`tls::Connector`]), authentication as a pluggable [`auth::Auth`] (Digest,
//! Basic), and limits on time and size.
//!
//! Nothing here knows about AMT: paths, resource URIs and what the answers
//! mean are the caller's business (see [`crate::amt`]).

pub(crate) mod auth;
pub(crate) mod digest;
pub mod envelope;
#[cfg(test)]
pub(crate) mod fake;
pub mod http1;
pub mod response;
pub(crate) mod session;
pub mod tls;
pub(crate) mod transport;
pub mod xml;

#[cfg(test)]
mod loopback_tests;
#[cfg(test)]
pub(crate) mod testserver;

use std::fmt;
use std::time::Duration;

pub use auth::{Auth, BasicAuth, DigestAuth, NoAuth};
pub use digest::{Challenge, DigestSession};
pub use envelope::{EnvelopeOptions, Filter, OptionEntry, Query, Selector};
pub use response::{Fault, PullPage, Response};
pub use session::{interpret, Session};
pub use tls::{TlsInfo, TlsPolicy};
pub use transport::{
    get, HttpTransport, Preconnected, RawResponse, Request, Transport, TransportOptions,
};
pub use xml::{Element, XmlError};

/// A password. Its `Debug` prints `***` so it cannot leak through logs,
/// error chains or panic messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for computing a Digest answer and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Password {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

/// A user name and password for Digest authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The account name (`admin` on AMT).
    pub user: String,
    /// The password (Debug prints `***`).
    pub password: Password,
}

/// Limits for one call: the whole exchange, Digest round trip included,
/// must finish within `deadline`, and no response body may exceed `body_cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Total time for the call, from the first byte sent to the last read.
    pub deadline: Duration,
    /// Largest response body accepted, in bytes.
    pub body_cap: usize,
}

impl Default for CallLimits {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(10),
            body_cap: 4 * 1024 * 1024,
        }
    }
}

/// Where a device listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// Host name, IPv4 address, or IPv6 address (bracketed or not).
    pub host: String,
    /// TCP port (16992 plain, 16993 TLS on AMT).
    pub port: u16,
    /// Whether to speak TLS.
    pub tls: bool,
}

impl Endpoint {
    /// An endpoint on plain HTTP.
    pub fn http(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            tls: false,
        }
    }

    /// An endpoint on HTTPS.
    pub fn https(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            tls: true,
        }
    }

    /// The host without IPv6 brackets or surrounding space (what TCP and TLS
    /// name resolution want).
    pub fn bare_host(&self) -> &str {
        let host = self.host.trim();
        host.strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
    }

    /// `host:port` for the `Host` header, with an IPv6 host in brackets.
    pub fn authority(&self) -> String {
        let host = self.bare_host();
        if host.contains(':') {
            format!("[{host}]:{}", self.port)
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }

    /// `scheme://host:port`, with an IPv6 host in brackets.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.authority())
    }

    /// The full URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path)
    }
}

/// Everything that can go wrong in a WS-Management (or plain SOAP) call.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Nothing listens on the port (TCP RST to our SYN).
    #[error("connection refused")]
    ConnectionRefused,
    /// The device closed or reset the connection mid-exchange.
    #[error("connection reset or closed by the device")]
    ConnectionReset,
    /// The TCP (or TLS) connection was not established in time.
    #[error("timed out connecting after {}", show_duration(*.0))]
    ConnectTimeout(Duration),
    /// Connected, but the whole answer did not arrive before the deadline.
    #[error("no complete answer within the {} --timeout", show_duration(*.0))]
    Timeout(Duration),
    /// Any other failure to connect (no route, name not resolved).
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The TLS handshake failed for a reason other than the certificate
    /// (no common protocol version or cipher, the device closed mid-handshake).
    #[error("TLS: {0}")]
    Tls(String),
    /// The device's certificate is not trusted by the scan's policy (not
    /// signed by a trusted CA, wrong name, not the pinned one, changed since
    /// first use).
    #[error("certificate rejected: {0}")]
    CertificateRejected(Rejection),
    /// The device refused the credentials after a fresh challenge. AMT sends
    /// the same 401 for a locked account, and counts every failure toward
    /// lockout, so this is never retried.
    #[error("authentication failed (wrong user or password, or the account is locked)")]
    AuthFailed,
    /// The server's challenge cannot be answered (malformed, missing, or
    /// refusing what the session needs). No password proof was sent, so
    /// unlike [`Error::AuthFailed`] nothing was refused and nothing counts
    /// toward lockout or `--auth-fail-limit`.
    #[error("authentication could not start: {0}")]
    AuthUnanswerable(String),
    /// An HTTP status the call cannot use.
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// HTTP 400 with an empty body, which AMT 12.x sends instead of a fault.
    #[error("HTTP 400 with an empty body (the device rejected the request without a SOAP fault)")]
    EmptyBadRequest,
    /// The body grew past the cap; reading stopped there.
    #[error("response body larger than the {0}-byte cap")]
    BodyTooLarge(usize),
    /// The body is not well-formed XML.
    #[error("bad XML: {0}")]
    BadXml(#[from] XmlError),
    /// The device answered with a SOAP fault.
    #[error("SOAP fault {0}")]
    Fault(Fault),
    /// Well-formed, but not the answer the protocol calls for.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The answer is not HTTP at all (HTTP/0.9 bytes, an endless or
    /// malformed header block): whatever listens is not an AMT web server.
    #[error("the answer is not HTTP: {0}")]
    NotHttp(String),
    /// The answer to plain HTTP is a TLS record (an alert or a handshake):
    /// the port speaks TLS, so unlike [`Error::NotHttp`] it proves nothing
    /// about what would answer over TLS.
    #[error("the answer is not HTTP but a TLS record: the port speaks TLS")]
    TlsAnswer,
    /// Any other HTTP-level failure.
    #[error("HTTP error: {0}")]
    Http(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    ClientBuild(String),
}

/// A configured time limit as an admin wrote it: `10 s`, `0.5 s`.
pub fn show_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    // Three decimals at most: a limit is never finer than a millisecond.
    let text = format!("{secs:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} s")
}

/// Why the policy refused a certificate, and the chain the device showed
/// (so the record can still carry the certificate's facts).
#[derive(Clone, PartialEq, Eq)]
pub struct Rejection {
    /// One line.
    pub reason: String,
    /// The chain as sent, leaf first, DER.
    pub chain: Vec<Vec<u8>>,
}

impl Rejection {
    /// A rejection with no chain at hand.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            chain: Vec::new(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejection")
            .field("reason", &self.reason)
            .field("chain_len", &self.chain.len())
            .finish()
    }
}

impl Error {
    /// Whether the device answered the call with "I cannot do that" (a SOAP
    /// fault, an empty 400, or a status such as 404 or 500) rather than
    /// failing to answer: for a class read this means "not available on this
    /// firmware", not a broken host.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Error::Fault(_) | Error::EmptyBadRequest | Error::HttpStatus(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_shows_in_debug() {
        let c = Credentials {
            user: "admin".into(),
            password: Password::new("hunter2-secret"),
        };
        let shown = format!("{c:?} {:?}", c.password);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"));
        assert_eq!(c.password.expose(), "hunter2-secret");
    }

    #[test]
    fn base_url_brackets_ipv6() {
        assert_eq!(
            Endpoint::http("10.0.0.5", 16992).base_url(),
            "http://10.0.0.5:16992"
        );
        assert_eq!(
            Endpoint::http("::1", 16992).base_url(),
            "http://[::1]:16992"
        );
        assert_eq!(Endpoint::http("[::1]", 1).base_url(), "http://[::1]:1");
        let tls = Endpoint {
            host: "amt.example".into(),
            port: 16993,
            tls: true,
        };
        assert_eq!(tls.url("/wsman"), "https://amt.example:16993/wsman");
    }

    #[test]
    fn refusals_are_answers_not_failures() {
        assert!(Error::EmptyBadRequest.is_refusal());
        assert!(Error::HttpStatus(404).is_refusal());
        assert!(!Error::AuthFailed.is_refusal());
        assert!(!Error::CertificateRejected(Rejection::new("x")).is_refusal());
    }

    #[test]
    fn authority_brackets_ipv6_once() {
        assert_eq!(Endpoint::https("[::1]", 16993).authority(), "[::1]:16993");
        assert_eq!(Endpoint::https(" ::1 ", 16993).bare_host(), "::1");
        assert_eq!(Endpoint::http("h", 1).authority(), "h:1");
    }
}
