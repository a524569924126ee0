//! The readers against Windows' own answer shapes: an optimized
//! EnumerateResponse whose items are WMI class elements with `xsi:type`,
//! `xml:lang`, nil properties and padded captions.

use std::sync::Arc;

use super::*;
use crate::facts::FactSource;
use crate::wsman::envelope::{NS_ADDRESSING, NS_SOAP12, NS_WSMAN};
use crate::wsman::fake::{soap_ok, FakeTransport};
use crate::wsman::{Endpoint, EnvelopeOptions, NoAuth, RawResponse, Request};

fn header_text(request: &Request, ns: &str, name: &str) -> String {
    let root = crate::wsman::xml::parse(&request.body).unwrap();
    root.child(NS_SOAP12, "Header")
        .and_then(|h| h.child_text(ns, name))
        .unwrap_or_default()
        .to_owned()
}

/// An EnumerateResponse as WinRM sends it for an optimized enumeration.
pub(crate) fn windows_enumerate_response(relates_to: &str, class: &str, items: &str) -> String {
    format!(
        concat!(
            r#"<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" "#,
            r#"xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" "#,
            r#"xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" "#,
            r#"xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" "#,
            r#"xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/{class}" "#,
            r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
            "<s:Header><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>",
            "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse</a:Action>",
            "<a:MessageID>uuid:5E8C4C1E-0000-4000-8000-000000000001</a:MessageID>",
            "<a:RelatesTo>{relates}</a:RelatesTo></s:Header>",
            "<s:Body><n:EnumerateResponse><n:EnumerationContext></n:EnumerationContext>",
            "<w:Items>{items}</w:Items><w:EndOfSequence/></n:EnumerateResponse></s:Body></s:Envelope>"
        ),
        class = class,
        relates = relates_to,
        items = items
    )
}

fn os_item(caption: &str, csd: Option<&str>, arch: Option<&str>, sku: Option<u32>) -> String {
    let nil = |name: &str, v: Option<String>| match v {
        Some(v) => format!("<p:{name}>{v}</p:{name}>"),
        None => format!(r#"<p:{name} xsi:nil="true"/>"#),
    };
    // XP and 2003 have no OSArchitecture or OperatingSystemSKU at all.
    let newer = match (arch, sku) {
        (Some(a), Some(s)) => format!(
            "<p:OSArchitecture>{a}</p:OSArchitecture><p:OperatingSystemSKU>{s}</p:OperatingSystemSKU>"
        ),
        _ => String::new(),
    };
    format!(
        concat!(
            r#"<p:Win32_OperatingSystem xsi:type="p:Win32_OperatingSystem_Type" xml:lang="en-US">"#,
            "<p:BootDevice>\\Device\\HarddiskVolume1</p:BootDevice><p:BuildNumber>7601</p:BuildNumber>",
            "<p:Caption>{caption}</p:Caption>{csd}<p:CSName>HOST1</p:CSName>{newer}",
            "<p:Version>6.1.7601</p:Version></p:Win32_OperatingSystem>"
        ),
        caption = caption,
        csd = nil("CSDVersion", csd.map(str::to_owned)),
        newer = newer
    )
}

fn service_item(name: &str, state: &str, mode: &str) -> String {
    format!(
        concat!(
            r#"<p:Win32_Service xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service" "#,
            r#"xsi:type="p:Win32_Service_Type" xml:lang="en-US"><p:AcceptPause>false</p:AcceptPause>"#,
            "<p:Caption>{name} caption</p:Caption><p:Name>{name}</p:Name>",
            "<p:StartMode>{mode}</p:StartMode><p:Started>true</p:Started><p:State>{state}</p:State>",
            "</p:Win32_Service>"
        ),
        name = name,
        state = state,
        mode = mode
    )
}

fn computer_system_item(system_type: &str) -> String {
    format!(
        concat!(
            r#"<p:Win32_ComputerSystem xsi:type="p:Win32_ComputerSystem_Type" xml:lang="en-US">"#,
            "<p:Domain>CORP</p:Domain><p:Manufacturer>Intel</p:Manufacturer>",
            "<p:Name>HOST1</p:Name><p:SystemType>{system_type}</p:SystemType>",
            "</p:Win32_ComputerSystem>"
        ),
        system_type = system_type
    )
}

/// A host answering the reads, or faulting on the WQL filter.
fn host(os: String, services: Option<String>) -> FakeTransport {
    host_with_system(os, Some(computer_system_item("X86-based PC")), services)
}

/// A host whose Win32_ComputerSystem answers `system` (a fault when `None`).
fn host_with_system(os: String, system: Option<String>, services: Option<String>) -> FakeTransport {
    FakeTransport::new(move |req, _| {
        let relates = header_text(req, NS_ADDRESSING, "MessageID");
        let resource = header_text(req, NS_WSMAN, "ResourceURI");
        if resource.ends_with("/Win32_OperatingSystem") {
            return Ok(soap_ok(&windows_enumerate_response(
                &relates,
                "Win32_OperatingSystem",
                &os,
            )));
        }
        if resource.ends_with("/Win32_ComputerSystem") {
            return Ok(match &system {
                Some(item) => soap_ok(&windows_enumerate_response(
                    &relates,
                    "Win32_ComputerSystem",
                    item,
                )),
                None => fault(&relates),
            });
        }
        match &services {
            Some(items) => Ok(soap_ok(&windows_enumerate_response(&relates, "*", items))),
            None => Ok(fault(&relates)),
        }
    })
}

fn fault(relates: &str) -> RawResponse {
    let body = format!(
        concat!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" "#,
            r#"xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" "#,
            r#"xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">"#,
            "<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>",
            "<a:RelatesTo>{relates}</a:RelatesTo></s:Header><s:Body><s:Fault>",
            "<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:CannotProcessFilter</s:Value></s:Subcode></s:Code>",
            r#"<s:Reason><s:Text xml:lang="en-US">The data source could not process the filter.</s:Text></s:Reason>"#,
            "</s:Fault></s:Body></s:Envelope>"
        ),
        relates = relates
    );
    let mut r = soap_ok(&body);
    r.status = http::StatusCode::INTERNAL_SERVER_ERROR;
    r
}

fn session(fake: &FakeTransport) -> Session {
    Session::new(
        Arc::new(fake.clone()),
        Endpoint::http("win", PORT_HTTP),
        Arc::new(NoAuth),
        PATH,
        EnvelopeOptions::default(),
    )
}

fn limits() -> CallLimits {
    CallLimits::default()
}

#[tokio::test]
async fn server_core_with_rras_running() {
    let fake = host(
        os_item(
            "Microsoft\u{ae} Windows Server\u{ae} 2008 Enterprise ",
            Some("Service Pack 2"),
            Some("64-bit"),
            Some(14),
        ),
        Some(format!(
            "{}{}",
            service_item("RemoteAccess", "Running", "Auto"),
            service_item("SharedAccess", "Stopped", "Manual")
        )),
    );
    let reading = read(&session(&fake), &limits()).await.unwrap();
    let f = &reading.facts;
    assert!(reading.unavailable.is_empty());
    assert_eq!(
        f.os.as_deref(),
        Some("Microsoft\u{ae} Windows Server\u{ae} 2008 Enterprise")
    );
    assert_eq!(f.service_pack.as_deref(), Some("Service Pack 2"));
    assert_eq!(f.architecture.as_deref(), Some("x64"));
    assert_eq!(f.server_core, Some(true));
    assert_eq!(f.rras_running, Some(true));
    assert_eq!(f.ics_enabled, Some(false));
    assert_eq!(f.sources.get("rras_running"), Some(&FactSource::Winrm));
    // The services went out as one filtered Enumerate of the namespace.
    let sent = fake.requests();
    let root = crate::wsman::xml::parse(&sent[1].body).unwrap();
    let filter = root
        .child(NS_SOAP12, "Body")
        .and_then(|b| b.child(crate::wsman::envelope::NS_ENUMERATION, "Enumerate"))
        .and_then(|e| e.child(NS_WSMAN, "Filter"))
        .unwrap();
    assert_eq!(filter.attr("", "Dialect"), Some(DIALECT_WQL));
    assert_eq!(filter.text, service::WQL);
    assert!(header_text(&sent[1], NS_WSMAN, "ResourceURI").ends_with("/cimv2/*"));
    // OSArchitecture answered: Win32_ComputerSystem is not asked.
    assert_eq!(sent.len(), 2);
}

#[tokio::test]
async fn xp_without_newer_properties_and_a_rejected_filter() {
    let fake = host(
        os_item(
            "Microsoft Windows XP Tablet PC Edition",
            Some("Service Pack 2"),
            None,
            None,
        ),
        None,
    );
    let reading = read(&session(&fake), &limits()).await.unwrap();
    let f = &reading.facts;
    assert_eq!(
        f.os.as_deref(),
        Some("Microsoft Windows XP Tablet PC Edition")
    );
    // No OSArchitecture on XP: Win32_ComputerSystem's SystemType tells.
    assert_eq!(f.architecture.as_deref(), Some("x86"));
    assert_eq!(f.server_core, None);
    assert_eq!(f.rras_running, None);
    assert_eq!(reading.unavailable.len(), 1);
    assert!(
        reading.unavailable[0].starts_with("Win32_Service:"),
        "{:?}",
        reading.unavailable
    );
    // The operating system, the computer system, and the service filter
    // twice (the fault on the optimized Enumerate brings the plain one).
    let sent = fake.requests();
    assert_eq!(sent.len(), 4);
    assert!(header_text(&sent[1], NS_WSMAN, "ResourceURI").ends_with("/Win32_ComputerSystem"));
}

#[tokio::test]
async fn xp_x64_caption_decides_and_a_faulting_computer_system_is_recorded() {
    let services = || {
        Some(format!(
            "{}{}",
            service_item("RemoteAccess", "Stopped", "Disabled"),
            service_item("SharedAccess", "Running", "Auto")
        ))
    };
    // The caption's "x64 Edition" is the OS's own word: no more requests.
    let fake = host_with_system(
        os_item(
            "Microsoft Windows XP Professional x64 Edition",
            Some("Service Pack 2"),
            None,
            None,
        ),
        None,
        services(),
    );
    let reading = read(&session(&fake), &limits()).await.unwrap();
    assert_eq!(reading.facts.architecture.as_deref(), Some("x64"));
    assert!(reading.unavailable.is_empty(), "{:?}", reading.unavailable);
    assert_eq!(fake.requests().len(), 2);
    // Server 2003 x86 whose Win32_ComputerSystem faults: the rest is read,
    // the architecture stays unknown and the record says why.
    let fake = host_with_system(
        os_item(
            "Microsoft(R) Windows(R) Server 2003, Enterprise Edition",
            Some("Service Pack 2"),
            None,
            None,
        ),
        None,
        services(),
    );
    let reading = read(&session(&fake), &limits()).await.unwrap();
    assert_eq!(reading.facts.architecture, None);
    assert_eq!(reading.facts.rras_running, Some(false));
    assert_eq!(reading.unavailable.len(), 1, "{:?}", reading.unavailable);
    assert!(reading.unavailable[0].starts_with("Win32_ComputerSystem:"));
}

#[test]
fn missing_services_are_stopped_and_xp_firewall_says_nothing_of_ics() {
    let os = OperatingSystem {
        caption: Some("Microsoft Windows XP Professional".into()),
        version: Some("5.1.2600".into()),
        ..OperatingSystem::default()
    };
    let rows = [ServiceRow {
        name: "SharedAccess".into(),
        state: Some("Running".into()),
        start_mode: Some("Auto".into()),
    }];
    let f = facts_of(Some(&os), None, Some(&rows));
    assert_eq!(f.rras_running, Some(false));
    assert_eq!(f.ics_enabled, None);
    let f = facts_of(Some(&os), None, Some(&[]));
    assert_eq!(f.ics_enabled, Some(false));
}

#[test]
fn another_class_is_refused() {
    let xml = format!(
        r#"<p:Win32_Process xmlns:p="{}"><p:Name>x</p:Name></p:Win32_Process>"#,
        class_uri("Win32_Process")
    );
    let el = crate::wsman::xml::parse(xml.as_bytes()).unwrap();
    assert!(OperatingSystem::from_element(&el).is_err());
    assert!(ServiceRow::from_element(&el).is_err());
    assert!(ComputerSystem::from_element(&el).is_err());
}
