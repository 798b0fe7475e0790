//! What a clerk sees of a run's leads: the (`household_id`, reason) leads shown on the
//! township workbooks' leads sheets (`leads.parquet`, `shown`), and the households they name.
//! Leads held back over `[review] max_leads_per_township` are counted in the report, but no
//! clerk is sent to them, so coverage "on a leads sheet" counts only the shown ones.

use std::collections::BTreeSet;
use std::path::Path;

use super::{read_parquet_columns, EvalError};
use crate::rundir::names::{HOUSEHOLDS, LEADS};

/// The shown leads of a run and the households it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetLeads {
    pub shown: BTreeSet<(String, String)>,
    pub households_shown: usize,
    pub households: usize,
}

/// The run's shown leads, or `None` for a run from before `leads.parquet`.
pub fn sheet_leads(out_dir: &Path) -> Result<Option<SheetLeads>, EvalError> {
    let (leads, households) = (out_dir.join(LEADS), out_dir.join(HOUSEHOLDS));
    if !(crate::rundir::is_file(&leads) && crate::rundir::is_file(&households)) {
        return Ok(None);
    }
    let [lead_households, reasons, shown] =
        read_parquet_columns(&leads, ["household_id", "reason", "shown"])?;
    let shown: BTreeSet<(String, String)> = lead_households
        .into_iter()
        .zip(reasons)
        .zip(shown)
        .filter(|(_, shown)| shown.as_deref() == Some("true"))
        .filter_map(|((household, reason), _)| Some((household?, reason?)))
        .collect();
    let households_shown = shown
        .iter()
        .map(|(household, _)| household)
        .collect::<BTreeSet<_>>()
        .len();
    let [households] = read_parquet_columns(&households, ["household_id"])?;
    Ok(Some(SheetLeads {
        shown,
        households_shown,
        households: households.len(),
    }))
}
