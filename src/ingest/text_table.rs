//! Any table as text, for `rollcheck link`: CSV straight into `TextColumns` (no string per
//! cell), XLSX and Parquet through `RawTable`.

use std::path::Path;

use super::format::{gunzip, raw_table, read_bytes, unreadable, Format};
use super::table::{TextColumn, TextColumns};
use super::IngestError;

/// Any table as text, for `rollcheck link`: headers as written, and per column each cell
/// trimmed (blank is `None`). Rows with the wrong number of fields are an error naming the row.
pub struct TextTable {
    pub headers: Vec<String>,
    columns: Vec<TextColumn>,
    rows: usize,
}

impl TextTable {
    /// The values of the column whose header (trimmed) is `name`, blank cells as `None`.
    pub fn column(&self, name: &str) -> Option<Vec<Option<&str>>> {
        let column = &self.columns[self.headers.iter().position(|h| h.trim() == name)?];
        Some((0..column.len()).map(|row| column.get(row)).collect())
    }

    /// The number of data rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

pub fn read_text_table(path: &Path) -> Result<TextTable, IngestError> {
    let (bytes, format) = read_bytes(path)?;
    let table = match format {
        Format::Csv => TextColumns::from_csv(&bytes),
        Format::CsvGz => TextColumns::from_csv(&gunzip(path, &bytes)?),
        Format::Parquet | Format::Xlsx => {
            TextColumns::from_raw(raw_table(path, &bytes, format, None)?)
        }
    }
    .map_err(|message| unreadable(path, message))?;
    Ok(TextTable {
        rows: table.columns.first().map_or(0, TextColumn::len),
        headers: table.headers,
        columns: table.columns,
    })
}
