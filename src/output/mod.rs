//! The renderers of a run: the report, the township and summary workbooks and the explorer,
//! and `write_run`, which writes them with the run directory's tables in one atomic publish.
//! Front door: `output::write_run`. Files, names and columns are `rundir`'s.

mod assist_request;
mod county_report;
mod explorer;
mod income_report;
mod leads_report;
mod money_report;
mod places;
mod recheck_report;
mod recheck_sheet;
mod report;
mod review_report;
mod summary_workbook;
mod supporters_sheet;
mod warnings_report;
mod warnings_sheet;
mod workbooks;

use std::path::Path;

use chrono::NaiveDate;

pub use explorer::pseudonymized;
pub use workbooks::{write_recheck_workbook, ReviewMember};

use crate::config::LinkParameters;
use crate::ingest::QuarantinedRow;
use crate::review::ReviewOutcomes;
use crate::rules::Households;
use crate::rundir::names::{
    ASSIST_DIR, EXPLORER, FLAGS_CSV, FLAGS_PARQUET, HOUSEHOLDS, INCOME, LEADS, MANIFEST, MATCHES,
    MODEL, QUARANTINE, RECHECK_DUE, REPORT, RESOLVED, REVIEW_SUMMARY, SPOT_CHECKS,
    SUMMARY_WORKBOOK, SUPPORTERS, WARNINGS_CSV, WARNINGS_PARQUET,
};
use crate::rundir::{
    self, FlagRow, LeadRow, Manifest, MatchRow, OutputError, ResolvedFlag, SpotCheckRow,
};

/// Everything one run writes.
pub struct RunOutputs<'a> {
    pub run_id: &'a str,
    pub flags: &'a [FlagRow],
    pub households: &'a Households,
    pub matches: &'a [MatchRow],
    pub quarantine: &'a [QuarantinedRow],
    pub manifest: &'a Manifest,
    pub parameters: &'a LinkParameters,
    /// Roll members as reviewers may see them (masked IDs), for the review workbooks.
    pub review_members: &'a [ReviewMember],
    /// Flags of the previous run that this run no longer raises.
    pub resolved: &'a [ResolvedFlag],
    /// The last recorded runs and this one, oldest first, for the report's trend.
    pub trend: &'a [crate::rundir::RunRecord],
    /// The as-of date of this run, for `resolved.parquet`.
    pub as_of: NaiveDate,
    /// Roll members whose ID is not valid.
    pub invalid_ids: usize,
    /// `possible` matches that would raise a high-severity reason, best first.
    pub leads: &'a [LeadRow],
    /// Unflagged households drawn for a spot check.
    pub spot_checks: &'a [SpotCheckRow],
    /// Outcomes of the findings so far.
    pub review: &'a ReviewOutcomes,
    /// Households' incomes and supporters (`income.parquet`, `supporters.parquet`).
    pub incomes: &'a crate::rules::income::Incomes,
    /// Early warnings with their history (`warnings.parquet`, sheet 预警线索).
    pub warnings: &'a crate::review::warnings::WarningChronicle,
    /// Monthly benefit (yuan) per household, where the roll gives one.
    pub benefits: &'a std::collections::HashMap<String, f64>,
}

/// Writes all outputs into a fresh directory and swaps it into place as `out_dir`. The
/// manifest is written last, with the time writing took and the finish time; it is returned.
pub fn write_run(out_dir: &Path, outputs: &RunOutputs) -> Result<Manifest, OutputError> {
    let started = std::time::Instant::now();
    rundir::publish(out_dir, outputs.run_id, |staging| {
        // Three independent groups of files, side by side: each is mostly one thread's work
        // (the township workbooks excepted), so on two cores the workbooks' compression
        // overlaps the report and explorer instead of waiting for them.
        let (tables, (workbooks, pages)) = rayon::join(
            || write_tables(staging, outputs),
            || {
                rayon::join(
                    || write_workbooks(staging, outputs),
                    || write_pages(staging, outputs),
                )
            },
        );
        tables?;
        workbooks?;
        pages?;
        let mut manifest = outputs.manifest.clone();
        manifest
            .stage_seconds
            .push(("write".into(), started.elapsed().as_secs_f64()));
        manifest.finished_at = chrono::Local::now().to_rfc3339();
        let bytes =
            serde_json::to_vec_pretty(&manifest).map_err(|e| OutputError::write(staging, e))?;
        rundir::write_file(&staging.join(MANIFEST), &bytes)?;
        Ok(manifest)
    })
}

/// The run's tables: parquet and CSV files, and the model.
fn write_tables(staging: &Path, outputs: &RunOutputs) -> Result<(), OutputError> {
    rundir::write_flags_parquet(&staging.join(FLAGS_PARQUET), outputs.flags, outputs.run_id)?;
    rundir::write_flags_csv(&staging.join(FLAGS_CSV), outputs.flags, outputs.run_id)?;
    rundir::write_households(
        &staging.join(HOUSEHOLDS),
        outputs.households,
        outputs.flags,
        outputs.benefits,
    )?;
    rundir::write_matches(&staging.join(MATCHES), outputs.matches)?;
    rundir::write_quarantine(&staging.join(QUARANTINE), outputs.quarantine)?;
    rundir::write_resolved(&staging.join(RESOLVED), outputs.resolved, outputs.as_of)?;
    rundir::write_leads(&staging.join(LEADS), outputs.leads)?;
    rundir::write_spot_checks(&staging.join(SPOT_CHECKS), outputs.spot_checks)?;
    rundir::write_income(&staging.join(INCOME), outputs.incomes)?;
    rundir::write_supporters(&staging.join(SUPPORTERS), outputs.incomes)?;
    rundir::write_warnings_parquet(
        &staging.join(WARNINGS_PARQUET),
        &outputs.warnings.rows,
        outputs.run_id,
    )?;
    rundir::write_warnings_csv(
        &staging.join(WARNINGS_CSV),
        &outputs.warnings.rows,
        outputs.run_id,
    )?;
    rundir::write_recheck_due(&staging.join(RECHECK_DUE), &outputs.review.recheck_due)?;
    crate::review::summary::write_csv(&staging.join(REVIEW_SUMMARY), &outputs.review.summary)?;
    let model = serde_json::to_vec_pretty(outputs.parameters)
        .map_err(|e| OutputError::write(staging, e))?;
    rundir::write_file(&staging.join(MODEL), &model)
}

/// The workbooks: one per township, the assistance requests and the summary.
fn write_workbooks(staging: &Path, outputs: &RunOutputs) -> Result<(), OutputError> {
    workbooks::write_review_workbooks(
        &staging.join("review"),
        &workbooks::ReviewItems {
            flags: outputs.flags,
            leads: outputs.leads,
            spot_checks: outputs.spot_checks,
            members: outputs.review_members,
            supporters: &outputs.incomes.supporters,
            recheck_due: &outputs.review.recheck_due,
            warnings: &outputs.warnings.rows,
        },
        outputs.as_of,
    )?;
    assist_request::write_requests(&staging.join(ASSIST_DIR), outputs.leads)?;
    summary_workbook::write(
        &staging.join(SUMMARY_WORKBOOK),
        outputs.review,
        outputs.as_of,
    )
}

/// The web pages: the report and the explorer.
fn write_pages(staging: &Path, outputs: &RunOutputs) -> Result<(), OutputError> {
    let report = report::render(outputs);
    rundir::write_file(&staging.join(REPORT), report.as_bytes())?;
    explorer::write(&staging.join(EXPLORER), outputs)
}
