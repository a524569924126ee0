//! The legacy stack: TLS 1.0/1.1 with RSA key exchange and legacy
//! renegotiation, through the system OpenSSL, for AMT 3.x to about 9.
//!
//! Everything that weakens OpenSSL's defaults (`@SECLEVEL=0`, TLS 1.0/1.1,
//! unsafe legacy renegotiation) is set on this one context, never process
//! wide, and this context never negotiates above TLS 1.1: a device that speaks
//! TLS 1.2 is served by rustls, so the legacy path cannot be used for it.
//! OpenSSL does not verify anything here; the scan's rustls verifier checks
//! the chain right after the handshake, before any request is written.

use std::pin::Pin;

use openssl::ssl::{
    Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions, SslVerifyMode, SslVersion,
};
use openssl::x509::X509;
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use super::{ClientIdentity, TlsInfo, TlsStack, TlsVersion};
use crate::wsman::response::one_line;
use crate::wsman::Error;

/// Ciphers AMT 3-9 offer: RSA key exchange with AES or 3DES and SHA-1. No
/// anonymous or null ciphers, even at security level 0.
const CIPHERS: &str = "ALL:!aNULL:!eNULL:@SECLEVEL=0";

/// An OpenSSL client context for legacy devices.
pub struct LegacyConnector {
    ctx: SslContext,
}

impl LegacyConnector {
    /// Builds the context once per scan.
    pub fn new(identity: Option<&ClientIdentity>) -> Result<Self, Error> {
        let build = |e: openssl::error::ErrorStack| {
            Error::ClientBuild(format!("legacy TLS: {}", one_line(&e.to_string())))
        };
        // A bare context, not openssl's SslConnector: that one loads the
        // system trust store into OpenSSL (set_default_verify_paths), which
        // verifies nothing here, and that load was 87% of the instructions
        // of a one-device scan.
        let mut b = SslContextBuilder::new(SslMethod::tls_client()).map_err(build)?;
        // What SslConnector would set and tokio-openssl relies on: a write
        // may be retried from a moved buffer, and a partial write is a write.
        b.set_mode(
            SslMode::AUTO_RETRY
                | SslMode::ACCEPT_MOVING_WRITE_BUFFER
                | SslMode::ENABLE_PARTIAL_WRITE
                | SslMode::RELEASE_BUFFERS,
        );
        b.set_min_proto_version(Some(SslVersion::TLS1))
            .map_err(build)?;
        b.set_max_proto_version(Some(SslVersion::TLS1_1))
            .map_err(build)?;
        b.set_cipher_list(CIPHERS).map_err(build)?;
        // ALL carries SSL_OP_LEGACY_SERVER_CONNECT (talk to servers without
        // RFC 5746 secure renegotiation, as AMT 3-9 are); renegotiation itself
        // needs the unsafe-legacy flag.
        // No session tickets and no client session cache: resuming needs
        // `SslRef::set_session`, which the openssl crate marks unsafe, so a
        // ticket would only cost the device an encryption and us a copy.
        b.set_options(
            SslOptions::ALL
                | SslOptions::NO_COMPRESSION
                | SslOptions::NO_TICKET
                | SslOptions::ALLOW_UNSAFE_LEGACY_RENEGOTIATION,
        );
        b.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::OFF);
        b.set_verify(SslVerifyMode::NONE);
        if let Some(id) = identity {
            let mut certs = X509::stack_from_pem(&id.cert_pem)
                .map_err(build)?
                .into_iter();
            let leaf = certs
                .next()
                .ok_or_else(|| Error::ClientBuild("legacy TLS: empty client chain".into()))?;
            b.set_certificate(&leaf).map_err(build)?;
            for extra in certs {
                b.add_extra_chain_cert(extra).map_err(build)?;
            }
            let key = openssl::pkey::PKey::private_key_from_pem(&id.key_pem).map_err(build)?;
            b.set_private_key(&key).map_err(build)?;
            b.check_private_key().map_err(build)?;
        }
        Ok(Self { ctx: b.build() })
    }

    /// The handshake on an open TCP connection.
    pub async fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
    ) -> Result<(SslStream<TcpStream>, TlsInfo), Error> {
        let tls_err = |e: openssl::error::ErrorStack| {
            Error::Tls(format!("legacy TLS: {}", one_line(&e.to_string())))
        };
        let is_dns = host.parse::<std::net::IpAddr>().is_err();
        // A bare context checks no hostname either: the scan's rustls
        // verifier judges the chain after the handshake (module doc).
        let mut ssl = Ssl::new(&self.ctx).map_err(tls_err)?;
        if is_dns {
            ssl.set_hostname(host).map_err(tls_err)?;
        }
        let mut stream = SslStream::new(ssl, tcp).map_err(tls_err)?;
        Pin::new(&mut stream).connect().await.map_err(|e| {
            let detail = e
                .ssl_error()
                .map(|s| s.to_string())
                .or_else(|| e.io_error().map(|io| io.to_string()))
                .unwrap_or_else(|| e.to_string());
            Error::Tls(format!(
                "legacy TLS handshake failed: {}",
                one_line(&detail)
            ))
        })?;
        let ssl = stream.ssl();
        let version = match ssl.version2() {
            Some(v) if v == SslVersion::TLS1 => TlsVersion::Tls10,
            Some(v) if v == SslVersion::TLS1_1 => TlsVersion::Tls11,
            other => {
                return Err(Error::Tls(format!(
                    "legacy TLS negotiated {other:?}, which it must not"
                )))
            }
        };
        let cipher = ssl
            .current_cipher()
            .map(|c| c.standard_name().unwrap_or(c.name()).to_owned())
            .unwrap_or_default();
        let peer_chain = ssl
            .peer_cert_chain()
            .map(|chain| chain.iter().filter_map(|c| c.to_der().ok()).collect())
            .unwrap_or_default();
        Ok((
            stream,
            TlsInfo {
                version,
                cipher,
                stack: TlsStack::Legacy,
                peer_chain,
                legacy_reason: None,
            },
        ))
    }
}
