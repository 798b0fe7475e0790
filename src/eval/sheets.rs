//! What a clerk sees of a run's leads: the (`household_id`, reason) leads shown on the
//! township workbooks' leads sheets (`leads.parquet`, `shown`), and the households they name.
//! Leads held back over `[review] max_leads_per_township` are counted in the report, but no
//! clerk is sent to them, so coverage "on a leads sheet" counts only the shown ones.

use std::collections::BTreeSet;
use std::path::Path;

use super::EvalError;
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
    let (leads_path, households_path) = (out_dir.join(LEADS), out_dir.join(HOUSEHOLDS));
    if !(crate::rundir::is_file(&leads_path) && crate::rundir::is_file(&households_path)) {
        return Ok(None);
    }
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |e: crate::rundir::OutputError| EvalError::Read {
            path: path.clone(),
            message: e.to_string(),
        }
    };
    let frame = crate::rundir::read(&leads_path).map_err(err(&leads_path))?;
    let text = |name: &str| {
        crate::rundir::text_column(&frame, name, &leads_path).map_err(err(&leads_path))
    };
    let (households, reasons) = (text("household_id")?, text("reason")?);
    let shown = frame
        .column("shown")
        .and_then(|c| c.bool().cloned())
        .map_err(|e| EvalError::Read {
            path: leads_path.clone(),
            message: format!("column `shown`: {e}"),
        })?;
    let shown: BTreeSet<(String, String)> = households
        .into_iter()
        .zip(reasons)
        .zip(shown.iter())
        .filter(|(_, shown)| *shown == Some(true))
        .filter_map(|((household, reason), _)| Some((household?, reason?)))
        .collect();
    let households_shown = shown
        .iter()
        .map(|(household, _)| household)
        .collect::<BTreeSet<_>>()
        .len();
    let households = crate::rundir::read(&households_path)
        .map_err(err(&households_path))?
        .height();
    Ok(Some(SheetLeads {
        shown,
        households_shown,
        households,
    }))
}
