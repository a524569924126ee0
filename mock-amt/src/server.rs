//! The listeners and the connection loop. A connection is served over any
//! `AsyncRead + AsyncWrite`, so TLS (rustls or OpenSSL) wraps it unchanged;
//! the connection-level faults (stall, trickle, endless headers, not HTTP,
//! keep-alive close) act here, before and after the router.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::classes::State;
use crate::config::DeviceConfig;
use crate::device::{Answer, Counters, Device, Mutable, SOAP12_CONTENT_TYPE};
use crate::digest::DigestState;
use crate::fault::Fault;
use crate::hostile;
use crate::http::{self, ReadError};
use crate::profile::{Profile, TlsSpeaks};
use crate::rmcp;
use crate::tls::{Acceptor, TlsKind};

/// How long a connection may sit idle between requests.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take to arrive once started.
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// Whether the missing privilege for the default RMCP port was reported.
static RMCP_PRIVILEGE_WARNED: AtomicBool = AtomicBool::new(false);

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
    /// TLS handshakes completed, resumed ones included.
    pub tls_handshakes: u64,
    /// Of those, how many resumed an earlier session (no certificate or key
    /// exchange sent).
    pub tls_resumed: u64,
    /// TLS handshakes that did not complete: a modern ClientHello refused by
    /// a legacy-only device is one, so attempts are this plus `tls_handshakes`.
    pub tls_failed: u64,
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
            tls_handshakes: c.tls_handshakes.load(Ordering::Relaxed),
            tls_resumed: c.tls_resumed.load(Ordering::Relaxed),
            tls_failed: c.tls_failed.load(Ordering::Relaxed),
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
            let names = if cfg.certificate_names.is_empty() {
                vec![
                    format!("{}.{}", cfg.profile.hostname, cfg.profile.domain),
                    cfg.profile.hostname.clone(),
                ]
            } else {
                cfg.certificate_names.clone()
            };
            let legacy_generation = cfg.profile.tls_speaks() == TlsSpeaks::Legacy;
            let acceptor = Acceptor::new(setup.kind, legacy_generation, &names, cfg.listen.ip())?;
            let at = SocketAddr::new(cfg.listen.ip(), setup.port);
            let listener = match TcpListener::bind(at).await {
                Ok(listener) => listener,
                // A derived TLS port taken by a neighbour (another mock's
                // plain port, say) must not stop this device: a free port
                // is as good, and the `listening-tls` line names it.
                Err(e) if cfg.tls_port_optional && setup.port != 0 => {
                    let listener = bind_tcp(SocketAddr::new(at.ip(), 0), "TLS").await?;
                    tracing::warn!(
                        "cannot bind the TLS port {at}: {e}; serving TLS on {} instead (--tls-port names one)",
                        listener.local_addr()?
                    );
                    listener
                }
                Err(e) => return Err(bind_error(e, "TLS", at)),
            };
            Some((listener, acceptor))
        }
        None => None,
    };
    let plain = if cfg.plain {
        Some(bind_tcp(cfg.listen, "HTTP").await?)
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
    let live = State::new(&cfg.profile);
    let device = Arc::new(Device {
        cfg,
        counters: Counters::default(),
        state: Mutex::new(Mutable {
            digest: DigestState::default(),
            message_counter: 0,
            // The first context is 17000000-…, as in the AMT 15 capture.
            context_counter: 0x16,
            enumerations: HashMap::new(),
            live,
        }),
    });
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let rmcp_addr = match device.cfg.rmcp_port {
        Some(port) if rmcp::answers_ping(&device.cfg.profile) => 'rmcp: {
            let at = SocketAddr::new(addr.ip(), port);
            let socket = match UdpSocket::bind(at).await {
                Ok(socket) => socket,
                // Two mocks side by side on one address both want 623 (and
                // it needs privileges): the second still serves AMT.
                Err(e) if device.cfg.rmcp_optional => {
                    // A missing privilege is the same for every device of a
                    // fleet: one line says it, not one per device.
                    let privilege = e.kind() == std::io::ErrorKind::PermissionDenied;
                    if !privilege {
                        tracing::warn!(
                            "cannot bind the RMCP port {at} (UDP): {e}; running without RMCP (--rmcp-port picks another port, --no-rmcp turns it off)"
                        );
                    } else if !RMCP_PRIVILEGE_WARNED.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            "cannot bind the RMCP port {at} (UDP): {e}; running without RMCP, as does every device of this process without the privilege (run as root, or --rmcp-port picks another port)"
                        );
                    }
                    break 'rmcp None;
                }
                Err(e) => return Err(bind_error(e, "RMCP (UDP)", at)),
            };
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

/// A bind failure that names what could not be bound and where, keeping
/// the kind for callers that decide by it: "Address already in use" alone
/// does not say which of a device's listeners (or which device) failed.
pub(crate) fn bind_error(e: std::io::Error, what: &str, at: SocketAddr) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("cannot bind the {what} port {at}: {e}"))
}

pub(crate) async fn bind_tcp(at: SocketAddr, what: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(at)
        .await
        .map_err(|e| bind_error(e, what, at))
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
                            // A connection closed before its first byte (the
                            // scanner's port sweep) attempted no handshake.
                            Some(_)
                                if !matches!(
                                    tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut [0u8; 1])).await,
                                    Ok(Ok(1..))
                                ) =>
                            {
                                Ok(())
                            }
                            Some(acceptor) => {
                                let handshake = tokio::time::timeout(
                                    HANDSHAKE_TIMEOUT,
                                    acceptor.accept(stream),
                                );
                                let counters = &device.counters;
                                match handshake.await {
                                    Ok(Ok((tls, resumed))) => {
                                        counters.tls_handshakes.fetch_add(1, Ordering::Relaxed);
                                        if resumed {
                                            counters.tls_resumed.fetch_add(1, Ordering::Relaxed);
                                        }
                                        serve_connection(tls, &device, stop).await
                                    }
                                    Ok(Err(e)) => {
                                        counters.tls_failed.fetch_add(1, Ordering::Relaxed);
                                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                        Ok(())
                                    }
                                    Err(_) => {
                                        counters.tls_failed.fetch_add(1, Ordering::Relaxed);
                                        Ok(())
                                    }
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
