//! Building WS-Management request envelopes (SOAP 1.2, DSP0226 1.0 as AMT speaks it).

use quick_xml::escape::escape;

/// SOAP 1.2 envelope namespace.
pub const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// SOAP 1.1 envelope namespace (AMT's older EOI services).
pub const NS_SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// WS-Addressing (the 2004/08 member submission AMT uses).
pub const NS_ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// WS-Management.
pub const NS_WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
/// WS-Enumeration.
pub const NS_ENUMERATION: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
/// WS-Transfer.
pub const NS_TRANSFER: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
/// WS-Management Identify.
pub const NS_IDENTITY: &str = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";

/// The anonymous reply address: answer on the same connection.
pub const ANONYMOUS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

/// WS-Transfer Get.
pub const ACTION_GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
/// WS-Enumeration Enumerate.
pub const ACTION_ENUMERATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
/// WS-Enumeration Pull.
pub const ACTION_PULL: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";

/// Envelope settings shared by every request of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeOptions {
    /// Items asked for per Pull. AMT clients use up to 999.
    pub max_elements: u32,
    /// The largest response envelope we accept. Devices may set floors of
    /// their own (AMT's is applied in `crate::amt`).
    pub max_envelope_size: u32,
    /// How long the device may work on one request before it must answer,
    /// in seconds. The SDK says AMT enforces at least 30 s.
    pub operation_timeout_secs: u32,
}

impl Default for EnvelopeOptions {
    fn default() -> Self {
        Self {
            max_elements: 100,
            max_envelope_size: 153_600,
            operation_timeout_secs: 60,
        }
    }
}

/// One selector of a SelectorSet (picks an instance of a class in a Get).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// Key property name, e.g. `InstanceID`.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// A WS-Management filter on an Enumerate (DSP0226 §8.3, `wsman:Filter`):
/// which dialect the text is in is the caller's, since each service names
/// its own query languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The dialect URI (`Dialect` attribute).
    pub dialect: String,
    /// The filter expression in that dialect.
    pub text: String,
}

/// One `wsman:Option` of an `OptionSet` header (DSP0226 §6.4): a switch the
/// service reads beside the resource, e.g. a locale or a provider flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionEntry {
    /// `Name` attribute.
    pub name: String,
    /// Its value (the element's text).
    pub value: String,
}

/// What narrows an Enumerate: a SelectorSet, a Filter, an OptionSet. The
/// default is the whole class, unfiltered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Keys picking instances (`wsman:SelectorSet`).
    pub selectors: Vec<Selector>,
    /// A filter expression the service evaluates (`wsman:Filter`).
    pub filter: Option<Filter>,
    /// Provider options (`wsman:OptionSet`).
    pub options: Vec<OptionEntry>,
}

/// A request ready to send: its MessageID (to check RelatesTo) and XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `uuid:` + a fresh v4 UUID.
    pub message_id: String,
    /// The serialised envelope.
    pub xml: String,
}

/// A fresh MessageID; every request gets its own so that an answer to
/// another request (a confused proxy, a replay) is detected.
pub fn new_message_id() -> String {
    format!(
        "uuid:{}",
        uuid::Builder::from_random_bytes(rand::random()).into_uuid()
    )
}

/// A WS-Transfer Get of one instance of `resource_uri` sent to `to`.
pub fn get(
    to: &str,
    resource_uri: &str,
    selectors: &[Selector],
    opts: &EnvelopeOptions,
) -> Request {
    build(to, ACTION_GET, resource_uri, selectors, &[], opts, "")
}

/// A WS-Enumeration Enumerate of `resource_uri`.
pub fn enumerate(to: &str, resource_uri: &str, opts: &EnvelopeOptions) -> Request {
    enumerate_query(to, resource_uri, &Query::default(), false, opts)
}

/// An Enumerate asking for the items in the answer itself (DSP0226 §8.2.3,
/// `wsman:OptimizeEnumeration` with `wsman:MaxElements`): one request instead
/// of Enumerate + Pull when the items fit.
pub fn enumerate_optimized(to: &str, resource_uri: &str, opts: &EnvelopeOptions) -> Request {
    enumerate_query(to, resource_uri, &Query::default(), true, opts)
}

/// An Enumerate narrowed by `query`, optimized or plain. The Filter goes in
/// the Enumerate body after the optimization elements (DSP0226 §8.2.3 and
/// §8.3 order them so), the SelectorSet and OptionSet in the header.
pub fn enumerate_query(
    to: &str,
    resource_uri: &str,
    query: &Query,
    optimized: bool,
    opts: &EnvelopeOptions,
) -> Request {
    let mut body = String::from("<n:Enumerate>");
    if optimized {
        body.push_str(&format!(
            "<w:OptimizeEnumeration/><w:MaxElements>{}</w:MaxElements>",
            opts.max_elements.max(1)
        ));
    }
    if let Some(filter) = &query.filter {
        body.push_str(&format!(
            r#"<w:Filter Dialect="{}">{}</w:Filter>"#,
            escape(filter.dialect.as_str()),
            escape(filter.text.as_str())
        ));
    }
    body.push_str("</n:Enumerate>");
    build(
        to,
        ACTION_ENUMERATE,
        resource_uri,
        &query.selectors,
        &query.options,
        opts,
        &body,
    )
}

/// A WS-Enumeration Pull continuing `context`.
pub fn pull(to: &str, resource_uri: &str, context: &str, opts: &EnvelopeOptions) -> Request {
    let body = format!(
        "<n:Pull><n:EnumerationContext>{}</n:EnumerationContext><n:MaxElements>{}</n:MaxElements></n:Pull>",
        escape(context),
        opts.max_elements.max(1)
    );
    build(to, ACTION_PULL, resource_uri, &[], &[], opts, &body)
}

/// A method call (DSP0226 §9): the action is `<resource URI>/<method>` and
/// the Body carries `<method>_INPUT` in the class's namespace, here without
/// parameters (the read-only methods the inventory calls take none).
pub fn invoke(
    to: &str,
    resource_uri: &str,
    method: &str,
    selectors: &[Selector],
    opts: &EnvelopeOptions,
) -> Request {
    let action = format!("{resource_uri}/{method}");
    let body = format!(
        r#"<h:{method}_INPUT xmlns:h="{}"></h:{method}_INPUT>"#,
        escape(resource_uri)
    );
    build(
        to,
        &escape(&action),
        resource_uri,
        selectors,
        &[],
        opts,
        &body,
    )
}

/// A WS-Management Identify. It has no addressing headers (DSP0226 §11), so
/// its answer carries no RelatesTo to check.
pub fn identify() -> Request {
    let xml = format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<s:Envelope xmlns:s="{soap}" xmlns:i="{id}">"#,
            r#"<s:Header/><s:Body><i:Identify/></s:Body></s:Envelope>"#
        ),
        soap = NS_SOAP12,
        id = NS_IDENTITY
    );
    Request {
        message_id: String::new(),
        xml,
    }
}

fn build(
    to: &str,
    action: &str,
    resource_uri: &str,
    selectors: &[Selector],
    options: &[OptionEntry],
    opts: &EnvelopeOptions,
    body: &str,
) -> Request {
    let message_id = new_message_id();
    let mut selector_xml = String::new();
    named_set(
        &mut selector_xml,
        "SelectorSet",
        "Selector",
        selectors
            .iter()
            .map(|s| (s.name.as_str(), s.value.as_str())),
    );
    named_set(
        &mut selector_xml,
        "OptionSet",
        "Option",
        options.iter().map(|o| (o.name.as_str(), o.value.as_str())),
    );
    let mut xml = format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<s:Envelope xmlns:s="{soap}" xmlns:a="{wsa}" xmlns:w="{wsman}" xmlns:n="{wsen}">"#,
            "<s:Header>",
            r#"<a:Action s:mustUnderstand="true">{action}</a:Action>"#,
            r#"<a:To s:mustUnderstand="true">{to}</a:To>"#,
            r#"<w:ResourceURI s:mustUnderstand="true">{resource}</w:ResourceURI>"#,
            r#"<a:MessageID s:mustUnderstand="true">{id}</a:MessageID>"#,
            "<a:ReplyTo><a:Address>{anon}</a:Address></a:ReplyTo>",
            r#"<w:MaxEnvelopeSize s:mustUnderstand="true">{size}</w:MaxEnvelopeSize>"#,
            "<w:OperationTimeout>PT{timeout}S</w:OperationTimeout>",
            "{selectors}",
            "</s:Header>",
            "<s:Body>{body}</s:Body>",
            "</s:Envelope>"
        ),
        soap = NS_SOAP12,
        wsa = NS_ADDRESSING,
        wsman = NS_WSMAN,
        wsen = NS_ENUMERATION,
        action = action,
        to = escape(to),
        resource = escape(resource_uri),
        id = message_id,
        anon = ANONYMOUS,
        size = opts.max_envelope_size.max(1),
        timeout = opts.operation_timeout_secs.max(1),
        selectors = selector_xml,
        body = body,
    );
    // format! doubles as it grows: a 1.1 KiB envelope held 2 KiB for as long
    // as its request was in flight, a MiB over a thousand devices.
    xml.shrink_to_fit();
    Request { message_id, xml }
}

/// A `wsman:SelectorSet` or `wsman:OptionSet`: `Name`d entries with text
/// values; nothing at all when there are none.
fn named_set<'a>(
    out: &mut String,
    set: &str,
    entry: &str,
    entries: impl Iterator<Item = (&'a str, &'a str)>,
) {
    let mut entries = entries.peekable();
    if entries.peek().is_none() {
        return;
    }
    out.push_str(&format!("<w:{set}>"));
    for (name, value) in entries {
        out.push_str(&format!(
            r#"<w:{entry} Name="{}">{}</w:{entry}>"#,
            escape(name),
            escape(value)
        ));
    }
    out.push_str(&format!("</w:{set}>"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsman::xml;

    #[test]
    fn get_envelope_parses_and_carries_selectors() {
        let req = get(
            "http://h:16992/wsman",
            "http://x/Class",
            &[Selector {
                name: "InstanceID".into(),
                value: "a<b&\"c\"".into(),
            }],
            &EnvelopeOptions::default(),
        );
        assert!(req.message_id.starts_with("uuid:"));
        let root = xml::parse(req.xml.as_bytes()).unwrap();
        assert!(root.is(NS_SOAP12, "Envelope"));
        let header = root.child(NS_SOAP12, "Header").unwrap();
        assert_eq!(header.child_text(NS_ADDRESSING, "Action"), Some(ACTION_GET));
        assert_eq!(
            header.child_text(NS_ADDRESSING, "MessageID"),
            Some(req.message_id.as_str())
        );
        let sel = header
            .child(NS_WSMAN, "SelectorSet")
            .and_then(|s| s.child(NS_WSMAN, "Selector"))
            .unwrap();
        assert_eq!(sel.attr("", "Name"), Some("InstanceID"));
        assert_eq!(sel.text, "a<b&\"c\"");
        assert_eq!(
            header.child_text(NS_WSMAN, "MaxEnvelopeSize"),
            Some("153600")
        );
    }

    #[test]
    fn a_query_puts_its_filter_in_the_body_and_its_sets_in_the_header() {
        let query = Query {
            selectors: vec![Selector {
                name: "Name".into(),
                value: "x".into(),
            }],
            filter: Some(Filter {
                dialect: "urn:dialect".into(),
                text: "a < 'b' & c".into(),
            }),
            options: vec![OptionEntry {
                name: "Locale".into(),
                value: "en-US".into(),
            }],
        };
        let req = enumerate_query("t", "r", &query, true, &EnvelopeOptions::default());
        let root = xml::parse(req.xml.as_bytes()).unwrap();
        let body = root
            .child(NS_SOAP12, "Body")
            .and_then(|b| b.child(NS_ENUMERATION, "Enumerate"))
            .unwrap();
        assert!(body.child(NS_WSMAN, "OptimizeEnumeration").is_some());
        let filter = body.child(NS_WSMAN, "Filter").unwrap();
        assert_eq!(filter.attr("", "Dialect"), Some("urn:dialect"));
        assert_eq!(filter.text, "a < 'b' & c");
        let header = root.child(NS_SOAP12, "Header").unwrap();
        let option = header
            .child(NS_WSMAN, "OptionSet")
            .and_then(|s| s.child(NS_WSMAN, "Option"))
            .unwrap();
        assert_eq!(option.attr("", "Name"), Some("Locale"));
        assert_eq!(option.text, "en-US");
        assert!(header.child(NS_WSMAN, "SelectorSet").is_some());
        let plain = enumerate("t", "r", &EnvelopeOptions::default());
        assert!(!plain.xml.contains("Filter") && !plain.xml.contains("OptionSet"));
    }

    #[test]
    fn every_request_gets_a_fresh_message_id() {
        let o = EnvelopeOptions::default();
        let a = enumerate("t", "r", &o);
        let b = enumerate("t", "r", &o);
        assert_ne!(a.message_id, b.message_id);
    }

    #[test]
    fn pull_carries_context_and_max_elements() {
        let o = EnvelopeOptions {
            max_elements: 7,
            max_envelope_size: 10,
            operation_timeout_secs: 30,
        };
        let req = pull("t", "r", "17000000-0000", &o);
        let root = xml::parse(req.xml.as_bytes()).unwrap();
        let pull = root
            .child(NS_SOAP12, "Body")
            .and_then(|b| b.child(NS_ENUMERATION, "Pull"))
            .unwrap();
        assert_eq!(
            pull.child_text(NS_ENUMERATION, "EnumerationContext"),
            Some("17000000-0000")
        );
        assert_eq!(pull.child_text(NS_ENUMERATION, "MaxElements"), Some("7"));
        let header = root.child(NS_SOAP12, "Header").unwrap();
        // Sent as configured: device-specific floors are the caller's.
        assert_eq!(header.child_text(NS_WSMAN, "MaxEnvelopeSize"), Some("10"));
    }
}
