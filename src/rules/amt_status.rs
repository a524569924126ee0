//! The AMT status Configuration Manager 2007 SP1 would show for a host after
//! discovery, from the definitions in "About the AMT Status and Out of Band
//! Management" (Configuration Manager 2007 SP1 documentation,
//! <http://systemscenter.ru/smsv4.en/html/4ae1a132-fb92-4fef-a694-96def0c15c5e.htm>):
//!
//! - Unknown (`AMTStatus is null`): discovery has not reached the computer.
//! - Not Supported (0): Configuration Manager cannot detect AMT through the
//!   network interface: no AMT, or its network interface is closed.
//! - Detected (1): AMT is there but the out of band service point cannot
//!   provision it, typically provisioned outside Configuration Manager with a
//!   Remote Admin or MEBx password it does not know.
//! - Not Provisioned (2): AMT is there and can be provisioned.
//! - Provisioned (3): AMT is there and can be managed out of band.
//!
//! Readings we took where the page is silent (the reason says which applied):
//! - Nothing answered (silent, unreachable): Unknown, not Not Supported: a
//!   scan cannot tell a computer that is switched off from one without AMT.
//! - Dark (the inventory export says the computer has AMT, and nothing
//!   answered at its addresses): Not Supported. "No AMT" is ruled out by the
//!   inventory, and "cannot detect AMT by using the network interface" is
//!   what the page says Not Supported means, a closed interface included.
//! - Something answered on the AMT port but not as AMT: Not Supported.
//! - AMT answered but refused the credentials given to `scan` (which stand for
//!   Configuration Manager's AMT Provisioning and Discovery Account): Detected,
//!   whatever the provisioning state, because Configuration Manager could not
//!   log on either. A mistyped password is refused the same way, so the
//!   reason names it first.
//! - AMT answered but the credentials were never offered (`not_tried`: the
//!   auth-fail limit had stopped them): Unknown, since nothing was tested.
//! - AMT read without credentials (banner or RMCP only): Unknown, since
//!   whether Configuration Manager's account would be accepted was not tested.
//! - Provisioning state `in` (set-up started, not finished): Not Provisioned;
//!   Configuration Manager's provisioning completes it.
//! - Provisioning state `post` with the credentials accepted: Provisioned.

use crate::facts::ProvisioningState;
use crate::facts::{AmtStatus, ConfigMgrView, FactSource, FactsRecord, HostStatus};

/// The status, its query value and why.
pub fn amt_status(record: &FactsRecord) -> ConfigMgrView {
    let (status, reason) = decide(record);
    ConfigMgrView {
        amt_status: status,
        sms_r_system_amtstatus: status.query_value(),
        reason: reason.to_string(),
    }
}

fn decide(record: &FactsRecord) -> (AmtStatus, &'static str) {
    let amt = record.amt.as_ref();
    match record.status {
        Some(HostStatus::Silent) | Some(HostStatus::Unreachable) => {
            return (
                AmtStatus::Unknown,
                "nothing answered on the AMT port: discovery cannot tell a switched-off computer from one without AMT",
            )
        }
        // "About the AMT Status and Out of Band Management": Not Supported
        // also covers a computer with AMT whose network interface is closed.
        Some(HostStatus::Dark) => {
            return (
                AmtStatus::NotSupported,
                "the inventory says this computer has AMT, but nothing answered on the AMT ports: discovery would find no AMT (its interface closed or off)",
            )
        }
        Some(HostStatus::NotAmt) => {
            return (
                AmtStatus::NotSupported,
                "the AMT port answered, but not as Intel AMT",
            )
        }
        Some(HostStatus::AuthFailed) => {
            return (
                AmtStatus::Detected,
                "AMT answered but refused the credentials: either the credentials given are wrong (check them first), or it was provisioned elsewhere or its password changed",
            )
        }
        Some(HostStatus::NotTried) => {
            return (
                AmtStatus::Unknown,
                "AMT answered, but the credentials were not offered to it after earlier devices in a row rejected them: check the credentials",
            )
        }
        Some(HostStatus::Error) => {
            return (
                AmtStatus::Unknown,
                "AMT answered, but its answers could not be read",
            )
        }
        Some(HostStatus::TlsUntrusted) => {
            return (
                AmtStatus::Unknown,
                "a TLS listener answered, but its certificate is not trusted, so nothing was read",
            )
        }
        Some(HostStatus::Ok) | None => {}
    }
    let Some(amt) = amt else {
        return (AmtStatus::Unknown, "no AMT facts");
    };
    if amt.network_interface_enabled == Some(false) {
        return (
            AmtStatus::NotSupported,
            "the AMT network interface is disabled (closed), so discovery cannot reach AMT",
        );
    }
    if matches!(
        amt.source,
        Some(FactSource::ServerHeader) | Some(FactSource::Rmcp)
    ) {
        return (
            AmtStatus::Unknown,
            "AMT answered, but without credentials it was not tested whether Configuration Manager's account is accepted",
        );
    }
    match amt.provisioning_state {
        Some(ProvisioningState::Pre) => (
            AmtStatus::NotProvisioned,
            "AMT answered with the credentials and is not provisioned",
        ),
        Some(ProvisioningState::In) => (
            AmtStatus::NotProvisioned,
            "AMT answered with the credentials; its set-up started but did not finish",
        ),
        Some(ProvisioningState::Post) => (
            AmtStatus::Provisioned,
            "AMT answered with the credentials and is provisioned",
        ),
        None => (AmtStatus::Unknown, "the provisioning state was not read"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(record: serde_json::Value) -> (AmtStatus, Option<u8>) {
        let record: FactsRecord = serde_json::from_value(record).unwrap();
        let view = amt_status(&record);
        (view.amt_status, view.sms_r_system_amtstatus)
    }

    /// Every status value, from the cases the documentation describes.
    #[test]
    fn every_status_value() {
        let cases = [
            (
                json!({"target": "t", "status": "unreachable"}),
                AmtStatus::Unknown,
                None,
            ),
            (
                json!({"target": "t", "status": "silent"}),
                AmtStatus::Unknown,
                None,
            ),
            (
                json!({"target": "t", "status": "error", "amt": {"version": "5.2.10"}}),
                AmtStatus::Unknown,
                None,
            ),
            (
                json!({"target": "t", "status": "ok", "amt": {"version": "5.2.10", "source": "server_header"}}),
                AmtStatus::Unknown,
                None,
            ),
            (
                json!({"target": "t", "status": "ok", "amt": {"version": "5.2.10", "source": "wsman"}}),
                AmtStatus::Unknown,
                None,
            ),
            (
                json!({"target": "t", "status": "not_amt"}),
                AmtStatus::NotSupported,
                Some(0),
            ),
            (
                json!({"target": "t", "status": "ok", "amt": {"version": "5.2.10", "source": "wsman",
                "provisioning_state": "pre", "network_interface_enabled": false}}),
                AmtStatus::NotSupported,
                Some(0),
            ),
            (
                json!({"target": "t", "status": "auth_failed", "amt": {"version": "5.2.10", "source": "server_header"}}),
                AmtStatus::Detected,
                Some(1),
            ),
            (
                json!({"target": "t", "status": "ok", "amt": {"version": "5.2.10", "source": "wsman",
                "provisioning_state": "pre"}}),
                AmtStatus::NotProvisioned,
                Some(2),
            ),
            (
                json!({"target": "t", "status": "ok", "amt": {"version": "5.2.10", "source": "eoi",
                "provisioning_state": "in"}}),
                AmtStatus::NotProvisioned,
                Some(2),
            ),
            (
                json!({"target": "t", "status": "ok", "amt": {"version": "8.1.40", "source": "wsman",
                "provisioning_state": "post", "network_interface_enabled": true}}),
                AmtStatus::Provisioned,
                Some(3),
            ),
            // A facts file: what it states is taken as read.
            (
                json!({"target": "t", "amt": {"version": "5.2.10", "provisioning_state": "post"}}),
                AmtStatus::Provisioned,
                Some(3),
            ),
            (
                json!({"target": "t", "host": {"os": "xp-sp3"}}),
                AmtStatus::Unknown,
                None,
            ),
        ];
        for (record, want, value) in cases {
            assert_eq!(status(record.clone()), (want, value), "{record}");
        }
        for each in AmtStatus::ALL {
            assert_eq!(each.query_value().is_none(), each == AmtStatus::Unknown);
        }
        assert_eq!(AmtStatus::Detected.with_value(), "Detected (1)");
        assert_eq!(AmtStatus::Unknown.with_value(), "Unknown (null)");
    }
}
