//! EOI: AMT's SOAP 1.1 interface (AMT 1.x to 8.x, removed in 9.0), used as
//! the fallback when WS-Management cannot give the version (old firmware).
//!
//! Each call is `POST /<Service>Service` with
//! `SOAPAction: "http://schemas.intel.com/platform/client/<Service>/2004/01#<Method>"`.
//! Answers begin with a status element (`StatusCode`; 0 is success) and
//! then the values.

use crate::facts::EthernetPortFacts;
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

/// NetworkAdministrationService GetInterfaceSettings for interface handle
/// 0, the wired one (`amttool netinfo` asks EnumerateInterfaces first; AMT
/// before 3.0 has one wired interface, so the handle is 0): the stand-in for
/// AMT_EthernetPortSettings where WS-Man is missing. Element names are the
/// SDK WSDL's (NetworkAdministrationInterface: InterfaceDescriptor,
/// DhcpEnabled, InterfaceMode, IPv4Parameters). EOI reports no link state,
/// so that stays unknown and the wired-only rule says so.
pub struct EoiInterfaceSettings;

/// The GetInterfaceSettings request for interface handle 0.
fn interface_settings_request() -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<soap:Envelope xmlns:soap="{soap}">"#,
            r#"<soap:Body><m:GetInterfaceSettings xmlns:m="{ns}"><m:InterfaceHandle>0</m:InterfaceHandle></m:GetInterfaceSettings></soap:Body></soap:Envelope>"#
        ),
        soap = crate::wsman::envelope::NS_SOAP11,
        ns = namespace(NETWORK_ADMINISTRATION),
    )
}

/// The wired interface from a GetInterfaceSettings answer (the SOAP Body).
pub fn interface_settings(body: &Element) -> Result<EthernetPortFacts, Error> {
    let ns = namespace(NETWORK_ADMINISTRATION);
    let response = body
        .child(&ns, "GetInterfaceSettingsResponse")
        .ok_or_else(|| Error::Protocol("expected GetInterfaceSettingsResponse".into()))?;
    match response.child_text(&ns, "StatusCode") {
        Some("0") => {}
        status => {
            let status = status.unwrap_or("none").to_owned();
            return Err(Error::Fault(Fault {
                code: "StatusCode".into(),
                subcode: Some(status.clone()),
                reason: format!("GetInterfaceSettings returned status {status}"),
                ..Fault::default()
            }));
        }
    }
    let descriptor = response
        .child(&ns, "InterfaceDescriptor")
        .ok_or_else(|| Error::Protocol("GetInterfaceSettings has no InterfaceDescriptor".into()))?;
    let flag = |name: &str| match descriptor.child_text(&ns, name) {
        Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Some(true),
        Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Some(false),
        _ => None,
    };
    let ip = descriptor
        .child(&ns, "IPv4Parameters")
        .and_then(|p| p.child_text(&ns, "LocalAddress"))
        .and_then(|a| a.parse::<u32>().ok())
        .filter(|a| *a != 0)
        .map(|a| std::net::Ipv4Addr::from(a).to_string());
    let dhcp_enabled = flag("DhcpEnabled");
    Ok(EthernetPortFacts {
        interface: Some(super::ethernet_port_settings::values::WIRED.to_owned()),
        link_up: None,
        dhcp_enabled,
        // Before 3.0 a static address is AMT's own: Intel never supported
        // one static address shared by AMT and the host ("Using Static IP
        // Addressing with Intel AMT"), and EOI has no setting for it.
        shared_static_ip: dhcp_enabled.map(|_| false),
        ip_sync_enabled: None,
        shared_mac: descriptor
            .child_text(&ns, "InterfaceMode")
            .map(|m| m == "SHARED_MAC_ADDRESS"),
        ip_address: ip,
        mac_address: descriptor
            .child_text(&ns, "MACAddress")
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
    })
}

impl Class for EoiInterfaceSettings {
    type Value = Vec<EthernetPortFacts>;
    const NAME: &'static str = "EOI GetInterfaceSettings";
    const RESOURCE_URI: &'static str =
        "http://schemas.intel.com/platform/client/NetworkAdministration/2004/01";
    const FETCH: Fetch = Fetch::Eoi {
        path: "/NetworkAdministrationService",
        action: "http://schemas.intel.com/platform/client/NetworkAdministration/2004/01#GetInterfaceSettings",
        request: interface_settings_request,
    };
    const FIRMWARE: &'static Generation = &firmware::EOI;

    fn parse(&self, answer: &[Element]) -> Result<Vec<EthernetPortFacts>, Error> {
        Ok(vec![interface_settings(class::single(
            answer,
            Self::NAME,
        )?)?])
    }

    fn apply(&self, ports: Vec<EthernetPortFacts>, out: &mut Apply<'_>) {
        set_facts!(out, ethernet_ports = Some(ports));
    }

    /// Only where WS-Man gave no interface at all: AMT before 3.0.
    fn wanted(&self, seen: &Seen<'_>) -> bool {
        seen.facts().ethernet_ports.is_none()
            && !seen.answered(super::ethernet_port_settings::WIRED_GET)
            && !seen.answered(super::ethernet_port_settings::CLASS)
            && seen
                .facts()
                .version
                .as_ref()
                .and_then(ReportedVersion::major)
                .is_some_and(|major| major < 3)
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

    #[test]
    fn interface_settings_give_the_wired_port_without_a_link_state() {
        let ns = namespace(NETWORK_ADMINISTRATION);
        let body = format!(
            r#"<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:s0="{ns}"><SOAP-ENV:Body><s0:GetInterfaceSettingsResponse><s0:StatusCode>0</s0:StatusCode><s0:InterfaceDescriptor><s0:MACAddress>00-15-17-01-02-03</s0:MACAddress><s0:InterfaceMode>SHARED_MAC_ADDRESS</s0:InterfaceMode><s0:DhcpEnabled>false</s0:DhcpEnabled><s0:IPv4Parameters><s0:LocalAddress>167772165</s0:LocalAddress></s0:IPv4Parameters></s0:InterfaceDescriptor></s0:GetInterfaceSettingsResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"#
        );
        let parsed = parse_soap11(body.as_bytes()).unwrap();
        let port = interface_settings(&parsed).unwrap();
        assert_eq!(port.interface.as_deref(), Some("wired"));
        assert_eq!(port.link_up, None);
        assert_eq!(
            (port.dhcp_enabled, port.shared_static_ip),
            (Some(false), Some(false))
        );
        assert_eq!(port.shared_mac, Some(true));
        assert_eq!(port.ip_address.as_deref(), Some("10.0.0.5"));
        let refused = body.replace("<s0:StatusCode>0<", "<s0:StatusCode>1<");
        assert!(interface_settings(&parse_soap11(refused.as_bytes()).unwrap()).is_err());
    }
}
