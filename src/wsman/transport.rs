//! HTTP transport: one `reqwest::Client` (one connection pool) for a whole
//! scan, Digest authentication per host, a total deadline per call and a cap
//! on every body.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};

use super::digest::{Challenge, DigestSession};
use super::{CallLimits, Credentials, Endpoint, Error};

/// How the shared HTTP client is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportOptions {
    /// Time allowed to establish a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Accept any server certificate on TLS endpoints. AMT presents a
    /// self-signed certificate that no CA vouches for; until certificate
    /// pinning lands, TLS here protects against passive eavesdropping only.
    /// Digest never sends the password itself, so an active attacker gains a
    /// challenge response, not the password.
    pub accept_any_certificate: bool,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            accept_any_certificate: true,
        }
    }
}

/// A response whose body was read in full (within the cap).
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body, de-chunked.
    pub body: Vec<u8>,
}

/// The HTTP side of every call. Cheap to clone: the pool is shared.
#[derive(Debug, Clone)]
pub struct Transport {
    http: reqwest::Client,
    connect_timeout: Duration,
}

impl Transport {
    /// Builds the shared client.
    pub fn new(opts: &TransportOptions) -> Result<Self, Error> {
        // reqwest is built without a bundled crypto provider (aws-lc needs
        // cmake and a long C build); ring is installed as the process default
        // once. Another part of the program may have installed one first,
        // which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            // GET / answers 303 to /logon.htm: the probe wants that reply
            // itself, and following redirects would also carry requests to
            // wherever a hostile device points.
            .redirect(reqwest::redirect::Policy::none())
            // Every extra attempt of an authenticated request counts toward
            // AMT's lockout, so nothing is ever resent behind our back.
            .retry(reqwest::retry::never())
            .connect_timeout(opts.connect_timeout)
            // Keep-alive within one host's reads; the pool dies with the host's
            // transport (see `for_host`), so a finished host holds nothing.
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(2)
            .no_proxy()
            .tls_danger_accept_invalid_certs(opts.accept_any_certificate)
            .tls_danger_accept_invalid_hostnames(opts.accept_any_certificate)
            .build()
            .map_err(|e| Error::ClientBuild(error_chain(&e)))?;
        Ok(Self {
            http,
            connect_timeout: opts.connect_timeout,
        })
    }

    /// An unauthenticated `GET` that does not follow redirects.
    pub async fn get(
        &self,
        endpoint: &Endpoint,
        path: &str,
        limits: &CallLimits,
    ) -> Result<RawResponse, Error> {
        let exchange = async {
            let response = self.send_get(endpoint, path).await?;
            self.read(response, limits.body_cap).await
        };
        tokio::time::timeout(limits.deadline, exchange)
            .await
            .map_err(|_| Error::Timeout(limits.deadline))?
    }

    /// An unauthenticated `GET` that does not follow redirects and does not
    /// read the body: status and headers only (all the probe needs).
    pub async fn get_headers(
        &self,
        endpoint: &Endpoint,
        path: &str,
        limits: &CallLimits,
    ) -> Result<(StatusCode, HeaderMap), Error> {
        let exchange = async {
            let response = self.send_get(endpoint, path).await?;
            Ok((response.status(), response.headers().clone()))
        };
        tokio::time::timeout(limits.deadline, exchange)
            .await
            .map_err(|_| Error::Timeout(limits.deadline))?
    }

    /// An unauthenticated `POST`, status and headers only: the first leg of
    /// Digest, which also carries the `Server` banner, so with credentials
    /// it replaces the `GET /` probe.
    pub async fn post_headers(
        &self,
        endpoint: &Endpoint,
        path: &str,
        content_type: &str,
        body: &[u8],
        limits: &CallLimits,
    ) -> Result<(StatusCode, HeaderMap), Error> {
        let exchange = async {
            let response = self
                .http
                .request(Method::POST, endpoint.url(path))
                .header(CONTENT_TYPE, content_type)
                .body(body.to_vec())
                .send()
                .await
                .map_err(|e| self.map_error(&e))?;
            Ok((response.status(), response.headers().clone()))
        };
        tokio::time::timeout(limits.deadline, exchange)
            .await
            .map_err(|_| Error::Timeout(limits.deadline))?
    }

    async fn send_get(&self, endpoint: &Endpoint, path: &str) -> Result<reqwest::Response, Error> {
        self.http
            .get(endpoint.url(path))
            .send()
            .await
            .map_err(|e| self.map_error(&e))
    }

    /// A `POST` with Digest authentication.
    ///
    /// With a nonce already held in `session`, the request is signed at once
    /// (nc + 1). Otherwise it goes out unsigned to fetch a challenge; the
    /// 401 carries no credentials, so it costs nothing toward lockout. A 401
    /// to a signed request is retried once only if the server says the nonce
    /// is `stale`; any other 401 is [`Error::AuthFailed`], never retried, so
    /// a wrong password reaches the device exactly once.
    #[allow(clippy::too_many_arguments)]
    pub async fn post(
        &self,
        endpoint: &Endpoint,
        session: &DigestSession,
        creds: &Credentials,
        path: &str,
        content_type: &str,
        soap_action: Option<&str>,
        body: &[u8],
        limits: &CallLimits,
    ) -> Result<RawResponse, Error> {
        let exchange = async {
            let mut authorization = session.authorization(creds, "POST", path, body)?;
            let mut stale_retry_left = true;
            loop {
                let signed = authorization.is_some();
                let mut request = self
                    .http
                    .request(Method::POST, endpoint.url(path))
                    .header(CONTENT_TYPE, content_type)
                    .body(body.to_vec());
                if let Some(action) = soap_action {
                    request = request.header("SOAPAction", action);
                }
                if let Some(value) = authorization.take() {
                    let mut value = HeaderValue::from_str(&value).map_err(|_| {
                        Error::Protocol("Digest answer is not a valid header".into())
                    })?;
                    value.set_sensitive(true);
                    request = request.header(AUTHORIZATION, value);
                }
                let response = request.send().await.map_err(|e| self.map_error(&e))?;
                if response.status() != StatusCode::UNAUTHORIZED {
                    return self.read(response, limits.body_cap).await;
                }
                let challenge = Challenge::from_headers(
                    response
                        .headers()
                        .get_all(WWW_AUTHENTICATE)
                        .iter()
                        .filter_map(|v| v.to_str().ok()),
                );
                // The 401's HTML body is of no use; dropping the response
                // closes the connection AMT marked `Connection: close` anyway.
                drop(response);
                let retry = if !signed {
                    true
                } else if stale_retry_left && challenge.as_ref().is_ok_and(Challenge::stale) {
                    stale_retry_left = false;
                    true
                } else {
                    false
                };
                if !retry {
                    session.clear();
                    return Err(Error::AuthFailed);
                }
                session.set_challenge(challenge?);
                authorization = session.authorization(creds, "POST", path, body)?;
            }
        };
        tokio::time::timeout(limits.deadline, exchange)
            .await
            .map_err(|_| Error::Timeout(limits.deadline))?
    }

    async fn read(
        &self,
        mut response: reqwest::Response,
        cap: usize,
    ) -> Result<RawResponse, Error> {
        let status = response.status();
        let headers = response.headers().clone();
        if response
            .content_length()
            .is_some_and(|len| len > cap as u64)
        {
            return Err(Error::BodyTooLarge(cap));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.map_error(&e))? {
            if body.len().saturating_add(chunk.len()) > cap {
                return Err(Error::BodyTooLarge(cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    fn map_error(&self, error: &reqwest::Error) -> Error {
        let io_kind = io_error_kind(error);
        if error.is_connect() {
            if error.is_timeout() || io_kind == Some(io::ErrorKind::TimedOut) {
                return Error::ConnectTimeout(self.connect_timeout);
            }
            if io_kind == Some(io::ErrorKind::ConnectionRefused) {
                return Error::ConnectionRefused;
            }
            return Error::Connect(error_chain(error));
        }
        match io_kind {
            Some(
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof,
            ) => return Error::ConnectionReset,
            Some(io::ErrorKind::ConnectionRefused) => return Error::ConnectionRefused,
            _ => {}
        }
        if closed_early(error) {
            return Error::ConnectionReset;
        }
        Error::Http(error_chain(error))
    }
}

/// hyper reports a connection closed before a whole response arrived as an
/// "incomplete message", not as an io::Error.
fn closed_early(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn StdError + 'static)> = error.source();
    while let Some(err) = source {
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() {
                return true;
            }
        }
        source = err.source();
    }
    false
}

fn io_error_kind(error: &reqwest::Error) -> Option<io::ErrorKind> {
    let mut source: Option<&(dyn StdError + 'static)> = error.source();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        source = err.source();
    }
    None
}

/// The error and its causes in one line. reqwest's messages name the URL
/// (never credentials: they travel in headers, which reqwest does not print).
fn error_chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(err) = source {
        let part = err.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = err.source();
    }
    super::response::one_line(&text)
}
