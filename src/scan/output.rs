//! The scan's own record of what it read (`--output`, or the `--resume`
//! file it appends to): opened so that no byte the user had is lost and no
//! link is followed. Writing it is a JSON Lines report sink's.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::Plan;

/// The half-written last line of a resume file, kept aside before the file
/// was cut back to its last complete record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// Its length.
    pub bytes: usize,
    /// Where it is kept (`FILE.partial`, or `FILE.partial.N`).
    pub path: PathBuf,
}

/// The `--output` file: appended after the resume file's last complete
/// record (a killed scan may have left half a record, which is set aside
/// first), or created afresh. Either way it must be a regular file of its
/// own: a link is never followed, a FIFO never opened. `set_aside_to`
/// hears of a half-written line kept aside as soon as it is safe, before
/// the resume file is cut (and whether or not the open then fails).
pub fn open(
    path: &Path,
    plan: &Plan,
    set_aside_to: impl FnOnce(&SetAside),
) -> Result<File, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    let fresh = plan.resume_valid_len.is_none();
    bounded_read::check_writable(path, fresh).map_err(|e| format!("--output: {e}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.custom_flags(libc::O_NOFOLLOW);
    let cannot = |e: std::io::Error| format!("cannot write {shown}: {e}");
    let Some(len) = plan.resume_valid_len else {
        return options
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(cannot);
    };
    if let Some(partial) = &plan.resume_partial {
        set_aside_to(&SetAside {
            bytes: partial.len(),
            path: set_aside(path, partial)?,
        });
    }
    let mut file = options
        .create(true)
        .append(true)
        .open(path)
        .map_err(cannot)?;
    file.set_len(len).map_err(cannot)?;
    if plan.resume_needs_newline {
        file.write_all(b"\n").map_err(cannot)?;
    }
    Ok(file)
}

/// Keeps the half-written last line of a resume file in `FILE.partial` (or
/// `FILE.partial.N` when that exists), written and synced before the resume
/// file is cut, so no byte the user had is ever lost.
fn set_aside(path: &Path, partial: &[u8]) -> Result<PathBuf, String> {
    use std::io::Write;
    let base = path.as_os_str().to_owned();
    for n in 0..1000 {
        let mut name = base.clone();
        name.push(if n == 0 {
            ".partial".to_string()
        } else {
            format!(".partial.{n}")
        });
        let kept = PathBuf::from(name);
        // create_new never follows a link or overwrites what is there.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&kept)
        {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            opened => {
                return opened
                    .and_then(|mut file| {
                        file.write_all(partial)?;
                        file.sync_all()
                    })
                    .map(|()| kept.clone())
                    .map_err(|e| {
                        format!(
                            "cannot keep the half-written line in {}: {e}",
                            kept.display()
                        )
                    });
            }
        }
    }
    Err(format!(
        "cannot keep the half-written line of {}: 1000 .partial files are already there",
        path.display()
    ))
}
