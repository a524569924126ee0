//! The authenticated read sequence, with fallbacks by firmware generation.
//!
//! Order: CIM_SoftwareIdentity (version, build, SKU); if that gives no
//! version, EOI GetCoreVersion (AMT ≤ 8); then the configuration classes;
//! then EOI host/domain names if GeneralSettings was not available; and last
//! the `Server` banner's version. A class that faults is recorded as
//! unavailable and its facts stay unknown. Only a failure of the host itself
//! stops the sequence: authentication (every further attempt would count
//! toward AMT's lockout) or the device no longer answering.

use crate::facts::{
    AmtFacts, FactSource, HostStatus, ProvisioningMode, ProvisioningState, TlsSettingsFacts,
};
use crate::version::ReportedVersion;
use crate::wsman::{CallLimits, Error, Session};

use super::{
    eoi, firmware, general_settings, host_based_setup, provisioning_certificate_hash,
    setup_and_configuration, software_identity, tls_setting_data,
};

/// How the inventory went when the host kept answering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryOutcome {
    /// The first read that failed for a reason other than the device
    /// refusing it (bad XML, a protocol violation), as one line.
    pub problem: Option<String>,
}

/// Sorts a class read's result into "got it", "not on this firmware"
/// (recorded, sequence goes on) or "the host failed" (sequence stops).
struct Triage<'a> {
    facts: &'a mut AmtFacts,
    problem: Option<String>,
}

impl Triage<'_> {
    fn take<T>(&mut self, what: &str, result: Result<T, Error>) -> Result<Option<T>, Error> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(e)
                if matches!(
                    super::host_status(&e),
                    HostStatus::AuthFailed | HostStatus::Unreachable
                ) =>
            {
                Err(e)
            }
            Err(e) => {
                self.facts.unavailable.push(what.to_owned());
                if !e.is_refusal() && self.problem.is_none() {
                    self.problem = Some(format!("{what}: {e}"));
                }
                Ok(None)
            }
        }
    }

    fn set<T>(
        &mut self,
        field: &str,
        slot: fn(&mut AmtFacts) -> &mut Option<T>,
        value: Option<T>,
        source: FactSource,
    ) {
        if let Some(value) = value {
            *slot(self.facts) = Some(value);
            self.facts.sources.insert(field.to_owned(), source);
        }
    }
}

/// Runs the read sequence, filling `facts`. `banner_version` is the probe's
/// version, used to skip calls the firmware cannot have and as the last
/// fallback for the version. `tls_off`: the sweep saw the device refuse
/// 16993 and it is read over plain HTTP, so AMT_TLSSettingData is not asked
/// for (see [`tls_off_settings`]). `Err` means the host itself failed.
pub async fn read(
    session: &Session,
    limits: &CallLimits,
    facts: &mut AmtFacts,
    banner_version: Option<&str>,
    tls_off: bool,
) -> Result<InventoryOutcome, Error> {
    let mut t = Triage {
        facts,
        problem: None,
    };
    let wsman = FactSource::Wsman;
    // Each read is boxed: inline, every read's state would be laid out in
    // this future and so in every host's task for its whole life, and a
    // thousand devices in flight held 8 KiB each for it (docs/performance.md).

    let identity = Box::pin(software_identity::read(session, limits)).await;
    // No /wsman at all (AMT before 3.0): every other WS-Man read would fail
    // the same way, so they are not sent.
    let wsman_missing = matches!(identity, Err(Error::HttpStatus(404)));
    if let Some(si) = t.take(software_identity::CLASS, identity)? {
        t.set(
            "version",
            |f| &mut f.version,
            si.version().map(ReportedVersion::from),
            wsman,
        );
        t.set(
            "build",
            |f| &mut f.build,
            si.build().map(str::to_owned),
            wsman,
        );
        t.set("sku", |f| &mut f.sku, si.sku().map(str::to_owned), wsman);
    }

    let banner = banner_version.map(ReportedVersion::from);
    // EOI was removed in AMT 9.0; do not ask a banner-identified 9+ for it.
    let eoi_possible = |v: Option<&ReportedVersion>| firmware::EOI.span.may_have(v);
    if t.facts.version.is_none() && eoi_possible(banner.as_ref()) {
        let version = Box::pin(eoi::core_version(session, limits)).await;
        if let Some(v) = t.take("EOI GetCoreVersion", version)? {
            t.set(
                "version",
                |f| &mut f.version,
                Some(v.into()),
                FactSource::Eoi,
            );
        }
    }
    let known_version = t.facts.version.clone();
    let best_version = known_version.as_ref().or(banner.as_ref());

    let wsman_classes = [
        setup_and_configuration::CLASS,
        host_based_setup::CLASS,
        general_settings::CLASS,
        provisioning_certificate_hash::CLASS,
        tls_setting_data::CLASS,
    ];
    let mut general_available = false;
    if wsman_missing {
        t.facts
            .unavailable
            .extend(wsman_classes.iter().map(|c| (*c).to_owned()));
    } else {
        let setup = Box::pin(setup_and_configuration::read(session, limits)).await;
        if let Some(sc) = t.take(setup_and_configuration::CLASS, setup)? {
            let major = best_version.and_then(ReportedVersion::major);
            let state = sc.provisioning_state.and_then(ProvisioningState::from_wire);
            let mode = sc
                .provisioning_mode
                .and_then(|m| ProvisioningMode::from_wire(m, major));
            t.set(
                "provisioning_state",
                |f| &mut f.provisioning_state,
                state,
                wsman,
            );
            t.set(
                "provisioning_mode",
                |f| &mut f.provisioning_mode,
                mode,
                wsman,
            );
            t.set("ztc_enabled", |f| &mut f.ztc_enabled, sc.ztc_enabled, wsman);
            t.set(
                "dhcp_dns_suffix",
                |f| &mut f.dhcp_dns_suffix,
                sc.dhcp_dns_suffix,
                wsman,
            );
            t.set(
                "trusted_dns_suffix",
                |f| &mut f.trusted_dns_suffix,
                sc.trusted_dns_suffix,
                wsman,
            );
        }

        if firmware::HOST_BASED_SETUP.span.may_have(best_version) {
            let hbs = Box::pin(host_based_setup::read(session, limits)).await;
            if let Some(h) = t.take(host_based_setup::CLASS, hbs)? {
                t.set(
                    "control_mode",
                    |f| &mut f.control_mode,
                    h.current_control_mode,
                    wsman,
                );
            }
        } else {
            t.facts.unavailable.push(host_based_setup::CLASS.to_owned());
        }

        let general = Box::pin(general_settings::read(session, limits)).await;
        if let Some(g) = t.take(general_settings::CLASS, general)? {
            general_available = true;
            t.set("hostname", |f| &mut f.hostname, g.hostname, wsman);
            t.set("domain", |f| &mut f.domain, g.domain, wsman);
            t.set(
                "host_os_fqdn",
                |f| &mut f.host_os_fqdn,
                g.host_os_fqdn,
                wsman,
            );
            t.set(
                "digest_realm",
                |f| &mut f.digest_realm,
                g.digest_realm,
                wsman,
            );
            t.set(
                "network_interface_enabled",
                |f| &mut f.network_interface_enabled,
                g.network_interface_enabled,
                wsman,
            );
            t.set(
                "amt_network_enabled",
                |f| &mut f.amt_network_enabled,
                g.amt_network_enabled,
                wsman,
            );
        }

        let hashes = Box::pin(provisioning_certificate_hash::read(session, limits)).await;
        if let Some(h) = t.take(provisioning_certificate_hash::CLASS, hashes)? {
            t.set("cert_hashes", |f| &mut f.cert_hashes, Some(h), wsman);
        }

        if tls_off {
            t.set(
                "tls_settings",
                |f| &mut f.tls_settings,
                Some(tls_off_settings()),
                FactSource::Sweep,
            );
        } else {
            let tls = Box::pin(tls_setting_data::read(session, limits)).await;
            if let Some(s) = t.take(tls_setting_data::CLASS, tls)? {
                t.set("tls_settings", |f| &mut f.tls_settings, Some(s), wsman);
            }
        }
    }

    if !general_available && eoi_possible(best_version) {
        let host = Box::pin(eoi::host_name(session, limits)).await;
        if let Some(h) = t.take("EOI GetHostName", host)? {
            let h = Some(h).filter(|h| !h.is_empty());
            t.set("hostname", |f| &mut f.hostname, h, FactSource::Eoi);
        }
        let domain = Box::pin(eoi::domain_name(session, limits)).await;
        if let Some(d) = t.take("EOI GetDomainName", domain)? {
            let d = Some(d).filter(|d| !d.is_empty());
            t.set("domain", |f| &mut f.domain, d, FactSource::Eoi);
        }
    }

    let mut problem = t.problem.take();
    // Every class may be missing on some firmware, but not all of them on a
    // device that accepted our credentials: if nothing authenticated was read,
    // the device was not inventoried, and its banner alone must not pass for
    // a read (the banner is the weakest evidence there is).
    let authenticated_read = facts
        .sources
        .values()
        .any(|s| matches!(s, FactSource::Wsman | FactSource::Eoi));
    if problem.is_none() && !authenticated_read {
        problem = Some(format!(
            "no authenticated read succeeded ({} unavailable)",
            facts.unavailable.join(", ")
        ));
    }
    finish_version(facts, banner_version);
    Ok(InventoryOutcome { problem })
}

/// The network interface's TLS settings of a device that refused a
/// connection to 16993 and answers plain HTTP on 16992: AMT listens on 16993
/// only while TLS is enabled (AMT-FACTS.md, "Ports": 16993 is "the same over
/// TLS"; the RMCP pong reports the two ports separately because they differ
/// by configuration), and the plain read itself shows non-secure connections
/// are accepted. Mutual authentication has no effect with TLS off and stays
/// unknown. This saves AMT_TLSSettingData's request on every device without
/// TLS, the common case on AMT before 16 (issue 9: at most 6 requests).
pub fn tls_off_settings() -> TlsSettingsFacts {
    TlsSettingsFacts {
        interface: Some("remote".to_owned()),
        enabled: Some(false),
        mutual_authentication: None,
        accept_non_secure_connections: Some(true),
    }
}

/// The last fallback for the version: the `Server` banner.
pub fn finish_version(facts: &mut AmtFacts, banner_version: Option<&str>) {
    if facts.version.is_none() {
        if let Some(v) = banner_version {
            facts.version = Some(v.into());
            facts
                .sources
                .insert("version".into(), FactSource::ServerHeader);
        }
    }
    if let Some(source) = facts.sources.get("version") {
        facts.source = Some(*source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_is_the_last_resort() {
        let mut facts = AmtFacts::default();
        finish_version(&mut facts, Some("7.1.91"));
        assert_eq!(facts.version.as_deref(), Some("7.1.91"));
        assert_eq!(facts.source, Some(FactSource::ServerHeader));

        let mut facts = AmtFacts {
            version: Some("7.1.91".into()),
            ..AmtFacts::default()
        };
        facts.sources.insert("version".into(), FactSource::Eoi);
        finish_version(&mut facts, Some("9.9.9"));
        assert_eq!(facts.version.as_deref(), Some("7.1.91"));
        assert_eq!(facts.source, Some(FactSource::Eoi));
    }
}

/// The whole read sequence through the fake transport: no sockets, every
/// class reader driven by canned answers keyed on the request's resource URI.
#[cfg(test)]
mod fake_device_tests {
    use std::sync::Arc;

    use http::StatusCode;

    use super::*;
    use crate::amt::{general_settings, software_identity};
    use crate::wsman::envelope::{NS_ADDRESSING, NS_SOAP12, NS_WSMAN};
    use crate::wsman::fake::{soap_ok, FakeTransport};
    use crate::wsman::testserver::soap_envelope;
    use crate::wsman::{Endpoint, EnvelopeOptions, NoAuth, RawResponse, Request};

    const ENUM: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";

    fn header(req: &Request, ns: &str, name: &str) -> String {
        let root = crate::wsman::xml::parse(&req.body).unwrap();
        root.child(NS_SOAP12, "Header")
            .and_then(|h| h.child_text(ns, name))
            .unwrap_or_default()
            .to_owned()
    }

    fn fault(relates: &str) -> RawResponse {
        let body = soap_envelope(
            relates,
            r#"<a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>b:DestinationUnreachable</a:Value></a:Subcode></a:Code><a:Reason><a:Text xml:lang="en-US">No route can be determined to reach the destination role defined by the WS-Addressing To.</a:Text></a:Reason></a:Fault>"#,
        );
        RawResponse {
            status: StatusCode::BAD_REQUEST,
            ..soap_ok(&body)
        }
    }

    fn device(req: &Request, _: usize) -> Result<RawResponse, Error> {
        let relates = header(req, NS_ADDRESSING, "MessageID");
        let uri = header(req, NS_WSMAN, "ResourceURI");
        let action = header(req, NS_ADDRESSING, "Action");
        let si = software_identity::RESOURCE_URI;
        let gs = general_settings::RESOURCE_URI;
        let body = if uri == si && action.ends_with("/Enumerate") {
            format!(
                r#"<g:EnumerateResponse xmlns:g="{ENUM}"><g:EnumerationContext>ctx</g:EnumerationContext></g:EnumerateResponse>"#
            )
        } else if uri == si && action.ends_with("/Pull") {
            let item = |id: &str, v: &str| {
                format!(
                    r#"<h:CIM_SoftwareIdentity xmlns:h="{si}"><h:InstanceID>{id}</h:InstanceID><h:VersionString>{v}</h:VersionString></h:CIM_SoftwareIdentity>"#
                )
            };
            format!(
                r#"<g:PullResponse xmlns:g="{ENUM}"><g:Items>{}{}{}</g:Items><g:EndOfSequence/></g:PullResponse>"#,
                item("AMT", "15.0.41"),
                item("Build Number", "2142"),
                item("Sku", "16392")
            )
        } else if uri == gs {
            format!(
                r#"<h:AMT_GeneralSettings xmlns:h="{gs}"><h:DomainName>corp.example.com</h:DomainName><h:HostName>pc7</h:HostName><h:NetworkInterfaceEnabled>true</h:NetworkInterfaceEnabled></h:AMT_GeneralSettings>"#
            )
        } else {
            return Ok(fault(&relates));
        };
        Ok(soap_ok(&soap_envelope(&relates, &body)))
    }

    #[tokio::test]
    async fn every_reader_through_the_fake_transport() {
        let fake = FakeTransport::new(device);
        let session = Session::new(
            Arc::new(fake.clone()),
            Endpoint::https("pc7", 16993),
            Arc::new(NoAuth),
            crate::amt::WSMAN_PATH,
            EnvelopeOptions::default(),
        );
        let mut facts = AmtFacts::default();
        let outcome = read(
            &session,
            &CallLimits::default(),
            &mut facts,
            Some("15.0.41"),
            false,
        )
        .await
        .unwrap();
        assert_eq!(outcome.problem, None);
        assert_eq!(facts.version.as_deref(), Some("15.0.41"));
        assert_eq!(facts.source, Some(FactSource::Wsman));
        assert_eq!(facts.build.as_deref(), Some("2142"));
        assert_eq!(facts.hostname.as_deref(), Some("pc7"));
        assert_eq!(facts.domain.as_deref(), Some("corp.example.com"));
        assert_eq!(facts.network_interface_enabled, Some(true));
        // Faulted classes are unavailable, not failures; no EOI on 15.x.
        for class in [
            setup_and_configuration::CLASS,
            host_based_setup::CLASS,
            provisioning_certificate_hash::CLASS,
            tls_setting_data::CLASS,
        ] {
            assert!(facts.unavailable.iter().any(|c| c == class), "{class}");
        }
        let paths: Vec<String> = fake.requests().iter().map(|r| r.path.clone()).collect();
        assert!(paths.iter().all(|p| p == "/wsman"), "{paths:?}");
    }
}
