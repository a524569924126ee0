//! AMT firmware versions: 2 to 4 numeric parts, compared part by part.
//!
//! A version with fewer parts is read as a *prefix*: `5.2` (from a banner or an
//! RMCP pong) stands for every `5.2.x.y`. That is why a range check answers
//! "inside", "outside" or "undecidable" instead of a boolean.

use std::cmp::Ordering;
use std::fmt;

/// Longest piece of a rejected version repeated in its error.
const MAX_SHOWN: usize = 60;

/// Why a version string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Fewer than 2 or more than 4 dot-separated parts.
    #[error("version `{0}` must have 2 to 4 numeric parts")]
    PartCount(String),
    /// A part is empty, not decimal, or too large for 32 bits.
    #[error("version `{0}` has a part that is not a decimal number")]
    NotNumeric(String),
}

/// A firmware version such as `5.2`, `5.2.10` or `11.8.50.3425`.
///
/// Ordering is numeric part by part with missing parts read as 0, so
/// `3.2.0.1234 < 3.2.1` and `5.2.9 < 5.2.10`. Versions equal after padding
/// (`3.2` and `3.2.0`) are ordered by part count so that the order stays total
/// and consistent with `Eq`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    parts: Vec<u32>,
}

/// Where a (possibly partial) version lies relative to a half-open range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeFit {
    /// Every version with this prefix is inside the range.
    Inside,
    /// No version with this prefix is inside the range.
    Outside,
    /// Some are, some are not: more parts are needed to decide.
    Straddles,
}

impl Version {
    /// The numeric parts as given (2 to 4 of them).
    pub fn parts(&self) -> &[u32] {
        &self.parts
    }

    fn padded(&self) -> [u64; 4] {
        let mut out = [0u64; 4];
        for (slot, part) in out.iter_mut().zip(self.parts.iter()) {
            *slot = u64::from(*part);
        }
        out
    }

    /// The first version after every version that has this one as prefix,
    /// padded to 4 parts (64-bit so that `u32::MAX + 1` cannot overflow).
    fn prefix_end(&self) -> [u64; 4] {
        let mut end = self.padded();
        let last = self.parts.len().saturating_sub(1).min(3);
        if let Some(slot) = end.get_mut(last) {
            *slot += 1;
        }
        end
    }

    /// Where the versions with this prefix fall against `[from, below)`.
    pub fn fit(&self, from: &Version, below: &Version) -> RangeFit {
        let start = self.padded();
        let end = self.prefix_end();
        let (lo, hi) = (from.padded(), below.padded());
        if start >= lo && end <= hi {
            RangeFit::Inside
        } else if end <= lo || start >= hi {
            RangeFit::Outside
        } else {
            RangeFit::Straddles
        }
    }
}

impl std::str::FromStr for Version {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        // The text comes from devices and files: quoted in an error, it is
        // one escaped line of bounded length.
        let shown = || crate::text::bounded_line(trimmed, MAX_SHOWN);
        let pieces: Vec<&str> = trimmed.split('.').collect();
        if !(2..=4).contains(&pieces.len()) {
            return Err(VersionError::PartCount(shown()));
        }
        let mut parts = Vec::with_capacity(pieces.len());
        for piece in pieces {
            if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::NotNumeric(shown()));
            }
            let value = piece
                .parse::<u32>()
                .map_err(|_| VersionError::NotNumeric(shown()))?;
            parts.push(value);
        }
        Ok(Version { parts })
    }
}

impl TryFrom<String> for Version {
    type Error = VersionError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Version> for String {
    fn from(version: Version) -> String {
        version.to_string()
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.padded()
            .cmp(&other.padded())
            .then(self.parts.len().cmp(&other.parts.len()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for part in &self.parts {
            if !first {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    #[test]
    fn numeric_not_lexical() {
        assert!(v("5.2.9") < v("5.2.10"));
        assert!(v("3.2.0.1234") < v("3.2.1"));
        assert!(v("3.2") < v("3.2.0"));
        assert!(v("11.8.50.3425") > v("9.5"));
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "5",
            "1.2.3.4.5",
            "5..2",
            "5.x",
            "",
            " . ",
            "-1.2",
            "99999999999.1",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
    }

    #[test]
    fn prefix_fit() {
        let (lo, hi) = (v("5.2.10"), v("5.3"));
        assert_eq!(v("5.2").fit(&lo, &hi), RangeFit::Straddles);
        assert_eq!(v("5.2.10").fit(&lo, &hi), RangeFit::Inside);
        assert_eq!(v("5.2.9.999").fit(&lo, &hi), RangeFit::Outside);
        assert_eq!(v("4.1").fit(&v("4.0"), &v("4.3")), RangeFit::Inside);
        assert_eq!(v("3.2.0").fit(&v("3.2.1"), &v("3.3")), RangeFit::Outside);
        assert_eq!(v("4294967295.1").fit(&lo, &hi), RangeFit::Outside);
    }
}
