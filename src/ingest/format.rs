//! A file's bytes and its format (by extension), read into `RawTable`s whole or in pieces.

use std::path::Path;

use super::table::{self, RawTable};
use super::{decode, IngestError};

pub(super) fn raw_table(
    path: &Path,
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
) -> Result<RawTable, IngestError> {
    match format {
        Format::Parquet => table::read_parquet(bytes),
        Format::Xlsx => table::read_xlsx(bytes, sheet),
        Format::Csv => table::read_csv(bytes),
        Format::CsvGz => table::read_csv(&gunzip(path, bytes)?),
    }
    .map_err(|message| unreadable(path, message))
}

/// `raw_table` in pieces of at most `rows_per_piece` rows (see `table::read_csv_in_pieces`).
/// CSV and Parquet are read piece by piece; XLSX is read whole (a sheet holds at most about
/// a million rows), then handed on in pieces.
pub(super) fn raw_tables(
    path: &Path,
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
    rows_per_piece: usize,
    each: &mut dyn FnMut(RawTable),
) -> Result<(), IngestError> {
    match format {
        Format::Csv => table::read_csv_in_pieces(bytes, rows_per_piece, each),
        Format::CsvGz => table::read_csv_in_pieces(&gunzip(path, bytes)?, rows_per_piece, each),
        Format::Parquet => table::read_parquet_in_pieces(bytes, rows_per_piece, each),
        Format::Xlsx => {
            let mut whole = raw_table(path, bytes, format, sheet)?;
            let rows = std::mem::take(&mut whole.rows);
            table::in_pieces(&whole, rows.into_iter(), rows_per_piece, each);
            Ok(())
        }
    }
    .map_err(|message| unreadable(path, message))
}

/// A file's format, by its extension; anything else is read as CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Parquet,
    Xlsx,
    CsvGz,
    Csv,
}

impl Format {
    pub(super) fn name(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Xlsx => "xlsx",
            Format::CsvGz => "csv.gz",
            Format::Csv => "csv",
        }
    }
}

pub(super) fn unreadable(path: &Path, message: String) -> IngestError {
    IngestError::Unreadable {
        path: path.to_path_buf(),
        message,
    }
}

/// A file's bytes as stored, and its format.
pub(super) fn read_bytes(path: &Path) -> Result<(Vec<u8>, Format), IngestError> {
    let bytes = read_file(path)?;
    let format = match extension(path).as_deref() {
        Some("parquet") => Format::Parquet,
        Some("xlsx" | "xls") => Format::Xlsx,
        Some("gz") => Format::CsvGz,
        _ => Format::Csv,
    };
    Ok((bytes, format))
}

/// A file's bytes as stored.
pub(super) fn read_file(path: &Path) -> Result<Vec<u8>, IngestError> {
    std::fs::read(path).map_err(|err| unreadable(path, err.to_string()))
}

/// A file's extension in lower case (`XLSX` and `xlsx` are one format).
pub(super) fn extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

pub(super) fn gunzip(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, IngestError> {
    decode::gunzip(bytes).map_err(|err| unreadable(path, format!("bad gzip data: {err}")))
}
