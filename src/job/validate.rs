//! `rollcheck validate`: a pipeline and its inputs checked without matching. The pipeline
//! and its SQL rules are checked, every input is read, and what was read is reported per
//! source with the first quarantined rows.

use std::fmt;
use std::path::{Path, PathBuf};

use super::JobError;
use crate::config::Pipeline;
use crate::ingest::{DuplicateHouseholds, InputInfo, QuarantinedRow};

/// Quarantined rows `validate` shows; the rest are in a run's quarantine.parquet.
const QUARANTINE_SHOWN: usize = 20;

/// What `validate` found: the pipeline is valid and its inputs were read like this.
#[derive(Debug)]
pub struct Validation {
    pub pipeline_file: PathBuf,
    pub pipeline_name: String,
    pub inputs: Vec<InputInfo>,
    pub roll_duplicates: Vec<DuplicateHouseholds>,
    /// The first quarantined rows.
    pub quarantine: Vec<QuarantinedRow>,
}

/// Checks the pipeline at `pipeline_file` (its SQL rules on empty tables too) and reads
/// every input it names.
pub fn validate(pipeline_file: &Path, data_dir: Option<&Path>) -> Result<Validation, JobError> {
    let pipeline = Pipeline::load(pipeline_file)?;
    crate::rules::sql::check(&pipeline).map_err(JobError::Rules)?;
    let mut ingested = crate::ingest::load(&pipeline, data_dir)?;
    ingested.quarantine.truncate(QUARANTINE_SHOWN);
    Ok(Validation {
        pipeline_file: pipeline_file.to_path_buf(),
        pipeline_name: pipeline.name,
        inputs: ingested.inputs,
        roll_duplicates: ingested.roll_duplicates,
        quarantine: ingested.quarantine,
    })
}

/// A table of the inputs (rows read, used and quarantined, encoding, path), then the
/// households in two roll files and the first quarantined rows; one line each.
impl fmt::Display for Validation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: pipeline `{}` is valid",
            self.pipeline_file.display(),
            self.pipeline_name
        )?;
        writeln!(
            f,
            "{:<16} {:>9} {:>9} {:>12}  {:<22} path",
            "source", "read", "used", "quarantined", "encoding"
        )?;
        for input in &self.inputs {
            writeln!(
                f,
                "{:<16} {:>9} {:>9} {:>12}  {:<22} {}",
                input.source.code(),
                input.rows_read,
                input.rows_used,
                input.rows_quarantined,
                input.encoding,
                input.path
            )?;
        }
        for shared in &self.roll_duplicates {
            writeln!(
                f,
                "  households in two roll files: {} in {} and {}",
                shared.households, shared.first_file, shared.second_file
            )?;
        }
        for row in &self.quarantine {
            writeln!(
                f,
                "  quarantine: {} row {} {}: {}",
                row.file,
                row.row,
                row.column.as_deref().unwrap_or("-"),
                row.problem
            )?;
        }
        Ok(())
    }
}
