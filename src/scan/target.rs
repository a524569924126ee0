//! Target specifications as users write them, expanded lazily into endpoints.
//!
//! A /16 is 65 534 hosts; expanding it up front would hold them all in memory, so
//! a spec stays a spec and yields its hosts one at a time.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::IpNet;

/// The port AMT serves HTTP (WS-Management, EOI, web UI) on.
pub const AMT_HTTP_PORT: u16 = 16992;

/// Anything above this is refused: a typo like `10.0.0.0/8` should not silently
/// start a 16-million-host scan.
pub const MAX_HOSTS_PER_SPEC: u128 = 1 << 20;

/// One host to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// A hostname, an IPv4 address or an IPv6 address (without brackets).
    pub host: String,
    pub port: u16,
}

impl Target {
    /// How the target is shown in reports: `host` on the default port, `host:port`
    /// otherwise, IPv6 bracketed when a port follows.
    pub fn label(&self) -> String {
        match (self.port == AMT_HTTP_PORT, self.host.contains(':')) {
            (true, _) => self.host.clone(),
            (false, true) => format!("[{}]:{}", self.host, self.port),
            (false, false) => format!("{}:{}", self.host, self.port),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// One argument of `scan`: a host, a CIDR block or an IPv4 range, each with an
/// optional port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    Single(Target),
    Cidr {
        net: IpNet,
        port: u16,
    },
    Ipv4Range {
        first: Ipv4Addr,
        last: Ipv4Addr,
        port: u16,
    },
}

/// Why a target argument could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("empty target")]
    Empty,
    #[error("bad port in {0:?}: expected 1-65535")]
    BadPort(String),
    #[error("bad CIDR block {0:?}")]
    BadCidr(String),
    #[error("bad address range {0:?}: expected A.B.C.D-E.F.G.H or A.B.C.D-N with the end not before the start")]
    BadRange(String),
    #[error("bad host name {0:?}")]
    BadHost(String),
    #[error(
        "{spec:?} expands to {count} hosts, more than the limit of {MAX_HOSTS_PER_SPEC}; split it"
    )]
    TooLarge { spec: String, count: u128 },
}

impl TargetSpec {
    /// How many hosts this spec expands to.
    pub fn len(&self) -> u128 {
        match self {
            TargetSpec::Single(_) => 1,
            TargetSpec::Cidr { net, .. } => cidr_host_count(net),
            TargetSpec::Ipv4Range { first, last, .. } => {
                u128::from(u32::from(*last) - u32::from(*first)) + 1
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The hosts, one at a time.
    pub fn targets(&self) -> Box<dyn Iterator<Item = Target> + Send + '_> {
        match self {
            TargetSpec::Single(t) => Box::new(std::iter::once(t.clone())),
            TargetSpec::Cidr { net, port } => {
                let port = *port;
                Box::new(net.hosts().map(move |ip| Target {
                    host: ip.to_string(),
                    port,
                }))
            }
            TargetSpec::Ipv4Range { first, last, port } => {
                let port = *port;
                Box::new((u32::from(*first)..=u32::from(*last)).map(move |n| Target {
                    host: Ipv4Addr::from(n).to_string(),
                    port,
                }))
            }
        }
    }
}

/// `hosts()` of ipnet skips the network and broadcast addresses of IPv4 blocks
/// shorter than /31, and nothing for IPv6; count the same way.
fn cidr_host_count(net: &IpNet) -> u128 {
    match net {
        IpNet::V4(n) => {
            let size = 1u128 << (32 - n.prefix_len());
            if n.prefix_len() >= 31 {
                size
            } else {
                size - 2
            }
        }
        IpNet::V6(n) => {
            let bits = 128 - u32::from(n.prefix_len());
            if bits >= 128 {
                u128::MAX
            } else {
                1u128 << bits
            }
        }
    }
}

impl FromStr for TargetSpec {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        if s.is_empty() {
            return Err(TargetError::Empty);
        }
        let (body, port) = split_port(s)?;
        let spec = if body.contains('/') {
            let net: IpNet = body
                .parse()
                .map_err(|_| TargetError::BadCidr(s.to_string()))?;
            TargetSpec::Cidr {
                net: net.trunc(),
                port,
            }
        } else if let Some((a, b)) = body
            .split_once('-')
            .filter(|(a, _)| a.parse::<Ipv4Addr>().is_ok())
        {
            let first: Ipv4Addr = a
                .parse()
                .map_err(|_| TargetError::BadRange(s.to_string()))?;
            let last =
                parse_range_end(first, b).ok_or_else(|| TargetError::BadRange(s.to_string()))?;
            if last < first {
                return Err(TargetError::BadRange(s.to_string()));
            }
            TargetSpec::Ipv4Range { first, last, port }
        } else {
            TargetSpec::Single(Target {
                host: validate_host(body).ok_or_else(|| TargetError::BadHost(s.to_string()))?,
                port,
            })
        };
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
fn split_port(s: &str) -> Result<(&str, u16), TargetError> {
    let bad_port = || TargetError::BadPort(s.to_string());
    if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest
            .split_once(']')
            .ok_or_else(|| TargetError::BadHost(s.to_string()))?;
        return match after {
            "" => Ok((inner, AMT_HTTP_PORT)),
            p => Ok((
                inner,
                parse_port(p.strip_prefix(':').ok_or_else(bad_port)?).ok_or_else(bad_port)?,
            )),
        };
    }
    // More than one colon and no brackets: a bare IPv6 address (or block), no port.
    if s.matches(':').count() > 1 {
        return Ok((s, AMT_HTTP_PORT));
    }
    match s.rsplit_once(':') {
        Some((host, p)) => Ok((host, parse_port(p).ok_or_else(bad_port)?)),
        None => Ok((s, AMT_HTTP_PORT)),
    }
}

fn parse_port(p: &str) -> Option<u16> {
    p.parse::<u16>().ok().filter(|&p| p != 0)
}

/// `10.0.0.5-10.0.0.9` or the short form `10.0.0.5-9` (last octet only).
fn parse_range_end(first: Ipv4Addr, end: &str) -> Option<Ipv4Addr> {
    if let Ok(ip) = end.parse::<Ipv4Addr>() {
        return Some(ip);
    }
    let last_octet: u8 = end.parse().ok()?;
    let [a, b, c, _] = first.octets();
    Some(Ipv4Addr::new(a, b, c, last_octet))
}

/// Accepts IP literals and RFC 1123 host names; rejects anything that would make
/// a malformed URL later.
fn validate_host(host: &str) -> Option<String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(ip.to_string());
    }
    if host.parse::<Ipv6Addr>().is_ok() {
        return Some(host.to_string());
    }
    let ok = host.len() <= 253
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

    fn single(s: &str) -> Target {
        match s.parse::<TargetSpec>().unwrap() {
            TargetSpec::Single(t) => t,
            other => panic!("{s} parsed as {other:?}"),
        }
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(
            single("10.0.0.5"),
            Target {
                host: "10.0.0.5".into(),
                port: 16992
            }
        );
        assert_eq!(single("10.0.0.5:1234").port, 1234);
        assert_eq!(single("amt-pc.example.com").host, "amt-pc.example.com");
        assert_eq!(
            single("[::1]:16993"),
            Target {
                host: "::1".into(),
                port: 16993
            }
        );
        assert_eq!(
            single("::1"),
            Target {
                host: "::1".into(),
                port: 16992
            }
        );
        assert_eq!(single("[::1]:16993").label(), "[::1]:16993");
        assert_eq!(single("127.0.0.1:80").label(), "127.0.0.1:80");
        assert_eq!(single("127.0.0.1").label(), "127.0.0.1");
    }

    #[test]
    fn bad_targets_are_errors_not_panics() {
        for bad in [
            "",
            "host:0",
            "host:99999",
            "host:",
            "[::1",
            "[::1]x",
            "a..b",
            "-a.com",
            "10.0.0.9-10.0.0.1",
            "10.0.0.0/33",
            "a b",
        ] {
            assert!(
                bad.parse::<TargetSpec>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn cidr_expands_lazily_without_network_and_broadcast() {
        let spec: TargetSpec = "192.0.2.0/30:16993".parse().unwrap();
        assert_eq!(spec.len(), 2);
        let hosts: Vec<String> = spec.targets().map(|t| t.label()).collect();
        assert_eq!(hosts, ["192.0.2.1:16993", "192.0.2.2:16993"]);
        let big: TargetSpec = "10.1.0.0/16".parse().unwrap();
        assert_eq!(big.len(), 65534);
        assert_eq!(big.targets().nth(65533).unwrap().host, "10.1.255.254");
        assert!(matches!(
            "10.0.0.0/8".parse::<TargetSpec>(),
            Err(TargetError::TooLarge { .. })
        ));
    }

    #[test]
    fn ranges_long_and_short() {
        let spec: TargetSpec = "127.1.0.1-127.1.0.3".parse().unwrap();
        assert_eq!(spec.targets().count(), 3);
        let short: TargetSpec = "127.1.0.250-255:8080".parse().unwrap();
        let last = short.targets().last().unwrap();
        assert_eq!((last.host.as_str(), last.port), ("127.1.0.255", 8080));
    }
}
