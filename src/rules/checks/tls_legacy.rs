//! `tls-legacy`: the device could only be reached with TLS 1.0 or 1.1, which
//! RFC 8996 deprecates: no forward secrecy with RSA key exchange, SHA-1 in
//! the handshake, CBC ciphers with known attacks.

use serde::Deserialize;

use super::{Check, Ctx, Outcome};
use crate::rules::fact::{FactId, FactUse};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Check for Params {
    fn facts(&self) -> FactUse {
        FactUse::same(&[FactId::AmtTlsProtocol])
    }

    fn run(&self, cx: &Ctx<'_>) -> Outcome {
        let tls = cx.parsed.record.amt.as_ref().and_then(|a| a.tls.as_ref());
        let Some(protocol) = tls.and_then(|t| t.protocol.as_deref()) else {
            return Outcome::missing(vec![FactId::AmtTlsProtocol.missing()]);
        };
        let legacy = tls.and_then(|t| t.legacy) == Some(true)
            || protocol.ends_with("-1.0")
            || protocol.ends_with("-1.1");
        if !legacy {
            return Outcome::pass();
        }
        let cipher = tls
            .and_then(|t| t.cipher.as_deref())
            .map(|c| format!(" with {}", super::clip(c)))
            .unwrap_or_default();
        Outcome::findings(vec![cx.finding(format!(
            "the device speaks only deprecated TLS ({}{cipher}); its traffic has no forward secrecy",
            super::clip(protocol)
        ))])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{rules, run_in};
    use crate::rules::Policy;
    use serde_json::json;

    #[test]
    fn legacy_protocols_are_flagged_modern_ones_pass() {
        let policy = Policy::named("configmgr-2007-sp1-provisioning").unwrap();
        let run = |tls: serde_json::Value| run_in(policy, "TLS-LEGACY", json!({"target": "t", "amt": {"tls": tls}}));
        let out = run(json!({"protocol": "legacy-1.0", "legacy": true, "cipher": "TLS_RSA_WITH_AES_128_CBC_SHA"}));
        assert_eq!(rules(&out), ["TLS-LEGACY"]);
        assert!(out.findings[0].message.contains("TLS_RSA_WITH_AES_128_CBC_SHA"));
        assert_eq!(rules(&run(json!({"protocol": "legacy-1.1"}))), ["TLS-LEGACY"]);
        assert!(run(json!({"protocol": "tls-1.3", "legacy": false})).findings.is_empty());
        assert!(run(json!({"protocol": "tls-1.2"})).findings.is_empty());
        assert_eq!(run(json!({})).missing, ["amt.tls.protocol"]);
    }
}
