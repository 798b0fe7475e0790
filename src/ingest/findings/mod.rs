//! Reads filled review workbooks (`.xlsx`, as saved by Excel, WPS or `LibreOffice`) and finding
//! CSVs (UTF-8 or GBK) into `FindingRow`s, each naming the file, sheet and row it came from.
//! A row that cannot be a finding becomes a `FindingProblem` (file, sheet, row, column,
//! problem); the other rows are kept. A file that is no review file at all (corrupt,
//! encrypted, no sheet with a 户编号 column) is an `IngestError` and yields nothing.
//!
//! This reader checks what one row says on its own (a known finding, a reviewer, a date that
//! parses and is not in the future). Whether the flag exists in the run, and whether the date
//! is on or after the flag was raised, is checked where the run's flags are known
//! (`output::history`).

mod assist;
mod columns;
mod rows;
mod tables;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::format::{extension, read_file};
use super::IngestError;
use crate::config::hex_sha256;
use crate::model::{Action, Reason, Verdict};
pub use assist::{read_assist_answers, AssistAnswer, AssistAnswers};
pub use columns::col as header;
use columns::Columns;
use rows::{read_table, Place};
use tables::{csv_table, workbook_tables};

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A flag of the run: 户编号 + reason.
    Flag(Reason),
    /// A `possible` match listed as a lead (sheet 待核实线索): the reason it would raise and
    /// the registry record (记录编号).
    Lead { reason: Reason, record_id: String },
    /// An unflagged household drawn for a spot check (sheet 抽查, reason code `spot_check`).
    SpotCheck,
    /// An early warning (sheet 预警线索, keyed by its 预警编号, reason code `should_cover` or
    /// `should_raise`).
    Warning(crate::model::WarningKind),
}

/// One finding as a reviewer wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRow {
    /// The file as given on the command line (or found in the inbox).
    pub file: String,
    /// The worksheet; `None` for CSV.
    pub sheet: Option<String>,
    /// The row as the spreadsheet numbers it (header = its own row number; CSV: line 1 is
    /// the header).
    pub row: usize,
    pub household_id: String,
    pub subject: Subject,
    pub verdict: Verdict,
    pub action: Option<Action>,
    /// 核查人, trimmed; never empty.
    pub reviewer: String,
    pub reviewed_on: NaiveDate,
    /// 备注 as written (may be empty). Callers mask any ID in it before it goes anywhere.
    pub note: Option<String>,
    /// The registry's office answered an assistance request (协查) with an ID: the finding
    /// is that ID against the member's, not a visit.
    pub by_registry: bool,
}

/// A row that is not recorded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingProblem {
    pub file: String,
    pub sheet: Option<String>,
    pub row: usize,
    /// The header of the offending column as the file spells it, when one column is at fault.
    pub column: Option<String>,
    pub problem: String,
}

/// Everything one file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingsFile {
    pub path: PathBuf,
    /// sha256 of the file's bytes (hex).
    pub sha256: String,
    pub rows: Vec<FindingRow>,
    pub problems: Vec<FindingProblem>,
    /// Rows with a 户编号 but no finding yet (not reviewed): neither recorded nor a problem.
    pub unreviewed: usize,
}

/// Reads one filled workbook or CSV. `today` bounds the finding dates (none may be later).
///
/// Every row with a 户编号 ends up in exactly one of `rows`, `problems` (one problem per row,
/// the first found) and `unreviewed`, so the three add up to the rows the clerk sent back.
pub fn read_findings(path: &Path, today: NaiveDate) -> Result<FindingsFile, IngestError> {
    let kind = Kind::of(path)?;
    let bytes = read_file(path)?;
    read_bytes(path, &bytes, kind, today)
}

/// How a file is read, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Csv,
    Workbook,
}

impl Kind {
    fn of(path: &Path) -> Result<Kind, IngestError> {
        match extension(path).as_deref() {
            Some("csv") => Ok(Kind::Csv),
            Some("xlsx" | "xlsm") => Ok(Kind::Workbook),
            _ => Err(not_findings(
                path,
                None,
                "not a findings file: expected a review workbook (.xlsx, .xlsm) or a CSV (.csv)"
                    .into(),
            )),
        }
    }
}

fn read_bytes(
    path: &Path,
    bytes: &[u8],
    kind: Kind,
    today: NaiveDate,
) -> Result<FindingsFile, IngestError> {
    let tables = match kind {
        Kind::Csv => vec![csv_table(path, bytes)?],
        Kind::Workbook => workbook_tables(path, bytes)?,
    };
    // Every table's columns are checked before any row is read: a bad file yields nothing.
    let columns = tables
        .iter()
        .map(|table| {
            Columns::find(&table.headers)
                .map_err(|problem| not_findings(path, table.sheet.clone(), problem))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut findings = FindingsFile {
        path: path.to_path_buf(),
        sha256: hex_sha256(bytes),
        rows: Vec::new(),
        problems: Vec::new(),
        unreviewed: 0,
    };
    let file = path.display().to_string();
    for (table, columns) in tables.iter().zip(&columns) {
        let place = Place {
            file: &file,
            sheet: table.sheet.as_deref(),
        };
        read_table(&place, table, columns, today, &mut findings);
    }
    tracing::debug!(
        file = %file,
        findings = findings.rows.len(),
        problems = findings.problems.len(),
        unreviewed = findings.unreviewed,
        "review file read"
    );
    Ok(findings)
}

fn not_findings(path: &Path, sheet: Option<String>, problem: String) -> IngestError {
    IngestError::NotFindings {
        path: path.to_path_buf(),
        sheet,
        problem,
    }
}
