//! What a failed call means for a host: the mapping from the protocol layer's
//! errors to the facts record's status lives here, not in `wsman/`.

use crate::facts::HostStatus;
use crate::wsman::Error;

/// The host status a call's error means for a facts record.
pub fn host_status(error: &Error) -> HostStatus {
    match error {
        Error::ConnectionRefused
        | Error::ConnectionReset
        | Error::ConnectTimeout(_)
        | Error::Timeout(_)
        | Error::Connect(_)
        | Error::Tls(_) => HostStatus::Unreachable,
        Error::CertificateRejected(_) => HostStatus::TlsUntrusted,
        Error::AuthFailed => HostStatus::AuthFailed,
        // docs/user-guide.md: `not_amt` is "something answered on the port, but not as AMT".
        Error::NotHttp(_) => HostStatus::NotAmt,
        // A record only holds this where plain HTTP was all that was asked
        // for (`--tls off`); `auto` reads such a port over TLS instead.
        Error::TlsAnswer => HostStatus::NotAmt,
        Error::HttpStatus(_)
        | Error::EmptyBadRequest
        | Error::BodyTooLarge(_)
        | Error::BadXml(_)
        | Error::Fault(_)
        | Error::Protocol(_)
        | Error::Http(_)
        | Error::ClientBuild(_)
        | Error::AuthUnanswerable(_) => HostStatus::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn errors_classify_into_host_status() {
        assert_eq!(
            host_status(&Error::ConnectionRefused),
            HostStatus::Unreachable
        );
        assert_eq!(
            host_status(&Error::Timeout(Duration::from_secs(1))),
            HostStatus::Unreachable
        );
        assert_eq!(host_status(&Error::AuthFailed), HostStatus::AuthFailed);
        assert_eq!(
            host_status(&Error::AuthUnanswerable("no token".into())),
            HostStatus::Error
        );
        assert_eq!(host_status(&Error::EmptyBadRequest), HostStatus::Error);
        assert_eq!(
            host_status(&Error::CertificateRejected(crate::wsman::Rejection::new(
                "changed"
            ))),
            HostStatus::TlsUntrusted
        );
        assert_eq!(
            host_status(&Error::Tls("alert".into())),
            HostStatus::Unreachable
        );
    }
}
