//! The firmware's web UI on 16992/16993, as far as scanners look at it:
//! `/logon.htm` is served to anyone (the `GET /` redirect points there), and
//! the status pages behind it are Digest-protected like `/wsman`.
//!
//! Sources: the 303 to `/logon.htm` is in `../shared/captures/http/`
//! (`303-GET-root-*`); nmap's `http-vuln-cve2017-5689` asks for `/index.htm`
//! and expects a 401 with a Digest challenge, then a 200 from vulnerable
//! firmware for an empty `response=""`. The other page names are the web
//! UI's menu entries (System Status, Hardware Information, Event Log, Remote
//! Control, Power Policies, Network, User Accounts). The pages' text is our
//! own, not Intel's.

use crate::profile::Profile;
use crate::services::wsman::envelope::escape;

/// The pages behind the log-on page, each with the title its menu gives it.
const PAGES: &[(&str, &str)] = &[
    ("/index.htm", "System Status"),
    ("/hw-sys.htm", "Hardware Information: System"),
    ("/hw-proc.htm", "Hardware Information: Processor"),
    ("/hw-mem.htm", "Hardware Information: Memory"),
    ("/hw-disk.htm", "Hardware Information: Disk"),
    ("/events.htm", "Event Log"),
    ("/remote.htm", "Remote Control"),
    ("/power.htm", "Power Policies"),
    ("/ip.htm", "Network Settings"),
    ("/ipv6.htm", "IPv6 Network Settings"),
    ("/fqdn.htm", "System Name Settings"),
    ("/acl.htm", "User Accounts"),
];

/// The log-on page served without credentials.
pub const LOGON: &str = "/logon.htm";

/// The title of a protected page, if `path` is one.
pub fn protected(path: &str) -> Option<&'static str> {
    PAGES.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n\
<html><head><title>Intel&reg; Active Management Technology</title>\n\
<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n\
<link rel=stylesheet href=/styles.css></head>\n\
<body><h1>{title}</h1>\n{body}\n</body></html>\n"
    )
}

/// The log-on page: one button that leads to the protected status page.
pub fn logon_page() -> String {
    shell(
        "Intel&reg; Active Management Technology",
        "<p>Log on to manage this computer remotely.</p>\n\
<form action=\"/index.htm\" method=\"get\"><input type=submit value=\"Log On...\"></form>",
    )
}

/// A protected page, once Digest let the request through.
pub fn page(profile: &Profile, title: &str) -> String {
    let fqdn = if profile.domain.is_empty() {
        profile.hostname.clone()
    } else {
        format!("{}.{}", profile.hostname, profile.domain)
    };
    shell(
        title,
        &format!(
            "<table><tr><td>Computer name</td><td>{}</td></tr>\n\
<tr><td>Intel&reg; AMT version</td><td>{}</td></tr></table>",
            escape(&fqdn),
            escape(&profile.version)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_protected_and_logon_is_not() {
        assert_eq!(protected("/index.htm"), Some("System Status"));
        assert!(protected("/hw-sys.htm").is_some());
        assert!(protected(LOGON).is_none());
        assert!(protected("/nope.htm").is_none());
        assert!(logon_page().contains("Log On"));
    }
}
