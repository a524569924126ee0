//! Target specifications as users write them, parsed strictly.
//!
//! A target is read the way an admin means it, or refused: dotted-decimal is
//! four decimal parts of 0–255 without leading zeros, or it is an error. The
//! URL parser's shortcuts (`10.0.2` as 10.0.0.2, `0177.0.0.1` as octal, a bare
//! integer as an address) silently scan the wrong machine, so anything that
//! could be mistaken for an address is never taken as a host name either
//! (RFC 1123 §2.1: a name's top label is not all-numeric).
//!
//! A spec stays a spec: the plan ([`super::plan`]) turns blocks into address
//! intervals, so a /16 is never expanded up front.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::IpNet;

/// The port AMT serves HTTP (WS-Management, EOI, web UI) on.
pub const AMT_HTTP_PORT: u16 = 16992;
/// The port AMT serves the same over TLS on.
pub const AMT_HTTPS_PORT: u16 = 16993;

/// Anything above this is refused: a typo like `10.0.0.0/8` should not silently
/// start a 16-million-host scan.
pub const MAX_HOSTS_PER_SPEC: u128 = 1 << 20;

/// One host to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// A hostname, an IPv4 address or an IPv6 address (without brackets).
    pub host: String,
    /// The port to read AMT on (16992 plain, 16993 TLS, or what the user wrote).
    pub port: u16,
}

impl Target {
    /// How the target is shown in reports: `host` on the default port, `host:port`
    /// otherwise, IPv6 bracketed when a port follows.
    pub fn label(&self) -> String {
        label(&self.host, self.port)
    }
}

/// `host` on the default port, `host:port` otherwise, IPv6 bracketed when a
/// port follows. The `target` field of every record is written this way, and
/// `--resume` reads it back the same way.
pub fn label(host: &str, port: u16) -> String {
    match (port == AMT_HTTP_PORT, host.contains(':')) {
        (true, _) => host.to_owned(),
        (false, true) => format!("[{host}]:{port}"),
        (false, false) => format!("{host}:{port}"),
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// What a spec names, before its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecKind {
    /// One IP address.
    Addr(IpAddr),
    /// A host name, resolved once by the plan.
    Name(String),
    /// A CIDR block (network and broadcast of IPv4 blocks shorter than /31 skipped).
    Cidr(IpNet),
    /// An inclusive IPv4 range.
    Ipv4Range {
        /// The first address of the range.
        first: Ipv4Addr,
        /// The last address of the range, included.
        last: Ipv4Addr,
    },
}

/// One argument of `scan` or `--exclude`: a host, a CIDR block or an IPv4
/// range, with the port when one was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    /// What the spec names: an address, a name, a CIDR block or a range.
    pub kind: SpecKind,
    /// `None` when no port was written: targets use 16992, excludes match
    /// every port.
    pub port: Option<u16>,
}

/// Why a target argument could not be understood. Every variant names the
/// target as written, so a usage error in a 10,000-line file can be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The target is empty (a blank argument).
    #[error("empty target")]
    Empty,
    /// The port is not a number from 1 to 65535 (the target as written).
    #[error("{}: bad port, expected 1-65535", shown(.0))]
    BadPort(String),
    /// A URL where a host was expected (the target as written).
    #[error("{}: a URL is not a target; give the host, e.g. 10.0.0.5 or amt-pc.example.com", shown(.0))]
    Url(String),
    /// Looks like an IPv4 address but is not one (the target as written).
    #[error("{}: not an IPv4 address (four decimal parts of 0-255, no leading zeros)", shown(.0))]
    BadAddress(String),
    /// Not ADDRESS/PREFIX (the target as written).
    #[error("{}: bad CIDR block, expected ADDRESS/PREFIX such as 10.0.2.0/24", shown(.0))]
    BadCidr(String),
    // Said apart from BadCidr: "10.0.0.0/33" looks well formed, and the user
    // needs to hear which part is wrong.
    /// A CIDR block whose prefix is longer than its address family allows.
    #[error(
        "{}: bad CIDR block, the prefix /{prefix} is over {max}, the longest an IPv{} prefix can be",
        shown(spec),
        if *max == 32 { 4 } else { 6 }
    )]
    PrefixTooLong {
        /// The target as written.
        spec: String,
        /// The prefix length written.
        prefix: u32,
        /// The longest prefix the address family has: 32 or 128.
        max: u8,
    },
    /// Not a well-formed IPv4 range, or one that ends before it starts (the target as written).
    #[error("{}: bad address range, expected A.B.C.D-E.F.G.H or A.B.C.D-N with the end not before the start", shown(.0))]
    BadRange(String),
    /// Not a valid DNS host name (the target as written).
    #[error("{}: bad host name", shown(.0))]
    BadHost(String),
    /// A spec that expands to more than `MAX_HOSTS_PER_SPEC` addresses.
    #[error(
        "{} expands to {count} hosts, more than the limit of {MAX_HOSTS_PER_SPEC}; split it",
        shown(spec)
    )]
    TooLarge {
        /// The target as written.
        spec: String,
        /// How many addresses it expands to.
        count: u128,
    },
}

/// A target as written, quoted for an error: a line of a targets file can be
/// megabytes long or hold escape sequences.
fn shown(spec: &str) -> String {
    crate::text::quoted(spec)
}

impl TargetSpec {
    /// How many addresses this spec expands to (a name counts as one).
    pub fn len(&self) -> u128 {
        match &self.kind {
            SpecKind::Addr(_) | SpecKind::Name(_) => 1,
            SpecKind::Cidr(net) => {
                let (lo, hi) = cidr_bounds(net);
                // An IPv6 /0 holds 2^128 addresses, one more than u128 can
                // say; saturating keeps it far above every limit.
                (hi - lo).saturating_add(1)
            }
            SpecKind::Ipv4Range { first, last } => {
                u128::from(u32::from(*last) - u32::from(*first)) + 1
            }
        }
    }

    /// Whether the spec expands to no address (never, for a well-formed spec).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The port targets of this spec are read on.
    pub fn target_port(&self) -> u16 {
        self.port.unwrap_or(AMT_HTTP_PORT)
    }
}

/// The first and last host of a block as integers: IPv4 blocks shorter than /31
/// skip their network and broadcast addresses (RFC 919/922 convention; /31 and
/// /32 have none, RFC 3021); IPv6 has no broadcast, so the whole block counts.
pub(crate) fn cidr_bounds(net: &IpNet) -> (u128, u128) {
    match net {
        IpNet::V4(n) => {
            let lo = u128::from(u32::from(n.network()));
            let hi = u128::from(u32::from(n.broadcast()));
            if n.prefix_len() >= 31 {
                (lo, hi)
            } else {
                (lo + 1, hi - 1)
            }
        }
        IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
    }
}

impl FromStr for TargetSpec {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        if s.is_empty() {
            return Err(TargetError::Empty);
        }
        if s.contains("://") || s.contains('@') {
            return Err(TargetError::Url(s.to_string()));
        }
        let (body, port) = split_port(s)?;
        let kind = if let Some((addr, prefix)) = body.split_once('/') {
            let addr = parse_ip(addr).ok_or_else(|| TargetError::BadCidr(s.to_string()))?;
            let prefix =
                parse_decimal(prefix).ok_or_else(|| TargetError::BadCidr(s.to_string()))?;
            let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
            if prefix > u32::from(max) {
                return Err(TargetError::PrefixTooLong {
                    spec: s.to_string(),
                    prefix,
                    max,
                });
            }
            let net = u8::try_from(prefix)
                .ok()
                .and_then(|p| IpNet::new(addr, p).ok())
                .ok_or_else(|| TargetError::BadCidr(s.to_string()))?;
            SpecKind::Cidr(net.trunc())
        } else if let Some((a, b)) = body.split_once('-').filter(|(a, _)| looks_numeric(a)) {
            let bad = || TargetError::BadRange(s.to_string());
            let first = parse_ipv4(a).ok_or_else(bad)?;
            let last = if b.contains('.') {
                parse_ipv4(b).ok_or_else(bad)?
            } else {
                let octet = parse_decimal(b)
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or_else(bad)?;
                let [x, y, z, _] = first.octets();
                Ipv4Addr::new(x, y, z, octet)
            };
            if last < first {
                return Err(bad());
            }
            SpecKind::Ipv4Range { first, last }
        } else if let Some(ip) = parse_ip(body) {
            SpecKind::Addr(ip)
        } else if looks_numeric(body) || body.contains(':') {
            return Err(TargetError::BadAddress(s.to_string()));
        } else {
            SpecKind::Name(validate_name(body).ok_or_else(|| TargetError::BadHost(s.to_string()))?)
        };
        let spec = TargetSpec { kind, port };
        let count = spec.len();
        if count > MAX_HOSTS_PER_SPEC {
            return Err(TargetError::TooLarge {
                spec: s.to_string(),
                count,
            });
        }
        Ok(spec)
    }
}

/// Splits `host:port`, `[v6]:port`, `[v6]`, bare `v6` and `cidr:port`.
fn split_port(s: &str) -> Result<(&str, Option<u16>), TargetError> {
    let bad_port = || TargetError::BadPort(s.to_string());
    if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest
            .split_once(']')
            .ok_or_else(|| TargetError::BadHost(s.to_string()))?;
        return match after {
            "" => Ok((inner, None)),
            p => Ok((
                inner,
                Some(parse_port(p.strip_prefix(':').ok_or_else(bad_port)?).ok_or_else(bad_port)?),
            )),
        };
    }
    // More than one colon and no brackets: a bare IPv6 address (or block), no port.
    if s.matches(':').count() > 1 {
        return Ok((s, None));
    }
    match s.rsplit_once(':') {
        Some((host, p)) => Ok((host, Some(parse_port(p).ok_or_else(bad_port)?))),
        None => Ok((s, None)),
    }
}

fn parse_port(p: &str) -> Option<u16> {
    parse_decimal(p)
        .and_then(|n| u16::try_from(n).ok())
        .filter(|&p| p != 0)
}

/// A plain decimal number: digits only, no sign, no leading zero (which some
/// parsers read as octal).
fn parse_decimal(s: &str) -> Option<u32> {
    let ok = !s.is_empty()
        && s.len() <= 9
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

/// Strict dotted-decimal: exactly four parts, each 0–255 in plain decimal.
pub(crate) fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for octet in &mut octets {
        *octet = u8::try_from(parse_decimal(parts.next()?)?).ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

/// An IPv4 address (strict) or an IPv6 address. IPv6 with an embedded IPv4
/// tail is left to the standard parser, which is strict about that tail.
fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.contains(':') {
        return s.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    parse_ipv4(s).map(IpAddr::V4)
}

/// Could this be read as an address by some parser? Digits, dots and hex
/// prefixes only (`10.0.2`, `0177.0.0.1`, `167772161`, `0x0a.0.0.1`), or a
/// top label that is all digits (RFC 1123 §2.1).
fn looks_numeric(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let all_numeric = !lower.is_empty()
        && lower.split('.').all(|part| {
            let digits = part.strip_prefix("0x").unwrap_or(part);
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_hexdigit())
                && (part.starts_with("0x") || digits.bytes().all(|b| b.is_ascii_digit()))
        });
    let top_numeric = lower
        .rsplit('.')
        .next()
        .is_some_and(|top| !top.is_empty() && top.bytes().all(|b| b.is_ascii_digit()));
    all_numeric || top_numeric
}

/// RFC 1123 host names, lower-cased.
fn validate_name(host: &str) -> Option<String> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let ok = !host.is_empty()
        && host.len() <= 253
        && !looks_numeric(host)
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    ok.then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> TargetSpec {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(
            spec("10.0.0.5"),
            TargetSpec {
                kind: SpecKind::Addr("10.0.0.5".parse().unwrap()),
                port: None
            }
        );
        assert_eq!(spec("10.0.0.5:1234").port, Some(1234));
        assert_eq!(
            spec("AMT-pc.example.com.").kind,
            SpecKind::Name("amt-pc.example.com".into())
        );
        assert_eq!(spec("[::1]:16993").port, Some(16993));
        assert_eq!(spec("::1").kind, SpecKind::Addr("::1".parse().unwrap()));
        assert_eq!(label("::1", 16993), "[::1]:16993");
        assert_eq!(label("127.0.0.1", 80), "127.0.0.1:80");
        assert_eq!(label("127.0.0.1", 16992), "127.0.0.1");
        assert_eq!(spec("pc7").kind, SpecKind::Name("pc7".into()));
        assert_eq!(spec("7pc.lan").kind, SpecKind::Name("7pc.lan".into()));
    }

    #[test]
    fn a_prefix_past_the_address_length_is_named_with_its_limit() {
        for (bad, prefix, max) in [
            ("10.0.0.0/33", "/33", "over 32"),
            ("10.0.0.0/300", "/300", "over 32"),
            ("[fd00::/129]", "/129", "over 128"),
            ("fd00::/200", "/200", "over 128"),
        ] {
            let msg = bad.parse::<TargetSpec>().unwrap_err().to_string();
            assert!(msg.contains(prefix) && msg.contains(max), "{bad}: {msg}");
        }
        // At the limit the block is one address, not an error.
        assert!("10.0.0.7/32".parse::<TargetSpec>().is_ok());
        assert!("fd00::7/128".parse::<TargetSpec>().is_ok());
    }

    #[test]
    fn anything_an_address_parser_could_misread_is_refused() {
        for (bad, why) in [
            ("10.0.2", "short form"),
            ("10.0.0.300", "octet out of range"),
            ("999.999.999.999", "octets out of range"),
            ("0177.0.0.1", "octal"),
            ("010.0.0.1", "leading zero"),
            ("167772161", "bare integer"),
            ("0x0a.0.0.1", "hex"),
            ("0x7f000001", "hex integer"),
            ("10.0.0.1.5", "five parts"),
            ("http://10.0.0.5/", "URL"),
            ("https://amt-pc:16993", "URL"),
            ("admin@10.0.0.5", "userinfo"),
            ("host.123", "numeric top label"),
            ("10.0.0.0/24x", "bad prefix"),
            ("10.0.0.0/033", "prefix with a leading zero"),
            ("10.0.2/24", "short CIDR"),
            ("10.0.0.5-300", "range end past 255"),
            ("10.0.0.5-0010", "range end with leading zeros"),
            ("10.0.0.9-10.0.0.1", "backwards range"),
            ("10.0.0.0/33", "prefix too long"),
            ("10.0.0.0/8", "too large"),
            ("", "empty"),
            ("host:0", "port 0"),
            ("host:99999", "port too big"),
            ("host:", "empty port"),
            ("host:+80", "signed port"),
            ("[::1", "open bracket"),
            ("[::1]x", "junk after bracket"),
            ("a..b", "empty label"),
            ("-a.com", "leading hyphen"),
            ("a b", "space"),
            ("fe80::zz", "bad IPv6"),
        ] {
            let err = bad.parse::<TargetSpec>();
            assert!(err.is_err(), "{bad:?} ({why}) should be rejected");
            if !bad.is_empty() {
                let msg = err.unwrap_err().to_string();
                assert!(msg.contains(bad.trim()), "{msg} names {bad:?}");
            }
        }
    }

    #[test]
    fn cidr_bounds_skip_network_and_broadcast_where_that_is_the_norm() {
        let s = spec("192.0.2.0/30:16993");
        assert_eq!((s.len(), s.port), (2, Some(16993)));
        assert_eq!(spec("10.1.0.0/16").len(), 65534);
        assert_eq!(spec("10.1.0.7/24").len(), 254, "host bits are truncated");
        assert_eq!(spec("192.0.2.0/31").len(), 2);
        assert_eq!(spec("192.0.2.9/32").len(), 1);
        assert_eq!(spec("2001:db8::/126").len(), 4);
    }

    #[test]
    fn ranges_long_and_short() {
        assert_eq!(spec("127.1.0.1-127.1.0.3").len(), 3);
        let short = spec("127.1.0.250-255:8080");
        assert_eq!((short.len(), short.port), (6, Some(8080)));
        assert_eq!(spec("10.0.0.8-8").len(), 1);
    }
}
