//! The run directory and the state directory: their files, names and columns in one place,
//! the typed writers and readers of their tables, and the atomic publish (staging directory,
//! fsync, swap) and run lock. Every other module asks here instead of spelling a file or
//! column name. With `ingest`, the only layer that touches the disk (clippy.toml's
//! `disallowed-methods` holds everyone else to it).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod files;
mod income;
mod manifest;
pub mod names;
mod parquet;
mod published;
mod readback;
mod roll_index;
mod rows;
mod shard;
mod state;
mod tables;
mod warnings;

use std::path::{Path, PathBuf};

use crate::config::LinkParameters;

pub use files::{
    acquire_lock, create_dirs, create_private, create_private_dir, entries, is_dir, is_file,
    publish, read_bytes, read_manifest, recover, write_atomically, write_file, RunLock,
};
pub use income::{write_income, write_supporters};
pub use manifest::{DeclaredLabels, ImportedFile, Manifest, PipelineInfo, SourceTotals};
use names::{MODEL, PAIRS};
pub use parquet::{float_column, read, text_column};
pub use published::{Lead, PublishedRun};
pub use readback::{FlagColumns, MatchColumns, Texts};
pub use roll_index::{
    read_roll_index, write_roll_index, RollIndex, RollIndexManifest, ROLL_INDEX_FORMAT,
};
pub use rows::{
    FlagRow, FlagStatus, LeadRow, MatchRow, RecheckDue, RecheckItem, RecordQuestion, SpotCheckRow,
    Verdicted,
};
pub use shard::{read_shard, write_shard, ShardLinks, ShardManifest, SHARD_FORMAT};
pub use state::{list_runs, record_run, state_dir, state_dir_of_run, state_salt, RunRecord};
pub use tables::*;
pub use warnings::{
    previous_warnings, write_warnings_csv, write_warnings_parquet, PreviousWarning, WarningRow,
    WARNING_COLUMNS,
};

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

/// Writes `rollcheck link` results (pairs.parquet, model.json) atomically into `out_dir`.
pub fn write_link_run(
    out_dir: &Path,
    pairs: &tables::PairsTable,
    parameters: &LinkParameters,
) -> Result<(), OutputError> {
    files::publish(out_dir, "link", |staging| {
        tables::write_pairs(&staging.join(PAIRS), pairs)?;
        let model =
            serde_json::to_vec_pretty(parameters).map_err(|e| OutputError::write(staging, e))?;
        files::write_file(&staging.join(MODEL), &model)
    })
}
