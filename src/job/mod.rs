//! One check, end to end: ingest → normalize → link → rules, then output. `evaluate` runs the
//! stages in memory (tests call it directly); `run` (`run.rs`) adds the lock, the review
//! inbox, history and the atomic write. Sharded runs and merge live in `shard`; the review
//! loop (inbox, history, leads, spot checks, outcomes) is `review`'s. The commands that
//! drive the stages otherwise have a file each: `validate`, `generic_link` (`rollcheck
//! link`) and `demo`; `summary` holds what they report and the text the command line prints.

mod demo;
mod generic_link;
mod persons;
mod pieces;
mod run;
mod shard;
mod summary;
mod validate;

pub use demo::demo;
pub use generic_link::{link, LinkRun};
pub use run::{run, run_with_progress};
pub use shard::{index_roll, merge, run_shard, ShardError};
pub use summary::{timed, RunSummary, Timed};
pub use validate::{validate, Validation};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::config::{hex_sha256, ConfigError, Pipeline};
use crate::ingest::{self, IngestError, Ingested};
use crate::link::{self, Links};
use crate::normalize::{self, Normalized};
use crate::review::outcomes;
use crate::rules::{self, Context, Flag, Households};
use crate::rundir::OutputError;
use persons::linked_persons;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A pipeline or link file that cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// A rule the pipeline declares in SQL is broken, or failed on the run's data.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rules(Vec<rules::sql::RuleError>),
    /// A table `rollcheck link` reads lacks a column the link file names.
    #[error(transparent)]
    Link(#[from] link::generic::GenericLinkError),
    /// A table `rollcheck link` reads lacks the id column the link file names.
    #[error("{}: no id column `{column}`", path.display())]
    NoIdColumn { path: PathBuf, column: String },
    /// The demo's synthetic county could not be written.
    #[error(transparent)]
    Synth(#[from] crate::synth::SynthError),
    /// The demo's flags could not be scored.
    #[error(transparent)]
    Eval(#[from] crate::eval::EvalError),
}

/// Everything the stages produced, before anything is written.
pub struct Evaluation {
    pub ingested: Ingested,
    pub normalized: Normalized,
    pub links: Links,
    pub households: Households,
    pub flags: Vec<Flag>,
    /// Households the income rules would flag were a `possible` pair accepted (leads).
    pub doubts: Vec<rules::doubts::Doubt>,
    /// Households' incomes and supporters (`income.parquet`, `supporters.parquet`).
    pub incomes: rules::income::Incomes,
    /// Early warnings: people who should be helped (`warnings.parquet`).
    pub warnings: Vec<rules::warnings::Warning>,
    /// (stage, seconds), in order.
    pub stage_seconds: Vec<(String, f64)>,
    /// How many times the registries were read to link them: 1, or 2 when training let go
    /// of pairs the trained model keeps (`link::Finish::Again`); none for a merge.
    pub registry_passes: usize,
}

/// Registry rows a run, a shard or a merge holds at a time, unless told otherwise
/// (`--piece-rows`): about half a gigabyte of parsed rows, so a run's memory is the roll,
/// this and what links.
pub const PIECE_ROWS: usize = 500_000;

/// Reports which stage a run is in (the command line shows it as a spinner).
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// Runs the check in memory.
pub fn evaluate(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
) -> Result<Evaluation, JobError> {
    evaluate_with_progress(pipeline, data_dir, as_of, &|_| {})
}

/// `evaluate`, holding the blocked pairs while the model trains as `holding` says (tests
/// check that `Holding::Nothing`, which links the registries twice, gives the same).
pub fn evaluate_holding(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    holding: link::Holding,
) -> Result<Evaluation, JobError> {
    evaluate_stages(
        pipeline,
        data_dir,
        as_of,
        &|_| {},
        Linking::Whole {
            rows_per_piece: PIECE_ROWS,
            holding,
        },
        &outcomes::PairLabels::default(),
    )
}

/// `evaluate`, telling `progress` as each stage starts.
pub fn evaluate_with_progress(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    progress: Progress,
) -> Result<Evaluation, JobError> {
    evaluate_stages(
        pipeline,
        data_dir,
        as_of,
        progress,
        Linking::Whole {
            rows_per_piece: PIECE_ROWS,
            holding: link::Holding::Likely,
        },
        &outcomes::PairLabels::default(),
    )
}

/// How the link stage gets its blocked pairs.
#[derive(Clone, Copy)]
pub enum Linking<'a> {
    /// Blocks, scores and decides every pair in this process, reading registries in pieces
    /// of at most `rows_per_piece` rows and holding blocked pairs while training as
    /// `holding` says.
    Whole {
        rows_per_piece: usize,
        holding: link::Holding,
    },
    /// Decides the pairs that shards blocked and scored (`rollcheck merge`).
    FromShards(Shards<'a>),
}

/// The run a set of shards was of, what they linked, and how they read the registries.
#[derive(Clone, Copy)]
pub struct Shards<'a> {
    pub run_id: &'a str,
    /// Their pairs, kept records (sorted) and census, put together.
    pub links: &'a crate::rundir::ShardLinks,
    /// Registries are read in pieces of at most this many rows.
    pub rows_per_piece: usize,
}

/// The stages; `labels` are the review's verdicts on pairs, applied once they are decided.
fn evaluate_stages(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    progress: Progress,
    linking: Linking,
    labels: &outcomes::PairLabels,
) -> Result<Evaluation, JobError> {
    let mut timer = StageTimer::start();
    // A broken SQL rule is a pipeline error before any data is read.
    rules::sql::check(pipeline).map_err(JobError::Rules)?;
    // Both ways end with the records held, the pairs worth deciding and the model.
    let (ingested, normalized, read) = match linking {
        Linking::Whole {
            rows_per_piece,
            holding,
        } => read_and_link(
            pipeline,
            data_dir,
            as_of,
            (rows_per_piece, holding),
            progress,
            &mut timer,
        )?,
        Linking::FromShards(shards) => {
            shard::read_for_merge(pipeline, data_dir, as_of, shards, progress, &mut timer)?
        }
    };
    let registry_passes = read.registry_passes;
    progress("deciding the pairs");
    let mut links = link::decide_scored(
        &ingested,
        &normalized,
        &pipeline.link,
        read.parameters,
        &read.pairs,
        &read.census,
    );
    labels.apply(&ingested, &mut links);
    timer.lap("link");
    tracing::info!(
        candidate_pairs = links.candidate_pairs,
        matches = links.matches.len(),
        model = %links.parameters.source,
        "linked"
    );
    progress("applying the rules");
    let households = Households::from_roll(&ingested.roll);
    let context = Context {
        pipeline,
        as_of,
        ingested: &ingested,
        normalized: &normalized,
        links: &links,
        households: &households,
        incomes: &rules::NO_INCOMES,
    };
    // Each person's accepted pairs, for what supporters and candidates earn and own.
    let by_person = rules::supporters::ByPerson::new(&links, normalized.persons.len());
    let incomes = rules::income::Incomes::compute(&context, &by_person);
    let context = Context {
        incomes: &incomes,
        ..context
    };
    let flags = rules::evaluate(&context).map_err(|err| JobError::Rules(vec![err]))?;
    let doubts = rules::doubts::household_doubts(&context, &flags);
    let warnings = rules::warnings::evaluate(&context, &by_person, &read.signals);
    timer.lap("rules");
    tracing::info!(flags = flags.len(), seconds = ?timer.laps, "evaluated");
    Ok(Evaluation {
        ingested,
        normalized,
        links,
        households,
        flags,
        doubts,
        incomes,
        warnings,
        stage_seconds: timer.laps,
        registry_passes,
    })
}

/// What linking leaves to decide: the model, the pairs worth deciding (numbered by the
/// records held) and the name and birth-date counts of every person read.
struct Scored {
    parameters: crate::config::LinkParameters,
    pairs: link::ScoredPairs,
    census: link::NameBirthCensus,
    /// What the early-warning registries say at D.
    signals: rules::warnings::signals::SignalRecords,
    /// Times the registries were read to link them (`Evaluation::registry_passes`).
    registry_passes: usize,
}

/// The ingest, normalize and link stages of a whole run, timed: the roll whole, then each
/// registry a piece at a time, linked and let go (`link::PieceLinker`), holding only the
/// records that link (`pieces::HeldRegistries`). Memory is the roll's and its indexes, one
/// piece, and what links, whatever the registries' size.
fn read_and_link(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    (rows_per_piece, holding): (usize, link::Holding),
    progress: Progress,
    timer: &mut StageTimer,
) -> Result<(Ingested, Normalized, Scored), IngestError> {
    progress("reading inputs");
    let mut ingested = ingest::load_roll(pipeline, data_dir)?;
    let mut reading = timer.since.elapsed();
    let started = Instant::now();
    progress("normalising IDs and names");
    let (persons, signals) = linked_persons(pipeline, data_dir, as_of, &mut ingested, None)?;
    // Namesake risk counts every person read, linked or not.
    let mut census = link::NameBirthCensus::default();
    census.count(&persons);
    let mut normalizing = started.elapsed();
    progress("matching roll members to registry records");
    let roll = std::mem::take(&mut ingested.roll);
    let others = std::mem::take(&mut ingested.others);
    let started = Instant::now();
    let mut linker = link::PieceLinker::whole(&roll, &others, &persons, &pipeline.link, holding);
    let mut linking = started.elapsed();
    let mut passes = 0;
    let (mut held, inputs, mut quarantine, (parameters, mut scored, worth_holding)) = loop {
        passes += 1;
        let mut held = pieces::HeldRegistries::new(pipeline);
        let mut quarantine = Vec::new();
        // Pieces are read, normalised and linked in turn; each is timed to its stage.
        let (mut pieces_normalizing, mut pieces_linking) = (Duration::ZERO, Duration::ZERO);
        let started = Instant::now();
        let inputs = pieces::each_registry_piece(
            pipeline,
            data_dir,
            rows_per_piece,
            &pieces::every_piece,
            &mut quarantine,
            &mut |registry_idx, numbers, piece| {
                let piece_started = Instant::now();
                let persons = normalize::records(&piece);
                if passes == 1 {
                    census.count(&persons);
                }
                pieces_normalizing += piece_started.elapsed();
                let link_started = Instant::now();
                let linked_here = linker.link(link::RegistryPiece {
                    registry_idx,
                    source: piece.source,
                    numbers: &numbers,
                    records: &piece.records,
                    persons: &persons,
                });
                pieces_linking += link_started.elapsed();
                held.hold(registry_idx, &numbers, piece, persons, linked_here);
            },
        )?;
        // What the pieces took besides normalising and linking was reading them.
        reading += started
            .elapsed()
            .saturating_sub(pieces_normalizing + pieces_linking);
        normalizing += pieces_normalizing;
        linking += pieces_linking;
        let started = Instant::now();
        let finish = linker.finish(&pipeline.link);
        linking += started.elapsed();
        match finish {
            link::Finish::Done(parameters, scored, worth_holding) => {
                break (
                    held,
                    inputs,
                    quarantine,
                    (parameters, scored, worth_holding),
                );
            }
            // The second pass reads the same rows: its inputs and quarantine are the first's.
            link::Finish::Again(again) => linker = again,
        }
    };
    let started = Instant::now();
    held.keep_linked(&worth_holding, &mut scored);
    ingested.roll = roll;
    ingested.others = others;
    ingested.registries = held.registries;
    ingested.inputs.extend(inputs);
    ingested.quarantine.append(&mut quarantine);
    log_ingested(&ingested);
    let normalized = Normalized {
        persons,
        members: ingested.roll.len(),
        registries: held.persons,
    };
    linking += started.elapsed();
    timer.record(&[
        ("ingest", reading),
        ("normalize", normalizing),
        ("link", linking),
    ]);
    let scored = Scored {
        parameters,
        pairs: scored,
        census,
        signals,
        registry_passes: passes,
    };
    Ok((ingested, normalized, scored))
}

/// Logs what was read. Never names, IDs or raw cells: logs leave the office more easily than
/// outputs do, so they carry counts, files, rows, columns and problems only.
pub(super) fn log_ingested(ingested: &Ingested) {
    for input in &ingested.inputs {
        tracing::info!(
            source = input.source.code(),
            path = %input.path,
            encoding = %input.encoding,
            rows_read = input.rows_read,
            rows_quarantined = input.rows_quarantined,
            "ingested"
        );
    }
    for row in &ingested.quarantine {
        tracing::debug!(file = %row.file, row = row.row, column = row.column.as_deref().unwrap_or("-"), problem = %redact_values(&row.problem), "quarantined");
    }
}

/// A problem text with the quoted cell values (between backticks) replaced by `…`: the value
/// may be a birth date or a name, and belongs in quarantine.parquet, not in a log.
fn redact_values(problem: &str) -> String {
    problem
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { "…" } else { part })
        .collect::<Vec<_>>()
        .join("`")
}

/// Seconds per stage, measured from the end of the previous one.
pub(super) struct StageTimer {
    since: Instant,
    laps: Vec<(String, f64)>,
}

impl StageTimer {
    fn start() -> StageTimer {
        StageTimer {
            since: Instant::now(),
            laps: Vec::new(),
        }
    }

    /// Stages that ran interleaved (a piece read, normalised, linked, then the next), each
    /// with its total; the clock restarts.
    fn record(&mut self, stages: &[(&str, std::time::Duration)]) {
        for (stage, took) in stages {
            self.laps.push(((*stage).to_string(), took.as_secs_f64()));
        }
        self.since = Instant::now();
    }

    /// Ends a stage; time for the stage just recorded adds to it.
    fn lap(&mut self, stage: &str) {
        let took = self.since.elapsed().as_secs_f64();
        match self.laps.last_mut() {
            Some((last, seconds)) if last == stage => *seconds += took,
            _ => self.laps.push((stage.to_string(), took)),
        }
        self.since = Instant::now();
    }
}

/// Same inputs, pipeline, date and version → same run id.
pub(super) fn run_id(pipeline: &Pipeline, as_of: NaiveDate, ingested: &Ingested) -> String {
    let mut material = format!(
        "{}|{}|{}",
        env!("CARGO_PKG_VERSION"),
        pipeline.sha256,
        as_of
    );
    for input in &ingested.inputs {
        material.push('|');
        material.push_str(input.source.code());
        material.push(':');
        material.push_str(&input.sha256);
    }
    // A standards table is an input too: another table is another run.
    if !ingested.standards.is_empty() {
        material.push_str("|standards:");
        material.push_str(&ingested.standards.fingerprint());
    }
    hex_sha256(material.as_bytes())[..16].to_string()
}
