//! DNS as Intel AMT and the out of band service point will use it: the
//! provisioning server name with each device's DNS suffix, the device's own
//! FQDN forward, its scanned address in reverse, and the name its TLS
//! certificate carries.
//!
//! One resolver per scan: the system's configuration (`/etc/resolv.conf`) or
//! the one server `--dns-server` names, never the hosts file (AMT does not
//! read the scanner's). Names are asked fully qualified, so no search domain
//! is appended. Every lookup is bounded in time, at most
//! [`DnsOptions::in_flight`] are asked at once, and each provisioning server
//! name (one per distinct DNS suffix) and the service point's FQDN are asked
//! once per run. A lookup that gets no answer is recorded as failed, so the
//! rules report the fact unknown rather than judge it.
//!
//! The answers are facts ([`DnsFacts`]): the rules never ask DNS, and a saved
//! scan is judged again from them.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::{Name, RData};
use hickory_resolver::TokioResolver;
use tokio::sync::{OnceCell, Semaphore};

use crate::facts::{
    DnsAnswer, DnsFacts, DnsLookup, FactsRecord, ProvisioningState, ServicePointFacts, SiteFacts,
};

/// The name AMT looks for when its BIOS extensions were left as shipped
/// ("Decide Whether You Should Register an Alias for the Out of Band Service
/// Point in DNS").
pub const DEFAULT_PROVISION_SERVER_NAME: &str = "ProvisionServer";

/// How long one lookup may take, retries included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Lookups asked at once.
pub const DEFAULT_IN_FLIGHT: usize = 32;

/// Most addresses or names kept from one answer: a record is bounded
/// whatever a zone holds.
const MAX_ANSWERS: usize = 16;

/// Lookups in a row that may go unanswered before the rest of the run asks
/// no more: a resolver that drops every query would otherwise cost each
/// device its timeouts, minutes on a large scan, for facts that stay unknown.
const MAX_UNANSWERED_IN_A_ROW: u32 = 16;

/// Most distinct provisioning server names remembered: one per DNS suffix,
/// so an estate has a handful; past this a name is asked again.
const MAX_REMEMBERED: usize = 4096;

/// Which resolver to ask, and how hard.
#[derive(Debug, Clone)]
pub struct DnsOptions {
    /// `--dns-server`: this server only; `None` is the system's configuration.
    pub server: Option<SocketAddr>,
    /// Bound on each lookup.
    pub timeout: Duration,
    /// Lookups at once.
    pub in_flight: usize,
}

impl Default for DnsOptions {
    fn default() -> Self {
        Self {
            server: None,
            timeout: DEFAULT_TIMEOUT,
            in_flight: DEFAULT_IN_FLIGHT,
        }
    }
}

/// Parses `--dns-server`: `ADDR` (port 53), `ADDR:PORT` or `[IPv6]:PORT`.
pub fn parse_server(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| {
            format!(
                "`{}` is not a DNS server address: give ADDR, ADDR:PORT or [IPv6]:PORT",
                crate::text::clean(text)
                    .chars()
                    .take(60)
                    .collect::<String>()
            )
        })
}

/// The run's resolver, the provisioning server name, and the service point
/// resolved once.
pub struct DnsChecker {
    resolver: TokioResolver,
    label: String,
    timeout: Duration,
    slots: Semaphore,
    provision_server_name: String,
    service_point: Option<ServicePointFacts>,
    remembered: Mutex<HashMap<String, Arc<OnceCell<DnsLookup>>>>,
    /// Lookups in a row without an answer (reset by any answer).
    unanswered: AtomicU32,
}

impl std::fmt::Debug for DnsChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsChecker")
            .field("resolver", &self.label)
            .field("provision_server_name", &self.provision_server_name)
            .finish_non_exhaustive()
    }
}

impl DnsChecker {
    /// Sets up the resolver and resolves the site's service point (its FQDN,
    /// once). Fails when the system's configuration cannot be read.
    pub async fn new(options: &DnsOptions, site: Option<&SiteFacts>) -> Result<DnsChecker, String> {
        let (config, mut opts, label) = match options.server {
            Some(server) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = server.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = server.port();
                let config = ResolverConfig::from_name_servers(vec![NameServerConfig::new(
                    server.ip(),
                    true,
                    vec![udp, tcp],
                )]);
                (config, ResolverOpts::default(), server.to_string())
            }
            None => {
                let (config, opts) = hickory_resolver::system_conf::read_system_conf().map_err(
                    |e| {
                        format!(
                            "cannot read the system's DNS configuration ({}): give --dns-server ADDR, or --no-dns",
                            one_line(&e.to_string())
                        )
                    },
                )?;
                let servers: Vec<String> = config
                    .name_servers()
                    .iter()
                    .map(|ns| {
                        let port = ns.connections.first().map_or(53, |c| c.port);
                        SocketAddr::new(ns.ip, port).to_string()
                    })
                    .collect();
                let label = format!("system ({})", servers.join(", "));
                (config, opts, label)
            }
        };
        // The whole lookup is bounded by `timeout`; each try by a part of it.
        opts.timeout = options.timeout / 2;
        opts.attempts = 1;
        opts.use_hosts_file = ResolveHosts::Never;
        // Each device's names are its own and the shared ones are asked
        // once by `remembered`: a large answer cache would only hold a
        // /16's worth of answers nobody asks for again (12 MiB of peak RSS
        // at 4,096 devices with the default, docs/performance.md).
        opts.cache_size = 64;
        // AMT asks for IPv4 and IPv6 alike; so do we.
        opts.ip_strategy = hickory_resolver::config::LookupIpStrategy::Ipv4AndIpv6;
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(|e| {
                format!(
                    "cannot set up the DNS resolver: {}",
                    one_line(&e.to_string())
                )
            })?;
        let provision_server_name = site
            .and_then(|s| s.provision_server_name.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_PROVISION_SERVER_NAME)
            .trim_end_matches('.')
            .to_string();
        let mut checker = DnsChecker {
            resolver,
            label,
            timeout: options.timeout,
            slots: Semaphore::new(options.in_flight.max(1)),
            provision_server_name,
            service_point: None,
            remembered: Mutex::new(HashMap::new()),
            unanswered: AtomicU32::new(0),
        };
        checker.service_point = checker.service_point(site).await;
        Ok(checker)
    }

    /// The resolver asked, as records name it.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The service point as the site gives it, its FQDN resolved.
    async fn service_point(&self, site: Option<&SiteFacts>) -> Option<ServicePointFacts> {
        let site = site?;
        let mut addresses: Vec<IpAddr> = site
            .service_point_addresses
            .iter()
            .flatten()
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        let fqdn = site
            .service_point_fqdn
            .as_deref()
            .map(|f| f.trim().trim_end_matches('.').to_string())
            .filter(|f| !f.is_empty());
        if fqdn.is_none() && addresses.is_empty() {
            return None;
        }
        let mut unresolved = None;
        if let Some(fqdn) = &fqdn {
            let lookup = self.forward(fqdn).await;
            match lookup.answer {
                DnsAnswer::Found => addresses.extend(lookup.addresses),
                DnsAnswer::NoRecord => {
                    unresolved = Some(format!("{fqdn} has no address record"));
                }
                DnsAnswer::Failed => {
                    unresolved = Some(format!(
                        "{fqdn}: {}",
                        lookup.error.unwrap_or_else(|| "lookup failed".into())
                    ));
                }
            }
        }
        addresses.sort();
        addresses.dedup();
        Some(ServicePointFacts {
            addresses,
            fqdn,
            unresolved,
        })
    }

    /// The DNS facts of one device scanned at `ip`: `None` when its record
    /// names nothing to look up (no AMT facts, no suffix, no FQDN).
    pub async fn facts(&self, record: &FactsRecord, ip: IpAddr) -> Option<DnsFacts> {
        let amt = record.amt.as_ref()?;
        let provisioned = amt.provisioning_state == Some(ProvisioningState::Post);
        let provision_server = async {
            if provisioned {
                return None;
            }
            match amt.provisioning_dns_suffix() {
                Some((suffix, pki)) => Some(self.provision_server(suffix, pki).await),
                // An FQDN or an address needs no suffix.
                None if self.provision_server_name.contains('.')
                    || self.provision_server_name.contains(':') =>
                {
                    Some(self.provision_server("", false).await)
                }
                None => None,
            }
        };
        let fqdn = amt_fqdn(record);
        let forward = async {
            match &fqdn {
                Some(name) => Some(self.forward(name).await),
                None => None,
            }
        };
        let reverse = async {
            match &fqdn {
                Some(_) => Some(self.reverse(ip).await),
                None => None,
            }
        };
        let cert_name = certificate_name(record)
            .filter(|name| fqdn.as_deref().is_none_or(|f| !same_name(f, name)));
        let certificate = async {
            match &cert_name {
                Some(name) => Some(self.forward(name).await),
                None => None,
            }
        };
        let (provision_server, amt_fqdn, reverse, certificate_name) =
            tokio::join!(provision_server, forward, reverse, certificate);
        if provision_server.is_none() && amt_fqdn.is_none() && certificate_name.is_none() {
            return None;
        }
        Some(DnsFacts {
            resolver: self.label.clone(),
            at: now_rfc3339(),
            scanned_address: Some(ip),
            service_point: provision_server.as_ref().and(self.service_point.clone()),
            provision_server,
            amt_fqdn,
            reverse,
            certificate_name,
        })
    }

    /// The provisioning server name AMT would ask for with `suffix`: asked
    /// once per run and name.
    async fn provision_server(&self, suffix: &str, pki: bool) -> DnsLookup {
        let (name, suffix_from) =
            match provision_server_name(&self.provision_server_name, suffix, pki) {
                ProvisionServerName::Address(ip) => {
                    return DnsLookup {
                        name: ip.to_string(),
                        answer: DnsAnswer::Found,
                        addresses: vec![ip],
                        ..DnsLookup::default()
                    }
                }
                ProvisionServerName::Name { name, suffix_from } => (name, suffix_from),
            };
        let key = name.to_ascii_lowercase();
        let cell = {
            let mut remembered = self
                .remembered
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match remembered.get(&key) {
                Some(cell) => Some(Arc::clone(cell)),
                None if remembered.len() < MAX_REMEMBERED => {
                    let cell = Arc::new(OnceCell::new());
                    remembered.insert(key, Arc::clone(&cell));
                    Some(cell)
                }
                None => None,
            }
        };
        let mut lookup = match cell {
            Some(cell) => cell.get_or_init(|| self.forward(&name)).await.clone(),
            None => self.forward(&name).await,
        };
        lookup.suffix_from = suffix_from;
        lookup
    }

    /// A forward (A and AAAA) lookup of `name`, fully qualified.
    async fn forward(&self, name: &str) -> DnsLookup {
        // The name comes from the device: kept printable and no longer than
        // a DNS name can be (253), plus a little to show it was longer.
        let shown: String = crate::text::clean(name.trim_end_matches('.'))
            .chars()
            .take(260)
            .collect();
        let mut out = DnsLookup {
            name: shown.clone(),
            ..DnsLookup::default()
        };
        let fqdn = match Name::from_utf8(format!("{shown}.")) {
            Ok(n) => n,
            Err(e) => {
                out.error = Some(format!("not a DNS name: {}", one_line(&e.to_string())));
                return out;
            }
        };
        self.ask(
            out,
            || self.resolver.lookup_ip(fqdn),
            |found, out| {
                let mut addresses: Vec<IpAddr> = found.iter().collect();
                addresses.sort();
                addresses.dedup();
                addresses.truncate(MAX_ANSWERS);
                out.addresses = addresses;
                !out.addresses.is_empty()
            },
        )
        .await
    }

    /// A reverse (PTR) lookup of `ip`.
    async fn reverse(&self, ip: IpAddr) -> DnsLookup {
        let out = DnsLookup {
            name: ip.to_string(),
            ..DnsLookup::default()
        };
        let arpa = Name::from(ip);
        self.ask(
            out,
            || self.resolver.reverse_lookup(arpa),
            |found, out| {
                let mut names: Vec<String> = found
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::PTR(ptr) => Some(ptr.0.to_utf8().trim_end_matches('.').to_string()),
                        _ => None,
                    })
                    .map(|n| crate::text::clean(&n).chars().take(255).collect())
                    .collect();
                names.sort();
                names.dedup();
                names.truncate(MAX_ANSWERS);
                out.names = names;
                !out.names.is_empty()
            },
        )
        .await
    }

    /// Asks one question within the run's limits (a slot among those in
    /// flight, the time bound, the give-up after too many unanswered) and
    /// records the answer in `out`: `fill` stores what came back and says
    /// whether there was any (`found`) or not (`no_record`).
    async fn ask<T, F>(
        &self,
        mut out: DnsLookup,
        query: impl FnOnce() -> F,
        fill: impl FnOnce(T, &mut DnsLookup) -> bool,
    ) -> DnsLookup
    where
        F: std::future::Future<Output = Result<T, NetError>>,
    {
        let Ok(_slot) = self.slots.acquire().await else {
            out.error = Some("the scan is stopping".into());
            return out;
        };
        if let Some(why) = self.given_up() {
            out.error = Some(why);
            return out;
        }
        match tokio::time::timeout(self.timeout, query()).await {
            Err(_) => out.error = Some(self.timed_out()),
            Ok(Ok(found)) => {
                out.answer = if fill(found, &mut out) {
                    DnsAnswer::Found
                } else {
                    DnsAnswer::NoRecord
                };
            }
            Ok(Err(e)) => self.failed(&mut out, &e),
        }
        self.count(&out);
        out
    }

    /// Why no more lookups are sent, once too many in a row went unanswered.
    fn given_up(&self) -> Option<String> {
        (self.unanswered.load(Ordering::Relaxed) >= MAX_UNANSWERED_IN_A_ROW).then(|| {
            format!(
                "not asked: {MAX_UNANSWERED_IN_A_ROW} lookups in a row to {} got no answer",
                self.label
            )
        })
    }

    /// Counts an unanswered lookup, or resets the count on an answer.
    fn count(&self, lookup: &DnsLookup) {
        if lookup.answer == DnsAnswer::Failed {
            self.unanswered.fetch_add(1, Ordering::Relaxed);
        } else {
            self.unanswered.store(0, Ordering::Relaxed);
        }
    }

    fn timed_out(&self) -> String {
        format!(
            "no answer from {} within {:.1} s",
            self.label,
            self.timeout.as_secs_f64()
        )
    }

    fn failed(&self, out: &mut DnsLookup, error: &NetError) {
        if error.is_no_records_found() {
            out.answer = DnsAnswer::NoRecord;
        } else {
            out.error = Some(format!("{}: {}", self.label, one_line(&error.to_string())));
        }
    }
}

/// What AMT does with the provisioning server value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ProvisionServerName {
    /// An address: no DNS.
    Address(IpAddr),
    /// A name to look up, and the suffix fact that completed it (none for
    /// an FQDN, used as it is).
    Name {
        name: String,
        suffix_from: Option<String>,
    },
}

/// The provisioning server value as AMT uses it: an address as it is, a
/// name with a dot as an FQDN, a short name completed with `suffix` (the
/// PKI DNS suffix when `pki`, else DHCP option 15's).
fn provision_server_name(configured: &str, suffix: &str, pki: bool) -> ProvisionServerName {
    if let Ok(ip) = configured.parse::<IpAddr>() {
        return ProvisionServerName::Address(ip);
    }
    if configured.contains('.') {
        return ProvisionServerName::Name {
            name: configured.to_string(),
            suffix_from: None,
        };
    }
    let from = if pki {
        "amt.trusted_dns_suffix"
    } else {
        "amt.dhcp_dns_suffix"
    };
    ProvisionServerName::Name {
        name: format!("{configured}.{}", suffix.trim().trim_matches('.')),
        suffix_from: Some(from.to_string()),
    }
}

/// AMT's FQDN as it reports it: HostName.DomainName.
pub fn amt_fqdn(record: &FactsRecord) -> Option<String> {
    let amt = record.amt.as_ref()?;
    let host = amt
        .hostname
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())?;
    let domain = amt
        .domain
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())?;
    Some(format!("{}.{}", host, domain.trim_matches('.')))
}

/// The DNS name the device's TLS certificate carries: its first
/// subjectAltName DNS name, else a common name that looks like a host name.
pub fn certificate_name(record: &FactsRecord) -> Option<String> {
    let cert = record.amt.as_ref()?.tls.as_ref()?.certificate.as_ref()?;
    cert.san_dns
        .iter()
        .map(|n| n.trim())
        .find(|n| !n.is_empty() && !n.starts_with('*'))
        .or_else(|| {
            cert.common_name
                .as_deref()
                .map(str::trim)
                .filter(|cn| cn.contains('.') && !cn.contains(' ') && !cn.starts_with('*'))
        })
        .map(str::to_string)
}

/// Whether two DNS names are the same (case and a trailing dot aside).
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim()
        .trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim().trim_end_matches('.'))
}

fn one_line(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::text::clean(&text).chars().take(200).collect()
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_take_a_default_port() {
        assert_eq!(
            parse_server("10.0.0.2").unwrap(),
            "10.0.0.2:53".parse().unwrap()
        );
        assert_eq!(
            parse_server("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_server("[::1]:5353").unwrap(),
            "[::1]:5353".parse().unwrap()
        );
        assert_eq!(parse_server("::1").unwrap(), "[::1]:53".parse().unwrap());
        assert!(parse_server("dns.example.com")
            .unwrap_err()
            .contains("not a DNS server"));
    }

    #[test]
    fn the_provisioning_server_value_is_used_as_amt_uses_it() {
        assert_eq!(
            provision_server_name("ProvisionServer", "corp.example.com.", false),
            ProvisionServerName::Name {
                name: "ProvisionServer.corp.example.com".into(),
                suffix_from: Some("amt.dhcp_dns_suffix".into())
            }
        );
        assert_eq!(
            provision_server_name("oob", "pki.example.com", true),
            ProvisionServerName::Name {
                name: "oob.pki.example.com".into(),
                suffix_from: Some("amt.trusted_dns_suffix".into())
            }
        );
        assert_eq!(
            provision_server_name("oobsp.corp.example.com", "other.example.com", false),
            ProvisionServerName::Name {
                name: "oobsp.corp.example.com".into(),
                suffix_from: None
            }
        );
        assert_eq!(
            provision_server_name("10.0.0.10", "corp.example.com", false),
            ProvisionServerName::Address("10.0.0.10".parse().unwrap())
        );
    }

    /// No packet is sent: the checker gives up before asking.
    #[tokio::test]
    async fn after_too_many_unanswered_lookups_in_a_row_no_more_are_sent() {
        let options = DnsOptions {
            server: Some("127.0.0.1:9".parse().unwrap()),
            ..DnsOptions::default()
        };
        let checker = DnsChecker::new(&options, None).await.unwrap();
        let failed = DnsLookup::default();
        let answered = DnsLookup {
            answer: DnsAnswer::NoRecord,
            ..DnsLookup::default()
        };
        for _ in 1..MAX_UNANSWERED_IN_A_ROW {
            checker.count(&failed);
        }
        checker.count(&answered);
        assert_eq!(checker.given_up(), None, "an answer resets the count");
        for _ in 0..MAX_UNANSWERED_IN_A_ROW {
            checker.count(&failed);
        }
        let lookup = checker.forward("amt1.corp.example.com").await;
        assert_eq!(lookup.answer, DnsAnswer::Failed);
        assert!(lookup
            .error
            .unwrap()
            .starts_with("not asked: 16 lookups in a row to 127.0.0.1:9"));
        let reverse = checker.reverse("10.0.0.5".parse().unwrap()).await;
        assert_eq!(reverse.answer, DnsAnswer::Failed);
    }

    #[test]
    fn names_compare_without_case_or_the_root_dot() {
        assert!(same_name("AMT1.corp.example.com.", "amt1.Corp.Example.com"));
        assert!(!same_name("amt1.corp.example.com", "amt2.corp.example.com"));
    }

    #[test]
    fn the_certificate_name_is_a_san_or_a_host_like_common_name() {
        let record = |cert: serde_json::Value| -> FactsRecord {
            serde_json::from_value(
                serde_json::json!({"target": "t", "amt": {"tls": {"certificate": cert}}}),
            )
            .unwrap()
        };
        let r = record(
            serde_json::json!({"common_name": "x.example.com", "san_dns": ["*.w.example.com", "a.example.com"]}),
        );
        assert_eq!(certificate_name(&r).as_deref(), Some("a.example.com"));
        let r = record(serde_json::json!({"common_name": "a.example.com"}));
        assert_eq!(certificate_name(&r).as_deref(), Some("a.example.com"));
        let r = record(serde_json::json!({"common_name": "Intel(R) AMT"}));
        assert_eq!(certificate_name(&r), None);
    }
}
