//! Files and directories: owner-only permissions, fsync before rename, the run lock, and
//! the swap that makes a run's outputs appear all at once.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::OutputError;

/// The bytes of a file that a command reads besides a run's tables (a key, a findings
/// batch, a filled workbook); the caller names the error in its own terms.
pub fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    fs::read(path)
}

/// The entries of a directory (hidden ones included), sorted by path.
pub fn entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)?.flatten().map(|e| e.path()).collect();
    paths.sort();
    Ok(paths)
}

/// Whether `path` is a file (a run's optional table, an earlier run's output).
pub fn is_file(path: &Path) -> bool {
    path.is_file()
}

/// Whether `path` is a directory.
pub fn is_dir(path: &Path) -> bool {
    path.is_dir()
}

/// Creates a directory and its parents (permissions as the umask gives: a state directory
/// an operator chose).
pub fn create_dirs(path: &Path) -> Result<(), OutputError> {
    fs::create_dir_all(path).map_err(|e| OutputError::write(path, e))
}

/// Creates a file readable by its owner only (outputs hold personal data).
pub fn create_private(path: &Path) -> Result<File, OutputError> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| OutputError::write(path, e))
}

/// Writes bytes to a private file and flushes them to disk.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut file = create_private(path)?;
    file.write_all(bytes)
        .map_err(|e| OutputError::write(path, e))?;
    file.sync_all().map_err(|e| OutputError::write(path, e))
}

/// The JSON manifest at `path` (`what` names it in errors: "a shard manifest"), refused
/// unless its format (`format_of`) is `expected`: a directory another version wrote.
pub fn read_manifest<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
    expected: &str,
    format_of: fn(&T) -> &str,
) -> Result<T, OutputError> {
    let text = fs::read(path).map_err(|e| OutputError::read(path, e))?;
    let manifest: T = serde_json::from_slice(&text)
        .map_err(|e| OutputError::read(path, format!("not {what}: {e}")))?;
    let format = format_of(&manifest);
    if format != expected {
        return Err(OutputError::read(
            path,
            format!("format `{format}`, this version reads `{expected}`"),
        ));
    }
    Ok(manifest)
}

/// Replaces `path` with `bytes` all at once: a hidden temporary file beside it is written,
/// fsynced and renamed over it, then the directory is synced. A crash leaves the old file or
/// the new one, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let staging = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    write_file(&staging, bytes)?;
    fs::rename(&staging, path).map_err(|e| OutputError::write(path, e))?;
    if let Ok(handle) = File::open(dir) {
        // Makes the rename durable; where a directory cannot be opened, the rename stands.
        let _ = handle.sync_all();
    }
    Ok(())
}

pub fn create_private_dir(path: &Path) -> Result<(), OutputError> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(path)
        .map_err(|e| OutputError::write(path, e))
}

fn parent_and_name(out_dir: &Path) -> (PathBuf, String) {
    let parent = out_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let name = out_dir.file_name().map_or_else(
        || "rollcheck-out".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    (parent, name)
}

/// A fresh, empty staging directory beside `out_dir`.
fn staging_dir(out_dir: &Path, run_id: &str) -> Result<PathBuf, OutputError> {
    let (parent, name) = parent_and_name(out_dir);
    fs::create_dir_all(&parent).map_err(|e| OutputError::write(&parent, e))?;
    let staging = parent.join(format!(".{name}.tmp-{run_id}-{}", std::process::id()));
    crash_point("staging");
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| OutputError::write(&staging, e))?;
    }
    create_private_dir(&staging)?;
    Ok(staging)
}

/// Builds outputs in a fresh staging directory with `fill`, then swaps it into place as
/// `out_dir`. When anything fails (a full disk, say) the staging directory is removed, which
/// also frees its space, and the previous outputs stay as they were.
pub fn publish<T, E: From<OutputError>>(
    out_dir: &Path,
    tag: &str,
    fill: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let staging = staging_dir(out_dir, tag)?;
    let result = fill(&staging).and_then(|value| {
        swap_into_place(&staging, out_dir)?;
        Ok(value)
    });
    if result.is_err() && staging.exists() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Puts a complete staging directory in place of `out_dir`. The previous outputs are moved
/// aside first and removed last; `recover` restores them if we die in between.
fn swap_into_place(staging: &Path, out_dir: &Path) -> Result<(), OutputError> {
    sync_dir(staging)?;
    let (parent, name) = parent_and_name(out_dir);
    let previous = parent.join(format!(".{name}.previous"));
    if out_dir.exists() {
        if previous.exists() {
            fs::remove_dir_all(&previous).map_err(|e| OutputError::write(&previous, e))?;
        }
        fs::rename(out_dir, &previous).map_err(|e| OutputError::write(out_dir, e))?;
    }
    crash_point("swap");
    fs::rename(staging, out_dir).map_err(|e| OutputError::write(out_dir, e))?;
    sync_dir(&parent)?;
    if previous.exists() {
        fs::remove_dir_all(&previous).map_err(|e| OutputError::write(&previous, e))?;
    }
    Ok(())
}

/// The crash test's hook: with `ROLLCHECK_CRASH_AT=<point>` the process dies here as if
/// killed, to prove `recover` restores a complete run. Unset, it does nothing.
fn crash_point(point: &str) {
    if std::env::var_os("ROLLCHECK_CRASH_AT").is_some_and(|at| at == point) {
        std::process::abort();
    }
}

/// Restores the previous outputs if a run died between moving them aside and renaming the
/// new ones into place, and removes abandoned staging directories.
pub fn recover(out_dir: &Path) -> Result<(), OutputError> {
    let (parent, name) = parent_and_name(out_dir);
    let previous = parent.join(format!(".{name}.previous"));
    if !out_dir.exists() && previous.exists() {
        fs::rename(&previous, out_dir).map_err(|e| OutputError::write(out_dir, e))?;
    }
    let Ok(entries) = fs::read_dir(&parent) else {
        return Ok(());
    };
    let stale_prefix = format!(".{name}.tmp-");
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(&stale_prefix)
        {
            let path = entry.path();
            fs::remove_dir_all(&path).map_err(|e| OutputError::write(&path, e))?;
        }
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), OutputError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| OutputError::write(dir, e))
}

/// Held for the whole run; the OS releases it if the process dies.
pub struct RunLock {
    _file: File,
}

/// Takes the exclusive lock for `out_dir` (a file beside it), then recovers any run that
/// died mid-swap. Another live run holding it is `OutputError::Locked`.
/// Tries the lock a few times over a tenth of a second. A process forked by another thread
/// of this one (a test harness, a scheduler embedding the library) holds a copy of a just
/// released lock until it execs; a moment later the lock is free. A real holder keeps it.
fn try_lock_briefly(file: &File) -> Result<(), fs::TryLockError> {
    for _ in 0..5 {
        match file.try_lock() {
            Err(fs::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
    file.try_lock()
}

pub fn acquire_lock(out_dir: &Path) -> Result<RunLock, OutputError> {
    let (parent, name) = parent_and_name(out_dir);
    fs::create_dir_all(&parent).map_err(|e| OutputError::write(&parent, e))?;
    let path = parent.join(format!(".{name}.lock"));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| OutputError::write(&path, e))?;
    match try_lock_briefly(&file) {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let holder = fs::read_to_string(&path)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            return Err(OutputError::Locked { path, holder });
        }
        Err(fs::TryLockError::Error(e)) => return Err(OutputError::write(&path, e)),
    }
    let holder = format!(
        "pid {} since {}",
        std::process::id(),
        chrono::Local::now().format("%Y-%m-%d %H:%M:%S")
    );
    file.set_len(0)
        .and_then(|()| file.write_all(holder.as_bytes()))
        .map_err(|e| OutputError::write(&path, e))?;
    recover(out_dir)?;
    Ok(RunLock { _file: file })
}
