//! WinRM's side of WS-Management for the classes `scan --winrm` reads:
//! request fields read by namespace, answers in WinRM's envelope shape (one `p:` prefix bound to
//! the class's resource URI, `xsi:type`, `xml:lang`, nil properties), and
//! the faults WinRM sends for a class or filter it rejects.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::profile::WindowsProfile;
use crate::services::wsman::envelope::escape;

const NS_SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
const NS_ADDR: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
const NS_WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
const NS_ENUM: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
/// WinRM's WMI resource URI prefix (MS-WSMV §3.1.4.1.31).
pub const CIMV2: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/";
/// MS-WSMV's WQL filter dialect.
pub const DIALECT_WQL: &str = "http://schemas.microsoft.com/wbem/wsman/1/WQL";
const NS_WSMANFAULT: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault";

/// The fields of a request the mock answers by.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WinRequest {
    pub action: String,
    pub message_id: String,
    pub resource_uri: String,
    pub filter_dialect: Option<String>,
    pub filter: Option<String>,
}

/// Reads the request fields by namespace; `None` for a body that is not XML.
pub fn parse(body: &[u8]) -> Option<WinRequest> {
    let text = std::str::from_utf8(body).ok()?;
    let mut reader = NsReader::from_str(text);
    let mut req = WinRequest::default();
    let mut current: Option<&'static str> = None;
    let mut value = String::new();
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let ns = match ns {
            ResolveResult::Bound(n) => n.as_ref().to_owned(),
            _ => String::new(),
        };
        match event {
            Event::Start(e) => {
                let local = e.local_name().as_ref().to_owned();
                value.clear();
                current = match (ns.as_str(), local.as_str()) {
                    (NS_ADDR, "Action") => Some("action"),
                    (NS_ADDR, "MessageID") => Some("id"),
                    (NS_WSMAN, "ResourceURI") => Some("uri"),
                    (NS_WSMAN, "Filter") => {
                        req.filter_dialect = e
                            .try_get_attribute("Dialect")
                            .ok()
                            .flatten()
                            .and_then(|a| {
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()
                            })
                            .map(|v| v.into_owned());
                        Some("filter")
                    }
                    _ => None,
                };
            }
            Event::Text(t) if current.is_some() => value.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if current.is_some() => match r.resolve_char_ref() {
                Ok(Some(c)) => value.push(c),
                _ => value.push_str(quick_xml::escape::resolve_predefined_entity(&r).unwrap_or("")),
            },
            Event::End(_) => {
                let text = value.trim().to_string();
                match current.take() {
                    Some("action") => req.action = text,
                    Some("id") => req.message_id = text,
                    Some("uri") => req.resource_uri = text,
                    Some("filter") => req.filter = Some(text),
                    _ => {}
                }
                value.clear();
            }
            Event::Eof => return Some(req),
            _ => {}
        }
    }
}

/// What a WQL filter asks of Win32_Service: the names compared with `=`
/// and joined by OR. Anything else is a filter this mock (and, for a
/// malformed one, WinRM) will not process.
fn service_names(wql: &str) -> Option<Vec<String>> {
    let lower = wql.to_ascii_lowercase();
    let rest = lower.strip_prefix("select * from win32_service")?.trim();
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let cond = rest.strip_prefix("where")?;
    let mut names = Vec::new();
    for term in cond.split(" or ") {
        let (left, right) = term.split_once('=')?;
        if left.trim() != "name" {
            return None;
        }
        let value = right.trim().strip_prefix('\'')?.strip_suffix('\'')?;
        names.push(value.to_string());
    }
    Some(names)
}

/// How the host answers one request: `Ok(body)` for a 200, `Err(body)` for
/// a fault (sent with 500, as WinRM does).
pub fn answer(profile: &WindowsProfile, req: &WinRequest, host: &str) -> Result<String, String> {
    let fault = |subcode: &str, code: u32, reason: &str| {
        Err(fault_envelope(&req.message_id, subcode, code, reason, host))
    };
    if req.action != "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate" {
        return fault(
            "a:ActionNotSupported",
            2150858771,
            "The action is not supported by the service.",
        );
    }
    let Some(class) = req.resource_uri.strip_prefix(CIMV2) else {
        return fault(
            "w:InvalidResourceURI",
            2150858811,
            "The WS-Management service cannot process the request. The resource URI is not valid.",
        );
    };
    let items = match (class, &req.filter) {
        ("Win32_OperatingSystem", None) => os_item(profile),
        ("Win32_ComputerSystem", None) => computer_system_item(profile),
        ("Win32_Service" | "*", Some(wql)) => {
            if req.filter_dialect.as_deref() != Some(DIALECT_WQL) {
                return fault(
                    "w:FilterDialectRequestedUnavailable",
                    2150858780,
                    "The requested filter dialect is not supported.",
                );
            }
            let Some(names) = service_names(wql) else {
                return fault(
                    "w:CannotProcessFilter",
                    2150858778,
                    "The data source could not process the filter. The filter might be missing or it might be invalid. Change the filter and try the request again.",
                );
            };
            profile
                .services()
                .into_iter()
                .filter(|(n, _, _)| {
                    names.is_empty() || names.iter().any(|w| w.eq_ignore_ascii_case(n))
                })
                .map(service_item)
                .collect()
        }
        ("Win32_Service", None) => profile.services().into_iter().map(service_item).collect(),
        _ => {
            return fault(
                "a:DestinationUnreachable",
                2150858752,
                "The WS-Management service cannot process the request. The WMI service returned an 'invalid class' error.",
            )
        }
    };
    Ok(format!(
        concat!(
            r#"<s:Envelope xml:lang="en-US" xmlns:s="{soap}" xmlns:a="{addr}" xmlns:n="{en}" xmlns:w="{wsman}" "#,
            r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
            "<s:Header><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>",
            "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse</a:Action>",
            "<a:MessageID>uuid:{id}</a:MessageID><a:RelatesTo>{relates}</a:RelatesTo></s:Header>",
            "<s:Body><n:EnumerateResponse><n:EnumerationContext></n:EnumerationContext>",
            "<w:Items>{items}</w:Items><w:EndOfSequence/></n:EnumerateResponse></s:Body></s:Envelope>"
        ),
        soap = NS_SOAP,
        addr = NS_ADDR,
        en = NS_ENUM,
        wsman = NS_WSMAN,
        id = next_id(),
        relates = escape(&req.message_id),
        items = items,
    ))
}

fn next_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!(
        "7C3E0A5B-1D2F-4E6A-9B8C-{:012X}",
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn property(out: &mut String, name: &str, value: Option<&str>) {
    match value {
        Some(v) => out.push_str(&format!("<p:{name}>{}</p:{name}>", escape(v))),
        None => out.push_str(&format!(r#"<p:{name} xsi:nil="true"/>"#)),
    }
}

fn os_item(p: &WindowsProfile) -> String {
    let mut out = format!(
        r#"<p:Win32_OperatingSystem xmlns:p="{CIMV2}Win32_OperatingSystem" xsi:type="p:Win32_OperatingSystem_Type" xml:lang="en-US">"#
    );
    property(&mut out, "BootDevice", Some("\\Device\\HarddiskVolume1"));
    property(&mut out, "BuildNumber", Some(p.build));
    property(&mut out, "Caption", Some(p.caption));
    property(&mut out, "CSDVersion", p.csd_version);
    property(&mut out, "CSName", Some("WINHOST"));
    // Properties a release does not have are absent, not nil.
    if let Some(arch) = p.os_architecture {
        property(&mut out, "OSArchitecture", Some(arch));
    }
    if let Some(sku) = p.sku {
        property(&mut out, "OperatingSystemSKU", Some(&sku.to_string()));
    }
    property(&mut out, "OSType", Some("18"));
    property(&mut out, "Version", Some(p.version));
    out.push_str("</p:Win32_OperatingSystem>");
    out
}

/// The machine: what XP and 2003 tell their architecture by (SystemType).
fn computer_system_item(p: &WindowsProfile) -> String {
    let mut out = format!(
        r#"<p:Win32_ComputerSystem xmlns:p="{CIMV2}Win32_ComputerSystem" xsi:type="p:Win32_ComputerSystem_Type" xml:lang="en-US">"#
    );
    property(&mut out, "Domain", Some("WORKGROUP"));
    property(&mut out, "Manufacturer", Some("Intel Corporation"));
    property(&mut out, "Model", Some("DQ965GF"));
    property(&mut out, "Name", Some("WINHOST"));
    property(&mut out, "SystemType", Some(p.system_type()));
    out.push_str("</p:Win32_ComputerSystem>");
    out
}

fn service_item((name, state, mode): (&str, &str, &str)) -> String {
    let mut out = format!(
        r#"<p:Win32_Service xmlns:p="{CIMV2}Win32_Service" xsi:type="p:Win32_Service_Type" xml:lang="en-US">"#
    );
    property(&mut out, "AcceptPause", Some("false"));
    property(
        &mut out,
        "AcceptStop",
        Some(if state == "Running" { "true" } else { "false" }),
    );
    property(&mut out, "Caption", Some(name));
    property(&mut out, "Name", Some(name));
    property(&mut out, "StartMode", Some(mode));
    property(
        &mut out,
        "Started",
        Some(if state == "Running" { "true" } else { "false" }),
    );
    property(&mut out, "State", Some(state));
    out.push_str("</p:Win32_Service>");
    out
}

fn fault_envelope(relates: &str, subcode: &str, code: u32, reason: &str, host: &str) -> String {
    format!(
        concat!(
            r#"<s:Envelope xml:lang="en-US" xmlns:s="{soap}" xmlns:a="{addr}" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" "#,
            r#"xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:n="{en}" xmlns:w="{wsman}">"#,
            "<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>",
            "<a:MessageID>uuid:{id}</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>",
            "<a:RelatesTo>{relates}</a:RelatesTo></s:Header><s:Body><s:Fault>",
            "<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>{subcode}</s:Value></s:Subcode></s:Code>",
            r#"<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>"#,
            r#"<s:Detail><f:WSManFault xmlns:f="{wf}" Code="{code}" Machine="{host}"><f:Message>{reason}</f:Message></f:WSManFault></s:Detail>"#,
            "</s:Fault></s:Body></s:Envelope>"
        ),
        soap = NS_SOAP,
        addr = NS_ADDR,
        en = NS_ENUM,
        wsman = NS_WSMAN,
        wf = NS_WSMANFAULT,
        id = next_id(),
        relates = escape(relates),
        subcode = subcode,
        reason = reason,
        code = code,
        host = escape(host),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wql_names_and_rejections() {
        assert_eq!(
            service_names(
                "SELECT * FROM Win32_Service WHERE Name = 'RemoteAccess' OR Name='SharedAccess'"
            ),
            Some(vec!["remoteaccess".to_string(), "sharedaccess".to_string()])
        );
        assert_eq!(
            service_names("SELECT * FROM Win32_Service WHERE State = 'x'"),
            None
        );
        assert_eq!(service_names("DROP TABLE"), None);
    }

    fn request(uri: &str, filter: Option<&str>) -> WinRequest {
        WinRequest {
            action: "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate".into(),
            message_id: "uuid:1".into(),
            resource_uri: format!("{CIMV2}{uri}"),
            filter_dialect: filter.map(|_| DIALECT_WQL.to_string()),
            filter: filter.map(str::to_string),
        }
    }

    #[test]
    fn rejected_classes_and_filters_fault_as_winrm_does() {
        let p = WindowsProfile::builtin("xp-sp3").unwrap();
        let bad_class = answer(&p, &request("Win32_Bogus", None), "h").unwrap_err();
        assert!(
            bad_class.contains("a:DestinationUnreachable") && bad_class.contains("'invalid class'")
        );
        let bad_filter = answer(
            &p,
            &request("*", Some("SELECT * FROM Win32_Service WHERE State = 'x'")),
            "h",
        )
        .unwrap_err();
        assert!(
            bad_filter.contains("w:CannotProcessFilter")
                && bad_filter.contains("Code=\"2150858778\"")
        );
        let os = answer(&p, &request("Win32_OperatingSystem", None), "h").unwrap();
        // XP has no OSArchitecture: absent, not nil.
        assert!(
            os.contains("<p:CSDVersion>Service Pack 3</p:CSDVersion>")
                && !os.contains("OSArchitecture")
        );
        let one = answer(
            &p,
            &request(
                "*",
                Some("SELECT * FROM Win32_Service WHERE Name = 'RemoteAccess'"),
            ),
            "h",
        )
        .unwrap();
        assert!(one.contains("<p:Name>RemoteAccess</p:Name>") && !one.contains("SharedAccess"));
    }

    #[test]
    fn every_release_answers_computer_system_and_pre_vista_lacks_the_newer_properties() {
        for name in WindowsProfile::names() {
            let p = WindowsProfile::builtin(name).unwrap();
            let cs = answer(&p, &request("Win32_ComputerSystem", None), "h").unwrap();
            assert!(
                cs.contains(&format!("<p:SystemType>{}</p:SystemType>", p.system_type())),
                "{name}: {cs}"
            );
            let os = answer(&p, &request("Win32_OperatingSystem", None), "h").unwrap();
            let pre_vista = p.version.starts_with("5.");
            assert_eq!(!os.contains("OSArchitecture"), pre_vista, "{name}: {os}");
            assert_eq!(
                !os.contains("OperatingSystemSKU"),
                pre_vista,
                "{name}: {os}"
            );
        }
    }
}
