//! `rras`: Routing and Remote Access is not running on the host (Internet
//! Connection Sharing turns it on).

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::HostRrasRunning, FactId::HostIcsEnabled])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let host = cx.parsed.host();
        let rras = host.and_then(|h| h.rras_running);
        let ics = host.and_then(|h| h.ics_enabled);
        let mut found = Vec::new();
        if rras == Some(true) {
            found.push(cx.finding("the Routing and Remote Access service runs on the host; out-of-band communication is not supported".into()));
        }
        if ics == Some(true) {
            found.push(cx.finding("Internet Connection Sharing is enabled, which runs Routing and Remote Access; out-of-band communication is not supported".into()));
        }
        if !found.is_empty() {
            return Outcome::findings(found);
        }
        let mut lacking = Vec::new();
        if rras.is_none() {
            lacking.push(FactId::HostRrasRunning.missing());
        }
        if ics.is_none() {
            lacking.push(FactId::HostIcsEnabled.missing());
        }
        Outcome::missing(lacking)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::run;
    use serde_json::json;

    #[test]
    fn either_service_fails_and_both_are_needed_to_pass() {
        let out = run("HOST-RRAS", json!({"target": "t", "host": {"ics_enabled": true}}));
        assert_eq!(out.findings.len(), 1);
        let out = run("HOST-RRAS", json!({"target": "t", "host": {"rras_running": false}}));
        assert_eq!(out.missing, ["host.ics_enabled"]);
        let out = run(
            "HOST-RRAS",
            json!({"target": "t", "host": {"rras_running": false, "ics_enabled": false}}),
        );
        assert_eq!(out, super::Outcome::pass());
    }
}
