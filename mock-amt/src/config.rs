//! What defines one device: its profile, credentials, listeners, lockout
//! and nonce settings, and the injected faults.

use std::net::SocketAddr;
use std::time::Duration;

use crate::digest::Lockout;
use crate::fault::Fault;
use crate::profile::{Profile, TlsSpeaks};
use crate::tls::{TlsKind, TlsSetup};

/// The default user, as on every AMT.
pub const DEFAULT_USER: &str = "admin";
/// The default password of every mock device (AMT's own factory password is
/// `admin`, which firmware forces you to change; this is a valid changed one).
pub const DEFAULT_PASSWORD: &str = "P@ssw0rd";

/// AMT's plain and TLS ports.
pub(crate) const HTTP_PORT: u16 = 16992;
pub(crate) const TLS_PORT: u16 = 16993;

/// Everything that defines one device.
#[derive(Clone)]
pub struct DeviceConfig {
    /// The firmware behaviour.
    pub profile: Profile,
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The Digest user.
    pub user: String,
    /// The Digest password. Never logged.
    pub password: String,
    /// Successive failed logins that start the lockout back-off (0 = never).
    pub lockout_threshold: u32,
    /// How long the first lockout lasts; later ones of the same attack double.
    pub lockout_duration: Duration,
    /// The longest lockout.
    pub lockout_ceiling: Duration,
    /// A time without failed logins that resets the back-off.
    pub lockout_reset_after: Duration,
    /// How long a nonce stays valid.
    pub nonce_lifetime: Duration,
    /// Injected misbehaviour.
    pub faults: Vec<Fault>,
    /// Allow a listen address off loopback (off by default: the mock is a
    /// test fixture and must not appear on a real network by accident).
    pub allow_non_loopback: bool,
    /// The TLS listener (on `listen`'s address), if any.
    pub tls: Option<TlsSetup>,
    /// The DNS names the TLS certificate carries. Empty: the profile's FQDN
    /// and host name, as Configuration Manager requests it; others model a
    /// certificate issued before the device was renamed.
    pub certificate_names: Vec<String>,
    /// Whether plain HTTP is served on `listen`. Off for firmware that
    /// closes 16992 once TLS is on (AMT 16+).
    pub plain: bool,
    /// Answer the RMCP presence ping on this UDP port of the listen address
    /// (623 on real firmware; 0 picks a free one), for profiles of AMT 4.0
    /// and later. `None`: no RMCP.
    pub rmcp_port: Option<u16>,
    /// The RMCP port is a default nobody asked for: when it cannot be bound
    /// (another mock on the machine holds it, or 623 without privileges) the
    /// device runs without RMCP and warns, rather than not at all. Off: a
    /// port that cannot be bound is a startup error.
    pub rmcp_optional: bool,
    /// The TLS port was derived from the plain one rather than asked for:
    /// when it is taken the device serves TLS on a free port and warns.
    /// Off: a TLS port that cannot be bound is a startup error.
    pub tls_port_optional: bool,
}

impl std::fmt::Debug for DeviceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceConfig")
            .field("profile", &self.profile.name)
            .field("listen", &self.listen)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("lockout_threshold", &self.lockout_threshold)
            .field("lockout_duration", &self.lockout_duration)
            .field("lockout_ceiling", &self.lockout_ceiling)
            .field("lockout_reset_after", &self.lockout_reset_after)
            .field("nonce_lifetime", &self.nonce_lifetime)
            .field("faults", &self.faults)
            .field("allow_non_loopback", &self.allow_non_loopback)
            .field("tls", &self.tls)
            .field("certificate_names", &self.certificate_names)
            .field("plain", &self.plain)
            .field("rmcp_port", &self.rmcp_port)
            .field("rmcp_optional", &self.rmcp_optional)
            .field("tls_port_optional", &self.tls_port_optional)
            .finish()
    }
}

impl DeviceConfig {
    /// A device with user [`DEFAULT_USER`], the profile's default password (or
    /// [`DEFAULT_PASSWORD`]), Intel's documented lockout back-off
    /// ([`Lockout::INTEL`](crate::Lockout::INTEL): ten failures, then 5 s growing to
    /// 80 s, reset after an hour without failures), nonces valid 5 minutes, no
    /// faults.
    pub fn new(profile: Profile, listen: SocketAddr) -> Self {
        let password = profile
            .default_password
            .as_ref()
            .map(|p| p.0.clone())
            .unwrap_or_else(|| DEFAULT_PASSWORD.to_owned());
        DeviceConfig {
            profile,
            listen,
            user: DEFAULT_USER.to_owned(),
            password,
            lockout_threshold: Lockout::INTEL.threshold,
            lockout_duration: Lockout::INTEL.first,
            lockout_ceiling: Lockout::INTEL.ceiling,
            lockout_reset_after: Lockout::INTEL.reset_after,
            nonce_lifetime: Duration::from_secs(300),
            faults: Vec::new(),
            allow_non_loopback: false,
            tls: None,
            certificate_names: Vec::new(),
            plain: true,
            rmcp_port: None,
            rmcp_optional: false,
            tls_port_optional: false,
        }
        .with_profile_tls()
    }

    /// The TLS port that goes with a plain port: 16993 for 16992, a free
    /// port for 0, and the plain port plus one otherwise.
    pub fn tls_port_for(plain: u16) -> u16 {
        match plain {
            0 => 0,
            HTTP_PORT => TLS_PORT,
            p => p.saturating_add(1),
        }
    }

    /// The lockout back-off this device runs.
    pub(crate) fn lockout(&self) -> Lockout {
        Lockout {
            threshold: self.lockout_threshold,
            first: self.lockout_duration,
            ceiling: self.lockout_ceiling,
            reset_after: self.lockout_reset_after,
        }
    }

    /// Applies the profile's `[tls]` defaults (AMT 16.1: TLS only).
    fn with_profile_tls(mut self) -> Self {
        if let Some(t) = self.profile.tls.filter(|t| t.enabled) {
            let kind = match t.speaks {
                TlsSpeaks::Modern => TlsKind::Modern,
                TlsSpeaks::Legacy => TlsKind::Legacy,
            };
            self.tls = Some(TlsSetup {
                kind,
                port: Self::tls_port_for(self.listen.port()),
            });
            self.plain = t.accept_non_secure;
        }
        self
    }

    /// Plain HTTP on `listen` and no TLS, whatever the profile says: for
    /// tests of HTTP-level behaviour (Digest spelling, framing) over raw TCP.
    /// Real AMT 16+ never runs this way.
    pub fn without_tls(mut self) -> Self {
        self.tls = None;
        self.plain = true;
        self
    }

    /// Turns TLS on with `kind` on `port`. Plain HTTP stays as the profile
    /// has it with TLS on (closed on AMT 16+, open otherwise).
    pub fn with_tls(mut self, kind: TlsKind, port: u16) -> Self {
        self.tls = Some(TlsSetup { kind, port });
        self.plain = self.profile.tls.is_none_or(|t| t.accept_non_secure);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_password() {
        let mut cfg = DeviceConfig::new(
            Profile::builtin("amt-7.1").unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        );
        cfg.password = "Hunter2-secret!".into();
        let text = format!("{cfg:?}");
        assert!(!text.contains("Hunter2"), "{text}");
        let mut p = Profile::builtin("amt-7.1").unwrap();
        p.default_password = Some(crate::profile::Password("Hunter2-secret!".into()));
        assert!(!format!("{p:?}").contains("Hunter2"));
    }
}
