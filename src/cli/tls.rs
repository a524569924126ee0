//! The TLS flags shared by `scan` and `demo`: what to trust, which port and
//! scheme to read, and the client certificate for mutual TLS.

use std::path::PathBuf;

use amtready::amt::TlsMode;
use amtready::wsman::tls::{ClientIdentity, Fingerprint, TlsPolicy};

#[derive(Debug, Clone, Default, clap::Args)]
#[group(id = "tls_trust", multiple = false)]
pub struct TrustArgs {
    /// Verify device certificates against the CA certificates in this PEM file.
    ///
    /// Chain and name are checked, instead of against the system trust store.
    #[arg(long, value_name = "FILE", help_heading = super::heading::TLS)]
    pub ca: Option<PathBuf>,
    /// Trust exactly the certificate with this SHA-256 fingerprint, on every device.
    #[arg(long, value_name = "sha256:HEX", help_heading = super::heading::TLS, hide_short_help = true)]
    pub pin: Option<Fingerprint>,
    /// Per-device pins: one `HOST sha256:HEX` per line.
    #[arg(long, value_name = "FILE", help_heading = super::heading::TLS, hide_short_help = true)]
    pub pins: Option<PathBuf>,
    /// Trust on first use, recording certificates in FILE.
    ///
    /// A device not in FILE is trusted and recorded there for review; a
    /// device whose certificate changed since is refused.
    #[arg(long, value_name = "FILE", help_heading = super::heading::TLS, hide_short_help = true)]
    pub tofu: Option<PathBuf>,
    /// Accept any device certificate (warns on every run).
    #[arg(long, help_heading = super::heading::TLS)]
    pub insecure_skip_verify: bool,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// Which port and scheme to read.
    ///
    /// auto reads 16993 with TLS where 16992 is closed or redirects there (or
    /// the target names 16993); on reads TLS only; off reads plain HTTP only.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = TlsMode::Auto, help_heading = super::heading::TLS)]
    pub tls: TlsMode,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Client certificate for devices that require mutual TLS.
    ///
    /// PEM, leaf first; needs --client-key.
    #[arg(long, value_name = "FILE", requires = "client_key", help_heading = super::heading::TLS, hide_short_help = true)]
    pub client_cert: Option<PathBuf>,
    /// Private key (PEM) of --client-cert.
    #[arg(long, value_name = "FILE", requires = "client_cert", help_heading = super::heading::TLS, hide_short_help = true)]
    pub client_key: Option<PathBuf>,
    /// Never fall back to legacy TLS 1.0/1.1.
    ///
    /// AMT 3 to about 9 then cannot be read over TLS.
    #[arg(long, help_heading = super::heading::TLS, hide_short_help = true)]
    pub no_legacy_tls: bool,
}

impl TlsArgs {
    /// The policy these flags ask for. Warns on stderr when verification is off.
    pub fn policy(&self) -> Result<TlsPolicy, String> {
        let t = &self.trust;
        let policy = if let Some(path) = &t.ca {
            TlsPolicy::ca_file(path).map_err(|e| e.to_string())?
        } else if let Some(fp) = t.pin {
            TlsPolicy::pin(fp)
        } else if let Some(path) = &t.pins {
            TlsPolicy::pins_file(path).map_err(|e| e.to_string())?
        } else if let Some(path) = &t.tofu {
            TlsPolicy::tofu_file(path).map_err(|e| e.to_string())?
        } else if t.insecure_skip_verify {
            super::say(format_args!(
                "WARNING: --insecure-skip-verify: device certificates are not checked; \
                 anyone on the path can pose as a device. Use --ca, --pin, --pins or --tofu."
            ));
            TlsPolicy::dangerous().skip_verify()
        } else {
            TlsPolicy::system_roots()
        };
        let policy = match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => policy.with_client_identity(
                ClientIdentity::from_pem_files(cert, key).map_err(|e| e.to_string())?,
            ),
            _ => policy,
        };
        Ok(policy.with_legacy(!self.no_legacy_tls))
    }
}
