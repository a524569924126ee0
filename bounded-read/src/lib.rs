//! The one way amtready and mock-amt read an input file: with a hard cap on
//! the bytes read, enforced while reading, and a bound on the time it takes.
//!
//! A size check with `metadata().len()` is not enough: `/dev/zero`, FIFOs and
//! most `/proc` files report 0 and then never end (or end far past any
//! sensible size). Reading through `take(cap + 1)` stops at the cap whatever
//! the file says about itself, so a hostile or mistaken path costs at most
//! `cap + 1` bytes of memory.
//!
//! Size is not the only way a file can hold a run forever: opening a FIFO
//! that nothing writes to blocks until something does, and a terminal or a
//! FIFO whose writer never writes blocks every read. [`open`] opens without
//! blocking (`O_NONBLOCK`), and [`TimedReader`] gives up once its deadline
//! has passed, so every read ends within [`READ_TIME`] whatever the path is.

#![forbid(unsafe_code)]

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long reading one input file may take, start to end. A real file on a
/// local disk takes milliseconds; a pipe from a command that prints a
/// password or a target list has ample time.
pub const READ_TIME: Duration = Duration::from_secs(10);

/// How often a read that would block is tried again before its deadline.
const POLL: Duration = Duration::from_millis(5);

/// How long a FIFO with no writer is waited on before it is called empty of
/// writers: a writer opening it just after us needs a moment to be counted.
const WRITER_GRACE: Duration = Duration::from_secs(1);

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

impl ReadError {
    /// What went wrong, without the path: for a caller whose own message
    /// already names the file.
    pub fn reason(&self) -> String {
        match self {
            ReadError::Io { source, .. } => source.to_string(),
            ReadError::TooLarge { cap, .. } => format!("larger than {cap} bytes"),
            ReadError::NotUtf8 { .. } => "not UTF-8 text".to_string(),
        }
    }
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

/// Opens `path` for reading without blocking: a FIFO that nothing writes to
/// opens at once (and then reads as empty), where a plain open waits for a
/// writer forever. Read it through [`TimedReader`].
pub fn open(path: &Path) -> Result<File, ReadError> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|source| ReadError::Io {
            path: path.display().to_string(),
            source,
        })
}

/// A reader that ends by a deadline: a read that would block is tried again
/// until then, and after it fails with `TimedOut`. A FIFO that gives
/// nothing before its end (no writer) is an error, not an empty file, so a
/// forgotten `mkfifo` is named rather than read as "no targets".
#[derive(Debug)]
pub struct TimedReader<R> {
    inner: R,
    opened: Instant,
    deadline: Instant,
    time: Duration,
    pipe: bool,
    got_any: bool,
}

impl TimedReader<File> {
    /// Opens `path` with [`open`] and bounds the whole read by `time`.
    pub fn open(path: &Path, time: Duration) -> Result<Self, ReadError> {
        let file = open(path)?;
        let pipe = file
            .metadata()
            .map(|m| m.file_type().is_fifo())
            .unwrap_or(false);
        let opened = Instant::now();
        Ok(TimedReader {
            inner: file,
            opened,
            deadline: opened + time,
            time,
            pipe,
            got_any: false,
        })
    }
}

impl<R: Read> Read for TimedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(0) if self.pipe && !self.got_any && !buf.is_empty() => {
                    // A writer that opens the FIFO just after us is not yet
                    // counted: give it a moment before calling it absent.
                    if self.opened.elapsed() < WRITER_GRACE.min(self.time) {
                        std::thread::sleep(POLL);
                        continue;
                    }
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "it is a named pipe (FIFO) that nothing writes to",
                    ));
                }
                Ok(n) => {
                    self.got_any |= n > 0;
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= self.deadline {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            format!(
                                "nothing more to read within {} s (a pipe or device that does not end)",
                                self.time.as_secs()
                            ),
                        ));
                    }
                    std::thread::sleep(POLL);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Reads the whole file at `path`, refusing it past `cap` bytes or past
/// [`READ_TIME`].
pub fn read(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let reader = TimedReader::open(path, READ_TIME)?;
    read_capped(reader, cap, &path.display().to_string())
}

/// What a file that amtready writes must be: a regular file or nothing yet.
/// A symbolic link could point into someone else's file, and a FIFO or a
/// socket would block or swallow the writes, so both are refused before a
/// byte is written. Character devices (`/dev/null`) are let through when
/// `devices` is true: writing to them never blocks on opening.
pub fn check_writable(path: &Path, devices: bool) -> Result<(), String> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot use {shown}: {e}")),
        Ok(m) if m.file_type().is_symlink() => Err(format!(
            "{shown} is a symbolic link: give the file itself, so amtready never writes through a link into another file"
        )),
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) if devices && m.file_type().is_char_device() => Ok(()),
        Ok(m) => {
            let what = if m.file_type().is_fifo() {
                "a named pipe (FIFO)"
            } else if m.is_dir() {
                "a directory"
            } else if m.file_type().is_socket() {
                "a socket"
            } else {
                "not a regular file"
            };
            Err(format!("{shown} is {what}: amtready writes this to a regular file"))
        }
    }
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

    fn mkfifo(path: &Path) -> bool {
        let made = std::process::Command::new("mkfifo").arg(path).status();
        made.is_ok_and(|s| s.success())
    }

    #[test]
    fn a_fifo_nothing_writes_to_is_named_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        assert!(mkfifo(&path), "mkfifo is part of coreutils");
        let started = Instant::now();
        let err = read(&path, 1024).unwrap_err().to_string();
        assert!(
            err.contains("nothing writes to") && err.contains("fifo"),
            "{err}"
        );
        // Well inside the time bound: the open did not wait for a writer.
        assert!(started.elapsed() < READ_TIME, "{:?}", started.elapsed());
    }

    #[test]
    fn a_writer_that_never_writes_is_cut_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        assert!(mkfifo(&path), "mkfifo is part of coreutils");
        // Hold a writer open without writing: reads would block forever.
        let writer_path = path.clone();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let f = std::fs::OpenOptions::new().write(true).open(writer_path);
            let _ = rx.recv();
            drop(f);
        });
        let mut reader = TimedReader::open(&path, Duration::from_millis(300)).unwrap();
        let mut buf = Vec::new();
        // The writer may not have opened yet: wait until it has, so the
        // read below is the blocking case and not the no-writer one.
        let mut got = reader.read_to_end(&mut buf);
        for _ in 0..200 {
            if !matches!(&got, Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            reader = TimedReader::open(&path, Duration::from_millis(300)).unwrap();
            got = reader.read_to_end(&mut buf);
        }
        let err = got.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
        let _ = tx.send(());
        holder.join().unwrap();
    }

    #[test]
    fn what_amtready_writes_is_a_regular_file_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out.jsonl");
        assert!(check_writable(&file, false).is_ok(), "not there yet");
        std::fs::write(&file, "").unwrap();
        assert!(check_writable(&file, false).is_ok());
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(check_writable(&link, true)
            .unwrap_err()
            .contains("symbolic link"));
        let fifo = dir.path().join("fifo");
        assert!(mkfifo(&fifo));
        assert!(check_writable(&fifo, true)
            .unwrap_err()
            .contains("named pipe"));
        assert!(check_writable(dir.path(), true)
            .unwrap_err()
            .contains("directory"));
        assert!(check_writable(Path::new("/dev/null"), true).is_ok());
        assert!(check_writable(Path::new("/dev/null"), false).is_err());
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
