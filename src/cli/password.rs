//! Where a password comes from. Never the command line (it would show in `ps`
//! and shell history), never echoed, never in an error message.

use std::path::PathBuf;

/// Password files are one line; anything bigger is a wrong path, not a password.
const MAX_PASSWORD_FILE_BYTES: u64 = 4096;

#[derive(Debug, Clone, Default, clap::Args)]
#[group(id = "password_source", multiple = false)]
pub struct PasswordArgs {
    /// Read the AMT password from this environment variable.
    #[arg(long, value_name = "VAR", help_heading = super::heading::CREDENTIALS)]
    pub password_env: Option<String>,
    /// Read the AMT password from the first line of this file.
    #[arg(long, value_name = "FILE", help_heading = super::heading::CREDENTIALS)]
    pub password_file: Option<PathBuf>,
    /// Prompt for the AMT password on the terminal.
    #[arg(long, help_heading = super::heading::CREDENTIALS, hide_short_help = true)]
    pub ask_password: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("environment variable {0} is not set or is empty")]
    EnvMissing(String),
    #[error("environment variable {0} is not valid UTF-8")]
    EnvNotUnicode(String),
    #[error("cannot read password file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("password file {0} is empty")]
    FileEmpty(String),
    #[error("cannot read the password from the terminal: {0}")]
    Prompt(String),
}

impl PasswordArgs {
    /// The password, if a source was given.
    pub fn resolve(&self) -> Result<Option<String>, PasswordError> {
        self.resolve_with_prompt("AMT password: ")
    }

    /// [`PasswordArgs::resolve`], prompting with `prompt` (another secret
    /// than AMT's, e.g. WinRM's, from the same kinds of source).
    pub fn resolve_with_prompt(&self, prompt: &str) -> Result<Option<String>, PasswordError> {
        if let Some(var) = &self.password_env {
            return match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Some(v)),
                Ok(_) | Err(std::env::VarError::NotPresent) => {
                    Err(PasswordError::EnvMissing(var.clone()))
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(PasswordError::EnvNotUnicode(var.clone()))
                }
            };
        }
        if let Some(path) = &self.password_file {
            return read_password_file(path).map(Some);
        }
        if self.ask_password {
            return rpassword::prompt_password(prompt)
                .map(Some)
                .map_err(|e| PasswordError::Prompt(e.to_string()));
        }
        Ok(None)
    }
}

fn read_password_file(path: &std::path::Path) -> Result<String, PasswordError> {
    let shown = path.display().to_string();
    let err = |reason: String| PasswordError::File {
        path: shown.clone(),
        reason,
    };
    let bytes = bounded_read::read(path, MAX_PASSWORD_FILE_BYTES).map_err(|e| match e {
        bounded_read::ReadError::TooLarge { .. } => {
            err(format!("larger than {MAX_PASSWORD_FILE_BYTES} bytes"))
        }
        bounded_read::ReadError::Io { source, .. } => err(source.to_string()),
        other => err(other.to_string()),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| err("not UTF-8".into()))?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(PasswordError::FileEmpty(shown));
    }
    Ok(line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_takes_first_line_and_errors_never_show_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret!\r\nsecond line\n").unwrap();
        let args = PasswordArgs {
            password_file: Some(path.clone()),
            ..Default::default()
        };
        assert_eq!(args.resolve().unwrap().as_deref(), Some("s3cret!"));

        std::fs::write(&path, "\n").unwrap();
        assert!(matches!(args.resolve(), Err(PasswordError::FileEmpty(_))));

        std::fs::write(&path, "x".repeat(5000)).unwrap();
        let msg = args.resolve().unwrap_err().to_string();
        assert!(
            msg.contains("larger than") && !msg.contains("xxxx"),
            "{msg}"
        );
    }

    #[test]
    fn env_source() {
        let args = PasswordArgs {
            password_env: Some("AMTREADY_TEST_SURELY_UNSET_VAR".into()),
            ..Default::default()
        };
        assert!(matches!(args.resolve(), Err(PasswordError::EnvMissing(_))));
        assert_eq!(PasswordArgs::default().resolve().unwrap(), None);
    }
}
