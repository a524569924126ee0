//! Opening connections: TCP, then nothing (plain endpoints), rustls, or,
//! when rustls is refused with a protocol-version or cipher alert, the legacy
//! stack. Built once per scan and shared by every host.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::ServerName;
use rustls::{AlertDescription, ClientConfig, ProtocolVersion};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::{TlsInfo, TlsPolicy, TlsStack, TlsVersion};
use crate::wsman::{Endpoint, Error, Rejection};

/// Any connection the HTTP layer can run over.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// An open connection, plain or TLS.
pub type Stream = Box<dyn Io>;

/// What the record says when the modern handshake was refused.
pub const MODERN_REFUSED: &str = "modern TLS refused";

/// How to reach a TLS endpoint, as learnt for one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsRoute {
    /// Modern first; legacy only if the modern handshake is refused.
    ModernFirst,
    /// This host already refused the modern handshake: go straight to legacy.
    Legacy,
    /// Evidence from before any handshake (an RMCP pong, a banner) says AMT
    /// 8 or older, whose TLS stack speaks only TLS 1.0: legacy first, saving
    /// the refused modern handshake. The evidence is unauthenticated, so a
    /// legacy handshake the device refuses falls back to modern: wrong
    /// evidence never costs a device its modern TLS.
    LegacyByEvidence(String),
}

/// Opens connections for a whole scan.
pub struct Connector {
    connect_timeout: Duration,
    modern: Result<tokio_rustls::TlsConnector, String>,
    /// The policy's verifier, for chains another stack received.
    #[cfg_attr(not(feature = "legacy-tls"), allow(dead_code))]
    verifier: Option<Arc<dyn ServerCertVerifier>>,
    #[cfg(feature = "legacy-tls")]
    legacy: Option<super::legacy::LegacyConnector>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("connect_timeout", &self.connect_timeout)
            .field("modern", &self.modern.is_ok())
            .field("legacy", &self.legacy_available())
            .finish()
    }
}

impl Connector {
    /// Builds the TLS configuration once. A policy whose trust anchors cannot
    /// be loaded (no system roots) still gives a connector for plain
    /// endpoints; TLS endpoints then fail with the reason.
    pub fn new(policy: &TlsPolicy, connect_timeout: Duration) -> Result<Self, Error> {
        let verifier = policy.server_verifier().map(|inner| {
            let keeping: Arc<dyn ServerCertVerifier> = Arc::new(KeepsChain { inner });
            keeping
        });
        let modern = match &verifier {
            Ok(v) => Ok(tokio_rustls::TlsConnector::from(Arc::new(rustls_config(
                policy,
                v.clone(),
            )?))),
            Err(e) => Err(e.to_string()),
        };
        #[cfg(feature = "legacy-tls")]
        let legacy = if policy.legacy_allowed() {
            Some(super::legacy::LegacyConnector::new(
                policy.client_identity(),
            )?)
        } else {
            None
        };
        Ok(Self {
            connect_timeout,
            modern,
            verifier: verifier.ok(),
            #[cfg(feature = "legacy-tls")]
            legacy,
        })
    }

    /// Plain HTTP only (tests and probe-only tools that never speak TLS).
    pub fn plain(connect_timeout: Duration) -> Self {
        Self {
            connect_timeout,
            modern: Err("this connector speaks plain HTTP only".into()),
            verifier: None,
            #[cfg(feature = "legacy-tls")]
            legacy: None,
        }
    }

    /// The time allowed to open a connection (TCP, and the TLS handshake).
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Whether a legacy stack is compiled in and allowed by the policy.
    pub fn legacy_available(&self) -> bool {
        #[cfg(feature = "legacy-tls")]
        {
            self.legacy.is_some()
        }
        #[cfg(not(feature = "legacy-tls"))]
        {
            false
        }
    }

    /// Opens a connection to `endpoint`: plain, or TLS by `route`.
    pub async fn connect(
        &self,
        endpoint: &Endpoint,
        route: TlsRoute,
    ) -> Result<(Stream, Option<TlsInfo>), Error> {
        let host = endpoint.bare_host();
        if !endpoint.tls {
            let tcp = self.tcp(host, endpoint.port).await?;
            return Ok((Box::new(tcp), None));
        }
        self.tls(endpoint, route, None).await
    }

    /// The TLS handshake to `endpoint` over a TCP connection already open to
    /// it (the sweep's); a second attempt (legacy after a refusal) opens its
    /// own. A connection the device reset before answering is
    /// [`Error::ConnectionReset`], so the caller may open a new one.
    pub async fn connect_over(
        &self,
        endpoint: &Endpoint,
        route: TlsRoute,
        tcp: TcpStream,
    ) -> Result<(Stream, Option<TlsInfo>), Error> {
        self.tls(endpoint, route, Some(tcp)).await
    }

    async fn tls(
        &self,
        endpoint: &Endpoint,
        route: TlsRoute,
        tcp: Option<TcpStream>,
    ) -> Result<(Stream, Option<TlsInfo>), Error> {
        let host = endpoint.bare_host();
        match route {
            TlsRoute::Legacy => {
                return self
                    .legacy(host, endpoint.port, tcp, MODERN_REFUSED.into())
                    .await
            }
            TlsRoute::LegacyByEvidence(reason) if self.legacy_available() => {
                let adopted = tcp.is_some();
                match self.legacy(host, endpoint.port, tcp, reason).await {
                    // OpenSSL cannot tell a refusal from a connection the
                    // device dropped while the sweep held it: the caller
                    // starts over on a new one, where a refusal is one.
                    Err(Error::Tls(_)) if adopted => return Err(Error::ConnectionReset),
                    // Only a failed handshake says the evidence was wrong:
                    // silence, a refused port or a refused certificate say
                    // nothing about which stack the device speaks.
                    Err(Error::Tls(e)) => {
                        tracing::debug!(%host, reason = %e, "legacy TLS refused despite the evidence; trying modern");
                        return self.modern(endpoint, host, None, false).await;
                    }
                    other => return other,
                }
            }
            TlsRoute::LegacyByEvidence(_) | TlsRoute::ModernFirst => {}
        }
        self.modern(endpoint, host, tcp, true).await
    }

    /// A rustls handshake; on a version or cipher refusal, the legacy stack
    /// when `then_legacy`.
    async fn modern(
        &self,
        endpoint: &Endpoint,
        host: &str,
        tcp: Option<TcpStream>,
        then_legacy: bool,
    ) -> Result<(Stream, Option<TlsInfo>), Error> {
        let connector = self
            .modern
            .as_ref()
            .map_err(|e| Error::Connect(e.clone()))?;
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| Error::Connect(format!("{host:?} is not a valid TLS server name")))?;
        let adopted = tcp.is_some();
        let tcp = match tcp {
            Some(tcp) => tcp,
            None => self.tcp(host, endpoint.port).await?,
        };
        let handshake = tokio::time::timeout(self.connect_timeout, connector.connect(name, tcp));
        match handshake.await {
            Err(_) => Err(Error::ConnectTimeout(self.connect_timeout)),
            Ok(Ok(stream)) => {
                let info = modern_info(stream.get_ref().1)?;
                Ok((Box::new(stream), Some(info)))
            }
            Ok(Err(e)) if adopted && crate::wsman::http1::closed_by_peer(&e) => {
                Err(Error::ConnectionReset)
            }
            Ok(Err(e)) => {
                let (error, legacy_may_help) = handshake_error(&e);
                if !legacy_may_help || !then_legacy {
                    return Err(error);
                }
                if self.legacy_available() {
                    tracing::debug!(%host, reason = %error, "modern TLS refused; trying legacy");
                    return self
                        .legacy(host, endpoint.port, None, MODERN_REFUSED.into())
                        .await;
                }
                Err(Error::Tls(format!(
                    "{}; the device may speak only legacy TLS 1.0/1.1, which this scan does not use",
                    error.to_string().trim_start_matches("TLS: ")
                )))
            }
        }
    }

    async fn tcp(&self, host: &str, port: u16) -> Result<TcpStream, Error> {
        let connect = TcpStream::connect((host, port));
        match tokio::time::timeout(self.connect_timeout, connect).await {
            Err(_) => Err(Error::ConnectTimeout(self.connect_timeout)),
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                Ok(stream)
            }
            Ok(Err(e)) => Err(match e.kind() {
                io::ErrorKind::ConnectionRefused => Error::ConnectionRefused,
                io::ErrorKind::TimedOut => Error::ConnectTimeout(self.connect_timeout),
                _ => Error::Connect(crate::wsman::response::one_line(&e.to_string())),
            }),
        }
    }

    #[cfg(feature = "legacy-tls")]
    async fn legacy(
        &self,
        host: &str,
        port: u16,
        tcp: Option<TcpStream>,
        reason: String,
    ) -> Result<(Stream, Option<TlsInfo>), Error> {
        let (Some(legacy), Some(verifier)) = (&self.legacy, &self.verifier) else {
            return Err(Error::Tls(
                "the device speaks only legacy TLS, which this scan does not allow".into(),
            ));
        };
        let tcp = match tcp {
            Some(tcp) => tcp,
            None => self.tcp(host, port).await?,
        };
        let (stream, mut info) =
            tokio::time::timeout(self.connect_timeout, legacy.handshake(tcp, host))
                .await
                .map_err(|_| Error::ConnectTimeout(self.connect_timeout))??;
        verify_chain(verifier.as_ref(), host, &info.peer_chain)?;
        info.legacy_reason = Some(reason);
        Ok((Box::new(stream), Some(info)))
    }

    #[cfg(not(feature = "legacy-tls"))]
    async fn legacy(
        &self,
        _host: &str,
        _port: u16,
        _tcp: Option<TcpStream>,
        _reason: String,
    ) -> Result<(Stream, Option<TlsInfo>), Error> {
        Err(Error::Tls(
            "the device speaks only legacy TLS; this build has no legacy-tls feature".into(),
        ))
    }
}

/// Runs the policy's verifier on a chain another stack received.
#[cfg_attr(not(feature = "legacy-tls"), allow(dead_code))]
fn verify_chain(
    verifier: &dyn ServerCertVerifier,
    host: &str,
    chain: &[Vec<u8>],
) -> Result<(), Error> {
    use rustls::pki_types::{CertificateDer, UnixTime};
    let Some((leaf, rest)) = chain.split_first() else {
        return Err(Error::CertificateRejected(Rejection::new(
            "the device sent no certificate",
        )));
    };
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| Error::Connect(format!("{host:?} is not a valid TLS server name")))?;
    let leaf = CertificateDer::from(leaf.as_slice());
    let intermediates: Vec<CertificateDer<'_>> = rest
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    verifier
        .verify_server_cert(&leaf, &intermediates, &name, &[], UnixTime::now())
        .map(|_| ())
        .map_err(|e| rustls_error(&e).0)
}

/// Why a certificate was refused, with the chain it came in, carried through
/// rustls' error so the record can still hold the certificate's facts.
#[derive(Debug)]
struct Refused {
    reason: String,
    chain: Vec<Vec<u8>>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Refused {}

/// Wraps the policy's verifier: a refusal says why in words an admin reads,
/// names the certificate's fingerprint (what `--pin` takes), and keeps the chain.
#[derive(Debug)]
struct KeepsChain {
    inner: Arc<dyn ServerCertVerifier>,
}

impl ServerCertVerifier for KeepsChain {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| {
                let why = match &e {
                    rustls::Error::InvalidCertificate(c) => certificate_reason(c),
                    other => crate::wsman::response::one_line(&other.to_string()),
                };
                let fingerprint = super::Fingerprint::of(end_entity.as_ref());
                let chain = std::iter::once(end_entity)
                    .chain(intermediates)
                    .map(|c| c.as_ref().to_vec())
                    .collect();
                rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
                    rustls::OtherError(Arc::new(Refused {
                        reason: format!("{why} (device certificate {fingerprint})"),
                        chain,
                    })),
                ))
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A certificate error in words.
fn certificate_reason(c: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match c {
        C::Expired | C::ExpiredContext { .. } => "expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => "not valid yet".into(),
        C::UnknownIssuer => "not issued by a trusted CA (unknown issuer)".into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "not valid for this host name".into()
        }
        C::BadSignature => "bad signature".into(),
        C::Revoked => "revoked".into(),
        // Pins and TOFU explain themselves.
        C::Other(o) => o.to_string(),
        other => format!("not trusted ({other:?})"),
    }
}

fn rustls_config(
    policy: &TlsPolicy,
    verifier: Arc<dyn ServerCertVerifier>,
) -> Result<ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::ClientBuild(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match policy.client_identity() {
        None => builder.with_no_client_auth(),
        Some(id) => builder
            .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
            .map_err(|e| Error::ClientBuild(format!("client certificate: {e}")))?,
    };
    Ok(config)
}

fn modern_info(conn: &rustls::ClientConnection) -> Result<TlsInfo, Error> {
    let version = match conn.protocol_version() {
        Some(ProtocolVersion::TLSv1_3) => TlsVersion::Tls13,
        Some(ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
        other => {
            return Err(Error::Tls(format!(
                "unexpected negotiated version {other:?}"
            )))
        }
    };
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    let peer_chain = conn
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.as_ref().to_vec()).collect())
        .unwrap_or_default();
    Ok(TlsInfo {
        version,
        cipher,
        stack: TlsStack::Modern,
        peer_chain,
        legacy_reason: None,
    })
}

/// Maps a failed rustls handshake to an error, and says whether the legacy
/// stack may try: only when the device refused the protocol version or every
/// cipher we offer, never for a certificate the policy rejected.
fn handshake_error(e: &io::Error) -> (Error, bool) {
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return rustls_error(tls);
    }
    let error = if crate::wsman::http1::closed_by_peer(e) {
        Error::Tls("the device closed the connection during the TLS handshake".into())
    } else {
        Error::Tls(crate::wsman::response::one_line(&e.to_string()))
    };
    (error, false)
}

fn rustls_error(e: &rustls::Error) -> (Error, bool) {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::AlertReceived(
            a @ (AlertDescription::ProtocolVersion
            | AlertDescription::HandshakeFailure
            | AlertDescription::InsufficientSecurity),
        ) => (
            Error::Tls(format!("the device refused modern TLS (alert {a:?})")),
            true,
        ),
        rustls::Error::PeerIncompatible(why) => (
            Error::Tls(format!("the device cannot speak modern TLS ({why:?})")),
            true,
        ),
        rustls::Error::InvalidCertificate(C::Other(other)) => {
            let rejection = match other.0.downcast_ref::<Refused>() {
                Some(r) => Rejection {
                    reason: crate::wsman::response::one_line(&r.reason),
                    chain: r.chain.clone(),
                },
                None => Rejection::new(crate::wsman::response::one_line(&other.to_string())),
            };
            (Error::CertificateRejected(rejection), false)
        }
        rustls::Error::InvalidCertificate(c) => (
            Error::CertificateRejected(Rejection::new(certificate_reason(c))),
            false,
        ),
        other => (
            Error::Tls(crate::wsman::response::one_line(&other.to_string())),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_version_and_cipher_refusals_open_the_legacy_path() {
        let yes = [
            rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
            rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
            rustls::Error::PeerIncompatible(
                rustls::PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
            ),
        ];
        for e in yes {
            assert!(rustls_error(&e).1, "{e:?}");
        }
        let no = [
            rustls::Error::AlertReceived(AlertDescription::BadCertificate),
            rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            rustls::Error::DecryptError,
        ];
        for e in no {
            assert!(!rustls_error(&e).1, "{e:?}");
        }
        let io = io::Error::new(io::ErrorKind::UnexpectedEof, "eof");
        assert!(!handshake_error(&io).1);
    }
}
