//! TLS on the mock's 16993: which kind a device serves, and the acceptors
//! that wrap an accepted TCP connection before the one router serves it.
//!
//! Modern kinds use rustls (TLS 1.2/1.3). `legacy` uses the system OpenSSL
//! limited to TLS 1.0 and RSA key exchange, like AMT 3.x-8.x, so a modern
//! client (rustls) cannot connect to it at all.

use std::net::IpAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::pki::{test_pki, LeafKind};

/// What a device's TLS listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsKind {
    /// TLS 1.2/1.3, a certificate from the test CA named after the device.
    Modern,
    /// Like modern, TLS 1.2 only (session-ID resumption, no tickets): what
    /// AMT 11-16 firmware is taken to speak (no public source says whether
    /// its TLS stack offers tickets, so the mock offers the older mechanism).
    Tls12,
    /// TLS 1.0 only, RSA key exchange only (AMT 3.x-8.x), test-CA certificate.
    Legacy,
    /// Like modern (or legacy on 3.x-8.x profiles), and a client certificate
    /// from the test CA is required.
    Mtls,
    /// A test-CA certificate that expired 30 days ago.
    Expired,
    /// A self-signed certificate.
    SelfSigned,
}

impl TlsKind {
    /// The CLI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsKind::Modern => "modern",
            TlsKind::Tls12 => "tls12",
            TlsKind::Legacy => "legacy",
            TlsKind::Mtls => "mtls",
            TlsKind::Expired => "expired",
            TlsKind::SelfSigned => "self-signed",
        }
    }

    fn leaf(self) -> LeafKind {
        match self {
            TlsKind::Expired => LeafKind::Expired,
            TlsKind::SelfSigned => LeafKind::SelfSigned,
            TlsKind::Modern | TlsKind::Tls12 | TlsKind::Legacy | TlsKind::Mtls => LeafKind::Good,
        }
    }
}

impl std::str::FromStr for TlsKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "modern" => Ok(TlsKind::Modern),
            "tls12" => Ok(TlsKind::Tls12),
            "legacy" => Ok(TlsKind::Legacy),
            "mtls" => Ok(TlsKind::Mtls),
            "expired" => Ok(TlsKind::Expired),
            "self-signed" => Ok(TlsKind::SelfSigned),
            other => Err(format!(
                "unknown TLS mode `{other}` (modern, tls12, legacy, mtls, expired, self-signed)"
            )),
        }
    }
}

impl std::fmt::Display for TlsKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device's TLS listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsSetup {
    /// What it serves.
    pub kind: TlsKind,
    /// Its port (0: a free one).
    pub port: u16,
}

/// Any connection the router can serve.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// Wraps accepted TCP connections in TLS.
#[derive(Clone)]
pub(crate) enum Acceptor {
    Rustls(tokio_rustls::TlsAcceptor),
    #[cfg(feature = "legacy-tls")]
    OpenSsl(Arc<openssl::ssl::SslContext>),
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl Acceptor {
    /// Builds the acceptor for a device. `legacy_generation` is true for
    /// firmware whose TLS stack speaks only TLS 1.0 (AMT 3.x-8.x): every kind
    /// is then served by the legacy stack.
    pub(crate) fn new(
        kind: TlsKind,
        legacy_generation: bool,
        dns_names: &[String],
        ip: IpAddr,
    ) -> std::io::Result<Self> {
        let pki = test_pki().map_err(io_err)?;
        let cert = pki
            .server_cert(kind.leaf(), dns_names, &[ip])
            .map_err(io_err)?;
        let mutual = kind == TlsKind::Mtls;
        if kind == TlsKind::Legacy || legacy_generation {
            return Self::legacy(&cert, mutual);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] = if kind == TlsKind::Tls12 {
            &[&rustls::version::TLS12]
        } else {
            rustls::DEFAULT_VERSIONS
        };
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(io_err)?;
        let builder = if mutual {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(pki.ca_der().clone()).map_err(io_err)?;
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(io_err)?;
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        // One configuration per device, shared by its connections, so its
        // session cache (rustls' default, 256 sessions) lets a client resume;
        // rustls' default ticketer issues no TLS 1.2 tickets.
        let config = builder
            .with_single_cert(cert.chain.clone(), cert.key_der())
            .map_err(io_err)?;
        Ok(Acceptor::Rustls(tokio_rustls::TlsAcceptor::from(Arc::new(
            config,
        ))))
    }

    #[cfg(feature = "legacy-tls")]
    fn legacy(cert: &crate::pki::ServerCert, mutual: bool) -> std::io::Result<Self> {
        use openssl::ssl::{SslContext, SslMethod, SslOptions, SslVerifyMode, SslVersion};
        use openssl::x509::X509;
        let mut b = SslContext::builder(SslMethod::tls_server()).map_err(io_err)?;
        // TLS 1.0 with RSA key exchange and nothing else, as AMT 3-8 offer:
        // no ECDHE, no AEAD, so rustls finds nothing in common.
        b.set_min_proto_version(Some(SslVersion::TLS1))
            .map_err(io_err)?;
        b.set_max_proto_version(Some(SslVersion::TLS1))
            .map_err(io_err)?;
        b.set_cipher_list("AES128-SHA:AES256-SHA:DES-CBC3-SHA:@SECLEVEL=0")
            .map_err(io_err)?;
        b.set_options(SslOptions::ALLOW_UNSAFE_LEGACY_RENEGOTIATION);
        let mut chain = cert.chain.iter();
        let leaf = chain
            .next()
            .ok_or_else(|| io_err("empty certificate chain"))?;
        let leaf = X509::from_der(leaf).map_err(io_err)?;
        b.set_certificate(&leaf).map_err(io_err)?;
        for extra in chain {
            b.add_extra_chain_cert(X509::from_der(extra).map_err(io_err)?)
                .map_err(io_err)?;
        }
        let key = openssl::pkey::PKey::private_key_from_der(cert.key.secret_pkcs8_der())
            .map_err(io_err)?;
        b.set_private_key(&key).map_err(io_err)?;
        b.check_private_key().map_err(io_err)?;
        if mutual {
            let pki = test_pki().map_err(io_err)?;
            let ca = X509::from_der(pki.ca_der()).map_err(io_err)?;
            b.cert_store_mut().add_cert(ca).map_err(io_err)?;
            b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        }
        Ok(Acceptor::OpenSsl(Arc::new(b.build())))
    }

    #[cfg(not(feature = "legacy-tls"))]
    fn legacy(_cert: &crate::pki::ServerCert, _mutual: bool) -> std::io::Result<Self> {
        Err(io_err(
            "legacy TLS needs mock-amt built with the legacy-tls feature",
        ))
    }

    /// The handshake on an accepted connection, and whether it resumed an
    /// earlier session (the benchmarks and tests count full handshakes).
    pub(crate) async fn accept(&self, tcp: TcpStream) -> std::io::Result<(Box<dyn Io>, bool)> {
        match self {
            Acceptor::Rustls(a) => {
                let stream = a.accept(tcp).await?;
                let resumed =
                    stream.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
                Ok((Box::new(stream), resumed))
            }
            #[cfg(feature = "legacy-tls")]
            Acceptor::OpenSsl(ctx) => {
                let ssl = openssl::ssl::Ssl::new(ctx).map_err(io_err)?;
                let mut stream = tokio_openssl::SslStream::new(ssl, tcp).map_err(io_err)?;
                std::pin::Pin::new(&mut stream)
                    .accept()
                    .await
                    .map_err(io_err)?;
                let resumed = stream.ssl().session_reused();
                Ok((Box::new(stream), resumed))
            }
        }
    }
}
