//! `manifest.json`: what a run read, decided and wrote, and the labels of what its pipeline
//! declared, so commands that read the run back know them.

use serde::{Deserialize, Serialize};

use crate::ingest::InputInfo;

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
    pub review_imports: Vec<ImportedFile>,
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

/// What importing one file gave (printed by `review import`, listed in a run's manifest
/// for the files its inbox held).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedFile {
    pub file: String,
    pub recorded: usize,
    /// Findings already in the history (the same file, or the same rows, imported before).
    pub already_recorded: usize,
    /// Rows with a household but no finding yet.
    pub unreviewed: usize,
    pub rejected: usize,
    /// Why the whole file was not read, when it was not.
    pub error: Option<String>,
}
