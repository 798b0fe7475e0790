//! One row of a findings table read into a `FindingRow`, left unreviewed, or a
//! `FindingProblem`: the words a clerk picks (finding, action, reason) and the review date.

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use super::columns::{col, Columns};
use super::tables::Table;
use super::{FindingProblem, FindingRow, FindingsFile, Subject};
use crate::ingest::fields::{Fields, RowProblem};
use crate::ingest::parse_date;
use crate::ingest::table::{Cell, RawRow};
use crate::model::{Action, Reason, Verdict};

/// The reason code and label of a spot check, which is no flag reason.
const SPOT_CHECK: [&str; 2] = ["spot_check", "抽查"];

/// The file and sheet rows come from, for `FindingRow` and `FindingProblem`.
pub(super) struct Place<'a> {
    pub file: &'a str,
    pub sheet: Option<&'a str>,
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

pub(super) fn read_table(
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
        return Err(RowProblem::of_row(problem.clone()));
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
        reviewer: folded.text(col::REVIEWER)?.ok_or_else(|| {
            RowProblem::at(col::REVIEWER, "a finding needs a reviewer (核查人)".into())
        })?,
        reviewed_on: reviewed_on(&folded, today)?,
        action: ACTIONS.read(&folded)?,
        note: as_written.text(col::NOTE)?,
        by_registry: false,
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
            RowProblem::at(
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
    if let Some(warning) = crate::model::WarningKind::parse(&text) {
        return Ok(Subject::Warning(warning));
    }
    let reason = Reason::known(&text).ok_or_else(|| {
        RowProblem::at(
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
        .ok_or_else(|| RowProblem::at(column, "a finding needs a reason (核查原因)".into()))?;
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
        None => folded.date(col::REVIEWED_ON)?.ok_or_else(|| {
            RowProblem::at(col::REVIEWED_ON, "a finding needs a date (核查日期)".into())
        })?,
    };
    if date > today {
        return Err(RowProblem::at(
            col::REVIEWED_ON,
            format!("date {date} is in the future"),
        ));
    }
    Ok(date)
}
