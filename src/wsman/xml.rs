//! A small namespace-resolved XML tree.
//!
//! Real AMT firmware binds the same prefix to different namespaces from one
//! response to the next (`g:` is the class in a Get but the enumeration
//! namespace in a Pull), so every element here carries its namespace URI and
//! local name; prefixes are resolved while parsing and then forgotten.
//!
//! The whole body is read before parsing (it is capped in size by the
//! transport), so a body that arrived in chunks split mid-token parses exactly
//! like one that arrived whole.

use std::sync::Arc;

use quick_xml::events::Event;
use quick_xml::name::{QName, ResolveResult};
use quick_xml::NsReader;

/// How deep elements may nest before the document is rejected. SOAP responses
/// from AMT nest about six levels; the limit keeps a hostile body from
/// building an unbounded stack of open elements.
const MAX_DEPTH: usize = 64;

/// How many elements one document may hold. The body cap already bounds this,
/// but a body of millions of `<a/>` would still cost far more memory as a tree
/// than as bytes.
const MAX_ELEMENTS: usize = 200_000;

/// Why a body is not usable XML.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// quick-xml rejected the syntax (position is a byte offset).
    #[error("syntax error at byte {position}: {message}")]
    Syntax {
        /// Byte offset into the body.
        position: u64,
        /// quick-xml's description.
        message: String,
    },
    /// The body ended before the root element was closed.
    #[error("document ends before the root element is closed")]
    Truncated,
    /// There is no root element at all.
    #[error("document has no root element")]
    Empty,
    /// Text or markup after the root element closed.
    #[error("content after the root element")]
    TrailingContent,
    /// An element or attribute uses a prefix that no `xmlns:` declares.
    #[error("undeclared namespace prefix `{0}`")]
    UnknownPrefix(String),
    /// An entity reference other than the five XML ones or a character reference.
    #[error("unknown entity `&{0};`")]
    UnknownEntity(String),
    /// The body is not UTF-8.
    #[error("body is not UTF-8")]
    NotUtf8,
    /// Nesting or element count exceeds the built-in limits.
    #[error("document too complex: {0}")]
    TooComplex(&'static str),
}

/// One attribute, with its namespace URI (empty when unprefixed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Namespace URI; unprefixed attributes have none (XML Namespaces §6.2).
    pub ns: String,
    /// Local name.
    pub name: String,
    /// Unescaped value.
    pub value: String,
}

/// One element, identified by namespace URI and local name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Namespace URI, or empty when the element is in no namespace. Shared
    /// between the elements of one document: a body binds a handful of
    /// namespaces to hundreds of elements.
    pub ns: Arc<str>,
    /// Local name (without prefix).
    pub name: String,
    /// Attributes other than namespace declarations.
    pub attrs: Vec<Attribute>,
    /// The element's own character data, unescaped, concatenated across
    /// children (mixed content does not occur in SOAP, so order is moot).
    pub text: String,
    /// When `text` is a QName such as `b:DestinationUnreachable` (SOAP fault
    /// codes are), the namespace URI its prefix was bound to at this element.
    pub text_qname_ns: Option<String>,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// Whether this element has the given namespace URI and local name.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        &*self.ns == ns && self.name == name
    }

    /// The first child with this namespace URI and local name.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// Removes the first child with this namespace URI and local name and
    /// hands it over, so a caller that keeps a subtree does not copy it.
    pub fn take_child(&mut self, ns: &str, name: &str) -> Option<Element> {
        let index = self.children.iter().position(|c| c.is(ns, name))?;
        Some(self.children.remove(index))
    }

    /// Every child with this namespace URI and local name.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// The trimmed text of the first child with this name, if any.
    pub fn child_text(&self, ns: &str, name: &str) -> Option<&str> {
        self.child(ns, name).map(|c| c.text.trim())
    }

    /// An attribute's value by namespace URI (empty for unprefixed) and local name.
    pub fn attr(&self, ns: &str, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns == ns && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The local part of a QName-valued text (`b:DestinationUnreachable` →
    /// `DestinationUnreachable`).
    pub fn text_local_name(&self) -> &str {
        let text = self.text.trim();
        match text.split_once(':') {
            Some((_, local)) => local,
            None => text,
        }
    }
}

/// Parses a whole document into its root element.
pub fn parse(body: &[u8]) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(body).map_err(|_| XmlError::NotUtf8)?;
    let mut reader = NsReader::from_str(text);
    // Keep `<a/>` and `<a></a>` identical for the tree, and let quick-xml
    // verify that end tags match their start tags.
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut namespaces = Namespaces::default();
    let mut count = 0usize;

    loop {
        let position = reader.buffer_position();
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| syntax(position, &e))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(XmlError::TrailingContent);
                }
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(XmlError::TooComplex("too many elements"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooComplex("nesting too deep"));
                }
                let ns = namespaces.intern(resolved)?;
                let name = start.local_name().as_ref().to_owned();
                let mut attrs = Vec::new();
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| syntax(position, &e))?;
                    let key = attr.key;
                    if key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let (attr_ns, local) = reader.resolver().resolve_attribute(key);
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| syntax(position, &e))?;
                    attrs.push(Attribute {
                        ns: namespace_of(attr_ns)?,
                        name: local.as_ref().to_owned(),
                        value: value.into_owned(),
                    });
                }
                stack.push(Element {
                    ns,
                    name,
                    attrs,
                    ..Element::default()
                });
            }
            Event::End(_) => {
                let Some(mut done) = stack.pop() else {
                    return Err(XmlError::TrailingContent);
                };
                // The element's bindings are still in scope until the next read.
                done.text_qname_ns = qname_namespace(&reader, done.text.trim());
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                match stack.last_mut() {
                    Some(open) => open.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => return Err(XmlError::TrailingContent),
                }
            }
            Event::CData(c) => {
                let content = c.xml10_content();
                match stack.last_mut() {
                    Some(open) => open.text.push_str(&content),
                    None => return Err(XmlError::TrailingContent),
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| syntax(position, &e))? {
                    Some(ch) => ch.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r)
                        .ok_or_else(|| XmlError::UnknownEntity(shown(r.as_ref())))?
                        .to_owned(),
                };
                match stack.last_mut() {
                    Some(open) => open.text.push_str(&resolved),
                    None => return Err(XmlError::TrailingContent),
                }
            }
            Event::Empty(_) => {
                // expand_empty_elements turns these into Start + End.
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => {
                if !stack.is_empty() {
                    return Err(XmlError::Truncated);
                }
                return root.ok_or(XmlError::Empty);
            }
        }
    }
}

/// Longest piece of the document an error repeats (quick-xml quotes names
/// and prefixes, which a hostile body makes as long as it likes).
const MAX_ERROR_TEXT: usize = 200;

fn syntax(position: u64, error: &dyn std::fmt::Display) -> XmlError {
    XmlError::Syntax {
        position,
        message: crate::text::bounded_line(&error.to_string(), MAX_ERROR_TEXT),
    }
}

/// A name or prefix from the document, fit to quote in an error.
fn shown(text: &str) -> String {
    crate::text::bounded_line(text, MAX_ERROR_TEXT / 2)
}

/// The namespace URIs of one document, each allocated once. A set, not a
/// list: a hostile body may bind a new namespace on every element (a 4 MiB
/// body binds 155,000, which a list took 32 s to intern, the set 0.1 s).
/// The last URI interned is tried first: an instance's properties all share
/// its class's namespace, and comparing with it is far cheaper than hashing
/// (SipHash was 5% of a scan's instructions).
#[derive(Default)]
struct Namespaces {
    all: std::collections::HashSet<Arc<str>>,
    last: Option<Arc<str>>,
}

impl Namespaces {
    fn intern(&mut self, resolved: ResolveResult<'_>) -> Result<Arc<str>, XmlError> {
        let uri = namespace_uri(resolved)?;
        if let Some(last) = self.last.as_ref().filter(|l| ***l == *uri) {
            return Ok(Arc::clone(last));
        }
        let known = match self.all.get(uri) {
            Some(known) => Arc::clone(known),
            None => {
                let new: Arc<str> = Arc::from(uri);
                self.all.insert(Arc::clone(&new));
                new
            }
        };
        self.last = Some(Arc::clone(&known));
        Ok(known)
    }
}

fn namespace_uri(resolved: ResolveResult<'_>) -> Result<&str, XmlError> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(ns.into_inner()),
        ResolveResult::Unbound => Ok(""),
        ResolveResult::Unknown(prefix) => Err(XmlError::UnknownPrefix(shown(&prefix))),
    }
}

fn namespace_of(resolved: ResolveResult<'_>) -> Result<String, XmlError> {
    namespace_uri(resolved).map(str::to_owned)
}

fn qname_namespace(reader: &NsReader<&[u8]>, text: &str) -> Option<String> {
    let (prefix, local) = text.split_once(':')?;
    let plausible = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
    };
    if !plausible(prefix) || !plausible(local) {
        return None;
    }
    let prefix = QName(text).prefix()?;
    match reader.resolver().resolve_prefix(Some(prefix), false) {
        ResolveResult::Bound(ns) => Some(ns.as_ref().to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_resolve_to_uris() {
        let doc = br#"<x:a xmlns:x="urn:one" xmlns:y="urn:two"><y:b y:k="v" k2="w">t &amp; &#65;</y:b><x:c/></x:a>"#;
        let root = parse(doc).unwrap();
        assert!(root.is("urn:one", "a"));
        let b = root.child("urn:two", "b").unwrap();
        assert_eq!(b.text, "t & A");
        assert_eq!(b.attr("urn:two", "k"), Some("v"));
        assert_eq!(b.attr("", "k2"), Some("w"));
        assert!(root.child("urn:one", "c").is_some());
        assert!(root.child("urn:two", "c").is_none());
        // One allocation per namespace URI, shared by its elements.
        let c = root.child("urn:one", "c").unwrap();
        assert!(Arc::ptr_eq(&root.ns, &c.ns));
        assert!(!Arc::ptr_eq(&root.ns, &b.ns));
    }

    #[test]
    fn the_last_namespace_is_reused_only_for_the_same_uri() {
        // The same default prefix rebound on each child, and back: the
        // last-interned shortcut must compare URIs, not prefixes or order.
        let doc =
            br#"<a xmlns="urn:1"><b xmlns="urn:2"/><c/><d xmlns="urn:2"/><e xmlns="urn:3"/></a>"#;
        let root = parse(doc).unwrap();
        let ns: Vec<&str> = root.children.iter().map(|c| &*c.ns).collect();
        assert_eq!(ns, ["urn:2", "urn:1", "urn:2", "urn:3"]);
        assert!(Arc::ptr_eq(&root.ns, &root.children[1].ns));
        assert!(Arc::ptr_eq(&root.children[0].ns, &root.children[2].ns));
    }

    #[test]
    fn default_namespace_applies_to_elements_not_attributes() {
        let doc = br#"<a xmlns="urn:d"><b k="1">x</b></a>"#;
        let root = parse(doc).unwrap();
        let b = root.child("urn:d", "b").unwrap();
        assert_eq!(b.attr("", "k"), Some("1"));
    }

    #[test]
    fn qname_text_is_resolved_in_scope() {
        let doc = br#"<a xmlns:p="urn:p"><v>p:Thing</v><w xmlns:p="urn:q">p:Other</w></a>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.children[0].text_qname_ns.as_deref(), Some("urn:p"));
        assert_eq!(root.children[1].text_qname_ns.as_deref(), Some("urn:q"));
        assert_eq!(root.children[1].text_local_name(), "Other");
    }

    #[test]
    fn broken_documents_are_errors_not_panics() {
        let cases: &[&[u8]] = &[
            b"",
            b"   ",
            b"<a>",
            b"<a></b>",
            b"<a></a><b/>",
            b"<a></a>trailing",
            b"<p:a/>",
            b"<a>&bogus;</a>",
            b"<a>\xff\xfe</a>",
            b"<a b=></a>",
            b"<<<<",
            b"<?xml version=\"1.0\"?>",
        ];
        for case in cases {
            assert!(
                parse(case).is_err(),
                "{:?} should fail",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut doc = String::new();
        for _ in 0..(MAX_DEPTH + 1) {
            doc.push_str("<a>");
        }
        for _ in 0..(MAX_DEPTH + 1) {
            doc.push_str("</a>");
        }
        assert_eq!(
            parse(doc.as_bytes()),
            Err(XmlError::TooComplex("nesting too deep"))
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn xml_like_text_never_panics(text in "[<>/a-c:= \"'&#;x0-9?!\\[\\]-]{0,200}") {
            let _ = parse(text.as_bytes());
            let _ = crate::wsman::response::parse_response(text.as_bytes(), Some("uuid:1"));
            let _ = crate::wsman::response::parse_soap11(text.as_bytes());
        }
    }
}
