//! A shard's output directory (`rollcheck run --shard K/N`): `shard.json` says which run and
//! shard it belongs to and how much blocking it did; `pairs.parquet` holds the blocked pairs
//! that scored at least possible, as row indices into the inputs (the run id, a hash of the
//! inputs, guarantees `merge` reads the same rows); `kept.parquet` the records its pieces
//! link to a member, and `census.parquet` its pieces' name and birth-year counts, so that
//! `merge` neither normalises nor counts every registry row again. Written atomically like
//! a run.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::Column;
use serde::{Deserialize, Serialize};

use super::names::{PAIRS, SHARD_CENSUS, SHARD_KEPT};
use super::parquet::{read, u64_column};
use super::{files, tables, OutputError};
use crate::link::{CensusTable, NameBirthCensus, ScoredPairs, Shard};

/// Names the layout of a shard directory; `merge` refuses any other.
pub const SHARD_FORMAT: &str = "rollcheck-shard/3";

const PAIR_COLUMNS: [&str; 3] = ["registry_idx", "record_idx", "member_idx"];
const KEPT_COLUMNS: [&str; 2] = ["registry_idx", "record_idx"];
const CENSUS_COLUMNS: [&str; 3] = ["table", "key", "persons"];

/// What a shard hands to `merge` besides its manifest.
#[derive(Debug, Clone, Default)]
pub struct ShardLinks {
    /// The blocked pairs that scored at least possible.
    pub scored: ScoredPairs,
    /// The records its pieces link to a member (a shared valid ID or a pair in `scored`),
    /// as (registry, number in the registry).
    pub kept: Vec<(usize, usize)>,
    /// The names and birth years of every record of its pieces.
    pub census: NameBirthCensus,
}

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

/// Writes `shard.json`, `pairs.parquet`, `kept.parquet` and `census.parquet` into
/// `out_dir`, replacing it atomically.
pub fn write_shard(
    out_dir: &Path,
    manifest: &ShardManifest,
    links: &ShardLinks,
) -> Result<(), OutputError> {
    files::publish(out_dir, &manifest.run_id, |staging| {
        let pairs = &links.scored.pairs;
        tables::write_parquet(
            &staging.join(PAIRS),
            vec![
                u64_column_of(PAIR_COLUMNS[0], pairs.iter().map(|p| p.0 as u64)),
                u64_column_of(PAIR_COLUMNS[1], pairs.iter().map(|p| p.1 as u64)),
                u64_column_of(PAIR_COLUMNS[2], pairs.iter().map(|p| p.2 as u64)),
            ],
        )?;
        let kept = &links.kept;
        tables::write_parquet(
            &staging.join(SHARD_KEPT),
            vec![
                u64_column_of(KEPT_COLUMNS[0], kept.iter().map(|k| k.0 as u64)),
                u64_column_of(KEPT_COLUMNS[1], kept.iter().map(|k| k.1 as u64)),
            ],
        )?;
        let census: Vec<(CensusTable, u64, u32)> = links.census.entries().collect();
        tables::write_parquet(
            &staging.join(SHARD_CENSUS),
            vec![
                u64_column_of(CENSUS_COLUMNS[0], census.iter().map(|c| c.0 as u64)),
                u64_column_of(CENSUS_COLUMNS[1], census.iter().map(|c| c.1)),
                u64_column_of(CENSUS_COLUMNS[2], census.iter().map(|c| u64::from(c.2))),
            ],
        )?;
        let bytes =
            serde_json::to_vec_pretty(manifest).map_err(|e| OutputError::write(staging, e))?;
        files::write_file(&staging.join("shard.json"), &bytes)?;
        Ok(())
    })
}

fn u64_column_of(name: &str, values: impl Iterator<Item = u64>) -> Column {
    Column::new(name.into(), values.collect::<Vec<u64>>())
}

/// The columns `names` of a Parquet file of a shard, whole numbers all.
fn u64_columns(path: &Path, names: &[&str]) -> Result<Vec<Vec<u64>>, OutputError> {
    let frame = read(path)?;
    names
        .iter()
        .map(|name| u64_column(&frame, name, path))
        .collect()
}

/// An index a shard wrote, which fits in memory if the shard did.
fn index(path: &Path, value: u64) -> Result<usize, OutputError> {
    usize::try_from(value).map_err(|_| OutputError::read(path, format!("{value}: not an index")))
}

/// Reads a shard directory back: its manifest and what it hands to `merge`.
pub fn read_shard(dir: &Path) -> Result<(ShardManifest, ShardLinks), OutputError> {
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
    let columns = u64_columns(&path, &PAIR_COLUMNS)?;
    let pairs = (0..columns[0].len())
        .map(|i| {
            Ok((
                index(&path, columns[0][i])?,
                index(&path, columns[1][i])?,
                index(&path, columns[2][i])?,
            ))
        })
        .collect::<Result<Vec<_>, OutputError>>()?;
    if pairs.len() != manifest.pairs {
        return Err(OutputError::read(
            &path,
            format!("{} pairs, shard.json says {}", pairs.len(), manifest.pairs),
        ));
    }
    let path = dir.join(SHARD_KEPT);
    let columns = u64_columns(&path, &KEPT_COLUMNS)?;
    let kept = (0..columns[0].len())
        .map(|i| Ok((index(&path, columns[0][i])?, index(&path, columns[1][i])?)))
        .collect::<Result<Vec<_>, OutputError>>()?;
    let path = dir.join(SHARD_CENSUS);
    let columns = u64_columns(&path, &CENSUS_COLUMNS)?;
    let mut census = NameBirthCensus::default();
    let rows = columns[0].iter().zip(&columns[1]).zip(&columns[2]);
    for ((&table, &key), &persons) in rows {
        let table = u8::try_from(table)
            .ok()
            .and_then(CensusTable::of_number)
            .ok_or_else(|| OutputError::read(&path, format!("table {table}: not a count")))?;
        let persons = u32::try_from(persons)
            .map_err(|_| OutputError::read(&path, format!("{persons} persons: too many")))?;
        census.add(table, key, persons);
    }
    let scored = ScoredPairs {
        pairs,
        proposed_per_rule: manifest.proposed_per_rule.clone(),
        compared: manifest.compared,
        skipped_blocks: manifest.skipped_blocks,
    };
    Ok((
        manifest,
        ShardLinks {
            scored,
            kept,
            census,
        },
    ))
}
