//! AMT firmware versions, shared by `amt`, the rules and the reports.
//!
//! [`Version`] is the strict reading: 2 to 4 numeric parts, compared part by
//! part. A version with fewer parts is read as a *prefix*: `5.2` (from a
//! banner or an RMCP pong) stands for every `5.2.x.y`. That is why a range
//! check answers "inside", "outside" or "undecidable" instead of a boolean.
//!
//! [`ReportedVersion`] is what a facts record holds: the text as its source
//! gave it, read once into what the code asks of it. Devices and files send
//! text that is no [`Version`] (`five`, `8.1.10.1000.2`), and a saved scan
//! must write back what it read, so the text is never replaced by its reading.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Deref;

/// Longest piece of a rejected version repeated in its error.
const MAX_SHOWN: usize = 60;

/// Why a version string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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

/// A firmware version as a facts record holds it: the text as the device,
/// the RMCP pong or a file gave it, and its readings, made once when the
/// record is filled or loaded.
///
/// Serialised as the bare text, so records read and write exactly as when
/// the field was a string. It dereferences to that text.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ReportedVersion {
    text: String,
    /// The rules' reading; `None` where the text is no [`Version`].
    version: Option<Version>,
    /// The first dot-separated part as a number, read even where the whole
    /// is no [`Version`] (`7`, `8.1.x`): the firmware generation is what
    /// decides which classes to ask for, and a device that gives any major
    /// at all has told us that much.
    major: Option<u32>,
    /// The second part, read the same way.
    minor: Option<u32>,
}

impl ReportedVersion {
    /// Reads `text` once.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let mut parts = text.split('.').map(|p| p.trim().parse::<u32>().ok());
        let major = parts.next().flatten();
        let minor = parts.next().flatten();
        Self {
            version: text.parse().ok(),
            major,
            minor,
            text,
        }
    }

    /// The text as reported.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text as a [`Version`], where it is one.
    pub fn version(&self) -> Option<&Version> {
        self.version.as_ref()
    }

    /// The firmware major version (the generation).
    pub fn major(&self) -> Option<u32> {
        self.major
    }

    /// The minor version, where the text gives one.
    pub fn minor(&self) -> Option<u32> {
        self.minor
    }

    /// At most the first three parts (`11.8.50`): how Configuration Manager
    /// groups firmware (`AMTFullVersion`).
    pub fn group(&self) -> String {
        self.text.split('.').take(3).collect::<Vec<_>>().join(".")
    }
}

impl Deref for ReportedVersion {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for ReportedVersion {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl From<String> for ReportedVersion {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<&str> for ReportedVersion {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<&Version> for ReportedVersion {
    fn from(version: &Version) -> Self {
        Self::new(version.to_string())
    }
}

impl PartialEq<str> for ReportedVersion {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for ReportedVersion {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl fmt::Display for ReportedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// As the text, so test failures and logs show what the record says.
impl fmt::Debug for ReportedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl serde::Serialize for ReportedVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for ReportedVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
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

    #[test]
    fn major_version() {
        let major_of = |t: &str| ReportedVersion::new(t).major();
        assert_eq!(major_of("11.8.50.3425"), Some(11));
        assert_eq!(major_of("5.2"), Some(5));
        assert_eq!(major_of("x"), None);
        assert_eq!(major_of(""), None);
    }

    #[test]
    fn reported_text_is_kept_and_read_once() {
        let r = ReportedVersion::new("11.8.50.3425");
        assert_eq!((r.major(), r.minor()), (Some(11), Some(8)));
        assert_eq!(r.version(), Some(&v("11.8.50.3425")));
        assert_eq!(r.group(), "11.8.50");
        assert_eq!(&*r, "11.8.50.3425");

        // Not a Version, but its generation is still known.
        let odd = ReportedVersion::new(" 7.x");
        assert_eq!(
            (odd.major(), odd.minor(), odd.version()),
            (Some(7), None, None)
        );
        let junk = ReportedVersion::new("five");
        assert_eq!((junk.major(), junk.version()), (None, None));
        assert_eq!(junk.as_str(), "five");
    }

    #[test]
    fn reported_serialises_as_the_text_it_was_given() {
        for text in ["5.2.10", "five", " 5.2 ", "", "1.2.3.4.5", "\u{1b}[31m"] {
            let json = serde_json::to_string(text).unwrap();
            let r: ReportedVersion = serde_json::from_str(&json).unwrap();
            assert_eq!(r.as_str(), text);
            assert_eq!(serde_json::to_string(&r).unwrap(), json);
        }
        assert!(serde_json::from_str::<ReportedVersion>("5.2").is_err());
    }
}
