//! EOI SOAP 1.1 (AMT 1.x to 8.x): the calls amttool's `info` and `netinfo` make.
//!
//! amttool (SOAP::Lite) reads the first child of the response element as the
//! result and the following children, by position, as the output parameters,
//! so element order matters more than names here.

use quick_xml::events::Event;
use quick_xml::NsReader;

use crate::classes::power_management_service::request_power_state;
use crate::device::{Answer, Device};
use crate::http::{self, Request};
use crate::nic::Nic;
use crate::profile::Profile;
use crate::services::wsman::envelope::escape;

const NS_SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SCHEMA_BASE: &str = "http://schemas.intel.com/platform/client";

/// The EOI service for a request path, if it is one we serve.
pub fn service_for_path(path: &str) -> Option<&'static str> {
    match path.split('?').next().unwrap_or(path) {
        "/SecurityAdministrationService" => Some("SecurityAdministration"),
        "/NetworkAdministrationService" => Some("NetworkAdministration"),
        "/RemoteControlService" => Some("RemoteControl"),
        _ => None,
    }
}

/// The method a request calls: from SOAPAction (`…/2004/01#Method` or
/// `…/2004/01/Method`, quoted or not), else the first element of the Body.
pub fn method_of(soap_action: Option<&str>, body: &[u8]) -> Option<String> {
    if let Some(action) = soap_action {
        let action = action.trim().trim_matches('"');
        let method = action.rsplit(['#', '/']).next().unwrap_or("");
        if !method.is_empty() {
            return Some(method.to_owned());
        }
    }
    let text = std::str::from_utf8(body).ok()?;
    let mut reader = NsReader::from_str(text);
    let mut in_body = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => {
                let local = e.local_name().as_ref().to_owned();
                if in_body {
                    return Some(local);
                }
                if local == "Body" {
                    in_body = true;
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// The interface as EOI's NetworkAdministration `InterfaceDescriptorGetType`
/// gives it (addresses as 32-bit numbers, as amttool prints them).
fn interface_descriptor(p: &str, nic: &Nic) -> String {
    let mac = nic.mac_text(true);
    let ip = u32::from(nic.address);
    let mask = u32::from(nic.mask);
    let gateway = u32::from(nic.gateway);
    format!(
        "<{p}:InterfaceDescriptor>\
<{p}:HardwareAddressDescription>Intel(R) 82566DM Gigabit Network Connection</{p}:HardwareAddressDescription>\
<{p}:MACAddress>{mac}</{p}:MACAddress>\
<{p}:InterfaceMode>SHARED_MAC_ADDRESS</{p}:InterfaceMode>\
<{p}:LinkPolicy>31</{p}:LinkPolicy>\
<{p}:DhcpEnabled>true</{p}:DhcpEnabled>\
<{p}:IPv4Parameters>\
<{p}:LocalAddress>{ip}</{p}:LocalAddress>\
<{p}:SubnetMask>{mask}</{p}:SubnetMask>\
<{p}:DefaultGatewayAddress>{gateway}</{p}:DefaultGatewayAddress>\
<{p}:PrimaryDnsAddress>{gateway}</{p}:PrimaryDnsAddress>\
<{p}:SecondaryDnsAddress>0</{p}:SecondaryDnsAddress>\
</{p}:IPv4Parameters>\
</{p}:InterfaceDescriptor>",
    )
}

/// "Command is not permitted in current operating mode" (Intel's PT_STATUS list).
const PT_STATUS_INVALID_PT_MODE: u8 = 3;

/// A `<Method>Response` around `inner`, in the service's namespace.
fn envelope(p: &str, service: &str, method: &str, inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"{NS_SOAP11}\" xmlns:{p}=\"{SCHEMA_BASE}/{service}/2004/01\"><SOAP-ENV:Body><{p}:{method}Response>{inner}</{p}:{method}Response></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
}

/// The answer to one EOI call, or `None` for an unknown method. `nic` is the
/// device's interface and `power_state` its CIM PowerState now (a WS-Man
/// RequestPowerStateChange changes what GetSystemPowerState says).
pub fn respond(
    profile: &Profile,
    service: &str,
    method: &str,
    nic: &Nic,
    power_state: u8,
) -> Option<String> {
    let p = &profile.eoi_prefix;
    // Structured answers: the interface list and one interface's settings,
    // which `amttool netinfo` prints.
    let raw: Option<String> = match (service, method) {
        ("NetworkAdministration", "EnumerateInterfaces") => Some(format!(
            "<{p}:StatusCode>0</{p}:StatusCode><{p}:InterfaceHandles>0</{p}:InterfaceHandles>"
        )),
        ("NetworkAdministration", "GetInterfaceSettings") => Some(format!(
            "<{p}:StatusCode>0</{p}:StatusCode>{}",
            interface_descriptor(p, nic)
        )),
        _ => None,
    };
    if let Some(inner) = raw {
        return Some(envelope(p, service, method, &inner));
    }
    // CIM PowerState 2 (on) is S0 in EOI's SystemPowerState; anything else we
    // model as S5 (soft off).
    let system_power_state = if power_state == 2 { "0" } else { "5" };
    let values: Vec<(&str, String)> = match (service, method) {
        ("SecurityAdministration", "GetCoreVersion") => vec![
            ("StatusCode", "0".into()),
            ("Version", profile.version.clone()),
        ],
        ("NetworkAdministration", "GetHostName") => vec![
            ("StatusCode", "0".into()),
            ("HostName", profile.hostname.clone()),
        ],
        ("NetworkAdministration", "GetDomainName") => vec![
            ("StatusCode", "0".into()),
            ("DomainName", profile.domain.clone()),
        ],
        ("RemoteControl", "GetSystemPowerState") => vec![
            ("Status", "0".into()),
            ("SystemPowerState", system_power_state.into()),
        ],
        ("RemoteControl", "GetRemoteControlCapabilities") => vec![
            ("Status", "0".into()),
            // Intel's IANA enterprise number.
            ("IanaOemNumber", "343".into()),
            // IDER, SOL, BIOS reflash, setup, pause.
            ("OemDefinedCapabilities", "31".into()),
            // PXE, HD, HD safe mode, diagnostics, CD boot.
            ("SpecialCommandsSupported", "7936".into()),
            // power cycle, down, up, reset.
            ("SystemCapabilitiesSupported", "15".into()),
            ("SystemFirmwareCapabilities", "0".into()),
        ],
        _ => return None,
    };
    // Before setup, remote control is not permitted (see crate::classes,
    // "Before setup"): PT_STATUS_INVALID_PT_MODE and no values.
    if service == "RemoteControl" && !remote_control_permitted(profile) {
        return Some(envelope(
            p,
            service,
            method,
            &format!("<{p}:Status>{PT_STATUS_INVALID_PT_MODE}</{p}:Status>"),
        ));
    }
    let inner: String = values
        .iter()
        .map(|(name, value)| format!("<{p}:{name}>{}</{p}:{name}>", escape(value)))
        .collect();
    Some(envelope(p, service, method, &inner))
}

/// Remote control is served only once setup is done (see crate::classes,
/// "Before setup"); before, every RemoteControl call answers
/// PT_STATUS_INVALID_PT_MODE.
fn remote_control_permitted(profile: &Profile) -> bool {
    profile.provisioning_state() == 2
}

/// A SOAP 1.1 Client fault for a method we do not implement.
pub fn unknown_method_fault(method: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"{NS_SOAP11}\"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>Method '{}' not implemented</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>",
        escape(method)
    )
}

const SOAP11_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// "An internal error": what we answer when a RemoteControl command does
/// not fit the machine's state (power up while on), as WS-Man's
/// RequestPowerStateChange answers 2 (our modelling, see
/// `classes::power_management_service`).
const PT_STATUS_INTERNAL_ERROR: u8 = 1;
/// "Invalid parameter": a Command RemoteControl does not know.
const PT_STATUS_INVALID_PARAMETER: u8 = 0x24;

/// The CIM PowerState an EOI RemoteControl `Command` asks for. The commands
/// are those of Intel's RemoteControl service (Reset 16, PowerUp 17,
/// PowerDown 18, PowerCycleReset 19), which amttool and amtc send.
fn requested_power_state(command: u32) -> Option<u8> {
    match command {
        16 => Some(10),
        17 => Some(2),
        18 => Some(8),
        19 => Some(5),
        _ => None,
    }
}

/// The text of the first element named `local` in an EOI body (the
/// request's `Command`), whatever its prefix.
fn element_text(body: &[u8], local: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let mut reader = NsReader::from_str(text);
    let mut inside = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => inside = e.local_name().as_ref() == local,
            Event::Text(t) if inside => return Some(t.xml10_content().trim().to_owned()),
            Event::End(_) => inside = false,
            Event::Eof => return None,
            _ => {}
        }
    }
}

impl Device {
    pub(crate) fn eoi(&self, req: &Request, path: &str) -> Answer {
        let Some(service) = service_for_path(path) else {
            return Answer::close(http::empty_response(404, self.server()));
        };
        let method = method_of(req.header("soapaction"), &req.body).unwrap_or_default();
        if service == "RemoteControl" && method == "RemoteControl" {
            return self.remote_control(req);
        }
        let nic = Nic::for_listen(self.cfg.listen.ip());
        match respond(
            &self.cfg.profile,
            service,
            &method,
            &nic,
            self.power_state(),
        ) {
            Some(body) => Answer::keep(http::soap_response(
                200,
                self.server(),
                SOAP11_CONTENT_TYPE,
                body.as_bytes(),
            )),
            None => Answer::close(http::soap_response(
                500,
                self.server(),
                SOAP11_CONTENT_TYPE,
                unknown_method_fault(&method).as_bytes(),
            )),
        }
    }

    /// RemoteControl's power commands, on the same state WS-Man changes.
    fn remote_control(&self, req: &Request) -> Answer {
        let profile = &self.cfg.profile;
        let status = if !remote_control_permitted(profile) {
            PT_STATUS_INVALID_PT_MODE
        } else {
            match element_text(&req.body, "Command")
                .and_then(|c| c.parse::<u32>().ok())
                .and_then(requested_power_state)
            {
                None => PT_STATUS_INVALID_PARAMETER,
                Some(requested) => {
                    let Ok(mut st) = self.state.lock() else {
                        return Answer::close(http::empty_response(500, self.server()));
                    };
                    if request_power_state(profile, &mut st.live, requested) {
                        0
                    } else {
                        PT_STATUS_INTERNAL_ERROR
                    }
                }
            }
        };
        let p = &profile.eoi_prefix;
        let body = envelope(
            p,
            "RemoteControl",
            "RemoteControl",
            &format!("<{p}:Status>{status}</{p}:Status>"),
        );
        Answer::keep(http::soap_response(
            200,
            self.server(),
            SOAP11_CONTENT_TYPE,
            body.as_bytes(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soap_action_with_hash_slash_or_body() {
        let base = "http://schemas.intel.com/platform/client/RemoteControl/2004/01";
        assert_eq!(
            method_of(Some(&format!("\"{base}#GetSystemPowerState\"")), b"").as_deref(),
            Some("GetSystemPowerState")
        );
        assert_eq!(
            method_of(Some(&format!("{base}/GetSystemPowerState")), b"").as_deref(),
            Some("GetSystemPowerState")
        );
        let body = br#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetCoreVersion xmlns="x"/></soap:Body></soap:Envelope>"#;
        assert_eq!(method_of(None, body).as_deref(), Some("GetCoreVersion"));
    }

    #[test]
    fn status_comes_first_then_values_in_amttool_order() {
        let p = Profile::builtin("amt-7.1").unwrap();
        let r = respond(
            &p,
            "RemoteControl",
            "GetSystemPowerState",
            &Nic::for_listen(std::net::Ipv4Addr::LOCALHOST.into()),
            2,
        )
        .unwrap();
        assert!(
            r.contains("<b:Status>0</b:Status><b:SystemPowerState>0</b:SystemPowerState>"),
            "{r}"
        );
        let p = Profile::builtin("amt-5.0").unwrap();
        let r = respond(
            &p,
            "SecurityAdministration",
            "GetCoreVersion",
            &Nic::for_listen(std::net::Ipv4Addr::LOCALHOST.into()),
            2,
        )
        .unwrap();
        assert!(
            r.contains("<s0:StatusCode>0</s0:StatusCode><s0:Version>5.0.50</s0:Version>"),
            "{r}"
        );
        assert!(respond(
            &p,
            "RemoteControl",
            "Explode",
            &Nic::for_listen(std::net::Ipv4Addr::LOCALHOST.into()),
            2
        )
        .is_none());
    }
}
