//! The transport seam: a [`Request`] goes in, a [`RawResponse`] (with what the
//! TLS layer saw) comes out. [`HttpTransport`] does it over real connections,
//! one small pool per host; [`super::fake::FakeTransport`] does it from a
//! script, for tests of everything above.
//!
//! A transport sends each request exactly once: authenticated requests count
//! toward AMT's lockout, so nothing is ever resent behind the caller's back.
//! The exceptions are a request that was never written (a pooled connection
//! the device had already closed), and a read-only request ([`Request::retry_safe`])
//! written to a reused connection that died before one byte of the answer
//! came back (a device that closes kept-alive connections without
//! `Connection: close`): each goes out once more on a fresh connection.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use super::http1;
use super::tls::connector::{TlsRoute, MODERN_REFUSED};
use super::tls::{Connector, TlsInfo, TlsPolicy};
use super::{Endpoint, Error};

/// Idle connections kept per host: a host's reads are sequential, so one is
/// used at a time; a second covers a probe racing an inventory.
const MAX_IDLE_PER_HOST: usize = 2;

/// One HTTP request, as the WS-Man layer and the auth schemes see it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: Method,
    /// The path (origin form: `/wsman`).
    pub path: String,
    /// Headers besides `Host` and the framing ones, which the transport sets.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// `false`: return after the headers without reading the body (the
    /// probe needs only status and `Server`).
    pub read_body: bool,
    /// The request only reads, so it may be sent again on a fresh connection
    /// when a reused one died before any byte of the answer came back.
    pub retry_safe: bool,
}

impl Request {
    /// A `GET` of `path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            read_body: true,
            retry_safe: true,
        }
    }

    /// A `POST` of `body` as `content_type`.
    pub fn post(path: impl Into<String>, content_type: &str, body: impl Into<Bytes>) -> Self {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(content_type) {
            headers.insert(CONTENT_TYPE, v);
        }
        Self {
            method: Method::POST,
            path: path.into(),
            headers,
            body: body.into(),
            read_body: true,
            retry_safe: false,
        }
    }

    /// Adds a header (a value that is not a valid header is an error).
    pub fn header(mut self, name: HeaderName, value: &str) -> Result<Self, Error> {
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::Protocol(format!("invalid {name} header value")))?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Status and headers only.
    pub fn headers_only(mut self) -> Self {
        self.read_body = false;
        self
    }
}

/// A response whose body was read in full (within the cap), or not at all
/// for [`Request::headers_only`].
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body, de-chunked.
    pub body: Vec<u8>,
    /// What the TLS layer saw on the connection that carried it.
    pub tls: Option<Arc<TlsInfo>>,
}

impl RawResponse {
    /// A response with no TLS (for fakes and tests).
    pub fn new(status: StatusCode, headers: HeaderMap, body: Vec<u8>) -> Self {
        Self {
            status,
            headers,
            body,
            tls: None,
        }
    }
}

/// Sends one request to one endpoint and reads the answer. Implementations
/// bound every read by `body_cap`; the caller bounds the time.
pub trait Transport: Send + Sync + fmt::Debug {
    /// One exchange.
    fn send<'a>(
        &'a self,
        endpoint: &'a Endpoint,
        request: &'a Request,
        body_cap: usize,
    ) -> BoxFuture<'a, Result<RawResponse, Error>>;
}

/// How connections are opened for a scan.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// Time allowed to establish a TCP connection, and again a TLS handshake.
    pub connect_timeout: Duration,
    /// What TLS endpoints must prove.
    pub tls: TlsPolicy,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            tls: TlsPolicy::system_roots(),
        }
    }
}

struct Conn {
    stream: super::tls::Stream,
    tls: Option<Arc<TlsInfo>>,
    /// The endpoint it was opened to: a host read on 16992 and then 16993
    /// must never send a request meant for one over the other.
    endpoint: Endpoint,
}

/// HTTP/1.1 over real connections for one host (its own small pool), opened
/// by the scan's shared [`Connector`]. Dropping it closes the connections.
pub struct HttpTransport {
    connector: Arc<Connector>,
    idle: Mutex<Vec<Conn>>,
    route: Mutex<TlsRoute>,
    adopted: Mutex<Option<Preconnected>>,
    /// Set once a reused connection died under a request with no byte of an
    /// answer: the device drops kept-alive connections without saying
    /// `Connection: close`, and does it faster than an idle check can see.
    /// From then on every request of this host gets a fresh connection, so
    /// the next one cannot lose the same race.
    closes_kept_alive: AtomicBool,
}

/// A plain TCP connection the discovery sweep already opened to a device,
/// handed to the host's transport so the first request does not connect
/// again: one TCP handshake and teardown fewer per device on both sides.
#[derive(Debug)]
pub struct Preconnected {
    /// Where it is connected to.
    pub addr: std::net::SocketAddr,
    /// The connection, not yet written to.
    pub stream: tokio::net::TcpStream,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("connector", &self.connector)
            .field(
                "route",
                &*self.route.lock().unwrap_or_else(PoisonError::into_inner),
            )
            .finish_non_exhaustive()
    }
}

impl HttpTransport {
    /// A transport for one host on the scan's connector.
    pub fn new(connector: Arc<Connector>) -> Self {
        Self {
            connector,
            idle: Mutex::new(Vec::new()),
            route: Mutex::new(TlsRoute::ModernFirst),
            adopted: Mutex::new(None),
            closes_kept_alive: AtomicBool::new(false),
        }
    }

    /// Uses `connection` for the first connection this transport would open,
    /// when that is a plain one to its address.
    pub fn adopt(&self, connection: Preconnected) {
        let _ = connection.stream.set_nodelay(true);
        *self.adopted.lock().unwrap_or_else(PoisonError::into_inner) = Some(connection);
    }

    /// The adopted connection, if the first connection this transport opens
    /// is to the same plain address. Either way it is taken: a read that
    /// starts elsewhere (TLS, another port) closes it at once rather than
    /// hold one of the device's few connection slots idle for the whole read.
    fn take_adopted(&self, endpoint: &Endpoint) -> Option<tokio::net::TcpStream> {
        let adopted = self
            .adopted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        let matches = adopted.addr.port() == endpoint.port
            && endpoint
                .bare_host()
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip == adopted.addr.ip());
        matches.then_some(adopted.stream)
    }

    /// Starts TLS connections on the legacy stack, for a device that
    /// evidence gathered before any handshake (`reason`, for the record)
    /// says is AMT 8 or older. A device that refuses the legacy handshake is
    /// still read over modern TLS; one that was already reached leaves the
    /// route it proved unchanged.
    pub fn prefer_legacy(&self, reason: String) {
        let mut route = self.route.lock().unwrap_or_else(PoisonError::into_inner);
        if *route == TlsRoute::ModernFirst {
            *route = TlsRoute::LegacyByEvidence(reason);
        }
    }

    /// A one-off transport with its own connector (tests, single reads).
    pub fn standalone(opts: &TransportOptions) -> Result<Self, Error> {
        Ok(Self::new(Arc::new(Connector::new(
            &opts.tls,
            opts.connect_timeout,
        )?)))
    }

    fn take_idle(&self, endpoint: &Endpoint) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let at = idle.iter().rposition(|c| c.endpoint == *endpoint)?;
        Some(idle.swap_remove(at))
    }

    fn put_idle(&self, conn: Conn) {
        if self.closes_kept_alive.load(Ordering::Relaxed) {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_PER_HOST {
            idle.push(conn);
        }
    }

    /// From now on every request of this host opens a fresh connection, and
    /// the idle ones (which would lose the same race) are closed.
    fn stop_reusing(&self) {
        self.closes_kept_alive.store(true, Ordering::Relaxed);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// A new connection, and whether it is one the sweep handed over (which
    /// the device may have closed while it waited, as a kept-alive one).
    async fn open(&self, endpoint: &Endpoint) -> Result<(Conn, bool), Error> {
        let route = self
            .route
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let adopted = self.take_adopted(endpoint);
        let was_adopted = adopted.is_some();
        let (stream, tls): (super::tls::Stream, _) = match adopted {
            Some(tcp) if endpoint.tls => {
                // The handshake goes over the sweep's connection. A device
                // that dropped it while it waited has seen no request: a new
                // connection then, as for a plain one.
                match self
                    .connector
                    .connect_over(endpoint, route.clone(), tcp)
                    .await
                {
                    Err(Error::ConnectionReset) => self.connector.connect(endpoint, route).await?,
                    other => other?,
                }
            }
            Some(tcp) => (Box::new(tcp), None),
            None => self.connector.connect(endpoint, route).await?,
        };
        if let Some(info) = &tls {
            // What one handshake proved holds for the host's next ones: a
            // refused modern handshake need not be asked again, and a device
            // that spoke modern TLS despite the evidence keeps speaking it.
            let proven = match (info.stack, info.legacy_reason.as_deref()) {
                (super::tls::TlsStack::Modern, _) => TlsRoute::ModernFirst,
                (super::tls::TlsStack::Legacy, Some(r)) if r != MODERN_REFUSED => {
                    TlsRoute::LegacyByEvidence(r.to_owned())
                }
                (super::tls::TlsStack::Legacy, _) => TlsRoute::Legacy,
            };
            *self.route.lock().unwrap_or_else(PoisonError::into_inner) = proven;
        }
        Ok((
            Conn {
                stream,
                tls: tls.map(Arc::new),
                endpoint: endpoint.clone(),
            },
            was_adopted,
        ))
    }

    async fn exchange(
        &self,
        endpoint: &Endpoint,
        request: &Request,
        body_cap: usize,
    ) -> Result<RawResponse, Error> {
        let head = http1::encode_head(
            &request.method,
            &request.path,
            &endpoint.authority(),
            &request.headers,
            &request.body,
        )?;
        let mut fresh_tried = false;
        loop {
            let (mut conn, reused) = match self.take_idle(endpoint) {
                Some(c) if !fresh_tried => (c, true),
                // Boxed: connecting (TLS handshakes included) needs far more
                // state than an exchange on an open connection, and inline it
                // would stay allocated for every request of the host.
                _ => Box::pin(self.open(endpoint)).await?,
            };
            if reused && !http1::still_open(&mut conn.stream) {
                // Closed (or written to) by the device while idle: never sent.
                fresh_tried = true;
                continue;
            }
            let sent = http1::exchange(
                &mut conn.stream,
                &head,
                &request.body,
                request.read_body,
                body_cap,
            );
            match sent.await {
                Ok(answer) => {
                    let tls = conn.tls.clone();
                    if answer.reusable {
                        self.put_idle(conn);
                    }
                    return Ok(RawResponse {
                        status: answer.head.status,
                        headers: answer.head.headers,
                        body: answer.body,
                        tls,
                    });
                }
                Err(failed) => {
                    // Written to a kept-alive connection the device had closed
                    // without `Connection: close`, and not one byte came back:
                    // the device never saw it, so a read may go again, once.
                    let died = matches!(*failed.error, Error::ConnectionReset);
                    if reused && !failed.answered && died {
                        self.stop_reusing();
                        if request.retry_safe {
                            fresh_tried = true;
                            continue;
                        }
                    }
                    return Err(*failed.error);
                }
            }
        }
    }
}

impl Transport for HttpTransport {
    fn send<'a>(
        &'a self,
        endpoint: &'a Endpoint,
        request: &'a Request,
        body_cap: usize,
    ) -> BoxFuture<'a, Result<RawResponse, Error>> {
        Box::pin(self.exchange(endpoint, request, body_cap))
    }
}

/// One unauthenticated `GET` of `path`, body read within the cap, the whole
/// exchange within the deadline. Redirects are never followed.
pub async fn get(
    transport: &dyn Transport,
    endpoint: &Endpoint,
    path: &str,
    limits: &super::CallLimits,
) -> Result<RawResponse, Error> {
    let request = Request::get(path);
    tokio::time::timeout(
        limits.deadline,
        transport.send(endpoint, &request, limits.body_cap),
    )
    .await
    .map_err(|_| Error::Timeout(limits.deadline))?
}
