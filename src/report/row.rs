//! The row projection: the compact per-host view every format renders.
//!
//! A [`Row`] keeps only what a report shows, already in the admin's words
//! ("Not Provisioned", "Enterprise mode", "Intel AMT, corporate"), so a format
//! that needs the whole scan before it can print (the sorted table, JUnit,
//! HTML) holds rows, never whole records. Rule texts that repeat on every host
//! (fix, source) are shared through [`Projector`]'s interner.

use std::collections::HashMap;
use std::sync::Arc;

use super::text::clean;
use super::{HostReport, SiteReport};
use crate::facts::{
    self, AmtStatus, ControlMode, FactSource, HostStatus, ProvisioningMode, ProvisioningState,
};
use crate::rules::{Evaluation, Severity, Verdict};
use crate::version::ReportedVersion;

/// One finding as reports show it.
#[derive(Debug, Clone)]
pub(crate) struct RowFinding {
    pub rule: Arc<str>,
    pub severity: Severity,
    pub message: String,
    pub fix: Option<Arc<str>>,
    /// Document title and section, e.g. "Configuration Manager 2007 SP1
    /// Supported Configurations — Out of Band Management".
    pub source: Arc<str>,
}

/// One host, compact and in words. Every string is already [`clean`]ed.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub target: String,
    /// AMT's own FQDN (`hostname.domain`) when it told us.
    pub hostname: Option<String>,
    pub status: Option<HostStatus>,
    pub error: Option<String>,
    pub version: Option<String>,
    pub version_source: Option<FactSource>,
    /// AMT answered in some way (a version, an RMCP pong).
    pub amt_seen: bool,
    pub amt_status: AmtStatus,
    /// "Not Provisioned", "Provisioned, Enterprise mode", ...
    pub provisioning: Option<String>,
    /// Decoded SKU ("Intel AMT, corporate") and the raw value.
    pub sku: Option<String>,
    pub sku_raw: Option<String>,
    pub verdict: Option<Verdict>,
    pub findings: Vec<RowFinding>,
    pub missing: Vec<String>,
    /// Why host facts were not obtained or not settled, one line each
    /// (`not read: winrm: ...`, `conflict: rras_running: ...`): what JSON
    /// keeps in `host.unread` and `host.conflicts`, for every human format.
    pub notes: Vec<String>,
    /// Further facts for the detailed views (HTML), as label/value pairs.
    pub details: Vec<(&'static str, String)>,
}

/// The run's site, compact and in words: judged once, shown once.
#[derive(Debug, Clone)]
pub(crate) struct SiteRow {
    pub verdict: Option<Verdict>,
    pub findings: Vec<RowFinding>,
    pub missing: Vec<String>,
    /// Site rules none of whose facts were given.
    pub not_checked: Vec<String>,
    /// The site facts given, as label/value pairs.
    pub facts: Vec<(String, String)>,
}

/// The findings among these that block readiness (severity error).
pub(crate) fn blocking(findings: &[RowFinding]) -> impl Iterator<Item = &RowFinding> {
    findings.iter().filter(|f| f.severity == Severity::Error)
}

impl SiteRow {
    /// Findings that block the rollout.
    pub(crate) fn blocking(&self) -> impl Iterator<Item = &RowFinding> {
        blocking(&self.findings)
    }

    /// Verdict in words; "not judged" when rules did not run.
    pub(crate) fn verdict_label(&self) -> &'static str {
        verdict_label(self.verdict)
    }

    /// The facts on one line (`Site mode: native; Console OS: ...`).
    pub(crate) fn facts_line(&self) -> String {
        self.facts
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl Row {
    /// Whether anything answered at the address (for the summary).
    pub(crate) fn answered(&self) -> bool {
        match self.status {
            Some(HostStatus::Unreachable | HostStatus::Silent | HostStatus::Dark) => false,
            Some(_) => true,
            None => self.version.is_some(),
        }
    }

    /// Whether the host is known to run Intel AMT.
    pub(crate) fn amt_found(&self) -> bool {
        self.amt_seen || self.status.is_some_and(HostStatus::proves_amt) || self.version.is_some()
    }

    /// Whether anything is said under the host: why it was not read, its
    /// findings, the facts it lacked, or its host-facts notes.
    pub(crate) fn has_details(&self) -> bool {
        self.error.is_some()
            || !self.findings.is_empty()
            || !self.missing.is_empty()
            || !self.notes.is_empty()
    }

    /// Findings that block readiness, first.
    pub(crate) fn blocking(&self) -> impl Iterator<Item = &RowFinding> {
        blocking(&self.findings)
    }

    /// The host cell: address, then AMT's FQDN when known.
    pub(crate) fn host_label(&self) -> String {
        match &self.hostname {
            Some(h) => format!("{} {h}", self.target),
            None => self.target.clone(),
        }
    }

    /// Verdict in words; "not judged" when rules did not run.
    pub(crate) fn verdict_label(&self) -> &'static str {
        verdict_label(self.verdict)
    }

    /// The read status in words, for rows that were not read fully.
    pub(crate) fn status_label(&self) -> Option<&'static str> {
        self.status.map(status_label)
    }
}

pub(crate) fn verdict_label(verdict: Option<Verdict>) -> &'static str {
    match verdict {
        Some(Verdict::Ready) => "ready",
        Some(Verdict::NotReady) => "not ready",
        Some(Verdict::Unknown) => "unknown",
        None => "not judged",
    }
}

pub(crate) fn status_label(status: HostStatus) -> &'static str {
    match status {
        HostStatus::Ok => "read",
        HostStatus::Unreachable => "unreachable",
        HostStatus::AuthFailed => "authentication failed",
        HostStatus::NotAmt => "not Intel AMT",
        HostStatus::Error => "read error",
        HostStatus::Silent => "silent",
        HostStatus::TlsUntrusted => "certificate not trusted",
        HostStatus::NotTried => "credentials not tried",
        HostStatus::Dark => "dark: inventory says AMT, nothing answered",
    }
}

/// The title of the document the built-in rules encode.
pub(crate) const SEED_TITLE: &str = "Configuration Manager 2007 SP1 Supported Configurations";

/// A rule's source as a reader can find it: document title and section. A
/// section that already names its document (an Intel advisory, a KB article)
/// is kept as it is.
pub(crate) fn source_title(section: &str) -> String {
    let s = section.trim();
    let names_document = s.contains(" — ")
        || s.starts_with("INTEL-SA")
        || s.starts_with("KB")
        || s.starts_with("http")
        || s.starts_with(SEED_TITLE);
    if names_document || s.is_empty() {
        s.to_string()
    } else {
        format!("{SEED_TITLE} — {s}")
    }
}

/// A source from a finding's or rule's own `document` (when it names one)
/// and its section: "Document — Section".
pub fn source_of(document: Option<&str>, section: &str) -> String {
    match document.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) if section.trim().is_empty() => d.to_string(),
        Some(d) => format!("{d} — {}", section.trim()),
        None => source_title(section),
    }
}

/// Provisioning state and mode in the admin's words.
pub(crate) fn provisioning_words(
    state: Option<ProvisioningState>,
    mode: Option<ProvisioningMode>,
    control: Option<ControlMode>,
) -> Option<String> {
    let state_w = state.map(|s| match s {
        ProvisioningState::Pre => "Not Provisioned",
        ProvisioningState::In => "Provisioning in progress",
        ProvisioningState::Post => "Provisioned",
    });
    // From 6.1 the control mode says how a provisioned device was set up;
    // before it the provisioning mode does.
    let mode_w = match control {
        Some(ControlMode::Admin) => Some("Admin Control Mode"),
        Some(ControlMode::Client) => Some("Client Control Mode"),
        _ => mode.map(|m| match m {
            ProvisioningMode::Enterprise => "Enterprise mode",
            ProvisioningMode::SmallBusiness => "Small Business mode",
            ProvisioningMode::RemoteConnectivity => "Remote Connectivity mode",
            ProvisioningMode::AdminControl => "Admin Control Mode",
            ProvisioningMode::ClientControl => "Client Control Mode",
        }),
    };
    match (state_w, mode_w) {
        (Some(s), Some(m)) if state == Some(ProvisioningState::Pre) => Some(format!("{s} ({m})")),
        (Some(s), Some(m)) => Some(format!("{s}, {m}")),
        (Some(s), None) => Some(s.to_string()),
        (None, Some(m)) => Some(m.to_string()),
        (None, None) => None,
    }
}

/// Decodes CIM_SoftwareIdentity `Sku` (a decimal bit field) for firmware of
/// major version `major`.
///
/// Bits, as Intel's ME tools (MEInfo, rpc-go's amtinfo) read them: from 3.0,
/// 0x02 Quiet System Technology, 0x04 ASF, 0x08 Intel AMT; from 5.0 also
/// 0x10 Intel Standard Manageability, 0x20 TPM, 0x100 Home IT and 0x400 WOX
/// (5.x only), 0x2000 Anti-Theft (AT-p), 0x4000 corporate firmware and 0x8000
/// Level III Manageability Upgrade (before 8.0). Our reading: from 5.0 a
/// clear 0x4000 means consumer firmware; before 5.0 there was no such bit.
/// AMT 2.x used plain values, not bits.
pub(crate) fn decode_sku(raw: &str, major: Option<u32>) -> Option<String> {
    let bits: u32 = raw.trim().parse().ok()?;
    let major = major.unwrap_or(5);
    let mut parts: Vec<&str> = Vec::new();
    if major <= 2 {
        return Some(
            match bits {
                0 => "Intel AMT, ASF, Quiet System Technology",
                1 => "ASF, Quiet System Technology",
                2 => "Quiet System Technology",
                _ => return Some(format!("unknown SKU {bits}")),
            }
            .to_string(),
        );
    }
    if bits & 0x08 != 0 {
        parts.push("Intel AMT");
    }
    if major >= 5 && bits & 0x10 != 0 {
        parts.push("Intel Standard Manageability");
    }
    if major < 5 {
        if bits & 0x04 != 0 {
            parts.push("ASF");
        }
        if bits & 0x02 != 0 {
            parts.push("Quiet System Technology");
        }
    } else {
        if major < 8 && bits & 0x8000 != 0 {
            parts.push("Level III Manageability Upgrade");
        }
        if bits & 0x2000 != 0 {
            parts.push("Anti-Theft");
        }
        if major < 6 {
            for (bit, name) in [
                (0x20, "TPM"),
                (0x04, "ASF"),
                (0x02, "Quiet System Technology"),
            ] {
                if bits & bit != 0 {
                    parts.push(name);
                }
            }
        }
        parts.push(if bits & 0x4000 != 0 {
            "corporate"
        } else {
            "consumer"
        });
    }
    if parts.is_empty() {
        return Some(format!("no manageability ({bits})"));
    }
    Some(parts.join(", "))
}

/// Builds rows, sharing the repeated rule texts between them.
#[derive(Default)]
pub(crate) struct Projector {
    strings: HashMap<String, Arc<str>>,
    /// Keep [`Row::details`] (only the HTML report shows them).
    details: bool,
}

impl Projector {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A projector that also keeps each host's further facts.
    pub(crate) fn detailed() -> Self {
        Self {
            details: true,
            ..Self::default()
        }
    }

    fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strings.get(s) {
            return a.clone();
        }
        // Bounded: rule texts are a few hundred; anything beyond is not shared.
        let a: Arc<str> = Arc::from(s);
        if self.strings.len() < 10_000 {
            self.strings.insert(s.to_string(), a.clone());
        }
        a
    }

    /// An evaluation's findings (blocking first) and missing facts, in words.
    fn findings(&mut self, evaluation: Option<&Evaluation>) -> (Vec<RowFinding>, Vec<String>) {
        let mut findings: Vec<RowFinding> = Vec::new();
        let mut missing = Vec::new();
        if let Some(eval) = evaluation {
            for severity in [Severity::Error, Severity::Warning, Severity::Info] {
                for f in eval.findings.iter().filter(|f| f.severity == severity) {
                    findings.push(RowFinding {
                        rule: self.intern(&clean(&f.rule)),
                        severity,
                        message: clean(&f.message).into_owned(),
                        fix: f.fix.as_deref().map(|x| self.intern(&clean(x))),
                        source: self
                            .intern(&clean(&source_of(f.document.as_deref(), &f.seed_section))),
                    });
                }
            }
            missing = eval.missing.iter().map(|m| clean(m).into_owned()).collect();
        }
        (findings, missing)
    }

    /// The run's site, in words.
    pub(crate) fn site_row(&mut self, site: &SiteReport) -> SiteRow {
        let (findings, missing) = self.findings(site.evaluation.as_ref());
        let f = &site.facts;
        let mut facts: Vec<(String, String)> = Vec::new();
        let mut push = |label: &str, value: Option<String>| {
            if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                facts.push((label.to_string(), clean(&v).into_owned()));
            }
        };
        let list = |v: &Option<Vec<String>>| {
            v.as_ref().map(|l| {
                if l.is_empty() {
                    "none".to_string()
                } else {
                    l.join(", ")
                }
            })
        };
        push("Site mode", f.mode.clone());
        push("Release", f.release.clone());
        push("Upgraded from", f.upgrade_from.clone());
        push("Out of band service point OS", f.service_point_os.clone());
        push("Service point hotfixes", list(&f.service_point_kbs));
        push("Site server OS", f.site_server_os.clone());
        push(
            "Site server OS upgraded from",
            f.site_server_os_upgraded_from.clone(),
        );
        push("Site hotfixes", list(&f.site_kbs));
        push("Console OS", f.console_os.clone());
        push("Site roles on the console computer", list(&f.console_roles));
        push("SQL Server", f.sql.clone());
        push("SQL Server upgraded from", f.sql_upgraded_from.clone());
        for (role, os) in f.role_os.iter().flatten() {
            push(&format!("{} OS", clean(role)), Some(os.clone()));
        }
        SiteRow {
            verdict: site.evaluation.as_ref().map(|e| e.verdict),
            findings,
            missing,
            not_checked: site
                .evaluation
                .as_ref()
                .map(|e| {
                    e.not_checked
                        .iter()
                        .map(|r| clean(r).into_owned())
                        .collect()
                })
                .unwrap_or_default(),
            facts,
        }
    }

    pub(crate) fn row(&mut self, report: &HostReport) -> Row {
        let facts = &report.facts;
        let amt = facts.amt.as_ref();
        let text = |v: Option<&String>| v.map(|s| clean(s).into_owned());
        let major = amt
            .and_then(|a| a.version.as_ref())
            .and_then(ReportedVersion::major);
        let hostname = amt.and_then(|a| match (&a.hostname, &a.domain) {
            (Some(h), Some(d)) if !h.is_empty() && !d.is_empty() => Some(format!("{h}.{d}")),
            (Some(h), _) if !h.is_empty() => Some(h.clone()),
            _ => None,
        });
        let (findings, missing) = self.findings(report.evaluation.as_ref());
        let mut details: Vec<(&'static str, String)> = Vec::new();
        if self.details {
            details.push((
                "Why this AMT status",
                clean(&report.configmgr().reason).into_owned(),
            ));
        }
        if let (true, Some(a)) = (self.details, amt) {
            let mut push = |label: &'static str, v: Option<String>| {
                if let Some(v) = v {
                    details.push((label, clean(&v).into_owned()));
                }
            };
            push("Build", a.build.clone());
            push(
                "Control mode",
                a.control_mode.map(|c| c.as_str().to_string()),
            );
            push("Zero-touch (remote) setup", a.ztc_enabled.map(yes_no));
            push("DHCP DNS suffix", a.dhcp_dns_suffix.clone());
            push("Trusted DNS suffix", a.trusted_dns_suffix.clone());
            push("Digest realm", a.digest_realm.clone());
            push("Host OS name (HostOSFQDN)", a.host_os_fqdn.clone());
            push("Network interface", a.network_interface_enabled.map(on_off));
            push("AMT network access", a.amt_network_enabled.map(on_off));
            push(
                "Provisioning certificate hashes",
                a.cert_hashes.as_ref().map(|h| {
                    let on = h.iter().filter(|c| c.enabled != Some(false)).count();
                    format!("{} ({on} enabled)", h.len())
                }),
            );
            push("Server header", a.server_header.clone());
            if !a.unavailable.is_empty() {
                push("Not answered", Some(a.unavailable.join(", ")));
            }
        }
        if let (true, Some(h)) = (self.details, &facts.host) {
            let os: Vec<&str> = [&h.os, &h.service_pack, &h.architecture]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            if !os.is_empty() {
                details.push(("Host OS", clean(&os.join(" ")).into_owned()));
            }
        }
        Row {
            target: clean(&facts.target).into_owned(),
            hostname: hostname.map(|h| clean(&h).into_owned()),
            status: facts.status,
            error: text(facts.error.as_ref()),
            version: amt
                .and_then(|a| a.version.as_deref())
                .map(|v| clean(v).into_owned()),
            version_source: amt.and_then(|a| a.source),
            amt_seen: amt.is_some_and(|a| a.version.is_some() || a.rmcp.is_some()),
            // The one derivation in `rules::amt_status`, so every format and
            // the JSON record's `configmgr` agree.
            amt_status: report.configmgr().amt_status,
            provisioning: amt.and_then(|a| {
                provisioning_words(a.provisioning_state, a.provisioning_mode, a.control_mode)
            }),
            sku: amt.and_then(|a| a.sku.as_deref()).map(|s| {
                decode_sku(s, major).unwrap_or_else(|| format!("unrecognised SKU {}", clean(s)))
            }),
            sku_raw: text(amt.and_then(|a| a.sku.as_ref())),
            verdict: report.evaluation.as_ref().map(|e| e.verdict),
            findings,
            missing,
            notes: host_notes(facts.host.as_ref()),
            details,
        }
    }
}

/// Most host-facts notes a row keeps: a host read at three addresses has
/// three reasons; more say nothing new.
const MAX_NOTES: usize = 6;

/// `host.unread` and `host.conflicts` in words, each one bounded line.
fn host_notes(host: Option<&facts::HostFacts>) -> Vec<String> {
    let Some(host) = host else {
        return Vec::new();
    };
    let line = |prefix: &str, text: &str| {
        crate::text::bounded_line(&format!("{prefix}{text}"), crate::amt::MAX_ERROR_CHARS)
    };
    host.unread
        .iter()
        .map(|u| line("not read: ", u))
        .chain(host.conflicts.iter().map(|c| line("conflict: ", c)))
        .take(MAX_NOTES)
        .collect()
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn on_off(b: bool) -> String {
    if b { "enabled" } else { "disabled" }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sku_bits_decode_to_words() {
        assert_eq!(
            decode_sku("16392", Some(11)).unwrap(),
            "Intel AMT, corporate"
        );
        assert_eq!(
            decode_sku("24584", Some(8)).unwrap(),
            "Intel AMT, Anti-Theft, corporate"
        );
        assert_eq!(
            decode_sku("16400", Some(16)).unwrap(),
            "Intel Standard Manageability, corporate"
        );
        assert_eq!(decode_sku("8", Some(10)).unwrap(), "Intel AMT, consumer");
        assert_eq!(decode_sku("16392", Some(3)).unwrap(), "Intel AMT");
        assert_eq!(
            decode_sku("0", Some(2)).unwrap(),
            "Intel AMT, ASF, Quiet System Technology"
        );
        assert_eq!(decode_sku("x", Some(5)), None);
    }

    #[test]
    fn provisioning_in_words() {
        assert_eq!(
            provisioning_words(
                Some(ProvisioningState::Pre),
                Some(ProvisioningMode::Enterprise),
                None
            )
            .unwrap(),
            "Not Provisioned (Enterprise mode)"
        );
        assert_eq!(
            provisioning_words(
                Some(ProvisioningState::Post),
                Some(ProvisioningMode::AdminControl),
                Some(ControlMode::Admin)
            )
            .unwrap(),
            "Provisioned, Admin Control Mode"
        );
    }

    #[test]
    fn sources_name_the_document() {
        assert_eq!(
            source_title("Out of Band Management"),
            "Configuration Manager 2007 SP1 Supported Configurations — Out of Band Management"
        );
        assert_eq!(source_title("INTEL-SA-00075"), "INTEL-SA-00075");
    }
}
