//! Reading a run directory's Parquet tables back: a whole frame, one column as text or numbers,
//! each error naming the file and the column.

use std::path::Path;

use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

use super::OutputError;

/// A Parquet file of a run directory, whole.
pub fn read(path: &Path) -> Result<DataFrame, OutputError> {
    let file = std::fs::File::open(path).map_err(|e| OutputError::read(path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| OutputError::read(path, e))
}

/// One column of a frame as optional text (numbers are printed as polars formats them).
pub fn text_column(
    frame: &DataFrame,
    name: &str,
    path: &Path,
) -> Result<Vec<Option<String>>, OutputError> {
    let column = frame
        .column(name)
        .and_then(|c| c.cast(&DataType::String))
        .map_err(|e| OutputError::read(path, format!("column `{name}`: {e}")))?;
    let text = column.str().map_err(|e| OutputError::read(path, e))?;
    Ok(text.iter().map(|v| v.map(str::to_string)).collect())
}

pub fn float_column(frame: &DataFrame, name: &str, path: &Path) -> Result<Vec<f64>, OutputError> {
    let column = frame
        .column(name)
        .and_then(|c| c.cast(&DataType::Float64))
        .map_err(|e| OutputError::read(path, format!("column `{name}`: {e}")))?;
    let values = column.f64().map_err(|e| OutputError::read(path, e))?;
    Ok(values.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// One column of a frame as whole numbers, every row holding one (indices and counts a run
/// wrote itself).
pub fn u64_column(frame: &DataFrame, name: &str, path: &Path) -> Result<Vec<u64>, OutputError> {
    let column = frame
        .column(name)
        .and_then(|c| c.cast(&DataType::UInt64))
        .map_err(|e| OutputError::read(path, format!("column `{name}`: {e}")))?;
    let values = column.u64().map_err(|e| OutputError::read(path, e))?;
    values
        .iter()
        .map(|v| v.ok_or_else(|| OutputError::read(path, format!("column `{name}`: empty cell"))))
        .collect()
}
