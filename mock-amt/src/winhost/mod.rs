//! A mock Windows host beside a mock AMT device: WinRM on 5985 (HTTP) the way
//! Windows answers the two reads `amtready scan --winrm` makes
//! (Win32_OperatingSystem, Win32_Service filtered by WQL), with Basic
//! authentication. It shares the AMT device's address, as the host OS and
//! its AMT firmware share one NIC on a real machine.

pub mod profile;
pub mod soap;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::http::{self, read_request};
pub use profile::WindowsProfile;

/// WinRM's HTTP port.
pub const WINRM_HTTP_PORT: u16 = 5985;
/// The header WinRM's HTTP.sys listener sends on every answer.
const SERVER: &str = "Microsoft-HTTPAPI/2.0";
/// Longest a client may take to send one request.
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// How one mock Windows host is set up.
#[derive(Debug, Clone)]
pub struct WindowsHostConfig {
    pub profile: WindowsProfile,
    pub listen: SocketAddr,
    pub user: String,
    pub password: String,
}

impl WindowsHostConfig {
    /// A host on `ip`:5985 with the account `Administrator` / the AMT mock's
    /// default password.
    pub fn new(profile: WindowsProfile, ip: std::net::IpAddr) -> Self {
        Self {
            profile,
            listen: SocketAddr::new(ip, WINRM_HTTP_PORT),
            user: "Administrator".into(),
            password: crate::DEFAULT_PASSWORD.into(),
        }
    }
}

/// A running host; dropping it leaves it running until [`shutdown`](Self::shutdown).
#[derive(Debug)]
pub struct WindowsHostHandle {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl WindowsHostHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn shutdown(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Starts a host. Loopback only, like the AMT mock.
pub async fn start_windows_host(cfg: WindowsHostConfig) -> std::io::Result<WindowsHostHandle> {
    if !cfg.listen.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("refusing to listen on non-loopback address {}", cfg.listen),
        ));
    }
    let listener = TcpListener::bind(cfg.listen).await?;
    let addr = listener.local_addr()?;
    let cfg = std::sync::Arc::new(cfg);
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, std::sync::Arc::clone(&cfg)));
        }
    });
    Ok(WindowsHostHandle { addr, task })
}

async fn serve(mut stream: TcpStream, cfg: std::sync::Arc<WindowsHostConfig>) {
    let mut buf = Vec::new();
    loop {
        let Ok(req) = read_request(&mut stream, &mut buf, REQUEST_DEADLINE).await else {
            return;
        };
        let keep = req.wants_keep_alive();
        let reply = respond(&cfg, &req);
        if http::write_all(&mut stream, &reply).await.is_err() || !keep {
            return;
        }
    }
}

fn respond(cfg: &WindowsHostConfig, req: &http::Request) -> Vec<u8> {
    if req.method != "POST" || !req.path.eq_ignore_ascii_case("/wsman") {
        return plain(404, "", b"");
    }
    if !basic_ok(cfg, req.header("authorization")) {
        // Windows offers Negotiate first, then Basic where it is enabled.
        return format!(
            "HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: Basic realm=\"WSMAN\"\r\nServer: {SERVER}\r\nDate: {}\r\nContent-Length: 0\r\n\r\n",
            http::http_date(SystemTime::now())
        )
        .into_bytes();
    }
    let Some(parsed) = soap::parse(&req.body) else {
        return plain(400, "", b"");
    };
    let host = cfg.listen.ip().to_string();
    match soap::answer(&cfg.profile, &parsed, &host) {
        Ok(body) => plain(200, "application/soap+xml;charset=UTF-8", body.as_bytes()),
        Err(body) => plain(500, "application/soap+xml;charset=UTF-8", body.as_bytes()),
    }
}

fn basic_ok(cfg: &WindowsHostConfig, header: Option<&str>) -> bool {
    let Some(value) = header else { return false };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token.trim()) else {
        return false;
    };
    decoded == format!("{}:{}", cfg.user, cfg.password).as_bytes()
}

/// An HTTP.sys answer: a status line without a reason phrase, as WinRM sends.
fn plain(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} \r\nServer: {SERVER}\r\nDate: {}\r\nContent-Length: {}\r\n",
        http::http_date(SystemTime::now()),
        body.len()
    );
    if !content_type.is_empty() {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}
