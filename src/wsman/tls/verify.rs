//! Certificate verifiers beyond rustls' own chain-and-name check: pins (one
//! for all, per host, or learnt on first use) and, behind the dangerous door,
//! none at all. Handshake signatures are always checked, so a pin binds the
//! connection to the pinned key, not just to a certificate someone replayed.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

use super::pin::{host_key, parse_pin_lines, read_bounded, Fingerprint, MAX_FILE};
use crate::wsman::Error;

/// The handshake-signature half of `ServerCertVerifier`, the same for every
/// verifier here: whatever a verifier decides about the certificate, the
/// handshake must still be signed by its key (with `self.provider`'s algorithms).
macro_rules! handshake_signatures_checked_by_provider {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

/// Why a pinned or TOFU verification failed. Carried through rustls as an
/// `OtherError` and shown to the admin as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// The certificate is not the pinned one.
    #[error("certificate {got} does not match the pin {expected}")]
    Mismatch {
        /// What the pin file or flag says.
        expected: String,
        /// What the device presented.
        got: Fingerprint,
    },
    /// No pin for this host in the pins file.
    #[error("no pin for host {0} in the pins file")]
    NoPin(String),
    /// The certificate changed since it was first trusted.
    #[error("certificate changed since first use: recorded {recorded}, now {got} (review, then edit the TOFU file)")]
    Changed {
        /// What the TOFU file holds.
        recorded: Fingerprint,
        /// What the device presented.
        got: Fingerprint,
    },
    /// The TOFU file could not be written.
    #[error("cannot record the first-use fingerprint: {0}")]
    Store(String),
    /// The TOFU file has no room for another entry.
    #[error("not trusted: the TOFU file is full ({0} bytes), so this new device was not learnt")]
    Full(u64),
}

/// Where pins come from.
#[derive(Debug, Clone)]
pub enum Pins {
    /// One pin for every device.
    All(Fingerprint),
    /// Pins per host.
    PerHost(HashMap<String, Vec<Fingerprint>>),
    /// Learnt on first use.
    Tofu(Arc<TofuStore>),
}

impl Pins {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        Ok(Pins::PerHost(parse_pin_lines(text)?))
    }

    fn check(&self, host: &str, got: Fingerprint) -> Result<(), PinError> {
        match self {
            Pins::All(fp) if *fp == got => Ok(()),
            Pins::All(fp) => Err(PinError::Mismatch {
                expected: fp.to_string(),
                got,
            }),
            Pins::PerHost(map) => match map.get(host) {
                None => Err(PinError::NoPin(host.to_owned())),
                Some(list) if list.contains(&got) => Ok(()),
                Some(list) => Err(PinError::Mismatch {
                    expected: list
                        .iter()
                        .map(Fingerprint::to_string)
                        .collect::<Vec<_>>()
                        .join(" or "),
                    got,
                }),
            },
            Pins::Tofu(store) => store.check(host, got),
        }
    }
}

/// The hosts a TOFU file knows, and the file new ones are written to.
///
/// Every write replaces the whole file: a temporary file beside it is
/// written, flushed to disk and renamed over it, so a crash, a full disk or a
/// failed write leaves the old file whole, never half a line. The first host
/// learnt is written at once (a store that cannot be written is known before
/// any device is trusted); after it, what is learnt is written at most once
/// per `WRITE_EVERY` and at the end of the run ([`TofuStore::flush`]), so
/// a first scan of a /16 costs a few dozen rewrites, not one per device
/// (65,000 rewrites of a file growing to 4 MiB would be over 100 GB of
/// writes). A run killed between writes loses at most that interval's
/// hosts, which the next run trusts on first use again.
///
/// The cap: amtready reads at most `MAX_FILE` bytes of TOFU file, so it
/// never writes more. A host whose entry would take the file past the cap is
/// not learnt and stays untrusted (the scan says so once, at its end),
/// rather than the cap growing with the file: a file the next run refuses
/// would make the whole estate unscannable, and an admin can prune a file
/// that has reached 4 MiB (some 45,000 devices) far more easily than explain
/// a cap that moves.
pub struct TofuStore {
    path: PathBuf,
    state: Mutex<TofuState>,
}

/// Longest a learnt host waits to be written, after the first.
const WRITE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

struct TofuState {
    known: HashMap<String, Fingerprint>,
    learnt: Vec<(String, Fingerprint)>,
    /// The file as this run last read or wrote it, with the entries learnt
    /// since appended: what the cap is checked against.
    content: Vec<u8>,
    /// Entries learnt and not yet written.
    unwritten: Vec<String>,
    /// When the file was last written by this run.
    written_at: Option<std::time::Instant>,
    /// New hosts not learnt because the file was full.
    refused_full: usize,
    /// Times this run wrote the file.
    writes: usize,
}

impl fmt::Debug for TofuStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TofuStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl TofuStore {
    /// Reads `path` (a missing file is an empty store; it is created on the
    /// first new host). A symbolic link or anything but a regular file is
    /// refused before anything is written: the file is replaced, not
    /// written through, so a link would be silently swapped for a copy.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let refuse = |why: &str| {
            Error::ClientBuild(format!(
                "--tofu {}: {why}; it must be a regular file",
                crate::text::clean(&path.display().to_string())
            ))
        };
        let content = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refuse("is a symbolic link"));
            }
            Ok(meta) if !meta.is_file() => return Err(refuse("is not a regular file")),
            Ok(_) => read_bounded(path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(refuse(&e.to_string())),
        };
        let text = std::str::from_utf8(&content)
            .map_err(|_| Error::ClientBuild(format!("{}: not UTF-8 text", path.display())))?;
        let map = parse_pin_lines(text)
            .map_err(|e| Error::ClientBuild(format!("{}:{e}", path.display())))?;
        let mut known = HashMap::new();
        for (host, fps) in map {
            // A host listed twice keeps its last line: the admin appended
            // a reviewed replacement.
            if let Some(fp) = fps.last() {
                known.insert(host, *fp);
            }
        }
        Ok(Self {
            path: path.to_owned(),
            state: Mutex::new(TofuState {
                known,
                learnt: Vec::new(),
                content,
                unwritten: Vec::new(),
                written_at: None,
                refused_full: 0,
                writes: 0,
            }),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The hosts first trusted during this run, for the admin to review.
    pub fn learnt(&self) -> Vec<(String, Fingerprint)> {
        self.lock().learnt.clone()
    }

    /// How many new hosts this run left untrusted because the file was full.
    pub fn refused_full(&self) -> usize {
        self.lock().refused_full
    }

    /// Writes what was learnt and not yet written; call once the run's
    /// devices are read. An error is one line naming the file.
    pub fn flush(&self) -> Result<(), String> {
        let mut state = self.lock();
        self.write_locked(&mut state)
            .map_err(|e| format!("cannot write --tofu {}: {e}", self.path.display()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TofuState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the unwritten entries onto the file as it is now, not as this
    /// run read it: another run sharing it (one shard of a split scan) may
    /// have added entries since, which a rewrite from memory would drop.
    /// The window between this read and the rename remains. Entries that no
    /// longer fit under the cap (the other run filled it) are dropped and
    /// counted as refused.
    fn write_locked(&self, state: &mut TofuState) -> std::io::Result<()> {
        if state.unwritten.is_empty() {
            return Ok(());
        }
        let mut content = match std::fs::symlink_metadata(&self.path) {
            Ok(meta) if meta.is_file() => {
                read_bounded(&self.path).unwrap_or_else(|_| state.content.clone())
            }
            _ => Vec::new(),
        };
        // A file whose last line has no newline (a hand edit) would
        // otherwise have the new entry glued onto that line.
        if content.last().is_some_and(|b| *b != b'\n') {
            content.push(b'\n');
        }
        for line in &state.unwritten {
            if content.len() + line.len() > MAX_FILE as usize {
                state.refused_full += 1;
                continue;
            }
            content.extend_from_slice(line.as_bytes());
        }
        replace_file(&self.path, &content)?;
        state.writes += 1;
        state.unwritten.clear();
        state.content = content;
        state.written_at = Some(std::time::Instant::now());
        Ok(())
    }

    fn check(&self, host: &str, got: Fingerprint) -> Result<(), PinError> {
        let mut state = self.lock();
        match state.known.get(host) {
            Some(recorded) if *recorded == got => Ok(()),
            Some(recorded) => Err(PinError::Changed {
                recorded: *recorded,
                got,
            }),
            None => {
                // Host keys are canonical host names or addresses: no spaces,
                // no newlines, nothing that could forge a second line.
                let line = format!("{host} {got}\n");
                let newline = usize::from(state.content.last().is_some_and(|b| *b != b'\n'));
                if (state.content.len() + newline + line.len()) as u64 > MAX_FILE {
                    state.refused_full += 1;
                    return Err(PinError::Full(MAX_FILE));
                }
                if newline == 1 {
                    state.content.push(b'\n');
                }
                state.content.extend_from_slice(line.as_bytes());
                state.unwritten.push(line);
                let due = state
                    .written_at
                    .is_none_or(|at| at.elapsed() >= WRITE_EVERY);
                if due {
                    if let Err(e) = self.write_locked(&mut state) {
                        // Not written, so not learnt: the next attempt
                        // writes it, and this device stays untrusted.
                        let undone = state.unwritten.pop().map_or(0, |l| l.len());
                        let keep = state.content.len().saturating_sub(undone);
                        state.content.truncate(keep);
                        return Err(PinError::Store(e.to_string()));
                    }
                }
                state.known.insert(host.to_owned(), got);
                state.learnt.push((host.to_owned(), got));
                Ok(())
            }
        }
    }
}

/// Replaces the file at `path` with `content` so that a reader sees the old
/// file or the new one, never a mix: a temporary file in the same directory
/// (rename is atomic only within one file system) is written, synced and
/// renamed over it, then the directory is synced so the rename itself
/// survives a crash. The old file's permissions are kept.
fn replace_file(path: &Path, content: &[u8]) -> std::io::Result<()> {
    replace_file_with(path, |file| file.write_all(content))
}

/// [`replace_file`], with the writing of the new content given.
fn replace_file_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = temp_path(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    let written = (|| {
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        write(&mut file)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        // Best effort: the old file is intact either way.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // Only some systems can sync a directory; the rename is done either way.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The temporary file [`replace_file`] writes beside `path`: hidden, and
/// named by the process so two runs sharing a TOFU file never write the
/// same temporary.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tofu".to_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

fn server_host(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(d) => host_key(d.as_ref()),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => host_key(&format!("{other:?}")),
    }
}

/// Trusts the pinned certificate, whatever its chain, name or dates: AMT's
/// self-signed certificates are verified this way, and their expiry becomes a
/// finding instead of an unreadable device.
#[derive(Debug)]
pub struct PinVerifier {
    pins: Pins,
    provider: Arc<CryptoProvider>,
}

impl PinVerifier {
    pub(crate) fn new(pins: Pins, provider: Arc<CryptoProvider>) -> Self {
        Self { pins, provider }
    }
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = Fingerprint::of(end_entity.as_ref());
        self.pins
            .check(&server_host(server_name), got)
            .map(|()| ServerCertVerified::assertion())
            .map_err(|e| {
                rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(e))))
            })
    }

    handshake_signatures_checked_by_provider!();
}

/// Accepts every certificate (signatures are still checked against it).
/// Only reachable through `TlsPolicy::dangerous()`.
#[derive(Debug)]
pub struct InsecureVerifier {
    provider: Arc<CryptoProvider>,
}

impl InsecureVerifier {
    pub(crate) fn new(provider: Arc<CryptoProvider>) -> Self {
        Self { provider }
    }
}

impl ServerCertVerifier for InsecureVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    handshake_signatures_checked_by_provider!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(b: u8) -> Fingerprint {
        Fingerprint([b; 32])
    }

    #[test]
    fn tofu_learns_then_holds_the_device_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tofu.txt");
        let store = TofuStore::open(&path).unwrap();
        store.check("10.0.0.5", fp(1)).unwrap();
        store.check("10.0.0.5", fp(1)).unwrap();
        assert_eq!(store.learnt(), vec![("10.0.0.5".to_owned(), fp(1))]);
        // A later run reads the file back and fails a changed certificate.
        let again = TofuStore::open(&path).unwrap();
        again.check("10.0.0.5", fp(1)).unwrap();
        let err = again.check("10.0.0.5", fp(2)).unwrap_err();
        assert!(matches!(err, PinError::Changed { .. }));
        assert!(err.to_string().contains("changed since first use"), "{err}");
        assert!(again.learnt().is_empty());
    }

    fn entry(host: &str, b: u8) -> String {
        format!("{host} {}", fp(b))
    }

    #[test]
    fn an_entry_learnt_after_a_last_line_without_newline_gets_its_own_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, entry("10.0.0.1", 1)).unwrap();
        TofuStore::open(&path)
            .unwrap()
            .check("10.0.0.2", fp(2))
            .unwrap();
        let again = TofuStore::open(&path).unwrap();
        again.check("10.0.0.1", fp(1)).unwrap();
        again.check("10.0.0.2", fp(2)).unwrap();
        assert!(again.learnt().is_empty(), "both were read back");
    }

    #[test]
    fn a_full_file_is_never_grown_past_the_cap_and_a_nearly_full_one_is_filled_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        let first = format!("{}\n", entry("10.0.0.1", 1));
        // A comment pads the file to a few bytes short of the cap: room for
        // no entry, though a naive append would fit its start.
        let pad = MAX_FILE as usize - first.len() - 10;
        let text = format!("{first}#{}\n", "x".repeat(pad - 2));
        std::fs::write(&path, &text).unwrap();
        let store = TofuStore::open(&path).unwrap();
        for host in ["10.0.0.2", "10.0.0.3"] {
            let err = store.check(host, fp(2)).unwrap_err();
            assert!(matches!(err, PinError::Full(_)), "{err}");
        }
        store.check("10.0.0.1", fp(1)).unwrap();
        assert_eq!(store.refused_full(), 2);
        assert!(store.learnt().is_empty());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        TofuStore::open(&path)
            .unwrap()
            .check("10.0.0.1", fp(1))
            .unwrap();

        // One entry short of the cap: the entry fits exactly, and loads.
        let line = format!("{}\n", entry("10.0.0.2", 2));
        let pad = MAX_FILE as usize - line.len();
        std::fs::write(&path, format!("#{}\n", "x".repeat(pad - 2))).unwrap();
        TofuStore::open(&path)
            .unwrap()
            .check("10.0.0.2", fp(2))
            .unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), MAX_FILE);
        TofuStore::open(&path)
            .unwrap()
            .check("10.0.0.2", fp(2))
            .unwrap();
    }

    #[test]
    fn a_symlinked_or_irregular_tofu_path_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        std::fs::write(&real, format!("{}\n", entry("10.0.0.1", 1))).unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = TofuStore::open(&link).unwrap_err().to_string();
        assert!(
            err.contains("link.txt") && err.contains("symbolic link"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
        let dangling = dir.path().join("dangling.txt");
        std::os::unix::fs::symlink(dir.path().join("absent"), &dangling).unwrap();
        assert!(TofuStore::open(&dangling).is_err());
        assert!(!dir.path().join("absent").exists());
        let err = TofuStore::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_whole_and_the_device_untrusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        let text = format!("{}\n", entry("10.0.0.1", 1));
        std::fs::write(&path, &text).unwrap();
        let store = TofuStore::open(&path).unwrap();
        // Root ignores a read-only directory, so the write is made to fail
        // where it would begin: something already holds the temporary's name.
        std::fs::create_dir(temp_path(&path)).unwrap();
        let err = store.check("10.0.0.2", fp(2)).unwrap_err();
        assert!(matches!(err, PinError::Store(_)), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        std::fs::remove_dir(temp_path(&path)).unwrap();
        // Not learnt, so the next attempt writes it.
        store.check("10.0.0.2", fp(2)).unwrap();
        assert_eq!(store.learnt(), vec![("10.0.0.2".to_owned(), fp(2))]);

        // A write that fails halfway never reaches the file either.
        std::fs::write(&path, "old\n").unwrap();
        let err = replace_file_with(&path, |f| {
            f.write_all(b"half a new fi")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        assert!(!temp_path(&path).exists(), "the temporary is removed");
        replace_file(&path, b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
    }

    #[test]
    fn a_first_scan_of_many_devices_rewrites_the_file_a_few_times_not_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        let store = TofuStore::open(&path).unwrap();
        let started = std::time::Instant::now();
        for i in 0..2000u32 {
            store
                .check(&format!("10.0.{}.{}", i / 250, i % 250), fp(1))
                .unwrap();
        }
        store.flush().unwrap();
        let writes = store.lock().writes;
        // The first at once, then at most one per interval, then the flush.
        let bound = 2 + (started.elapsed().as_secs_f64() / WRITE_EVERY.as_secs_f64()) as usize;
        assert!(writes <= bound, "{writes} writes, bound {bound}");
        let again = TofuStore::open(&path).unwrap();
        assert_eq!(again.lock().known.len(), 2000, "every host is in the file");
    }

    #[test]
    fn entries_another_run_added_meanwhile_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        let one = TofuStore::open(&path).unwrap();
        let two = TofuStore::open(&path).unwrap();
        one.check("10.0.0.1", fp(1)).unwrap();
        two.check("10.0.0.2", fp(2)).unwrap();
        one.flush().unwrap();
        two.flush().unwrap();
        let again = TofuStore::open(&path).unwrap();
        again.check("10.0.0.1", fp(1)).unwrap();
        again.check("10.0.0.2", fp(2)).unwrap();
        assert!(
            again.learnt().is_empty(),
            "both runs' entries are in the file"
        );
    }

    #[test]
    fn per_host_pins_fail_unknown_hosts_and_wrong_certs() {
        let pins = Pins::PerHost(HashMap::from([("a".to_owned(), vec![fp(1), fp(2)])]));
        pins.check("a", fp(2)).unwrap();
        assert!(matches!(
            pins.check("a", fp(3)),
            Err(PinError::Mismatch { .. })
        ));
        assert_eq!(pins.check("b", fp(1)), Err(PinError::NoPin("b".into())));
        assert!(Pins::All(fp(1)).check("any", fp(1)).is_ok());
    }
}
