//! Reads a CSV, XLSX or Parquet file into one shape, a `RawTable` of header + cells, so that
//! row parsing and quarantine are written once for every format.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};
use chrono::NaiveDate;
use polars::prelude::{DataType, ParquetReader, SerReader};

use super::decode::{decode_text, Decoded};

/// A cell as the file holds it. Only XLSX distinguishes numbers and dates.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    /// A spreadsheet error value such as `#REF!`.
    Error(String),
}

impl Cell {
    /// The cell as a person would read it in the file (for quarantine's `raw`).
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) | Cell::Error(text) => text.clone(),
            Cell::Number(number) => format_number(*number),
            Cell::Date(date) => date.format("%Y-%m-%d").to_string(),
        }
    }
}

/// Formats a number the way Excel's General format shows it: large values lose digits and
/// turn into `4.11526E+17`, which is exactly why ID cells must never be numbers.
pub fn format_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e11 {
        // Within the exact integer range of f64; the cast only drops the `.0`.
        #[allow(clippy::cast_possible_truncation)]
        return (number as i64).to_string();
    }
    if number.abs() >= 1e11 {
        let scientific = format!("{number:.5E}");
        return match scientific.split_once('E') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                format!(
                    "{}E+{exponent}",
                    mantissa.trim_end_matches('0').trim_end_matches('.')
                )
            }
            _ => scientific,
        };
    }
    number.to_string()
}

/// One data row; `row` is the 1-based row number a person sees (the header is row 1).
#[derive(Debug, Clone)]
pub struct RawRow {
    pub row: usize,
    pub cells: Vec<Cell>,
    /// Set when the row cannot be read at all (wrong field count).
    pub problem: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RawTable {
    pub headers: Vec<String>,
    pub rows: Vec<RawRow>,
    /// `utf-8`, `gb18030`, … for text files; `xlsx` / `parquet` otherwise.
    pub encoding: String,
    pub replacement_chars: usize,
}

/// Parses decoded CSV text. Rows with a field count unlike the header are kept with a problem.
pub fn read_csv(bytes: &[u8]) -> Result<RawTable, String> {
    whole(bytes, read_csv_in_pieces)
}

/// A reader of a file's bytes in pieces of at most so many rows, each handed to the callback.
type ReadInPieces = fn(&[u8], usize, &mut dyn FnMut(RawTable)) -> Result<(), String>;

/// A file read in one piece by `read_in_pieces`, which hands on at least one table.
fn whole(bytes: &[u8], read_in_pieces: ReadInPieces) -> Result<RawTable, String> {
    let mut whole = None;
    read_in_pieces(bytes, usize::MAX, &mut |table| whole = Some(table))?;
    Ok(whole.expect("a file read in pieces is at least one piece"))
}

/// `read_csv` in pieces of at most `rows_per_piece` rows, so that a caller can use and drop
/// each piece before the next is parsed. Every piece has the header and encoding, and rows
/// keep the numbers they have in the whole file; a file without data rows is one empty piece.
pub fn read_csv_in_pieces(
    bytes: &[u8],
    rows_per_piece: usize,
    each: &mut dyn FnMut(RawTable),
) -> Result<(), String> {
    let Decoded {
        text,
        encoding,
        replacement_chars,
    } = decode_text(bytes);
    let mut reader = csv_reader(&text);
    let mut records = reader.records().enumerate();
    let headers = header_row(records.next().map(|(_, record)| record))?;
    let fields = headers.len();
    let shape = RawTable {
        headers,
        rows: Vec::new(),
        encoding: encoding.to_string(),
        replacement_chars,
    };
    let rows = records.map(|(index, record)| raw_row(index + 1, record, fields));
    in_pieces(&shape, rows, rows_per_piece, each);
    Ok(())
}

/// Hands `rows` on as tables shaped like `shape` (its headers and encoding), at most
/// `rows_per_piece` rows each; rows are drawn from the iterator only as each piece is
/// made. No rows at all is one empty piece, so the caller still sees the columns.
pub fn in_pieces(
    shape: &RawTable,
    rows: impl Iterator<Item = RawRow>,
    rows_per_piece: usize,
    each: &mut dyn FnMut(RawTable),
) {
    let mut rows = rows.peekable();
    loop {
        let piece: Vec<RawRow> = rows.by_ref().take(rows_per_piece).collect();
        let last = rows.peek().is_none();
        each(RawTable {
            headers: shape.headers.clone(),
            rows: piece,
            encoding: shape.encoding.clone(),
            replacement_chars: shape.replacement_chars,
        });
        if last {
            return;
        }
    }
}

/// Data row `row` (1-based, the header is row 1) of a CSV file with `fields` columns.
fn raw_row(row: usize, record: csv::Result<csv::StringRecord>, fields: usize) -> RawRow {
    match record {
        Ok(record) => {
            let problem = (record.len() != fields).then(|| {
                field_count_problem(record.iter().map(str::as_bytes), record.len(), fields)
            });
            RawRow {
                row,
                cells: record.iter().map(text_cell).collect(),
                problem,
            }
        }
        Err(err) => RawRow {
            row,
            cells: Vec::new(),
            problem: Some(format!("unreadable CSV record: {err}")),
        },
    }
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

fn header_row(first: Option<csv::Result<csv::StringRecord>>) -> Result<Vec<String>, String> {
    match first {
        Some(Ok(record)) => Ok(record.iter().map(str::to_string).collect()),
        Some(Err(err)) => Err(format!("cannot read the header row: {err}")),
        None => Err("the file is empty (no header row)".into()),
    }
}

/// Why a record has the wrong number of fields, in words that point at the cause.
fn field_count_problem<'r>(
    fields: impl Iterator<Item = &'r [u8]>,
    found: usize,
    expected: usize,
) -> String {
    let spanned_lines = fields
        .map(|f| f.split(|b| *b == b'\n').count() - 1)
        .max()
        .unwrap_or(0);
    if spanned_lines > 0 {
        format!(
            "expected {expected} fields, found {found}: a quoted field runs over {} line(s), probably an unclosed quote",
            spanned_lines + 1
        )
    } else {
        format!("expected {expected} fields, found {found}")
    }
}

/// One column of a `TextTable`: every cell's trimmed text, end to end in one buffer, so
/// that a million cells are one allocation and are read in row order from memory.
#[derive(Debug, Default)]
pub struct TextColumn {
    text: String,
    /// Per row, where its cell ends in `text` (it starts where the previous one ends).
    ends: Vec<usize>,
}

impl TextColumn {
    /// A row's cell, `None` when blank.
    pub fn get(&self, row: usize) -> Option<&str> {
        let start = row.checked_sub(1).map_or(0, |previous| self.ends[previous]);
        let cell = &self.text[start..self.ends[row]];
        (!cell.is_empty()).then_some(cell)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    fn push(&mut self, cell: &str) {
        self.text.push_str(cell.trim());
        self.ends.push(self.text.len());
    }
}

/// A table as text, column by column; rows with the wrong number of fields are an error
/// naming the row. Used by `rollcheck link`, which takes any table and needs no quarantine.
#[derive(Debug)]
pub struct TextColumns {
    pub headers: Vec<String>,
    pub columns: Vec<TextColumn>,
}

impl TextColumns {
    /// Parses CSV bytes straight into columns: no string per cell.
    pub fn from_csv(bytes: &[u8]) -> Result<TextColumns, String> {
        let text = decode_text(bytes).text;
        let mut reader = csv_reader(&text);
        let headers = header_row(reader.records().next())?;
        let mut columns: Vec<TextColumn> = headers.iter().map(|_| TextColumn::default()).collect();
        let mut record = csv::ByteRecord::new();
        for row in 2.. {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) if record.len() == headers.len() => {
                    for (column, field) in columns.iter_mut().zip(&record) {
                        // Fields split the text at ASCII bytes: they are UTF-8 as it is.
                        let field = std::str::from_utf8(field)
                            .map_err(|err| format!("row {row}: {err}"))?;
                        column.push(field);
                    }
                }
                Ok(true) => {
                    return Err(format!(
                        "row {row}: {}",
                        field_count_problem(record.iter(), record.len(), headers.len())
                    ));
                }
                Err(err) => return Err(format!("row {row}: unreadable CSV record: {err}")),
            }
        }
        Ok(TextColumns { headers, columns })
    }

    /// A raw table's cells as text, as a person would read them in the file.
    pub fn from_raw(table: RawTable) -> Result<TextColumns, String> {
        let mut columns: Vec<TextColumn> = table
            .headers
            .iter()
            .map(|_| TextColumn::default())
            .collect();
        for row in table.rows {
            if let Some(problem) = row.problem {
                return Err(format!("row {}: {problem}", row.row));
            }
            let mut cells = row.cells.iter();
            for column in &mut columns {
                column.push(&cells.next().map(Cell::display).unwrap_or_default());
            }
        }
        Ok(TextColumns {
            headers: table.headers,
            columns,
        })
    }
}

fn text_cell(text: &str) -> Cell {
    if text.trim().is_empty() {
        Cell::Empty
    } else {
        Cell::Text(text.to_string())
    }
}

/// Reads one sheet of a workbook (the named one, else the first).
pub fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<RawTable, String> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|err| format!("not a readable workbook: {err}"))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .cloned()
            .ok_or_else(|| format!("no sheet named `{wanted}` (sheets: {})", names.join(", ")))?,
        None => names.first().cloned().ok_or("the workbook has no sheets")?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|err| format!("sheet `{name}`: {err}"))?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let mut sheet_rows = range.rows();
    let headers: Vec<String> = sheet_rows
        .next()
        .ok_or_else(|| format!("sheet `{name}` is empty (no header row)"))?
        .iter()
        .map(|cell| xlsx_cell(cell).display())
        .collect();
    let rows = sheet_rows
        .enumerate()
        .map(|(index, cells)| RawRow {
            row: first_row + index + 2,
            cells: cells.iter().map(xlsx_cell).collect(),
            problem: None,
        })
        .filter(|row| row.cells.iter().any(|c| *c != Cell::Empty))
        .collect();
    Ok(RawTable {
        headers,
        rows,
        encoding: "xlsx".into(),
        replacement_chars: 0,
    })
}

pub(super) fn xlsx_cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text_cell(text),
        #[allow(clippy::cast_precision_loss)]
        Data::Int(number) => Cell::Number(*number as f64),
        Data::Float(number) => Cell::Number(*number),
        Data::Bool(value) => Cell::Text(value.to_string()),
        Data::DateTime(datetime) => datetime.as_datetime().map_or_else(
            || Cell::Error("invalid date".into()),
            |dt| Cell::Date(dt.date()),
        ),
        Data::Error(err) => Cell::Error(format!("#{err:?}")),
    }
}

/// Reads a Parquet file; every column is cast to text so that one parser serves all formats.
pub fn read_parquet(bytes: &[u8]) -> Result<RawTable, String> {
    whole(bytes, read_parquet_in_pieces)
}

/// `read_parquet` in pieces of at most `rows_per_piece` rows, each decoded from the row
/// groups it overlaps only (issue 32: a province's extract in one Parquet file of tens of
/// millions of rows, read whole as text cells, took several times the file's size before
/// its first row was used). Rows keep the numbers they have in the whole file; a file
/// without rows is one empty piece.
pub fn read_parquet_in_pieces(
    bytes: &[u8],
    rows_per_piece: usize,
    each: &mut dyn FnMut(RawTable),
) -> Result<(), String> {
    let unreadable =
        |err: polars::prelude::PolarsError| format!("not a readable Parquet file: {err}");
    let mut reader = ParquetReader::new(Cursor::new(bytes));
    let metadata = reader.get_metadata().map_err(unreadable)?.clone();
    let total = metadata.num_rows;
    let rows_per_piece = rows_per_piece.max(1);
    let mut offset = 0;
    loop {
        let mut reader = ParquetReader::new(Cursor::new(bytes));
        reader.set_metadata(metadata.clone());
        let length = rows_per_piece.min(total - offset);
        let frame = reader
            .with_slice(Some((offset, length)))
            .finish()
            .map_err(unreadable)?;
        each(raw_table_of(&frame, offset)?);
        offset += length;
        if offset >= total {
            return Ok(());
        }
    }
}

/// A frame's cells as text, its rows numbered from `first` (0-based) as the file's data rows.
fn raw_table_of(frame: &polars::prelude::DataFrame, first: usize) -> Result<RawTable, String> {
    let headers: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut rows: Vec<RawRow> = (0..frame.height())
        .map(|index| RawRow {
            row: first + index + 2,
            cells: Vec::with_capacity(headers.len()),
            problem: None,
        })
        .collect();
    for column in frame.columns() {
        let text = column
            .cast(&DataType::String)
            .map_err(|err| format!("column `{}` cannot be read as text: {err}", column.name()))?;
        let text = text.str().map_err(|err| err.to_string())?;
        for (row, value) in rows.iter_mut().zip(text.iter()) {
            row.cells.push(value.map_or(Cell::Empty, text_cell));
        }
    }
    Ok(RawTable {
        headers,
        rows,
        encoding: "parquet".into(),
        replacement_chars: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Parquet file of several row groups, read in pieces that cut across them, gives the
    /// rows, cells and row numbers of reading it whole; an empty file is one empty piece.
    #[test]
    fn parquet_in_pieces_reads_the_whole_file_in_order() {
        use polars::prelude::{Column, DataFrame, ParquetWriter};
        let parquet = |rows: usize| {
            let ids: Vec<String> = (0..rows).map(|i| format!("R-{i:03}")).collect();
            let amounts: Vec<Option<f64>> = (0..rows)
                .map(|i| (i % 4 != 0).then_some(f64::from(u32::try_from(i).unwrap()) * 1.5))
                .collect();
            let mut frame = DataFrame::new_infer_height(vec![
                Column::new("record_id".into(), ids),
                Column::new("amount".into(), amounts),
            ])
            .unwrap();
            let mut bytes = Vec::new();
            ParquetWriter::new(&mut bytes)
                .with_row_group_size(Some(7))
                .finish(&mut frame)
                .unwrap();
            bytes
        };
        let bytes = parquet(50);
        let whole = read_parquet(&bytes).unwrap();
        assert_eq!(whole.rows.len(), 50);
        assert_eq!(whole.headers, ["record_id", "amount"]);
        for per_piece in [1, 3, 7, 10, 49, 50, 51] {
            let mut pieces = Vec::new();
            read_parquet_in_pieces(&bytes, per_piece, &mut |piece| pieces.push(piece)).unwrap();
            assert_eq!(
                pieces.len(),
                50_usize.div_ceil(per_piece),
                "{per_piece} a piece"
            );
            assert!(pieces.iter().all(|p| p.headers == whole.headers));
            let rows: Vec<&RawRow> = pieces.iter().flat_map(|p| &p.rows).collect();
            assert_eq!(rows.len(), whole.rows.len());
            for (got, want) in rows.iter().zip(&whole.rows) {
                assert_eq!(got.row, want.row);
                assert_eq!(got.cells, want.cells);
            }
        }
        assert_eq!(whole.rows[0].row, 2);
        assert_eq!(whole.rows[49].row, 51);
        let mut pieces = Vec::new();
        read_parquet_in_pieces(&parquet(0), 10, &mut |piece| pieces.push(piece)).unwrap();
        assert_eq!(pieces.len(), 1);
        assert!(pieces[0].rows.is_empty());
        assert_eq!(pieces[0].headers, ["record_id", "amount"]);
    }

    #[test]
    fn large_numbers_print_like_excel() {
        assert_eq!(format_number(411_526_199_001_011_234.0), "4.11526E+17");
        assert_eq!(format_number(110_105_194_912_310_020.0), "1.10105E+17");
        assert_eq!(format_number(2500.0), "2500");
        assert_eq!(format_number(2500.5), "2500.5");
    }

    #[test]
    fn ragged_rows_are_kept_with_a_problem() {
        let table = read_csv(b"a,b\n1,2\n1,2,3\n").unwrap();
        assert_eq!(table.rows.len(), 2);
        assert!(table.rows[0].problem.is_none());
        assert_eq!(table.rows[1].row, 3);
        assert_eq!(
            table.rows[1].problem.as_deref(),
            Some("expected 2 fields, found 3")
        );
    }

    #[test]
    fn pieces_together_are_the_whole_table() {
        let csv = b"a,b\n1,2\n3\n5,6\n7,8\n9,10\n";
        let whole = read_csv(csv).unwrap();
        for rows_per_piece in 1..=6 {
            let mut pieces = Vec::new();
            read_csv_in_pieces(csv, rows_per_piece, &mut |t| pieces.push(t)).unwrap();
            assert_eq!(
                pieces.len(),
                5usize.div_ceil(rows_per_piece),
                "{rows_per_piece}"
            );
            assert!(pieces.iter().all(|p| p.headers == whole.headers));
            let rows: Vec<(usize, String, Option<String>)> = pieces
                .iter()
                .flat_map(|p| &p.rows)
                .map(|r| (r.row, format!("{:?}", r.cells), r.problem.clone()))
                .collect();
            let expected: Vec<(usize, String, Option<String>)> = whole
                .rows
                .iter()
                .map(|r| (r.row, format!("{:?}", r.cells), r.problem.clone()))
                .collect();
            assert_eq!(rows, expected, "{rows_per_piece} rows a piece");
        }
        // A header alone is one empty piece, so the caller still sees the columns.
        let mut pieces = Vec::new();
        read_csv_in_pieces(b"a,b\n", 3, &mut |t| pieces.push(t)).unwrap();
        assert_eq!(pieces.len(), 1);
        assert!(pieces[0].rows.is_empty() && pieces[0].headers == ["a", "b"]);
    }

    #[test]
    fn text_columns_hold_trimmed_cells_and_blanks() {
        let table =
            TextColumns::from_csv("id,name\n1, 张三 \n2,\"李,四\"\n3,\n".as_bytes()).unwrap();
        assert_eq!(table.headers, ["id", "name"]);
        let name = &table.columns[1];
        let cells: Vec<Option<&str>> = (0..name.len()).map(|row| name.get(row)).collect();
        assert_eq!(cells, [Some("张三"), Some("李,四"), None]);
    }

    #[test]
    fn text_columns_name_a_ragged_row() {
        let err = TextColumns::from_csv(b"a,b\n1,2\n1,2,3\n").unwrap_err();
        assert_eq!(err, "row 3: expected 2 fields, found 3");
    }

    #[test]
    fn text_columns_read_gbk() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名\n张三\n");
        let table = TextColumns::from_csv(&gbk).unwrap();
        assert_eq!(table.headers, ["姓名"]);
        assert_eq!(table.columns[0].get(0), Some("张三"));
    }

    #[test]
    fn empty_file_is_an_error() {
        assert!(read_csv(b"").is_err());
    }
}
