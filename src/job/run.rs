//! A run written: under the run lock, the review inbox is imported, the stages run with the
//! review's verdicts on pairs, the history follows the flags, and the outputs are published
//! atomically before the run is recorded.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use super::{evaluate_stages, run_id, Evaluation, JobError, Linking, Progress, RunSummary};
use crate::config::Pipeline;
use crate::ingest::findings::FindingProblem;
use crate::link::{self, Links};
use crate::output::{self, ReviewMember, RunOutputs};
use crate::review::history::{Chronicle, History};
use crate::review::outcomes;
use crate::rundir::ImportedFile;
use crate::rundir::{self, Manifest, MatchRow, OutputError, PipelineInfo};

/// Runs the check and writes its outputs atomically into `out_dir`.
pub fn run(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    out_dir: &Path,
) -> Result<RunSummary, JobError> {
    run_with_progress(
        pipeline,
        data_dir,
        as_of,
        out_dir,
        super::PIECE_ROWS,
        &|_| {},
    )
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
    let linking = Linking::Whole {
        rows_per_piece,
        holding: crate::link::Holding::Likely,
    };
    run_linked(pipeline, data_dir, as_of, out_dir, progress, linking)
}

/// A whole run or a merge, from the lock to the recorded history.
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
    let inbox = import_inbox(pipeline, out_dir, &mut history, progress)?;
    let labels = outcomes::PairLabels::from_findings(history.findings());
    let evaluation = evaluate_stages(pipeline, data_dir, as_of, progress, linking, &labels)?;
    let run = Evaluated {
        pipeline,
        as_of,
        run_id: run_id(pipeline, as_of, &evaluation.ingested),
        evaluation,
    };
    progress("writing outputs");
    let followed = std::time::Instant::now();
    let chronicle = history.follow(run.evaluation.flags.clone(), &run.run_id, as_of);
    tracing::debug!(
        seconds = followed.elapsed().as_secs_f64(),
        "flags followed through the history"
    );
    let manifest = run.manifest(&started_at.to_rfc3339(), &history, &chronicle, inbox);
    let (households, members) = (manifest.households, manifest.members);
    let quarantined = run.evaluation.ingested.quarantine.len();
    let run_id = run.run_id.clone();
    let manifest = run.write(out_dir, &history, &chronicle, &manifest)?;
    // Recorded only now that the outputs are published: history never names an unpublished run.
    let mut record = chronicle.record;
    record.finished_at.clone_from(&manifest.finished_at);
    history.record_run(&out_dir.join(crate::rundir::names::FLAGS_PARQUET), &record)?;
    Ok(RunSummary {
        out_dir: out_dir.to_path_buf(),
        households,
        members,
        quarantined,
        flags: chronicle.flags,
        run_id,
        manifest,
    })
}

/// What the review inbox held: the files imported and the rows not recorded.
type Inbox = (Vec<ImportedFile>, Vec<FindingProblem>);

/// Imports the findings waiting in the pipeline's review inbox, if it names one.
fn import_inbox(
    pipeline: &Pipeline,
    out_dir: &Path,
    history: &mut History,
    progress: Progress,
) -> Result<Inbox, OutputError> {
    let Some(inbox) = &pipeline.review.inbox else {
        return Ok((Vec::new(), Vec::new()));
    };
    progress("importing findings from the review inbox");
    crate::review::import_inbox(inbox, out_dir, history, chrono::Local::now().date_naive())
}

/// A run evaluated and named, on its way to the disk.
struct Evaluated<'a> {
    pipeline: &'a Pipeline,
    as_of: NaiveDate,
    run_id: String,
    evaluation: Evaluation,
}

impl Evaluated<'_> {
    /// The run's manifest as far as it is known before writing.
    fn manifest(
        &self,
        started_at: &str,
        history: &History,
        chronicle: &Chronicle,
        (review_imports, import_problems): Inbox,
    ) -> Manifest {
        let (pipeline, evaluation) = (self.pipeline, &self.evaluation);
        Manifest {
            run_id: self.run_id.clone(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            as_of: self.as_of.format("%Y-%m-%d").to_string(),
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
            started_at: started_at.to_string(),
            finished_at: String::new(),
            inputs: evaluation.ingested.inputs.clone(),
            source_totals: rundir::SourceTotals::of(&evaluation.ingested.inputs),
            households_in_two_roll_files: evaluation.ingested.roll_duplicates.clone(),
            households: evaluation.households.by_id.len(),
            members: evaluation.ingested.roll.len(),
            flags: chronicle.flags.len(),
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
        }
    }

    /// Writes the outputs with the review's material (leads, spot checks, outcomes) and
    /// returns the manifest as published. Once the rows to write are made, the stages' own
    /// structures (the roll, persons, held records, pairs) are let go before the files are
    /// written side by side, where a run's memory used to peak (issue 32).
    fn write(
        self,
        out_dir: &Path,
        history: &History,
        chronicle: &Chronicle,
        manifest: &Manifest,
    ) -> Result<Manifest, OutputError> {
        let (pipeline, evaluation) = (self.pipeline, &self.evaluation);
        let flags = &chronicle.flags;
        let started = std::time::Instant::now();
        let leads = outcomes::leads(
            pipeline,
            &evaluation.ingested,
            &evaluation.links,
            (&evaluation.households, &evaluation.doubts),
            self.as_of,
        );
        let spot_checks = outcomes::spot_checks(
            &evaluation.households,
            flags,
            pipeline.review.audit_households_per_township,
            &self.run_id,
        );
        let benefits = outcomes::household_benefits(&evaluation.ingested);
        let warnings = crate::review::warnings::follow_warnings(
            history,
            evaluation.warnings.clone(),
            &self.run_id,
            self.as_of,
        )?;
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "leads, spot checks, warnings"
        );
        let review_outcomes = outcomes::review_outcomes(
            history,
            flags,
            &warnings.rows,
            &benefits,
            (pipeline, self.as_of),
            &evaluation.households,
        );
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), "review outcomes");
        let matches = match_rows(evaluation);
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), "match rows");
        let members = review_members(evaluation);
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "match rows and members"
        );
        let invalid_ids = evaluation
            .normalized
            .members()
            .iter()
            .filter(|p| p.valid_id().is_none())
            .count();
        let (run_id, as_of) = (self.run_id, self.as_of);
        let (households, incomes, quarantine, parameters) = kept_for_writing(self.evaluation);
        output::write_run(
            out_dir,
            &RunOutputs {
                run_id: &run_id,
                flags,
                households: &households,
                matches: &matches,
                quarantine: &quarantine,
                manifest,
                parameters: &parameters,
                review_members: &members,
                resolved: &chronicle.resolved,
                trend: &chronicle.trend,
                leads: &leads,
                spot_checks: &spot_checks,
                review: &review_outcomes,
                benefits: &benefits,
                incomes: &incomes,
                warnings: &warnings,
                as_of,
                invalid_ids,
            },
        )
    }
}

/// What the files still need of an evaluation; the rest (the roll, persons, held records,
/// pairs) is dropped on return.
fn kept_for_writing(
    evaluation: Evaluation,
) -> (
    crate::rules::Households,
    crate::rules::income::Incomes,
    Vec<crate::ingest::QuarantinedRow>,
    crate::config::LinkParameters,
) {
    (
        evaluation.households,
        evaluation.incomes,
        evaluation.ingested.quarantine,
        evaluation.links.parameters,
    )
}

/// Roll members with masked IDs, for the review workbooks.
fn review_members(evaluation: &Evaluation) -> Vec<ReviewMember> {
    evaluation
        .ingested
        .roll
        .iter()
        .zip(evaluation.normalized.members())
        .map(|(member, person)| ReviewMember {
            household_id: member.household_id.clone(),
            member_id: member.member_id.clone(),
            name: member.name.clone(),
            masked_id: crate::normalize::mask_id(&person.id.cleaned),
            is_head: member.relation == crate::model::Relation::Head,
        })
        .collect()
}

/// Every member's pair, then each supporter's pairs under each flagged household they
/// support (so `explain` shows what a supporter's flag rests on, field by field).
fn match_rows(evaluation: &Evaluation) -> Vec<MatchRow> {
    let placements = link::Placements::new(&evaluation.ingested, &evaluation.normalized);
    let row = |m: &link::Match, household_id: &str, person_id: &str| {
        let record = &evaluation.ingested.registries[m.registry_idx].records[m.record_idx];
        let person = &evaluation.normalized.registries[m.registry_idx][m.record_idx];
        let region_from = (m.levels.region != link::RegionLevel::Missing)
            .then(|| placements.region_from(m.member_idx, record, person))
            .flatten();
        MatchRow::new(m, household_id, person_id, &record.record_id, region_from)
    };
    // Each supporter's pairs, found once (a supporter may support several households), for
    // the households a flag names: what explain shows behind a flag, not every relative's
    // every record (a province's supporters are a million people).
    let flagged: std::collections::HashSet<&str> = evaluation
        .flags
        .iter()
        .map(|f| f.household_id.as_str())
        .collect();
    let shown: Vec<&crate::rules::income::SupporterRow> = evaluation
        .incomes
        .supporters
        .iter()
        .filter(|s| flagged.contains(s.support.household_id.as_str()))
        .collect();
    let supporters: std::collections::HashSet<usize> =
        shown.iter().map(|s| s.support.person_idx).collect();
    let mut pairs_of: std::collections::HashMap<usize, Vec<&link::Match>> =
        std::collections::HashMap::new();
    let links = &evaluation.links;
    for m in links.matches.iter().chain(&links.others) {
        if supporters.contains(&m.member_idx) {
            pairs_of.entry(m.member_idx).or_default().push(m);
        }
    }
    let mut supported = std::collections::BTreeSet::new();
    let mut supporter_pairs = Vec::new();
    for s in shown {
        if !supported.insert((&s.support.household_id, s.support.person_idx)) {
            continue;
        }
        for m in pairs_of.get(&s.support.person_idx).into_iter().flatten() {
            supporter_pairs.push((*m, s.support.household_id.as_str(), s.supporter_id.as_str()));
        }
    }
    // Sized once: a province has a million rows, and a vector grown by doubling held
    // twice their room while they were written (issue 32).
    let mut rows = Vec::with_capacity(links.matches.len() + supporter_pairs.len());
    rows.extend(links.matches.iter().map(|m| {
        let member = &evaluation.ingested.roll[m.member_idx];
        row(m, &member.household_id, &member.member_id)
    }));
    rows.extend(
        supporter_pairs
            .into_iter()
            .map(|(m, household_id, supporter_id)| MatchRow {
                role: crate::model::Role::Supporter,
                ..row(m, household_id, supporter_id)
            }),
    );
    rows
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
