//! One check, end to end: ingest → normalize → link → rules, then output. `evaluate` runs the
//! stages in memory (tests call it directly); `run` adds the lock, the review inbox, history
//! and the atomic write. Sharded runs and merge live in `shard`; the review loop (inbox,
//! history, leads, spot checks, outcomes) is `review`'s.

mod pieces;
mod shard;

pub use shard::{index_roll, merge, run_shard, ShardError};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::config::{hex_sha256, Pipeline};
use crate::ingest::{self, IngestError, Ingested};
use crate::link::{self, Links};
use crate::model::Reason;
use crate::normalize::{self, Normalized};
use crate::output::{self, ReviewMember, RunOutputs};
use crate::review::history::History;
use crate::review::outcomes;
use crate::rules::{self, Context, Flag, Households};
use crate::rundir::names::FLAGS_PARQUET;
use crate::rundir::{self, FlagRow, Manifest, MatchRow, OutputError, PipelineInfo};

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// A rule the pipeline declares in SQL is broken, or failed on the run's data.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rules(Vec<rules::sql::RuleError>),
}

/// Everything the stages produced, before anything is written.
pub struct Evaluation {
    pub ingested: Ingested,
    pub normalized: Normalized,
    pub links: Links,
    pub households: Households,
    pub flags: Vec<Flag>,
    /// (stage, seconds), in order.
    pub stage_seconds: Vec<(String, f64)>,
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
        },
        &outcomes::PairLabels::default(),
    )
}

/// How the link stage gets its blocked pairs.
#[derive(Clone, Copy)]
pub enum Linking<'a> {
    /// Blocks, scores and decides every pair in this process, reading registries in pieces
    /// of at most this many rows.
    Whole { rows_per_piece: usize },
    /// Decides the pairs that shards blocked and scored (`rollcheck merge`).
    FromShards {
        run_id: &'a str,
        scored: &'a link::ScoredPairs,
        /// Registries are read in pieces of at most this many rows.
        rows_per_piece: usize,
    },
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
        Linking::Whole { rows_per_piece } => {
            read_and_link(pipeline, data_dir, rows_per_piece, progress, &mut timer)?
        }
        Linking::FromShards {
            run_id: shards_run,
            scored,
            rows_per_piece,
        } => {
            let (ingested, normalized, scored, census) = shard::read_linked_records(
                pipeline,
                data_dir,
                scored,
                rows_per_piece,
                progress,
                &mut timer,
            )?;
            let this_run = run_id(pipeline, as_of, &ingested);
            if this_run != shards_run {
                return Err(ShardError::OtherRun {
                    shards_run: shards_run.to_string(),
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
            };
            (ingested, normalized, read)
        }
    };
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
    let flags = rules::evaluate(&Context {
        pipeline,
        as_of,
        ingested: &ingested,
        normalized: &normalized,
        links: &links,
        households: &households,
    })
    .map_err(|err| JobError::Rules(vec![err]))?;
    timer.lap("rules");
    tracing::info!(flags = flags.len(), seconds = ?timer.laps, "evaluated");
    Ok(Evaluation {
        ingested,
        normalized,
        links,
        households,
        flags,
        stage_seconds: timer.laps,
    })
}

/// What linking leaves to decide: the model, the pairs worth deciding (numbered by the
/// records held) and the name and birth-date counts of every person read.
struct Scored {
    parameters: crate::config::LinkParameters,
    pairs: link::ScoredPairs,
    census: link::NameBirthCensus,
}

/// The ingest, normalize and link stages of a whole run, timed: the roll whole, then each
/// registry a piece at a time, linked and let go (`link::PieceLinker`), holding only the
/// records that link (`pieces::HeldRegistries`). Memory is the roll's and its indexes, one
/// piece, and what links, whatever the registries' size.
fn read_and_link(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    rows_per_piece: usize,
    progress: Progress,
    timer: &mut StageTimer,
) -> Result<(Ingested, Normalized, Scored), IngestError> {
    progress("reading inputs");
    let mut ingested = ingest::load_roll(pipeline, data_dir)?;
    let mut reading = timer.since.elapsed();
    let started = Instant::now();
    progress("normalising IDs and names");
    let members = normalize::members(&ingested.roll);
    // Namesake risk counts every person read, linked or not.
    let mut census = link::NameBirthCensus::default();
    census.count(&members);
    let mut normalizing = started.elapsed();
    progress("matching roll members to registry records");
    let mut held = pieces::HeldRegistries::new(pipeline);
    let mut quarantine = Vec::new();
    let roll = std::mem::take(&mut ingested.roll);
    let started = Instant::now();
    let mut linker = link::PieceLinker::whole(&roll, &members, &pipeline.link);
    let mut linking = started.elapsed();
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
            census.count(&persons);
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
            held.hold(registry_idx, &numbers, piece, persons, &linked_here);
        },
    )?;
    // What the pieces took besides normalising and linking was reading them.
    reading += started
        .elapsed()
        .saturating_sub(pieces_normalizing + pieces_linking);
    normalizing += pieces_normalizing;
    linking += pieces_linking;
    let started = Instant::now();
    let (parameters, mut scored, worth_holding) = linker.finish(&pipeline.link);
    held.keep_linked(&worth_holding, &mut scored);
    ingested.roll = roll;
    ingested.registries = held.registries;
    ingested.inputs.extend(inputs);
    ingested.quarantine.append(&mut quarantine);
    log_ingested(&ingested);
    let normalized = Normalized {
        members,
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

/// What a completed run reports.
#[derive(Debug)]
pub struct RunSummary {
    pub run_id: String,
    pub out_dir: PathBuf,
    pub households: usize,
    pub members: usize,
    pub flags: Vec<FlagRow>,
    pub quarantined: usize,
    pub manifest: Manifest,
}

impl RunSummary {
    /// Flags per reason, every reason listed.
    pub fn flags_per_reason(&self) -> BTreeMap<Reason, usize> {
        count_reasons(self.flags.iter().map(|f| &f.flag))
    }
}

fn count_reasons<'a>(flags: impl Iterator<Item = &'a Flag>) -> BTreeMap<Reason, usize> {
    let flags: Vec<&Flag> = flags.collect();
    let mut counts: BTreeMap<Reason, usize> = Reason::listed(flags.iter().map(|f| f.reason))
        .into_iter()
        .map(|r| (r, 0))
        .collect();
    for flag in flags {
        *counts.entry(flag.reason).or_default() += 1;
    }
    counts
}

/// Runs the check and writes its outputs atomically into `out_dir`.
pub fn run(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    out_dir: &Path,
) -> Result<RunSummary, JobError> {
    run_with_progress(pipeline, data_dir, as_of, out_dir, PIECE_ROWS, &|_| {})
}

/// `run`, reading registries in pieces of at most `rows_per_piece` rows and telling
/// `progress` as each stage starts.
pub fn run_with_progress(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    out_dir: &Path,
    rows_per_piece: usize,
    progress: Progress,
) -> Result<RunSummary, JobError> {
    let linking = Linking::Whole { rows_per_piece };
    run_linked(pipeline, data_dir, as_of, out_dir, progress, linking)
}

pub(super) fn run_linked(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    out_dir: &Path,
    progress: Progress,
    linking: Linking,
) -> Result<RunSummary, JobError> {
    let started_at = chrono::Local::now();
    let _lock = rundir::acquire_lock(out_dir)?;
    let mut history = History::open(out_dir, pipeline.state_dir.as_deref())?;
    let (review_imports, import_problems) = match &pipeline.review.inbox {
        Some(inbox) => {
            progress("importing findings from the review inbox");
            crate::review::import_inbox(
                inbox,
                out_dir,
                &mut history,
                chrono::Local::now().date_naive(),
            )?
        }
        None => (Vec::new(), Vec::new()),
    };
    let labels = outcomes::PairLabels::from_findings(history.findings());
    let evaluation = evaluate_stages(pipeline, data_dir, as_of, progress, linking, &labels)?;
    let run_id = run_id(pipeline, as_of, &evaluation.ingested);
    progress("writing outputs");
    let chronicle = history.follow(evaluation.flags.clone(), &run_id, as_of);
    let flags = chronicle.flags;
    let matches = match_rows(&evaluation);
    let leads = outcomes::leads(
        pipeline,
        &evaluation.ingested,
        &evaluation.links,
        &evaluation.households,
        as_of,
    );
    let spot_checks = outcomes::spot_checks(
        &evaluation.households,
        &flags,
        pipeline.review.audit_households_per_township,
        &run_id,
    );
    let benefits = outcomes::household_benefits(&evaluation.ingested);
    let review_outcomes = outcomes::review_outcomes(
        &history,
        &flags,
        &benefits,
        pipeline.review.due_days,
        &evaluation.households,
    );
    let manifest = Manifest {
        run_id: run_id.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        as_of: as_of.format("%Y-%m-%d").to_string(),
        pipeline: PipelineInfo {
            name: pipeline.name.clone(),
            path: pipeline.file.display().to_string(),
            sha256: pipeline.sha256.clone(),
            province: pipeline.province.clone(),
        },
        state_dir: std::path::absolute(history.state())
            .unwrap_or_else(|_| history.state().to_path_buf())
            .display()
            .to_string(),
        started_at: started_at.to_rfc3339(),
        finished_at: String::new(),
        inputs: evaluation.ingested.inputs.clone(),
        source_totals: rundir::SourceTotals::of(&evaluation.ingested.inputs),
        households_in_two_roll_files: evaluation.ingested.roll_duplicates.clone(),
        households: evaluation.households.by_id.len(),
        members: evaluation.ingested.roll.len(),
        flags: flags.len(),
        flags_per_reason: chronicle.record.flags_per_reason.clone(),
        matches_per_source: matches_per_source(&evaluation.links),
        candidate_pairs_per_rule: evaluation.links.pairs_per_rule.clone(),
        candidate_pairs: evaluation.links.candidate_pairs,
        link_model: evaluation.links.parameters.source.clone(),
        // `write_run` adds the time writing takes and the finish time.
        stage_seconds: evaluation.stage_seconds.clone(),
        review_imports,
        review_import_problems: import_problems
            .iter()
            .map(crate::review::describe_problem)
            .collect(),
        declared: rundir::DeclaredLabels::of(pipeline),
    };
    let mut record = chronicle.record;
    let manifest = output::write_run(
        out_dir,
        &RunOutputs {
            run_id: &run_id,
            flags: &flags,
            households: &evaluation.households,
            matches: &matches,
            quarantine: &evaluation.ingested.quarantine,
            manifest: &manifest,
            parameters: &evaluation.links.parameters,
            review_members: &review_members(&evaluation),
            resolved: &chronicle.resolved,
            trend: &chronicle.trend,
            leads: &leads,
            spot_checks: &spot_checks,
            review: &review_outcomes,
            benefits: &benefits,
            as_of,
            invalid_ids: evaluation
                .normalized
                .members
                .iter()
                .filter(|p| p.valid_id().is_none())
                .count(),
        },
    )?;
    // Recorded only now that the outputs are published: history never names an unpublished run.
    record.finished_at.clone_from(&manifest.finished_at);
    history.record_run(&out_dir.join(FLAGS_PARQUET), &record)?;
    Ok(RunSummary {
        run_id,
        out_dir: out_dir.to_path_buf(),
        households: evaluation.households.by_id.len(),
        members: evaluation.ingested.roll.len(),
        quarantined: evaluation.ingested.quarantine.len(),
        flags,
        manifest,
    })
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

/// Roll members with masked IDs, for the review workbooks.
fn review_members(evaluation: &Evaluation) -> Vec<ReviewMember> {
    evaluation
        .ingested
        .roll
        .iter()
        .zip(&evaluation.normalized.members)
        .map(|(member, person)| ReviewMember {
            household_id: member.household_id.clone(),
            member_id: member.member_id.clone(),
            name: member.name.clone(),
            masked_id: crate::normalize::mask_id(&person.id.cleaned),
            is_head: member.relation == crate::model::Relation::Head,
        })
        .collect()
}

fn match_rows(evaluation: &Evaluation) -> Vec<MatchRow> {
    evaluation
        .links
        .matches
        .iter()
        .map(|m| {
            let member = &evaluation.ingested.roll[m.member_idx];
            let record = &evaluation.ingested.registries[m.registry_idx].records[m.record_idx];
            let person = &evaluation.normalized.registries[m.registry_idx][m.record_idx];
            let member_person = &evaluation.normalized.members[m.member_idx];
            let region_from = (m.levels.region != link::RegionLevel::Missing)
                .then(|| link::region_from(member, member_person, record, person))
                .flatten();
            MatchRow::new(
                m,
                &member.household_id,
                &member.member_id,
                &record.record_id,
                region_from,
            )
        })
        .collect()
}

/// Pairs per source and decision, e.g. `death.accepted`.
fn matches_per_source(links: &Links) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in &links.matches {
        *counts
            .entry(format!("{}.{}", m.source.code(), m.decision.code()))
            .or_default() += 1;
    }
    counts
}
