//! The discovery sweep: which addresses answer at all.
//!
//! A real subnet is mostly silent addresses, and a silent address costs a
//! whole timeout, so the sweep keeps thousands of attempts in flight and
//! learns its timeout from the hosts that did answer, as nmap does (RFC 6298
//! smoothing: `srtt + 4·rttvar`, clamped between a floor and `--max-rtt`). A
//! refused connection (RST) is an answer and a timing sample; a timeout is
//! not, so every address that stayed silent is tried once more before it is
//! called silent. New attempts are paced by `--rate`.
//!
//! Per address it connects to TCP 16992 and 16993 (or only the port the user
//! wrote) and sends the RMCP presence ping to UDP 623.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::oneshot;

use super::plan::PlannedTarget;
use super::rmcp::{self, Pong};
use super::target::{AMT_HTTPS_PORT, AMT_HTTP_PORT};
use crate::wsman::transport::Preconnected;

/// How the sweep runs.
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// New TCP connection attempts per second (0: unpaced).
    pub rate: u32,
    /// Ceiling of the adaptive timeout (and its starting value).
    pub max_rtt: Duration,
    /// Floor of the adaptive timeout: a quiet LAN answers in well under a
    /// millisecond, but a busy host's accept queue does not.
    pub min_rtt: Duration,
    /// Addresses being probed at once.
    pub in_flight: usize,
    /// Tries after the first for an address that stayed silent.
    pub retries: u32,
    /// Send the RMCP presence ping.
    pub rmcp: bool,
    /// UDP port of the ping (623; tests point it elsewhere).
    pub rmcp_port: u16,
    /// The read starts on 16993 (`--tls on`): the sweep keeps its connection
    /// there for the first TLS handshake, not the one to 16992.
    pub read_starts_on_tls: bool,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        Self {
            rate: DEFAULT_RATE,
            max_rtt: Duration::from_secs(1),
            min_rtt: Duration::from_millis(100),
            in_flight: 2048,
            retries: 1,
            rmcp: true,
            rmcp_port: rmcp::RMCP_PORT,
            read_starts_on_tls: false,
        }
    }
}

/// The default `--rate`: 2,000 connection attempts a second is about one
/// megabit of SYNs, far below what a switch port or a stateful firewall
/// notices, and sweeps a /24 in well under a second.
pub const DEFAULT_RATE: u32 = 2_000;

/// What the sweep learnt about one address.
#[derive(Debug)]
pub(crate) struct Swept {
    pub target: PlannedTarget,
    /// TCP ports that accepted a connection, in preference order.
    pub open: Vec<u16>,
    /// TCP ports the host itself refused (RST): nothing listens there, as
    /// opposed to a port that stayed silent (filtered on the way).
    pub refused: Vec<u16>,
    pub pong: Option<Pong>,
    /// A local failure (out of sockets, no route): the address was not
    /// really probed, so it must not be reported as silent.
    pub local_error: Option<String>,
    /// The sweep's connection to the port the read starts on, handed over.
    pub preconnected: Option<Preconnected>,
}

impl Swept {
    /// Nothing answered: not a device.
    pub(crate) fn is_silent(&self) -> bool {
        self.open.is_empty() && self.pong.is_none() && self.local_error.is_none()
    }
}

/// Timeout learnt from answers (RFC 6298 §2, the estimator nmap uses too).
#[derive(Debug)]
pub(crate) struct RttEstimator {
    state: Mutex<Option<(f64, f64)>>,
    min: Duration,
    max: Duration,
}

impl RttEstimator {
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        Self {
            state: Mutex::new(None),
            min: min.min(max),
            max,
        }
    }

    pub(crate) fn sample(&self, rtt: Duration) {
        let r = rtt.as_secs_f64();
        if let Ok(mut s) = self.state.lock() {
            *s = Some(match *s {
                None => (r, r / 2.0),
                Some((srtt, var)) => {
                    let var = 0.75 * var + 0.25 * (srtt - r).abs();
                    (0.875 * srtt + 0.125 * r, var)
                }
            });
        }
    }

    /// The current timeout: the ceiling until something has answered.
    pub(crate) fn timeout(&self) -> Duration {
        let learnt = self
            .state
            .lock()
            .ok()
            .and_then(|s| *s)
            .map(|(srtt, var)| Duration::from_secs_f64((srtt + 4.0 * var).max(0.0)));
        learnt.map_or(self.max, |t| t.clamp(self.min, self.max))
    }
}

/// Paces new attempts to `rate` per second. Attempts are let through in
/// small bursts (the timer's granularity is a millisecond), never ahead of
/// the average.
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Option<Duration>,
    next: tokio::sync::Mutex<Instant>,
}

impl Pacer {
    pub(crate) fn new(rate: u32) -> Self {
        Self {
            interval: (rate > 0).then(|| Duration::from_secs_f64(1.0 / f64::from(rate))),
            next: tokio::sync::Mutex::new(Instant::now()),
        }
    }

    /// Waits for `n` attempts' worth of budget.
    pub(crate) async fn take(&self, n: u32) {
        let Some(interval) = self.interval else {
            return;
        };
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            // No credit for idle time beyond a few milliseconds: a pause must
            // not turn into a burst.
            if *next + Duration::from_millis(5) < now {
                *next = now;
            }
            let at = *next;
            *next += interval * n;
            at
        };
        if at > Instant::now() + Duration::from_millis(1) {
            tokio::time::sleep_until(at.into()).await;
        }
    }
}

/// The RMCP side: one UDP socket, one task reading pongs and handing each
/// to whoever is waiting for its source address.
#[derive(Debug)]
pub(crate) struct RmcpPinger {
    socket: Arc<UdpSocket>,
    waiting: Arc<Mutex<HashMap<IpAddr, Vec<oneshot::Sender<Pong>>>>>,
    port: u16,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for RmcpPinger {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl RmcpPinger {
    /// Binds an IPv4 socket. `None` when the machine will not give one (the
    /// sweep then goes on with TCP alone).
    pub(crate) async fn new(port: u16) -> Option<Self> {
        let socket = match bind_rmcp_socket() {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::warn!("RMCP ping disabled: cannot open a UDP socket: {e}");
                return None;
            }
        };
        let waiting: Arc<Mutex<HashMap<IpAddr, Vec<oneshot::Sender<Pong>>>>> = Arc::default();
        let reader = tokio::spawn({
            let socket = Arc::clone(&socket);
            let waiting = Arc::clone(&waiting);
            async move {
                let mut buf = [0u8; 512];
                loop {
                    let (len, from) = match socket.recv_from(&mut buf).await {
                        Ok(r) => r,
                        // ICMP errors surface here on some systems; they say
                        // nothing about other addresses.
                        Err(_) => continue,
                    };
                    let Ok(pong) = rmcp::parse_pong(&buf[..len]) else {
                        continue;
                    };
                    let waiters = waiting.lock().ok().and_then(|mut w| w.remove(&from.ip()));
                    for tx in waiters.into_iter().flatten() {
                        let _ = tx.send(pong.clone());
                    }
                }
            }
        });
        Some(Self {
            socket,
            waiting,
            port,
            reader,
        })
    }

    /// Sends a ping to `ip` and returns where its pong will arrive.
    async fn ping(&self, ip: IpAddr) -> Option<oneshot::Receiver<Pong>> {
        if !ip.is_ipv4() {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().ok()?.entry(ip).or_default().push(tx);
        let ping = rmcp::ping(0);
        if self.socket.send_to(&ping, (ip, self.port)).await.is_err() {
            drop(rx);
            self.forget(ip);
            return None;
        }
        Some(rx)
    }

    /// Drops the waiters for `ip` that have given up (several targets may
    /// share an address on different ports).
    fn forget(&self, ip: IpAddr) {
        if let Ok(mut w) = self.waiting.lock() {
            if let Some(list) = w.get_mut(&ip) {
                list.retain(|tx| !tx.is_closed());
                if list.is_empty() {
                    w.remove(&ip);
                }
            }
        }
    }
}

/// Receive buffer asked for on the RMCP socket (the kernel caps it at
/// `net.core.rmem_max`). With the default (about 200 KiB, some 270 small
/// datagrams on loopback), a sweep with 4,096 addresses in flight lost 2,917
/// of 4,096 pongs, and each host whose pong was lost waited for it.
const RMCP_RECV_BUFFER: usize = 8 << 20;

fn bind_rmcp_socket() -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    if let Err(e) = socket.set_recv_buffer_size(RMCP_RECV_BUFFER) {
        tracing::debug!("RMCP socket keeps the default receive buffer: {e}");
    }
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::from(([0, 0, 0, 0], 0)).into())?;
    UdpSocket::from_std(socket.into())
}

enum Connect {
    /// Accepted; the connection itself when the caller asked to keep it.
    Open(Duration, Option<TcpStream>),
    Refused(Duration),
    Silent,
    Local(std::io::Error),
}

async fn connect(addr: SocketAddr, timeout: Duration, keep: bool) -> Connect {
    let started = Instant::now();
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => Connect::Silent,
        Ok(Ok(stream)) => Connect::Open(started.elapsed(), keep.then_some(stream)),
        Ok(Err(e)) => match e.kind() {
            ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset => {
                Connect::Refused(started.elapsed())
            }
            ErrorKind::TimedOut | ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
                Connect::Silent
            }
            _ => Connect::Local(e),
        },
    }
}

/// Shared state of one sweep.
#[derive(Debug)]
pub(crate) struct Sweeper {
    pub opts: DiscoveryOptions,
    rtt: RttEstimator,
    pacer: Pacer,
    rmcp: Option<RmcpPinger>,
}

impl Sweeper {
    pub(crate) async fn new(opts: DiscoveryOptions) -> Self {
        let rmcp = if opts.rmcp {
            RmcpPinger::new(opts.rmcp_port).await
        } else {
            None
        };
        Self {
            rtt: RttEstimator::new(opts.min_rtt, opts.max_rtt),
            pacer: Pacer::new(opts.rate),
            rmcp,
            opts,
        }
    }

    /// Probes one address, retrying while it stays silent.
    pub(crate) async fn sweep(&self, target: PlannedTarget) -> Swept {
        let ports: Vec<u16> = if target.port_given {
            vec![target.addr.port()]
        } else {
            vec![AMT_HTTP_PORT, AMT_HTTPS_PORT]
        };
        let mut local_failures = 0u32;
        let mut tries = 0u32;
        loop {
            let timeout = self.rtt.timeout();
            self.pacer.take(ports.len() as u32).await;
            let pong_rx = match &self.rmcp {
                Some(p) => p.ping(target.addr.ip()).await,
                None => None,
            };
            // The connection to the port the read starts on is kept for it.
            let starts_on = if self.opts.read_starts_on_tls && target.addr.port() == AMT_HTTP_PORT {
                AMT_HTTPS_PORT
            } else {
                target.addr.port()
            };
            let attempts = ports.iter().map(|&p| {
                let keep = p == starts_on;
                connect(SocketAddr::new(target.addr.ip(), p), timeout, keep)
            });
            let results = futures_util::future::join_all(attempts).await;
            let mut preconnected = None;
            let mut open = Vec::new();
            let mut refused = Vec::new();
            let mut silent = false;
            let mut local = None;
            for (&port, r) in ports.iter().zip(results) {
                match r {
                    Connect::Open(rtt, stream) => {
                        self.rtt.sample(rtt);
                        open.push(port);
                        preconnected = stream.map(|stream| Preconnected {
                            addr: SocketAddr::new(target.addr.ip(), port),
                            stream,
                        });
                    }
                    Connect::Refused(rtt) => {
                        self.rtt.sample(rtt);
                        refused.push(port);
                    }
                    Connect::Silent => silent = true,
                    Connect::Local(e) => local = Some(e),
                }
            }
            // The pong had the same time to come as the connects did; a
            // little more for a device that answered TCP (it is there).
            let pong = match pong_rx {
                Some(mut rx) => match rx.try_recv() {
                    Ok(p) => Some(p),
                    Err(oneshot::error::TryRecvError::Closed) => None,
                    Err(oneshot::error::TryRecvError::Empty) => {
                        let wait = if open.is_empty() {
                            Duration::from_millis(1)
                        } else {
                            timeout / 2
                        };
                        tokio::time::timeout(wait, rx)
                            .await
                            .ok()
                            .and_then(Result::ok)
                    }
                },
                None => None,
            };
            if let Some(p) = &self.rmcp {
                // Our receiver is gone by now, so ours is among the closed.
                p.forget(target.addr.ip());
            }
            if let Some(e) = local {
                if open.is_empty() && pong.is_none() {
                    local_failures += 1;
                    if local_failures <= 20 {
                        // Out of sockets or ports: let others finish, then redo.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    return Swept {
                        target,
                        open,
                        refused,
                        pong,
                        local_error: Some(format!("cannot probe: {e}")),
                        preconnected,
                    };
                }
            }
            if !open.is_empty() || pong.is_some() || !silent || tries >= self.opts.retries {
                return Swept {
                    target,
                    open,
                    refused,
                    pong,
                    local_error: None,
                    preconnected,
                };
            }
            tries += 1;
        }
    }
}

/// The soft limit on open files (Linux `/proc/self/limits`), to size the
/// sweep's in-flight window without running out of sockets.
pub(crate) fn open_file_limit() -> Option<u64> {
    let text =
        bounded_read::read_to_string(std::path::Path::new("/proc/self/limits"), 64 * 1024).ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Addresses the sweep probes at once when the user did not say: as many as
/// the open-file limit leaves room for (two sockets per address, after the
/// `read_concurrency` devices' connections and some slack), within 16..=4096.
pub fn default_in_flight(read_concurrency: usize) -> usize {
    let limit = open_file_limit().unwrap_or(1024);
    let room = limit.saturating_sub((read_concurrency as u64).saturating_mul(2) + 256) / 2;
    room.clamp(16, 4096) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_learns_from_answers_within_bounds() {
        let est = RttEstimator::new(Duration::from_millis(100), Duration::from_secs(2));
        assert_eq!(est.timeout(), Duration::from_secs(2));
        for _ in 0..20 {
            est.sample(Duration::from_micros(50));
        }
        assert_eq!(est.timeout(), Duration::from_millis(100));
        for _ in 0..50 {
            est.sample(Duration::from_millis(400));
        }
        let t = est.timeout();
        assert!(
            t >= Duration::from_millis(400) && t <= Duration::from_secs(2),
            "{t:?}"
        );
        for _ in 0..50 {
            est.sample(Duration::from_secs(30));
        }
        assert_eq!(est.timeout(), Duration::from_secs(2));

        // A raised floor (--min-rtt) holds however fast the answers come.
        let est = RttEstimator::new(Duration::from_millis(750), Duration::from_secs(2));
        for _ in 0..20 {
            est.sample(Duration::from_micros(50));
        }
        assert_eq!(est.timeout(), Duration::from_millis(750));
    }

    #[tokio::test]
    async fn pacer_holds_the_rate() {
        let pacer = Pacer::new(1000);
        let started = Instant::now();
        for _ in 0..100 {
            pacer.take(2).await;
        }
        // 200 attempts at 1000/s: at least ~0.19 s, whatever the machine.
        assert!(
            started.elapsed() >= Duration::from_millis(190),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_refused_port_is_an_answer_and_an_open_one_is_found() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let sweeper = Sweeper::new(DiscoveryOptions {
            rmcp: false,
            ..DiscoveryOptions::default()
        })
        .await;
        let target = |addr: SocketAddr| PlannedTarget {
            addr,
            label: addr.to_string(),
            port_given: true,
            named: true,
        };
        let found = sweeper.sweep(target(open)).await;
        assert_eq!(found.open, [open.port()]);
        let started = Instant::now();
        let gone = sweeper.sweep(target(closed)).await;
        assert!(gone.is_silent());
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "a RST needs no retry"
        );
    }
}
