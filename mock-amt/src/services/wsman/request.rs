//! Reading WS-Man requests by namespace URI: clients use any prefixes.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::envelope::{NS_ADDR, NS_ENUM, NS_IDENTITY, NS_SOAP, NS_WSMAN};

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
    /// The header carries a `wsman:OptionSet` marked `mustUnderstand`, which
    /// Intel AMT refuses: it supports no WS-Management options.
    pub option_set_must_understand: bool,
    /// The scalar parameters of a method call: the direct children of the
    /// Body's `<Method>_INPUT` element with their text (endpoint references
    /// and other structured parameters are left out).
    pub input: Vec<(String, String)>,
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
    Input,
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
    let mut input_depth = None;
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
                    } else if local.ends_with("_INPUT") && !is_empty {
                        input_depth = Some(depth);
                    }
                }
                field = match (ns_uri.as_str(), local.as_str()) {
                    (NS_ADDR, "Action") if depth == 3 => Field::Action,
                    (NS_ADDR, "MessageID") if depth == 3 => Field::MessageId,
                    (NS_WSMAN, "ResourceURI") if depth == 3 => Field::ResourceUri,
                    (NS_WSMAN, "OptionSet") if depth == 3 && !in_body => {
                        req.option_set_must_understand = e.attributes().flatten().any(|a| {
                            a.key.local_name().as_ref() == "mustUnderstand"
                                && matches!(a.value.as_ref(), "true" | "1")
                        });
                        Field::None
                    }
                    // Header selectors only: a reference parameter in the Body has its own.
                    (NS_WSMAN, "Selector") if !in_body => {
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
                    _ if input_depth.is_some_and(|d| depth == d + 1) => {
                        selector_name = local.clone();
                        Field::Input
                    }
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
                if input_depth == Some(depth) {
                    input_depth = None;
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
        Field::Input => req.input.push((selector_name.to_owned(), v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::wsman::envelope::ACTION_PULL;

    #[test]
    fn parses_by_namespace_not_prefix() {
        let body = r#"<?xml version="1.0"?><x:Envelope xmlns:x="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:m="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><x:Header><w:Action x:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull</w:Action><w:MessageID>uuid:1&amp;2</w:MessageID><m:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity</m:ResourceURI><m:SelectorSet><m:Selector Name="InstanceID">AMT</m:Selector></m:SelectorSet></x:Header><x:Body><n:Pull><n:EnumerationContext>17000000-0000-0000-0000-000000000000</n:EnumerationContext><n:MaxElements>3</n:MaxElements></n:Pull></x:Body></x:Envelope>"#;
        let r = parse_request(body.as_bytes()).unwrap();
        assert_eq!(r.action.as_deref(), Some(ACTION_PULL));
        assert_eq!(r.message_id.as_deref(), Some("uuid:1&2"));
        assert_eq!(
            r.resource_uri.as_deref(),
            Some("http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity")
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
    fn method_input_keeps_scalar_parameters_only() {
        let body = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:n1="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService"><s:Header><a:Action>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService/RequestPowerStateChange</a:Action></s:Header><s:Body><n1:RequestPowerStateChange_INPUT><n1:PowerState>8</n1:PowerState><n1:ManagedElement><a:Address>anon</a:Address><a:ReferenceParameters><w:ResourceURI>x</w:ResourceURI><w:SelectorSet><w:Selector Name="Name">ManagedSystem</w:Selector></w:SelectorSet></a:ReferenceParameters></n1:ManagedElement></n1:RequestPowerStateChange_INPUT></s:Body></s:Envelope>"#;
        let r = parse_request(body.as_bytes()).unwrap();
        assert_eq!(r.input, vec![("PowerState".to_owned(), "8".to_owned())]);
        assert!(
            r.resource_uri.is_none(),
            "a nested ResourceURI is not the header's"
        );
        assert!(r.selectors.is_empty(), "nor is a nested selector");
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
}
