//! Writes an [`Element`] tree back as XML, so the envelope target can check
//! that parsing is stable: whatever the parser accepted, written out with
//! fresh prefixes, must parse to the same namespaces, names, attributes and
//! text.

use std::collections::BTreeMap;

use amtready::wsman::Element;

/// The namespace the `xml` prefix is bound to without a declaration (XML
/// Namespaces 1.0 §3); it may not be bound to any other prefix.
const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

/// `root` as a document whose namespaces are all declared on the root
/// element as `p0`, `p1`, ...; `None` when the tree holds something no
/// document can say (two attributes with one expanded name, a namespace
/// URI with both quote characters, a name that holds markup).
pub fn write(root: &Element) -> Option<String> {
    let mut prefixes = BTreeMap::new();
    collect(root, &mut prefixes)?;
    let mut out = String::new();
    element(root, &prefixes, true, &mut out);
    Some(out)
}

fn collect<'a>(e: &'a Element, prefixes: &mut BTreeMap<&'a str, String>) -> Option<()> {
    // quick-xml reads a name up to whitespace, `>` or `/>`, so `<a/b//>`
    // names `a/b/`; written back, such a name would end its own tag.
    let writable = |name: &str| !name.contains(['/', '>', '<', '=', '"', '\'']);
    if !writable(&e.name) || e.attrs.iter().any(|a| !writable(&a.name)) {
        return None;
    }
    let mut seen = std::collections::BTreeSet::new();
    for a in &e.attrs {
        if !seen.insert((a.ns.as_str(), a.name.as_str())) {
            return None;
        }
    }
    let names = std::iter::once(&*e.ns).chain(e.attrs.iter().map(|a| a.ns.as_str()));
    for ns in names {
        if ns.contains('"') && ns.contains('\'') {
            return None;
        }
        if !ns.is_empty() && ns != NS_XML && !prefixes.contains_key(ns) {
            let p = format!("p{}", prefixes.len());
            prefixes.insert(ns, p);
        }
    }
    for c in &e.children {
        collect(c, prefixes)?;
    }
    Some(())
}

fn qualified(ns: &str, name: &str, prefixes: &BTreeMap<&str, String>) -> String {
    match ns {
        "" => name.to_owned(),
        NS_XML => format!("xml:{name}"),
        _ => format!("{}:{name}", prefixes[ns]),
    }
}

fn element(e: &Element, prefixes: &BTreeMap<&str, String>, root: bool, out: &mut String) {
    let tag = qualified(&e.ns, &e.name, prefixes);
    out.push('<');
    out.push_str(&tag);
    if root {
        for (ns, p) in prefixes {
            // quick-xml binds a prefix to the declaration's value as written,
            // references unexpanded, so the URI goes back as it came.
            let quote = if ns.contains('"') { '\'' } else { '"' };
            out.push_str(&format!(" xmlns:{p}={quote}{ns}{quote}"));
        }
    }
    for a in &e.attrs {
        out.push_str(&format!(
            " {}=\"{}\"",
            qualified(&a.ns, &a.name, prefixes),
            escape_attr(&a.value)
        ));
    }
    out.push('>');
    out.push_str(&escape_text(&e.text));
    for c in &e.children {
        element(c, prefixes, false, out);
    }
    out.push_str("</");
    out.push_str(&tag);
    out.push('>');
}

/// Text as character data: markup escaped, and CR as a reference, since the
/// parser turns a literal one into LF (XML 1.0 §2.11).
fn escape_text(text: &str) -> String {
    escape(text, &['&', '<', '>', '\r'])
}

/// An attribute value: markup and quotes escaped, and tab, LF and CR as
/// references, since attribute-value normalisation turns literal ones into
/// spaces (XML 1.0 §3.3.3).
fn escape_attr(text: &str) -> String {
    escape(text, &['&', '<', '"', '\t', '\n', '\r'])
}

/// `text` with each of `special` written as a character reference.
fn escape(text: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if special.contains(&c) {
            out.push_str(&format!("&#{};", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// The tree without what depends on the prefixes in scope (a QName text's
/// namespace), which a rewrite with fresh prefixes cannot keep.
pub fn without_qname_bindings(e: &Element) -> Element {
    Element {
        text_qname_ns: None,
        children: e.children.iter().map(without_qname_bindings).collect(),
        ..e.clone()
    }
}
