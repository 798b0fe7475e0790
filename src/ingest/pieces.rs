//! One source read file by file in pieces of rows, for the roll and every registry alike:
//! each file's columns found once, each wanted piece typed in parallel, unusable rows to
//! quarantine, and per file rows read = used + quarantined (+ skipped, for a shard).

use std::path::Path;

use super::columns::column_index;
use super::fields::{Fields, RowProblem};
use super::format::{raw_tables, read_bytes};
use super::locate;
use super::table::{self, RawRow, RawTable};
use super::{IngestError, InputInfo, QuarantinedRow};
use crate::config::{hex_sha256, SourceSpec};
use crate::model::Source;

/// Longest field we accept: an address is the longest real value; beyond this it is a broken
/// export (a runaway quote, a blob pasted into a cell).
const MAX_FIELD_BYTES: usize = 4096;

/// Rows parsed at a time when a source is read whole: the raw cells of a piece are dropped
/// once its rows are typed, so reading never holds a whole file's raw cells (for a province
/// roll, about a gigabyte).
pub(super) const ROWS_PER_PIECE: usize = 100_000;

/// Finds, reads and parses one source, file by file, handing its parsed rows to `each`
/// (with the number of their file among the source's files) in pieces of at most
/// `rows_per_piece` rows; unusable rows go to `quarantine`. Returns one input record per
/// file, with rows read, used and quarantined.
pub(super) fn read_source_in_pieces<T: Send>(
    source: Source,
    spec: &SourceSpec,
    base: &Path,
    rows_per_piece: usize,
    parse: ParseRow<T>,
    quarantine: &mut Vec<QuarantinedRow>,
    pieces: &mut Pieces<T>,
) -> Result<Vec<InputInfo>, IngestError> {
    let mut inputs: Vec<InputInfo> = Vec::new();
    let files = locate::files(source, spec, base)?;
    let several = files.len() > 1;
    for (file_idx, path) in files.into_iter().enumerate() {
        let rows_before: usize = inputs.iter().map(|i| i.rows_read).sum();
        // A row's own id when its source has none: `<source>:<row>`, with the file's name
        // between when the source has several files.
        let id_prefix = match path.file_name().filter(|_| several) {
            Some(file) => format!("{source}:{}", file.to_string_lossy()),
            None => source.code().to_string(),
        };
        let file = SourceFile {
            source,
            spec,
            path: &path,
            id_prefix: &id_prefix,
        };
        let info = read_file_in_pieces(
            &file,
            rows_per_piece,
            parse,
            quarantine,
            pieces.wanted,
            &mut |rows| (pieces.each)(file_idx, rows_before, rows),
        )?;
        inputs.push(info);
    }
    Ok(inputs)
}

/// Where a source's pieces go: `wanted` is asked before each piece is parsed (a shard
/// leaves others' pieces unparsed: their rows are counted, not typed) and `each` gets each
/// wanted piece with its file's number among the source's files and the rows of the
/// source's earlier files.
pub(super) struct Pieces<'a, T> {
    pub wanted: &'a mut dyn FnMut() -> bool,
    pub each: &'a mut dyn FnMut(usize, usize, Vec<T>),
}

/// One file of a source, and what its rows are read with.
struct SourceFile<'a> {
    source: Source,
    spec: &'a SourceSpec,
    path: &'a Path,
    /// Generated record ids start with this (`<source>` or `<source>:<file>`).
    id_prefix: &'a str,
}

/// One file of a source, read on its own terms (format, encoding, headers, sheet).
fn read_file_in_pieces<T: Send>(
    file: &SourceFile,
    rows_per_piece: usize,
    parse: ParseRow<T>,
    quarantine: &mut Vec<QuarantinedRow>,
    wanted: &mut dyn FnMut() -> bool,
    each: &mut dyn FnMut(Vec<T>),
) -> Result<InputInfo, IngestError> {
    let SourceFile {
        source, spec, path, ..
    } = *file;
    let (bytes, format) = read_bytes(path)?;
    let mut info = InputInfo {
        source,
        path: path.display().to_string(),
        sha256: hex_sha256(&bytes),
        format: format.name().into(),
        encoding: String::new(),
        replacement_chars: 0,
        rows_read: 0,
        rows_used: 0,
        rows_quarantined: 0,
        rows_skipped: 0,
    };
    let mut index = None;
    let mut failure = None;
    raw_tables(
        path,
        &bytes,
        format,
        spec.sheet.as_deref(),
        rows_per_piece,
        &mut |table| {
            if failure.is_some() {
                return;
            }
            if index.is_none() {
                info.encoding.clone_from(&table.encoding);
                info.replacement_chars = table.replacement_chars;
                match column_index(source, &table, spec, &info.path) {
                    Ok(found) => index = Some(found),
                    Err(err) => {
                        failure = Some(err);
                        return;
                    }
                }
            }
            info.rows_read += table.rows.len();
            if !wanted() {
                info.rows_skipped += table.rows.len();
                return;
            }
            let index = index.as_deref().expect("the columns were found above");
            let rows = parse_rows(file, &table, index, &info, parse, quarantine);
            info.rows_used += rows.len();
            // The raw cells are not needed once typed; let them go before the piece is used.
            drop(table);
            each(rows);
        },
    )?;
    if let Some(err) = failure {
        return Err(err);
    }
    info.rows_quarantined = info.rows_read - info.rows_used - info.rows_skipped;
    Ok(info)
}

pub(super) type ParseRow<'a, T> = &'a (dyn Fn(&Fields) -> Result<T, RowProblem> + Sync);

/// Types a piece's rows, in parallel (a province's registries are tens of millions of rows),
/// keeping row order; unusable rows go to `quarantine` in row order.
fn parse_rows<T: Send>(
    file: &SourceFile,
    table: &RawTable,
    index: &[(&'static str, usize)],
    info: &InputInfo,
    parse: ParseRow<T>,
    quarantine: &mut Vec<QuarantinedRow>,
) -> Vec<T> {
    use rayon::prelude::*;
    let id_prefix = file.id_prefix;
    let results: Vec<Result<T, RowProblem>> = table
        .rows
        .par_iter()
        .map(|row| {
            let fields = Fields {
                row,
                index,
                id_prefix,
            };
            row_problem(row).map_or_else(|| parse(&fields), Err)
        })
        .collect();
    let mut parsed = Vec::with_capacity(table.rows.len());
    for (row, result) in table.rows.iter().zip(results) {
        match result {
            Ok(value) => parsed.push(value),
            Err(problem) => quarantine.push(QuarantinedRow {
                source: file.source,
                file: info.path.clone(),
                row: row.row,
                column: problem.column.map(str::to_string),
                problem: problem.problem,
                raw: row
                    .cells
                    .iter()
                    .map(table::Cell::display)
                    .collect::<Vec<_>>()
                    .join(","),
            }),
        }
    }
    parsed
}

/// Whether a cell holds a NUL or a U+FFFD (bytes that did not decode), in one pass over its
/// bytes: every cell of every row is checked, and two `contains` searches per cell were 3% of
/// a province run. U+FFFD is EF BF BD in UTF-8, and EF only ever starts a character.
fn garbled(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == 0 || (b == 0xEF && bytes[i + 1..].starts_with(&[0xBF, 0xBD])))
}

/// Problems that make a whole row unreadable, before any column is parsed.
fn row_problem(row: &RawRow) -> Option<RowProblem> {
    if let Some(problem) = &row.problem {
        return Some(RowProblem::of_row(problem.clone()));
    }
    let garbled = row
        .cells
        .iter()
        .any(|c| matches!(c, table::Cell::Text(t) if garbled(t)));
    if garbled {
        return Some(RowProblem::of_row(
            "undecodable bytes or NUL characters in the row".into(),
        ));
    }
    let longest = row
        .cells
        .iter()
        .map(|c| {
            if let table::Cell::Text(t) = c {
                t.len()
            } else {
                0
            }
        })
        .max()
        .unwrap_or(0);
    (longest > MAX_FIELD_BYTES).then(|| {
        RowProblem::of_row(format!(
            "a field is {longest} bytes long; no value of a roll or registry exceeds {MAX_FIELD_BYTES}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::garbled;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn garbled_is_a_nul_or_a_replacement_character(text in "[a-z张￥Ａ\u{FFFD}\u{FEFF}\u{EFBF}\0 ]{0,12}") {
            prop_assert_eq!(garbled(&text), text.contains('\u{FFFD}') || text.contains('\0'));
        }
    }

    #[test]
    fn near_misses_are_not_garbled() {
        // U+FEFF is EF BB BF, U+EFBF is EE BE BF: neither is EF BF BD.
        assert!(!garbled("\u{FEFF}张三\u{EFBF}"));
        assert!(garbled("张\u{FFFD}"));
        assert!(garbled("a\0"));
        assert!(!garbled(""));
    }
}
