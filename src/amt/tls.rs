//! TLS the way AMT does it: which port and scheme to read (`--tls
//! auto|on|off`), and the device's certificate as facts.
//!
//! AMT serves plain HTTP on 16992 and TLS on 16993. Once Configuration
//! Manager provisions TLS, 16992 either closes or answers with a redirect to
//! 16993 (AcceptNonSecureConnections false), and AMT 16+ serves TLS only.

use std::sync::Arc;

use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::probe::{self, ProbeResult};
use super::{firmware, AmtClient, HTTP_PORT, TLS_PORT};
use crate::facts::{CertFacts, TlsFacts};
use crate::version::ReportedVersion;
use crate::wsman::tls::policy::Fingerprint;
use crate::wsman::{CallLimits, Endpoint, Error, HttpTransport, TlsInfo};

/// Which port and scheme a scan reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TlsMode {
    /// Plain on 16992, TLS on 16993 where 16992 is closed or redirects to
    /// it, where discovery saw only 16993 open, or where the target names 16993.
    #[default]
    Auto,
    /// TLS only: a target on the default port is read on 16993, any other
    /// port is read with TLS as given.
    On,
    /// Plain HTTP only, on the port given.
    Off,
}

/// What discovery (port sweep, RMCP) learnt about a host's AMT ports.
/// `None` means not looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovered {
    /// Whether 16992 accepted a connection.
    pub plain_open: Option<bool>,
    /// Whether 16993 accepted a connection.
    pub tls_open: Option<bool>,
    /// The device itself refused 16993 (RST, not silence): AMT listens there
    /// only while TLS is enabled on its network interface, so TLS is off.
    pub tls_refused: bool,
    /// Why the firmware is AMT 8 or older (`RMCP pong: AMT 7.1`), whose TLS
    /// speaks only TLS 1.0: its TLS connections start on the legacy stack
    /// instead of paying a refused modern handshake first. The record's
    /// `tls.legacy_reason` repeats it.
    pub legacy_evidence: Option<String>,
}

/// Why no endpoint of the host answered the probe.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: Error,
    /// One line for the record, naming each port tried.
    pub message: String,
    /// The last endpoint tried, for the record's port and scheme.
    pub endpoint: Option<Endpoint>,
}

fn tls_port(port: u16) -> u16 {
    if port == HTTP_PORT {
        TLS_PORT
    } else {
        port
    }
}

async fn probe_at(
    transport: &HttpTransport,
    wsman: bool,
    endpoint: Endpoint,
    limits: &CallLimits,
) -> Result<(Endpoint, ProbeResult), Failure> {
    match probe::probe_with(transport, &endpoint, limits, wsman).await {
        Ok(p) => Ok((endpoint, p)),
        Err(error) => Err(Failure {
            message: format!(
                "probe {} on {} {}: {error}",
                probe::probe_name(wsman),
                endpoint.scheme(),
                endpoint.port
            ),
            error,
            endpoint: Some(endpoint),
        }),
    }
}

/// The major version a banner names, if it does.
fn banner_major(banner: &probe::Banner) -> Option<u32> {
    ReportedVersion::new(banner.version.as_deref()?).major()
}

/// The port an `https://` redirect points to, if the answer is one.
fn https_redirect(probed: &ProbeResult) -> Option<u16> {
    if !(300..400).contains(&probed.status) {
        return None;
    }
    let url = url::Url::parse(probed.location.as_deref()?).ok()?;
    (url.scheme() == "https").then(|| url.port().unwrap_or(TLS_PORT))
}

/// Runs the probe where the mode says, falling over from plain to TLS as
/// `auto` allows. The endpoint returned is the one every later read uses.
pub(crate) async fn probe_as_configured(
    _client: &AmtClient,
    transport: &Arc<HttpTransport>,
    target: &Endpoint,
    mode: TlsMode,
    discovered: &Discovered,
    limits: &CallLimits,
    wsman: bool,
) -> Result<(Endpoint, ProbeResult), Failure> {
    if let Some(reason) = &discovered.legacy_evidence {
        transport.prefer_legacy(reason.clone());
    }
    let host = target.host.clone();
    let plain = Endpoint::http(host.clone(), target.port);
    let tls = |port: u16| Endpoint::https(host.clone(), port);
    match mode {
        TlsMode::Off => {
            // Discovery hands over 16993 when only that was open; off means
            // AMT's plain port then, not plain HTTP spoken to a TLS listener.
            let port = if target.tls && target.port == TLS_PORT {
                HTTP_PORT
            } else {
                target.port
            };
            probe_at(transport, wsman, Endpoint::http(host.clone(), port), limits).await
        }
        TlsMode::On => probe_at(transport, wsman, tls(tls_port(target.port)), limits).await,
        TlsMode::Auto => {
            let only_tls_open =
                discovered.tls_open == Some(true) && discovered.plain_open == Some(false);
            if target.tls || target.port == TLS_PORT || (only_tls_open && target.port == HTTP_PORT)
            {
                return probe_at(transport, wsman, tls(tls_port(target.port)), limits).await;
            }
            match probe_at(transport, wsman, plain, limits).await {
                Ok((ep, probed)) => match https_redirect(&probed) {
                    Some(port) => {
                        // The plain banner names the firmware: AMT 8 or
                        // older gets its TLS from the legacy stack at once.
                        if let Some(major) = probed.banner.as_ref().and_then(banner_major) {
                            if firmware::tls_1_0_only(major) {
                                transport.prefer_legacy(format!("plain banner: AMT {major}"));
                            }
                        }
                        probe_at(transport, wsman, tls(port), limits)
                            .await
                            .map_err(|f| Failure {
                                message: format!(
                                    "plain {} redirects to https {port}; {}",
                                    ep.port, f.message
                                ),
                                ..f
                            })
                    }
                    None => Ok((ep, probed)),
                },
                Err(plain_failure) => {
                    let next = match &plain_failure.error {
                        Error::ConnectionRefused if target.port == HTTP_PORT => Some(TLS_PORT),
                        // Something that drops plain HTTP, or answers it in
                        // TLS, may be a TLS listener. Bytes that are neither
                        // HTTP nor TLS are the answer itself: not AMT, and a
                        // handshake would only add seconds to that.
                        Error::ConnectionReset | Error::Http(_) | Error::TlsAnswer => {
                            Some(target.port)
                        }
                        _ => None,
                    };
                    let Some(port) = next else {
                        return Err(plain_failure);
                    };
                    probe_at(transport, wsman, tls(port), limits)
                        .await
                        .map_err(|f| after_fallback(plain_failure, f))
                }
            }
        }
    }
}

/// How much a failed attempt tells about what listens: silence nothing, a
/// closed door (refused, reset) a little, a failed handshake more, an answer
/// most. A plain answer in TLS says only "ask over TLS", so whatever the
/// TLS attempt then says is the reading.
fn evidence(error: &Error) -> u8 {
    match error {
        Error::ConnectTimeout(_) | Error::Timeout(_) | Error::TlsAnswer => 0,
        Error::ConnectionRefused
        | Error::ConnectionReset
        | Error::Connect(_)
        | Error::Http(_)
        | Error::ClientBuild(_) => 1,
        Error::Tls(_) => 2,
        Error::CertificateRejected(_)
        | Error::AuthFailed
        | Error::AuthUnanswerable(_)
        | Error::HttpStatus(_)
        | Error::EmptyBadRequest
        | Error::BodyTooLarge(_)
        | Error::BadXml(_)
        | Error::Fault(_)
        | Error::Protocol(_)
        | Error::NotHttp(_) => 3,
    }
}

/// The failure of a host whose plain attempt failed and whose TLS fallback
/// failed too: a fallback that says less (silence after a refusal or a
/// reset) must not hide what the plain attempt proved, so the record's
/// status and scheme come from whichever says more; the text names both.
fn after_fallback(plain: Failure, fallback: Failure) -> Failure {
    let message = format!("{}; then {}", plain.message, fallback.message);
    let kept = if evidence(&fallback.error) >= evidence(&plain.error) {
        fallback
    } else {
        plain
    };
    Failure { message, ..kept }
}

/// The facts of what a TLS handshake saw.
pub(crate) fn facts_of(info: &TlsInfo) -> TlsFacts {
    let mut certs = info.peer_chain.iter().map(|der| cert_facts(der));
    TlsFacts {
        protocol: Some(info.label()),
        legacy: Some(info.stack == crate::wsman::tls::TlsStack::Legacy),
        legacy_reason: info.legacy_reason.clone(),
        cipher: Some(info.cipher.clone()).filter(|c| !c.is_empty()),
        certificate: certs.next(),
        chain: certs.collect(),
    }
}

/// The facts of a chain the policy refused: the certificate is known, the
/// protocol is not (the handshake did not finish).
pub(crate) fn facts_of_rejected(chain: &[Vec<u8>]) -> Option<TlsFacts> {
    let mut certs = chain.iter().map(|der| cert_facts(der));
    let certificate = certs.next()?;
    Some(TlsFacts {
        certificate: Some(certificate),
        chain: certs.collect(),
        ..TlsFacts::default()
    })
}

/// One certificate's facts. A certificate x509-parser cannot read still gives
/// its fingerprint.
pub(crate) fn cert_facts(der: &[u8]) -> CertFacts {
    let mut facts = CertFacts {
        sha256: Some(Fingerprint::of(der).to_string()),
        ..CertFacts::default()
    };
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return facts;
    };
    facts.subject = Some(cert.subject().to_string());
    facts.issuer = Some(cert.issuer().to_string());
    facts.common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => facts.san_dns.push((*d).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_from(bytes) {
                        facts.san_ip.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    let validity = cert.validity();
    facts.not_before = rfc3339(validity.not_before.timestamp());
    facts.not_after = rfc3339(validity.not_after.timestamp());
    let spki = cert.public_key();
    let registry = x509_parser::objects::oid_registry();
    let (key_type, bits) = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => ("rsa".to_owned(), rsa.key_size()),
        Ok(PublicKey::EC(ec)) => ("ec".to_owned(), ec.key_size()),
        Ok(PublicKey::DSA(y)) => ("dsa".to_owned(), y.len() * 8),
        _ => {
            let oid = &spki.algorithm.algorithm;
            let name = x509_parser::objects::oid2sn(oid, registry)
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_else(|_| oid.to_id_string());
            (name, 0)
        }
    };
    facts.key_type = Some(key_type);
    facts.key_bits = u32::try_from(bits).ok().filter(|b| *b > 0);
    let sig = &cert.signature_algorithm.algorithm;
    facts.signature_algorithm = Some(
        x509_parser::objects::oid2sn(sig, registry)
            .map(str::to_owned)
            .unwrap_or_else(|_| sig.to_id_string()),
    );
    facts.self_signed = Some(cert.subject().as_raw() == cert.issuer().as_raw());
    facts.is_ca = Some(
        cert.basic_constraints()
            .ok()
            .flatten()
            .is_some_and(|bc| bc.value.ca),
    );
    facts
}

fn ip_from(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}

fn rfc3339(unix: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probed(status: u16, location: Option<&str>) -> ProbeResult {
        ProbeResult {
            status,
            server_header: None,
            location: location.map(str::to_owned),
            challenge: None,
            banner: None,
            tls: None,
        }
    }

    #[test]
    fn only_an_https_redirect_moves_the_read_to_tls() {
        assert_eq!(
            https_redirect(&probed(307, Some("https://amt.example:16993/logon.htm"))),
            Some(16993)
        );
        assert_eq!(
            https_redirect(&probed(303, Some("https://10.0.0.5/"))),
            Some(16993)
        );
        assert_eq!(https_redirect(&probed(303, Some("/logon.htm"))), None);
        assert_eq!(https_redirect(&probed(200, Some("https://x:16993/"))), None);
        assert_eq!(https_redirect(&probed(303, Some("https://[bad"))), None);
    }

    fn failed(error: Error, tls: bool) -> Failure {
        let endpoint = if tls {
            Endpoint::https("h", 16993)
        } else {
            Endpoint::http("h", 16992)
        };
        Failure {
            message: format!("{} {error}", endpoint.scheme()),
            error,
            endpoint: Some(endpoint),
        }
    }

    #[test]
    fn a_fallback_that_says_less_keeps_what_the_plain_attempt_proved() {
        let silence = || Error::ConnectTimeout(std::time::Duration::from_secs(5));
        let cases = [
            // (plain, fallback, whose failure the record shows)
            (Error::NotHttp("x".into()), silence(), "http"),
            (
                Error::NotHttp("x".into()),
                Error::Tls("alert".into()),
                "http",
            ),
            (Error::NotHttp("x".into()), Error::ConnectionReset, "http"),
            (Error::ConnectionRefused, silence(), "http"),
            (Error::ConnectionReset, silence(), "http"),
            (Error::Http("io".into()), silence(), "http"),
            // The TLS attempt says at least as much: it is the reading.
            (Error::ConnectionRefused, Error::ConnectionRefused, "https"),
            (Error::ConnectionReset, Error::Tls("alert".into()), "https"),
            (
                Error::ConnectionRefused,
                Error::CertificateRejected(crate::wsman::Rejection::new("expired")),
                "https",
            ),
            (Error::TlsAnswer, silence(), "https"),
            (
                Error::TlsAnswer,
                Error::Tls("no common version".into()),
                "https",
            ),
        ];
        for (plain, fallback, shown) in cases {
            let what = format!("{plain:?} then {fallback:?}");
            let kept = after_fallback(failed(plain, false), failed(fallback, true));
            let scheme = kept.endpoint.as_ref().map(Endpoint::scheme);
            assert_eq!(scheme, Some(shown), "{what}");
            assert!(
                kept.message.starts_with("http ") && kept.message.contains("; then https "),
                "{what}: {}",
                kept.message
            );
        }
    }

    #[test]
    fn garbage_is_a_fingerprint_and_nothing_else() {
        let f = cert_facts(b"not a certificate");
        assert!(f.sha256.unwrap().starts_with("sha256:"));
        assert_eq!(f.subject, None);
    }
}
