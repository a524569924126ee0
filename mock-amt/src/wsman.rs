//! WS-Management over SOAP 1.2: reading requests by namespace URI (clients use
//! any prefixes) and writing answers in the firmware's envelope shape.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::profile::Profile;

pub const NS_SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const NS_ADDR: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
pub const NS_WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
pub const NS_ENUM: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
pub const NS_TRANSFER: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
pub const NS_IDENTITY: &str = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";
const NS_TRUST: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust";
const NS_SECEXT: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const NS_CIMBINDING: &str = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd";
const NS_EVENTING: &str = "http://schemas.xmlsoap.org/ws/2004/08/eventing";
const NS_COMMON: &str = "http://schemas.dmtf.org/wbem/wscim/1/common";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const ANONYMOUS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

pub const ACTION_GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
pub const ACTION_ENUMERATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
pub const ACTION_PULL: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";

/// The classes this mock serves, with their resource URI prefix.
const CLASSES: &[(&str, &str)] = &[
    (
        "AMT_TLSSettingData",
        "http://intel.com/wbem/wscim/1/amt-schema/1/",
    ),
    (
        "CIM_SoftwareIdentity",
        "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/",
    ),
    (
        "AMT_SetupAndConfigurationService",
        "http://intel.com/wbem/wscim/1/amt-schema/1/",
    ),
    (
        "IPS_HostBasedSetupService",
        "http://intel.com/wbem/wscim/1/ips-schema/1/",
    ),
    (
        "AMT_GeneralSettings",
        "http://intel.com/wbem/wscim/1/amt-schema/1/",
    ),
    (
        "AMT_ProvisioningCertificateHash",
        "http://intel.com/wbem/wscim/1/amt-schema/1/",
    ),
    (
        "CIM_AssociatedPowerManagementService",
        "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/",
    ),
];

/// Longest enumeration page we hand out, as AMT clients use up to 999.
pub const MAX_ELEMENTS_CAP: usize = 999;

/// What a WS-Man request asks for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WsmanRequest {
    pub action: Option<String>,
    pub message_id: Option<String>,
    pub resource_uri: Option<String>,
    /// Selector Name → value.
    pub selectors: Vec<(String, String)>,
    /// Body element in the enumeration namespace (`Enumerate`, `Pull`, ...).
    pub enumeration_op: Option<String>,
    pub enumeration_context: Option<String>,
    pub max_elements: Option<usize>,
    /// An Enumerate with `wsman:OptimizeEnumeration`: the items go in the answer.
    pub optimize: bool,
    /// `wsman:MaxElements` of an optimized Enumerate.
    pub optimize_max: Option<usize>,
    /// The body holds a WS-Man Identify.
    pub identify: bool,
}

/// The request body is not well-formed XML or not a SOAP 1.2 envelope.
#[derive(Debug, thiserror::Error)]
#[error("invalid WS-Man request: {0}")]
pub struct ParseError(String);

#[derive(Clone, Copy, PartialEq)]
enum Field {
    None,
    Action,
    MessageId,
    ResourceUri,
    Selector,
    Context,
    MaxElements,
    OptimizeMax,
}

/// Parses a request by namespace URI.
pub fn parse_request(body: &[u8]) -> Result<WsmanRequest, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError("not UTF-8".into()))?;
    let mut reader = NsReader::from_str(text);
    let mut req = WsmanRequest::default();
    let mut depth = 0usize;
    let mut in_body = false;
    let mut body_depth = 0usize;
    let mut saw_envelope = false;
    let mut field = Field::None;
    let mut selector_name = String::new();
    let mut value = String::new();
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| ParseError(e.to_string()))?;
        let ns_uri = match ns {
            ResolveResult::Bound(n) => n.as_ref().to_owned(),
            _ => String::new(),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let local = e.local_name().as_ref().to_owned();
                depth += 1;
                if depth == 1 {
                    if ns_uri != NS_SOAP || local != "Envelope" {
                        return Err(ParseError("root is not a SOAP 1.2 Envelope".into()));
                    }
                    saw_envelope = true;
                }
                if depth == 2 && ns_uri == NS_SOAP && local == "Body" {
                    in_body = !is_empty;
                    body_depth = depth;
                }
                if in_body && depth == body_depth + 1 {
                    if ns_uri == NS_ENUM {
                        req.enumeration_op = Some(local.clone());
                    } else if ns_uri == NS_IDENTITY && local == "Identify" {
                        req.identify = true;
                    }
                }
                field = match (ns_uri.as_str(), local.as_str()) {
                    (NS_ADDR, "Action") if depth == 3 => Field::Action,
                    (NS_ADDR, "MessageID") if depth == 3 => Field::MessageId,
                    (NS_WSMAN, "ResourceURI") if depth == 3 => Field::ResourceUri,
                    (NS_WSMAN, "Selector") => {
                        selector_name = e
                            .try_get_attribute("Name")
                            .ok()
                            .flatten()
                            .and_then(|a| {
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()
                            })
                            .map(|v| v.into_owned())
                            .unwrap_or_default();
                        Field::Selector
                    }
                    (NS_ENUM, "EnumerationContext") if in_body => Field::Context,
                    (NS_ENUM, "MaxElements") if in_body => Field::MaxElements,
                    (NS_WSMAN, "OptimizeEnumeration") if in_body => {
                        req.optimize = true;
                        Field::None
                    }
                    (NS_WSMAN, "MaxElements") if in_body => Field::OptimizeMax,
                    _ => Field::None,
                };
                value.clear();
                if is_empty {
                    finish_field(&mut req, field, &selector_name, "");
                    field = Field::None;
                    depth -= 1;
                }
            }
            Event::Text(t) if field != Field::None => value.push_str(&t.xml10_content()),
            Event::CData(t) if field != Field::None => value.push_str(&t),
            Event::GeneralRef(r) if field != Field::None => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = resolved {
                    value.push(c);
                }
            }
            Event::End(_) => {
                if field != Field::None {
                    finish_field(&mut req, field, &selector_name, value.trim());
                    field = Field::None;
                }
                if in_body && depth == body_depth {
                    in_body = false;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => {
                if depth != 0 {
                    return Err(ParseError("document ends inside an element".into()));
                }
                break;
            }
            _ => {}
        }
    }
    if !saw_envelope {
        return Err(ParseError("no envelope".into()));
    }
    Ok(req)
}

fn finish_field(req: &mut WsmanRequest, field: Field, selector_name: &str, value: &str) {
    let v = value.to_owned();
    match field {
        Field::None => {}
        Field::Action => req.action = Some(v),
        Field::MessageId => req.message_id = Some(v),
        Field::ResourceUri => req.resource_uri = Some(v),
        Field::Selector => req.selectors.push((selector_name.to_owned(), v)),
        Field::Context => req.enumeration_context = Some(v),
        Field::MaxElements => req.max_elements = v.parse().ok(),
        Field::OptimizeMax => req.optimize_max = v.parse().ok(),
    }
}

/// The class name for a resource URI, if it is one we know.
pub fn class_for_uri(uri: &str) -> Option<&'static str> {
    CLASSES.iter().find_map(|(class, prefix)| {
        let rest = uri.strip_prefix(prefix)?;
        (rest == *class).then_some(*class)
    })
}

/// One property value of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prop {
    /// A scalar, escaped when written.
    Text(String),
    /// A multi-valued property: the element repeats.
    Many(Vec<String>),
    /// An endpoint reference (resource URI and selectors), written with the
    /// addressing (`b:`) and wsman (`c:`) prefixes.
    Epr {
        resource_uri: String,
        selectors: Vec<(String, String)>,
    },
}

/// One instance: property name and value. Written in ASCII order of name.
pub type Instance = Vec<(String, Prop)>;

fn text(s: impl Into<String>) -> Prop {
    Prop::Text(s.into())
}

fn bool_text(b: bool) -> Prop {
    text(if b { "true" } else { "false" })
}

/// AMT_TLSSettingData: the network interface's settings as the device runs
/// them, then the local (LMS) interface's, which stays off.
pub fn tls_setting_instances(
    enabled: bool,
    mutual: bool,
    accept_non_secure: bool,
) -> Vec<Instance> {
    let one = |id: &str, enabled: bool, mutual: bool, accept: bool| {
        vec![
            ("AcceptNonSecureConnections".to_owned(), bool_text(accept)),
            ("ElementName".to_owned(), text(id)),
            ("Enabled".to_owned(), bool_text(enabled)),
            ("InstanceID".to_owned(), text(id)),
            ("MutualAuthentication".to_owned(), bool_text(mutual)),
        ]
    };
    vec![
        one(
            "Intel(r) AMT 802.3 TLS Settings",
            enabled,
            mutual,
            accept_non_secure,
        ),
        one("Intel(r) AMT LMS TLS Settings", false, false, true),
    ]
}

/// XML-escapes character data and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// Deterministic pseudo-random bytes from a seed, so generated hash lists are
/// stable across runs.
fn seeded_bytes(seed: &str, len: usize) -> Vec<u8> {
    use md5::{Digest, Md5};
    let mut out = Vec::with_capacity(len + 16);
    let mut block = 0u32;
    while out.len() < len {
        let mut h = Md5::new();
        h.update(seed.as_bytes());
        h.update(block.to_le_bytes());
        out.extend_from_slice(&h.finalize());
        block += 1;
    }
    out.truncate(len);
    out
}

/// The instances of `class` on this firmware, or `None` if the class is absent.
pub fn instances(profile: &Profile, class: &str) -> Option<Vec<Instance>> {
    if !profile.has_class(class) {
        return None;
    }
    let inst = match class {
        "CIM_SoftwareIdentity" => profile
            .software
            .iter()
            .map(|e| {
                vec![
                    ("InstanceID".to_owned(), text(e.id.clone())),
                    ("IsEntity".to_owned(), text("true")),
                    ("VersionString".to_owned(), text(e.version.clone())),
                ]
            })
            .collect(),
        "AMT_SetupAndConfigurationService" => {
            let mut i = vec![
                ("CreationClassName".to_owned(), text(class)),
                (
                    "ElementName".to_owned(),
                    text("Intel(r) AMT Setup and Configuration Service"),
                ),
                ("EnabledState".to_owned(), text("5")),
                (
                    "Name".to_owned(),
                    text("Intel(r) AMT Setup and Configuration Service"),
                ),
                (
                    "PasswordModel".to_owned(),
                    text(profile.password_model.to_string()),
                ),
                ("ProvisioningServerOTP".to_owned(), text("AAAAAAAAAAA=")),
                (
                    "ProvisioningState".to_owned(),
                    text(profile.provisioning_state.to_string()),
                ),
                ("RequestedState".to_owned(), text("12")),
                (
                    "SystemCreationClassName".to_owned(),
                    text("CIM_ComputerSystem"),
                ),
                ("SystemName".to_owned(), text("Intel(r) AMT")),
                (
                    "ZeroTouchConfigurationEnabled".to_owned(),
                    bool_text(profile.zero_touch),
                ),
            ];
            if let Some(mode) = profile.provisioning_mode {
                i.push(("ProvisioningMode".to_owned(), text(mode.to_string())));
            }
            if profile.provisioning_pid {
                i.push(("ProvisioningPID".to_owned(), text("AAAAAAAAAAA=")));
            }
            if let Some(s) = &profile.dhcp_dns_suffix {
                i.push(("DhcpDNSSuffix".to_owned(), text(s.clone())));
            }
            if let Some(s) = &profile.trusted_dns_suffix {
                i.push(("TrustedDNSSuffix".to_owned(), text(s.clone())));
            }
            vec![i]
        }
        "IPS_HostBasedSetupService" => {
            let nonce = seeded_bytes(&format!("{}-nonce", profile.name), 20);
            vec![vec![
                (
                    "AllowedControlModes".to_owned(),
                    Prop::Many(
                        profile
                            .allowed_control_modes
                            .iter()
                            .map(u8::to_string)
                            .collect(),
                    ),
                ),
                ("CertChainStatus".to_owned(), text("0")),
                ("ConfigurationNonce".to_owned(), text(b64(&nonce))),
                ("CreationClassName".to_owned(), text(class)),
                (
                    "CurrentControlMode".to_owned(),
                    text(profile.control_mode.unwrap_or(0).to_string()),
                ),
                (
                    "ElementName".to_owned(),
                    text("Intel(r) AMT Host Based Setup Service"),
                ),
                (
                    "Name".to_owned(),
                    text("Intel(r) AMT Host Based Setup Service"),
                ),
                (
                    "SystemCreationClassName".to_owned(),
                    text("CIM_ComputerSystem"),
                ),
                ("SystemName".to_owned(), text("Intel(r) AMT")),
            ]]
        }
        "AMT_GeneralSettings" => {
            let mut i = vec![
                ("DDNSPeriodicUpdateInterval".to_owned(), text("1440")),
                ("DDNSTTL".to_owned(), text("900")),
                ("DDNSUpdateByDHCPServerEnabled".to_owned(), text("true")),
                ("DDNSUpdateEnabled".to_owned(), text("false")),
                ("DHCPv6ConfigurationTimeout".to_owned(), text("0")),
                ("DigestRealm".to_owned(), text(profile.realm.clone())),
                ("DomainName".to_owned(), text(profile.domain.clone())),
                (
                    "ElementName".to_owned(),
                    text("Intel(r) AMT: General Settings"),
                ),
                ("HostName".to_owned(), text(profile.hostname.clone())),
                (
                    "HostOSFQDN".to_owned(),
                    text(format!("{}.{}", profile.hostname, profile.domain)),
                ),
                ("IdleWakeTimeout".to_owned(), text("1")),
                (
                    "InstanceID".to_owned(),
                    text("Intel(r) AMT: General Settings"),
                ),
                (
                    "NetworkInterfaceEnabled".to_owned(),
                    bool_text(profile.network_interface_enabled),
                ),
                ("PingResponseEnabled".to_owned(), text("true")),
                ("PowerSource".to_owned(), text("0")),
                ("PreferredAddressFamily".to_owned(), text("0")),
                ("PresenceNotificationInterval".to_owned(), text("0")),
                ("PrivacyLevel".to_owned(), text("0")),
                ("RmcpPingResponseEnabled".to_owned(), text("true")),
                ("SharedFQDN".to_owned(), text("true")),
                ("WsmanOnlyMode".to_owned(), text("false")),
            ];
            if profile.amt_network_enabled {
                i.push(("AMTNetworkEnabled".to_owned(), text("1")));
            }
            if profile.thunderbolt_dock {
                i.push(("ThunderboltDockEnabled".to_owned(), text("0")));
            }
            vec![i]
        }
        "AMT_ProvisioningCertificateHash" => {
            let Some(spec) = &profile.cert_hashes else {
                return Some(Vec::new());
            };
            let len = match spec.hash_type {
                0 => 16,
                1 => 20,
                3 => 48,
                _ => 32,
            };
            (1..=spec.count)
                .map(|n| {
                    let data = seeded_bytes(&format!("{}-hash-{n}", profile.name), len);
                    let enabled = n + spec.disabled <= spec.count;
                    vec![
                        (
                            "ElementName".to_owned(),
                            text("Intel(r) AMT: Provisioning Certificate Hash"),
                        ),
                        ("Enabled".to_owned(), bool_text(enabled)),
                        ("HashData".to_owned(), text(b64(&data))),
                        ("HashType".to_owned(), text(spec.hash_type.to_string())),
                        (
                            "InstanceID".to_owned(),
                            text(format!("Certificate Hash {n}")),
                        ),
                        ("IsDefault".to_owned(), text("true")),
                    ]
                })
                .collect()
        }
        "CIM_AssociatedPowerManagementService" => {
            let mut i = vec![
                ("PowerState".to_owned(), text(profile.power_state.to_string())),
                (
                    "ServiceProvided".to_owned(),
                    Prop::Epr {
                        resource_uri:
                            "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService"
                                .to_owned(),
                        selectors: vec![
                            ("CreationClassName".to_owned(), "CIM_PowerManagementService".to_owned()),
                            ("Name".to_owned(), "Intel(r) AMT Power Management Service".to_owned()),
                            ("SystemCreationClassName".to_owned(), "CIM_ComputerSystem".to_owned()),
                            ("SystemName".to_owned(), "Intel(r) AMT".to_owned()),
                        ],
                    },
                ),
                (
                    "UserOfService".to_owned(),
                    Prop::Epr {
                        resource_uri: "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ComputerSystem"
                            .to_owned(),
                        selectors: vec![
                            ("CreationClassName".to_owned(), "CIM_ComputerSystem".to_owned()),
                            ("Name".to_owned(), "ManagedSystem".to_owned()),
                        ],
                    },
                ),
            ];
            if profile.available_power_states {
                i.push((
                    "AvailableRequestedPowerStates".to_owned(),
                    Prop::Many(
                        ["8", "5", "2", "10", "11", "12", "14"]
                            .map(String::from)
                            .to_vec(),
                    ),
                ));
            } else {
                i.push(("RequestedPowerState".to_owned(), text("2")));
            }
            vec![i]
        }
        _ => return None,
    };
    Some(inst)
}

fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Writes one instance as `<p:Class>…</p:Class>`, properties in ASCII order.
pub fn write_instance(out: &mut String, prefix: &str, class: &str, instance: &Instance) {
    let mut props: Vec<&(String, Prop)> = instance.iter().collect();
    props.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push_str(&format!("<{prefix}:{class}>"));
    for (name, prop) in props {
        match prop {
            Prop::Text(v) => {
                out.push_str(&format!("<{prefix}:{name}>{}</{prefix}:{name}>", escape(v)))
            }
            Prop::Many(vs) => {
                for v in vs {
                    out.push_str(&format!("<{prefix}:{name}>{}</{prefix}:{name}>", escape(v)));
                }
            }
            Prop::Epr {
                resource_uri,
                selectors,
            } => {
                out.push_str(&format!(
                    "<{prefix}:{name}><b:Address>{ANONYMOUS}</b:Address><b:ReferenceParameters><c:ResourceURI>{}</c:ResourceURI><c:SelectorSet>",
                    escape(resource_uri)
                ));
                for (k, v) in selectors {
                    out.push_str(&format!(
                        "<c:Selector Name=\"{}\">{}</c:Selector>",
                        escape(k),
                        escape(v)
                    ));
                }
                out.push_str(&format!(
                    "</c:SelectorSet></b:ReferenceParameters></{prefix}:{name}>"
                ));
            }
        }
    }
    out.push_str(&format!("</{prefix}:{class}>"));
}

const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

fn common_namespaces() -> String {
    format!(
        "xmlns:a=\"{NS_SOAP}\" xmlns:b=\"{NS_ADDR}\" xmlns:c=\"{NS_WSMAN}\" xmlns:d=\"{NS_TRUST}\" xmlns:e=\"{NS_SECEXT}\" xmlns:f=\"{NS_CIMBINDING}\""
    )
}

fn header(relates_to: &str, action: &str, message_id: &str, resource_uri: Option<&str>) -> String {
    let mut h = format!(
        "<a:Header><b:To>{ANONYMOUS}</b:To><b:RelatesTo>{}</b:RelatesTo><b:Action a:mustUnderstand=\"true\">{action}</b:Action><b:MessageID>{message_id}</b:MessageID>",
        escape(relates_to)
    );
    if let Some(uri) = resource_uri {
        h.push_str(&format!("<c:ResourceURI>{}</c:ResourceURI>", escape(uri)));
    }
    h.push_str("</a:Header>");
    h
}

/// Firmware-style MessageID for the n-th answer.
pub fn message_id(n: u64) -> String {
    format!("uuid:00000000-8086-8086-8086-{:012X}", n & 0xFFFF_FFFF_FFFF)
}

/// Firmware-style EnumerationContext for the n-th enumeration: a
/// little-endian counter in the first group.
pub fn enumeration_context(n: u32) -> String {
    let b = n.to_le_bytes();
    format!(
        "{:02X}{:02X}{:02X}{:02X}-0000-0000-0000-000000000000",
        b[0], b[1], b[2], b[3]
    )
}

/// A GetResponse: `g:` is the class namespace, `h:` the CIM common namespace
/// (not on AMT_GeneralSettings, as on AMT 15).
pub fn get_response(
    relates_to: &str,
    msg_id: &str,
    class: &str,
    uri: &str,
    instance: &Instance,
) -> String {
    let common = if class == "AMT_GeneralSettings" {
        String::new()
    } else {
        format!(" xmlns:h=\"{NS_COMMON}\"")
    };
    let mut out = format!(
        "{XML_DECL}<a:Envelope {} xmlns:g=\"{}\"{common} xmlns:xsi=\"{NS_XSI}\">",
        common_namespaces(),
        escape(uri)
    );
    out.push_str(&header(
        relates_to,
        &format!("{NS_TRANSFER}/GetResponse"),
        msg_id,
        Some(uri),
    ));
    out.push_str("<a:Body>");
    write_instance(&mut out, "g", class, instance);
    out.push_str("</a:Body></a:Envelope>");
    out
}

/// An EnumerateResponse carrying a new context; `g:` is the enumeration namespace.
pub fn enumerate_response(relates_to: &str, msg_id: &str, uri: &str, context: &str) -> String {
    format!(
        "{XML_DECL}<a:Envelope {} xmlns:g=\"{NS_ENUM}\" xmlns:xsi=\"{NS_XSI}\">{}<a:Body><g:EnumerateResponse><g:EnumerationContext>{context}</g:EnumerationContext></g:EnumerateResponse></a:Body></a:Envelope>",
        common_namespaces(),
        header(relates_to, &format!("{NS_ENUM}/EnumerateResponse"), msg_id, Some(uri)),
    )
}

/// An optimized EnumerateResponse (DSP0226 §8.2.3): the context, then the
/// first items in `c:Items` (`c:` is WS-Man) and `c:EndOfSequence` when they
/// are all there. `h:` is the class, `i:` CIM common, as in a Pull.
pub fn enumerate_response_items(
    relates_to: &str,
    msg_id: &str,
    class: &str,
    uri: &str,
    context: &str,
    items: &[Instance],
    end_of_sequence: bool,
) -> String {
    let mut out = format!(
        "{XML_DECL}<a:Envelope {} xmlns:g=\"{NS_ENUM}\" xmlns:h=\"{}\" xmlns:i=\"{NS_COMMON}\" xmlns:xsi=\"{NS_XSI}\">",
        common_namespaces(),
        escape(uri)
    );
    out.push_str(&header(
        relates_to,
        &format!("{NS_ENUM}/EnumerateResponse"),
        msg_id,
        Some(uri),
    ));
    out.push_str(&format!(
        "<a:Body><g:EnumerateResponse><g:EnumerationContext>{context}</g:EnumerationContext><c:Items>"
    ));
    for item in items {
        write_instance(&mut out, "h", class, item);
    }
    out.push_str("</c:Items>");
    if end_of_sequence {
        out.push_str("<c:EndOfSequence></c:EndOfSequence>");
    }
    out.push_str("</g:EnumerateResponse></a:Body></a:Envelope>");
    out
}

/// A PullResponse: `g:` enumeration, `h:` the class, `i:` CIM common. A
/// non-final page puts the fresh context before Items; the last page ends with
/// EndOfSequence and no context.
pub fn pull_response(
    relates_to: &str,
    msg_id: &str,
    class: &str,
    uri: &str,
    items: &[Instance],
    next_context: Option<&str>,
) -> String {
    let mut out = format!(
        "{XML_DECL}<a:Envelope {} xmlns:g=\"{NS_ENUM}\" xmlns:h=\"{}\" xmlns:i=\"{NS_COMMON}\" xmlns:xsi=\"{NS_XSI}\">",
        common_namespaces(),
        escape(uri)
    );
    out.push_str(&header(
        relates_to,
        &format!("{NS_ENUM}/PullResponse"),
        msg_id,
        Some(uri),
    ));
    out.push_str("<a:Body><g:PullResponse>");
    if let Some(ctx) = next_context {
        out.push_str(&format!(
            "<g:EnumerationContext>{ctx}</g:EnumerationContext>"
        ));
    }
    out.push_str("<g:Items>");
    for item in items {
        write_instance(&mut out, "h", class, item);
    }
    out.push_str("</g:Items>");
    if next_context.is_none() {
        out.push_str("<g:EndOfSequence></g:EndOfSequence>");
    }
    out.push_str("</g:PullResponse></a:Body></a:Envelope>");
    out
}

/// An IdentifyResponse (answered only with credentials).
pub fn identify_response(profile: &Profile) -> String {
    format!(
        "{XML_DECL}<a:Envelope xmlns:a=\"{NS_SOAP}\" xmlns:b=\"{NS_IDENTITY}\"><a:Header></a:Header><a:Body><b:IdentifyResponse><b:ProtocolVersion>{NS_WSMAN}</b:ProtocolVersion><b:ProductVendor>Intel(r)</b:ProductVendor><b:ProductVersion>AMT {}</b:ProductVersion><b:SecurityProfiles><b:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/digest</b:SecurityProfileName></b:SecurityProfiles></b:IdentifyResponse></a:Body></a:Envelope>",
        escape(&profile.version)
    )
}

/// The SOAP faults this mock sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Unknown class or instance, or a class this firmware lacks.
    DestinationUnreachable,
    /// An action we do not implement.
    ActionNotSupported,
    /// Pull on an unknown or expired enumeration context.
    InvalidEnumerationContext,
    /// An envelope that is not well-formed or not valid WS-Management
    /// (DSP0226 `wsman:SchemaValidationError`), where firmware sends a fault
    /// rather than a bare 400.
    SchemaValidationError,
}

/// A SOAP 1.2 fault in the firmware's shape: namespaces redeclared in reverse
/// order, Code `a:Sender`, an empty Detail, no ResourceURI.
pub fn fault_response(relates_to: &str, msg_id: &str, kind: FaultKind) -> String {
    let (action, subcode, reason) = match kind {
        FaultKind::DestinationUnreachable => (
            format!("{NS_ADDR}/fault"),
            "b:DestinationUnreachable",
            "No route can be determined to reach the destination role defined by the WSAddressing To.",
        ),
        FaultKind::ActionNotSupported => (
            format!("{NS_ADDR}/fault"),
            "b:ActionNotSupported",
            "The action is not supported by the service.",
        ),
        FaultKind::SchemaValidationError => (
            "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault".to_owned(),
            "e:SchemaValidationError",
            "The SOAP XML in the message does not conform to the corresponding XML schema definition.",
        ),
        FaultKind::InvalidEnumerationContext => (
            format!("{NS_ENUM}/fault"),
            "c:InvalidEnumerationContext",
            "The supplied enumeration context is invalid.",
        ),
    };
    format!(
        "{XML_DECL}<a:Envelope xmlns:g=\"{NS_CIMBINDING}\" xmlns:f=\"{NS_EVENTING}\" xmlns:e=\"{NS_WSMAN}\" xmlns:d=\"{NS_TRANSFER}\" xmlns:c=\"{NS_ENUM}\" xmlns:b=\"{NS_ADDR}\" xmlns:a=\"{NS_SOAP}\" xmlns:h=\"{NS_TRUST}\" xmlns:i=\"{NS_SECEXT}\" xmlns:xsi=\"{NS_XSI}\">{}<a:Body><a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>{subcode}</a:Value></a:Subcode></a:Code><a:Reason><a:Text xml:lang=\"en-US\">{reason}</a:Text></a:Reason><a:Detail></a:Detail></a:Fault></a:Body></a:Envelope>",
        header(relates_to, &action, msg_id, None)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_by_namespace_not_prefix() {
        let body = r#"<?xml version="1.0"?><x:Envelope xmlns:x="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:m="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><x:Header><w:Action x:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull</w:Action><w:MessageID>uuid:1&amp;2</w:MessageID><m:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity</m:ResourceURI><m:SelectorSet><m:Selector Name="InstanceID">AMT</m:Selector></m:SelectorSet></x:Header><x:Body><n:Pull><n:EnumerationContext>17000000-0000-0000-0000-000000000000</n:EnumerationContext><n:MaxElements>3</n:MaxElements></n:Pull></x:Body></x:Envelope>"#;
        let r = parse_request(body.as_bytes()).unwrap();
        assert_eq!(r.action.as_deref(), Some(ACTION_PULL));
        assert_eq!(r.message_id.as_deref(), Some("uuid:1&2"));
        assert_eq!(
            class_for_uri(r.resource_uri.as_deref().unwrap()),
            Some("CIM_SoftwareIdentity")
        );
        assert_eq!(
            r.selectors,
            vec![("InstanceID".to_owned(), "AMT".to_owned())]
        );
        assert_eq!(r.enumeration_op.as_deref(), Some("Pull"));
        assert_eq!(
            r.enumeration_context.as_deref(),
            Some("17000000-0000-0000-0000-000000000000")
        );
        assert_eq!(r.max_elements, Some(3));
    }

    #[test]
    fn rejects_non_soap_and_broken_xml() {
        assert!(parse_request(b"<a/>").is_err());
        assert!(parse_request(
            b"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>"
        )
        .is_err());
        assert!(parse_request(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn contexts_and_message_ids_look_like_firmware() {
        assert_eq!(
            enumeration_context(0x17),
            "17000000-0000-0000-0000-000000000000"
        );
        assert_eq!(
            enumeration_context(0x1234),
            "34120000-0000-0000-0000-000000000000"
        );
        assert_eq!(
            message_id(0x332),
            "uuid:00000000-8086-8086-8086-000000000332"
        );
    }
}
