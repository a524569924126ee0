//! TLS for the transport: what to trust ([`TlsPolicy`]), what a handshake saw
//! ([`TlsInfo`]), and the connectors that open plain, modern (rustls) and
//! legacy (OpenSSL, feature `legacy-tls`) connections.
//!
//! Every certificate decision goes through one `rustls` [`ServerCertVerifier`]
//! built from the policy, for both stacks: rustls calls it during its
//! handshake, and the legacy path calls it on the peer chain right after the
//! OpenSSL handshake, before a single HTTP byte is sent.
//!
//! [`ServerCertVerifier`]: rustls::client::danger::ServerCertVerifier

pub mod connector;
#[cfg(feature = "legacy-tls")]
pub mod legacy;
pub mod pin;
pub mod policy;
pub mod verify;

use std::fmt;

pub use connector::{Connector, Stream};
pub use policy::{ClientIdentity, DangerousTlsPolicy, Fingerprint, TlsPolicy};
pub use verify::TofuStore;

/// A TLS protocol version as negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.0 (AMT 3.x to about 9, legacy path only).
    Tls10,
    /// TLS 1.1 (legacy path only).
    Tls11,
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    /// `1.0`, `1.1`, `1.2`, `1.3`.
    pub fn number(self) -> &'static str {
        match self {
            TlsVersion::Tls10 => "1.0",
            TlsVersion::Tls11 => "1.1",
            TlsVersion::Tls12 => "1.2",
            TlsVersion::Tls13 => "1.3",
        }
    }
}

/// Which TLS stack carried a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsStack {
    /// rustls: TLS 1.2 and 1.3 with modern ciphers.
    Modern,
    /// The system OpenSSL at security level 0, for TLS 1.0/1.1 with RSA key
    /// exchange. Only after the modern handshake was refused, or first where
    /// evidence says AMT 8 or older ([`TlsInfo::legacy_reason`]).
    Legacy,
}

/// What the TLS layer saw on one connection.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// The negotiated protocol version.
    pub version: TlsVersion,
    /// The cipher suite's IANA name (`TLS13_AES_256_GCM_SHA384`,
    /// `TLS_RSA_WITH_AES_128_CBC_SHA`).
    pub cipher: String,
    /// The stack that carried it.
    pub stack: TlsStack,
    /// The peer's certificate chain as sent, leaf first, DER.
    pub peer_chain: Vec<Vec<u8>>,
    /// Why the legacy stack was used: the modern handshake was refused, or
    /// evidence gathered before the first handshake said AMT 8 or older.
    pub legacy_reason: Option<String>,
}

impl TlsInfo {
    /// How a report names the connection: `tls-1.3`, `tls-1.2`, `legacy-1.0`, `legacy-1.1`.
    pub fn label(&self) -> String {
        let stack = match self.stack {
            TlsStack::Modern => "tls",
            TlsStack::Legacy => "legacy",
        };
        format!("{stack}-{}", self.version.number())
    }
}

impl fmt::Debug for TlsInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsInfo")
            .field("version", &self.version)
            .field("cipher", &self.cipher)
            .field("stack", &self.stack)
            .field("peer_chain_len", &self.peer_chain.len())
            .field("legacy_reason", &self.legacy_reason)
            .finish()
    }
}

/// The SHA-256 of some bytes (a certificate's DER), for fingerprints.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_say_which_stack() {
        let mut info = TlsInfo {
            version: TlsVersion::Tls13,
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
            stack: TlsStack::Modern,
            peer_chain: vec![vec![1, 2, 3]],
            legacy_reason: None,
        };
        assert_eq!(info.label(), "tls-1.3");
        info.version = TlsVersion::Tls10;
        info.stack = TlsStack::Legacy;
        assert_eq!(info.label(), "legacy-1.0");
        assert!(!format!("{info:?}").contains("[1, 2, 3]"));
    }
}
