//! [`write_atomic`]: write to a temporary sibling, then rename over the target.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::IoError;

/// Distinguishes temporary files of concurrent writes within one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: the data goes to a temporary file in
/// the same directory (`.<name>.tmp.<pid>.<n>`), is flushed to disk, then
/// renamed over `path`. Readers see the old file or the new one, never half of
/// one; on any error the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    let tmp = temp_sibling(path)?;
    let result = write_and_sync(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if let Err(source) = result {
        let _ = fs::remove_file(&tmp);
        return Err(IoError::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    sync_dir(path);
    Ok(())
}

/// The temporary name next to `path`; errors if `path` names no file.
fn temp_sibling(path: &Path) -> Result<PathBuf, IoError> {
    let name = path
        .file_name()
        .ok_or_else(|| IoError::invalid(path, "cannot write: the path names no file"))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp_name = format!(".{}.tmp.{}.{n}", name.to_string_lossy(), std::process::id());
    Ok(path.with_file_name(tmp_name))
}

/// Creates `tmp` (never overwriting), writes `bytes` and flushes them to disk.
fn write_and_sync(tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Best effort: flushes the directory entry of the rename (not possible everywhere).
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_util::TempDir;

    /// The directory's entries other than `keep`.
    fn others(dir: &Path, keep: &str) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != keep)
            .collect()
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
    }

    #[test]
    fn failed_rename_removes_the_temp_file_and_keeps_the_target() {
        // The target is a non-empty directory: the temp file is written, the rename fails.
        let dir = TempDir::new("atomic-rename");
        let target = dir.path().join("m.safetensors");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside"), b"keep").unwrap();
        let err = write_atomic(&target, b"x").unwrap_err();
        assert!(matches!(err, IoError::Write { .. }), "{err}");
        assert_eq!(others(dir.path(), "m.safetensors"), Vec::<String>::new());
        assert_eq!(fs::read(target.join("inside")).unwrap(), b"keep");
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
        let result = write_atomic(&path, b"x");
        let left = others(&ro, "");
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
        if fs::metadata(&path).is_ok() {
            return; // running as root: permissions do not apply; the other tests cover failure
        }
        assert!(matches!(result, Err(IoError::Write { .. })));
        assert_eq!(left, Vec::<String>::new());
    }

    #[test]
    fn a_path_without_a_file_name_is_refused() {
        let err = write_atomic(Path::new("/"), b"x").unwrap_err();
        assert!(matches!(err, IoError::Invalid { .. }));
    }
}
