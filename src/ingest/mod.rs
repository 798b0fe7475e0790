//! Reads every source the pipeline names into typed rows. Unusable rows go to quarantine
//! with file, row, column and problem; per source, rows read = used + quarantined.
//! Front door: `ingest::load`. Only this stage and `output` touch the disk.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // the inputs are read here

mod columns;
mod decode;
mod fields;
pub mod findings;
mod format;
mod locate;
mod pieces;
mod records;
mod registry;
mod roll;
pub mod schema;
mod standards;
mod table;
mod text_table;

use std::path::{Path, PathBuf};

pub use crate::model::parse_date;
pub use records::{
    DuplicateHouseholds, FieldValue, Ingested, InputInfo, OtherPerson, PersonFields,
    QuarantinedRow, RecordDetails, Registry, RegistryRecord, RollMember,
};
pub use registry::{load_registry, load_registry_in_pieces};
pub use roll::{load_roll, load_roll_in_pieces, RollRead};
pub use standards::load_standards;
pub use table::{format_number, read_csv};
pub use text_table::{read_text_table, TextTable};

use crate::config::Pipeline;
use crate::model::Source;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A programme standards table, or the standards together, cannot be used: a pipeline
    /// error (exit 2), since the tables are part of the pipeline.
    #[error("{path}: programme standards: {message}")]
    Standards { path: PathBuf, message: String },
    #[error("source `{source_name}`: no input file found (tried {})", tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NotFound {
        source_name: &'static str,
        tried: Vec<PathBuf>,
    },
    #[error(
        "source `{source_name}`: `{pattern}` matches no file (.csv, .csv.gz, .parquet, .xlsx)"
    )]
    NothingMatches {
        source_name: &'static str,
        pattern: PathBuf,
    },
    #[error("{path}: cannot read file: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("{path}: missing required column `{column}` for source `{source_name}` (headers found: {found})")]
    MissingColumn {
        path: PathBuf,
        source_name: &'static str,
        column: &'static str,
        found: String,
    },
    #[error("{path}: columns `{first}` and `{second}` both map to `{column}`")]
    DuplicateColumn {
        path: PathBuf,
        column: &'static str,
        first: String,
        second: String,
    },
    #[error("{path}: source `{source_name}`: pipeline maps `{column}` to header `{header}`, which the file does not have (headers found: {found})")]
    MappedColumnMissing {
        path: PathBuf,
        source_name: &'static str,
        column: String,
        header: String,
        found: String,
    },
    #[error("{path}: pipeline maps unknown column `{column}` for source `{source_name}`")]
    UnknownMappedColumn {
        path: PathBuf,
        source_name: &'static str,
        column: String,
    },
    /// A file given as review findings that cannot be one (no 户编号 sheet, a required
    /// column missing, an unknown extension); `sheet` names the worksheet at fault.
    #[error("{path}: {}{problem}", sheet.as_ref().map(|s| format!("sheet `{s}`: ")).unwrap_or_default())]
    NotFindings {
        path: PathBuf,
        sheet: Option<String>,
        problem: String,
    },
}

/// Reads all sources named by the pipeline. `data_dir` overrides where paths resolve.
pub fn load(pipeline: &Pipeline, data_dir: Option<&Path>) -> Result<Ingested, IngestError> {
    let mut ingested = load_roll(pipeline, data_dir)?;
    // The early-warning registries after the linked ones: read here whole (`validate`), where
    // a run reads them for their signals.
    for source in registry_sources(pipeline).chain(signal_sources(pipeline)) {
        let registry = load_registry(pipeline, data_dir, source, &mut ingested)?;
        ingested.registries.push(registry);
    }
    Ok(ingested)
}

/// The registries the pipeline names, in the order `Ingested::registries` holds them: the
/// built-in ones in `Source::REGISTRIES` order, then the local ones by name.
pub fn registry_sources(pipeline: &Pipeline) -> impl Iterator<Item = Source> + '_ {
    Source::REGISTRIES
        .into_iter()
        .filter(|source| pipeline.sources.contains_key(source))
        .chain(pipeline.sources.keys().copied().filter(|s| s.is_local()))
}

/// The early-warning registries the pipeline names, in `Source::SIGNALS` order: read once for
/// their signals, apart from the registries linked record by record.
pub fn signal_sources(pipeline: &Pipeline) -> impl Iterator<Item = Source> + '_ {
    Source::SIGNALS
        .into_iter()
        .filter(|source| pipeline.sources.contains_key(source))
}
