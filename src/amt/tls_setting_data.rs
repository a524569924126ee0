//! AMT_TLSSettingData: whether AMT serves TLS, requires client certificates,
//! and still answers plain HTTP on 16992. One instance per interface: the
//! network ("Intel(r) AMT 802.3 TLS Settings") and the local LMS one
//! ("Intel(r) AMT LMS TLS Settings"). Present from AMT 3.0 over WS-Man;
//! AcceptNonSecureConnections appears with the releases that can keep 16992
//! open next to TLS.

use crate::facts::{FactSource, TlsSettingsFacts};
use crate::wsman::{CallLimits, Element, Error, Session};

use super::class::{self, set_facts, Apply, Class, Fetch, Seen};
use super::firmware::{self, Generation};
use super::{expect_class, property, property_bool};

/// The class's resource URI.
pub const RESOURCE_URI: &str = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_TLSSettingData";

/// Class name, as recorded in `AmtFacts.unavailable`.
pub const CLASS: &str = "AMT_TLSSettingData";

/// One instance as facts.
pub fn from_element(item: &Element) -> Result<TlsSettingsFacts, Error> {
    expect_class(item, RESOURCE_URI, CLASS)?;
    let id = property(item, "InstanceID").unwrap_or_default();
    let interface = if id.contains("802.3") {
        Some("remote")
    } else if id.contains("LMS") {
        Some("local")
    } else {
        None
    };
    Ok(TlsSettingsFacts {
        interface: interface.map(str::to_owned),
        enabled: property_bool(item, "Enabled"),
        mutual_authentication: property_bool(item, "MutualAuthentication"),
        accept_non_secure_connections: property_bool(item, "AcceptNonSecureConnections"),
    })
}

/// The network interface's settings (what a remote console meets) among the
/// instances of an enumeration, or the first instance when none is marked.
pub fn from_items(items: &[Element]) -> Result<TlsSettingsFacts, Error> {
    let mut all = items
        .iter()
        .map(from_element)
        .collect::<Result<Vec<_>, _>>()?;
    let at = all
        .iter()
        .position(|s| s.interface.as_deref() == Some("remote"))
        .unwrap_or(0);
    if all.is_empty() {
        return Err(Error::Protocol(format!("{CLASS} enumerated no instance")));
    }
    Ok(all.swap_remove(at))
}

/// The network interface's TLS settings of a device that refused a
/// connection to 16993 and answers plain HTTP on 16992: AMT listens on 16993
/// only while TLS is enabled (AMT-FACTS.md, "Ports": 16993 is "the same over
/// TLS"; the RMCP pong reports the two ports separately because they differ
/// by configuration), and the plain read itself shows non-secure connections
/// are accepted. Mutual authentication has no effect with TLS off and stays
/// unknown. This saves AMT_TLSSettingData's request on every device without
/// TLS, the common case on AMT before 16 (issue 9: at most 6 requests).
pub fn tls_off_settings() -> TlsSettingsFacts {
    TlsSettingsFacts {
        interface: Some("remote".to_owned()),
        enabled: Some(false),
        mutual_authentication: None,
        accept_non_secure_connections: Some(true),
    }
}

/// AMT_TLSSettingData, as the inventory reads it.
pub struct AmtTlsSettingData;

impl Class for AmtTlsSettingData {
    type Value = TlsSettingsFacts;
    const NAME: &'static str = CLASS;
    const RESOURCE_URI: &'static str = RESOURCE_URI;
    const FETCH: Fetch = Fetch::Enumerate;
    const FIRMWARE: &'static Generation = &firmware::WSMAN;

    fn parse(&self, answer: &[Element]) -> Result<TlsSettingsFacts, Error> {
        from_items(answer)
    }

    fn apply(&self, settings: TlsSettingsFacts, out: &mut Apply<'_>) {
        set_facts!(out, tls_settings = Some(settings));
    }

    fn known_without_asking(&self, seen: &Seen<'_>) -> Option<(TlsSettingsFacts, FactSource)> {
        seen.tls_off()
            .then(|| (tls_off_settings(), FactSource::Sweep))
    }
}

/// Enumerates the class and returns the network interface's settings (what
/// a remote console meets), or the first instance when none is marked.
pub async fn read(session: &Session, limits: &CallLimits) -> Result<TlsSettingsFacts, Error> {
    class::read(&AmtTlsSettingData, session, limits).await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::wsman::fake::FakeTransport;
    use crate::wsman::testserver::soap_envelope;
    use crate::wsman::{Endpoint, EnvelopeOptions, NoAuth};

    fn message_id(request: &crate::wsman::Request) -> String {
        let root = crate::wsman::xml::parse(&request.body).unwrap();
        root.child(crate::wsman::envelope::NS_SOAP12, "Header")
            .and_then(|h| h.child_text(crate::wsman::envelope::NS_ADDRESSING, "MessageID"))
            .unwrap()
            .to_owned()
    }

    fn instance(id: &str, enabled: bool, mutual: bool, accept: Option<bool>) -> String {
        let accept = accept
            .map(|a| format!("<h:AcceptNonSecureConnections>{a}</h:AcceptNonSecureConnections>"))
            .unwrap_or_default();
        format!(
            r#"<h:AMT_TLSSettingData xmlns:h="{RESOURCE_URI}">{accept}<h:ElementName>{id}</h:ElementName><h:Enabled>{enabled}</h:Enabled><h:InstanceID>{id}</h:InstanceID><h:MutualAuthentication>{mutual}</h:MutualAuthentication></h:AMT_TLSSettingData>"#
        )
    }

    /// Enumerate, then one Pull with both instances, through the fake.
    fn device(items: String) -> FakeTransport {
        FakeTransport::soap(move |req, i| {
            let relates = message_id(req);
            let body = if i == 0 {
                r#"<g:EnumerateResponse xmlns:g="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><g:EnumerationContext>17000000-0000-0000-0000-000000000000</g:EnumerationContext></g:EnumerateResponse>"#.to_owned()
            } else {
                format!(
                    r#"<g:PullResponse xmlns:g="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><g:Items>{items}</g:Items><g:EndOfSequence></g:EndOfSequence></g:PullResponse>"#
                )
            };
            soap_envelope(&relates, &body)
        })
    }

    #[tokio::test]
    async fn the_network_interface_wins_over_lms() {
        let items = format!(
            "{}{}",
            instance("Intel(r) AMT LMS TLS Settings", false, false, None),
            instance("Intel(r) AMT 802.3 TLS Settings", true, true, Some(false))
        );
        let fake = device(items);
        let session = Session::new(
            Arc::new(fake.clone()),
            Endpoint::https("amt", 16993),
            Arc::new(NoAuth),
            "/wsman",
            EnvelopeOptions::default(),
        );
        let s = read(&session, &CallLimits::default()).await.unwrap();
        assert_eq!(
            s,
            TlsSettingsFacts {
                interface: Some("remote".into()),
                enabled: Some(true),
                mutual_authentication: Some(true),
                accept_non_secure_connections: Some(false),
            }
        );
        let sent = fake.requests();
        assert_eq!(sent.len(), 2);
        assert!(std::str::from_utf8(&sent[0].body)
            .unwrap()
            .contains(RESOURCE_URI));
        assert_eq!(sent[0].path, "/wsman");
    }

    #[tokio::test]
    async fn another_class_in_the_answer_is_a_protocol_error() {
        let fake = device(
            r#"<h:AMT_GeneralSettings xmlns:h="http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings"><h:HostName>x</h:HostName></h:AMT_GeneralSettings>"#.into(),
        );
        let session = Session::new(
            Arc::new(fake),
            Endpoint::http("amt", 16992),
            Arc::new(NoAuth),
            "/wsman",
            EnvelopeOptions::default(),
        );
        let err = read(&session, &CallLimits::default()).await.unwrap_err();
        assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    }
}
