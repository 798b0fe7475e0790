//! Writes a run's results: flags (Parquet + CSV with BOM), households, matches, quarantine
//! and the manifest. A run is atomic: everything goes into a temporary directory beside
//! OUTDIR, is fsynced, and is renamed into place only when complete.
//! Front door: `output::write_run`. Only this stage and `ingest` touch the disk.

mod explain;
mod export;
mod files;
pub mod history;
mod query;
mod report;
mod review;
mod shard;
mod tables;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

pub use explain::explain;
pub use export::{export_pseudonymized, ExportError, Pseudonymizer};
pub use files::{acquire_lock, RunLock};
pub use query::{query, write_query_result, QueryError};
pub use review::{township_of, ReviewMember};
pub use shard::{read_shard, write_shard, ShardManifest, SHARD_FORMAT};
pub use tables::{previous_flags, PairsTable, PreviousFlag};

use crate::config::LinkParameters;
use crate::ingest::{InputInfo, QuarantinedRow};
use crate::link::Match;
use crate::rules::{Flag, Households};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: cannot write output: {message}")]
    Write { path: PathBuf, message: String },
    #[error("{path}: cannot read: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}: another run holds the lock{}", holder.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Locked {
        path: PathBuf,
        holder: Option<String>,
    },
}

impl OutputError {
    pub(crate) fn write(path: &Path, message: impl std::fmt::Display) -> OutputError {
        let message = message.to_string();
        // ENOSPC reaches us as io errors and inside polars' errors alike; say it plainly.
        let message = if message.contains("os error 28") {
            format!(
                "the disk is full ({message}); nothing was replaced: the previous outputs are \
                 unchanged. Free space or choose another --out, then run again"
            )
        } else {
            message
        };
        OutputError::Write {
            path: path.to_path_buf(),
            message,
        }
    }

    pub(crate) fn read(path: &Path, message: impl std::fmt::Display) -> OutputError {
        OutputError::Read {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}

/// Whether a flag was already raised by the previous run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagStatus {
    New,
    Persisting,
}

impl FlagStatus {
    pub fn code(self) -> &'static str {
        match self {
            FlagStatus::New => "new",
            FlagStatus::Persisting => "persisting",
        }
    }
}

/// A flag as written: the rule's flag plus its history.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagRow {
    pub flag: Flag,
    pub status: FlagStatus,
    pub first_flagged_on: NaiveDate,
}

/// Gives each flag its status against the previous run's flags.
pub fn with_history(flags: Vec<Flag>, previous: &[PreviousFlag], as_of: NaiveDate) -> Vec<FlagRow> {
    let first_seen: std::collections::HashMap<(&str, &str), NaiveDate> = previous
        .iter()
        .map(|p| {
            (
                (p.household_id.as_str(), p.reason.as_str()),
                p.first_flagged_on,
            )
        })
        .collect();
    flags
        .into_iter()
        .map(
            |flag| match first_seen.get(&(flag.household_id.as_str(), flag.reason.code())) {
                Some(first) => FlagRow {
                    first_flagged_on: (*first).min(as_of),
                    status: FlagStatus::Persisting,
                    flag,
                },
                None => FlagRow {
                    flag,
                    status: FlagStatus::New,
                    first_flagged_on: as_of,
                },
            },
        )
        .collect()
}

/// Everything one run writes.
pub struct RunOutputs<'a> {
    pub run_id: &'a str,
    pub flags: &'a [FlagRow],
    pub households: &'a Households,
    pub matches: &'a [MatchRow],
    pub quarantine: &'a [QuarantinedRow],
    pub manifest: &'a Manifest,
    pub parameters: &'a LinkParameters,
    /// Roll members as reviewers may see them (masked IDs), for the review workbooks.
    pub review_members: &'a [ReviewMember],
    /// Flags of the previous run that this run no longer raises.
    pub resolved: &'a [PreviousFlag],
    /// The last recorded runs and this one, oldest first, for the report's trend.
    pub trend: &'a [history::RunRecord],
    /// The as-of date of this run, for `resolved.parquet`.
    pub as_of: NaiveDate,
    /// Roll members whose ID is not valid.
    pub invalid_ids: usize,
}

/// A member↔record pair as written to matches.parquet.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRow {
    pub household_id: String,
    pub member_id: String,
    pub source: String,
    pub record_id: String,
    pub method: String,
    pub score: f64,
    pub id_level: String,
    pub name_level: String,
    pub birth_date_level: String,
    pub region_level: String,
    pub gender_level: String,
    /// log2 Bayes factor per field, in `link::FIELDS` order, then prior and total.
    pub field_weights: Vec<f64>,
    pub prior_weight: f64,
    pub match_weight: f64,
    pub decision: String,
    pub note: Option<String>,
}

impl MatchRow {
    pub fn new(m: &Match, household_id: &str, member_id: &str, record_id: &str) -> MatchRow {
        MatchRow {
            household_id: household_id.to_string(),
            member_id: member_id.to_string(),
            source: m.source.code().to_string(),
            record_id: record_id.to_string(),
            method: m.method.code().to_string(),
            score: m.score,
            id_level: m.levels.id.code().to_string(),
            name_level: m.levels.name.code().to_string(),
            birth_date_level: m.levels.birth_date.code().to_string(),
            region_level: m.levels.region.code().to_string(),
            gender_level: m.levels.gender.code().to_string(),
            field_weights: m.weights.fields.clone(),
            prior_weight: m.weights.prior,
            match_weight: m.weights.total,
            decision: m.decision.code().to_string(),
            note: m.note.map(str::to_string),
        }
    }
}

/// manifest.json.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub run_id: String,
    pub tool_version: String,
    pub as_of: String,
    pub pipeline: PipelineInfo,
    pub started_at: String,
    pub finished_at: String,
    pub inputs: Vec<InputInfo>,
    pub households: usize,
    pub members: usize,
    pub flags: usize,
    pub flags_per_reason: std::collections::BTreeMap<String, usize>,
    pub matches_per_source: std::collections::BTreeMap<String, usize>,
    pub candidate_pairs_per_rule: std::collections::BTreeMap<String, usize>,
    pub candidate_pairs: usize,
    /// Where the match parameters came from: `em`, `default` or `file` (see model.json).
    pub link_model: String,
    pub stage_seconds: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineInfo {
    pub name: String,
    pub path: String,
    pub sha256: String,
}

/// Writes `rollcheck link` results (pairs.parquet, model.json) atomically into `out_dir`.
pub fn write_link_run(
    out_dir: &Path,
    pairs: &tables::PairsTable,
    parameters: &LinkParameters,
) -> Result<(), OutputError> {
    files::publish(out_dir, "link", |staging| {
        tables::write_pairs(&staging.join("pairs.parquet"), pairs)?;
        let model =
            serde_json::to_vec_pretty(parameters).map_err(|e| OutputError::write(staging, e))?;
        files::write_file(&staging.join("model.json"), &model)
    })
}

/// Writes all outputs into a fresh directory and swaps it into place as `out_dir`. The
/// manifest is written last, with the time writing took and the finish time; it is returned.
pub fn write_run(out_dir: &Path, outputs: &RunOutputs) -> Result<Manifest, OutputError> {
    let started = std::time::Instant::now();
    files::publish(out_dir, outputs.run_id, |staging| {
        tables::write_flags_parquet(
            &staging.join("flags.parquet"),
            outputs.flags,
            outputs.run_id,
        )?;
        tables::write_flags_csv(&staging.join("flags.csv"), outputs.flags, outputs.run_id)?;
        tables::write_households(
            &staging.join("households.parquet"),
            outputs.households,
            outputs.flags,
        )?;
        tables::write_matches(&staging.join("matches.parquet"), outputs.matches)?;
        tables::write_quarantine(&staging.join("quarantine.parquet"), outputs.quarantine)?;
        tables::write_resolved(
            &staging.join("resolved.parquet"),
            outputs.resolved,
            outputs.as_of,
        )?;
        review::write_review_workbooks(
            &staging.join("review"),
            outputs.flags,
            outputs.review_members,
            outputs.as_of,
        )?;
        let report = report::render(outputs);
        files::write_file(&staging.join("report.html"), report.as_bytes())?;
        let model = serde_json::to_vec_pretty(outputs.parameters)
            .map_err(|e| OutputError::write(staging, e))?;
        files::write_file(&staging.join("model.json"), &model)?;
        let mut manifest = outputs.manifest.clone();
        manifest
            .stage_seconds
            .push(("write".into(), started.elapsed().as_secs_f64()));
        manifest.finished_at = chrono::Local::now().to_rfc3339();
        let bytes =
            serde_json::to_vec_pretty(&manifest).map_err(|e| OutputError::write(staging, e))?;
        files::write_file(&staging.join("manifest.json"), &bytes)?;
        Ok(manifest)
    })
}
