//! Programme standards tables (`[programmes.X] standards = "standards.csv"`): CSV or XLSX
//! with columns `programme, region, from, per_capita_standard_yuan` (or 救助类型,
//! 行政区划代码, 执行日期, 保障标准), joined with the pipeline's inline entries into one
//! `Standards`. A standards table is part of the pipeline: any problem in it is a pipeline
//! error naming the file, row and column.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::format::{raw_table, read_bytes};
use super::table::{format_number, Cell, RawTable};
use super::IngestError;
use crate::config::standards::{check_region, RegionalStandard, Standards};
use crate::config::Pipeline;
use crate::model::{parse_date, Programme};

/// The columns of a standards table: contract name and the Chinese header.
const COLUMNS: [(&str, &str); 4] = [
    ("programme", "救助类型"),
    ("region", "行政区划代码"),
    ("from", "执行日期"),
    ("per_capita_standard_yuan", "保障标准"),
];

/// Every regional standard the pipeline names, inline and in tables.
pub fn load_standards(pipeline: &Pipeline) -> Result<Standards, IngestError> {
    let mut entries: Vec<RegionalStandard> = pipeline
        .programmes
        .values()
        .flat_map(|spec| spec.standards.iter().cloned())
        .collect();
    // A table named under several programmes is read once; each row says its programme.
    let files: BTreeSet<&PathBuf> = pipeline
        .programmes
        .values()
        .filter_map(|spec| spec.standards_file.as_ref())
        .collect();
    for file in files {
        entries.extend(read_table(file)?);
    }
    Standards::new(entries).map_err(|message| IngestError::Standards {
        path: pipeline.file.clone(),
        message,
    })
}

fn problem(path: &Path, message: String) -> IngestError {
    IngestError::Standards {
        path: path.to_path_buf(),
        message,
    }
}

fn read_table(path: &Path) -> Result<Vec<RegionalStandard>, IngestError> {
    let (bytes, format) = read_bytes(path).map_err(|e| problem(path, e.to_string()))?;
    let table: RawTable =
        raw_table(path, &bytes, format, None).map_err(|e| problem(path, e.to_string()))?;
    let header = |(code, zh): (&str, &str)| {
        table
            .headers
            .iter()
            .position(|h| {
                let h = h.trim();
                h.eq_ignore_ascii_case(code) || h == zh
            })
            .ok_or_else(|| {
                problem(
                    path,
                    format!(
                        "missing column `{code}` ({zh}) (headers found: {})",
                        table.headers.join(", ")
                    ),
                )
            })
    };
    let columns: Vec<usize> = COLUMNS.into_iter().map(header).collect::<Result<_, _>>()?;
    let mut entries = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let at = |i: usize| row.cells.get(columns[i]).unwrap_or(&Cell::Empty);
        let bad = |i: usize, what: &str| {
            problem(
                path,
                format!(
                    "row {}, column `{}`: {what}: `{}`",
                    row.row,
                    table.headers[columns[i]].trim(),
                    at(i).display()
                ),
            )
        };
        if row.cells.iter().all(|c| c.display().trim().is_empty()) {
            continue;
        }
        let programme = Programme::parse(&at(0).display())
            .ok_or_else(|| bad(0, &format!("not a programme ({})", Programme::codes())))?;
        let region = match at(1) {
            Cell::Number(n) => format_number(*n),
            other => other.display().trim().to_string(),
        };
        check_region(&region).map_err(|message| bad(1, &message))?;
        let from = match at(2) {
            Cell::Date(date) => Some(*date),
            Cell::Number(n) => parse_date(&format_number(*n)),
            other => parse_date(&other.display()),
        }
        .ok_or_else(|| bad(2, "not a date (YYYY-MM-DD)"))?;
        let amount = match at(3) {
            Cell::Number(n) => Some(*n),
            other => other.display().trim().parse::<f64>().ok(),
        }
        .filter(|a| a.is_finite() && *a > 0.0)
        .ok_or_else(|| bad(3, "not a positive amount (yuan a month)"))?;
        entries.push(RegionalStandard {
            programme,
            region,
            from,
            per_capita_standard_yuan: amount,
            origin: format!("{} row {}", path.display(), row.row),
        });
    }
    Ok(entries)
}
