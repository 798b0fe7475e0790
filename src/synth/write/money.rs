//! Writes the money truth: `truth_overpaid.csv` (each true flag of a reason that costs money,
//! with `since` and `overpaid_yuan`, blank where no record dates the fact) and
//! `truth_recheck.csv` (the households due their re-check on a first run). Both assume the
//! shipped county-nightly defaults (see `synth::money`).

use std::path::Path;

use super::{write_csv, SynthError};
use crate::synth::{OverpaidTruth, RecheckTruth};

/// The money truth's file names, beside `truth.csv`.
pub const TRUTH_OVERPAID_CSV: &str = "truth_overpaid.csv";
pub const TRUTH_RECHECK_CSV: &str = "truth_recheck.csv";

pub(super) fn write_truth_overpaid(dir: &Path, rows: &[OverpaidTruth]) -> Result<(), SynthError> {
    let header = ["household_id", "reason", "since", "overpaid_yuan"];
    let rows = rows.iter().map(|row| {
        [
            row.household_id.clone(),
            row.reason.code().to_string(),
            row.since.map(|d| d.to_string()).unwrap_or_default(),
            row.overpaid_yuan
                .map(|yuan| format!("{yuan:.2}"))
                .unwrap_or_default(),
        ]
    });
    write_csv(dir, TRUTH_OVERPAID_CSV, header, rows)
}

pub(super) fn write_truth_recheck(dir: &Path, rows: &[RecheckTruth]) -> Result<(), SynthError> {
    let header = ["household_id", "category", "last_checked", "due_on"];
    let rows = rows.iter().map(|row| {
        [
            row.household_id.clone(),
            row.category.to_string(),
            row.last_checked.to_string(),
            row.due_on.to_string(),
        ]
    });
    write_csv(dir, TRUTH_RECHECK_CSV, header, rows)
}
