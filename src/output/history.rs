//! Run history: a state directory keeps every completed run's flags and a summary, and every
//! finding that came back from a visit, so each flag gets its status (`new`, `persisting`
//! or its review status) with its `first_flagged_on`, flags that disappeared are listed as
//! resolved, and `rollcheck history` / `rollcheck diff` can show what changed.
//! Front door: `History`, which a run opens once, asks to `follow` its flags, and tells to
//! `record_run` when its outputs are published.
//!
//! Layout: `STATE/runs/<as_of>_<finished>_<run_id>/{flags.parquet, run.json}` and
//! `STATE/findings/` (see `findings`). A run is recorded only after its outputs are in place,
//! and each record appears by one rename.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use chrono::NaiveDate;

use super::files::{create_private_dir, write_file};
use super::findings::{Findings, Subject};
use super::status::{with_history, FlagRow, FlagStatus, Verdicted};
use super::tables::{previous_flags, PreviousFlag, ResolvedFlag};
use super::OutputError;
use crate::rules::Flag;

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

/// Runs shown in the report's trend, this one included.
const TREND_RUNS: usize = 14;

/// A pipeline's history: its recorded runs and findings.
pub struct History {
    state: PathBuf,
    out_dir: PathBuf,
    runs: Vec<(PathBuf, RunRecord)>,
    findings: Findings,
}

/// A run's flags as history sees them.
pub struct Chronicle {
    pub flags: Vec<FlagRow>,
    /// Flags of the previous run that this run no longer raises.
    pub resolved: Vec<ResolvedFlag>,
    /// This run's summary (its `finished_at` is set when recorded).
    pub record: RunRecord,
    /// The last recorded runs and this one, oldest first, for the report's trend.
    pub trend: Vec<RunRecord>,
}

impl History {
    /// Opens the history of the pipeline whose outputs go to `out_dir`: the configured state
    /// directory, else `<OUTDIR>.history`. Fails only when recorded findings cannot be read.
    pub fn open(out_dir: &Path, configured: Option<&Path>) -> Result<History, OutputError> {
        let state = state_dir(out_dir, configured);
        Ok(History {
            runs: list_runs(&state),
            findings: Findings::read(&state)?,
            out_dir: out_dir.to_path_buf(),
            state,
        })
    }

    pub fn state(&self) -> &Path {
        &self.state
    }

    pub fn findings(&self) -> &Findings {
        &self.findings
    }

    pub fn findings_mut(&mut self) -> &mut Findings {
        &mut self.findings
    }

    /// The flags of the last recorded run before `run_id`; else the flags in the output
    /// directory if they are another run's (a run from before history was kept).
    fn previous(&self, run_id: &str) -> Vec<PreviousFlag> {
        match self.runs.iter().rev().find(|(_, r)| r.run_id != run_id) {
            Some((dir, _)) => previous_flags(dir),
            None if self.runs.is_empty() => previous_flags(&self.out_dir),
            None => Vec::new(),
        }
    }

    /// Gives this run's flags their status and first date, lists the flags it no longer
    /// raises, and summarises it for the record and the trend.
    pub fn follow(&self, flags: Vec<Flag>, run_id: &str, as_of: NaiveDate) -> Chronicle {
        let previous = self.previous(run_id);
        let latest = self.findings.latest();
        let flags = with_history(flags, &previous, &latest, as_of);
        let current: std::collections::HashSet<(&str, &str)> = flags
            .iter()
            .map(|f| (f.flag.household_id.as_str(), f.flag.reason.code()))
            .collect();
        let resolved: Vec<ResolvedFlag> = previous
            .iter()
            .filter(|p| !current.contains(&(p.household_id.as_str(), p.reason.as_str())))
            .map(|p| ResolvedFlag {
                finding: crate::model::Reason::named(&p.reason).and_then(|reason| {
                    latest
                        .get(&(p.household_id.as_str(), &Subject::Flag { reason }))
                        .map(|f| Verdicted::from(*f))
                }),
                flag: p.clone(),
            })
            .collect();
        let count = |status: FlagStatus| flags.iter().filter(|f| f.status == status).count();
        let mut flags_per_reason: BTreeMap<String, usize> = crate::model::Reason::ALL
            .iter()
            .map(|r| (r.code().to_string(), 0))
            .collect();
        for row in &flags {
            *flags_per_reason
                .entry(row.flag.reason.code().to_string())
                .or_default() += 1;
        }
        let record = RunRecord {
            run_id: run_id.to_string(),
            as_of: as_of.format("%Y-%m-%d").to_string(),
            finished_at: String::new(),
            flags: flags.len(),
            new: count(FlagStatus::New),
            persisting: count(FlagStatus::Persisting),
            resolved: resolved.len(),
            flags_per_reason,
            flags_per_status: FlagStatus::ALL
                .iter()
                .map(|s| (s.code().to_string(), count(*s)))
                .collect(),
            flags_per_county: flags.iter().fold(BTreeMap::new(), |mut counties, row| {
                let county = crate::model::RegionCode::county_key(row.flag.region_code.as_deref());
                *counties.entry(county).or_default() += 1;
                counties
            }),
        };
        let mut trend: Vec<RunRecord> = self
            .runs
            .iter()
            .filter(|(_, r)| r.run_id != run_id)
            .map(|(_, r)| r.clone())
            .collect();
        trend.push(record.clone());
        let trend = trend.split_off(trend.len().saturating_sub(TREND_RUNS));
        Chronicle {
            flags,
            resolved,
            record,
            trend,
        }
    }

    /// Records a run whose outputs are published, finished at `finished_at`.
    pub fn record_run(
        &self,
        published_flags: &Path,
        record: &RunRecord,
    ) -> Result<PathBuf, OutputError> {
        record_run(&self.state, published_flags, record)
    }
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
    let recorded = std::fs::read(out_dir.join("manifest.json"))
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
fn record_run(
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
    write_file(&staging.join("flags.parquet"), &flags)?;
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

/// `rollcheck history`: one line per run.
pub fn history_table(state: &Path) -> String {
    let runs = list_runs(state);
    if runs.is_empty() {
        return format!("{}: no runs recorded\n", state.display());
    }
    let reasons: BTreeSet<&String> = runs
        .iter()
        .flat_map(|(_, r)| r.flags_per_reason.keys())
        .collect();
    let mut out = format!(
        "{:<16} {:<10} {:<25} {:>6} {:>6} {:>10} {:>8}",
        "run", "as_of", "finished", "flags", "new", "persisting", "resolved"
    );
    for reason in &reasons {
        let _ = write!(out, " {:>8}", abbreviate(reason));
    }
    out.push('\n');
    for (_, run) in &runs {
        let finished: String = run.finished_at.chars().take(25).collect();
        let _ = write!(
            out,
            "{:<16} {:<10} {:<25} {:>6} {:>6} {:>10} {:>8}",
            run.run_id, run.as_of, finished, run.flags, run.new, run.persisting, run.resolved
        );
        for reason in &reasons {
            let _ = write!(
                out,
                " {:>8}",
                run.flags_per_reason.get(*reason).copied().unwrap_or(0)
            );
        }
        out.push('\n');
    }
    let legend: Vec<String> = reasons
        .iter()
        .map(|r| format!("{}={r}", abbreviate(r)))
        .collect();
    let _ = writeln!(out, "reasons: {}", legend.join(", "));
    out
}

/// A short column title for a reason (`deceased_member` → `dec_mem`).
fn abbreviate(reason: &str) -> String {
    reason
        .split('_')
        .map(|w| w.chars().take(3).collect::<String>())
        .collect::<Vec<_>>()
        .join("_")
}

/// `rollcheck diff`: the flags only in A, only in B, and how many both have. Each side is a
/// run's output directory or a recorded run in a state directory (both hold flags.parquet).
pub fn diff(run_a: &Path, run_b: &Path) -> Result<String, OutputError> {
    let read = |dir: &Path| -> Result<BTreeSet<(String, String)>, OutputError> {
        if !dir.join("flags.parquet").is_file() {
            return Err(OutputError::write(
                dir,
                "no flags.parquet here (not a run directory)",
            ));
        }
        Ok(previous_flags(dir)
            .into_iter()
            .map(|f| (f.household_id, f.reason))
            .collect())
    };
    let (a, b) = (read(run_a)?, read(run_b)?);
    let mut out = String::new();
    for (household, reason) in a.difference(&b) {
        let _ = writeln!(out, "- {household} {reason}");
    }
    for (household, reason) in b.difference(&a) {
        let _ = writeln!(out, "+ {household} {reason}");
    }
    let _ = writeln!(
        out,
        "{} only in {} (resolved), {} only in {} (new), {} in both",
        a.difference(&b).count(),
        run_a.display(),
        b.difference(&a).count(),
        run_b.display(),
        a.intersection(&b).count()
    );
    Ok(out)
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

    #[test]
    fn reasons_abbreviate_readably() {
        assert_eq!(abbreviate("deceased_member"), "dec_mem");
        assert_eq!(abbreviate("invalid_id"), "inv_id");
    }
}
