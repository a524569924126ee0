//! Reading WS-Management (SOAP 1.2) and plain SOAP 1.1 responses.

use std::fmt;

use super::envelope::{NS_ADDRESSING, NS_ENUMERATION, NS_SOAP11, NS_SOAP12, NS_WSMAN};
use super::xml::{self, Element};
use super::Error;
use crate::text::{bounded_line, quoted, MAX_QUOTED_CHARS};

/// A SOAP fault, as the device sent it. Codes are given by local name; the
/// namespace their prefix was bound to is kept because the prefix itself
/// means nothing (AMT binds `b:` to addressing in one fault and `e:` to
/// wsman in the next).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fault {
    /// `Sender`, `Receiver`, … (SOAP 1.1 `Client`/`Server`).
    pub code: String,
    /// The first Subcode, e.g. `DestinationUnreachable`, `AlreadyExists`.
    pub subcode: Option<String>,
    /// The namespace URI of the subcode's prefix.
    pub subcode_ns: Option<String>,
    /// The human-readable reason.
    pub reason: String,
    /// The response's WS-Addressing Action, if any.
    pub action: Option<String>,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subcode {
            Some(sub) => write!(
                f,
                "{}/{}",
                bounded_line(&self.code, MAX_QUOTED_CHARS),
                bounded_line(sub, MAX_QUOTED_CHARS)
            )?,
            None => f.write_str(&bounded_line(&self.code, MAX_QUOTED_CHARS))?,
        }
        if !self.reason.is_empty() {
            write!(f, ": {}", quoted(&self.reason))?;
        }
        Ok(())
    }
}

/// Collapses whitespace so a device's text cannot break a one-line message.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A successful SOAP 1.2 response: its addressing headers and the Body element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// WS-Addressing RelatesTo.
    pub relates_to: Option<String>,
    /// WS-Addressing Action.
    pub action: Option<String>,
    /// The `Body` element (its children are the payload).
    pub body: Element,
}

impl Response {
    /// The first element child of the Body (the payload of a Get).
    pub fn payload(&self) -> Option<&Element> {
        self.body.children.first()
    }

    /// [`Response::payload`], moved out rather than copied.
    pub fn into_payload(self) -> Option<Element> {
        self.body.children.into_iter().next()
    }
}

/// Parses a SOAP 1.2 response; a Fault becomes [`Error::Fault`]. When
/// `expected_relates_to` is given, the answer's RelatesTo must equal it.
pub fn parse_response(body: &[u8], expected_relates_to: Option<&str>) -> Result<Response, Error> {
    let mut root = xml::parse(body)?;
    if !root.is(NS_SOAP12, "Envelope") {
        return Err(Error::Protocol(format!(
            "root element is {}, not a SOAP 1.2 Envelope",
            quoted(&format!("{{{}}}{}", root.ns, root.name))
        )));
    }
    let header = root.child(NS_SOAP12, "Header");
    let relates_to = header
        .and_then(|h| h.child_text(NS_ADDRESSING, "RelatesTo"))
        .map(str::to_owned);
    let action = header
        .and_then(|h| h.child_text(NS_ADDRESSING, "Action"))
        .map(str::to_owned);
    let Some(body) = root.take_child(NS_SOAP12, "Body") else {
        return Err(Error::Protocol("envelope has no Body".into()));
    };
    if let Some(fault) = body.child(NS_SOAP12, "Fault") {
        return Err(Error::Fault(soap12_fault(fault, action)));
    }
    if let Some(expected) = expected_relates_to {
        if relates_to.as_deref() != Some(expected) {
            return Err(Error::Protocol(format!(
                "RelatesTo {} does not match the request's MessageID {expected}",
                relates_to
                    .as_deref()
                    .map_or_else(|| "(none)".to_owned(), quoted)
            )));
        }
    }
    Ok(Response {
        relates_to,
        action,
        body,
    })
}

/// Parses a SOAP 1.1 response (AMT's EOI services) into its Body; a Fault
/// becomes [`Error::Fault`].
pub fn parse_soap11(body: &[u8]) -> Result<Element, Error> {
    let root = xml::parse(body)?;
    if !root.is(NS_SOAP11, "Envelope") {
        return Err(Error::Protocol(format!(
            "root element is {}, not a SOAP 1.1 Envelope",
            quoted(&format!("{{{}}}{}", root.ns, root.name))
        )));
    }
    let Some(body) = root.child(NS_SOAP11, "Body") else {
        return Err(Error::Protocol("envelope has no Body".into()));
    };
    if let Some(fault) = body.child(NS_SOAP11, "Fault") {
        // SOAP 1.1 fault children are unqualified.
        let code = fault
            .child("", "faultcode")
            .map(|c| c.text_local_name().to_owned())
            .unwrap_or_default();
        let reason = fault
            .child_text("", "faultstring")
            .unwrap_or_default()
            .to_owned();
        return Err(Error::Fault(Fault {
            code,
            reason,
            ..Fault::default()
        }));
    }
    Ok(body.clone())
}

fn soap12_fault(fault: &Element, action: Option<String>) -> Fault {
    let code_el = fault.child(NS_SOAP12, "Code");
    let code = code_el
        .and_then(|c| c.child(NS_SOAP12, "Value"))
        .map(|v| v.text_local_name().to_owned())
        .unwrap_or_default();
    let sub_value = code_el
        .and_then(|c| c.child(NS_SOAP12, "Subcode"))
        .and_then(|s| s.child(NS_SOAP12, "Value"));
    let reason = fault
        .child(NS_SOAP12, "Reason")
        .and_then(|r| r.child(NS_SOAP12, "Text"))
        .map(|t| t.text.trim().to_owned())
        .unwrap_or_default();
    Fault {
        code,
        subcode: sub_value.map(|v| v.text_local_name().to_owned()),
        subcode_ns: sub_value.and_then(|v| v.text_qname_ns.clone()),
        reason,
        action,
    }
}

/// The EnumerationContext of an EnumerateResponse.
pub fn enumerate_context(response: &Response) -> Result<String, Error> {
    response
        .body
        .child(NS_ENUMERATION, "EnumerateResponse")
        .and_then(|r| r.child_text(NS_ENUMERATION, "EnumerationContext"))
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| Error::Protocol("EnumerateResponse without an EnumerationContext".into()))
}

/// The first page of an optimized enumeration: the items the device put in
/// its EnumerateResponse (`wsman:Items`, `wsman:EndOfSequence`), and the
/// context to Pull the rest with. A device that ignored the optimization
/// sends a context and no items.
pub fn enumerate_page(response: Response) -> Result<PullPage, Error> {
    let mut body = response.body;
    let mut answer = body
        .take_child(NS_ENUMERATION, "EnumerateResponse")
        .ok_or_else(|| Error::Protocol("expected an EnumerateResponse".into()))?;
    let items = answer
        .take_child(NS_WSMAN, "Items")
        .map(|i| i.children)
        .unwrap_or_default();
    let context = answer
        .child_text(NS_ENUMERATION, "EnumerationContext")
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let end_of_sequence = answer.child(NS_WSMAN, "EndOfSequence").is_some();
    if context.is_none() && !end_of_sequence {
        return Err(Error::Protocol(
            "EnumerateResponse without an EnumerationContext".into(),
        ));
    }
    Ok(PullPage {
        items,
        context,
        end_of_sequence,
    })
}

/// One page of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullPage {
    /// The instances on this page (the children of Items).
    pub items: Vec<Element>,
    /// The context for the next Pull, when the device gave a new one.
    pub context: Option<String>,
    /// Whether the device said this is the last page.
    pub end_of_sequence: bool,
}

/// Reads a PullResponse. The context may come before or after Items
/// (AMT puts it first), and Items may be empty.
pub fn pull_page(response: Response) -> Result<PullPage, Error> {
    let mut body = response.body;
    let mut pull = body
        .take_child(NS_ENUMERATION, "PullResponse")
        .ok_or_else(|| Error::Protocol("expected a PullResponse".into()))?;
    let items = pull
        .take_child(NS_ENUMERATION, "Items")
        .map(|i| i.children)
        .unwrap_or_default();
    let context = pull
        .child_text(NS_ENUMERATION, "EnumerationContext")
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let end_of_sequence = pull.child(NS_ENUMERATION, "EndOfSequence").is_some();
    Ok(PullPage {
        items,
        context,
        end_of_sequence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENUM_RESPONSE: &str = r#"<?xml version="1.0"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
  xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">
 <env:Header><wsa:RelatesTo>uuid:1</wsa:RelatesTo>
  <wsa:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse</wsa:Action></env:Header>
 <env:Body><EnumerateResponse xmlns="http://schemas.xmlsoap.org/ws/2004/09/enumeration">
  <EnumerationContext>05000000-0000</EnumerationContext></EnumerateResponse></env:Body>
</env:Envelope>"#;

    #[test]
    fn renamed_and_default_prefixes_parse() {
        let r = parse_response(ENUM_RESPONSE.as_bytes(), Some("uuid:1")).unwrap();
        assert_eq!(enumerate_context(&r).unwrap(), "05000000-0000");
    }

    #[test]
    fn relates_to_mismatch_is_a_protocol_error() {
        let err = parse_response(ENUM_RESPONSE.as_bytes(), Some("uuid:2")).unwrap_err();
        assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    }

    #[test]
    fn wrong_envelope_version_is_a_protocol_error() {
        let doc = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>"#;
        assert!(matches!(
            parse_response(doc.as_bytes(), None),
            Err(Error::Protocol(_))
        ));
        assert!(parse_soap11(doc.as_bytes()).is_ok());
    }

    #[test]
    fn fault_with_unusual_prefixes_is_typed() {
        let doc = r#"<z:Envelope xmlns:z="http://www.w3.org/2003/05/soap-envelope" xmlns:q="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><z:Header><q:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</q:Action><q:RelatesTo>other</q:RelatesTo></z:Header><z:Body><z:Fault><z:Code><z:Value>z:Sender</z:Value><z:Subcode><z:Value>wsman:AccessDenied</z:Value></z:Subcode></z:Code><z:Reason><z:Text xml:lang="en">Nope
  at all</z:Text></z:Reason></z:Fault></z:Body></z:Envelope>"#;
        let Err(Error::Fault(f)) = parse_response(doc.as_bytes(), Some("uuid:x")) else {
            panic!("expected a fault")
        };
        assert_eq!(f.code, "Sender");
        assert_eq!(f.subcode.as_deref(), Some("AccessDenied"));
        assert_eq!(
            f.subcode_ns.as_deref(),
            Some("http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd")
        );
        assert_eq!(f.to_string(), "Sender/AccessDenied: \"Nope at all\"");
    }

    #[test]
    fn pull_page_context_before_items_and_empty_items() {
        let many = r#"<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" xmlns:g="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:h="urn:class"><a:Body><g:PullResponse><g:EnumerationContext>C2</g:EnumerationContext><g:Items><h:X><h:P>1</h:P></h:X><h:X><h:P>2</h:P></h:X></g:Items></g:PullResponse></a:Body></a:Envelope>"#;
        let page = pull_page(parse_response(many.as_bytes(), None).unwrap()).unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.context.as_deref(), Some("C2"));
        assert!(!page.end_of_sequence);

        let empty = r#"<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" xmlns:g="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><a:Body><g:PullResponse><g:Items></g:Items><g:EndOfSequence></g:EndOfSequence></g:PullResponse></a:Body></a:Envelope>"#;
        let page = pull_page(parse_response(empty.as_bytes(), None).unwrap()).unwrap();
        assert!(page.items.is_empty());
        assert!(page.context.is_none());
        assert!(page.end_of_sequence);
    }

    #[test]
    fn soap11_fault_is_typed() {
        let doc = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault><faultcode>S:Client</faultcode><faultstring>bad</faultstring></S:Fault></S:Body></S:Envelope>"#;
        let Err(Error::Fault(f)) = parse_soap11(doc.as_bytes()) else {
            panic!("expected a fault")
        };
        assert_eq!(f.code, "Client");
        assert_eq!(f.reason, "bad");
    }
}
