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

use std::io::Cursor;
use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto_from_rs, Data, Range, Reader, SheetType};
use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use super::fields::{Fields, RowProblem};
use super::schema::fold_header;
use super::table::{self, Cell, RawRow};
use super::{parse_date, IngestError};
use crate::config::hex_sha256;
use crate::model::{Action, Reason, Verdict};

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
    let bytes =
        std::fs::read(path).map_err(|err| super::format::unreadable(path, err.to_string()))?;
    read_bytes(path, &bytes, kind, today)
}

/// Column headers as rollcheck writes them; each is also the key a row's cell is read by.
mod col {
    pub const HOUSEHOLD_ID: &str = "户编号";
    pub const REASON: &str = "核查原因";
    pub const REASON_CODE: &str = "原因代码";
    pub const VERDICT: &str = "核查结论";
    pub const REVIEWER: &str = "核查人";
    pub const REVIEWED_ON: &str = "核查日期";
    pub const ACTION: &str = "处理结果";
    pub const NOTE: &str = "备注";
    pub const RECORD_ID: &str = "记录编号";
}

/// Each column with the English name a CSV (or a workbook) may head it with instead.
const COLUMNS: [(&str, &str); 9] = [
    (col::HOUSEHOLD_ID, "household_id"),
    (col::REASON, "reason"),
    (col::REASON_CODE, "reason_code"),
    (col::VERDICT, "verdict"),
    (col::REVIEWER, "reviewer"),
    (col::REVIEWED_ON, "reviewed_on"),
    (col::ACTION, "action"),
    (col::NOTE, "note"),
    (col::RECORD_ID, "record_id"),
];

/// Without one of each group no row can be a finding; either reason column will do.
const REQUIRED: [&[&str]; 5] = [
    &[col::HOUSEHOLD_ID],
    &[col::REASON, col::REASON_CODE],
    &[col::VERDICT],
    &[col::REVIEWER],
    &[col::REVIEWED_ON],
];

/// A clerk may put a title or a note above the header; rollcheck itself writes it in row 1.
const HEADER_SEARCH_ROWS: usize = 10;

/// The reason code and label of a spot check, which is no flag reason.
const SPOT_CHECK: [&str; 2] = ["spot_check", "抽查"];

/// How a file is read, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Csv,
    Workbook,
}

impl Kind {
    fn of(path: &Path) -> Result<Kind, IngestError> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
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

/// One sheet with a 户编号 header, or the CSV: the rows findings are read from.
struct Table {
    /// `None` for CSV.
    sheet: Option<String>,
    headers: Vec<String>,
    rows: Vec<RawRow>,
}

fn csv_table(path: &Path, bytes: &[u8]) -> Result<Table, IngestError> {
    let table =
        super::read_csv(bytes).map_err(|message| super::format::unreadable(path, message))?;
    Ok(Table {
        sheet: None,
        headers: table.headers,
        rows: table.rows,
    })
}

/// Every worksheet with a 户编号 header, hidden sheets and hidden rows included: a clerk's
/// filter hides rows, it does not take their findings back.
fn workbook_tables(path: &Path, bytes: &[u8]) -> Result<Vec<Table>, IngestError> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|err| {
        super::format::unreadable(
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
            .map_err(|err| super::format::unreadable(path, format!("sheet `{name}`: {err}")))?;
        if let Some((headers, rows)) = sheet_table(&range) {
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

/// The header (the first row, among the sheet's first ten, with a 户编号 cell) and the rows
/// below it, each numbered as the spreadsheet shows it; `None` when there is no such header.
fn sheet_table(range: &Range<Data>) -> Option<(Vec<String>, Vec<RawRow>)> {
    // The range starts at the first used row, which need not be row 1.
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let mut cells: Vec<Vec<Cell>> = range
        .rows()
        .map(|row| row.iter().map(table::xlsx_cell).collect())
        .collect();
    let header_at = cells
        .iter()
        .take(HEADER_SEARCH_ROWS.saturating_sub(first_row))
        .position(|row| {
            row.iter()
                .any(|cell| is_header_of(&cell.display(), col::HOUSEHOLD_ID))
        })?;
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

/// A header as compared: NFKC, lower case, no spaces at all (`核查 结论`, `Household_ID`).
fn fold(header: &str) -> String {
    fold_header(header)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Whether `header` heads the column `key` (its Chinese header or its English name).
fn is_header_of(header: &str, key: &str) -> bool {
    let header = fold(header);
    COLUMNS
        .iter()
        .find(|(chinese, _)| *chinese == key)
        .is_some_and(|(chinese, english)| header == fold(chinese) || header == *english)
}

/// Where each known column is in a table's header, and how the file spells its header.
struct Columns<'t> {
    /// Column key → cell index, as `Fields` reads it.
    index: Vec<(&'static str, usize)>,
    headers: &'t [String],
}

impl<'t> Columns<'t> {
    /// The known columns of `headers`; a required one missing, or one headed twice, is the
    /// problem of the whole table.
    fn find(headers: &'t [String]) -> Result<Columns<'t>, String> {
        let mut index = Vec::new();
        for (key, _) in COLUMNS {
            let found: Vec<usize> = (0..headers.len())
                .filter(|i| is_header_of(&headers[*i], key))
                .collect();
            match found.as_slice() {
                [] => {}
                [single] => index.push((key, *single)),
                [first, second, ..] => {
                    return Err(format!(
                        "two columns, `{}` and `{}`, both hold {key}: keep one",
                        headers[*first].trim(),
                        headers[*second].trim()
                    ))
                }
            }
        }
        let columns = Columns { index, headers };
        match REQUIRED
            .iter()
            .find(|group| !group.iter().any(|key| columns.has(key)))
        {
            Some(group) => Err(format!("missing required column {}", spellings(group))),
            None => Ok(columns),
        }
    }

    fn has(&self, key: &str) -> bool {
        self.index.iter().any(|(found, _)| *found == key)
    }

    /// The header of column `key` as the file spells it.
    fn header(&self, key: &str) -> Option<&str> {
        self.index
            .iter()
            .find(|(found, _)| *found == key)
            .map(|(_, i)| self.headers[*i].trim())
    }
}

/// Every accepted header of a group of columns: `核查原因 (or reason, 原因代码, reason_code)`.
fn spellings(group: &[&str]) -> String {
    let mut names = group.iter().flat_map(|key| {
        COLUMNS
            .iter()
            .filter(move |(chinese, _)| chinese == key)
            .flat_map(|(chinese, english)| [*chinese, *english])
    });
    let first = names.next().unwrap_or_default();
    format!("`{first}` (or {})", names.collect::<Vec<_>>().join(", "))
}

/// The file and sheet rows come from, for `FindingRow` and `FindingProblem`.
struct Place<'a> {
    file: &'a str,
    sheet: Option<&'a str>,
}

impl Place<'_> {
    fn problem(&self, row: usize, columns: &Columns, problem: RowProblem) -> FindingProblem {
        FindingProblem {
            file: self.file.to_string(),
            sheet: self.sheet.map(str::to_string),
            row,
            column: problem
                .column
                .map(|key| columns.header(key).unwrap_or(key).to_string()),
            problem: problem.problem,
        }
    }
}

fn read_table(
    place: &Place,
    table: &Table,
    columns: &Columns,
    today: NaiveDate,
    findings: &mut FindingsFile,
) {
    for row in &table.rows {
        match read_row(place, row, columns, today) {
            Ok(Read::Blank) => {}
            Ok(Read::Unreviewed) => findings.unreviewed += 1,
            Ok(Read::Finding(finding)) => findings.rows.push(finding),
            Err(problem) => {
                tracing::debug!(
                    file = place.file,
                    sheet = place.sheet,
                    row = row.row,
                    column = problem.column,
                    "finding rejected"
                );
                findings
                    .problems
                    .push(place.problem(row.row, columns, problem));
            }
        }
    }
}

/// What one row says.
enum Read {
    /// No 户编号: not a row of the list (a blank line, a total).
    Blank,
    /// No finding written yet.
    Unreviewed,
    Finding(FindingRow),
}

fn read_row(
    place: &Place,
    row: &RawRow,
    columns: &Columns,
    today: NaiveDate,
) -> Result<Read, RowProblem> {
    // IDs and notes are read as written; words and dates after NFKC (see `folded_row`).
    let as_written = Fields {
        row,
        index: &columns.index,
        id_prefix: "",
    };
    let Some(household_id) = as_written.text(col::HOUSEHOLD_ID)? else {
        return Ok(Read::Blank);
    };
    if let Some(problem) = &row.problem {
        return Err(RowProblem {
            column: None,
            problem: problem.clone(),
        });
    }
    let folded_row = folded_row(row);
    let folded = Fields {
        row: &folded_row,
        index: &columns.index,
        id_prefix: "",
    };
    // A reviewer or date without a finding is a visit half recorded, not a finding.
    let Some(verdict) = VERDICTS.read(&folded)? else {
        return Ok(Read::Unreviewed);
    };
    Ok(Read::Finding(FindingRow {
        file: place.file.to_string(),
        sheet: place.sheet.map(str::to_string),
        row: row.row,
        subject: subject(&as_written, &folded, columns)?,
        household_id,
        verdict,
        reviewer: folded
            .text(col::REVIEWER)?
            .ok_or_else(|| at(col::REVIEWER, "a finding needs a reviewer (核查人)".into()))?,
        reviewed_on: reviewed_on(&folded, today)?,
        action: ACTIONS.read(&folded)?,
        note: as_written.text(col::NOTE)?,
    }))
}

/// The row with its text in NFKC: full-width digits, letters and spaces (U+3000) become
/// plain, so `２０２５－０７－０３` is a date and a cell of full-width spaces is blank.
fn folded_row(row: &RawRow) -> RawRow {
    let cells = row
        .cells
        .iter()
        .map(|cell| match cell {
            Cell::Text(text) => Cell::Text(text.nfkc().collect()),
            other => other.clone(),
        })
        .collect();
    RawRow {
        row: row.row,
        cells,
        problem: None,
    }
}

fn at(column: &'static str, problem: String) -> RowProblem {
    RowProblem {
        column: Some(column),
        problem,
    }
}

/// A word a clerk picks or types (a finding, an action, a reason), with every space
/// dropped: `情况 属实` is 情况属实. `None` when blank.
fn word(folded: &Fields, column: &'static str) -> Result<Option<String>, RowProblem> {
    Ok(folded
        .text(column)?
        .map(|text| text.chars().filter(|c| !c.is_whitespace()).collect()))
}

/// A vocabulary the clerk picks from by its Chinese labels, and the column holding it.
struct Vocabulary<T: 'static> {
    column: &'static str,
    /// What a value is called in a problem (`unknown finding …`).
    what: &'static str,
    all: &'static [T],
    parse: fn(&str) -> Option<T>,
    label: fn(T) -> &'static str,
}

const VERDICTS: Vocabulary<Verdict> = Vocabulary {
    column: col::VERDICT,
    what: "finding",
    all: Verdict::ALL,
    parse: Verdict::parse,
    label: Verdict::label_zh,
};

const ACTIONS: Vocabulary<Action> = Vocabulary {
    column: col::ACTION,
    what: "action",
    all: Action::ALL,
    parse: Action::parse,
    label: Action::label_zh,
};

impl<T: Copy> Vocabulary<T> {
    /// The row's value; blank is `None`.
    fn read(&self, folded: &Fields) -> Result<Option<T>, RowProblem> {
        let Some(text) = word(folded, self.column)? else {
            return Ok(None);
        };
        (self.parse)(&text).map(Some).ok_or_else(|| {
            at(
                self.column,
                format!(
                    "unknown {} `{text}`: write {}",
                    self.what,
                    self.alternatives()
                ),
            )
        })
    }

    /// `情况属实, 部分属实, 情况不属实 or 无法核实`.
    fn alternatives(&self) -> String {
        let labels: Vec<&str> = self.all.iter().map(|value| (self.label)(*value)).collect();
        match labels.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => labels.concat(),
        }
    }
}

/// What the row is about. The hidden reason code wins over the label: a clerk may retype
/// or translate a label, never the code.
fn subject(as_written: &Fields, folded: &Fields, columns: &Columns) -> Result<Subject, RowProblem> {
    let (column, text) = reason_text(folded, columns)?;
    if SPOT_CHECK
        .iter()
        .any(|spelling| text.eq_ignore_ascii_case(spelling))
    {
        return Ok(Subject::SpotCheck);
    }
    let reason = Reason::known(&text).ok_or_else(|| {
        at(
            column,
            format!(
                "unknown reason `{text}`: write the reason as the workbook gives it (a label \
                 such as {} or a code such as {}) or {}",
                Reason::VehicleOwned.label_zh(),
                Reason::VehicleOwned.code(),
                SPOT_CHECK[1]
            ),
        )
    })?;
    Ok(match as_written.text(col::RECORD_ID)? {
        Some(record_id) => Subject::Lead { reason, record_id },
        None => Subject::Flag(reason),
    })
}

/// The reason as written, and the column it came from: the code when there is one.
fn reason_text(folded: &Fields, columns: &Columns) -> Result<(&'static str, String), RowProblem> {
    if let Some(code) = word(folded, col::REASON_CODE)? {
        return Ok((col::REASON_CODE, code));
    }
    let column = if columns.has(col::REASON) {
        col::REASON
    } else {
        col::REASON_CODE
    };
    let label = word(folded, column)?
        .ok_or_else(|| at(column, "a finding needs a reason (核查原因)".into()))?;
    Ok((column, label))
}

/// 核查日期: a date cell, an Excel serial day, or text in any accepted form; not after `today`.
fn reviewed_on(folded: &Fields, today: NaiveDate) -> Result<NaiveDate, RowProblem> {
    // Excel stores 20250703 typed into a cell as the number 20250703, not a serial day.
    let typed_as_number = folded
        .text(col::REVIEWED_ON)?
        .filter(|text| text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|text| parse_date(&text));
    let date = match typed_as_number {
        Some(date) => date,
        None => folded
            .date(col::REVIEWED_ON)?
            .ok_or_else(|| at(col::REVIEWED_ON, "a finding needs a date (核查日期)".into()))?,
    };
    if date > today {
        return Err(at(
            col::REVIEWED_ON,
            format!("date {date} is in the future"),
        ));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    use tempfile::TempDir;
    use V::{Date, Num, Text};

    /// A cell of a test workbook.
    #[derive(Debug, Clone, Copy)]
    enum V {
        Text(&'static str),
        Num(f64),
        Date(u16, u8, u8),
    }

    /// A row as (header, value) pairs; a header the sheet lacks is not written.
    type Row = Vec<(&'static str, V)>;

    const FLAG_HEADERS: [&str; 15] = [
        "序号",
        "户编号",
        "救助类型",
        "行政区划代码",
        "户主姓名",
        "涉及成员（身份证号已脱敏）",
        "核查原因",
        "风险等级",
        "比对证据",
        "核查结论",
        "核查人",
        "核查日期",
        "处理结果",
        "备注",
        "原因代码",
    ];

    const LEAD_HEADERS: [&str; 14] = [
        "序号",
        "户编号",
        "成员编号",
        "姓名",
        "核查原因",
        "来源",
        "记录编号",
        "匹配概率",
        "比对情况",
        "核查结论",
        "核查人",
        "核查日期",
        "备注",
        "原因代码",
    ];

    const SPOT_HEADERS: [&str; 12] = [
        "序号",
        "户编号",
        "救助类型",
        "行政区划代码",
        "户主姓名",
        "核查原因",
        "核查结论",
        "核查人",
        "核查日期",
        "处理结果",
        "备注",
        "原因代码",
    ];

    #[derive(Default)]
    struct Sheet {
        name: &'static str,
        /// Lines written above the header, one cell each (a title, a note).
        above: Vec<&'static str>,
        headers: Vec<&'static str>,
        rows: Vec<Row>,
        /// Data rows (0-based) hidden as by a filter.
        hidden_rows: Vec<usize>,
    }

    fn sheet(name: &'static str, headers: &[&'static str], rows: Vec<Row>) -> Sheet {
        Sheet {
            name,
            headers: headers.to_vec(),
            rows,
            ..Sheet::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, 10).unwrap()
    }

    fn july_3() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, 3).unwrap()
    }

    /// A row with a complete finding on a vehicle flag.
    fn reviewed(household_id: &'static str) -> Row {
        vec![
            ("户编号", Text(household_id)),
            ("核查原因", Text("名下有机动车")),
            ("原因代码", Text("vehicle_owned")),
            ("核查结论", Text("情况属实")),
            ("核查人", Text("王芳")),
            ("核查日期", Text("2025-07-03")),
        ]
    }

    /// `row` with `header` set to `value` (or removed, for `None`).
    fn with(mut row: Row, header: &'static str, value: Option<V>) -> Row {
        row.retain(|(h, _)| *h != header);
        row.extend(value.map(|v| (header, v)));
        row
    }

    fn write_workbook(dir: &TempDir, sheets: &[Sheet]) -> PathBuf {
        let mut workbook = Workbook::new();
        let date_format = Format::new().set_num_format("yyyy-mm-dd");
        for spec in sheets {
            let worksheet = workbook.add_worksheet();
            worksheet.set_name(spec.name).unwrap();
            let header_row = u32::try_from(spec.above.len()).unwrap();
            for (row, line) in spec.above.iter().enumerate() {
                worksheet
                    .write_string(u32::try_from(row).unwrap(), 0, *line)
                    .unwrap();
            }
            for (col, header) in spec.headers.iter().enumerate() {
                let col = u16::try_from(col).unwrap();
                worksheet.write_string(header_row, col, *header).unwrap();
                // As rollcheck writes it: the reason code is there, but out of sight.
                if *header == "原因代码" {
                    worksheet.set_column_hidden(col).unwrap();
                }
            }
            for (index, cells) in spec.rows.iter().enumerate() {
                let row = header_row + 1 + u32::try_from(index).unwrap();
                if spec.hidden_rows.contains(&index) {
                    worksheet.set_row_hidden(row).unwrap();
                }
                for (header, value) in cells {
                    let Some(col) = spec.headers.iter().position(|h| h == header) else {
                        continue;
                    };
                    let col = u16::try_from(col).unwrap();
                    match *value {
                        Text(text) => worksheet.write_string(row, col, text),
                        Num(number) => worksheet.write_number(row, col, number),
                        Date(y, m, d) => worksheet.write_datetime_with_format(
                            row,
                            col,
                            ExcelDateTime::from_ymd(y, m, d).unwrap(),
                            &date_format,
                        ),
                    }
                    .unwrap();
                }
            }
        }
        let path = dir.path().join("411526101000.xlsx");
        workbook.save(&path).unwrap();
        path
    }

    fn read_sheets(sheets: &[Sheet]) -> FindingsFile {
        let dir = TempDir::new().unwrap();
        read_findings(&write_workbook(&dir, sheets), today()).unwrap()
    }

    /// One 核查清单 sheet with the columns as rollcheck writes them.
    fn read_flag_rows(rows: Vec<Row>) -> FindingsFile {
        read_sheets(&[sheet("核查清单", &FLAG_HEADERS, rows)])
    }

    fn read_sheets_err(sheets: &[Sheet]) -> String {
        let dir = TempDir::new().unwrap();
        let path = write_workbook(&dir, sheets);
        let err = read_findings(&path, today()).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        err
    }

    fn write_file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn read_csv_text(text: &str) -> FindingsFile {
        let dir = TempDir::new().unwrap();
        read_findings(&write_file(&dir, "findings.csv", text.as_bytes()), today()).unwrap()
    }

    fn households(file: &FindingsFile) -> Vec<(&str, usize)> {
        file.rows
            .iter()
            .map(|r| (r.household_id.as_str(), r.row))
            .collect()
    }

    /// `file` has exactly one problem, at `row` in column `column`, saying `says`; the
    /// other row, H2, is kept.
    fn assert_one_problem(file: &FindingsFile, row: usize, column: &str, says: &str) {
        assert_eq!(file.problems.len(), 1, "{:?}", file.problems);
        let problem = &file.problems[0];
        assert_eq!(problem.file, file.path.display().to_string());
        assert_eq!(problem.sheet.as_deref(), Some("核查清单"));
        assert_eq!(problem.row, row);
        assert_eq!(problem.column.as_deref(), Some(column));
        assert!(problem.problem.contains(says), "{}", problem.problem);
        assert_eq!(households(file), [("H2", 3)]);
    }

    #[test]
    fn columns_are_found_by_header_after_reordering_and_an_added_column() {
        let mut headers: Vec<&str> = FLAG_HEADERS.iter().rev().copied().collect();
        headers.insert(4, "联系电话");
        let row = with(reviewed("H1"), "处理结果", Some(Text("取消")));
        let row = with(row, "备注", Some(Text("已入户核实")));
        let row = with(row, "联系电话", Some(Text("13800000000")));
        let file = read_sheets(&[sheet("核查清单", &headers, vec![row])]);
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        assert_eq!(
            file.rows,
            [FindingRow {
                file: file.path.display().to_string(),
                sheet: Some("核查清单".into()),
                row: 2,
                household_id: "H1".into(),
                subject: Subject::Flag(Reason::VehicleOwned),
                verdict: Verdict::Confirmed,
                action: Some(Action::Cancelled),
                reviewer: "王芳".into(),
                reviewed_on: july_3(),
                note: Some("已入户核实".into()),
            }]
        );
    }

    #[test]
    fn headers_match_after_nfkc_and_without_spaces_and_in_english() {
        let headers = [
            "户 编号",
            "ＲＥＡＳＯＮ",
            "核查结论 ",
            "Reviewer",
            "核查　日期",
        ];
        let row = vec![
            ("户 编号", Text("H1")),
            ("ＲＥＡＳＯＮ", Text("名下有机动车")),
            ("核查结论 ", Text("部分属实")),
            ("Reviewer", Text("王芳")),
            ("核查　日期", Text("2025-07-03")),
        ];
        let file = read_sheets(&[sheet("核查清单", &headers, vec![row])]);
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        assert_eq!(file.rows[0].verdict, Verdict::PartlyConfirmed);
    }

    #[test]
    fn a_header_below_a_title_is_found_and_rows_keep_their_numbers() {
        let mut spec = sheet("核查清单", &FLAG_HEADERS, vec![reviewed("H1")]);
        spec.above = vec!["某乡镇低保核查清单", "请于月底前交回"];
        let file = read_sheets(&[spec]);
        assert_eq!(households(&file), [("H1", 4)]);
    }

    #[test]
    fn sorted_rows_keep_their_own_row_numbers() {
        let file = read_flag_rows(vec![
            with(reviewed("H3"), "核查结论", Some(Text("不好说"))),
            reviewed("H1"),
            with(reviewed("H2"), "原因代码", Some(Text("pension_income"))),
        ]);
        assert_eq!(households(&file), [("H1", 3), ("H2", 4)]);
        assert_eq!(file.rows[1].subject, Subject::Flag(Reason::PensionIncome));
        assert_eq!(file.problems[0].row, 2);
    }

    #[test]
    fn hidden_rows_are_still_read() {
        let mut spec = sheet(
            "核查清单",
            &FLAG_HEADERS,
            vec![reviewed("H1"), reviewed("H2")],
        );
        spec.hidden_rows = vec![0];
        let file = read_sheets(&[spec]);
        assert_eq!(households(&file), [("H1", 2), ("H2", 3)]);
    }

    #[test]
    fn dates_are_read_from_date_cells_serial_numbers_and_every_text_form() {
        let dates = [
            Date(2025, 7, 3),
            Num(45_841.0),
            Num(20_250_703.0),
            Text("2025-07-03"),
            Text("２０２５－０７－０３"),
            Text("2025年7月3日"),
            Text("2025.7.3"),
            Text("2025/07/03"),
            Text("20250703"),
            Text("2025-07-03 00:00:00"),
        ];
        let rows = dates
            .iter()
            .map(|date| with(reviewed("H1"), "核查日期", Some(*date)))
            .collect();
        let file = read_flag_rows(rows);
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        let read: Vec<NaiveDate> = file.rows.iter().map(|r| r.reviewed_on).collect();
        assert_eq!(read, vec![july_3(); dates.len()]);
    }

    #[test]
    fn a_number_household_id_reads_without_decimals() {
        let file = read_flag_rows(vec![with(reviewed("_"), "户编号", Some(Num(1001.0)))]);
        assert_eq!(households(&file), [("1001", 2)]);
    }

    #[test]
    fn a_blank_finding_is_unreviewed_even_when_reviewer_or_date_are_filled() {
        let file = read_flag_rows(vec![
            with(reviewed("H1"), "核查结论", None),
            with(reviewed("H2"), "核查结论", Some(Text("\u{3000}\u{3000}"))),
            with(
                with(reviewed("H3"), "核查结论", None),
                "处理结果",
                Some(Text("取消")),
            ),
            // No 户编号: a note below the list, not a row of it.
            vec![("备注", Text("以上共三户"))],
        ]);
        assert!(file.rows.is_empty() && file.problems.is_empty());
        assert_eq!(file.unreviewed, 3);
    }

    #[test]
    fn an_unknown_finding_is_one_problem() {
        let file = read_flag_rows(vec![
            with(reviewed("H1"), "核查结论", Some(Text("属实吧"))),
            reviewed("H2"),
        ]);
        assert_one_problem(
            &file,
            2,
            "核查结论",
            "unknown finding `属实吧`: write 情况属实, 部分属实, 情况不属实 or 无法核实",
        );
    }

    #[test]
    fn findings_are_read_with_spaces_full_width_or_as_codes() {
        let file = read_flag_rows(vec![
            with(reviewed("H1"), "核查结论", Some(Text(" 情况 不属实 "))),
            with(
                reviewed("H2"),
                "核查结论",
                Some(Text("ＵＮＶＥＲＩＦＩＡＢＬＥ")),
            ),
        ]);
        let verdicts: Vec<Verdict> = file.rows.iter().map(|r| r.verdict).collect();
        assert_eq!(verdicts, [Verdict::Dismissed, Verdict::Unverifiable]);
    }

    #[test]
    fn a_finding_without_reviewer_is_one_problem() {
        let file = read_flag_rows(vec![with(reviewed("H1"), "核查人", None), reviewed("H2")]);
        assert_one_problem(&file, 2, "核查人", "a finding needs a reviewer (核查人)");
    }

    #[test]
    fn a_finding_without_date_is_one_problem() {
        let file = read_flag_rows(vec![with(reviewed("H1"), "核查日期", None), reviewed("H2")]);
        assert_one_problem(&file, 2, "核查日期", "a finding needs a date (核查日期)");
    }

    #[test]
    fn an_unreadable_date_is_one_problem_quoting_it() {
        let file = read_flag_rows(vec![
            with(reviewed("H1"), "核查日期", Some(Text("上周三"))),
            reviewed("H2"),
        ]);
        assert_one_problem(&file, 2, "核查日期", "`上周三`");
    }

    #[test]
    fn a_future_date_is_one_problem() {
        let file = read_flag_rows(vec![
            with(reviewed("H1"), "核查日期", Some(Date(2025, 7, 11))),
            // Today is not the future.
            with(reviewed("H2"), "核查日期", Some(Date(2025, 7, 10))),
        ]);
        assert_one_problem(&file, 2, "核查日期", "date 2025-07-11 is in the future");
    }

    #[test]
    fn an_unknown_action_is_one_problem() {
        let file = read_flag_rows(vec![
            with(reviewed("H1"), "处理结果", Some(Text("停发"))),
            reviewed("H2"),
        ]);
        assert_one_problem(
            &file,
            2,
            "处理结果",
            "unknown action `停发`: write 取消, 调整, 维持 or 转复核",
        );
    }

    #[test]
    fn a_row_with_several_faults_is_one_problem() {
        let row = with(with(reviewed("H1"), "核查人", None), "核查日期", None);
        let file = read_flag_rows(vec![row, reviewed("H2")]);
        assert_one_problem(&file, 2, "核查人", "reviewer");
    }

    #[test]
    fn the_pending_sheet_gives_its_finding_with_the_action_taken() {
        let row = with(reviewed("H1"), "核查日期", Some(Date(2025, 7, 3)));
        let row = with(row, "处理结果", Some(Text("调整")));
        let file = read_sheets(&[sheet("待处理", &FLAG_HEADERS, vec![row])]);
        assert_eq!(file.rows[0].sheet.as_deref(), Some("待处理"));
        assert_eq!(file.rows[0].action, Some(Action::Adjusted));
        assert_eq!(file.rows[0].reviewed_on, july_3());
    }

    #[test]
    fn a_row_with_a_record_id_is_a_finding_on_a_lead() {
        let row = with(reviewed("H1"), "记录编号", Some(Text("D-0042")));
        let row = with(row, "核查原因", Some(Text("家庭成员已死亡")));
        let row = with(row, "原因代码", Some(Text("deceased_member")));
        let file = read_sheets(&[sheet("待核实线索", &LEAD_HEADERS, vec![row])]);
        assert_eq!(
            file.rows[0].subject,
            Subject::Lead {
                reason: Reason::DeceasedMember,
                record_id: "D-0042".into()
            }
        );
    }

    #[test]
    fn a_spot_check_row_is_about_the_household() {
        let row = with(reviewed("H1"), "核查原因", Some(Text("抽查")));
        let by_code = with(row.clone(), "原因代码", Some(Text("spot_check")));
        let by_label = with(row, "原因代码", None);
        let file = read_sheets(&[sheet("抽查", &SPOT_HEADERS, vec![by_code, by_label])]);
        let subjects: Vec<&Subject> = file.rows.iter().map(|r| &r.subject).collect();
        assert_eq!(subjects, [&Subject::SpotCheck, &Subject::SpotCheck]);
    }

    #[test]
    fn the_hidden_reason_code_beats_the_label() {
        let relabelled = with(reviewed("H1"), "核查原因", Some(Text("房产超标")));
        let label_only = with(relabelled.clone(), "原因代码", None);
        let file = read_flag_rows(vec![relabelled, label_only]);
        let subjects: Vec<&Subject> = file.rows.iter().map(|r| &r.subject).collect();
        assert_eq!(
            subjects,
            [
                &Subject::Flag(Reason::VehicleOwned),
                &Subject::Flag(Reason::PropertyExcess)
            ]
        );
    }

    #[test]
    fn an_unknown_reason_is_a_problem_naming_its_column() {
        let file = read_flag_rows(vec![
            with(reviewed("H1"), "原因代码", Some(Text("car"))),
            reviewed("H2"),
        ]);
        assert_one_problem(&file, 2, "原因代码", "unknown reason `car`");
    }

    #[test]
    fn the_summary_sheet_is_skipped() {
        let summary = Sheet {
            name: "汇总",
            above: vec!["乡镇（街道）行政区划代码", "待核查户数", "核查事项数", ""],
            headers: vec!["核查原因", "风险等级", "户数", "其中新增"],
            rows: vec![vec![("核查原因", Text("名下有机动车")), ("户数", Num(1.0))]],
            ..Sheet::default()
        };
        let file = read_sheets(&[
            sheet("核查清单", &FLAG_HEADERS, vec![reviewed("H1")]),
            summary,
        ]);
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        assert_eq!(households(&file), [("H1", 2)]);
        assert_eq!(file.unreviewed, 0);
    }

    #[test]
    fn every_sheet_with_a_household_column_is_read() {
        let file = read_sheets(&[
            sheet("核查清单", &FLAG_HEADERS, vec![reviewed("H1")]),
            sheet(
                "抽查",
                &SPOT_HEADERS,
                vec![with(reviewed("H9"), "原因代码", Some(Text("spot_check")))],
            ),
        ]);
        let sheets: Vec<Option<&str>> = file.rows.iter().map(|r| r.sheet.as_deref()).collect();
        assert_eq!(sheets, [Some("核查清单"), Some("抽查")]);
    }

    #[test]
    fn a_workbook_without_a_household_column_is_an_error() {
        let err = read_sheets_err(&[sheet("Sheet1", &["姓名", "核查结论"], vec![])]);
        assert!(
            err.contains("not a review workbook: no sheet has a 户编号 column"),
            "{err}"
        );
    }

    #[test]
    fn a_sheet_without_a_date_column_is_an_error_naming_sheet_and_column() {
        let headers: Vec<&str> = FLAG_HEADERS
            .iter()
            .copied()
            .filter(|h| *h != "核查日期")
            .collect();
        let err = read_sheets_err(&[
            sheet("核查清单", &FLAG_HEADERS, vec![reviewed("H1")]),
            sheet("待处理", &headers, vec![reviewed("H2")]),
        ]);
        assert!(err.contains("sheet `待处理`"), "{err}");
        assert!(err.contains("missing required column `核查日期`"), "{err}");
    }

    #[test]
    fn a_column_headed_twice_is_an_error() {
        let mut headers = FLAG_HEADERS.to_vec();
        headers.push("verdict");
        let err = read_sheets_err(&[sheet("核查清单", &headers, vec![reviewed("H1")])]);
        assert!(err.contains("`核查结论` and `verdict`"), "{err}");
    }

    #[test]
    fn a_corrupt_workbook_is_an_error_naming_the_file() {
        let dir = TempDir::new().unwrap();
        let bytes: Vec<u8> = (0..4096u32)
            .map(|i| i.wrapping_mul(2_654_435_761).to_be_bytes()[0])
            .collect();
        let path = write_file(&dir, "411526101000.xlsx", &bytes);
        let err = read_findings(&path, today()).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn an_unknown_extension_is_an_error() {
        let dir = TempDir::new().unwrap();
        let path = write_file(&dir, "findings.txt", b"household_id\n");
        let err = read_findings(&path, today()).unwrap_err().to_string();
        assert!(
            err.contains("findings.txt") && err.contains(".csv"),
            "{err}"
        );
    }

    #[test]
    fn a_csv_with_the_contract_columns_in_any_order() {
        let file = read_csv_text(
            "verdict,household_id,note,reviewed_on,reason,reviewer,action,record_id\n\
             confirmed,H1,,2025-07-03,vehicle_owned,王芳,cancelled,\n\
             ,H2,,,vehicle_owned,,,\n\
             dismissed,H3,名字相同,20250703,deceased_member,李强,,D-7\n",
        );
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        assert_eq!(households(&file), [("H1", 2), ("H3", 4)]);
        assert_eq!(file.rows[0].sheet, None);
        assert_eq!(file.rows[0].action, Some(Action::Cancelled));
        assert_eq!(
            file.rows[1].subject,
            Subject::Lead {
                reason: Reason::DeceasedMember,
                record_id: "D-7".into()
            }
        );
        assert_eq!(file.unreviewed, 1);
    }

    const CHINESE_CSV: &str = "户编号,核查原因,核查结论,核查人,核查日期,备注,处理结果\n\
                               H1,名下有机动车,情况属实,王芳,2025年7月3日,车已过户,取消\n\
                               H2,抽查,情况不属实,李强,2025/07/03,,\n";

    #[test]
    fn a_csv_with_chinese_headers() {
        let file = read_csv_text(CHINESE_CSV);
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        assert_eq!(households(&file), [("H1", 2), ("H2", 3)]);
        assert_eq!(file.rows[0].note.as_deref(), Some("车已过户"));
        assert_eq!(file.rows[1].subject, Subject::SpotCheck);
        assert_eq!(file.rows[1].reviewed_on, july_3());
    }

    #[test]
    fn a_gbk_csv_and_a_utf8_csv_with_bom_read_the_same() {
        let dir = TempDir::new().unwrap();
        let (gbk, _, _) = encoding_rs::GBK.encode(CHINESE_CSV);
        let bom = [b"\xEF\xBB\xBF".as_slice(), CHINESE_CSV.as_bytes()].concat();
        let mut read =
            [("gbk.csv", gbk.as_ref()), ("bom.csv", bom.as_slice())].map(|(name, bytes)| {
                let file = read_findings(&write_file(&dir, name, bytes), today()).unwrap();
                assert!(file.problems.is_empty(), "{name}: {:?}", file.problems);
                file.rows
                    .into_iter()
                    .map(|row| FindingRow {
                        file: String::new(),
                        ..row
                    })
                    .collect::<Vec<_>>()
            });
        assert_eq!(read[0].len(), 2);
        assert_eq!(std::mem::take(&mut read[0]), read[1]);
    }

    #[test]
    fn a_csv_without_a_reviewer_column_is_an_error_naming_it() {
        let dir = TempDir::new().unwrap();
        let path = write_file(
            &dir,
            "findings.csv",
            b"household_id,reason,verdict,reviewed_on\nH1,vehicle_owned,confirmed,2025-07-03\n",
        );
        let err = read_findings(&path, today()).unwrap_err().to_string();
        assert!(err.contains("findings.csv"), "{err}");
        assert!(err.contains("`核查人` (or reviewer)"), "{err}");
    }

    /// `text` in full-width characters, as a Chinese input method types it.
    fn full_width(text: &str) -> String {
        text.chars()
            .map(|c| match c {
                '0'..='9' | '-' | '/' | '.' => {
                    char::from_u32(u32::from(c) - 0x20 + 0xFF00).unwrap()
                }
                other => other,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn a_date_written_as_text_in_any_accepted_form_round_trips(
            days in 0u64..45_000,
            form in 0usize..5,
            wide in any::<bool>(),
        ) {
            let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Days::new(days);
            let text = match form {
                0 => date.format("%Y-%m-%d").to_string(),
                1 => date.format("%Y/%m/%d").to_string(),
                2 => date.format("%Y%m%d").to_string(),
                3 => date.format("%Y.%-m.%-d").to_string(),
                _ => date.format("%Y年%-m月%-d日").to_string(),
            };
            let text = if wide { full_width(&text) } else { text };
            let csv = format!("户编号,核查原因,核查结论,核查人,核查日期\nH1,抽查,情况属实,王芳,{text}\n");
            let file = read_bytes(Path::new("p.csv"), csv.as_bytes(), Kind::Csv, today()).unwrap();
            prop_assert!(file.problems.is_empty(), "{}: {:?}", text, file.problems);
            prop_assert_eq!(file.rows[0].reviewed_on, date);
        }
    }
}
