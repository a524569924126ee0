//! The one way amtready and mock-amt read a whole file: with a hard cap on the
//! bytes read, enforced while reading.
//!
//! A size check with `metadata().len()` is not enough: `/dev/zero`, FIFOs and
//! most `/proc` files report 0 and then never end (or end far past any
//! sensible size). Reading through `take(cap + 1)` stops at the cap whatever
//! the file says about itself, so a hostile or mistaken path costs at most
//! `cap + 1` bytes of memory.

#![forbid(unsafe_code)]

use std::io::Read;
use std::path::Path;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Opening or reading failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file holds more than the cap (or never ends).
    #[error("{path} is larger than {cap} bytes")]
    TooLarge {
        /// The path as given.
        path: String,
        /// The cap that was passed.
        cap: u64,
    },
    /// The file is not UTF-8 text.
    #[error("{path} is not UTF-8 text")]
    NotUtf8 {
        /// The path as given.
        path: String,
    },
}

/// Reads at most `cap` bytes from any reader; more is an error.
pub fn read_capped(reader: impl Read, cap: u64, origin: &str) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: origin.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            path: origin.to_owned(),
            cap,
        });
    }
    Ok(bytes)
}

/// Reads the whole file at `path`, refusing it past `cap` bytes.
pub fn read(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: shown.clone(),
        source,
    })?;
    read_capped(file, cap, &shown)
}

/// Reads the whole file at `path` as UTF-8 text, refusing it past `cap` bytes.
pub fn read_to_string(path: &Path, cap: u64) -> Result<String, ReadError> {
    let bytes = read(path, cap)?;
    String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8 {
        path: path.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_zero_stops_at_the_cap() {
        let err = read(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(
            matches!(err, ReadError::TooLarge { cap: 1024, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_file_of_exactly_the_cap_is_read_and_one_more_byte_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![b'a'; 10]).unwrap();
        assert_eq!(read_to_string(&path, 10).unwrap().len(), 10);
        assert!(matches!(read(&path, 9), Err(ReadError::TooLarge { .. })));
    }

    #[test]
    fn a_fifo_fed_forever_stops_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("*** SKIPPED: mkfifo not available");
            return;
        }
        let writer_path = path.clone();
        // The writer ends when the reader closes its end (EPIPE).
        std::thread::spawn(move || {
            use std::io::Write;
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(writer_path) {
                let block = [b'x'; 4096];
                while f.write_all(&block).is_ok() {}
            }
        });
        let err = read(&path, 64 * 1024).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn proc_files_read_within_a_cap() {
        let text = read_to_string(Path::new("/proc/self/status"), 1 << 20).unwrap();
        assert!(text.contains("Name:"));
    }

    #[test]
    fn not_utf8_and_missing_are_errors_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bin");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(read_to_string(&path, 10)
            .unwrap_err()
            .to_string()
            .contains("bin"));
        assert!(read(&dir.path().join("nope"), 10).is_err());
    }
}
