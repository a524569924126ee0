//! Certificate verifiers beyond rustls' own chain-and-name check: pins (one
//! for all, per host, or learnt on first use) and, behind the dangerous door,
//! none at all. Handshake signatures are always checked, so a pin binds the
//! connection to the pinned key, not just to a certificate someone replayed.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

use super::policy::{host_key, parse_pin_lines, read_bounded, Fingerprint};
use crate::wsman::Error;

/// The handshake-signature half of `ServerCertVerifier`, the same for every
/// verifier here: whatever a verifier decides about the certificate, the
/// handshake must still be signed by its key (with `self.provider`'s algorithms).
macro_rules! handshake_signatures_checked_by_provider {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

/// Why a pinned or TOFU verification failed. Carried through rustls as an
/// `OtherError` and shown to the admin as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// The certificate is not the pinned one.
    #[error("certificate {got} does not match the pin {expected}")]
    Mismatch {
        /// What the pin file or flag says.
        expected: String,
        /// What the device presented.
        got: Fingerprint,
    },
    /// No pin for this host in the pins file.
    #[error("no pin for host {0} in the pins file")]
    NoPin(String),
    /// The certificate changed since it was first trusted.
    #[error("certificate changed since first use: recorded {recorded}, now {got} (review, then edit the TOFU file)")]
    Changed {
        /// What the TOFU file holds.
        recorded: Fingerprint,
        /// What the device presented.
        got: Fingerprint,
    },
    /// The TOFU file could not be written.
    #[error("cannot record the first-use fingerprint: {0}")]
    Store(String),
}

/// Where pins come from.
#[derive(Debug, Clone)]
pub enum Pins {
    /// One pin for every device.
    All(Fingerprint),
    /// Pins per host.
    PerHost(HashMap<String, Vec<Fingerprint>>),
    /// Learnt on first use.
    Tofu(Arc<TofuStore>),
}

impl Pins {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        Ok(Pins::PerHost(parse_pin_lines(text)?))
    }

    fn check(&self, host: &str, got: Fingerprint) -> Result<(), PinError> {
        match self {
            Pins::All(fp) if *fp == got => Ok(()),
            Pins::All(fp) => Err(PinError::Mismatch {
                expected: fp.to_string(),
                got,
            }),
            Pins::PerHost(map) => match map.get(host) {
                None => Err(PinError::NoPin(host.to_owned())),
                Some(list) if list.contains(&got) => Ok(()),
                Some(list) => Err(PinError::Mismatch {
                    expected: list
                        .iter()
                        .map(Fingerprint::to_string)
                        .collect::<Vec<_>>()
                        .join(" or "),
                    got,
                }),
            },
            Pins::Tofu(store) => store.check(host, got),
        }
    }
}

/// The hosts a TOFU file knows, and the file new ones are appended to (at
/// once, so a killed scan keeps what it learnt).
pub struct TofuStore {
    path: PathBuf,
    known: Mutex<HashMap<String, Fingerprint>>,
    learnt: Mutex<Vec<(String, Fingerprint)>>,
}

impl fmt::Debug for TofuStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TofuStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl TofuStore {
    /// Reads `path` (a missing file is an empty store; it is created on the
    /// first new host).
    pub fn open(path: &Path) -> Result<Self, Error> {
        let known = if path.exists() {
            let text = String::from_utf8(read_bounded(path)?)
                .map_err(|_| Error::ClientBuild(format!("{}: not UTF-8 text", path.display())))?;
            let map = parse_pin_lines(&text)
                .map_err(|e| Error::ClientBuild(format!("{}:{e}", path.display())))?;
            let mut known = HashMap::new();
            for (host, fps) in map {
                // A host listed twice keeps its last line: the admin appended
                // a reviewed replacement.
                if let Some(fp) = fps.last() {
                    known.insert(host, *fp);
                }
            }
            known
        } else {
            HashMap::new()
        };
        Ok(Self {
            path: path.to_owned(),
            known: Mutex::new(known),
            learnt: Mutex::new(Vec::new()),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The hosts first trusted during this run, for the admin to review.
    pub fn learnt(&self) -> Vec<(String, Fingerprint)> {
        self.learnt
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn check(&self, host: &str, got: Fingerprint) -> Result<(), PinError> {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        match known.get(host) {
            Some(recorded) if *recorded == got => Ok(()),
            Some(recorded) => Err(PinError::Changed {
                recorded: *recorded,
                got,
            }),
            None => {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)
                    .map_err(|e| PinError::Store(e.to_string()))?;
                // Host keys are canonical host names or addresses: no spaces,
                // no newlines, nothing that could forge a second line.
                writeln!(file, "{host} {got}").map_err(|e| PinError::Store(e.to_string()))?;
                known.insert(host.to_owned(), got);
                self.learnt
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((host.to_owned(), got));
                Ok(())
            }
        }
    }
}

fn server_host(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(d) => host_key(d.as_ref()),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => host_key(&format!("{other:?}")),
    }
}

/// Trusts the pinned certificate, whatever its chain, name or dates: AMT's
/// self-signed certificates are verified this way, and their expiry becomes a
/// finding instead of an unreadable device.
#[derive(Debug)]
pub struct PinVerifier {
    pins: Pins,
    provider: Arc<CryptoProvider>,
}

impl PinVerifier {
    pub(crate) fn new(pins: Pins, provider: Arc<CryptoProvider>) -> Self {
        Self { pins, provider }
    }
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = Fingerprint::of(end_entity.as_ref());
        self.pins
            .check(&server_host(server_name), got)
            .map(|()| ServerCertVerified::assertion())
            .map_err(|e| {
                rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(e))))
            })
    }

    handshake_signatures_checked_by_provider!();
}

/// Accepts every certificate (signatures are still checked against it).
/// Only reachable through `TlsPolicy::dangerous()`.
#[derive(Debug)]
pub struct InsecureVerifier {
    provider: Arc<CryptoProvider>,
}

impl InsecureVerifier {
    pub(crate) fn new(provider: Arc<CryptoProvider>) -> Self {
        Self { provider }
    }
}

impl ServerCertVerifier for InsecureVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    handshake_signatures_checked_by_provider!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(b: u8) -> Fingerprint {
        Fingerprint([b; 32])
    }

    #[test]
    fn tofu_learns_then_holds_the_device_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tofu.txt");
        let store = TofuStore::open(&path).unwrap();
        store.check("10.0.0.5", fp(1)).unwrap();
        store.check("10.0.0.5", fp(1)).unwrap();
        assert_eq!(store.learnt(), vec![("10.0.0.5".to_owned(), fp(1))]);
        // A later run reads the file back and fails a changed certificate.
        let again = TofuStore::open(&path).unwrap();
        again.check("10.0.0.5", fp(1)).unwrap();
        let err = again.check("10.0.0.5", fp(2)).unwrap_err();
        assert!(matches!(err, PinError::Changed { .. }));
        assert!(err.to_string().contains("changed since first use"), "{err}");
        assert!(again.learnt().is_empty());
    }

    #[test]
    fn per_host_pins_fail_unknown_hosts_and_wrong_certs() {
        let pins = Pins::PerHost(HashMap::from([("a".to_owned(), vec![fp(1), fp(2)])]));
        pins.check("a", fp(2)).unwrap();
        assert!(matches!(
            pins.check("a", fp(3)),
            Err(PinError::Mismatch { .. })
        ));
        assert_eq!(pins.check("b", fp(1)), Err(PinError::NoPin("b".into())));
        assert!(Pins::All(fp(1)).check("any", fp(1)).is_ok());
    }
}
