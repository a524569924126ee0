//! What a scan trusts on TLS endpoints. There is no silent accept-anything:
//! skipping verification is spelt [`TlsPolicy::dangerous`]`().skip_verify()`,
//! and the CLI warns on every run that uses it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::RootCertStore;

use super::pin::read_bounded;
pub use super::pin::{host_key, Fingerprint};
use super::verify::{InsecureVerifier, PinVerifier, Pins, TofuStore};
use crate::wsman::Error;

/// A client certificate and key for mutual TLS. Debug never shows the key.
#[derive(Clone)]
pub struct ClientIdentity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: Arc<PrivateKeyDer<'static>>,
    /// The PEM text, for the legacy stack, which loads its own copy.
    #[cfg_attr(not(feature = "legacy-tls"), allow(dead_code))]
    pub(crate) cert_pem: Vec<u8>,
    #[cfg_attr(not(feature = "legacy-tls"), allow(dead_code))]
    pub(crate) key_pem: Vec<u8>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("chain_len", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ClientIdentity {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key
    /// (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, Error> {
        let cert_pem = read_bounded(cert)?;
        let key_pem = read_bounded(key)?;
        Self::from_pem(&cert_pem, &key_pem)
            .map_err(|e| Error::ClientBuild(format!("{} / {}: {e}", cert.display(), key.display())))
    }

    /// The same from PEM text.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, String> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("bad client certificate PEM: {e}"))?;
        if chain.is_empty() {
            return Err("no certificate in the client certificate file".into());
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| format!("bad client key PEM: {e}"))?;
        Ok(Self {
            chain,
            key: Arc::new(key),
            cert_pem: cert_pem.to_vec(),
            key_pem: key_pem.to_vec(),
        })
    }
}

#[derive(Clone)]
enum Trust {
    SystemRoots,
    Roots {
        store: Arc<RootCertStore>,
        source: PathBuf,
    },
    Pin(Fingerprint),
    Pins {
        pins: Arc<Pins>,
        source: PathBuf,
    },
    Tofu(Arc<TofuStore>),
    Insecure,
}

/// What a scan trusts, and the client identity it shows. Built once per scan.
#[derive(Clone)]
pub struct TlsPolicy {
    trust: Trust,
    identity: Option<ClientIdentity>,
    legacy: bool,
}

impl fmt::Debug for TlsPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsPolicy")
            .field("trust", &self.describe())
            .field("identity", &self.identity)
            .field("legacy", &self.legacy)
            .finish()
    }
}

impl Default for TlsPolicy {
    fn default() -> Self {
        Self::system_roots()
    }
}

impl TlsPolicy {
    fn with_trust(trust: Trust) -> Self {
        Self {
            trust,
            identity: None,
            legacy: cfg!(feature = "legacy-tls"),
        }
    }

    /// Verify chains and names against the operating system's trust store.
    pub fn system_roots() -> Self {
        Self::with_trust(Trust::SystemRoots)
    }

    /// Verify chains and names against the CA certificates in a PEM file.
    pub fn ca_file(path: &Path) -> Result<Self, Error> {
        let pem = read_bounded(path)?;
        Self::ca_pem(&pem, path)
    }

    /// The same from PEM text; `source` names it in messages.
    pub fn ca_pem(pem: &[u8], source: &Path) -> Result<Self, Error> {
        let mut store = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert
                .map_err(|e| Error::ClientBuild(format!("{}: bad PEM: {e}", source.display())))?;
            store.add(cert).map_err(|e| {
                Error::ClientBuild(format!(
                    "{}: unusable CA certificate: {e}",
                    source.display()
                ))
            })?;
        }
        if store.is_empty() {
            return Err(Error::ClientBuild(format!(
                "{}: no CA certificate in the file",
                source.display()
            )));
        }
        Ok(Self::with_trust(Trust::Roots {
            store: Arc::new(store),
            source: source.to_owned(),
        }))
    }

    /// Trust exactly the certificate with this fingerprint, on every device.
    pub fn pin(fingerprint: Fingerprint) -> Self {
        Self::with_trust(Trust::Pin(fingerprint))
    }

    /// Per-host pins: `HOST sha256:HEX` per line (`#` comments; several
    /// lines for one host allow a certificate rotation).
    pub fn pins_file(path: &Path) -> Result<Self, Error> {
        let text = String::from_utf8(read_bounded(path)?)
            .map_err(|_| Error::ClientBuild(format!("{}: not UTF-8 text", path.display())))?;
        let pins = Pins::parse(&text)
            .map_err(|e| Error::ClientBuild(format!("{}:{e}", path.display())))?;
        Ok(Self::with_trust(Trust::Pins {
            pins: Arc::new(pins),
            source: path.to_owned(),
        }))
    }

    /// Trust on first use, recorded in `path` (created if missing).
    pub fn tofu_file(path: &Path) -> Result<Self, Error> {
        let store = TofuStore::open(path)?;
        Ok(Self::with_trust(Trust::Tofu(Arc::new(store))))
    }

    /// The door to policies that weaken verification.
    pub fn dangerous() -> DangerousTlsPolicy {
        DangerousTlsPolicy(())
    }

    /// Shows this client certificate to devices that ask for one (mutual TLS).
    pub fn with_client_identity(mut self, identity: ClientIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Whether the legacy TLS 1.0/1.1 stack may be used after the modern
    /// handshake is refused (on by default when built with `legacy-tls`).
    pub fn with_legacy(mut self, allowed: bool) -> Self {
        self.legacy = allowed && cfg!(feature = "legacy-tls");
        self
    }

    /// Whether the legacy stack may be used.
    pub fn legacy_allowed(&self) -> bool {
        self.legacy
    }

    /// Whether certificates go unverified.
    pub fn is_insecure(&self) -> bool {
        matches!(self.trust, Trust::Insecure)
    }

    /// The client identity, if any.
    pub fn client_identity(&self) -> Option<&ClientIdentity> {
        self.identity.as_ref()
    }

    /// The TOFU store, when the policy is trust on first use.
    pub fn tofu(&self) -> Option<&Arc<TofuStore>> {
        match &self.trust {
            Trust::Tofu(store) => Some(store),
            _ => None,
        }
    }

    /// One line saying what is trusted, for logs and `--help`-style output.
    pub fn describe(&self) -> String {
        match &self.trust {
            Trust::SystemRoots => "the system trust store (chain and name)".into(),
            Trust::Roots { source, .. } => {
                format!(
                    "the CA certificates in {} (chain and name)",
                    source.display()
                )
            }
            Trust::Pin(fp) => format!("exactly the certificate {fp}"),
            Trust::Pins { source, .. } => {
                format!("the per-host pins in {}", source.display())
            }
            Trust::Tofu(store) => {
                format!("trust on first use, recorded in {}", store.path().display())
            }
            Trust::Insecure => "any certificate (verification skipped)".into(),
        }
    }

    /// The verifier every TLS connection of the scan goes through.
    pub fn server_verifier(&self) -> Result<Arc<dyn ServerCertVerifier>, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let webpki = |roots: Arc<RootCertStore>| -> Result<Arc<dyn ServerCertVerifier>, Error> {
            let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| Error::ClientBuild(format!("cannot build the verifier: {e}")))?;
            Ok(verifier)
        };
        match &self.trust {
            Trust::SystemRoots => webpki(Arc::new(system_store()?)),
            Trust::Roots { store, .. } => webpki(store.clone()),
            Trust::Pin(fp) => Ok(Arc::new(PinVerifier::new(Pins::All(*fp), provider))),
            Trust::Pins { pins, .. } => Ok(Arc::new(PinVerifier::new(Pins::clone(pins), provider))),
            Trust::Tofu(store) => Ok(Arc::new(PinVerifier::new(
                Pins::Tofu(store.clone()),
                provider,
            ))),
            Trust::Insecure => Ok(Arc::new(InsecureVerifier::new(provider))),
        }
    }
}

/// Policies that weaken verification, reachable only through
/// [`TlsPolicy::dangerous`].
#[derive(Debug)]
pub struct DangerousTlsPolicy(());

impl DangerousTlsPolicy {
    /// Accept any certificate. TLS then guards against passive listeners
    /// only; Digest never sends the password itself, so an active attacker
    /// gains a challenge answer, not the password.
    pub fn skip_verify(self) -> TlsPolicy {
        TlsPolicy::with_trust(Trust::Insecure)
    }
}

fn system_store() -> Result<RootCertStore, Error> {
    let found = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    let (added, _ignored) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(Error::ClientBuild(
            "no usable certificate in the system trust store; use --ca, --pin, --pins or --tofu"
                .into(),
        ));
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_only_through_the_dangerous_door() {
        assert!(!TlsPolicy::system_roots().is_insecure());
        let p = TlsPolicy::dangerous().skip_verify();
        assert!(p.is_insecure());
        assert!(p.describe().contains("skipped"));
    }

    #[test]
    fn identity_debug_hides_the_key() {
        let text = format!(
            "{:?}",
            ClientIdentity {
                chain: vec![],
                key: Arc::new(PrivateKeyDer::Pkcs8(vec![7u8; 4].into())),
                cert_pem: vec![],
                key_pem: b"SECRETKEY".to_vec(),
            }
        );
        assert!(!text.contains("SECRET") && !text.contains("7, 7"), "{text}");
    }
}
