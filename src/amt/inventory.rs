//! The authenticated read sequence, with fallbacks by firmware generation.
//!
//! The classes and their order are [`super::SEQUENCE`]: CIM_SoftwareIdentity
//! (version, build, SKU); if that gives no version, EOI GetCoreVersion (AMT
//! ≤ 8); then the configuration classes; then EOI host/domain names if
//! GeneralSettings was not read; and last the `Server` banner's version. A
//! class that faults, or that the firmware cannot have
//! ([`super::firmware`]), is recorded as unavailable and its facts stay
//! unknown. Only a failure of the host itself stops the sequence:
//! authentication (every further attempt would count toward AMT's lockout)
//! or the device no longer answering.

use crate::facts::{AmtFacts, FactSource};
use crate::version::ReportedVersion;
use crate::wsman::{CallLimits, Error, Session};

use super::class::Run;

/// How the inventory went when the host kept answering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct InventoryOutcome {
    /// The first read that failed for a reason other than the device
    /// refusing it (bad XML, a protocol violation), as one line.
    pub problem: Option<String>,
}

/// Runs the read sequence, filling `facts`. `banner_version` is the probe's
/// version, used to skip calls the firmware cannot have and as the last
/// fallback for the version. `tls_off`: the sweep saw the device refuse
/// 16993 and it is read over plain HTTP, so AMT_TLSSettingData is not asked
/// for (see `tls_setting_data::tls_off_settings`). `Err` means the
/// host itself failed.
pub(crate) async fn read(
    session: &Session,
    limits: &CallLimits,
    facts: &mut AmtFacts,
    banner_version: Option<&str>,
    tls_off: bool,
) -> Result<InventoryOutcome, Error> {
    let banner = banner_version.map(ReportedVersion::from);
    let mut run = Run::new(session, limits, facts, banner, tls_off);
    for step in super::SEQUENCE {
        step.run(&mut run).await?;
    }
    let (mut problem, banner) = run.finish();
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
    finish(facts, banner);
    Ok(InventoryOutcome { problem })
}

/// The last fallback for the version: the `Server` banner.
pub(crate) fn finish_version(facts: &mut AmtFacts, banner_version: Option<&str>) {
    finish(facts, banner_version.map(ReportedVersion::from));
}

fn finish(facts: &mut AmtFacts, banner: Option<ReportedVersion>) {
    if facts.version.is_none() {
        if let Some(v) = banner {
            facts.version = Some(v);
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
    use crate::amt::{
        general_settings, host_based_setup, provisioning_certificate_hash, setup_and_configuration,
        software_identity, tls_setting_data,
    };
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
