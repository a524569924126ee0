//! EOI: AMT's SOAP 1.1 interface (AMT 1.x to 8.x, removed in 9.0), used as
//! the fallback when WS-Management cannot give the version (old firmware).
//!
//! Each call is `POST /<Service>Service` with
//! `SOAPAction: "http://schemas.intel.com/platform/client/<Service>/2004/01#<Method>"`.
//! Answers begin with a status element (`StatusCode`; 0 is success) and
//! then the values.

use crate::version::ReportedVersion;
use crate::wsman::response::Fault;
use crate::wsman::{CallLimits, Element, Error, Session};

use super::class::{self, set_facts, Apply, Class, Fetch, Seen};
use super::firmware::{self, Generation};
use super::general_settings;

/// The service that answers GetCoreVersion.
pub const SECURITY_ADMINISTRATION: &str = "SecurityAdministration";
/// The service that answers GetHostName and GetDomainName.
pub const NETWORK_ADMINISTRATION: &str = "NetworkAdministration";

/// The namespace (and SOAPAction prefix) of an EOI service.
pub fn namespace(service: &str) -> String {
    format!("http://schemas.intel.com/platform/client/{service}/2004/01")
}

/// The SOAP 1.1 request for a method without parameters.
pub fn request(service: &str, method: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<soap:Envelope xmlns:soap="{soap}">"#,
            r#"<soap:Body><m:{method} xmlns:m="{ns}"/></soap:Body></soap:Envelope>"#
        ),
        soap = crate::wsman::envelope::NS_SOAP11,
        method = method,
        ns = namespace(service),
    )
}

/// Extracts `value` from the Body of a `<method>Response`. A non-zero
/// StatusCode is reported as a fault (the device refused the call).
pub fn parse_answer(
    body: &Element,
    service: &str,
    method: &str,
    value: &str,
) -> Result<String, Error> {
    let ns = namespace(service);
    let response_name = format!("{method}Response");
    let response = body
        .child(&ns, &response_name)
        .ok_or_else(|| Error::Protocol(format!("expected {response_name}")))?;
    // Security/NetworkAdministration name it StatusCode, RemoteControl Status.
    let status = response
        .child_text(&ns, "StatusCode")
        .or_else(|| response.child_text(&ns, "Status"))
        .ok_or_else(|| Error::Protocol(format!("{response_name} has no status")))?;
    if status != "0" {
        return Err(Error::Fault(Fault {
            code: "StatusCode".into(),
            subcode: Some(status.to_owned()),
            reason: format!("{method} returned status {status}"),
            ..Fault::default()
        }));
    }
    response
        .child_text(&ns, value)
        .map(str::to_owned)
        .ok_or_else(|| Error::Protocol(format!("{response_name} has no {value}")))
}

/// Calls a parameterless method and returns one value.
pub async fn call(
    session: &Session,
    service: &str,
    method: &str,
    value: &str,
    limits: &CallLimits,
) -> Result<String, Error> {
    let path = format!("/{service}Service");
    let action = format!("{}#{method}", namespace(service));
    let body = session
        .soap11(&path, &action, &request(service, method), limits)
        .await?;
    parse_answer(&body, service, method, value)
}

/// A parameterless method as a [`Class`]'s `RESOURCE_URI` and `FETCH`: the
/// path, SOAPAction and envelope [`call`] sends, as literals because the
/// constants are built at compile time.
macro_rules! eoi_method {
    ($service:literal, $method:literal) => {
        const RESOURCE_URI: &'static str = concat!(
            "http://schemas.intel.com/platform/client/",
            $service,
            "/2004/01"
        );
        const FETCH: Fetch = Fetch::Eoi {
            path: concat!("/", $service, "Service"),
            action: concat!(
                "http://schemas.intel.com/platform/client/",
                $service,
                "/2004/01#",
                $method
            ),
            request: || request($service, $method),
        };
    };
}

/// The one value of an EOI answer (the SOAP Body).
fn answer_value(
    answer: &[Element],
    name: &str,
    service: &str,
    method: &str,
    value: &str,
) -> Result<String, Error> {
    parse_answer(class::single(answer, name)?, service, method, value)
}

/// SecurityAdministrationService GetCoreVersion, the inventory's fallback
/// for the version where CIM_SoftwareIdentity gave none (AMT before 3.0,
/// or a WS-Man that faults it).
pub struct EoiCoreVersion;

impl Class for EoiCoreVersion {
    type Value = String;
    const NAME: &'static str = "EOI GetCoreVersion";
    eoi_method!("SecurityAdministration", "GetCoreVersion");
    const FIRMWARE: &'static Generation = &firmware::EOI;

    fn parse(&self, answer: &[Element]) -> Result<String, Error> {
        answer_value(
            answer,
            Self::NAME,
            SECURITY_ADMINISTRATION,
            "GetCoreVersion",
            "Version",
        )
    }

    fn apply(&self, version: String, out: &mut Apply<'_>) {
        set_facts!(out, version = Some(ReportedVersion::from(version)));
    }

    fn wanted(&self, seen: &Seen<'_>) -> bool {
        seen.facts().version.is_none()
    }
}

/// NetworkAdministrationService GetHostName, the fallback for the host name
/// where AMT_GeneralSettings was not read.
pub struct EoiHostName;

impl Class for EoiHostName {
    type Value = String;
    const NAME: &'static str = "EOI GetHostName";
    eoi_method!("NetworkAdministration", "GetHostName");
    const FIRMWARE: &'static Generation = &firmware::EOI;

    fn parse(&self, answer: &[Element]) -> Result<String, Error> {
        answer_value(
            answer,
            Self::NAME,
            NETWORK_ADMINISTRATION,
            "GetHostName",
            "HostName",
        )
    }

    fn apply(&self, name: String, out: &mut Apply<'_>) {
        set_facts!(out, hostname = Some(name).filter(|h| !h.is_empty()));
    }

    fn wanted(&self, seen: &Seen<'_>) -> bool {
        !seen.answered(general_settings::CLASS)
    }
}

/// NetworkAdministrationService GetDomainName, the fallback for the domain
/// where AMT_GeneralSettings was not read.
pub struct EoiDomainName;

impl Class for EoiDomainName {
    type Value = String;
    const NAME: &'static str = "EOI GetDomainName";
    eoi_method!("NetworkAdministration", "GetDomainName");
    const FIRMWARE: &'static Generation = &firmware::EOI;

    fn parse(&self, answer: &[Element]) -> Result<String, Error> {
        answer_value(
            answer,
            Self::NAME,
            NETWORK_ADMINISTRATION,
            "GetDomainName",
            "DomainName",
        )
    }

    fn apply(&self, name: String, out: &mut Apply<'_>) {
        set_facts!(out, domain = Some(name).filter(|d| !d.is_empty()));
    }

    fn wanted(&self, seen: &Seen<'_>) -> bool {
        !seen.answered(general_settings::CLASS)
    }
}

/// SecurityAdministrationService GetCoreVersion: the firmware version.
pub async fn core_version(session: &Session, limits: &CallLimits) -> Result<String, Error> {
    call(
        session,
        SECURITY_ADMINISTRATION,
        "GetCoreVersion",
        "Version",
        limits,
    )
    .await
}

/// NetworkAdministrationService GetHostName.
pub async fn host_name(session: &Session, limits: &CallLimits) -> Result<String, Error> {
    call(
        session,
        NETWORK_ADMINISTRATION,
        "GetHostName",
        "HostName",
        limits,
    )
    .await
}

/// NetworkAdministrationService GetDomainName.
pub async fn domain_name(session: &Session, limits: &CallLimits) -> Result<String, Error> {
    call(
        session,
        NETWORK_ADMINISTRATION,
        "GetDomainName",
        "DomainName",
        limits,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsman::response::parse_soap11;

    #[test]
    fn the_classes_send_what_call_sends() {
        fn check<C: Class>(service: &str, method: &str) {
            assert_eq!(C::RESOURCE_URI, namespace(service));
            let Fetch::Eoi {
                path,
                action,
                request: body,
            } = C::FETCH
            else {
                panic!("{} is not fetched over EOI", C::NAME);
            };
            assert_eq!(path, format!("/{service}Service"));
            assert_eq!(action, format!("{}#{method}", namespace(service)));
            assert_eq!(body(), request(service, method));
        }
        check::<EoiCoreVersion>(SECURITY_ADMINISTRATION, "GetCoreVersion");
        check::<EoiHostName>(NETWORK_ADMINISTRATION, "GetHostName");
        check::<EoiDomainName>(NETWORK_ADMINISTRATION, "GetDomainName");
    }

    #[test]
    fn request_is_soap11_in_the_service_namespace() {
        let xml = request(SECURITY_ADMINISTRATION, "GetCoreVersion");
        let root = crate::wsman::xml::parse(xml.as_bytes()).unwrap();
        let body = root
            .child(crate::wsman::envelope::NS_SOAP11, "Body")
            .unwrap();
        assert!(body
            .child(&namespace(SECURITY_ADMINISTRATION), "GetCoreVersion")
            .is_some());
    }

    #[test]
    fn answers_with_any_prefix_and_status() {
        let ok = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><GetCoreVersionResponse xmlns="http://schemas.intel.com/platform/client/SecurityAdministration/2004/01"><StatusCode>0</StatusCode><Version>5.2.10</Version></GetCoreVersionResponse></S:Body></S:Envelope>"#;
        let body = parse_soap11(ok.as_bytes()).unwrap();
        assert_eq!(
            parse_answer(&body, SECURITY_ADMINISTRATION, "GetCoreVersion", "Version").unwrap(),
            "5.2.10"
        );
        let refused = ok.replace("<StatusCode>0<", "<StatusCode>2053<");
        let body = parse_soap11(refused.as_bytes()).unwrap();
        let err =
            parse_answer(&body, SECURITY_ADMINISTRATION, "GetCoreVersion", "Version").unwrap_err();
        assert!(err.is_refusal(), "{err:?}");
        let wrong_ns = ok.replace("SecurityAdministration", "RemoteControl");
        let body = parse_soap11(wrong_ns.as_bytes()).unwrap();
        assert!(matches!(
            parse_answer(&body, SECURITY_ADMINISTRATION, "GetCoreVersion", "Version"),
            Err(Error::Protocol(_))
        ));
    }
}
