//! Pins and trust files: the vocabulary both the [`super::policy`] that
//! chooses what to trust and the [`super::verify`]ers that apply it speak. It
//! is its own module so that neither of the two has to import the other's
//! internals.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use crate::wsman::Error;

/// Largest trust file read (CA bundle, pins, TOFU, client identity).
pub(crate) const MAX_FILE: u64 = 4 * 1024 * 1024;

/// A certificate's SHA-256 fingerprint, written `sha256:` and 64 hex digits
/// (colons between bytes are accepted, case does not matter).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of(der: &[u8]) -> Self {
        Self(super::sha256(der))
    }

    /// Lower-case hex, no separators.
    pub fn hex(&self) -> String {
        crate::text::lower_hex(&self.0)
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let hex = s
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("sha256:"))
            .and_then(|_| s.get(7..))
            .ok_or_else(|| "a pin is `sha256:` followed by 64 hex digits".to_owned())?;
        let digits: Vec<u8> = hex.bytes().filter(|b| *b != b':').collect();
        if digits.len() != 64 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err("a pin is `sha256:` followed by 64 hex digits".into());
        }
        let mut out = [0u8; 32];
        for (i, pair) in digits.chunks(2).enumerate() {
            let text = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
            out[i] = u8::from_str_radix(text, 16).map_err(|e| e.to_string())?;
        }
        Ok(Self(out))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The key under which pins and TOFU entries are kept: the host as the
/// target named it, lower-case, IPv6 without brackets and in canonical form.
pub fn host_key(host: &str) -> String {
    let bare = host.trim().trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => bare.trim_end_matches('.').to_ascii_lowercase(),
    }
}

/// Reads a small trust file whole, refusing anything past [`MAX_FILE`].
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, Error> {
    bounded_read::read(path, MAX_FILE).map_err(|e| Error::ClientBuild(e.to_string()))
}

/// Parses a pin map from `HOST sha256:HEX` lines.
pub(crate) fn parse_pin_lines(text: &str) -> Result<HashMap<String, Vec<Fingerprint>>, String> {
    let mut map: HashMap<String, Vec<Fingerprint>> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(host), Some(pin), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("{}: expected `HOST sha256:HEX`", n + 1));
        };
        let fp: Fingerprint = pin.parse().map_err(|e| format!("{}: {e}", n + 1))?;
        map.entry(host_key(host)).or_default().push(fp);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_every_spelling() {
        let hex = "ab".repeat(32);
        let a: Fingerprint = format!("sha256:{hex}").parse().unwrap();
        let b: Fingerprint = format!("SHA256:{}", hex.to_uppercase()).parse().unwrap();
        let colons = vec!["AB"; 32].join(":");
        let c: Fingerprint = format!("sha256:{colons}").parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.to_string(), format!("sha256:{hex}"));
        for bad in [
            "",
            "sha256:",
            "md5:ab",
            &format!("sha256:{}", "a".repeat(63)),
            "sha256:zz",
        ] {
            assert!(bad.parse::<Fingerprint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn host_keys_are_canonical() {
        assert_eq!(host_key("[::1]"), "::1");
        assert_eq!(host_key("0:0::1"), "::1");
        assert_eq!(host_key("AMT.Example.COM."), "amt.example.com");
        assert_eq!(host_key("10.0.0.5"), "10.0.0.5");
    }

    #[test]
    fn pin_lines_name_the_bad_line() {
        let fp = format!("sha256:{}", "01".repeat(32));
        let ok = parse_pin_lines(&format!("# c\nhost-a {fp}\n\nHOST-A {fp} # again\n")).unwrap();
        assert_eq!(ok["host-a"].len(), 2);
        let err = parse_pin_lines(&format!("a {fp}\nb\n")).unwrap_err();
        assert!(err.starts_with("2:"), "{err}");
    }
}
