//! `scan --winrm`: read the host OS beside each AMT device over WinRM.

use std::path::PathBuf;

use super::password::PasswordArgs;
use amtready::winrm::{HostOptions, PORT_HTTP, PORT_HTTPS};
use amtready::wsman::{CallLimits, Credentials, Password};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct WinrmArgs {
    /// Also read each host's Windows over WinRM; needs --winrm-user.
    ///
    /// Win32_OperatingSystem and the RemoteAccess/SharedAccess services, on
    /// the scanned address; the host rules are judged with those facts
    /// (source `winrm`).
    #[arg(long, requires = "winrm_user", help_heading = super::heading::HOST_FACTS)]
    pub winrm: bool,
    /// Windows account for --winrm (`DOMAIN\user` or `user`).
    #[arg(long, value_name = "USER", requires = "winrm", help_heading = super::heading::HOST_FACTS)]
    pub winrm_user: Option<String>,
    /// Read the WinRM password from this environment variable.
    #[arg(long, value_name = "VAR", group = "winrm_password", help_heading = super::heading::HOST_FACTS)]
    pub winrm_password_env: Option<String>,
    /// Read the WinRM password from the first line of this file.
    #[arg(long, value_name = "FILE", group = "winrm_password", help_heading = super::heading::HOST_FACTS, hide_short_help = true)]
    pub winrm_password_file: Option<PathBuf>,
    /// Prompt for the WinRM password on the terminal.
    #[arg(long, group = "winrm_password", help_heading = super::heading::HOST_FACTS, hide_short_help = true)]
    pub winrm_ask_password: bool,
    /// Also try plain HTTP with Basic, which sends the password readable.
    ///
    /// Windows takes it only with AllowUnencrypted and Basic set.
    #[arg(long, requires = "winrm", help_heading = super::heading::HOST_FACTS, hide_short_help = true)]
    pub winrm_allow_unencrypted: bool,
    /// Find a WinRM host not at the device's address by the name AMT reports.
    ///
    /// When no WinRM listener answers at the device's address (or its
    /// inventory row's), look the host up by GeneralSettings.HostOSFQDN: one
    /// DNS lookup per such host, within 2 s.
    #[arg(long, requires = "winrm", help_heading = super::heading::HOST_FACTS, hide_short_help = true)]
    pub winrm_try_host_os_name: bool,
    /// WinRM's HTTPS port.
    #[arg(long, value_name = "PORT", default_value_t = PORT_HTTPS, help_heading = super::heading::HOST_FACTS, hide_short_help = true)]
    pub winrm_https_port: u16,
    /// WinRM's HTTP port.
    #[arg(long, value_name = "PORT", default_value_t = PORT_HTTP, help_heading = super::heading::HOST_FACTS, hide_short_help = true)]
    pub winrm_http_port: u16,
}

impl WinrmArgs {
    /// The options for the pipeline, or `None` without `--winrm`. The
    /// password is asked for here, once, never taken from argv.
    pub fn options(&self, limits: CallLimits) -> Result<Option<HostOptions>, String> {
        if !self.winrm {
            return Ok(None);
        }
        let user = self.winrm_user.clone().unwrap_or_default();
        let source = PasswordArgs {
            password_env: self.winrm_password_env.clone(),
            password_file: self.winrm_password_file.clone(),
            ask_password: self.winrm_ask_password,
        };
        let password = source
            .resolve_with_prompt("WinRM password: ")
            .map_err(|e| format!("--winrm: {e}"))?
            .ok_or_else(|| {
                "--winrm needs a password source: --winrm-password-env VAR, \
                 --winrm-password-file FILE or --winrm-ask-password"
                    .to_string()
            })?;
        Ok(Some(HostOptions {
            credentials: Credentials {
                user,
                password: Password::new(password),
            },
            allow_unencrypted: self.winrm_allow_unencrypted,
            limits,
            https_port: self.winrm_https_port,
            http_port: self.winrm_http_port,
            try_host_os_name: self.winrm_try_host_os_name,
        }))
    }
}
