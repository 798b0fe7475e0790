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
            u64_columns(&PAIR_COLUMNS, pairs.len(), |i| {
                [pairs[i].0, pairs[i].1, pairs[i].2]
                    .map(|v| v as u64)
                    .to_vec()
            }),
        )?;
        let kept = &links.kept;
        tables::write_parquet(
            &staging.join(SHARD_KEPT),
            u64_columns(&KEPT_COLUMNS, kept.len(), |i| {
                vec![kept[i].0 as u64, kept[i].1 as u64]
            }),
        )?;
        let census: Vec<(CensusTable, u64, u32)> = links.census.entries().collect();
        tables::write_parquet(
            &staging.join(SHARD_CENSUS),
            u64_columns(&CENSUS_COLUMNS, census.len(), |i| {
                let (table, key, persons) = census[i];
                vec![table as u64, key, u64::from(persons)]
            }),
        )?;
        let bytes =
            serde_json::to_vec_pretty(manifest).map_err(|e| OutputError::write(staging, e))?;
        files::write_file(&staging.join("shard.json"), &bytes)?;
        Ok(())
    })
}

/// Columns named `names` of `rows` rows, row `i`'s values being `row(i)`.
fn u64_columns(names: &[&str], rows: usize, row: impl Fn(usize) -> Vec<u64>) -> Vec<Column> {
    let mut columns = vec![Vec::with_capacity(rows); names.len()];
    for i in 0..rows {
        for (column, value) in columns.iter_mut().zip(row(i)) {
            column.push(value);
        }
    }
    names
        .iter()
        .zip(columns)
        .map(|(&name, values)| Column::new(name.into(), values))
        .collect()
}

/// Reads a Parquet file of a shard whose columns `names` are whole numbers, as rows.
fn u64_rows(path: &Path, names: &[&str]) -> Result<Vec<Vec<u64>>, OutputError> {
    let frame = read(path)?;
    let columns = names
        .iter()
        .map(|name| u64_column(&frame, name, path))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((0..frame.height())
        .map(|i| columns.iter().map(|column| column[i]).collect())
        .collect())
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
    let pairs = u64_rows(&path, &PAIR_COLUMNS)?
        .into_iter()
        .map(|row| {
            Ok((
                index(&path, row[0])?,
                index(&path, row[1])?,
                index(&path, row[2])?,
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
    let kept = u64_rows(&path, &KEPT_COLUMNS)?
        .into_iter()
        .map(|row| Ok((index(&path, row[0])?, index(&path, row[1])?)))
        .collect::<Result<Vec<_>, OutputError>>()?;
    let path = dir.join(SHARD_CENSUS);
    let mut census = NameBirthCensus::default();
    for row in u64_rows(&path, &CENSUS_COLUMNS)? {
        let table = u8::try_from(row[0])
            .ok()
            .and_then(CensusTable::of_number)
            .ok_or_else(|| OutputError::read(&path, format!("table {}: not a count", row[0])))?;
        let persons = u32::try_from(row[2])
            .map_err(|_| OutputError::read(&path, format!("{} persons: too many", row[2])))?;
        census.add(table, row[1], persons);
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
