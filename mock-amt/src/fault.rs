//! Fault injection: ways a device can misbehave, chosen per device.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One injected misbehaviour. Several may be combined on one device.
///
/// The connection-level faults (`Stall`, `CloseImmediately`, `Delay`) hit every
/// request, `GET /` included, because that is how a hung or flaky firmware
/// looks to a scanner. The answer-level faults (`Http500`, `MalformedXml`,
/// `EmptyBadRequest`, `OversizedBody`) replace the answer to an
/// *authenticated* SOAP request, so a client sees Digest succeed and then a bad
/// answer, the case that is hard to test against real hardware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Accept the connection, read the request, never answer.
    Stall,
    /// Accept the connection and close it at once, before reading anything.
    CloseImmediately,
    /// Answer SOAP requests with `500 Internal Server Error` and an empty body.
    Http500,
    /// Answer SOAP requests with a 200 whose XML body is cut short.
    MalformedXml,
    /// Answer SOAP requests with a bare `400 Bad Request`, `Content-Length: 0`,
    /// no SOAP fault (seen on AMT 12.x).
    EmptyBadRequest,
    /// Wait this long before answering any request.
    Delay(Duration),
    /// Behave as if this WS-Man class did not exist (DestinationUnreachable).
    MissingClass(String),
    /// Answer SOAP requests with a well-framed 200 whose body is this many bytes.
    OversizedBody(usize),
    // Hostile devices (connection level: every request, `GET /` included).
    /// Send every answer one byte a second.
    Trickle,
    /// Answer `HTTP/1.1 200 OK` and then header lines forever.
    EndlessHeaders,
    /// Answer with bytes that are not HTTP (an HTTP/0.9-style page).
    NotHttp,
    /// After each answer, close a kept-alive connection without having said
    /// `Connection: close`.
    KeepAliveClose,
    /// On the TLS port, accept TCP and never take part in the handshake.
    TlsStall,
    // Hostile answers to authenticated SOAP requests.
    /// Send the head and half the body, then drop the connection.
    ResetMidBody,
    /// A chunked body that stops in the middle of a chunk and closes.
    TruncatedChunked,
    /// A 200 whose chunked body never ends.
    EndlessBody,
    /// A well-formed envelope carrying a DTD with nested entities (billion laughs).
    EntityExpansion,
    /// A DTD declaring an external entity (`file:///etc/passwd`).
    ExternalEntity,
    /// Elements nested 100,000 deep.
    DeepNesting,
    /// Terminal escapes, CR/LF and bidi overrides in every string property.
    ControlChars,
    /// A 3 MiB RelatesTo (with newlines) in a correct answer.
    HugeRelatesTo,
    /// A 3 MiB namespace URI on the Envelope.
    HugeNamespace,
    /// The answer labelled `text/html` instead of SOAP.
    WrongContentType,
    // Hostile Digest challenges (to every request that must authenticate).
    /// A 100 KiB nonce.
    DigestHugeNonce,
    /// `algorithm=SHA-999`.
    DigestUnknownAlgorithm,
    /// No `realm`.
    DigestNoRealm,
    /// No `nonce`.
    DigestNoNonce,
    /// A realm with non-ASCII characters.
    DigestNonAsciiRealm,
    /// `stale=true` on every 401, correct answers included.
    DigestStaleForever,
    /// The account is locked: every login is refused, right or wrong.
    Locked,
}

/// Every spelling without a value, for help texts and tests.
pub const SIMPLE_FAULTS: &[&str] = &[
    "stall",
    "close",
    "http500",
    "malformed-xml",
    "empty-400",
    "trickle",
    "endless-headers",
    "not-http",
    "keepalive-close",
    "tls-stall",
    "reset-mid-body",
    "truncated-chunked",
    "endless-body",
    "entity-expansion",
    "external-entity",
    "deep-nesting",
    "control-chars",
    "huge-relates-to",
    "huge-namespace",
    "wrong-content-type",
    "digest-huge-nonce",
    "digest-unknown-algorithm",
    "digest-no-realm",
    "digest-no-nonce",
    "digest-non-ascii-realm",
    "digest-stale-forever",
    "locked",
];

impl Fault {
    /// Whether this fault changes the Digest challenge or refuses logins.
    pub fn is_digest(&self) -> bool {
        matches!(
            self,
            Fault::DigestHugeNonce
                | Fault::DigestUnknownAlgorithm
                | Fault::DigestNoRealm
                | Fault::DigestNoNonce
                | Fault::DigestNonAsciiRealm
                | Fault::DigestStaleForever
                | Fault::Locked
        )
    }
}

/// A fault specification that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{0}`: expected delay=MS, missing-class=NAME, oversized=BYTES or one of stall, close, http500, malformed-xml, empty-400, trickle, endless-headers, not-http, keepalive-close, tls-stall, reset-mid-body, truncated-chunked, endless-body, entity-expansion, external-entity, deep-nesting, control-chars, huge-relates-to, huge-namespace, wrong-content-type, digest-huge-nonce, digest-unknown-algorithm, digest-no-realm, digest-no-nonce, digest-non-ascii-realm, digest-stale-forever, locked")]
pub struct FaultParseError(pub String);

impl FromStr for Fault {
    type Err = FaultParseError;

    /// Parses the CLI spelling: `stall`, `close`, `http500`, `malformed-xml`,
    /// `empty-400`, `delay=MS`, `missing-class=NAME`, `oversized=BYTES`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || FaultParseError(s.to_owned());
        let (key, value) = match s.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (s, None),
        };
        match (key, value) {
            ("stall", None) => Ok(Fault::Stall),
            ("close", None) => Ok(Fault::CloseImmediately),
            ("http500", None) => Ok(Fault::Http500),
            ("malformed-xml", None) => Ok(Fault::MalformedXml),
            ("empty-400", None) => Ok(Fault::EmptyBadRequest),
            ("trickle", None) => Ok(Fault::Trickle),
            ("endless-headers", None) => Ok(Fault::EndlessHeaders),
            ("not-http", None) => Ok(Fault::NotHttp),
            ("keepalive-close", None) => Ok(Fault::KeepAliveClose),
            ("tls-stall", None) => Ok(Fault::TlsStall),
            ("reset-mid-body", None) => Ok(Fault::ResetMidBody),
            ("truncated-chunked", None) => Ok(Fault::TruncatedChunked),
            ("endless-body", None) => Ok(Fault::EndlessBody),
            ("entity-expansion", None) => Ok(Fault::EntityExpansion),
            ("external-entity", None) => Ok(Fault::ExternalEntity),
            ("deep-nesting", None) => Ok(Fault::DeepNesting),
            ("control-chars", None) => Ok(Fault::ControlChars),
            ("huge-relates-to", None) => Ok(Fault::HugeRelatesTo),
            ("huge-namespace", None) => Ok(Fault::HugeNamespace),
            ("wrong-content-type", None) => Ok(Fault::WrongContentType),
            ("digest-huge-nonce", None) => Ok(Fault::DigestHugeNonce),
            ("digest-unknown-algorithm", None) => Ok(Fault::DigestUnknownAlgorithm),
            ("digest-no-realm", None) => Ok(Fault::DigestNoRealm),
            ("digest-no-nonce", None) => Ok(Fault::DigestNoNonce),
            ("digest-non-ascii-realm", None) => Ok(Fault::DigestNonAsciiRealm),
            ("digest-stale-forever", None) => Ok(Fault::DigestStaleForever),
            ("locked", None) => Ok(Fault::Locked),
            ("delay", Some(ms)) => ms
                .parse::<u64>()
                .map(|ms| Fault::Delay(Duration::from_millis(ms)))
                .map_err(|_| err()),
            ("missing-class", Some(name)) if !name.is_empty() => {
                Ok(Fault::MissingClass(name.to_owned()))
            }
            ("oversized", Some(n)) => n.parse().map(Fault::OversizedBody).map_err(|_| err()),
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Stall => f.write_str("stall"),
            Fault::CloseImmediately => f.write_str("close"),
            Fault::Http500 => f.write_str("http500"),
            Fault::MalformedXml => f.write_str("malformed-xml"),
            Fault::EmptyBadRequest => f.write_str("empty-400"),
            Fault::Delay(d) => write!(f, "delay={}", d.as_millis()),
            Fault::MissingClass(c) => write!(f, "missing-class={c}"),
            Fault::OversizedBody(n) => write!(f, "oversized={n}"),
            Fault::Trickle => f.write_str("trickle"),
            Fault::EndlessHeaders => f.write_str("endless-headers"),
            Fault::NotHttp => f.write_str("not-http"),
            Fault::KeepAliveClose => f.write_str("keepalive-close"),
            Fault::TlsStall => f.write_str("tls-stall"),
            Fault::ResetMidBody => f.write_str("reset-mid-body"),
            Fault::TruncatedChunked => f.write_str("truncated-chunked"),
            Fault::EndlessBody => f.write_str("endless-body"),
            Fault::EntityExpansion => f.write_str("entity-expansion"),
            Fault::ExternalEntity => f.write_str("external-entity"),
            Fault::DeepNesting => f.write_str("deep-nesting"),
            Fault::ControlChars => f.write_str("control-chars"),
            Fault::HugeRelatesTo => f.write_str("huge-relates-to"),
            Fault::HugeNamespace => f.write_str("huge-namespace"),
            Fault::WrongContentType => f.write_str("wrong-content-type"),
            Fault::DigestHugeNonce => f.write_str("digest-huge-nonce"),
            Fault::DigestUnknownAlgorithm => f.write_str("digest-unknown-algorithm"),
            Fault::DigestNoRealm => f.write_str("digest-no-realm"),
            Fault::DigestNoNonce => f.write_str("digest-no-nonce"),
            Fault::DigestNonAsciiRealm => f.write_str("digest-non-ascii-realm"),
            Fault::DigestStaleForever => f.write_str("digest-stale-forever"),
            Fault::Locked => f.write_str("locked"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        for s in [
            "stall",
            "close",
            "http500",
            "malformed-xml",
            "empty-400",
            "delay=1500",
            "missing-class=AMT_GeneralSettings",
            "oversized=100000",
        ] {
            let f: Fault = s.parse().unwrap();
            assert_eq!(f.to_string(), s);
        }
        for s in SIMPLE_FAULTS {
            let f: Fault = s.parse().unwrap();
            assert_eq!(&f.to_string(), s);
        }
        assert!("delay=soon".parse::<Fault>().is_err());
        assert!("explode".parse::<Fault>().is_err());
        assert!("missing-class=".parse::<Fault>().is_err());
    }
}
