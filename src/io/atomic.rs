//! Output files: [`check_output`] before any work, [`write_atomic`] at the end.
//!
//! The promise for every file the CLI writes (`--save`, `--checkpoint`,
//! `--plot`, `--graph`):
//! * **Atomic.** The data goes to a hidden temporary sibling
//!   (`.<name>.tmp.<pid>.<n>`), is flushed to disk, then renamed over the
//!   target: readers see the old file or the new one, never half of one.
//! * **Only regular files are replaced.** A target that exists and is a
//!   directory, a FIFO, a device or a socket is refused (so `--save /dev/null`
//!   never replaces `/dev/null`).
//! * **A symbolic link is followed.** The file it points to is replaced,
//!   atomically, in its own directory, and the link stays a link; a link to
//!   nothing is refused.
//! * **Nothing is left behind.** A write that fails removes its temporary
//!   file; one that was killed leaves one, and the next write to the same
//!   target removes every temporary file of that target whose process is gone.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::IoError;

/// Distinguishes temporary files of concurrent writes within one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically (see the [module docs](self)).
///
/// On any error the temporary file is removed and the target is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    let target = check_output(path)?;
    sweep_stale(&target);
    let tmp = temp_sibling(&target)?;
    let result = write_and_sync(&tmp, bytes).and_then(|()| {
        // The target may have changed since it was checked: check again, last.
        check_replaceable(&target).map_err(std::io::Error::other)?;
        fs::rename(&tmp, &target)
    });
    if let Err(source) = result {
        let _ = fs::remove_file(&tmp);
        return Err(IoError::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    sync_dir(&target);
    Ok(())
}

/// Checks that `path` can be written by [`write_atomic`], and returns the file
/// that will be replaced (`path`, or the file a symbolic link points to).
///
/// Errors, naming `path`, when the target is a directory or not a regular
/// file, a link to nothing, or when its directory is missing or not writable
/// (tried by creating and removing a temporary file). Call it for every
/// output before a long run, so the run cannot fail at its end.
pub fn check_output(path: &Path) -> Result<PathBuf, IoError> {
    let target = resolve(path)?;
    check_replaceable(&target).map_err(|why| IoError::invalid(path, why))?;
    let dir = parent(&target);
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            let why = format!("cannot write: {} is not a directory", dir.display());
            return Err(IoError::invalid(path, why));
        }
        Err(source) => {
            return Err(IoError::Write {
                path: path.to_path_buf(),
                source,
            })
        }
    }
    Ok(target)
}

/// [`check_output`] and a trial write, so a directory that refuses new files
/// is found before the work starts; returns the file that will be replaced.
pub fn probe_output(path: &Path) -> Result<PathBuf, IoError> {
    let target = check_output(path)?;
    let tmp = temp_sibling(&target)?;
    let created = OpenOptions::new().write(true).create_new(true).open(&tmp);
    match created {
        Ok(file) => {
            drop(file);
            let _ = fs::remove_file(&tmp);
            Ok(target)
        }
        Err(source) => Err(IoError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Whether two paths name the same file (same device and inode), or, for a
/// file that does not exist yet, the same name in the same directory.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (fs::metadata(a), fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    match (canonical_name(a), canonical_name(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The directory (canonical) and file name of a possibly missing file.
fn canonical_name(p: &Path) -> Option<PathBuf> {
    let dir = fs::canonicalize(parent(p)).ok()?;
    Some(dir.join(p.file_name()?))
}

/// The file that a write to `path` replaces: `path`, or the end of its chain
/// of symbolic links.
fn resolve(path: &Path) -> Result<PathBuf, IoError> {
    if path.file_name().is_none() {
        return Err(IoError::invalid(
            path,
            "cannot write: the path names no file",
        ));
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).map_err(|_| {
            IoError::invalid(
                path,
                "cannot write: a symbolic link to a missing file (refusing to replace the link)",
            )
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// `Ok` when `target` is missing or a regular file; else what it is.
fn check_replaceable(target: &Path) -> Result<(), String> {
    let Ok(m) = fs::symlink_metadata(target) else {
        return Ok(());
    };
    let ft = m.file_type();
    if ft.is_file() {
        return Ok(());
    }
    let what = if ft.is_dir() {
        "is a directory"
    } else if ft.is_symlink() {
        "is a symbolic link"
    } else {
        special_kind(&ft)
    };
    Err(format!(
        "cannot write: {what}, expected a regular file or a new name (refusing to replace it)"
    ))
}

/// What kind of special file this is, in words.
fn special_kind(ft: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "is a FIFO";
        }
        if ft.is_char_device() {
            return "is a character device";
        }
        if ft.is_block_device() {
            return "is a block device";
        }
        if ft.is_socket() {
            return "is a socket";
        }
    }
    let _ = ft;
    "is not a regular file"
}

/// The directory holding `path` (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The prefix of every temporary file of `target`: `.<name>.tmp.`.
fn temp_prefix(target: &Path) -> Option<String> {
    Some(format!(".{}.tmp.", target.file_name()?.to_string_lossy()))
}

/// The temporary name next to `target`; errors if it names no file.
fn temp_sibling(target: &Path) -> Result<PathBuf, IoError> {
    let prefix = temp_prefix(target)
        .ok_or_else(|| IoError::invalid(target, "cannot write: the path names no file"))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Ok(target.with_file_name(format!("{prefix}{}.{n}", std::process::id())))
}

/// Removes the temporary files of `target` left by processes that no longer
/// run (killed mid-write). Best effort; only on systems with `/proc`.
fn sweep_stale(target: &Path) {
    let Some(prefix) = temp_prefix(target) else {
        return;
    };
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(parent(target)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(stale_pid)
        else {
            continue;
        };
        let alive = Path::new(&format!("/proc/{pid}")).exists();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !alive && is_file && pid != std::process::id() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The pid in the `<pid>.<n>` tail of a temporary file's name.
fn stale_pid(tail: &str) -> Option<u32> {
    let (pid, n) = tail.split_once('.')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// Creates `tmp` (never overwriting), writes `bytes` and flushes them to disk.
fn write_and_sync(tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Best effort: flushes the directory entry of the rename (not possible everywhere).
fn sync_dir(path: &Path) {
    if let Ok(d) = File::open(parent(path)) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_util::TempDir;

    /// The directory's entries other than `keep`.
    fn others(dir: &Path, keep: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != keep)
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_replaces_and_leaves_no_temp_file() {
        let dir = TempDir::new("atomic-ok");
        let path = dir.path().join("m.safetensors");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(others(dir.path(), "m.safetensors"), Vec::<String>::new());
    }

    #[test]
    fn missing_directory_is_a_write_error_naming_the_file() {
        let dir = TempDir::new("atomic-missing");
        let path = dir.path().join("no/such/dir/m.safetensors");
        let err = write_atomic(&path, b"x").unwrap_err();
        assert!(matches!(err, IoError::Write { .. }));
        assert!(err
            .to_string()
            .starts_with(&format!("{}: cannot write: ", path.display())));
        assert!(!err.to_string().contains('\n'));
        assert!(matches!(check_output(&path), Err(IoError::Write { .. })));
    }

    #[test]
    fn a_directory_target_is_refused_and_kept() {
        let dir = TempDir::new("atomic-dir");
        let target = dir.path().join("m.safetensors");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside"), b"keep").unwrap();
        let err = write_atomic(&target, b"x").unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
        assert_eq!(others(dir.path(), "m.safetensors"), Vec::<String>::new());
        assert_eq!(fs::read(target.join("inside")).unwrap(), b"keep");
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_and_stay_special() {
        use std::os::unix::fs::FileTypeExt;
        let dir = TempDir::new("atomic-special");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        for (path, what) in [
            (fifo.as_path(), "is a FIFO"),
            (Path::new("/dev/null"), "is a character device"),
        ] {
            let err = write_atomic(path, b"x").unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!("{}: cannot write: {what}", path.display())),
                "{msg}"
            );
            assert!(check_output(path).is_err());
        }
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert!(fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
        assert_eq!(others(dir.path(), "fifo"), Vec::<String>::new());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_and_stays_a_link() {
        let dir = TempDir::new("atomic-link");
        fs::create_dir(dir.path().join("real")).unwrap();
        let file = dir.path().join("real/m.safetensors");
        fs::write(&file, b"old").unwrap();
        let link = dir.path().join("link.safetensors");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&file).unwrap(), b"new");
        assert_eq!(
            others(&dir.path().join("real"), "m.safetensors"),
            Vec::<String>::new()
        );

        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let err = write_atomic(&dangling, b"x").unwrap_err();
        assert!(
            err.to_string().contains("symbolic link to a missing file"),
            "{err}"
        );
        assert!(fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn stale_temp_files_of_dead_processes_are_swept() {
        let dir = TempDir::new("atomic-sweep");
        let path = dir.path().join("m.safetensors");
        // A pid that cannot be running: above the kernel's pid_max (at most 2^22).
        let dead = dir.path().join(".m.safetensors.tmp.4194305.0");
        fs::write(&dead, b"partial").unwrap();
        // Our own, a live process's, and another target's are kept.
        let live = dir
            .path()
            .join(format!(".m.safetensors.tmp.{}.999", std::process::id()));
        fs::write(&live, b"mine").unwrap();
        let other = dir.path().join(".other.tmp.4194305.0");
        fs::write(&other, b"not ours to judge").unwrap();
        write_atomic(&path, b"x").unwrap();
        if Path::new("/proc/self").exists() {
            assert!(!dead.exists(), "the dead process's temp file is left");
        }
        assert!(live.exists() && other.exists());
    }

    #[cfg(unix)]
    #[test]
    fn unwritable_directory_leaves_nothing_behind() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new("atomic-readonly");
        let ro = dir.path().join("ro");
        fs::create_dir(&ro).unwrap();
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
        let path = ro.join("m.safetensors");
        let probed = probe_output(&path);
        let result = write_atomic(&path, b"x");
        let left = others(&ro, "");
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
        if fs::metadata(&path).is_ok() {
            return; // running as root: permissions do not apply; the other tests cover failure
        }
        assert!(matches!(probed, Err(IoError::Write { .. })));
        assert!(matches!(result, Err(IoError::Write { .. })));
        assert_eq!(left, Vec::<String>::new());
    }

    #[test]
    fn same_file_sees_links_and_missing_names() {
        let dir = TempDir::new("atomic-same");
        let a = dir.path().join("a.csv");
        fs::write(&a, b"1").unwrap();
        let via_dot = dir.path().join(".").join("a.csv");
        assert!(same_file(&a, &via_dot));
        assert!(!same_file(&a, &dir.path().join("b.csv")));
        let new = dir.path().join("new.st");
        assert!(same_file(&new, &dir.path().join(".").join("new.st")));
        assert!(!same_file(&new, &dir.path().join("other.st")));
    }

    #[test]
    fn a_path_without_a_file_name_is_refused() {
        let err = write_atomic(Path::new("/"), b"x").unwrap_err();
        assert!(matches!(err, IoError::Invalid { .. }));
    }
}
