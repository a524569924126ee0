//! The AMT provisioning certificate against the devices: `amtready cert` and
//! `scan --provisioning-cert`.
//!
//! A chain (PEM, or PKCS#12 with a password) is read once into
//! [`ChainFacts`], and a device's side into a [`DeviceView`]. These are facts:
//! the CERT-* rules that judge them are rows of
//! `src/rules/provisioning-certificate.toml` with a check each in
//! `src/rules/checks/` ([`crate::rules::provisioning_cert`] runs them). They
//! cite:
//! - Configuration Manager 2007 SP1, "Certificate Requirements for Out of Band
//!   Management" (the AMT provisioning certificate: server authentication plus
//!   OID 2.16.840.1.113741.1.2.3, issued by a CA the devices trust) and
//!   "Prerequisites for Out of Band Management" (no CA key over 2048 bits);
//! - Intel AMT SDK, "Acquiring an Intel vPro Certificate" (the OID or the OU
//!   `Intel(R) Client Setup Certificate`, the leaf's domain suffix against the
//!   host's) and "Root Certificate Hashes" (SHA-256/384 hashes from AMT 6.0).

pub mod roots;

use std::path::Path;

use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256, SHA384};
use x509_parser::prelude::*;

use crate::facts::{CertHash, FactsRecord};
use crate::text::normalise_hex as normalise;

/// The Intel AMT provisioning OID in the leaf's extended key usage.
pub const AMT_PROVISIONING_OID: &str = "2.16.840.1.113741.1.2.3";
/// The subject OU that stands in for the OID.
pub const AMT_SETUP_OU: &str = "Intel(R) Client Setup Certificate";
/// AMT firmware accepts SHA-256 and SHA-384 root hashes from this major.
pub use crate::amt::firmware::SHA2_FROM_MAJOR;
/// Largest certificate file read.
const MAX_CHAIN_BYTES: u64 = 1024 * 1024;

/// Why a chain could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The certificate file, as given.
        path: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file holds more than the 1 MiB read of a chain (`MAX_CHAIN_BYTES`).
    #[error("{path} is larger than {MAX_CHAIN_BYTES} bytes")]
    TooLarge {
        /// The certificate file, as given.
        path: String,
    },
    /// The file was read but holds no chain that parses (bad PEM, DER or PFX,
    /// a wrong PFX password, no certificate at all).
    #[error("{path}: {message}")]
    Invalid {
        /// The certificate file, as given.
        path: String,
        /// What was wrong with it, on one line.
        message: String,
    },
}

/// One certificate, as far as the checks need it.
#[derive(Debug, Clone)]
pub struct CertInfo {
    /// The subject distinguished name, as x509-parser prints it (`CN=..., OU=...`).
    pub subject: String,
    /// The issuer distinguished name, in the same form.
    pub issuer: String,
    /// Subject and issuer are the same name (a root, or a leaf signing itself).
    pub self_signed: bool,
    /// Basic constraints say CA: the certificate may sign others.
    pub is_ca: bool,
    /// Start of validity, in seconds since the Unix epoch.
    pub not_before: i64,
    /// End of validity, in seconds since the Unix epoch.
    pub not_after: i64,
    /// RSA (or EC) key size in bits, when the key could be read.
    pub key_bits: Option<usize>,
    /// SHA-1 thumbprint of the DER, lower-case hex: what AMT before 6.0 stores
    /// as a trusted root hash.
    pub sha1: String,
    /// SHA-256 thumbprint of the DER, lower-case hex (AMT 6.0 and later).
    pub sha256: String,
    /// SHA-384 thumbprint of the DER, lower-case hex (AMT 6.0 and later).
    pub sha384: String,
}

impl CertInfo {
    /// The certificate's hash in `algorithm` (`sha1`, `sha256`, `sha384`).
    pub fn hash(&self, algorithm: &str) -> Option<&str> {
        match algorithm {
            "sha1" => Some(&self.sha1),
            "sha256" => Some(&self.sha256),
            "sha384" => Some(&self.sha384),
            _ => None,
        }
    }
}

/// The chain, leaf first, root last when it is there.
#[derive(Debug, Clone)]
pub struct ChainFacts {
    /// Every certificate of the chain, leaf first.
    pub certs: Vec<CertInfo>,
    /// The leaf's EKU has server authentication.
    pub leaf_server_auth: bool,
    /// The leaf's EKU has the AMT provisioning OID.
    pub leaf_amt_oid: bool,
    /// The leaf's subject OUs.
    pub leaf_ous: Vec<String>,
    /// The leaf's DNS names (SAN, else CN).
    pub leaf_names: Vec<String>,
}

impl ChainFacts {
    /// The leaf certificate.
    pub fn leaf(&self) -> Option<&CertInfo> {
        self.certs.first()
    }

    /// The root, when the chain includes it (self-signed, last).
    pub fn root(&self) -> Option<&CertInfo> {
        self.certs.last().filter(|c| c.self_signed)
    }

    /// The leaf's domain suffixes: each DNS name without its host label.
    pub fn leaf_domains(&self) -> Vec<String> {
        self.leaf_names
            .iter()
            .map(|name| {
                let name = name.trim_start_matches("*.");
                match name.split_once('.') {
                    Some((_, rest)) if rest.contains('.') => rest.to_string(),
                    _ => name.to_string(),
                }
            })
            .collect()
    }
}

/// Reads a chain from PEM (every CERTIFICATE block) or PKCS#12 (`.pfx`,
/// `.p12`, or any file that is not PEM), with `password` for PKCS#12.
pub fn load_chain(path: &Path, password: Option<&str>) -> Result<ChainFacts, CertError> {
    let shown = path.display().to_string();
    let size = std::fs::metadata(path)
        .map_err(|source| CertError::Io {
            path: shown.clone(),
            source,
        })?
        .len();
    if size > MAX_CHAIN_BYTES {
        return Err(CertError::TooLarge { path: shown });
    }
    // The size check above says nothing of a FIFO or a device: the read is
    // capped and timed as every input is.
    let bytes = bounded_read::read(path, MAX_CHAIN_BYTES).map_err(|e| match e {
        bounded_read::ReadError::TooLarge { .. } => CertError::TooLarge {
            path: shown.clone(),
        },
        bounded_read::ReadError::Io { source, .. } => CertError::Io {
            path: shown.clone(),
            source,
        },
        bounded_read::ReadError::NotUtf8 { .. } => CertError::Io {
            path: shown.clone(),
            source: std::io::Error::other("not UTF-8"),
        },
    })?;
    let invalid = |message: String| CertError::Invalid {
        path: shown.clone(),
        message,
    };
    let ders = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        pem_certificates(&bytes).map_err(invalid)?
    } else {
        pkcs12_certificates(&bytes, password.unwrap_or("")).map_err(invalid)?
    };
    analyse(&ders).map_err(invalid)
}

fn pem_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(bytes) {
        let pem = pem.map_err(|e| format!("bad PEM: {e}"))?;
        if pem.label == "CERTIFICATE" {
            out.push(pem.contents);
        }
    }
    if out.is_empty() {
        return Err("no CERTIFICATE block".into());
    }
    Ok(out)
}

fn pkcs12_certificates(bytes: &[u8], password: &str) -> Result<Vec<Vec<u8>>, String> {
    // Relaxed: a PFX exported without its private key, or with the chain as
    // separate entries, still yields its certificates.
    let store = p12_keystore::KeyStore::from_pkcs12(
        bytes,
        password,
        p12_keystore::Pkcs12ImportPolicy::Relaxed,
    )
    .map_err(|e| format!("not a PEM chain, and not a PKCS#12 file this password opens ({e})"))?;
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut add = |der: &[u8]| {
        if !out.iter().any(|c| c.as_slice() == der) {
            out.push(der.to_vec());
        }
    };
    for (_, entry) in store.entries() {
        match entry {
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain) => {
                chain.certs().iter().for_each(|cert| add(cert.as_der()))
            }
            p12_keystore::KeyStoreEntry::Certificate(cert) => add(cert.as_der()),
            _ => {}
        }
    }
    if out.is_empty() {
        return Err("the PKCS#12 file holds no certificate".into());
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    crate::text::lower_hex(bytes)
}

/// Orders DER certificates leaf first (the one that signs no other) and reads
/// what the checks need.
pub fn analyse(ders: &[Vec<u8>]) -> Result<ChainFacts, String> {
    let mut parsed = Vec::new();
    for (index, der) in ders.iter().enumerate() {
        let (_, cert) = parse_x509_certificate(der)
            .map_err(|e| format!("certificate {} is not valid X.509: {e}", index + 1))?;
        parsed.push((der, cert));
    }
    // Leaf: a certificate whose subject is no other's issuer.
    let leaf_index = (0..parsed.len())
        .find(|&i| {
            let subject = parsed[i].1.subject().as_raw();
            !parsed
                .iter()
                .enumerate()
                .any(|(j, (_, c))| j != i && c.issuer().as_raw() == subject)
        })
        .unwrap_or(0);
    let mut order = vec![leaf_index];
    while order.len() < parsed.len() {
        let last = &parsed[*order.last().unwrap_or(&0)].1;
        if last.subject().as_raw() == last.issuer().as_raw() {
            break;
        }
        let next = (0..parsed.len()).find(|j| {
            !order.contains(j) && parsed[*j].1.subject().as_raw() == last.issuer().as_raw()
        });
        match next {
            Some(j) => order.push(j),
            None => break,
        }
    }
    let certs: Vec<CertInfo> = order
        .iter()
        .map(|&i| {
            let (der, cert) = &parsed[i];
            CertInfo {
                subject: cert.subject().to_string(),
                issuer: cert.issuer().to_string(),
                self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
                is_ca: cert.is_ca(),
                not_before: cert.validity().not_before.timestamp(),
                not_after: cert.validity().not_after.timestamp(),
                key_bits: match cert.public_key().parsed() {
                    Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.key_size()),
                    Ok(x509_parser::public_key::PublicKey::EC(ec)) => Some(ec.key_size()),
                    _ => None,
                },
                // SHA-1 is what AMT before 6.0 stores, not a security choice here.
                sha1: hex(digest(&SHA1_FOR_LEGACY_USE_ONLY, der).as_ref()),
                sha256: hex(digest(&SHA256, der).as_ref()),
                sha384: hex(digest(&SHA384, der).as_ref()),
            }
        })
        .collect();
    let leaf = &parsed[leaf_index].1;
    let (leaf_server_auth, leaf_amt_oid) = match leaf.extended_key_usage() {
        Ok(Some(eku)) => (
            eku.value.server_auth,
            eku.value
                .other
                .iter()
                .any(|oid| oid.to_id_string() == AMT_PROVISIONING_OID),
        ),
        _ => (false, false),
    };
    let leaf_ous = leaf
        .subject()
        .iter_organizational_unit()
        .filter_map(|ou| ou.as_str().ok().map(str::to_string))
        .collect();
    let mut leaf_names: Vec<String> = match leaf.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(name) => Some(name.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if leaf_names.is_empty() {
        leaf_names = leaf
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok().map(str::to_string))
            .collect();
    }
    Ok(ChainFacts {
        certs,
        leaf_server_auth,
        leaf_amt_oid,
        leaf_ous,
        leaf_names,
    })
}

/// The device side of one check: its hashes, firmware major and DNS suffix.
#[derive(Debug, Clone, Default)]
pub struct DeviceView {
    /// The trusted root hashes the device reported
    /// (AMT_ProvisioningCertificateHash instances).
    pub hashes: Vec<CertHash>,
    /// The AMT firmware major version, which decides whether SHA-256/384
    /// hashes count; `None` when the version was not read.
    pub major: Option<u32>,
    /// The DNS suffix the device provisions under: the trusted (OEM) suffix,
    /// else the one DHCP gave (AMT_SetupAndConfigurationService).
    pub suffix: Option<String>,
}

impl DeviceView {
    /// From a facts record (`None` when it holds no hash list).
    pub fn from_record(record: &FactsRecord) -> Option<DeviceView> {
        let amt = record.amt.as_ref()?;
        Some(DeviceView {
            hashes: amt.cert_hashes.clone()?,
            major: amt.version.as_ref().and_then(|v| v.major()),
            suffix: amt.provisioning_dns_suffix().map(|(s, _)| s.to_string()),
        })
    }
}

/// The CN of a distinguished name, else the whole name.
pub fn short_name(dn: &str) -> String {
    dn.split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(dn)
        .to_string()
}

/// Reads a hashes file: one hex thumbprint per line, optionally prefixed with
/// `sha1:`, `sha256:` or `sha384:` (else the algorithm follows from the
/// length); `#` starts a comment. Each is taken as an enabled hash.
pub fn parse_hashes(text: &str) -> Result<Vec<CertHash>, String> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (algorithm, value) = match line.split_once(':') {
            Some((a, v))
                if ["sha1", "sha256", "sha384"]
                    .contains(&a.trim().to_ascii_lowercase().as_str()) =>
            {
                (Some(a.trim().to_ascii_lowercase()), v)
            }
            _ => (None, line),
        };
        let hex = normalise(value);
        let algorithm = match (algorithm, hex.len()) {
            (Some(a), _) => a,
            (None, 40) => "sha1".to_string(),
            (None, 64) => "sha256".to_string(),
            (None, 96) => "sha384".to_string(),
            (None, n) => {
                return Err(format!(
                    "line {}: {n} hex digits is no SHA-1, SHA-256 or SHA-384 thumbprint",
                    index + 1
                ))
            }
        };
        out.push(CertHash {
            instance_id: format!("line {}", index + 1),
            hash_type: Some(algorithm),
            hash_hex: Some(hex),
            enabled: Some(true),
            ..CertHash::default()
        });
    }
    Ok(out)
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_files_name_their_bad_lines() {
        let hashes = parse_hashes(&format!(
            "# c\n{}\nsha256:{}\n\nAB:CD:{}  # trailing\n",
            "a".repeat(40),
            "b".repeat(64),
            "c".repeat(92)
        ))
        .unwrap();
        let kinds: Vec<_> = hashes
            .iter()
            .map(|h| h.hash_type.clone().unwrap())
            .collect();
        assert_eq!(kinds, ["sha1", "sha256", "sha384"]);
        assert!(hashes.iter().all(|h| h.enabled == Some(true)));
        let err = parse_hashes("abc\n").unwrap_err();
        assert!(err.starts_with("line 1:"), "{err}");
    }
}
