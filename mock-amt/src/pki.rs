//! The mock's test PKI, made when first needed and kept for the process: a
//! CA, one server key shared by every device (RSA, as AMT uses and as TLS 1.0
//! key exchange needs), per-device certificates, and a client certificate for
//! mutual TLS. Validity is relative to now and far from every boundary, so no
//! test depends on the wall clock: good certificates run from 30 days ago to
//! a year ahead, expired ones ended 30 days ago.

use std::sync::OnceLock;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Which server certificate a device shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    /// Issued by the test CA, valid now, named after the device.
    Good,
    /// Issued by the test CA, expired 30 days ago.
    Expired,
    /// Signed by its own key: no CA vouches for it.
    SelfSigned,
}

/// A server certificate chain and its key.
pub struct ServerCert {
    /// Leaf first; the CA follows for CA-issued certificates.
    pub chain: Vec<CertificateDer<'static>>,
    /// PKCS#8 DER of the key.
    pub key: PrivatePkcs8KeyDer<'static>,
}

impl ServerCert {
    /// The key in rustls' type.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key.clone_key())
    }
}

/// The process-wide test PKI.
pub struct TestPki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    server_key: KeyPair,
    client_cert_pem: String,
    client_key_pem: String,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

static PKI: OnceLock<Result<TestPki, String>> = OnceLock::new();

/// The test PKI, generated on first use (a second or so for the RSA keys).
pub fn test_pki() -> Result<&'static TestPki, String> {
    PKI.get_or_init(TestPki::generate)
        .as_ref()
        .map_err(Clone::clone)
}

fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86_400)
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// A new key for a certificate AMT would have: RSA 2048 where OpenSSL is
/// there to make one (ring cannot generate RSA), ECDSA P-256 otherwise.
fn new_key() -> Result<KeyPair, String> {
    #[cfg(feature = "legacy-tls")]
    {
        let rsa = openssl::rsa::Rsa::generate(2048).map_err(|e| e.to_string())?;
        let pkey = openssl::pkey::PKey::from_rsa(rsa).map_err(|e| e.to_string())?;
        let pem = pkey.private_key_to_pem_pkcs8().map_err(|e| e.to_string())?;
        let pem = String::from_utf8(pem).map_err(|e| e.to_string())?;
        KeyPair::from_pem(&pem).map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "legacy-tls"))]
    {
        KeyPair::generate().map_err(|e| e.to_string())
    }
}

impl TestPki {
    fn generate() -> Result<Self, String> {
        let err = |e: rcgen::Error| e.to_string();
        let ca_key = new_key()?;
        let mut ca = CertificateParams::default();
        ca.distinguished_name = DistinguishedName::new();
        ca.distinguished_name
            .push(DnType::CommonName, "mock-amt test CA");
        ca.distinguished_name
            .push(DnType::OrganizationName, "mock-amt");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.not_before = now() - days(60);
        ca.not_after = now() + days(3650);
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
        let ca_pem = ca_cert.pem();
        let ca_der = ca_cert.der().clone();
        let issuer = Issuer::new(ca, ca_key);

        let server_key = new_key()?;

        let client_key = new_key()?;
        let mut client = CertificateParams::default();
        client.distinguished_name = DistinguishedName::new();
        client
            .distinguished_name
            .push(DnType::CommonName, "amtready test client");
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        client.not_before = now() - days(30);
        client.not_after = now() + days(365);
        let client_cert = client.signed_by(&client_key, &issuer).map_err(err)?;

        Ok(Self {
            ca_pem,
            ca_der,
            issuer,
            server_key,
            client_cert_pem: client_cert.pem(),
            client_key_pem: client_key.serialize_pem(),
        })
    }

    /// The CA certificate, PEM: what `amtready scan --ca` takes.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate, DER.
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.ca_der
    }

    /// A client certificate the mock's mutual-TLS devices accept, PEM.
    pub fn client_cert_pem(&self) -> &str {
        &self.client_cert_pem
    }

    /// Its private key, PEM (PKCS#8). Test material, never a secret.
    pub fn client_key_pem(&self) -> &str {
        &self.client_key_pem
    }

    /// A server certificate named `dns_names` and `ips`.
    pub fn server_cert(
        &self,
        kind: LeafKind,
        dns_names: &[String],
        ips: &[std::net::IpAddr],
    ) -> Result<ServerCert, String> {
        let err = |e: rcgen::Error| e.to_string();
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        let cn = dns_names
            .first()
            .cloned()
            .unwrap_or_else(|| "mock-amt".into());
        params.distinguished_name.push(DnType::CommonName, cn);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "mock-amt");
        for name in dns_names {
            let ia5 = name.clone().try_into().map_err(err)?;
            params.subject_alt_names.push(SanType::DnsName(ia5));
        }
        for ip in ips {
            params.subject_alt_names.push(SanType::IpAddress(*ip));
        }
        // A random serial: two devices made in the same second must not get
        // byte-identical certificates (RSA signatures are deterministic).
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&rand::random::<[u8; 16]>()));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let (not_before, not_after) = match kind {
            LeafKind::Expired => (now() - days(400), now() - days(30)),
            LeafKind::Good | LeafKind::SelfSigned => (now() - days(30), now() + days(365)),
        };
        params.not_before = not_before;
        params.not_after = not_after;
        let chain = match kind {
            LeafKind::SelfSigned => {
                vec![params
                    .self_signed(&self.server_key)
                    .map_err(err)?
                    .der()
                    .clone()]
            }
            LeafKind::Good | LeafKind::Expired => vec![
                params
                    .signed_by(&self.server_key, &self.issuer)
                    .map_err(err)?
                    .der()
                    .clone(),
                self.ca_der.clone(),
            ],
        };
        Ok(ServerCert {
            chain,
            key: PrivatePkcs8KeyDer::from(self.server_key.serialize_der()),
        })
    }
}
