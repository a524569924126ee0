//! Reading Intel AMT devices: the unauthenticated probe, one module per
//! class read, the EOI fallback for old firmware, and [`read_host`], which
//! turns one device into one [`FactsRecord`].

pub mod eoi;
pub mod general_settings;
pub mod host_based_setup;
pub mod inventory;
pub mod probe;
pub mod provisioning_certificate_hash;
pub mod setup_and_configuration;
pub mod software_identity;

use std::sync::Arc;
use std::time::Duration;

use crate::facts::{AmtFacts, FactsRecord, HostStatus};
use crate::wsman::response::one_line;
use crate::wsman::{
    self, CallLimits, Credentials, Element, Endpoint, EnvelopeOptions, Session, Transport,
    TransportOptions,
};

/// Settings for a whole scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Deadline and body cap of every call (an enumeration counts as one call).
    pub limits: CallLimits,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Items asked for per Pull.
    pub max_elements: u32,
    /// Bound on Pulls per enumeration.
    pub max_pages: u32,
    /// WS-Management OperationTimeout sent to the device, in seconds.
    pub operation_timeout_secs: u32,
    /// Accept any certificate on TLS endpoints (see
    /// [`TransportOptions::accept_any_certificate`]).
    pub accept_any_certificate: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        let envelope = EnvelopeOptions::default();
        let transport = TransportOptions::default();
        Self {
            limits: CallLimits::default(),
            connect_timeout: transport.connect_timeout,
            max_elements: envelope.max_elements,
            max_pages: Session::DEFAULT_MAX_PAGES,
            operation_timeout_secs: envelope.operation_timeout_secs,
            accept_any_certificate: transport.accept_any_certificate,
        }
    }
}

/// The client a scan shares across all hosts: the options every host is read
/// with. Each host gets its own transport (connection pool) and Digest session,
/// both dropped when the host is done, so a subnet scan's memory follows the
/// concurrency, not the number of hosts. Cloning is cheap (an `Arc`).
#[derive(Debug, Clone)]
pub struct AmtClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: TransportOptions,
    opts: ClientOptions,
}

impl AmtClient {
    /// Builds the client once per scan. Fails early, before any host is
    /// touched, if the HTTP stack cannot be set up.
    pub fn new(opts: ClientOptions) -> Result<Self, wsman::Error> {
        let transport = TransportOptions {
            connect_timeout: opts.connect_timeout,
            accept_any_certificate: opts.accept_any_certificate,
        };
        Transport::new(&transport)?;
        Ok(Self {
            inner: Arc::new(Inner { transport, opts }),
        })
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.opts
    }

    /// A transport (connection pool) for one host. A host's reads reuse its
    /// connections; dropping it closes them.
    pub fn host_transport(&self) -> Result<Transport, wsman::Error> {
        Transport::new(&self.inner.transport)
    }

    /// A new per-host session (its own Digest nonce) on that host's transport.
    pub fn session(
        &self,
        transport: &Transport,
        endpoint: &Endpoint,
        creds: &Credentials,
    ) -> Session {
        let opts = &self.inner.opts;
        let envelope = EnvelopeOptions {
            max_elements: opts.max_elements,
            operation_timeout_secs: opts.operation_timeout_secs,
            ..EnvelopeOptions::default()
        };
        Session::new(transport.clone(), endpoint.clone(), creds.clone(), envelope)
            .with_max_pages(opts.max_pages)
    }
}

/// Reads one device into a facts record. Never fails and never panics: every
/// failure becomes the record's `status` and a one-line `error` (which never
/// contains a secret).
///
/// Without credentials only the probe runs (status `ok` when it is AMT, the
/// version from the banner). With credentials the probe runs first (its
/// header is kept as evidence; not AMT stops there), then the inventory.
pub async fn read_host(
    client: &AmtClient,
    endpoint: &Endpoint,
    creds: Option<&Credentials>,
    target_label: &str,
) -> FactsRecord {
    let mut record = FactsRecord::new(target_label);
    let limits = client.options().limits;

    let transport = match client.host_transport() {
        Ok(t) => t,
        Err(e) => {
            record.status = Some(HostStatus::Error);
            record.error = Some(format!("cannot set up HTTP for this host: {e}"));
            return record;
        }
    };
    // With credentials the probe is the unauthenticated first leg of Digest
    // (its 401 carries the banner and the challenge); without, `GET /`.
    let (probed, challenge, probe_name) = match creds {
        Some(_) => match probe::probe_wsman(&transport, endpoint, &limits).await {
            Ok((p, c)) => (p, c, "POST /wsman"),
            Err(e) => {
                record.status = Some(e.host_status());
                record.error = Some(format!("probe POST /wsman: {e}"));
                return record;
            }
        },
        None => match probe::probe(&transport, endpoint, &limits).await {
            Ok(p) => (p, None, "GET /"),
            Err(e) => {
                record.status = Some(e.host_status());
                record.error = Some(format!("probe GET /: {e}"));
                return record;
            }
        },
    };
    let mut facts = AmtFacts {
        server_header: probed.server_header.clone(),
        ..AmtFacts::default()
    };
    let Some(banner) = probed.banner.clone() else {
        record.status = Some(HostStatus::NotAmt);
        record.error = Some(match &probed.server_header {
            Some(server) => format!(
                "the Server header {:?} does not name Intel AMT",
                one_line(server)
            ),
            None => format!(
                "HTTP {} to {probe_name} without a Server header: not Intel AMT",
                probed.status
            ),
        });
        record.amt = Some(facts);
        return record;
    };
    let banner_version = banner.version.as_deref();

    match creds {
        None => {
            inventory::finish_version(&mut facts, banner_version);
            record.status = Some(HostStatus::Ok);
        }
        Some(creds) => {
            let session = client.session(&transport, endpoint, creds);
            if let Some(challenge) = challenge {
                session.prime(challenge);
            }
            match inventory::read(&session, &limits, &mut facts, banner_version).await {
                Ok(outcome) => match outcome.problem {
                    None => record.status = Some(HostStatus::Ok),
                    Some(problem) => {
                        record.status = Some(HostStatus::Error);
                        record.error = Some(problem);
                    }
                },
                Err(e) => {
                    inventory::finish_version(&mut facts, banner_version);
                    record.status = Some(e.host_status());
                    record.error = Some(e.to_string());
                }
            }
        }
    }
    record.amt = Some(facts);
    record
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
            "expected {class}, got {{{}}}{}",
            item.ns, item.name
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
        // Only the probe (the unauthenticated first leg of Digest): no
        // credentials were offered to a stranger.
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
            &client().host_transport().unwrap(),
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
