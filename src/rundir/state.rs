//! The state directory of a pipeline: where its history lives and how each run is recorded
//! there (`runs/<as_of>_<finished>_<run_id>/` with `run.json` and a copy of flags.parquet).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{create_private_dir, write_file};
use super::names::{FLAGS_PARQUET, MANIFEST};
use super::OutputError;

/// The summary of one recorded run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub as_of: String,
    pub finished_at: String,
    pub flags: usize,
    pub new: usize,
    pub persisting: usize,
    pub resolved: usize,
    pub flags_per_reason: BTreeMap<String, usize>,
    /// Flags per status (`new`, `persisting`, `confirmed`, …); absent in older records.
    #[serde(default)]
    pub flags_per_status: BTreeMap<String, usize>,
    /// Flags per county (first 6 digits of the region code); absent in older records.
    #[serde(default)]
    pub flags_per_county: BTreeMap<String, usize>,
}

/// Where a pipeline's history lives: the configured directory, else `<OUTDIR>.history` beside
/// the outputs.
pub fn state_dir(out_dir: &Path, configured: Option<&Path>) -> PathBuf {
    configured.map_or_else(
        || {
            let name = out_dir.file_name().map_or_else(
                || "rollcheck-out".into(),
                |n| n.to_string_lossy().into_owned(),
            );
            out_dir.with_file_name(format!("{name}.history"))
        },
        Path::to_path_buf,
    )
}

/// The history directory of the run in `out_dir`: the one its manifest names, else
/// `<OUTDIR>.history`.
pub fn state_dir_of_run(out_dir: &Path) -> PathBuf {
    let recorded = std::fs::read(out_dir.join(MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|m| m.get("state_dir")?.as_str().map(PathBuf::from));
    recorded.unwrap_or_else(|| state_dir(out_dir, None))
}

fn runs_dir(state: &Path) -> PathBuf {
    state.join("runs")
}

/// Every recorded run, oldest first (by the order they finished).
pub fn list_runs(state: &Path) -> Vec<(PathBuf, RunRecord)> {
    let Ok(entries) = std::fs::read_dir(runs_dir(state)) else {
        return Vec::new();
    };
    let mut runs: Vec<(PathBuf, RunRecord)> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path().join("run.json")).ok()?;
            Some((e.path(), serde_json::from_str(&text).ok()?))
        })
        .collect();
    runs.sort_by(|a, b| (&a.1.finished_at, &a.1.run_id).cmp(&(&b.1.finished_at, &b.1.run_id)));
    runs
}

/// Records a completed run: its flags file (copied from the published outputs) and summary.
pub fn record_run(
    state: &Path,
    published_flags: &Path,
    record: &RunRecord,
) -> Result<PathBuf, OutputError> {
    let runs = runs_dir(state);
    std::fs::create_dir_all(&runs).map_err(|e| OutputError::write(&runs, e))?;
    let stamp: String = record
        .finished_at
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let name = format!("{}_{stamp}_{}", record.as_of, record.run_id);
    let staging = runs.join(format!(".{name}.tmp-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| OutputError::write(&staging, e))?;
    }
    create_private_dir(&staging)?;
    let flags =
        std::fs::read(published_flags).map_err(|e| OutputError::write(published_flags, e))?;
    write_file(&staging.join(FLAGS_PARQUET), &flags)?;
    // The run's warnings, when it wrote any: the next run's new and persisting.
    let warnings = published_flags.with_file_name(super::names::WARNINGS_PARQUET);
    if warnings.is_file() {
        let bytes = std::fs::read(&warnings).map_err(|e| OutputError::write(&warnings, e))?;
        write_file(&staging.join(super::names::WARNINGS_PARQUET), &bytes)?;
    }
    let summary = serde_json::to_vec_pretty(record).map_err(|e| OutputError::write(&staging, e))?;
    write_file(&staging.join("run.json"), &summary)?;
    let target = runs.join(name);
    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(|e| OutputError::write(&target, e))?;
    }
    std::fs::rename(&staging, &target).map_err(|e| OutputError::write(&target, e))?;
    // A repeated run replaces its earlier record: one record per run id.
    for (dir, earlier) in list_runs(state) {
        if earlier.run_id == record.run_id && dir != target {
            std::fs::remove_dir_all(&dir).map_err(|e| OutputError::write(&dir, e))?;
        }
    }
    Ok(target)
}

/// The state directory's own secret (created once, owner-only): salts the digests that name
/// a person in workbooks (`warning_id`) so that no one can test an ID against them.
pub fn state_salt(state: &Path) -> Result<String, OutputError> {
    let path = state.join("salt");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok(text.trim().to_string());
    }
    std::fs::create_dir_all(state).map_err(|e| OutputError::write(state, e))?;
    let salt: String = (0..32)
        .map(|_| char::from(b"0123456789abcdef"[usize::from(rand::random::<u8>() & 0x0f)]))
        .collect();
    write_file(&path, salt.as_bytes())?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_state_dir_sits_beside_the_outputs() {
        assert_eq!(
            state_dir(Path::new("/srv/out/nightly"), None),
            PathBuf::from("/srv/out/nightly.history")
        );
        assert_eq!(
            state_dir(Path::new("/srv/out/nightly"), Some(Path::new("/srv/state"))),
            PathBuf::from("/srv/state")
        );
    }
}
