//! Reading Intel AMT devices: the unauthenticated probe, one module per
//! class read, the EOI fallback for old firmware, and [`read_host`], which
//! turns one device into one [`FactsRecord`].

pub(crate) mod class;
pub mod eoi;
pub(crate) mod firmware;
pub(crate) mod inventory;
pub mod probe;
pub(crate) mod status;
pub(crate) mod tls;

// The inventory: every class read, in the order `read_host` asks for them,
// one line each (`mod` declares the class's file too). Order matters: the
// version comes first, because what some classes mean depends on it, and
// the EOI fallbacks follow what they stand in for.
class::sequence! {
    mod software_identity::CimSoftwareIdentity,
    eoi::EoiCoreVersion,
    mod setup_and_configuration::AmtSetupAndConfigurationService,
    mod host_based_setup::IpsHostBasedSetupService,
    mod general_settings::AmtGeneralSettings,
    mod provisioning_certificate_hash::AmtProvisioningCertificateHash,
    mod tls_setting_data::AmtTlsSettingData,
    mod ethernet_port_settings::AmtWiredPortSettings,
    ethernet_port_settings::AmtEthernetPortSettings,
    mod ieee8021x_profile::Amt8021xProfile,
    mod element_setting_data::CimElementSettingData,
    mod system_power_scheme::AmtSystemPowerScheme,
    mod time_synchronization::AmtTimeSynchronization,
    eoi::EoiHostName,
    eoi::EoiDomainName,
    eoi::EoiInterfaceSettings,
}

use std::sync::Arc;
use std::time::Duration;

use crate::facts::{AmtFacts, FactsRecord, HostStatus};
use crate::wsman::tls::Connector;
use crate::wsman::{
    self, CallLimits, Challenge, Credentials, DigestAuth, Element, Endpoint, EnvelopeOptions,
    HttpTransport, Session, TlsPolicy, Transport,
};

pub use firmware::LAST_LEGACY_ONLY_MAJOR;
pub use status::host_status;
pub use tls::{Discovered, TlsMode};

/// The path AMT serves WS-Management on.
pub const WSMAN_PATH: &str = "/wsman";
/// AMT's plain HTTP port.
pub const HTTP_PORT: u16 = 16992;
/// AMT's TLS port.
pub const TLS_PORT: u16 = 16993;
/// The smallest MaxEnvelopeSize sent to AMT: the SDK says AMT faults a value
/// below 50000, so whatever a caller configures, at least this goes out.
pub const MIN_ENVELOPE_SIZE: u32 = 51_200;

/// Settings for a whole scan.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Deadline and body cap of every call (an enumeration counts as one call).
    pub limits: CallLimits,
    /// Deadline for everything read from one host (probe and every class):
    /// one slow device must not hold a scan slot for its whole sequence.
    pub host_deadline: Duration,
    /// Time allowed to establish a connection (TCP, then again the TLS handshake).
    pub connect_timeout: Duration,
    /// Items asked for per Pull.
    pub max_elements: u32,
    /// Bound on Pulls per enumeration.
    pub max_pages: u32,
    /// WS-Management OperationTimeout sent to the device, in seconds.
    pub operation_timeout_secs: u32,
    /// What TLS endpoints must prove, and the client certificate shown.
    pub tls: TlsPolicy,
    /// Which port and scheme to read: `auto` picks TLS where the device
    /// serves only that (see [`TlsMode`]).
    pub tls_mode: TlsMode,
}

impl Default for ClientOptions {
    fn default() -> Self {
        let envelope = EnvelopeOptions::default();
        Self {
            limits: CallLimits::default(),
            host_deadline: CallLimits::default().deadline * 3,
            connect_timeout: Duration::from_secs(5),
            max_elements: envelope.max_elements,
            max_pages: Session::DEFAULT_MAX_PAGES,
            operation_timeout_secs: envelope.operation_timeout_secs,
            tls: TlsPolicy::system_roots(),
            tls_mode: TlsMode::Auto,
        }
    }
}

/// The client a scan shares across all hosts: the options every host is read
/// with and the connector (TLS configuration, verifier, legacy context) built
/// once. Each host gets its own transport (connection pool) and Digest
/// session, both dropped when the host is done, so a subnet scan's memory
/// follows the concurrency, not the number of hosts. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct AmtClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    connector: Arc<Connector>,
    opts: ClientOptions,
}

impl AmtClient {
    /// Builds the client once per scan. Fails early, before any host is
    /// touched, if the TLS configuration cannot be built (a bad client key).
    pub fn new(opts: ClientOptions) -> Result<Self, wsman::Error> {
        let connector = Arc::new(Connector::new(&opts.tls, opts.connect_timeout)?);
        Ok(Self {
            inner: Arc::new(Inner { connector, opts }),
        })
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.opts
    }

    /// A transport (connection pool) for one host. A host's reads reuse its
    /// connections; dropping it closes them.
    pub fn host_transport(&self) -> Arc<HttpTransport> {
        Arc::new(HttpTransport::new(self.inner.connector.clone()))
    }

    /// A new per-host session (its own Digest nonce) on that host's transport.
    pub fn session(
        &self,
        transport: Arc<dyn Transport>,
        endpoint: &Endpoint,
        creds: &Credentials,
    ) -> Session {
        let opts = &self.inner.opts;
        let envelope = EnvelopeOptions {
            max_elements: opts.max_elements,
            operation_timeout_secs: opts.operation_timeout_secs,
            ..EnvelopeOptions::default()
        };
        amt_session(transport, endpoint, creds, envelope).with_max_pages(opts.max_pages)
    }
}

impl AmtClient {
    /// [`AmtClient::session`] holding the challenge the probe's 401 brought,
    /// so the first call is signed at once.
    pub fn session_primed(
        &self,
        transport: Arc<dyn Transport>,
        endpoint: &Endpoint,
        creds: &Credentials,
        challenge: Option<Challenge>,
    ) -> Session {
        let opts = &self.inner.opts;
        let envelope = EnvelopeOptions {
            max_elements: opts.max_elements,
            operation_timeout_secs: opts.operation_timeout_secs,
            max_envelope_size: EnvelopeOptions::default()
                .max_envelope_size
                .max(MIN_ENVELOPE_SIZE),
        };
        let auth = DigestAuth::new(creds.clone());
        if let Some(c) = challenge {
            auth.session().set_challenge(c);
        }
        Session::new(
            transport,
            endpoint.clone(),
            Arc::new(auth),
            WSMAN_PATH,
            envelope,
        )
        .with_max_pages(opts.max_pages)
    }
}

/// A WS-Management session the way AMT wants it: Digest, `/wsman`, and an
/// envelope size never below [`MIN_ENVELOPE_SIZE`].
pub fn amt_session(
    transport: Arc<dyn Transport>,
    endpoint: &Endpoint,
    creds: &Credentials,
    mut envelope: EnvelopeOptions,
) -> Session {
    envelope.max_envelope_size = envelope.max_envelope_size.max(MIN_ENVELOPE_SIZE);
    Session::new(
        transport,
        endpoint.clone(),
        Arc::new(DigestAuth::new(creds.clone())),
        WSMAN_PATH,
        envelope,
    )
}

/// Reads one device into a facts record. Never fails and never panics: every
/// failure becomes the record's `status` and a one-line `error` (which never
/// contains a secret).
///
/// Without credentials only the probe runs (status `ok` when it is AMT, the
/// version from the banner). With credentials the probe runs first (its
/// header is kept as evidence; not AMT stops there), then the inventory.
/// Which port and scheme are read follows the client's [`TlsMode`].
pub async fn read_host(
    client: &AmtClient,
    endpoint: &Endpoint,
    creds: Option<&Credentials>,
    target_label: &str,
) -> FactsRecord {
    read_host_with(
        client,
        endpoint,
        creds,
        target_label,
        &Discovered::default(),
    )
    .await
}

/// [`read_host`] with what discovery learnt about the host's ports, which
/// `--tls auto` uses to go straight to 16993 when only that is open.
pub async fn read_host_with(
    client: &AmtClient,
    endpoint: &Endpoint,
    creds: Option<&Credentials>,
    target_label: &str,
    discovered: &Discovered,
) -> FactsRecord {
    read_host_handed(client, endpoint, creds, target_label, discovered, None).await
}

/// [`read_host_with`], starting on a connection the sweep already opened.
pub async fn read_host_handed(
    client: &AmtClient,
    endpoint: &Endpoint,
    creds: Option<&Credentials>,
    target_label: &str,
    discovered: &Discovered,
    preconnected: Option<wsman::transport::Preconnected>,
) -> FactsRecord {
    let mut record = FactsRecord::new(target_label);
    let host_deadline = client.options().host_deadline;
    let filled = tokio::time::timeout(
        host_deadline,
        fill_host(
            client,
            endpoint,
            creds,
            discovered,
            preconnected,
            &mut record,
        ),
    )
    .await;
    if filled.is_err() {
        // What was read before the deadline stays in the record.
        record.status = Some(HostStatus::Unreachable);
        record.error = Some(format!(
            "the host did not finish within the {} --host-timeout",
            wsman::show_duration(host_deadline)
        ));
    }
    if let Some(error) = record.error.take() {
        record.error = Some(crate::text::bounded_line(&error, MAX_ERROR_CHARS));
    }
    record
}

/// Longest `error` in a record: one line, so a device's 3 MiB RelatesTo
/// cannot pad every row of a table.
pub const MAX_ERROR_CHARS: usize = 400;

/// Reads one host into `record`. Facts are stored in the record as they
/// are read, so a host deadline that cuts the sequence keeps them.
async fn fill_host(
    client: &AmtClient,
    endpoint: &Endpoint,
    creds: Option<&Credentials>,
    discovered: &Discovered,
    preconnected: Option<wsman::transport::Preconnected>,
    record: &mut FactsRecord,
) {
    let limits = client.options().limits;
    let transport = client.host_transport();
    if let Some(connection) = preconnected {
        transport.adopt(connection);
    }

    // Boxed, as the inventory below: the host's task then holds only the
    // stage it is in (docs/performance.md: memory per device in flight).
    let reached = Box::pin(tls::probe_as_configured(
        client,
        &transport,
        endpoint,
        client.options().tls_mode,
        discovered,
        &limits,
        // With credentials the probe is the unauthenticated first leg of
        // Digest: one request fewer per inventory.
        creds.is_some(),
    ))
    .await;
    let (endpoint, probed) = match reached {
        Ok(r) => r,
        Err(failure) => {
            record.status = Some(host_status(&failure.error));
            record.error = Some(failure.message);
            if let Some(tried) = failure.endpoint {
                // A refused certificate is still evidence: its dates, name
                // and issuer go to the rules like any other fact.
                let tls = match &failure.error {
                    wsman::Error::CertificateRejected(r) => tls::facts_of_rejected(&r.chain),
                    _ => None,
                };
                let facts = AmtFacts {
                    port: Some(tried.port),
                    scheme: Some(tried.scheme().to_owned()),
                    tls,
                    ..AmtFacts::default()
                };
                record.amt = Some(facts);
            }
            return;
        }
    };
    let facts = AmtFacts {
        server_header: probed.server_header.clone(),
        port: Some(endpoint.port),
        scheme: Some(endpoint.scheme().to_owned()),
        tls: probed.tls.as_deref().map(tls::facts_of),
        ..AmtFacts::default()
    };
    let Some(banner) = probed.banner.clone() else {
        record.status = Some(HostStatus::NotAmt);
        record.error = Some(match &probed.server_header {
            Some(server) => format!(
                "the Server header {} does not name Intel AMT",
                crate::text::quoted(server)
            ),
            None => format!(
                "HTTP {} to {} without a Server header: not Intel AMT",
                probed.status,
                probe::probe_name(creds.is_some())
            ),
        });
        record.amt = Some(facts);
        return;
    };
    let banner_version = banner.version.as_deref();
    // Facts live in the record from here on, so a --host-timeout that cuts
    // the sequence short keeps what was read.
    let facts = record.amt.insert(facts);

    match creds {
        None => {
            inventory::finish_version(facts, banner_version);
            record.status = Some(HostStatus::Ok);
        }
        Some(creds) => {
            let session =
                client.session_primed(transport, &endpoint, creds, probed.challenge.clone());
            // Read over plain HTTP from a device that refused 16993: its
            // TLS settings are known without asking (TLS is off).
            let tls_off = discovered.tls_refused && endpoint.scheme() == "http";
            let read = inventory::read(&session, &limits, facts, banner_version, tls_off);
            match Box::pin(read).await {
                Ok(outcome) => match outcome.problem {
                    None => record.status = Some(HostStatus::Ok),
                    Some(problem) => {
                        record.status = Some(HostStatus::Error);
                        record.error = Some(problem);
                    }
                },
                Err(e) => {
                    inventory::finish_version(facts, banner_version);
                    record.status = Some(host_status(&e));
                    record.error = Some(e.to_string());
                }
            }
        }
    }
}

/// Checks that a Get or Pull answered with an instance of the class asked for:
/// a device that answers with something else is misbehaving, not missing data.
pub(crate) fn expect_class(
    item: &Element,
    resource_uri: &str,
    class: &str,
) -> Result<(), wsman::Error> {
    if item.is(resource_uri, class) {
        Ok(())
    } else {
        Err(wsman::Error::Protocol(format!(
            "expected {class}, got {}",
            crate::text::quoted(&format!("{{{}}}{}", item.ns, item.name))
        )))
    }
}

/// A string property, owned. AMT sends empty strings as `<X></X>`; those read
/// as unknown.
pub(crate) fn property_text(item: &Element, name: &str) -> Option<String> {
    property(item, name)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The trimmed text of a property of a class instance. Properties share the
/// instance element's namespace (the class's resource URI).
pub(crate) fn property<'a>(item: &'a Element, name: &str) -> Option<&'a str> {
    item.child_text(&item.ns, name)
}

/// A numeric property.
pub(crate) fn property_u32(item: &Element, name: &str) -> Option<u32> {
    property(item, name)?.parse().ok()
}

/// A boolean property. AMT sends `true`/`false`, but some releases send
/// `1`/`0` for newer switches (AMTNetworkEnabled on 15.0).
pub(crate) fn property_bool(item: &Element, name: &str) -> Option<bool> {
    match property(item, name)? {
        v if v.eq_ignore_ascii_case("true") || v == "1" => Some(true),
        v if v.eq_ignore_ascii_case("false") || v == "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsman::testserver::{http, Reply, TestServer};
    use crate::wsman::Password;

    fn client() -> AmtClient {
        AmtClient::new(ClientOptions::default()).unwrap()
    }

    fn creds() -> Credentials {
        Credentials {
            user: "admin".into(),
            password: Password::new("secret-pw"),
        }
    }

    #[tokio::test]
    async fn a_web_server_that_is_not_amt_stops_at_the_probe() {
        let server = TestServer::start(|_, _| {
            Reply::Bytes(http(
                "200 OK",
                &[("Server", "Apache/2.4.62")],
                b"<html>hi</html>",
            ))
        })
        .await;
        let record = read_host(&client(), &server.endpoint(), Some(&creds()), "web").await;
        assert_eq!(record.status, Some(HostStatus::NotAmt));
        assert!(record.error.as_deref().unwrap().contains("Apache/2.4.62"));
        assert_eq!(
            record.amt.unwrap().server_header.as_deref(),
            Some("Apache/2.4.62")
        );
        // Only the probe (with credentials to come, the unauthenticated
        // first leg of Digest): no credentials were offered to a stranger.
        let seen = server.recorded();
        assert_eq!(seen.len(), 1);
        assert_eq!(
            (seen[0].method.as_str(), seen[0].path.as_str()),
            ("POST", "/wsman")
        );
        assert_eq!(seen[0].header("authorization"), None);
    }

    #[tokio::test]
    async fn probe_reads_the_banner_without_following_the_redirect_or_the_body() {
        let page = vec![b'x'; 2 * 1024 * 1024];
        let server = TestServer::start(move |req, _| {
            assert_eq!(req.path, "/", "the redirect must not be followed");
            Reply::Bytes(http(
                "303 See Other",
                &[
                    ("Location", "/logon.htm"),
                    ("Server", "Intel(R) Active Management Technology 5.2.10"),
                ],
                &page,
            ))
        })
        .await;
        let limits = CallLimits {
            deadline: std::time::Duration::from_secs(10),
            body_cap: 1024,
        };
        let result = probe::probe(
            client().host_transport().as_ref(),
            &server.endpoint(),
            &limits,
        )
        .await
        .unwrap();
        assert_eq!(result.status, 303);
        assert_eq!(result.location.as_deref(), Some("/logon.htm"));
        assert_eq!(
            result.banner.and_then(|b| b.version).as_deref(),
            Some("5.2.10")
        );

        let record = read_host(&client(), &server.endpoint(), None, "amt").await;
        assert_eq!(record.status, Some(HostStatus::Ok));
        let amt = record.amt.unwrap();
        assert_eq!(amt.version.as_deref(), Some("5.2.10"));
        assert_eq!(amt.source, Some(crate::facts::FactSource::ServerHeader));
        assert_eq!(server.recorded().len(), 2);
    }

    #[test]
    fn read_host_can_be_spawned() {
        // The scanner runs hosts on tokio tasks, which need Send futures.
        fn assert_send<T: Send>(_: &T) {}
        let client = client();
        let endpoint = Endpoint::http("127.0.0.1", 1);
        let future = read_host(&client, &endpoint, None, "x");
        assert_send(&future);
    }

    #[test]
    fn boolean_properties_accept_both_spellings() {
        let doc = br#"<c:X xmlns:c="urn:c"><c:A>true</c:A><c:B>0</c:B><c:C>TRUE</c:C><c:D>maybe</c:D></c:X>"#;
        let item = crate::wsman::xml::parse(doc).unwrap();
        assert_eq!(property_bool(&item, "A"), Some(true));
        assert_eq!(property_bool(&item, "B"), Some(false));
        assert_eq!(property_bool(&item, "C"), Some(true));
        assert_eq!(property_bool(&item, "D"), None);
        assert_eq!(property_bool(&item, "E"), None);
    }
}
