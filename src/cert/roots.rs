//! The trusted root hashes AMT firmware ships with, as data
//! (`certs/amt-root-hashes.toml`, embedded; its header names the sources), so
//! a device's hashes can be named offline.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::text::normalise_hex as normalise;

const DATA: &str = include_str!("../../certs/amt-root-hashes.toml");

/// One known default hash.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownRoot {
    /// The root certificate's CA name, as the source gives it.
    pub name: String,
    /// The hash algorithm: `sha1`, `sha256` or `sha384`.
    pub algorithm: String,
    /// The certificate's thumbprint in that algorithm, lower-case hex.
    pub hex: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    hash: Vec<KnownRoot>,
}

/// Every known default hash.
pub fn known() -> &'static [KnownRoot] {
    static KNOWN: OnceLock<Vec<KnownRoot>> = OnceLock::new();
    KNOWN.get_or_init(|| match toml::from_str::<File>(DATA) {
        Ok(file) => file.hash,
        // Checked by the unit test below; an empty list only loses names.
        Err(error) => {
            tracing::error!("certs/amt-root-hashes.toml is invalid: {error}");
            Vec::new()
        }
    })
}

/// The CA a hash belongs to, when it is a known default.
pub fn name_of(algorithm: Option<&str>, hex: &str) -> Option<&'static str> {
    let hex = normalise(hex);
    known()
        .iter()
        .find(|k| algorithm.is_none_or(|a| a == k.algorithm) && k.hex == hex)
        .map(|k| k.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_loads_and_names_hashes() {
        assert!(known().len() >= 6);
        for root in known() {
            let want = match root.algorithm.as_str() {
                "sha1" => 40,
                "sha256" => 64,
                "sha384" => 96,
                other => panic!("{other}"),
            };
            assert_eq!(root.hex.len(), want, "{}", root.name);
            assert_eq!(root.hex, normalise(&root.hex), "{}", root.name);
        }
        assert_eq!(
            name_of(
                Some("sha1"),
                "27:96:BA:E6:3F:18:01:E2:77:26:1B:A0:D7:77:70:02:8F:20:EE:E4"
            ),
            Some("Go Daddy Class 2 CA")
        );
        assert_eq!(
            name_of(Some("sha256"), "2796bae63f1801e277261ba0d77770028f20eee4"),
            None
        );
    }
}
