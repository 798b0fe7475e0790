//! `warnings.parquet` and `warnings.csv` (UTF-8 with BOM): one row per (person, warning),
//! with its status against the history, and the previous run's warnings read back. The
//! person key is the normalised ID: these two files stay in the office; workbooks and the
//! explorer show it masked, and name a warning by its `warning_id` (a salted digest of the
//! key, the same in every run of one state directory).

use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::Column;

use super::files::create_private;
use super::names::WARNINGS_PARQUET;
use super::parquet::{read, text_column};
use super::tables::{optional_date_column, write_parquet};
use super::OutputError;
use crate::rules::warnings::Warning;

/// Columns of both files, in order (the contract's, then the id workbooks carry).
pub const WARNING_COLUMNS: [&str; 11] = [
    "warning",
    "person_key",
    "name",
    "region_code",
    "household_id",
    "signals",
    "evidence",
    "status",
    "first_warned_on",
    "run_id",
    "warning_id",
];

/// A warning with its place in the history.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningRow {
    pub warning: Warning,
    /// Names the warning in workbooks and findings without the ID.
    pub warning_id: String,
    /// `new`, `persisting`, or the latest finding: `enrolled` / `raised` (情况属实),
    /// `dismissed`, `unverifiable`.
    pub status: String,
    pub first_warned_on: NaiveDate,
}

/// A warning of an earlier run, as its `warnings.parquet` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousWarning {
    pub warning: String,
    pub warning_id: String,
    pub region_code: Option<String>,
    pub first_warned_on: Option<NaiveDate>,
}

fn cells(row: &WarningRow, run_id: &str) -> [String; 11] {
    let w = &row.warning;
    [
        w.kind.code().to_string(),
        w.person_key.clone(),
        w.name.clone(),
        w.region_code.clone().unwrap_or_default(),
        w.household_id.clone().unwrap_or_default(),
        w.signals
            .iter()
            .map(|s| s.code())
            .collect::<Vec<_>>()
            .join(";"),
        w.evidence.clone(),
        row.status.clone(),
        row.first_warned_on.format("%Y-%m-%d").to_string(),
        run_id.to_string(),
        row.warning_id.clone(),
    ]
}

pub fn write_warnings_parquet(
    path: &Path,
    rows: &[WarningRow],
    run_id: &str,
) -> Result<(), OutputError> {
    let all: Vec<[String; 11]> = rows.iter().map(|r| cells(r, run_id)).collect();
    let mut columns: Vec<Column> = WARNING_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<Option<String>> = all
                .iter()
                .map(|cells| Some(cells[i].clone()).filter(|v| !v.is_empty()))
                .collect();
            Column::new((*name).into(), values)
        })
        .collect();
    // first_warned_on as a date, like the flags' first_flagged_on.
    let dates: Vec<Option<NaiveDate>> = rows.iter().map(|r| Some(r.first_warned_on)).collect();
    columns[8] =
        optional_date_column("first_warned_on", &dates).map_err(|e| OutputError::write(path, e))?;
    write_parquet(path, columns)
}

pub fn write_warnings_csv(
    path: &Path,
    rows: &[WarningRow],
    run_id: &str,
) -> Result<(), OutputError> {
    let file = create_private(path)?;
    let err = |e: &dyn std::fmt::Display| OutputError::write(path, e);
    let mut buffer = BufWriter::new(&file);
    buffer.write_all(b"\xEF\xBB\xBF").map_err(|e| err(&e))?;
    {
        let mut writer = csv::Writer::from_writer(&mut buffer);
        writer.write_record(WARNING_COLUMNS).map_err(|e| err(&e))?;
        for row in rows {
            writer
                .write_record(cells(row, run_id))
                .map_err(|e| err(&e))?;
        }
        writer.flush().map_err(|e| err(&e))?;
    }
    buffer.flush().map_err(|e| err(&e))?;
    drop(buffer);
    file.sync_all().map_err(|e| err(&e))
}

/// The warnings in `dir`'s `warnings.parquet` (a run directory or a recorded run); none when
/// it has none or cannot be read (a run from before early warning).
pub fn previous_warnings(dir: &Path) -> Vec<PreviousWarning> {
    let path = dir.join(WARNINGS_PARQUET);
    if !crate::rundir::is_file(&path) {
        return Vec::new();
    }
    let read_back = || -> Result<Vec<PreviousWarning>, OutputError> {
        let frame = read(&path)?;
        let text = |name: &str| text_column(&frame, name, &path);
        let (warning, ids, regions) = (text("warning")?, text("warning_id")?, text("region_code")?);
        let first = frame
            .column("first_warned_on")
            .ok()
            .and_then(|c| c.cast(&polars::prelude::DataType::String).ok());
        let first: Vec<Option<NaiveDate>> = match first.as_ref().and_then(|c| c.str().ok()) {
            Some(dates) => dates
                .iter()
                .map(|d| d.and_then(crate::model::parse_date))
                .collect(),
            None => vec![None; frame.height()],
        };
        Ok((0..frame.height())
            .map(|i| PreviousWarning {
                warning: warning[i].clone().unwrap_or_default(),
                warning_id: ids[i].clone().unwrap_or_default(),
                region_code: regions[i].clone(),
                first_warned_on: first[i],
            })
            .collect())
    };
    read_back().unwrap_or_else(|e| {
        tracing::warn!(path = %path.display(), error = %e, "previous warnings unreadable; treating every warning as new");
        Vec::new()
    })
}
