//! The tables a findings file holds: a CSV's one, or each worksheet with a 户编号 header
//! (its header found among the first rows, its rows numbered as the spreadsheet shows them).

use std::io::Cursor;
use std::path::Path;

use calamine::{open_workbook_auto_from_rs, Data, Range, Reader, SheetType};

use super::columns::{col, is_header_of};
use super::not_findings;
use crate::ingest::format::unreadable;
use crate::ingest::table::{self, Cell, RawRow};
use crate::ingest::{read_csv, IngestError};

/// A clerk may put a title or a note above the header; rollcheck itself writes it in row 1.
const HEADER_SEARCH_ROWS: usize = 10;

/// One sheet with a 户编号 header, or the CSV: the rows findings are read from.
pub(super) struct Table {
    /// `None` for CSV.
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<RawRow>,
}

pub(super) fn csv_table(path: &Path, bytes: &[u8]) -> Result<Table, IngestError> {
    let table = read_csv(bytes).map_err(|message| unreadable(path, message))?;
    Ok(Table {
        sheet: None,
        headers: table.headers,
        rows: table.rows,
    })
}

/// Every worksheet with a 户编号 header, hidden sheets and hidden rows included: a clerk's
/// filter hides rows, it does not take their findings back.
pub(super) fn workbook_tables(path: &Path, bytes: &[u8]) -> Result<Vec<Table>, IngestError> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|err| {
        unreadable(
            path,
            format!("not a readable workbook (corrupt or password-protected?): {err}"),
        )
    })?;
    let names: Vec<String> = workbook
        .sheets_metadata()
        .iter()
        .filter(|sheet| sheet.typ == SheetType::WorkSheet)
        .map(|sheet| sheet.name.clone())
        .collect();
    let mut tables = Vec::new();
    for name in names {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|err| unreadable(path, format!("sheet `{name}`: {err}")))?;
        if let Some((headers, rows)) = sheet_table(&range, col::HOUSEHOLD_ID) {
            tables.push(Table {
                sheet: Some(name),
                headers,
                rows,
            });
        } else {
            tracing::debug!(sheet = %name, "no 户编号 header; sheet skipped");
        }
    }
    if tables.is_empty() {
        return Err(not_findings(
            path,
            None,
            format!(
                "not a review workbook: no sheet has a {} column",
                col::HOUSEHOLD_ID
            ),
        ));
    }
    Ok(tables)
}

/// The header (the first row, among the sheet's first ten, with a cell heading the column
/// `key`) and the rows below it, each numbered as the spreadsheet shows it; `None` when there
/// is no such header.
pub(super) fn sheet_table(range: &Range<Data>, key: &str) -> Option<(Vec<String>, Vec<RawRow>)> {
    // The range starts at the first used row, which need not be row 1.
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let mut cells: Vec<Vec<Cell>> = range
        .rows()
        .map(|row| row.iter().map(table::xlsx_cell).collect())
        .collect();
    let header_at = cells
        .iter()
        .take(HEADER_SEARCH_ROWS.saturating_sub(first_row))
        .position(|row| row.iter().any(|cell| is_header_of(&cell.display(), key)))?;
    let rows = cells
        .split_off(header_at + 1)
        .into_iter()
        .enumerate()
        .map(|(index, cells)| RawRow {
            row: first_row + header_at + index + 2,
            cells,
            problem: None,
        })
        .collect();
    let headers = cells[header_at].iter().map(Cell::display).collect();
    Some((headers, rows))
}
