//! One mock device: a listener, per-connection tasks, and the request router.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::digest::{self, AuthOutcome, DigestSettings, DigestState};
use crate::eoi;
use crate::fault::Fault;
use crate::hostile;
use crate::http::{self, ReadError, Request};
use crate::profile::{Profile, TlsSpeaks};
use crate::rmcp;
use crate::tls::{Acceptor, TlsKind, TlsSetup};
use crate::web;
use crate::wsman::{self, FaultKind, Instance, WsmanRequest};

/// The default user, as on every AMT.
pub const DEFAULT_USER: &str = "admin";
/// The default password of every mock device (AMT's own factory password is
/// `admin`, which firmware forces you to change; this is a valid changed one).
pub const DEFAULT_PASSWORD: &str = "P@ssw0rd";

/// How long a connection may sit idle between requests.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// AMT's plain and TLS ports.
const HTTP_PORT: u16 = 16992;
const TLS_PORT: u16 = 16993;
/// How long one request may take to arrive once started.
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);
/// Enumeration contexts expire after this long unused.
const CONTEXT_LIFETIME: Duration = Duration::from_secs(120);
/// Most open enumerations per device.
const MAX_CONTEXTS: usize = 256;

const SOAP12_CONTENT_TYPE: &str = "application/soap+xml; charset=UTF-8";
const SOAP11_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// Everything that defines one device.
#[derive(Clone)]
pub struct DeviceConfig {
    /// The firmware behaviour.
    pub profile: Profile,
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The Digest user.
    pub user: String,
    /// The Digest password. Never logged.
    pub password: String,
    /// Consecutive failed logins that lock the account (0 = never).
    pub lockout_threshold: u32,
    /// How long a lockout lasts.
    pub lockout_duration: Duration,
    /// How long a nonce stays valid.
    pub nonce_lifetime: Duration,
    /// Injected misbehaviour.
    pub faults: Vec<Fault>,
    /// Allow a listen address off loopback (off by default: the mock is a
    /// test fixture and must not appear on a real network by accident).
    pub allow_non_loopback: bool,
    /// The TLS listener (on `listen`'s address), if any.
    pub tls: Option<TlsSetup>,
    /// Whether plain HTTP is served on `listen`. Off for firmware that
    /// closes 16992 once TLS is on (AMT 16+).
    pub plain: bool,
    /// Answer the RMCP presence ping on this UDP port of the listen address
    /// (623 on real firmware; 0 picks a free one), for profiles of AMT 4.0
    /// and later. `None`: no RMCP.
    pub rmcp_port: Option<u16>,
}

impl std::fmt::Debug for DeviceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceConfig")
            .field("profile", &self.profile.name)
            .field("listen", &self.listen)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("lockout_threshold", &self.lockout_threshold)
            .field("lockout_duration", &self.lockout_duration)
            .field("nonce_lifetime", &self.nonce_lifetime)
            .field("faults", &self.faults)
            .field("allow_non_loopback", &self.allow_non_loopback)
            .field("tls", &self.tls)
            .field("plain", &self.plain)
            .field("rmcp_port", &self.rmcp_port)
            .finish()
    }
}

impl DeviceConfig {
    /// A device with user [`DEFAULT_USER`], the profile's default password (or
    /// [`DEFAULT_PASSWORD`]), lockout after 3 failures for 60 s (AMT's real
    /// numbers are unconfirmed), nonces valid 5 minutes, no faults.
    pub fn new(profile: Profile, listen: SocketAddr) -> Self {
        let password = profile
            .default_password
            .as_ref()
            .map(|p| p.0.clone())
            .unwrap_or_else(|| DEFAULT_PASSWORD.to_owned());
        DeviceConfig {
            profile,
            listen,
            user: DEFAULT_USER.to_owned(),
            password,
            lockout_threshold: 3,
            lockout_duration: Duration::from_secs(60),
            nonce_lifetime: Duration::from_secs(300),
            faults: Vec::new(),
            allow_non_loopback: false,
            tls: None,
            plain: true,
            rmcp_port: None,
        }
        .with_profile_tls()
    }

    /// The TLS port that goes with a plain port: 16993 for 16992, a free
    /// port for 0, and the plain port plus one otherwise.
    pub fn tls_port_for(plain: u16) -> u16 {
        match plain {
            0 => 0,
            HTTP_PORT => TLS_PORT,
            p => p.saturating_add(1),
        }
    }

    /// Applies the profile's `[tls]` defaults (AMT 16.1: TLS only).
    fn with_profile_tls(mut self) -> Self {
        if let Some(t) = self.profile.tls.filter(|t| t.enabled) {
            let kind = match t.speaks {
                TlsSpeaks::Modern => TlsKind::Modern,
                TlsSpeaks::Legacy => TlsKind::Legacy,
            };
            self.tls = Some(TlsSetup {
                kind,
                port: Self::tls_port_for(self.listen.port()),
            });
            self.plain = t.accept_non_secure;
        }
        self
    }

    /// Plain HTTP on `listen` and no TLS, whatever the profile says: for
    /// tests of HTTP-level behaviour (Digest spelling, framing) over raw TCP.
    /// Real AMT 16+ never runs this way.
    pub fn without_tls(mut self) -> Self {
        self.tls = None;
        self.plain = true;
        self
    }

    /// Turns TLS on with `kind` on `port`. Plain HTTP stays as the profile
    /// has it with TLS on (closed on AMT 16+, open otherwise).
    pub fn with_tls(mut self, kind: TlsKind, port: u16) -> Self {
        self.tls = Some(TlsSetup { kind, port });
        self.plain = self.profile.tls.is_none_or(|t| t.accept_non_secure);
        self
    }
}

/// Counters of one device, for tests and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceStats {
    /// Requests read (any path).
    pub requests: u64,
    /// 401 answers sent (plain challenges, stale nonces, failures).
    pub auth_challenges: u64,
    /// Failed login attempts (wrong credentials, malformed Authorization,
    /// attempts while locked).
    pub failed_auth: u64,
    /// Whether the account is locked right now.
    pub locked: bool,
    /// How many times the account was locked.
    pub lockouts: u64,
    /// Correct answers on an expired or unknown nonce (answered stale="true").
    pub stale_nonces: u64,
    /// Correct answers that replayed an nc.
    pub replays: u64,
    /// Authenticated requests answered.
    pub authenticated: u64,
    /// TCP connections accepted.
    pub connections: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    auth_challenges: AtomicU64,
    failed_auth: AtomicU64,
    lockouts: AtomicU64,
    stale_nonces: AtomicU64,
    replays: AtomicU64,
    authenticated: AtomicU64,
    connections: AtomicU64,
}

struct Enumeration {
    class: &'static str,
    remaining: Vec<Instance>,
    touched: Instant,
}

#[derive(Default)]
struct Mutable {
    digest: DigestState,
    message_counter: u64,
    context_counter: u32,
    enumerations: HashMap<String, Enumeration>,
}

struct Device {
    cfg: DeviceConfig,
    counters: Counters,
    state: Mutex<Mutable>,
}

/// A running device. Dropping it leaves the device running until the runtime
/// stops; call [`DeviceHandle::shutdown`] to stop it.
pub struct DeviceHandle {
    addr: SocketAddr,
    rmcp_addr: Option<SocketAddr>,
    plain_addr: Option<SocketAddr>,
    tls_addr: Option<SocketAddr>,
    device: Arc<Device>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for DeviceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceHandle")
            .field("addr", &self.addr)
            .field("profile", &self.device.cfg.profile.name)
            .finish_non_exhaustive()
    }
}

impl DeviceHandle {
    /// The address the device listens on: plain HTTP, or TLS when the
    /// device serves only TLS.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The plain HTTP listener, if the device serves one.
    pub fn plain_addr(&self) -> Option<SocketAddr> {
        self.plain_addr
    }

    /// The TLS listener, if the device serves one.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// What the TLS listener serves.
    pub fn tls_kind(&self) -> Option<TlsKind> {
        self.device.cfg.tls.map(|t| t.kind)
    }

    /// Where the device answers the RMCP ping, when it does.
    pub fn rmcp_addr(&self) -> Option<SocketAddr> {
        self.rmcp_addr
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> DeviceStats {
        let c = &self.device.counters;
        let locked = self
            .device
            .state
            .lock()
            .map(|s| s.digest.is_locked(Instant::now()))
            .unwrap_or(false);
        DeviceStats {
            requests: c.requests.load(Ordering::Relaxed),
            auth_challenges: c.auth_challenges.load(Ordering::Relaxed),
            failed_auth: c.failed_auth.load(Ordering::Relaxed),
            locked,
            lockouts: c.lockouts.load(Ordering::Relaxed),
            stale_nonces: c.stale_nonces.load(Ordering::Relaxed),
            replays: c.replays.load(Ordering::Relaxed),
            authenticated: c.authenticated.load(Ordering::Relaxed),
            connections: c.connections.load(Ordering::Relaxed),
        }
    }

    /// The firmware profile.
    pub fn profile(&self) -> &Profile {
        &self.device.cfg.profile
    }

    /// Stops listening and closes every open connection.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Binds the listener and starts serving in the background.
pub async fn start_device(cfg: DeviceConfig) -> std::io::Result<DeviceHandle> {
    if !cfg.allow_non_loopback && !cfg.listen.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "refusing to listen on non-loopback address {} (allow_non_loopback is off)",
                cfg.listen
            ),
        ));
    }
    let acceptor = match cfg.tls {
        Some(setup) => {
            let names = vec![
                format!("{}.{}", cfg.profile.hostname, cfg.profile.domain),
                cfg.profile.hostname.clone(),
            ];
            let legacy_generation = cfg.profile.tls_speaks() == TlsSpeaks::Legacy;
            let acceptor = Acceptor::new(setup.kind, legacy_generation, &names, cfg.listen.ip())?;
            let listener = TcpListener::bind(SocketAddr::new(cfg.listen.ip(), setup.port)).await?;
            Some((listener, acceptor))
        }
        None => None,
    };
    let plain = if cfg.plain {
        Some(TcpListener::bind(cfg.listen).await?)
    } else {
        None
    };
    let plain_addr = plain.as_ref().map(TcpListener::local_addr).transpose()?;
    let tls_addr = acceptor.as_ref().map(|(l, _)| l.local_addr()).transpose()?;
    let Some(addr) = plain_addr.or(tls_addr) else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a device needs a plain or a TLS listener",
        ));
    };
    let mut cfg = cfg;
    if cfg.faults.contains(&Fault::ControlChars) {
        crate::hostile::poison_profile(&mut cfg.profile);
    }
    let device = Arc::new(Device {
        cfg,
        counters: Counters::default(),
        state: Mutex::new(Mutable {
            // The first context is 17000000-…, as in the AMT 15 capture.
            context_counter: 0x16,
            ..Mutable::default()
        }),
    });
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let rmcp_addr = match device.cfg.rmcp_port {
        Some(port) if rmcp::answers_ping(&device.cfg.profile) => {
            let socket = UdpSocket::bind(SocketAddr::new(addr.ip(), port)).await?;
            let rmcp_addr = socket.local_addr()?;
            // The port the pong names: plain HTTP when it is served, else TLS.
            let served = plain_addr.or(tls_addr).map_or(addr.port(), |a| a.port());
            tasks.push(tokio::spawn(rmcp::serve(
                socket,
                device.cfg.profile.clone(),
                served,
                stop_rx.clone(),
            )));
            Some(rmcp_addr)
        }
        _ => None,
    };
    if let Some(listener) = plain {
        tasks.push(tokio::spawn(accept_loop(
            listener,
            None,
            Arc::clone(&device),
            stop_rx.clone(),
        )));
    }
    if let Some((listener, acceptor)) = acceptor {
        tasks.push(tokio::spawn(accept_loop(
            listener,
            Some(acceptor),
            Arc::clone(&device),
            stop_rx,
        )));
    }
    tracing::debug!(%addr, ?tls_addr, profile = %device.cfg.profile.name, "device listening");
    Ok(DeviceHandle {
        addr,
        plain_addr,
        tls_addr,
        rmcp_addr,
        device,
        stop,
        tasks,
    })
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<Acceptor>,
    device: Arc<Device>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    device.counters.connections.fetch_add(1, Ordering::Relaxed);
                    let device = Arc::clone(&device);
                    let stop = stop.clone();
                    let acceptor = acceptor.clone();
                    connections.spawn(async move {
                        let result = match acceptor {
                            None => serve_connection(stream, &device, stop).await,
                            Some(_) if device.cfg.faults.contains(&Fault::TlsStall) => {
                                // Take the ClientHello and never answer it.
                                hold_silently(stream, stop).await;
                                Ok(())
                            }
                            Some(acceptor) => {
                                let handshake = tokio::time::timeout(
                                    HANDSHAKE_TIMEOUT,
                                    acceptor.accept(stream),
                                );
                                match handshake.await {
                                    Ok(Ok(tls)) => serve_connection(tls, &device, stop).await,
                                    Ok(Err(e)) => {
                                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                        Ok(())
                                    }
                                    Err(_) => Ok(()),
                                }
                            }
                        };
                        if let Err(e) = result {
                            tracing::debug!(%peer, error = %e, "connection ended");
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    device: &Device,
    mut stop: watch::Receiver<bool>,
) -> Result<(), ReadError> {
    let faults = &device.cfg.faults;
    if faults.contains(&Fault::CloseImmediately) {
        return Ok(());
    }
    let mut buf = Vec::new();
    loop {
        let deadline = if buf.is_empty() {
            IDLE_TIMEOUT
        } else {
            REQUEST_DEADLINE
        };
        let request = tokio::select! {
            _ = stop.changed() => return Ok(()),
            r = http::read_request(&mut stream, &mut buf, deadline) => r,
        };
        let request = match request {
            Ok(r) => r,
            Err(ReadError::Closed) | Err(ReadError::Timeout) => return Ok(()),
            Err(ReadError::TooLarge) => {
                let server = &device.cfg.profile.server_header;
                let _ = http::write_all(&mut stream, &http::empty_response(413, server)).await;
                return Ok(());
            }
            Err(ReadError::Malformed(why)) => {
                let server = &device.cfg.profile.server_header;
                let _ = http::write_all(&mut stream, &http::empty_response(400, server)).await;
                return Err(ReadError::Malformed(why));
            }
            Err(e) => return Err(e),
        };
        device.counters.requests.fetch_add(1, Ordering::Relaxed);
        if faults.contains(&Fault::Stall) {
            // Hold the connection open without answering until the peer or
            // the device goes away; whatever the peer sends is read and dropped.
            hold_silently(stream, stop).await;
            return Ok(());
        }
        let server = device.cfg.profile.server_header.clone();
        if faults.contains(&Fault::EndlessHeaders) {
            tokio::select! {
                _ = stop.changed() => {}
                _ = hostile::endless_headers(&mut stream, &server) => {}
            }
            return Ok(());
        }
        if faults.contains(&Fault::NotHttp) {
            let _ = http::write_all(&mut stream, hostile::not_http()).await;
            let _ = stream.shutdown().await;
            return Ok(());
        }
        for fault in faults {
            if let Fault::Delay(d) = fault {
                tokio::time::sleep(*d).await;
            }
        }
        let answer = device.route(&request);
        match answer {
            Answer::Bytes { bytes, keep_alive } => {
                if faults.contains(&Fault::Trickle) {
                    tokio::select! {
                        _ = stop.changed() => {}
                        _ = hostile::trickle(&mut stream, &bytes) => {}
                    }
                    return Ok(());
                }
                http::write_all(&mut stream, &bytes).await?;
                // keepalive-close: as a firmware that drops idle connections
                // at once, without having said `Connection: close`.
                if !keep_alive
                    || !request.wants_keep_alive()
                    || faults.contains(&Fault::KeepAliveClose)
                {
                    let _ = stream.shutdown().await;
                    return Ok(());
                }
            }
            Answer::Hostile(fault) => {
                tokio::select! {
                    _ = stop.changed() => {}
                    _ = async {
                        match fault {
                            Fault::ResetMidBody => hostile::reset_mid_body(&mut stream, &server).await,
                            Fault::TruncatedChunked => hostile::truncated_chunked(&mut stream, &server).await,
                            _ => hostile::endless_body(&mut stream, &server).await,
                        }
                    } => {}
                }
                return Ok(());
            }
            Answer::Oversized(len) => {
                write_oversized(&mut stream, &device.cfg.profile.server_header, len).await?;
                let _ = stream.shutdown().await;
                return Ok(());
            }
        }
    }
}

/// Streams a 200 whose chunked body is `len` bytes without holding it in memory.
async fn write_oversized<S: AsyncWrite + Unpin>(
    stream: &mut S,
    server: &str,
    len: usize,
) -> std::io::Result<()> {
    let head = http::soap_response(200, server, SOAP12_CONTENT_TYPE, b"");
    // soap_response ends with the empty-body terminator; send only the head.
    let head_len = head.len().saturating_sub(b"0\r\n\r\n".len());
    stream
        .write_all(head.get(..head_len).unwrap_or(&[]))
        .await?;
    let filler = vec![b' '; 0x2000];
    let mut left = len;
    while left > 0 {
        let n = left.min(filler.len());
        stream.write_all(format!("{n:04X}\r\n").as_bytes()).await?;
        stream.write_all(filler.get(..n).unwrap_or(&[])).await?;
        stream.write_all(b"\r\n").await?;
        left -= n;
    }
    stream.write_all(b"0\r\n\r\n").await?;
    stream.flush().await
}

enum Answer {
    Bytes {
        bytes: Vec<u8>,
        keep_alive: bool,
    },
    Oversized(usize),
    /// A streamed hostile answer (reset mid-body, truncated or endless chunks).
    Hostile(Fault),
}

/// Reads and drops whatever the peer sends, answering nothing, until the
/// peer or the device goes away.
async fn hold_silently<S: AsyncRead + Unpin>(mut stream: S, mut stop: watch::Receiver<bool>) {
    let mut sink = [0u8; 1024];
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            n = tokio::io::AsyncReadExt::read(&mut stream, &mut sink) => {
                if !matches!(n, Ok(n) if n > 0) {
                    return;
                }
            }
        }
    }
}

impl Answer {
    fn close(bytes: Vec<u8>) -> Self {
        Answer::Bytes {
            bytes,
            keep_alive: false,
        }
    }
    fn keep(bytes: Vec<u8>) -> Self {
        Answer::Bytes {
            bytes,
            keep_alive: true,
        }
    }
}

impl Device {
    fn server(&self) -> &str {
        &self.cfg.profile.server_header
    }

    fn route(&self, req: &Request) -> Answer {
        let path = request_path(&req.path);
        let profile = &self.cfg.profile;
        match (req.method.as_str(), path) {
            ("GET", "/") => Answer::keep(http::see_other(self.server())),
            ("GET", web::LOGON) => Answer::keep(http::html_ok(self.server(), &web::logon_page())),
            ("GET", p) if web::protected(p).is_some() => self.authenticated(req, |dev| {
                let title = web::protected(p).unwrap_or_default();
                Answer::keep(http::html_ok(
                    dev.server(),
                    &web::page(&dev.cfg.profile, title),
                ))
            }),
            ("POST", "/wsman") if !profile.has_wsman() => {
                Answer::close(http::empty_response(profile.no_wsman_status, self.server()))
            }
            ("POST", "/wsman") => self.authenticated(req, |dev| dev.wsman(req)),
            ("POST", p) if profile.has_eoi() && eoi::service_for_path(p).is_some() => {
                self.authenticated(req, |dev| dev.eoi(req, p))
            }
            _ => Answer::close(http::empty_response(404, self.server())),
        }
    }

    /// Runs Digest, then the answer-level faults, then `handler`.
    fn authenticated(&self, req: &Request, handler: impl FnOnce(&Device) -> Answer) -> Answer {
        let now = Instant::now();
        let settings = DigestSettings {
            user: &self.cfg.user,
            password: &self.cfg.password,
            realm: &self.cfg.profile.realm,
            qop: &self.cfg.profile.digest_qop,
            nonce_lifetime: self.cfg.nonce_lifetime,
            lockout_threshold: self.cfg.lockout_threshold,
            lockout_duration: self.cfg.lockout_duration,
            accept_empty_response: self.cfg.profile.accepts_empty_digest_response,
        };
        let path = req.path.as_str();
        let challenge = {
            let Ok(mut st) = self.state.lock() else {
                return Answer::close(http::empty_response(500, self.server()));
            };
            let was_locked = st.digest.is_locked(now);
            let mut outcome = st.digest.check(
                &settings,
                req.header("authorization"),
                &req.method,
                path,
                &req.body,
                now,
            );
            let faults = &self.cfg.faults;
            if faults.contains(&Fault::Locked) && req.header("authorization").is_some() {
                outcome = AuthOutcome::Locked;
            }
            if faults.contains(&Fault::DigestStaleForever) && outcome == AuthOutcome::Accepted {
                outcome = AuthOutcome::Stale;
            }
            let c = &self.counters;
            let stale = match outcome {
                AuthOutcome::Accepted => None,
                AuthOutcome::NoCredentials => Some(false),
                AuthOutcome::Stale => {
                    c.stale_nonces.fetch_add(1, Ordering::Relaxed);
                    Some(true)
                }
                AuthOutcome::Replay => {
                    c.replays.fetch_add(1, Ordering::Relaxed);
                    Some(false)
                }
                AuthOutcome::Failed => {
                    c.failed_auth.fetch_add(1, Ordering::Relaxed);
                    Some(false)
                }
                AuthOutcome::Locked => {
                    c.failed_auth.fetch_add(1, Ordering::Relaxed);
                    if !was_locked {
                        c.lockouts.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(profile = %self.cfg.profile.name, "account locked");
                    }
                    Some(false)
                }
            };
            stale.map(|stale| {
                let nonce = st.digest.new_nonce(now, self.cfg.nonce_lifetime);
                hostile::challenge(
                    &self.cfg.faults,
                    &self.cfg.profile.realm,
                    &nonce,
                    stale,
                    &self.cfg.profile.digest_qop,
                )
            })
        };
        if let Some(challenge) = challenge {
            self.counters
                .auth_challenges
                .fetch_add(1, Ordering::Relaxed);
            let page = digest::logon_failed_page(self.cfg.profile.logon_failed_page);
            return Answer::close(http::unauthorized(&challenge, self.server(), &page));
        }
        self.counters.authenticated.fetch_add(1, Ordering::Relaxed);
        for fault in &self.cfg.faults {
            match fault {
                Fault::Http500 => return Answer::close(http::empty_response(500, self.server())),
                Fault::EmptyBadRequest => {
                    return Answer::close(http::bare_bad_request(self.server()))
                }
                Fault::MalformedXml => {
                    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\"><a:Header><b:To>";
                    return Answer::keep(http::soap_response(
                        200,
                        self.server(),
                        SOAP12_CONTENT_TYPE,
                        body.as_bytes(),
                    ));
                }
                Fault::OversizedBody(n) => return Answer::Oversized(*n),
                Fault::ResetMidBody | Fault::TruncatedChunked | Fault::EndlessBody => {
                    return Answer::Hostile(fault.clone())
                }
                f => {
                    if let Some(body) = hostile::hostile_xml(f) {
                        return Answer::keep(http::soap_response(
                            200,
                            self.server(),
                            SOAP12_CONTENT_TYPE,
                            body.as_bytes(),
                        ));
                    }
                }
            }
        }
        let answer = handler(self);
        match answer {
            Answer::Bytes { bytes, keep_alive }
                if self.cfg.faults.contains(&Fault::WrongContentType) =>
            {
                Answer::Bytes {
                    bytes: hostile::wrong_content_type(&bytes),
                    keep_alive,
                }
            }
            other => other,
        }
    }

    fn next_ids(&self) -> (String, Option<String>) {
        let Ok(mut st) = self.state.lock() else {
            return (wsman::message_id(0), None);
        };
        st.message_counter += 1;
        (wsman::message_id(st.message_counter), None)
    }

    fn soap_ok(&self, body: String) -> Answer {
        Answer::keep(http::soap_response(
            200,
            self.server(),
            SOAP12_CONTENT_TYPE,
            body.as_bytes(),
        ))
    }

    fn soap_fault(&self, relates_to: &str, kind: FaultKind) -> Answer {
        let (msg_id, _) = self.next_ids();
        let body = wsman::fault_response(relates_to, &msg_id, kind);
        Answer::close(http::soap_response(
            400,
            self.server(),
            SOAP12_CONTENT_TYPE,
            body.as_bytes(),
        ))
    }

    fn class_missing(&self, class: &str) -> bool {
        self.cfg
            .faults
            .iter()
            .any(|f| matches!(f, Fault::MissingClass(c) if c == class))
    }

    fn wsman(&self, req: &Request) -> Answer {
        let parsed: WsmanRequest = match wsman::parse_request(&req.body) {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(error = %e, "unparseable WS-Man request");
                return self.soap_fault("", FaultKind::SchemaValidationError);
            }
        };
        let relates_to = parsed.message_id.clone().unwrap_or_else(|| "0".to_owned());
        if parsed.identify && parsed.action.is_none() {
            if self.cfg.profile.identify {
                return self.soap_ok(wsman::identify_response(&self.cfg.profile));
            }
            return self.soap_fault(&relates_to, FaultKind::ActionNotSupported);
        }
        let action = parsed.action.as_deref().unwrap_or("");
        let is_known_action = matches!(
            action,
            wsman::ACTION_GET | wsman::ACTION_ENUMERATE | wsman::ACTION_PULL
        );
        if !is_known_action {
            return self.soap_fault(&relates_to, FaultKind::ActionNotSupported);
        }
        let uri = parsed.resource_uri.as_deref().unwrap_or("");
        let class = match wsman::class_for_uri(uri) {
            Some(c) if !self.class_missing(c) => c,
            _ => return self.soap_fault(&relates_to, FaultKind::DestinationUnreachable),
        };
        let all = if class == "AMT_TLSSettingData" {
            // What the device runs, not what the profile says by default.
            let tls = self.cfg.tls;
            Some(wsman::tls_setting_instances(
                tls.is_some(),
                tls.is_some_and(|t| t.kind == TlsKind::Mtls),
                tls.is_none() || self.cfg.plain,
            ))
            .filter(|_| self.cfg.profile.has_class(class))
        } else {
            wsman::instances(&self.cfg.profile, class)
        };
        let Some(all) = all else {
            return self.soap_fault(&relates_to, FaultKind::DestinationUnreachable);
        };
        match action {
            wsman::ACTION_GET => {
                let chosen = if parsed.selectors.is_empty() {
                    all.first()
                } else {
                    all.iter()
                        .find(|inst| selectors_match(inst, &parsed.selectors))
                };
                let Some(instance) = chosen else {
                    return self.soap_fault(&relates_to, FaultKind::DestinationUnreachable);
                };
                let (msg_id, _) = self.next_ids();
                self.soap_ok(wsman::get_response(
                    &relates_to,
                    &msg_id,
                    class,
                    uri,
                    instance,
                ))
            }
            wsman::ACTION_ENUMERATE => {
                let now = Instant::now();
                let Ok(mut st) = self.state.lock() else {
                    return Answer::close(http::empty_response(500, self.server()));
                };
                let ctx = st.new_context();
                st.prune_enumerations(now);
                let mut remaining = all;
                let first: Vec<Instance> = if parsed.optimize {
                    let max = parsed
                        .optimize_max
                        .unwrap_or(1)
                        .clamp(1, wsman::MAX_ELEMENTS_CAP);
                    remaining.drain(..max.min(remaining.len())).collect()
                } else {
                    Vec::new()
                };
                let done = parsed.optimize && remaining.is_empty();
                if !done {
                    st.enumerations.insert(
                        ctx.clone(),
                        Enumeration {
                            class,
                            remaining,
                            touched: now,
                        },
                    );
                }
                st.message_counter += 1;
                let msg_id = wsman::message_id(st.message_counter);
                drop(st);
                if parsed.optimize {
                    self.soap_ok(wsman::enumerate_response_items(
                        &relates_to,
                        &msg_id,
                        class,
                        uri,
                        &ctx,
                        &first,
                        done,
                    ))
                } else {
                    self.soap_ok(wsman::enumerate_response(&relates_to, &msg_id, uri, &ctx))
                }
            }
            _ => self.pull(&parsed, &relates_to, class, uri),
        }
    }

    fn pull(&self, parsed: &WsmanRequest, relates_to: &str, class: &str, uri: &str) -> Answer {
        let now = Instant::now();
        let Ok(mut st) = self.state.lock() else {
            return Answer::close(http::empty_response(500, self.server()));
        };
        let ctx = parsed.enumeration_context.as_deref().unwrap_or("");
        let fresh = st
            .enumerations
            .get(ctx)
            .is_some_and(|e| now.duration_since(e.touched) < CONTEXT_LIFETIME && e.class == class);
        let Some(mut enumeration) = st.enumerations.remove(ctx).filter(|_| fresh) else {
            drop(st);
            return self.soap_fault(relates_to, FaultKind::InvalidEnumerationContext);
        };
        let max = parsed
            .max_elements
            .unwrap_or(1)
            .clamp(1, wsman::MAX_ELEMENTS_CAP);
        let take = max.min(enumeration.remaining.len());
        let page: Vec<Instance> = enumeration.remaining.drain(..take).collect();
        let next = if enumeration.remaining.is_empty() {
            None
        } else {
            let next_ctx = st.new_context();
            enumeration.touched = now;
            st.enumerations.insert(next_ctx.clone(), enumeration);
            Some(next_ctx)
        };
        st.message_counter += 1;
        let msg_id = wsman::message_id(st.message_counter);
        drop(st);
        self.soap_ok(wsman::pull_response(
            relates_to,
            &msg_id,
            class,
            uri,
            &page,
            next.as_deref(),
        ))
    }

    fn eoi(&self, req: &Request, path: &str) -> Answer {
        let Some(service) = eoi::service_for_path(path) else {
            return Answer::close(http::empty_response(404, self.server()));
        };
        let method = eoi::method_of(req.header("soapaction"), &req.body).unwrap_or_default();
        let address = match self.cfg.listen.ip() {
            std::net::IpAddr::V4(v4) => v4,
            std::net::IpAddr::V6(_) => Ipv4Addr::LOCALHOST,
        };
        match eoi::respond(&self.cfg.profile, service, &method, address) {
            Some(body) => Answer::keep(http::soap_response(
                200,
                self.server(),
                SOAP11_CONTENT_TYPE,
                body.as_bytes(),
            )),
            None => Answer::close(http::soap_response(
                500,
                self.server(),
                SOAP11_CONTENT_TYPE,
                eoi::unknown_method_fault(&method).as_bytes(),
            )),
        }
    }
}

impl Mutable {
    fn new_context(&mut self) -> String {
        self.context_counter = self.context_counter.wrapping_add(1);
        wsman::enumeration_context(self.context_counter)
    }

    fn prune_enumerations(&mut self, now: Instant) {
        self.enumerations
            .retain(|_, e| now.duration_since(e.touched) < CONTEXT_LIFETIME);
        while self.enumerations.len() >= MAX_CONTEXTS {
            let Some(oldest) = self
                .enumerations
                .iter()
                .min_by_key(|(_, e)| e.touched)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.enumerations.remove(&oldest);
        }
    }
}

/// The path of a request target in origin form (`/wsman?x`) or absolute form
/// (`http://host:16992/wsman`).
fn request_path(target: &str) -> &str {
    let origin = match target.find("://") {
        Some(p) => {
            let after = target.get(p + 3..).unwrap_or("");
            after.find('/').and_then(|s| after.get(s..)).unwrap_or("/")
        }
        None => target,
    };
    origin.split('?').next().unwrap_or(origin)
}

fn selectors_match(instance: &Instance, selectors: &[(String, String)]) -> bool {
    selectors.iter().all(|(name, value)| {
        instance
            .iter()
            .any(|(n, p)| n == name && matches!(p, wsman::Prop::Text(v) if v == value))
    })
}

/// Many devices in one process.
#[derive(Debug)]
pub struct Fleet {
    /// The running devices, in the order their configs were given.
    pub devices: Vec<DeviceHandle>,
}

impl Fleet {
    /// Stops every device.
    pub async fn shutdown(self) {
        for d in self.devices {
            d.shutdown().await;
        }
    }
}

/// Starts every device; if one fails to bind, the ones already started are
/// stopped and the error is returned.
pub async fn start_fleet(configs: Vec<DeviceConfig>) -> std::io::Result<Fleet> {
    let mut devices = Vec::with_capacity(configs.len());
    for cfg in configs {
        match start_device(cfg).await {
            Ok(d) => devices.push(d),
            Err(e) => {
                Fleet { devices }.shutdown().await;
                return Err(e);
            }
        }
    }
    Ok(Fleet { devices })
}

/// One device per address, profiles assigned round-robin, each with the
/// default credentials and `port` (0: a free port per device). Returns no
/// configs when `profiles` is empty.
pub fn round_robin(addrs: &[Ipv4Addr], port: u16, profiles: &[Profile]) -> Vec<DeviceConfig> {
    addrs
        .iter()
        .zip(profiles.iter().cycle())
        .map(|(addr, profile)| {
            DeviceConfig::new(profile.clone(), SocketAddr::new((*addr).into(), port))
        })
        .collect()
}

/// Why a fleet address range was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    /// The first address is not in 127.0.0.0/8.
    #[error("{0} is not a loopback address (pass --allow-non-loopback to use it)")]
    NotLoopback(Ipv4Addr),
    /// The range runs past the end of 127.0.0.0/8 (or of the address space).
    #[error("{count} addresses from {first} leave the allowed range")]
    OutOfRange { first: Ipv4Addr, count: usize },
}

/// `count` consecutive addresses from `first`, all inside 127.0.0.0/8 (on Linux
/// every one of them is routable on `lo` without configuration).
pub fn fleet_addresses(first: Ipv4Addr, count: usize) -> Result<Vec<Ipv4Addr>, FleetError> {
    if !first.is_loopback() {
        return Err(FleetError::NotLoopback(first));
    }
    let addrs = fleet_addresses_unchecked(first, count)?;
    if addrs
        .last()
        .is_some_and(|a| !a.is_loopback() || a.octets() == [127, 255, 255, 255])
    {
        return Err(FleetError::OutOfRange { first, count });
    }
    Ok(addrs)
}

/// Like [`fleet_addresses`] but anywhere in IPv4: only for `--allow-non-loopback`.
pub fn fleet_addresses_unchecked(
    first: Ipv4Addr,
    count: usize,
) -> Result<Vec<Ipv4Addr>, FleetError> {
    let start = u32::from(first);
    let span = u32::try_from(count).map_err(|_| FleetError::OutOfRange { first, count })?;
    if count > 0 && start.checked_add(span - 1).is_none() {
        return Err(FleetError::OutOfRange { first, count });
    }
    Ok((0..span).map(|i| Ipv4Addr::from(start + i)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_password() {
        let mut cfg = DeviceConfig::new(
            Profile::builtin("amt-7.1").unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        );
        cfg.password = "Hunter2-secret!".into();
        let text = format!("{cfg:?}");
        assert!(!text.contains("Hunter2"), "{text}");
        let mut p = Profile::builtin("amt-7.1").unwrap();
        p.default_password = Some(crate::profile::Password("Hunter2-secret!".into()));
        assert!(!format!("{p:?}").contains("Hunter2"));
    }

    #[test]
    fn request_targets_in_origin_and_absolute_form() {
        assert_eq!(request_path("/wsman?x=1"), "/wsman");
        assert_eq!(request_path("http://10.0.0.5:16992/wsman"), "/wsman");
        assert_eq!(request_path("http://host"), "/");
    }

    #[test]
    fn fleet_addresses_stay_on_loopback() {
        let a = fleet_addresses(Ipv4Addr::new(127, 1, 0, 254), 4).unwrap();
        assert_eq!(a.last(), Some(&Ipv4Addr::new(127, 1, 1, 1)));
        assert!(fleet_addresses(Ipv4Addr::new(192, 168, 0, 1), 1).is_err());
        assert!(fleet_addresses(Ipv4Addr::new(127, 255, 255, 254), 2).is_err());
        assert!(fleet_addresses_unchecked(Ipv4Addr::new(255, 255, 255, 255), 2).is_err());
        assert_eq!(
            fleet_addresses(Ipv4Addr::new(127, 0, 0, 1), 0).unwrap(),
            Vec::<Ipv4Addr>::new()
        );
    }
}
