//! One function per parser. Each reads the fuzzer's bytes as the program
//! would receive them (a body, a header value, a datagram, a file) and
//! asserts the parser's promises; see the crate docs.

use std::cmp::Ordering;
use std::str::FromStr;

use amtready::amt::{eoi, probe};
use amtready::facts::{FactsRecord, SiteFacts};
use amtready::hostfacts::Inventory;
use amtready::report::replay::{read_scan, Item};
use amtready::rules::{parse_os, OsFamily, Policy, PolicySet, Version};
use amtready::scan::rmcp;
use amtready::scan::{SpecKind, TargetSpec};
use amtready::site_file;
use amtready::wsman::envelope::{NS_ADDRESSING, NS_SOAP12, NS_WSMAN};
use amtready::wsman::{
    http1, response, xml, Challenge, Credentials, DigestSession, Error, Password,
};

use crate::check::{heap_within, one_line, one_line_within, HeapBudget};
use crate::xml_writer;

/// A namespace-resolved tree costs more than its bytes: every element is a
/// struct of strings and vectors (about 150 bytes for `<a/>`), and a
/// response keeps a copy of its Body.
const XML_HEAP: HeapBudget = HeapBudget {
    per_byte: 160,
    fixed: 64 * 1024,
};
/// Text parsers that keep a few copies of their input (tokens, rows).
const TEXT_HEAP: HeapBudget = HeapBudget {
    per_byte: 64,
    fixed: 256 * 1024,
};

/// A TOML document model (the toml crate's, which site files and policies
/// are read into) holds a table entry, a key and a spanned value for every
/// few bytes: dense arrays of tiny values cost about 100× their size (a
/// mutated site file in the replay reached 99×). Site files and policies are
/// read with a 1 MiB and 4 MiB cap, so that stays bounded.
const TOML_HEAP: HeapBudget = HeapBudget {
    per_byte: 160,
    fixed: 256 * 1024,
};

/// An inventory keeps a row struct per row and a machine per computer,
/// several hundred bytes each: an export of tiny rows costs about 100× its
/// size (AFL++ found 105×; see the docs/fuzzing.md).
const INVENTORY_HEAP: HeapBudget = HeapBudget {
    per_byte: 160,
    fixed: 256 * 1024,
};

/// What the device must say in RelatesTo for the request the target models.
const MESSAGE_ID: &str = "uuid:00000000-0000-4000-8000-000000000001";

/// A wsman error as a host's `error` would show it, and, for a fault, the
/// fault on its own (it is also shown in findings).
fn check_wsman_error(what: &str, error: &Error) {
    one_line(what, &error.to_string());
    if let Error::Fault(f) = error {
        one_line(what, &f.to_string());
    }
}

/// The helper every host's `error` goes through (`bounded_line` with
/// `MAX_ERROR_CHARS`, as `amt::read_host_with` applies it): whatever the
/// text, one safe line within the limit, and a line that already obeys the
/// rule comes back unchanged.
pub fn error_line(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let max = amtready::amt::MAX_ERROR_CHARS;
    let line = amtready::text::bounded_line(&text, max);
    if !text.trim().is_empty() {
        one_line("bounded_line", &line);
    }
    assert_eq!(
        amtready::text::bounded_line(&line, max),
        line,
        "not idempotent"
    );
    let quoted = amtready::text::quoted(&text);
    assert!(
        quoted.chars().count() <= amtready::text::MAX_QUOTED_CHARS + 2,
        "{quoted}"
    );
}

/// SOAP 1.2 and 1.1 responses, and the XML tree under them.
pub fn envelope(data: &[u8]) {
    let parsed = heap_within("envelope", data.len(), XML_HEAP, || {
        response::parse_response(data, Some(MESSAGE_ID))
    });
    match parsed {
        Ok(r) => {
            assert_eq!(r.relates_to.as_deref(), Some(MESSAGE_ID));
            assert!(r.body.is(NS_SOAP12, "Body"));
            if let Err(e) = response::enumerate_context(&r) {
                check_wsman_error("enumerate_context", &e);
            }
            if let Err(e) = response::enumerate_page(r.clone()) {
                check_wsman_error("enumerate_page", &e);
            }
            if let Err(e) = response::pull_page(r) {
                check_wsman_error("pull_page", &e);
            }
        }
        Err(e) => check_wsman_error("parse_response", &e),
    }
    if let Err(e) = response::parse_response(data, None) {
        check_wsman_error("parse_response without RelatesTo", &e);
    }
    if let Err(e) = response::parse_soap11(data) {
        check_wsman_error("parse_soap11", &e);
    }
    if let Ok(root) = xml::parse(data) {
        if let Some(text) = xml_writer::write(&root) {
            let again = xml::parse(text.as_bytes()).unwrap_or_else(|e| {
                panic!("the rewrite of an accepted document is refused ({e}): {text}")
            });
            assert_eq!(
                xml_writer::without_qname_bindings(&again),
                xml_writer::without_qname_bindings(&root),
                "rewritten as {text}"
            );
        }
    }
}

/// A SOAP 1.2 fault built around the fuzzer's code, subcode, reason and
/// action (split at `|`): the fault must come back with exactly those
/// values, as [`response::Fault`] promises to keep them.
pub fn fault(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '|');
    let code = parts.next().unwrap_or_default();
    let subcode = parts.next().unwrap_or_default();
    let reason = parts.next().unwrap_or_default();
    let action = parts.next().unwrap_or_default();
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let doc = format!(
        concat!(
            r#"<s:Envelope xmlns:s="{soap}" xmlns:a="{wsa}" xmlns:wsman="{wsman}">"#,
            "<s:Header><a:Action>{action}</a:Action></s:Header>",
            "<s:Body><s:Fault><s:Code><s:Value>s:{code}</s:Value>",
            "<s:Subcode><s:Value>wsman:{subcode}</s:Value></s:Subcode></s:Code>",
            r#"<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>"#,
            "</s:Fault></s:Body></s:Envelope>"
        ),
        soap = NS_SOAP12,
        wsa = NS_ADDRESSING,
        wsman = NS_WSMAN,
        action = esc(action),
        code = esc(code),
        subcode = esc(subcode),
        reason = esc(reason),
    );
    let f = match response::parse_response(doc.as_bytes(), Some(MESSAGE_ID)) {
        Err(Error::Fault(f)) => f,
        Err(e) => {
            // Only text XML cannot carry may make the document unusable.
            check_wsman_error("fault document", &e);
            assert!(
                text.chars()
                    .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
                "a fault of plain text was refused: {e}"
            );
            return;
        }
        Ok(_) => panic!("a fault was read as a success"),
    };
    check_wsman_error("fault", &Error::Fault(f.clone()));
    if text.contains('\r') {
        // XML end-of-line handling rewrites CR; nothing more to compare.
        return;
    }
    let local = |qname: &str| {
        let t = format!("x:{qname}");
        let t = t.trim();
        t.split_once(':').map_or(t, |(_, l)| l).to_owned()
    };
    assert_eq!(f.code, local(code), "code");
    assert_eq!(
        f.subcode.as_deref(),
        Some(local(subcode).as_str()),
        "subcode"
    );
    assert_eq!(f.reason, reason.trim(), "reason");
    assert_eq!(f.action.as_deref(), Some(action.trim()), "action");
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    if plain(subcode) {
        assert_eq!(f.subcode_ns.as_deref(), Some(NS_WSMAN), "subcode namespace");
    }
}

/// `WWW-Authenticate` values (one per line): the challenge is read or
/// refused in one bounded line, and the answer to an accepted one carries
/// its realm back and never the password.
pub fn digest(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let values: Vec<&str> = text.split('\n').collect();
    let challenge = heap_within("digest", data.len(), TEXT_HEAP, || {
        Challenge::from_headers(values.iter().copied())
    });
    let challenge = match challenge {
        Ok(c) => c,
        Err(e) => return check_wsman_error("challenge", &e),
    };
    assert!(
        challenge.realm().len() <= 1024,
        "realm of {} bytes",
        challenge.realm().len()
    );
    let password = "fuzz-Secret-9f3";
    let creds = Credentials {
        user: "admin".into(),
        password: Password::new(password),
    };
    let session = DigestSession::new();
    let qop = challenge.qop();
    let realm = challenge.realm().to_owned();
    session.set_challenge(challenge);
    match session.authorization(&creds, "POST", "/wsman", b"<x/>") {
        Ok(Some(answer)) => {
            assert!(!answer.contains(password), "the password is in {answer}");
            let parsed = digest_auth::AuthorizationHeader::parse(&answer)
                .unwrap_or_else(|e| panic!("our answer does not parse ({e}): {answer}"));
            assert_eq!(parsed.realm, realm, "realm in {answer}");
            assert_eq!(parsed.username, "admin");
            assert_eq!(parsed.qop.map(|q| q.to_string()).as_deref(), qop);
        }
        Ok(None) => panic!("a held challenge gave no answer"),
        Err(e) => check_wsman_error("authorization", &e),
    }
}

/// The literal banner of each product, to rebuild a banner from its parse.
fn banner_name(product: probe::Product) -> &'static str {
    match product {
        probe::Product::ActiveManagementTechnology => "Intel(R) Active Management Technology",
        probe::Product::BareAmt => "AMT",
        probe::Product::StandardManageability => "Intel(R) Standard Manageability",
        probe::Product::SmallBusinessTechnology => "Intel(R) Small Business Technology",
    }
}

/// A `Server` header: an accepted version is one the rules can compare,
/// and the banner rebuilt from the parse reads the same.
pub fn server_header(data: &[u8]) {
    let value = String::from_utf8_lossy(data);
    let Some(banner) = probe::parse_server_header(&value) else {
        return;
    };
    let rebuilt = match &banner.version {
        Some(v) => {
            assert!(value.contains(v.as_str()), "version {v} not in the banner");
            let parsed = Version::from_str(v)
                .unwrap_or_else(|e| panic!("banner version {v:?} is not a Version: {e}"));
            assert_eq!(Version::from_str(&parsed.to_string()).ok(), Some(parsed));
            format!("{} {v}", banner_name(banner.product))
        }
        None => banner_name(banner.product).to_owned(),
    };
    let again = probe::parse_server_header(&rebuilt);
    if banner.product == probe::Product::BareAmt {
        assert_eq!(again.map(|b| b.product), Some(banner.product));
    } else {
        assert_eq!(again.as_ref(), Some(&banner), "rebuilt as {rebuilt:?}");
    }
}

/// An RMCP datagram: a pong's fields are the bytes the layout names, and
/// its version is one the rules can compare.
pub fn rmcp(data: &[u8]) {
    let pong = match heap_within("rmcp", data.len(), TEXT_HEAP, || rmcp::parse_pong(data)) {
        Ok(p) => p,
        Err(e) => return one_line("pong error", &e.to_string()),
    };
    assert!(
        data.len() >= 28,
        "a pong of {} bytes was accepted",
        data.len()
    );
    assert_eq!(pong.tag, data[9]);
    match pong.layout {
        rmcp::Layout::Amt6To15 => {
            assert_eq!(pong.major, Some(data[18] >> 4));
            assert_eq!(pong.minor, Some(data[18] & 0x0F));
        }
        rmcp::Layout::Amt16Plus => {
            assert_eq!((pong.major, pong.minor), (Some(data[22]), Some(data[23])));
        }
        rmcp::Layout::Amt4To50 | rmcp::Layout::Amt51To5x => {
            assert_eq!((pong.major, pong.minor), (None, None));
            assert_eq!(pong.port, None);
        }
    }
    if let Some(v) = pong.version() {
        let parsed = Version::from_str(&v).unwrap_or_else(|e| panic!("pong version {v:?}: {e}"));
        assert_eq!(parsed.to_string(), v);
    }
    assert_ne!(pong.port, Some(0));
    serde_json::to_string(&pong.facts()).expect("the rmcp facts serialise");
}

/// A firmware version: it re-displays and re-parses to itself, compares
/// equal to itself, and a refusal is one bounded line.
pub fn version(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let v = match Version::from_str(&text) {
        Ok(v) => v,
        Err(e) => return one_line("version error", &e.to_string()),
    };
    assert!((2..=4).contains(&v.parts().len()));
    let shown = v.to_string();
    assert_eq!(
        Version::from_str(&shown).as_ref(),
        Ok(&v),
        "shown as {shown}"
    );
    let json = serde_json::to_string(&v).expect("a version serialises");
    assert_eq!(
        serde_json::from_str::<Version>(&json).ok().as_ref(),
        Some(&v)
    );
    assert_eq!(v.cmp(&v), Ordering::Equal);
    // The empty range holds nothing, and a version lies inside a range
    // from itself to the next major.
    assert_eq!(v.fit(&v, &v), amtready::rules::RangeFit::Outside);
    if let Some(major) = v.parts()[0].checked_add(1) {
        let next = Version::from_str(&format!("{major}.0")).expect("major.0");
        assert_eq!(v.fit(&v, &next), amtready::rules::RangeFit::Inside);
    }
}

/// An OS as caption, service pack, architecture and edition (one per
/// line): its description is one bounded line that reads back as the same
/// OS.
pub fn os(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.splitn(4, '\n');
    let caption = fields.next().unwrap_or_default();
    let mut field = || fields.next().filter(|f| !f.is_empty());
    let (sp, arch, edition) = (field(), field(), field());
    let parsed = heap_within("os", data.len(), TEXT_HEAP, || {
        parse_os(caption, sp, arch, edition)
    });
    let Some(os) = parsed else { return };
    let described = os.describe();
    one_line("os description", &described);
    let again = parse_os(&described, None, None, None)
        .unwrap_or_else(|| panic!("the description {described:?} is not an OS"));
    // Known and left open: XP Embedded's "standard" edition is described as
    // "Windows XP Embedded standard", which reads as Windows Embedded
    // Standard 2009 (its successor, whose name holds the same words).
    let xpe_standard = os.family == OsFamily::WindowsXpEmbedded
        && again.family == OsFamily::WindowsEmbeddedStandard2009;
    if !xpe_standard {
        assert_eq!(again.family, os.family, "described as {described:?}");
    }
    // "(no SP)" is said for people; read back it is "not stated".
    if os.service_pack != Some(0) {
        assert_eq!(
            again.service_pack, os.service_pack,
            "described as {described:?}"
        );
    }
    assert_eq!(again.arch, os.arch, "described as {described:?}");
}

/// An inventory export (CSV, JSON array or JSON Lines): every problem and
/// report line is one bounded line, and the facts serialise.
pub fn host_facts(data: &[u8]) {
    let parsed = heap_within("host_facts", data.len(), INVENTORY_HEAP, || {
        Inventory::parse(data)
    });
    let inventory = match parsed {
        Ok(i) => i,
        Err(e) => return one_line("inventory error", &e),
    };
    for p in &inventory.problems {
        one_line("inventory problem", p);
    }
    // The end-of-run report lists up to 20 rows per line (as `--host-facts`
    // prints it), each clipped: a long line, but a bounded one.
    for line in inventory.report(20) {
        one_line_within("inventory report", &line, 20 * 100 + 200);
    }
    for m in &inventory.machines {
        serde_json::to_string(&inventory.facts(m)).expect("host facts serialise");
    }
}

/// A record that exercises every rule kind's facts a little.
fn sample_record() -> FactsRecord {
    let json = r#"{"target":"10.0.0.5","status":"ok","amt":{"version":"5.2.10","provisioning_state":"post","sku":"amt"},"host":{"os":"Windows XP Professional","service_pack":2,"architecture":"x86"}}"#;
    serde_json::from_str(json).unwrap_or_else(|_| FactsRecord::new("10.0.0.5"))
}

/// A policy file: refused in one bounded line, or a policy that judges a
/// record and a site without panicking.
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = heap_within("policy", data.len(), TOML_HEAP, || {
        Policy::from_toml_str(text, "fuzz.toml")
    });
    let policy = match parsed {
        Ok(p) => p,
        // A policy error lists every accepted spelling after the wrong one,
        // so its limit is its own (plus `fuzz.toml:LINE: `).
        Err(e) => {
            let max = amtready::rules::MAX_MESSAGE_CHARS + 32;
            return one_line_within("policy error", &e.to_string(), max);
        }
    };
    let set = PolicySet::single(policy);
    let _ = set.evaluate(&sample_record());
    let _ = set.evaluate(&FactsRecord::new("10.0.0.6"));
    let _ = set.evaluate_site(&SiteFacts::default());
}

/// EOI SOAP 1.1 answers to the three calls the scan makes.
pub fn eoi(data: &[u8]) {
    let body = match heap_within("eoi", data.len(), XML_HEAP, || response::parse_soap11(data)) {
        Ok(b) => b,
        Err(e) => return check_wsman_error("eoi envelope", &e),
    };
    for (service, method, value) in [
        (eoi::SECURITY_ADMINISTRATION, "GetCoreVersion", "Version"),
        (eoi::NETWORK_ADMINISTRATION, "GetHostName", "HostName"),
        (eoi::NETWORK_ADMINISTRATION, "GetDomainName", "DomainName"),
    ] {
        if let Err(e) = eoi::parse_answer(&body, service, method, value) {
            check_wsman_error(method, &e);
        }
    }
}

/// Target arguments (one per line, as in a targets file): refused in one
/// bounded line, or a spec whose hosts' labels read back as the same host.
pub fn target(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        let spec = match TargetSpec::from_str(line) {
            Ok(s) => s,
            Err(e) => {
                one_line("target error", &e.to_string());
                continue;
            }
        };
        assert!(!spec.is_empty() && spec.len() <= amtready::scan::MAX_HOSTS_PER_SPEC);
        let host = match &spec.kind {
            SpecKind::Addr(ip) => ip.to_string(),
            SpecKind::Name(name) => name.clone(),
            SpecKind::Cidr(_) | SpecKind::Ipv4Range { .. } => continue,
        };
        let label = amtready::scan::label(&host, spec.target_port());
        let again = TargetSpec::from_str(&label)
            .unwrap_or_else(|e| panic!("the label {label:?} of {line:?} is refused: {e}"));
        assert_eq!(again.kind, spec.kind, "label {label:?}");
        assert_eq!(again.target_port(), spec.target_port(), "label {label:?}");
    }
}

/// A site file, read as TOML and as JSON: refused in one bounded line.
pub fn site_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for json in [false, true] {
        let parsed = heap_within("site_file", data.len(), TOML_HEAP, || {
            site_file::parse(text, "site.toml", json)
        });
        if let Err(e) = parsed {
            one_line("site file error", &e);
        }
    }
}

/// A saved scan (what `validate` and `report` read): a bad record is one
/// bounded line once cleaned for the terminal, and a good one written back
/// as JSON reads back the same.
pub fn facts_record(data: &[u8]) {
    let mut records = Vec::new();
    let read = heap_within("facts_record", data.len(), TEXT_HEAP, || {
        read_scan(data, &mut |input| match input.record {
            Ok(Item::Host(r)) => records.push(*r),
            Ok(Item::Site(_)) => {}
            Err(e) => one_line("facts record error", &amtready::report::text::clean(&e)),
        })
    });
    if let Err(e) = read {
        one_line("facts file error", &amtready::report::text::clean(&e));
    }
    for r in records {
        let json = serde_json::to_string(&r).expect("a record serialises");
        let mut back = Vec::new();
        read_scan(json.as_bytes(), &mut |input| back.push(input.record))
            .unwrap_or_else(|e| panic!("our own record does not read back ({e}): {json}"));
        match back.as_slice() {
            [Ok(Item::Host(again))] => assert_eq!(**again, r, "written as {json}"),
            other => panic!("our own record read back as {other:?}: {json}"),
        }
    }
}

/// The body cap the `http_response` target reads with: small, so inputs of a
/// few KiB reach the cap on every framing.
const HTTP_BODY_CAP: usize = 2048;

/// An HTTP/1.1 response as a device sends it (`wsman/http1.rs`): read whole,
/// one byte per read and seven per read, the outcome is the same (framing
/// never depends on how TCP cut the stream); the body stays within the cap;
/// errors are one bounded line; and a response rebuilt from what was read,
/// with a Content-Length, reads back as the same status, headers and body.
pub fn http_response(data: &[u8]) {
    let whole = heap_within("http_response", data.len(), TEXT_HEAP, || {
        http1::read_answer(data, data.len(), HTTP_BODY_CAP)
    });
    if data.len() < http1::MAX_HEAD {
        // Near the head limit, a large read can hold a whole head that a
        // byte-at-a-time read refuses at the limit; below it they agree.
        for piece in [1, 7] {
            let again = http1::read_answer(data, piece, HTTP_BODY_CAP);
            match (&whole, &again) {
                (Ok(w), Ok(a)) => {
                    assert_eq!((&w.head, &w.body), (&a.head, &a.body), "piece {piece}");
                    // Fewer bytes read ahead can only leave fewer behind.
                    assert!(!w.reusable || a.reusable, "piece {piece}");
                }
                (Err(w), Err(a)) => assert_eq!(w, a, "piece {piece}"),
                _ => panic!("whole: {whole:?}, in pieces of {piece}: {again:?}"),
            }
        }
    }
    let answer = match whole {
        Ok(a) => a,
        Err(e) => return check_wsman_error("http_response", &e),
    };
    assert!(
        answer.body.len() <= HTTP_BODY_CAP,
        "{} bytes",
        answer.body.len()
    );
    let mut rebuilt = format!("HTTP/1.1 {} X\r\n", answer.head.status.as_u16()).into_bytes();
    for (name, value) in &answer.head.headers {
        if name == http::header::CONTENT_LENGTH || name == http::header::TRANSFER_ENCODING {
            continue;
        }
        rebuilt.extend_from_slice(name.as_str().as_bytes());
        rebuilt.extend_from_slice(b": ");
        rebuilt.extend_from_slice(value.as_bytes());
        rebuilt.extend_from_slice(b"\r\n");
    }
    rebuilt.extend_from_slice(format!("content-length: {}\r\n\r\n", answer.body.len()).as_bytes());
    rebuilt.extend_from_slice(&answer.body);
    let again = http1::read_answer(&rebuilt, rebuilt.len(), HTTP_BODY_CAP)
        .unwrap_or_else(|e| panic!("the rebuilt response is refused ({e})"));
    assert_eq!(again.head.status, answer.head.status);
    assert_eq!(again.body, answer.body);
    let framing = |h: &http::HeaderMap| {
        let mut h = h.clone();
        h.remove(http::header::CONTENT_LENGTH);
        h.remove(http::header::TRANSFER_ENCODING);
        h
    };
    assert_eq!(framing(&again.head.headers), framing(&answer.head.headers));
}
