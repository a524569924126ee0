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
}

/// A fault specification that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{0}`: expected stall, close, http500, malformed-xml, empty-400, delay=MS, missing-class=NAME or oversized=BYTES")]
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
        assert!("delay=soon".parse::<Fault>().is_err());
        assert!("explode".parse::<Fault>().is_err());
        assert!("missing-class=".parse::<Fault>().is_err());
    }
}
