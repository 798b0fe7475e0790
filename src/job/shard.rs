//! Sharded runs: `run --shard K/N` links one shard's members to every registry, a piece at
//! a time, and writes its pairs; `merge` checks a complete set of shards, reads the inputs
//! again keeping only the linked records, and decides and writes the run as a whole run does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::config::Pipeline;
use crate::ingest::{self, IngestError, Ingested};
use crate::link;
use crate::model::Source;
use crate::normalize::{self, Normalized};
use crate::rules::warnings::signals::SignalRecords;
use crate::rundir;

use super::persons::Relatives;
use super::pieces::{each_registry_piece, every_piece, HeldRegistries};
use super::run::run_linked;
use super::{
    log_ingested, run_id, JobError, Linking, Progress, RunSummary, Scored, Shards, StageTimer,
};

/// Why shards cannot be run or merged.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error(
        "a sharded run needs fixed model parameters: a model trained on one shard would differ \
         from the whole run's. Set `[link] parameters` to a model.json (e.g. from a previous \
         whole run, or one run on a sample)"
    )]
    NeedsParameters,
    #[error("{path}: shard {shard} is from run {run_id}, the other shards from run {expected}")]
    Mixed {
        path: PathBuf,
        shard: link::Shard,
        run_id: String,
        expected: String,
    },
    #[error("{path}: shard {shard}, but the other shards are of {count}")]
    Count {
        path: PathBuf,
        shard: link::Shard,
        count: u32,
    },
    #[error(
        "{path}: shard {shard} cut the registries into pieces of {piece_rows} rows, the other \
         shards into pieces of {expected}: run every shard with the same --piece-rows"
    )]
    PieceRows {
        path: PathBuf,
        shard: link::Shard,
        piece_rows: usize,
        expected: usize,
    },
    #[error(
        "{path}: the roll index found the members' relatives in other `relations` files than \
         this shard reads; run `rollcheck index-roll` again on the inputs the shards read"
    )]
    RollIndexStale { path: PathBuf },
    #[error("{path}: shard {shard} is given twice")]
    Twice { path: PathBuf, shard: link::Shard },
    #[error("shards missing: {missing} (of {count}); merge needs every shard")]
    Missing { missing: String, count: u32 },
    #[error("no shard directories given")]
    None,
    #[error(
        "{path}: the roll index was made with another pipeline (sha256 {indexed}, this one \
         {this}); run `rollcheck index-roll` again with the pipeline the shards run"
    )]
    RollIndexPipeline {
        path: PathBuf,
        indexed: String,
        this: String,
    },
    #[error(
        "{path}: the roll index was made by rollcheck {indexed}, this is {this}; run \
         `rollcheck index-roll` again"
    )]
    RollIndexVersion {
        path: PathBuf,
        indexed: String,
        this: String,
    },
    #[error(
        "the shards are of run {shards_run}, but this pipeline, as-of date and these inputs \
         make run {this_run}: merge must read the same inputs the shards read"
    )]
    OtherRun {
        shards_run: String,
        this_run: String,
    },
}

/// The ingest and normalize stages of `merge`: the roll whole, and of each registry, read
/// a piece at a time, only the records that the shards linked to a member (their `kept`),
/// normalised; the registries' name counts are the shards'. Returns the shards' pairs
/// renumbered to the kept records.
pub(super) fn read_linked_records(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    shards: &rundir::ShardLinks,
    rows_per_piece: usize,
    progress: Progress,
    timer: &mut StageTimer,
) -> Result<
    (
        Ingested,
        Normalized,
        link::ScoredPairs,
        link::NameBirthCensus,
        SignalRecords,
    ),
    IngestError,
> {
    progress("reading inputs");
    let mut ingested = ingest::load_roll(pipeline, data_dir)?;
    let (persons, signals) = super::linked_persons(pipeline, data_dir, as_of, &mut ingested, None)?;
    // Namesake risk counts every person read: the roll and its relatives here, every
    // registry record in the shards.
    let mut census = link::NameBirthCensus::default();
    census.count(&persons);
    census.add_all(&shards.census);
    let mut scored = shards.scored.clone();
    let mut held = HeldRegistries::new(pipeline);
    let mut quarantine = Vec::new();
    let inputs = each_registry_piece(
        pipeline,
        data_dir,
        rows_per_piece,
        &every_piece,
        &mut quarantine,
        &mut |registry_idx, numbers, piece| {
            held.hold_numbered(registry_idx, numbers, piece, |number| {
                shards.kept.binary_search(&(registry_idx, number)).is_ok()
            });
        },
    )?;
    held.renumber(&mut scored);
    ingested.registries = held.registries;
    ingested.inputs.extend(inputs);
    ingested.quarantine.append(&mut quarantine);
    timer.lap("ingest");
    log_ingested(&ingested);
    let normalized = Normalized {
        persons,
        members: ingested.roll.len(),
        registries: held.persons,
    };
    Ok((ingested, normalized, scored, census, signals))
}

/// The ingest and normalize stages of a merge: the records the shards' pairs need, checked
/// to be the inputs the shards read (the same run id), with the fixed model they used.
pub(super) fn read_for_merge(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    shards: Shards,
    progress: Progress,
    timer: &mut StageTimer,
) -> Result<(Ingested, Normalized, Scored), JobError> {
    let (ingested, normalized, scored, census, signals) = read_linked_records(
        pipeline,
        data_dir,
        as_of,
        shards.links,
        shards.rows_per_piece,
        progress,
        timer,
    )?;
    let this_run = run_id(pipeline, as_of, &ingested);
    if this_run != shards.run_id {
        return Err(ShardError::OtherRun {
            shards_run: shards.run_id.to_string(),
            this_run,
        }
        .into());
    }
    let parameters = pipeline
        .link
        .parameters
        .clone()
        .ok_or(ShardError::NeedsParameters)?;
    let read = Scored {
        parameters,
        pairs: scored,
        census,
        signals,
        registry_passes: 0,
    };
    Ok((ingested, normalized, read))
}

/// Reads the roll once for every shard (`rollcheck index-roll`): its members as typed, the
/// relatives `relations` names of them, and the files both came from, written into
/// `out_dir` for `run --shard K/N --roll-index`.
pub fn index_roll(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    out_dir: &Path,
    progress: Progress,
) -> Result<rundir::RollIndexManifest, JobError> {
    let _lock = rundir::acquire_lock(out_dir)?;
    progress("reading the roll");
    let ingested = ingest::load_roll(pipeline, data_dir)?;
    log_ingested(&ingested);
    let Ingested {
        roll,
        inputs,
        roll_duplicates,
        ..
    } = ingested;
    let relatives = if pipeline.sources.contains_key(&Source::Relations) {
        progress("finding the members' relatives");
        let members = normalize::members(&roll);
        let (relatives, _) = super::persons::find_relatives(pipeline, data_dir, &roll, &members)?;
        Some(relatives)
    } else {
        None
    };
    let manifest = rundir::RollIndexManifest {
        format: rundir::ROLL_INDEX_FORMAT.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        pipeline_sha256: pipeline.sha256.clone(),
        members: roll.len(),
        files: inputs,
        households_in_two_roll_files: roll_duplicates,
        relatives: relatives.as_ref().map(|r| r.others.len()),
        relations_files: relatives
            .as_ref()
            .map(|r| r.files.clone())
            .unwrap_or_default(),
    };
    progress("writing the roll index");
    let others = relatives.map(|r| r.others).unwrap_or_default();
    rundir::write_roll_index(out_dir, &manifest, &roll, &others)?;
    Ok(manifest)
}

/// The roll as `index-roll` wrote it, for a shard: the same members, input records and
/// relatives the files give, without reading them. A changed roll file goes unnoticed here,
/// but `merge` reads the files and refuses shards whose run id (a hash of the inputs)
/// differs; a changed `relations` file the shard catches itself (`check_relations`).
fn load_indexed_roll(
    pipeline: &Pipeline,
    dir: &Path,
) -> Result<(Ingested, Option<Relatives>), JobError> {
    let rundir::RollIndex {
        manifest,
        roll,
        relatives,
    } = rundir::read_roll_index(dir)?;
    let path = dir.join("roll-index.json");
    if manifest.pipeline_sha256 != pipeline.sha256 {
        return Err(ShardError::RollIndexPipeline {
            path,
            indexed: manifest.pipeline_sha256,
            this: pipeline.sha256.clone(),
        }
        .into());
    }
    if manifest.tool_version != env!("CARGO_PKG_VERSION") {
        return Err(ShardError::RollIndexVersion {
            path,
            indexed: manifest.tool_version,
            this: env!("CARGO_PKG_VERSION").to_string(),
        }
        .into());
    }
    let relatives = manifest.relatives.map(|_| Relatives {
        others: relatives,
        files: manifest.relations_files,
    });
    let ingested = Ingested {
        roll,
        others: Vec::new(),
        registries: Vec::new(),
        quarantine: Vec::new(),
        inputs: manifest.files,
        roll_duplicates: manifest.households_in_two_roll_files,
        standards: ingest::load_standards(pipeline)?,
    };
    Ok((ingested, relatives))
}

/// A shard whose roll index found the relatives in `relations` files (`indexed`) other than
/// the ones it read (`read`) would link other persons at their positions: refused.
fn check_relations(
    index: &Path,
    indexed: &[ingest::InputInfo],
    read: &[ingest::InputInfo],
) -> Result<(), ShardError> {
    let read: Vec<(&str, &str)> = read
        .iter()
        .filter(|input| input.source == Source::Relations)
        .map(|input| (input.path.as_str(), input.sha256.as_str()))
        .collect();
    let indexed_files: Vec<(&str, &str)> = indexed
        .iter()
        .map(|input| (input.path.as_str(), input.sha256.as_str()))
        .collect();
    if read == indexed_files {
        Ok(())
    } else {
        Err(ShardError::RollIndexStale {
            path: index.join("roll-index.json"),
        })
    }
}

/// One shard of a run (`rollcheck run --shard K/N`): reads the roll whole (or loads it from
/// `roll_index`, written once by `index_roll`) and indexes it,
/// then reads every registry in pieces of `rows_per_piece` rows and links the pieces whose
/// number, counted over all registries, is K modulo N (the others' rows are counted, not
/// parsed); writes the pairs worth deciding into `out_dir` for `merge`. Shards split the
/// registries, which dwarf the roll; each holds the roll, its indexes and one piece.
#[allow(clippy::too_many_arguments)] // each is one of the command's options
pub fn run_shard(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    shard: link::Shard,
    rows_per_piece: usize,
    roll_index: Option<&Path>,
    out_dir: &Path,
    progress: Progress,
) -> Result<rundir::ShardManifest, JobError> {
    if pipeline.link.parameters.is_none() {
        return Err(ShardError::NeedsParameters.into());
    }
    let _lock = rundir::acquire_lock(out_dir)?;
    let mut timer = StageTimer::start();
    progress("reading the roll");
    let (mut ingested, indexed_relatives) = match roll_index {
        Some(dir) => load_indexed_roll(pipeline, dir)?,
        None => (ingest::load_roll(pipeline, data_dir)?, None),
    };
    timer.lap("read roll");
    // Kept to check against the relations files this shard reads.
    let indexed_files = indexed_relatives.as_ref().map(|r| r.files.clone());
    let (persons, _) =
        super::linked_persons(pipeline, data_dir, as_of, &mut ingested, indexed_relatives)?;
    let roll = std::mem::take(&mut ingested.roll);
    let others = std::mem::take(&mut ingested.others);
    let mut linker = link::PieceLinker::whole(
        &roll,
        &others,
        &persons,
        &pipeline.link,
        link::Holding::Likely,
    );
    timer.lap("index roll");
    progress("matching the roll to this shard's registry pieces");
    let mut quarantine = Vec::new();
    let mut pieces_linked = 0;
    // Counted on the thread that reads the pieces.
    let pieces = std::sync::atomic::AtomicUsize::new(0);
    // What merge needs of the pieces besides the pairs: their name counts and the records
    // that link.
    let mut census = link::NameBirthCensus::default();
    let mut kept = Vec::new();
    let inputs = each_registry_piece(
        pipeline,
        data_dir,
        rows_per_piece,
        &|piece| {
            pieces.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            shard.takes(piece)
        },
        &mut quarantine,
        &mut |registry_idx, numbers, piece| {
            let persons = normalize::records(&piece);
            census.count(&persons);
            let linked_here = linker.link(link::RegistryPiece {
                registry_idx,
                source: piece.source,
                numbers: &numbers,
                records: &piece.records,
                persons: &persons,
            });
            kept.extend(linked_here.into_iter().map(|i| (registry_idx, numbers[i])));
            pieces_linked += 1;
        },
    )?;
    if let (Some(dir), Some(indexed)) = (roll_index, &indexed_files) {
        check_relations(dir, indexed, &inputs)?;
    }
    let (_, scored, _) = linker.finish(&pipeline.link).fixed();
    ingested.roll = roll;
    ingested.inputs.extend(inputs);
    timer.lap("link");
    ingested.quarantine.append(&mut quarantine);
    log_ingested(&ingested);
    let manifest = rundir::ShardManifest {
        format: rundir::SHARD_FORMAT.to_string(),
        run_id: run_id(pipeline, as_of, &ingested),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        as_of: as_of.format("%Y-%m-%d").to_string(),
        pipeline_sha256: pipeline.sha256.clone(),
        shard,
        piece_rows: rows_per_piece,
        pieces_linked,
        pieces: pieces.into_inner(),
        pairs: scored.pairs.len(),
        proposed_per_rule: scored.proposed_per_rule.clone(),
        compared: scored.compared,
        skipped_blocks: scored.skipped_blocks,
        stage_seconds: timer.laps,
    };
    progress("writing the shard");
    let links = rundir::ShardLinks {
        scored,
        kept,
        census,
    };
    rundir::write_shard(out_dir, &manifest, &links)?;
    tracing::info!(shard = %shard, pairs = manifest.pairs, compared = manifest.compared, "shard written");
    Ok(manifest)
}

/// Combines shard directories into a whole run's outputs (`rollcheck merge`). Reads the
/// inputs again (the rules need the linked records), one registry at a time, keeping only
/// the records linked to a member; checks they are the ones the shards read, decides the
/// shards' pairs together and writes, locks and records history exactly as `run` does.
/// The as-of date is the shards' unless given.
pub fn merge(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: Option<NaiveDate>,
    shard_dirs: &[PathBuf],
    rows_per_piece: usize,
    out_dir: &Path,
    progress: Progress,
) -> Result<RunSummary, JobError> {
    let (manifest, links) = read_shards(shard_dirs)?;
    let as_of = as_of.unwrap_or_else(|| {
        // `read_shard` refuses a shard.json whose as-of date does not parse.
        crate::ingest::parse_date(&manifest.as_of).expect("read_shard checked the as-of date")
    });
    let linking = Linking::FromShards(Shards {
        run_id: &manifest.run_id,
        links: &links,
        rows_per_piece,
    });
    run_linked(pipeline, data_dir, as_of, out_dir, progress, linking)
}

/// Reads and checks a complete set of shards: one run, one count, every index once.
fn read_shards(dirs: &[PathBuf]) -> Result<(rundir::ShardManifest, rundir::ShardLinks), JobError> {
    let mut manifests: Vec<rundir::ShardManifest> = Vec::new();
    let mut parts = Vec::new();
    let mut seen = BTreeMap::new();
    for dir in dirs {
        let (manifest, links) = rundir::read_shard(dir)?;
        if let Some(first) = manifests.first() {
            if manifest.run_id != first.run_id {
                return Err(ShardError::Mixed {
                    path: dir.clone(),
                    shard: manifest.shard,
                    run_id: manifest.run_id,
                    expected: first.run_id.clone(),
                }
                .into());
            }
            if manifest.piece_rows != first.piece_rows {
                return Err(ShardError::PieceRows {
                    path: dir.clone(),
                    shard: manifest.shard,
                    piece_rows: manifest.piece_rows,
                    expected: first.piece_rows,
                }
                .into());
            }
            if manifest.shard.count != first.shard.count {
                return Err(ShardError::Count {
                    path: dir.clone(),
                    shard: manifest.shard,
                    count: first.shard.count,
                }
                .into());
            }
        }
        if seen.insert(manifest.shard.index, dir.clone()).is_some() {
            return Err(ShardError::Twice {
                path: dir.clone(),
                shard: manifest.shard,
            }
            .into());
        }
        manifests.push(manifest);
        parts.push(links);
    }
    let first = manifests.into_iter().next().ok_or(ShardError::None)?;
    let count = first.shard.count;
    let missing: Vec<String> = (0..count)
        .filter(|k| !seen.contains_key(k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ShardError::Missing {
            missing: missing.join(", "),
            count,
        }
        .into());
    }
    let mut census = link::NameBirthCensus::default();
    let mut kept = Vec::new();
    let mut scored = Vec::new();
    for part in parts {
        census.add_all(&part.census);
        kept.extend(part.kept);
        scored.push(part.scored);
    }
    // Looked up by (registry, number) as merge reads each piece.
    kept.sort_unstable();
    kept.dedup();
    let links = rundir::ShardLinks {
        scored: link::ScoredPairs::merge(scored),
        kept,
        census,
    };
    Ok((first, links))
}
