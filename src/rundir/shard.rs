//! A shard's output directory (`rollcheck run --shard K/N`): `shard.json` says which run and
//! shard it belongs to and how much blocking it did; `pairs.parquet` holds the blocked pairs
//! that scored at least possible, as row indices into the inputs (the run id, a hash of the
//! inputs, guarantees `merge` reads the same rows). Written atomically like a run.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::Column;
use serde::{Deserialize, Serialize};

use super::names::PAIRS;
use super::parquet::{read, text_column};
use super::{files, tables, OutputError};
use crate::link::{ScoredPairs, Shard};

/// Names the layout of a shard directory; `merge` refuses any other.
pub const SHARD_FORMAT: &str = "rollcheck-shard/2";

const PAIR_COLUMNS: [&str; 3] = ["registry_idx", "record_idx", "member_idx"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardManifest {
    pub format: String,
    /// The run id the whole run has: same version, pipeline, as-of date and inputs.
    pub run_id: String,
    pub tool_version: String,
    pub as_of: String,
    pub pipeline_sha256: String,
    pub shard: Shard,
    /// Registry rows a piece holds: every shard of a set must cut the registries alike.
    pub piece_rows: usize,
    /// Registry pieces this shard linked, of all the registries' pieces.
    pub pieces_linked: usize,
    pub pieces: usize,
    pub pairs: usize,
    pub proposed_per_rule: BTreeMap<String, usize>,
    pub compared: usize,
    pub skipped_blocks: usize,
    pub stage_seconds: Vec<(String, f64)>,
}

/// Writes `shard.json` and `pairs.parquet` into `out_dir`, replacing it atomically.
pub fn write_shard(
    out_dir: &Path,
    manifest: &ShardManifest,
    scored: &ScoredPairs,
) -> Result<(), OutputError> {
    files::publish(out_dir, &manifest.run_id, |staging| {
        let columns: Vec<Column> = (0..3)
            .map(|k| {
                let values: Vec<u64> = scored
                    .pairs
                    .iter()
                    .map(|pair| [pair.0, pair.1, pair.2][k] as u64)
                    .collect();
                Column::new(PAIR_COLUMNS[k].into(), values)
            })
            .collect();
        tables::write_parquet(&staging.join(PAIRS), columns)?;
        let bytes =
            serde_json::to_vec_pretty(manifest).map_err(|e| OutputError::write(staging, e))?;
        files::write_file(&staging.join("shard.json"), &bytes)?;
        Ok(())
    })
}

/// Reads a shard directory back: its manifest and its scored pairs.
pub fn read_shard(dir: &Path) -> Result<(ShardManifest, ScoredPairs), OutputError> {
    let path = dir.join("shard.json");
    let manifest: ShardManifest = files::read_manifest(
        &path,
        "a shard manifest",
        SHARD_FORMAT,
        |m: &ShardManifest| &m.format,
    )?;
    if crate::ingest::parse_date(&manifest.as_of).is_none() {
        return Err(OutputError::read(
            &path,
            format!("`as_of`: `{}` is not a date (YYYY-MM-DD)", manifest.as_of),
        ));
    }
    let path = dir.join(PAIRS);
    let frame = read(&path)?;
    let mut columns = Vec::new();
    for name in PAIR_COLUMNS {
        let values: Result<Vec<usize>, OutputError> = text_column(&frame, name, &path)?
            .into_iter()
            .map(|v| {
                v.and_then(|v| v.parse().ok()).ok_or_else(|| {
                    OutputError::read(&path, format!("column `{name}`: not an index"))
                })
            })
            .collect();
        columns.push(values?);
    }
    if columns[0].len() != manifest.pairs {
        return Err(OutputError::read(
            &path,
            format!(
                "{} pairs, shard.json says {}",
                columns[0].len(),
                manifest.pairs
            ),
        ));
    }
    let pairs = (0..manifest.pairs)
        .map(|i| (columns[0][i], columns[1][i], columns[2][i]))
        .collect();
    let scored = ScoredPairs {
        pairs,
        proposed_per_rule: manifest.proposed_per_rule.clone(),
        compared: manifest.compared,
        skipped_blocks: manifest.skipped_blocks,
    };
    Ok((manifest, scored))
}
