//! Host facts read live from Windows over WinRM (`scan --winrm`): the WMI
//! classes behind the seed's host rules, one file per class as in
//! `crate::amt`, over the same WS-Management session.
//!
//! WinRM exposes WMI's `root/cimv2` classes under one resource URI prefix
//! (MS-WSMV §3.1.4.1.31, "WMI resource URIs"); an instance is the class
//! element in the class's own namespace, its properties children of it.

pub(crate) mod computer_system;
pub(crate) mod operating_system;
pub(crate) mod sealed;
pub(crate) mod service;

use std::net::IpAddr;
use std::sync::Arc;

use crate::facts::{FactSource, HostFacts};
use crate::hostfacts::{self, windows};
use crate::wsman::{
    BasicAuth, CallLimits, Credentials, Element, Endpoint, EnvelopeOptions, Error, Session,
    Transport,
};

pub(crate) use computer_system::ComputerSystem;
pub(crate) use operating_system::OperatingSystem;
pub(crate) use service::ServiceRow;

/// WinRM's prefix for WMI classes of `root/cimv2` (MS-WSMV §3.1.4.1.31).
pub const CIMV2: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/";

/// The WQL filter dialect WinRM takes on Enumerate (MS-WSMV §3.1.4.8,
/// "Filter": `http://schemas.microsoft.com/wbem/wsman/1/WQL`).
pub const DIALECT_WQL: &str = "http://schemas.microsoft.com/wbem/wsman/1/WQL";

/// The WS-Management path WinRM listens on (5985 HTTP, 5986 HTTPS).
pub const PATH: &str = "/wsman";
/// WinRM 2.0's HTTP port (Windows 7 / Server 2008 R2 and WinRM 2.0 updates).
pub const PORT_HTTP: u16 = 5985;
/// WinRM 2.0's HTTPS port.
pub const PORT_HTTPS: u16 = 5986;

/// The resource URI of a `root/cimv2` class.
pub fn class_uri(class: &str) -> String {
    format!("{CIMV2}{class}")
}

/// What one WinRM read of a host found: the facts, and the classes it
/// could not read (named with the reason, one line each).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// The facts read, each with `winrm` as its source.
    pub facts: HostFacts,
    /// Classes that could not be read: `Class: reason`, one line each.
    pub unavailable: Vec<String>,
}

/// Reads Win32_OperatingSystem and the two services, and turns them into
/// host facts, each marked as from `winrm`. An authentication failure or a
/// dead connection ends the read (the caller counts it once per host); a
/// class Windows faults on is recorded and the others still read.
///
/// Win32_ComputerSystem is read only when the OS did not give its
/// architecture (XP and Server 2003 without `x64 Edition` in the caption),
/// so Vista and later cost no request more.
pub async fn read(session: &Session, limits: &CallLimits) -> Result<Reading, Error> {
    let mut reading = Reading::default();
    let os = match operating_system::read(session, limits).await {
        Ok(os) => Some(os),
        Err(e) if class_level(&e) => {
            reading
                .unavailable
                .push(format!("{}: {e}", operating_system::CLASS));
            None
        }
        Err(e) => return Err(e),
    };
    let system = match &os {
        Some(os) if os.architecture().is_none() => {
            match computer_system::read(session, limits).await {
                Ok(system) => Some(system),
                Err(e) if class_level(&e) => {
                    reading
                        .unavailable
                        .push(format!("{}: {e}", computer_system::CLASS));
                    None
                }
                Err(e) => return Err(e),
            }
        }
        _ => None,
    };
    let services = match service::read(session, limits).await {
        Ok(rows) => Some(rows),
        Err(e) if class_level(&e) => {
            reading.unavailable.push(format!("{}: {e}", service::CLASS));
            None
        }
        Err(e) => return Err(e),
    };
    let facts = facts_of(os.as_ref(), system.as_ref(), services.as_deref());
    hostfacts::merge(&mut reading.facts, &facts, FactSource::Winrm);
    Ok(reading)
}

/// Whether an error is about one class (a fault, an odd answer) rather than
/// the host (auth, connection, time).
fn class_level(e: &Error) -> bool {
    matches!(
        e,
        Error::Fault(_) | Error::Protocol(_) | Error::EmptyBadRequest
    )
}

/// The facts the classes give, read as the inventory path reads the same
/// WMI values (`crate::hostfacts::windows`), so both sources agree. The
/// architecture is the OS's own word when it has one (`OSArchitecture`,
/// or the caption's `x64 Edition`), else the machine's `SystemType`.
pub fn facts_of(
    os: Option<&OperatingSystem>,
    system: Option<&ComputerSystem>,
    services: Option<&[ServiceRow]>,
) -> HostFacts {
    let mut facts = HostFacts::default();
    if let Some(os) = os {
        facts.os = os.caption.clone();
        facts.service_pack = os.csd_version.clone();
        facts.architecture = os.architecture();
        facts.server_core = os.sku.map(windows::sku_is_server_core);
    }
    if facts.architecture.is_none() {
        facts.architecture = system
            .and_then(|s| s.system_type.as_deref())
            .and_then(windows::architecture);
    }
    if let Some(rows) = services {
        let mut seen = windows::Services::default();
        for row in rows {
            seen.add(&row.name, row.state.clone(), row.start_mode.clone());
        }
        // A service that is not installed is not running: the query asked for
        // both by name, so a missing row is an answer, not a gap.
        if seen.remote_access.is_none() {
            seen.add("RemoteAccess", Some("Stopped".into()), None);
        }
        if seen.shared_access.is_none() {
            seen.add("SharedAccess", Some("Stopped".into()), None);
        }
        facts.rras_running = seen.rras_running();
        let version = os.and_then(|o| o.version.as_deref());
        facts.ics_enabled = seen.ics_enabled(facts.os.as_deref(), version);
    }
    facts
}

/// Checks that an item is an instance of `class`, in the class's namespace.
fn expect_class(item: &Element, class: &str) -> Result<(), Error> {
    if item.is(&class_uri(class), class) {
        Ok(())
    } else {
        Err(Error::Protocol(format!(
            "expected {class}, got {}",
            crate::text::quoted(&format!("{{{}}}{}", item.ns, item.name))
        )))
    }
}

/// A string property; WinRM sends a null as `xsi:nil="true"` with no text,
/// and Windows pads some captions with a trailing space.
fn property_text(item: &Element, name: &str) -> Option<String> {
    item.child_text(&item.ns, name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// How `scan --winrm` reaches a host's WinRM listener.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// The Windows account (a local administrator or a domain account).
    pub credentials: Credentials,
    /// Also try plain HTTP (5985) with Basic, which sends the password
    /// readable on the wire; Windows refuses it unless the listener has
    /// `AllowUnencrypted` and `Basic` set (`winrm get winrm/config/service`).
    pub allow_unencrypted: bool,
    /// Time and size bounds of each call.
    pub limits: CallLimits,
    /// The ports, HTTPS first (overridable for tests and odd listeners).
    pub https_port: u16,
    /// The plain HTTP port, tried only with `allow_unencrypted`.
    pub http_port: u16,
    /// When no listener answers at the device's addresses, also look the
    /// host up by the name AMT reports for it (GeneralSettings.HostOSFQDN).
    pub try_host_os_name: bool,
}

/// Longest a HostOSFQDN lookup may take.
pub const NAME_LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The addresses of the host OS name AMT reports, looked up once within
/// [`NAME_LOOKUP_TIMEOUT`]: an address literal as it is, a DNS name only if
/// it is one (the text is the device's), at most two addresses.
async fn host_os_addresses(fqdn: &str) -> Vec<IpAddr> {
    let name = fqdn.trim().trim_end_matches('.');
    if let Ok(ip) = name.parse::<IpAddr>() {
        return vec![ip];
    }
    let is_dns_name = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !is_dns_name {
        return Vec::new();
    }
    match tokio::time::timeout(NAME_LOOKUP_TIMEOUT, tokio::net::lookup_host((name, 0))).await {
        Ok(Ok(found)) => {
            let mut out: Vec<IpAddr> = Vec::new();
            for a in found {
                if !out.contains(&a.ip()) && out.len() < 2 {
                    out.push(a.ip());
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Why a host's WinRM read gave nothing, for the gate and the record.
#[non_exhaustive]
#[derive(Debug)]
pub enum HostError {
    /// The listener rejected the credentials.
    AuthFailed(String),
    /// No listener at any address took or refused the credentials.
    NoListener(String),
    /// A listener answered, and the read failed otherwise.
    Other(String),
}

/// The ways to a WinRM listener, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// HTTPS with Basic: what a listener made with `winrm quickconfig
    /// -transport:https` takes.
    HttpsBasic,
    /// HTTP with Negotiate (NTLM) and sealed messages: Windows' default.
    HttpNegotiate,
    /// HTTP with Basic and plain SOAP, only with `AllowUnencrypted`.
    HttpBasic,
}

impl Way {
    fn endpoint(self, host: &str, opts: &HostOptions) -> Endpoint {
        match self {
            Way::HttpsBasic => Endpoint::https(host, opts.https_port),
            Way::HttpNegotiate | Way::HttpBasic => Endpoint::http(host, opts.http_port),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Way::HttpsBasic => "Basic over HTTPS",
            Way::HttpNegotiate => "Negotiate (NTLM, sealed) over HTTP",
            Way::HttpBasic => "Basic over HTTP",
        }
    }
}

/// Reads one host at the first of `addresses` where a listener answers
/// (the scanned address, then the joined inventory row's), and then, with
/// [`HostOptions::try_host_os_name`], at the addresses of `host_os_name`
/// (the name AMT reports for the host). On each, HTTPS with Basic, then HTTP
/// with Negotiate and sealing (Windows' default), then, when allowed, HTTP
/// with Basic. A port that refuses or stays silent, or a listener that does
/// not offer the scheme, is passed over; the first listener that takes a
/// credential decides, so the credentials are refused at most once per host.
pub async fn read_host(
    transport: Arc<dyn Transport>,
    addresses: &[IpAddr],
    host_os_name: Option<&str>,
    opts: &HostOptions,
) -> Result<Reading, HostError> {
    let mut passed_over = Vec::new();
    for address in addresses {
        if let Some(outcome) =
            read_at(Arc::clone(&transport), *address, opts, &mut passed_over).await
        {
            return outcome;
        }
    }
    if let Some(name) = host_os_name.filter(|_| opts.try_host_os_name) {
        let more: Vec<IpAddr> = host_os_addresses(name)
            .await
            .into_iter()
            .filter(|a| !addresses.contains(a))
            .collect();
        if more.is_empty() {
            passed_over.push(format!(
                "the host OS name AMT reports, {}, gave no other address",
                crate::text::quoted(name)
            ));
        }
        for address in more {
            if let Some(outcome) =
                read_at(Arc::clone(&transport), address, opts, &mut passed_over).await
            {
                return outcome;
            }
        }
    }
    Err(HostError::NoListener(format!(
        "winrm: no listener took the credentials ({})",
        passed_over.join("; ")
    )))
}

/// One address's ways; `None` when none of them reached a listener that
/// took or refused the credentials (why is added to `passed_over`).
async fn read_at(
    transport: Arc<dyn Transport>,
    address: IpAddr,
    opts: &HostOptions,
    passed_over: &mut Vec<String>,
) -> Option<Result<Reading, HostError>> {
    let host = address.to_string();
    let mut ways = vec![Way::HttpsBasic, Way::HttpNegotiate];
    if opts.allow_unencrypted {
        ways.push(Way::HttpBasic);
    }
    let mut http_refused = false;
    for way in ways {
        let endpoint = way.endpoint(&host, opts);
        if way == Way::HttpBasic && http_refused {
            break;
        }
        let (session_transport, auth): (Arc<dyn Transport>, Arc<dyn crate::wsman::Auth>) = match way
        {
            Way::HttpNegotiate => (
                Arc::new(sealed::SealedTransport::new(
                    Arc::clone(&transport),
                    opts.credentials.clone(),
                )),
                Arc::new(crate::wsman::NoAuth),
            ),
            Way::HttpsBasic | Way::HttpBasic => (
                Arc::clone(&transport),
                Arc::new(BasicAuth::new(opts.credentials.clone())),
            ),
        };
        let session = Session::new(
            session_transport,
            endpoint.clone(),
            auth,
            PATH,
            EnvelopeOptions::default(),
        );
        let shown = endpoint.authority();
        match read(&session, &opts.limits).await {
            Ok(reading) => return Some(Ok(reading)),
            Err(Error::AuthFailed) => {
                return Some(Err(HostError::AuthFailed(format!(
                    "winrm: {shown}: the credentials were rejected ({})",
                    way.name()
                ))))
            }
            Err(
                e @ (Error::ConnectionRefused
                | Error::ConnectTimeout(_)
                | Error::Connect(_)
                | Error::Timeout(_)
                | Error::ConnectionReset),
            ) => {
                http_refused |= way == Way::HttpNegotiate;
                passed_over.push(format!("{shown}: {e}"));
            }
            // The handshake failed before Basic was sent: the password has
            // not left. Negotiate on HTTP never sends it at all, so it may
            // still be tried (the self-signed certificate of a quick HTTPS
            // listener is common; the reason stays in the record).
            Err(e @ (Error::CertificateRejected(_) | Error::Tls(_))) => {
                passed_over.push(format!("{shown}: {e}"));
            }
            // A listener that answered but does not take this scheme (an
            // HTTPS listener without Basic, an HTTP one without Negotiate)
            // has not seen the credentials: the next way may still work.
            Err(Error::HttpStatus(401)) => {
                passed_over.push(format!("{shown}: {} not offered", way.name()));
            }
            Err(e) => return Some(Err(HostError::Other(format!("winrm: {shown}: {e}")))),
        }
    }
    if !opts.allow_unencrypted && !http_refused {
        passed_over.push(format!(
            "Basic over HTTP not tried on {} (it needs --winrm-allow-unencrypted)",
            Way::HttpBasic.endpoint(&host, opts).authority()
        ));
    }
    None
}

/// Adds a host read's outcome to the record's host facts: the facts merged
/// as `winrm` (a disagreement with the inventory or the file is recorded in
/// `conflicts`, not resolved), what could not be read in `unread`.
pub fn apply(host: &mut HostFacts, outcome: &Result<Reading, HostError>) {
    match outcome {
        Ok(reading) => {
            hostfacts::merge(host, &reading.facts, FactSource::Winrm);
            host.unread
                .extend(reading.unavailable.iter().map(|u| format!("winrm: {u}")));
        }
        Err(HostError::AuthFailed(e) | HostError::NoListener(e) | HostError::Other(e)) => {
            host.unread.push(e.clone())
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
