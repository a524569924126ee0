//! The exit codes of every command, in one place (the README's exit-code
//! section documents them; scripts and CI depend on the numbers).

/// How a run ended, as the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitCode {
    /// Every host was read with credentials and is ready (or nothing was
    /// asked that could fail: a listing, `--help`).
    Ready = 0,
    /// At least one host, or the site, is not ready.
    NotReady = 1,
    /// Nothing is not ready, but at least one verdict is unknown.
    Unknown = 2,
    /// Bad usage or unreadable input (target, password source, policy, facts
    /// file), or a report or `--output` file that could not be written.
    Input = 3,
    /// At least one target could not be read, or no device was read at all.
    Unread = 4,
    /// The scan was interrupted (Ctrl-C); every finished host was written.
    Interrupted = 130,
}

impl ExitCode {
    /// The number the process exits with.
    pub const fn code(self) -> i32 {
        self as i32
    }
}

impl From<ExitCode> for i32 {
    fn from(code: ExitCode) -> i32 {
        code.code()
    }
}

// Callers that script around the numbers compare with them directly.
impl PartialEq<i32> for ExitCode {
    fn eq(&self, other: &i32) -> bool {
        self.code() == *other
    }
}

impl std::fmt::Display for ExitCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_numbers_are_the_documented_ones() {
        let codes = [
            (ExitCode::Ready, 0),
            (ExitCode::NotReady, 1),
            (ExitCode::Unknown, 2),
            (ExitCode::Input, 3),
            (ExitCode::Unread, 4),
            (ExitCode::Interrupted, 130),
        ];
        for (code, n) in codes {
            assert_eq!(code, n);
            assert_eq!(i32::from(code), n);
        }
    }
}
