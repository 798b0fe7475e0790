//! Writes a run's results: flags (Parquet + CSV with BOM), households, matches, quarantine
//! and the manifest. A run is atomic: everything goes into a temporary directory beside
//! OUTDIR, is fsynced, and is renamed into place only when complete.
//! Front door: `output::write_run`. Only this stage and `ingest` touch the disk.

mod county_report;
mod explain;
mod explorer;
mod export;
mod files;
pub mod findings;
pub mod history;
pub mod published;
mod query;
mod report;
mod review;
mod review_report;
mod roll_index;
mod shard;
mod status;
pub mod summary;
mod summary_workbook;
mod tables;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

pub use explain::{comparison_in_words, explain};
pub use export::{export_pseudonymized, ExportError, Pseudonymizer};
pub use files::{acquire_lock, write_atomically, RunLock};
pub use query::{query, write_query_result, QueryError};
pub use review::{township_of, write_recheck_workbook, RecheckItem, ReviewMember, RECHECK_SHEET};
pub use roll_index::{read_roll_index, write_roll_index, RollIndexManifest, ROLL_INDEX_FORMAT};
pub use shard::{read_shard, write_shard, ShardManifest, SHARD_FORMAT};
pub use status::{
    review_status, support, support_of, with_history, FlagRow, FlagStatus, Verdicted,
};
pub use summary::SummaryRow;
pub use tables::{previous_flags, PairsTable, PreviousFlag, ResolvedFlag};

use crate::config::LinkParameters;
use crate::ingest::{InputInfo, QuarantinedRow};
use crate::link::corroborate::RegionFrom;
use crate::link::Match;
use crate::rules::Households;

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
    pub resolved: &'a [ResolvedFlag],
    /// The last recorded runs and this one, oldest first, for the report's trend.
    pub trend: &'a [history::RunRecord],
    /// The as-of date of this run, for `resolved.parquet`.
    pub as_of: NaiveDate,
    /// Roll members whose ID is not valid.
    pub invalid_ids: usize,
    /// `possible` matches that would raise a high-severity reason, best first.
    pub leads: &'a [LeadRow],
    /// Unflagged households drawn for a spot check.
    pub spot_checks: &'a [SpotCheckRow],
    /// Outcomes of the findings so far.
    pub review: &'a ReviewOutcomes,
    /// Monthly benefit (yuan) per household, where the roll gives one.
    pub benefits: &'a std::collections::HashMap<String, f64>,
}

/// What the findings so far add up to, for `review_summary.csv`, the report and the workbook.
#[derive(Debug, Clone, Default)]
pub struct ReviewOutcomes {
    pub summary: Vec<SummaryRow>,
    pub outcome: summary::Outcome,
    /// (band's lower edge, upheld, dismissed) for probabilistic matches.
    pub score_bands: Vec<(f64, usize, usize)>,
    /// Days a flag may wait for its visit.
    pub due_days: u32,
    /// Findings recorded so far.
    pub findings: usize,
    /// Unflagged households on the roll, for the spot checks' estimate of what the checks miss.
    pub unflagged_households: usize,
    /// Second reviewers' re-checks per township, and where they disagree.
    pub rechecks: Vec<summary::RecheckRow>,
    /// Households, flagged households and flags per reason, per county.
    pub counties: Vec<summary::CountyRow>,
}

/// A `possible` match that would raise a high-severity reason if accepted: a lead for review.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadRow {
    pub household_id: String,
    pub member_id: String,
    pub reason: crate::model::Reason,
    pub source: String,
    pub source_label: String,
    pub record_id: String,
    pub probability: f64,
    /// The comparison levels in words.
    pub comparison: String,
    pub region_code: Option<String>,
}

/// An unflagged household drawn at random for a spot check (抽查).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpotCheckRow {
    pub household_id: String,
    pub programme: crate::model::Programme,
    pub region_code: Option<String>,
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
    /// Others expected to share the name and birth date (records without a usable ID).
    pub expected_namesakes: Option<f64>,
    /// The record field its side of the region comparison was read from (`id`,
    /// `property_unit`, `uscc`, `plate`), when regions were compared.
    pub region_from: Option<String>,
}

impl MatchRow {
    pub fn new(
        m: &Match,
        household_id: &str,
        member_id: &str,
        record_id: &str,
        region_from: Option<RegionFrom>,
    ) -> MatchRow {
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
            expected_namesakes: m.expected_namesakes,
            region_from: region_from.map(|from| from.code().to_string()),
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
    /// The run history (and findings) directory, so `review import` finds it.
    pub state_dir: String,
    pub started_at: String,
    pub finished_at: String,
    pub inputs: Vec<InputInfo>,
    /// Per source: files, rows read, used and quarantined, summed over its files.
    pub source_totals: std::collections::BTreeMap<String, SourceTotals>,
    /// Households found in two roll files: the files and how many.
    pub households_in_two_roll_files: Vec<crate::ingest::DuplicateHouseholds>,
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
    /// Files the review inbox held that this run imported, with what each gave.
    pub review_imports: Vec<findings::ImportedFile>,
    /// Rows of those files that were not recorded, and why.
    pub review_import_problems: Vec<String>,
    /// The Chinese labels of the reasons and sources the pipeline declared, by code, so
    /// commands that read the run back (`review import`, `review sample`) know them.
    #[serde(skip_serializing_if = "DeclaredLabels::is_empty")]
    pub declared: DeclaredLabels,
}

/// The labels of a pipeline's declared reasons and sources, by code.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct DeclaredLabels {
    #[serde(default)]
    pub reasons: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub sources: std::collections::BTreeMap<String, String>,
}

impl DeclaredLabels {
    /// The declared names among the pipeline's rules and sources.
    pub fn of(pipeline: &crate::config::Pipeline) -> DeclaredLabels {
        DeclaredLabels {
            reasons: pipeline
                .rules
                .sql
                .iter()
                .map(|rule| (rule.reason.code().to_string(), rule.label.clone()))
                .collect(),
            sources: pipeline
                .sources
                .keys()
                .filter(|source| source.is_local())
                .map(|source| (source.code().to_string(), source.label_zh().to_string()))
                .collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.reasons.is_empty() && self.sources.is_empty()
    }

    /// Declares every name with its label, for this process.
    pub fn declare(&self) {
        for (code, label) in &self.reasons {
            crate::model::Reason::local(code, Some(label));
        }
        for (code, label) in &self.sources {
            crate::model::Source::local(code, Some(label));
        }
    }
}

/// A source's files and rows, summed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceTotals {
    pub files: usize,
    pub rows_read: usize,
    pub rows_used: usize,
    pub rows_quarantined: usize,
}

impl SourceTotals {
    /// Totals per source code over input records (one per file).
    pub fn of(inputs: &[InputInfo]) -> std::collections::BTreeMap<String, SourceTotals> {
        let mut totals: std::collections::BTreeMap<String, SourceTotals> =
            std::collections::BTreeMap::new();
        for input in inputs {
            let total = totals.entry(input.source.code().to_string()).or_default();
            total.files += 1;
            total.rows_read += input.rows_read;
            total.rows_used += input.rows_used;
            total.rows_quarantined += input.rows_quarantined;
        }
        totals
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineInfo {
    pub name: String,
    pub path: String,
    pub sha256: String,
    /// `[pipeline] province`, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
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
            outputs.benefits,
        )?;
        tables::write_matches(&staging.join("matches.parquet"), outputs.matches)?;
        tables::write_quarantine(&staging.join("quarantine.parquet"), outputs.quarantine)?;
        tables::write_resolved(
            &staging.join("resolved.parquet"),
            outputs.resolved,
            outputs.as_of,
        )?;
        tables::write_leads(&staging.join("leads.parquet"), outputs.leads)?;
        tables::write_spot_checks(&staging.join("spot_checks.parquet"), outputs.spot_checks)?;
        review::write_review_workbooks(
            &staging.join("review"),
            &review::ReviewItems {
                flags: outputs.flags,
                leads: outputs.leads,
                spot_checks: outputs.spot_checks,
                members: outputs.review_members,
            },
            outputs.as_of,
        )?;
        summary::write_csv(&staging.join("review_summary.csv"), &outputs.review.summary)?;
        summary_workbook::write(&staging.join("summary.xlsx"), outputs.review, outputs.as_of)?;
        let report = report::render(outputs);
        files::write_file(&staging.join("report.html"), report.as_bytes())?;
        explorer::write(&staging.join("explorer.html"), outputs)?;
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
