//! A findings table's header: where each known column is (by its Chinese header or English
//! name, after NFKC and without spaces), and which are required.

use crate::ingest::schema::fold_header;

/// Column headers as rollcheck writes them (`output`'s workbooks use these) and reads them
/// back; each is also the key a row's cell is read by.
pub mod col {
    pub const HOUSEHOLD_ID: &str = "户编号";
    pub const REASON: &str = "核查原因";
    pub const REASON_CODE: &str = "原因代码";
    pub const VERDICT: &str = "核查结论";
    pub const REVIEWER: &str = "核查人";
    pub const REVIEWED_ON: &str = "核查日期";
    pub const ACTION: &str = "处理结果";
    pub const NOTE: &str = "备注";
    pub const RECORD_ID: &str = "记录编号";
    /// An assistance request's (协查) answer: the ID the registry's office writes in.
    pub const ID_NUMBER: &str = "身份证号";
    /// An assistance request's registry, by code (a hidden column).
    pub const SOURCE_CODE: &str = "来源代码";
    /// The sheet an assistance request is written in and recognised by.
    pub const ASSIST_SHEET: &str = "协查";
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

/// Other headers a column goes by: the sheet 预警线索 keys its rows by 预警编号 (a
/// warning's id: a person off the roll has no household).
const ALSO: [(&str, &str); 1] = [(col::HOUSEHOLD_ID, "预警编号")];

/// Without one of each group no row can be a finding; either reason column will do.
const REQUIRED: [&[&str]; 5] = [
    &[col::HOUSEHOLD_ID],
    &[col::REASON, col::REASON_CODE],
    &[col::VERDICT],
    &[col::REVIEWER],
    &[col::REVIEWED_ON],
];

/// A header as compared: NFKC, lower case, no spaces at all (`核查 结论`, `Household_ID`).
pub(super) fn fold(header: &str) -> String {
    fold_header(header)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Whether `header` heads the column `key` (its Chinese header or its English name).
pub(super) fn is_header_of(header: &str, key: &str) -> bool {
    let header = fold(header);
    COLUMNS
        .iter()
        .find(|(chinese, _)| *chinese == key)
        .is_some_and(|(chinese, english)| header == fold(chinese) || header == *english)
        || ALSO
            .iter()
            .any(|(column, other)| *column == key && header == fold(other))
}

/// Where each known column is in a table's header, and how the file spells its header.
pub(super) struct Columns<'t> {
    /// Column key → cell index, as `Fields` reads it.
    pub index: Vec<(&'static str, usize)>,
    headers: &'t [String],
}

impl<'t> Columns<'t> {
    /// The known columns of `headers`; a required one missing, or one headed twice, is the
    /// problem of the whole table.
    pub(super) fn find(headers: &'t [String]) -> Result<Columns<'t>, String> {
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

    pub(super) fn has(&self, key: &str) -> bool {
        self.index.iter().any(|(found, _)| *found == key)
    }

    /// The header of column `key` as the file spells it.
    pub(super) fn header(&self, key: &str) -> Option<&str> {
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
