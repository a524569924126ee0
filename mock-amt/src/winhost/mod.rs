//! A mock Windows host beside a mock AMT device: WinRM on 5985 (HTTP) the way
//! Windows answers the reads `amtready scan --winrm` makes
//! (Win32_OperatingSystem, Win32_ComputerSystem, Win32_Service filtered by
//! WQL), with Negotiate (NTLM, messages sealed) as Windows' default and Basic
//! beside it. It shares the AMT device's address, as the host OS and
//! its AMT firmware share one NIC on a real machine.

pub mod negotiate;
pub mod profile;
pub mod soap;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinHandle;

use crate::http::{self, read_request};
use crate::tls::{Acceptor, TlsKind};
pub use profile::WindowsProfile;

/// WinRM's HTTP port.
pub const WINRM_HTTP_PORT: u16 = 5985;
/// WinRM's HTTPS port.
pub const WINRM_HTTPS_PORT: u16 = 5986;
/// The header WinRM's HTTP.sys listener sends on every answer.
const SERVER: &str = "Microsoft-HTTPAPI/2.0";
/// Longest a client may take to send one request.
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);
/// Longest a TLS handshake may take.
const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(10);

/// How one mock Windows host is set up.
#[derive(Debug, Clone)]
pub struct WindowsHostConfig {
    pub profile: WindowsProfile,
    /// The HTTP listener (5985).
    pub listen: SocketAddr,
    /// The HTTPS listener (5986), with a certificate from the mock's test CA
    /// naming the address; `None` for a host with only the default listener.
    pub https_listen: Option<SocketAddr>,
    pub user: String,
    pub password: String,
    /// The listener's `AllowUnencrypted` (false, as Windows ships): Basic
    /// and plain SOAP on HTTP are refused unless it is set. HTTPS always
    /// takes Basic; HTTP always takes Negotiate with sealing.
    pub allow_unencrypted: bool,
}

impl WindowsHostConfig {
    /// A host on `ip`:5985 and `ip`:5986 with the account `Administrator` /
    /// the AMT mock's default password, and Windows' default listener
    /// settings.
    pub fn new(profile: WindowsProfile, ip: std::net::IpAddr) -> Self {
        Self {
            profile,
            listen: SocketAddr::new(ip, WINRM_HTTP_PORT),
            https_listen: Some(SocketAddr::new(ip, WINRM_HTTPS_PORT)),
            user: "Administrator".into(),
            password: crate::DEFAULT_PASSWORD.into(),
            allow_unencrypted: false,
        }
    }
}

/// A running host; dropping it leaves it running until [`shutdown`](Self::shutdown).
#[derive(Debug)]
pub struct WindowsHostHandle {
    addr: SocketAddr,
    https_addr: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl WindowsHostHandle {
    /// The HTTP listener's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The HTTPS listener's address, when it has one.
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https_addr
    }

    pub async fn shutdown(self) {
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

/// Starts a host. Loopback only, like the AMT mock.
pub async fn start_windows_host(cfg: WindowsHostConfig) -> std::io::Result<WindowsHostHandle> {
    for listen in std::iter::once(cfg.listen).chain(cfg.https_listen) {
        if !listen.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("refusing to listen on non-loopback address {listen}"),
            ));
        }
    }
    let acceptor = match cfg.https_listen {
        Some(at) => {
            // `winrm quickconfig -transport:https` wants a certificate whose
            // subject is the host's name; a mock host is known by its address.
            let names = [format!("winrm-{}", at.ip()).replace(['.', ':'], "-")];
            let acceptor = Acceptor::new(TlsKind::Modern, false, &names, at.ip())?;
            Some((crate::server::bind_tcp(at, "WinRM HTTPS").await?, acceptor))
        }
        None => None,
    };
    let listener = crate::server::bind_tcp(cfg.listen, "WinRM HTTP").await?;
    let addr = listener.local_addr()?;
    let https_addr = acceptor.as_ref().map(|(l, _)| l.local_addr()).transpose()?;
    let cfg = std::sync::Arc::new(cfg);
    let mut tasks = Vec::new();
    let plain_cfg = std::sync::Arc::clone(&cfg);
    tasks.push(tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, std::sync::Arc::clone(&plain_cfg), false));
        }
    }));
    if let Some((listener, acceptor)) = acceptor {
        tasks.push(tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (cfg, acceptor) = (std::sync::Arc::clone(&cfg), acceptor.clone());
                tokio::spawn(async move {
                    if let Ok(Ok((tls, _resumed))) =
                        tokio::time::timeout(HANDSHAKE_DEADLINE, acceptor.accept(stream)).await
                    {
                        serve(tls, cfg, true).await;
                    }
                });
            }
        }));
    }
    Ok(WindowsHostHandle {
        addr,
        https_addr,
        tasks,
    })
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    cfg: std::sync::Arc<WindowsHostConfig>,
    over_tls: bool,
) {
    let mut buf = Vec::new();
    // HTTP.sys binds an NTLM context to the connection it was made on.
    let mut auth = negotiate::State::default();
    loop {
        let Ok(req) = read_request(&mut stream, &mut buf, REQUEST_DEADLINE).await else {
            return;
        };
        let keep = req.wants_keep_alive();
        let reply = respond(&cfg, &mut auth, &req, over_tls);
        if http::write_all(&mut stream, &reply).await.is_err() || !keep {
            return;
        }
    }
}

fn respond(
    cfg: &WindowsHostConfig,
    auth: &mut negotiate::State,
    req: &http::Request,
    over_tls: bool,
) -> Vec<u8> {
    if req.method != "POST" || !req.path.eq_ignore_ascii_case("/wsman") {
        return plain(404, "", b"");
    }
    let authorization = req.header("authorization").map(str::trim);
    let scheme_token = authorization.and_then(|v| v.split_once(' '));
    if let Some((scheme, token)) = scheme_token {
        if !scheme.eq_ignore_ascii_case("negotiate") {
            let basic_taken = (over_tls || cfg.allow_unencrypted) && basic_ok(cfg, authorization);
            return if basic_taken {
                answer_plain(cfg, &req.body)
            } else {
                challenge_401(None)
            };
        }
        match negotiate::step(auth, token, &cfg.user, &cfg.password) {
            negotiate::Step::Challenge(challenge) => return challenge_401(Some(&challenge)),
            negotiate::Step::Refused => return challenge_401(None),
            negotiate::Step::Accepted => {}
        }
    }
    let Some(server) = auth.established() else {
        return challenge_401(None);
    };
    // The AUTHENTICATE leg comes on an empty POST, which Windows answers
    // with an empty 200 before the first sealed message.
    if req.body.is_empty() {
        return plain(200, "", b"");
    }
    if !negotiate::is_sealed(req.header("content-type")) {
        // A Negotiate session on HTTP takes sealed messages only
        // (AllowUnencrypted is false by default).
        return plain(400, "", b"");
    }
    let Some(body) = server.unseal(&req.body) else {
        *auth = negotiate::State::None;
        return challenge_401(None);
    };
    let (status, answer) = answer_soap(cfg, &body);
    match answer.and_then(|a| server.seal(a.as_bytes())) {
        Some(sealed) => plain(status, negotiate::SEALED_CONTENT_TYPE, &sealed),
        None => plain(400, "", b""),
    }
}

/// Windows' 401: the schemes the listener takes, or the CHALLENGE of an
/// NTLM exchange under way.
fn challenge_401(challenge: Option<&[u8]>) -> Vec<u8> {
    let offer = match challenge {
        Some(token) => format!(
            "WWW-Authenticate: Negotiate {}\r\n",
            base64::engine::general_purpose::STANDARD.encode(token)
        ),
        // Windows offers Negotiate first, then Basic where it is enabled.
        None => "WWW-Authenticate: Negotiate\r\nWWW-Authenticate: Basic realm=\"WSMAN\"\r\n".into(),
    };
    format!(
        "HTTP/1.1 401 \r\n{offer}Server: {SERVER}\r\nDate: {}\r\nContent-Length: 0\r\n\r\n",
        http::http_date(SystemTime::now())
    )
    .into_bytes()
}

/// The status and SOAP answer to a request body (`None` for one that is not
/// a SOAP envelope at all).
fn answer_soap(cfg: &WindowsHostConfig, body: &[u8]) -> (u16, Option<String>) {
    let Some(parsed) = soap::parse(body) else {
        return (400, None);
    };
    let host = cfg.listen.ip().to_string();
    match soap::answer(&cfg.profile, &parsed, &host) {
        Ok(body) => (200, Some(body)),
        Err(body) => (500, Some(body)),
    }
}

fn answer_plain(cfg: &WindowsHostConfig, body: &[u8]) -> Vec<u8> {
    match answer_soap(cfg, body) {
        (status, Some(body)) => plain(
            status,
            "application/soap+xml;charset=UTF-8",
            body.as_bytes(),
        ),
        (status, None) => plain(status, "", b""),
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
