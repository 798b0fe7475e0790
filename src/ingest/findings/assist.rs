//! A registry office's answer to an assistance request (协查, `output::assist_request`): the
//! sheet 协查 of a workbook, or a CSV, with 记录编号, the hidden 来源代码 and the 身份证号 the
//! office wrote in. Recognised by that sheet (or those three columns), so `review import`
//! takes it beside the township workbooks; anything else is left to `read_findings`.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto_from_rs, Reader};

use super::columns::{col, fold};
use super::tables::{csv_table, sheet_table};
use super::Kind;
use crate::config::hex_sha256;
use crate::ingest::format::read_file;
use crate::ingest::table::{Cell, RawRow};
use crate::ingest::IngestError;

/// One row of an answered request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistAnswer {
    /// The worksheet; `None` for CSV.
    pub sheet: Option<String>,
    /// The row as the spreadsheet numbers it.
    pub row: usize,
    /// The registry's code (`death`, `vehicle`, …).
    pub source: String,
    pub record_id: String,
    /// The ID as the office wrote it; `None` while blank.
    pub id_number: Option<String>,
}

/// An answered request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistAnswers {
    pub path: PathBuf,
    /// sha256 of the file's bytes (hex).
    pub sha256: String,
    pub rows: Vec<AssistAnswer>,
}

/// The answer in `path`, if it is an assistance request; `Ok(None)` for any other file,
/// readable or not (`read_findings` then reads it or says why it cannot).
pub fn read_assist_answers(path: &Path) -> Result<Option<AssistAnswers>, IngestError> {
    let Ok(kind) = Kind::of(path) else {
        return Ok(None);
    };
    let bytes = read_file(path)?;
    let table = match kind {
        Kind::Csv => csv_table(path, &bytes)
            .ok()
            .map(|table| (None, table.headers, table.rows)),
        Kind::Workbook => request_sheet(&bytes),
    };
    let Some((sheet, headers, rows)) = table else {
        return Ok(None);
    };
    let find = |key: &str, english: &str| {
        headers
            .iter()
            .position(|h| fold(h) == fold(key) || fold(h) == english)
    };
    let (Some(record), Some(source), Some(id)) = (
        find(col::RECORD_ID, "record_id"),
        find(col::SOURCE_CODE, "source"),
        find(col::ID_NUMBER, "id_number"),
    ) else {
        return Ok(None);
    };
    let cell = |row: &RawRow, i: usize| {
        let text = row.cells.get(i).map(Cell::display).unwrap_or_default();
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_string())
    };
    let rows = rows
        .iter()
        .filter_map(|row| {
            Some(AssistAnswer {
                sheet: sheet.clone(),
                row: row.row,
                record_id: cell(row, record)?,
                source: cell(row, source)?,
                id_number: cell(row, id),
            })
        })
        .collect();
    Ok(Some(AssistAnswers {
        path: path.to_path_buf(),
        sha256: hex_sha256(&bytes),
        rows,
    }))
}

/// The sheet 协查 of a workbook: its name, header and rows; `None` when the workbook has no
/// such sheet or cannot be opened.
fn request_sheet(bytes: &[u8]) -> Option<(Option<String>, Vec<String>, Vec<RawRow>)> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes)).ok()?;
    let range = workbook.worksheet_range(col::ASSIST_SHEET).ok()?;
    let (headers, rows) = sheet_table(&range, col::RECORD_ID)?;
    Some((Some(col::ASSIST_SHEET.to_string()), headers, rows))
}
