//! Typed readers of a finished run's flags.parquet and matches.parquet: the columns
//! `explain` shows, named here beside the writers in `tables`.

use std::path::Path;

use polars::prelude::DataFrame;

use super::names::col as names;
use super::parquet::{float_column, text_column};
use super::OutputError;
use crate::link::FIELDS;

/// A column of text cells, `None` where empty.
pub type Texts = Vec<Option<String>>;

/// A run's flags, the columns `explain` shows.
pub struct FlagColumns {
    pub households: Texts,
    pub reasons: Texts,
    pub severities: Texts,
    pub evidence: Texts,
    pub records: Texts,
    pub members: Texts,
    /// v3's overpayment columns; all empty for a run written before them.
    pub since: Texts,
    pub overpaid_yuan: Texts,
}

impl FlagColumns {
    /// Each flag's status, read on its own (`explain` reads it after the matches).
    pub fn statuses(frame: &DataFrame, path: &Path) -> Result<Texts, OutputError> {
        text_column(frame, "status", path)
    }

    pub fn of(frame: &DataFrame, path: &Path) -> Result<FlagColumns, OutputError> {
        let col = |name: &str| text_column(frame, name, path);
        let optional = |name: &str| match frame.column(name) {
            Ok(_) => col(name),
            Err(_) => Ok(vec![None; frame.height()]),
        };
        Ok(FlagColumns {
            households: col(names::HOUSEHOLD_ID)?,
            reasons: col(names::REASON)?,
            severities: col(names::SEVERITY)?,
            evidence: col(names::EVIDENCE)?,
            records: col(names::RECORD_IDS)?,
            members: col(names::MEMBER_IDS)?,
            since: optional(names::SINCE)?,
            overpaid_yuan: optional(names::OVERPAID_YUAN)?,
        })
    }
}

/// A run's matches: who and how, and per field of the comparison its level and weight.
pub struct MatchColumns {
    pub households: Texts,
    pub records: Texts,
    pub members: Texts,
    pub sources: Texts,
    pub methods: Texts,
    pub decisions: Texts,
    pub notes: Texts,
    /// Per field of `FIELDS`, per match.
    pub levels: Vec<Texts>,
    /// Likewise.
    pub weights: Vec<Vec<f64>>,
    pub priors: Vec<f64>,
    pub totals: Vec<f64>,
    pub scores: Vec<f64>,
    /// Runs before namesake risk have no such column.
    pub namesakes: Option<Vec<f64>>,
    /// Per pair decided without an ID, how common its name and birth date are (NaN
    /// otherwise); runs before term frequencies have no such columns.
    pub name_shares: Option<Vec<f64>>,
    pub birth_date_shares: Option<Vec<f64>>,
    pub region_from: Option<Texts>,
    /// `member` or `supporter`; runs before supporters have no such column (all members).
    pub roles: Option<Texts>,
}

impl MatchColumns {
    pub fn of(frame: &DataFrame, path: &Path) -> Result<MatchColumns, OutputError> {
        let col = |name: &str| text_column(frame, name, path);
        let number = |name: &str| float_column(frame, name, path);
        let (households, records, members, sources, methods, decisions, notes) = (
            col(names::HOUSEHOLD_ID)?,
            col(names::RECORD_ID)?,
            col(names::MEMBER_ID)?,
            col("source")?,
            col("method")?,
            col("decision")?,
            col("note")?,
        );
        let levels = FIELDS
            .iter()
            .map(|f| col(&format!("{f}_level")))
            .collect::<Result<_, _>>()?;
        let weights = FIELDS
            .iter()
            .map(|f| number(&format!("{f}_weight")))
            .collect::<Result<_, _>>()?;
        Ok(MatchColumns {
            households,
            records,
            members,
            sources,
            methods,
            decisions,
            notes,
            levels,
            weights,
            priors: number("prior_weight")?,
            totals: number("match_weight")?,
            scores: number("score")?,
            namesakes: number("expected_namesakes").ok(),
            name_shares: number("name_share").ok(),
            birth_date_shares: number("birth_date_share").ok(),
            region_from: col("region_from").ok(),
            roles: col("role").ok(),
        })
    }
}
