//! `assist/协查_<source>.xlsx`: an assistance request (协查) to each registry's office, for
//! the leads whose record has no valid ID (and whose member has one to compare with). Each
//! record once: 记录编号, the registry's own key (a plate, a property unit number, a death
//! date), name and birth date as the registry wrote them, and an empty 身份证号 column
//! (text-formatted, so Excel keeps all 18 characters) for the office to fill in. The roll
//! member is not named and no ID of theirs is written. `review import` reads the answer
//! back by its sheet 协查 and the hidden 来源代码.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::workbooks::{cell_format, header_format};
use crate::ingest::findings::header;
use crate::model::Source;
use crate::rundir::{create_private_dir, write_file, LeadRow, OutputError, RecordQuestion};

/// The request's columns before the registry's key and after it.
const LEADING: [(&str, f64); 3] = [("序号", 6.0), ("登记来源", 12.0), (header::RECORD_ID, 16.0)];
const TRAILING: [(&str, f64); 4] = [
    ("姓名", 12.0),
    ("出生日期", 12.0),
    (header::ID_NUMBER, 24.0),
    (header::SOURCE_CODE, 10.0),
];

/// What the office is asked, on a second sheet.
const INSTRUCTIONS: &str = "请在“身份证号”列填写本单位登记的该记录身份证号（18位，按文本录入），\
     查无此人或无法确认的请留空；请勿修改其他列，填好后保存交回。";

/// The records to ask about, per registry and by record id: every lead's record without a
/// valid ID whose member has one to compare the answer with, each once.
pub(super) fn questions(leads: &[LeadRow]) -> BTreeMap<&str, BTreeMap<&str, &RecordQuestion>> {
    let mut by_source: BTreeMap<&str, BTreeMap<&str, &RecordQuestion>> = BTreeMap::new();
    for lead in leads.iter().filter(|l| l.member_id_digest.is_some()) {
        if let Some(question) = &lead.question {
            by_source
                .entry(lead.source.as_str())
                .or_default()
                .insert(lead.record_id.as_str(), question);
        }
    }
    by_source
}

/// Writes one request per registry with a record to ask about into `dir`; returns how many.
pub fn write_requests(dir: &Path, leads: &[LeadRow]) -> Result<usize, OutputError> {
    let by_source = questions(leads);
    if by_source.is_empty() {
        return Ok(0);
    }
    create_private_dir(dir)?;
    for (source, records) in &by_source {
        let path = dir.join(format!("协查_{source}.xlsx"));
        let bytes = request(source, records).map_err(|e| OutputError::write(&path, e))?;
        write_file(&path, &bytes)?;
    }
    Ok(by_source.len())
}

/// One registry's request, its records in record order.
fn request(source: &str, records: &BTreeMap<&str, &RecordQuestion>) -> Result<Vec<u8>, XlsxError> {
    let label = Source::known(source).map_or_else(|| source.to_string(), |s| s.label_zh().into());
    // One registry's records name the same key (a plate for every vehicle).
    let keys: BTreeSet<&str> = records
        .values()
        .filter_map(|q| q.key.as_ref().map(|k| k.0))
        .collect();
    let key_header = keys.iter().next().copied().unwrap_or("登记信息");
    let columns: Vec<(&str, f64)> = LEADING
        .iter()
        .copied()
        .chain([(key_header, 20.0)])
        .chain(TRAILING.iter().copied())
        .collect();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(header::ASSIST_SHEET)?;
    let (head, cell) = (header_format("#FCE4D6"), cell_format());
    let id_cell = cell.clone().set_num_format("@");
    let col = |i: usize| u16::try_from(i).expect("a request has eight columns");
    for (i, (title, width)) in columns.iter().enumerate() {
        sheet.write_with_format(0, col(i), *title, &head)?;
        sheet.set_column_width(col(i), *width)?;
    }
    let id_col = col(columns.len() - 2);
    // Whole column as text, so an ID typed below the rows written stays text too.
    sheet.set_column_format(id_col, &Format::new().set_num_format("@"))?;
    for (index, (record_id, question)) in records.iter().enumerate() {
        let r = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let birth = question
            .birth_date
            .map(|d| d.to_string())
            .unwrap_or_default();
        let key = question
            .key
            .as_ref()
            .map_or("", |(_, value)| value.as_str());
        let cells = [
            (index + 1).to_string(),
            label.clone(),
            (*record_id).to_string(),
            key.to_string(),
            question.name.clone(),
            birth,
        ];
        for (i, value) in cells.iter().enumerate() {
            sheet.write_with_format(r, col(i), value.as_str(), &cell)?;
        }
        sheet.write_blank(r, id_col, &id_cell)?;
        sheet.write_with_format(r, id_col + 1, source, &cell)?;
    }
    sheet.set_column_hidden(id_col + 1)?;
    sheet.set_freeze_panes(1, 0)?;
    let notes = workbook.add_worksheet();
    notes.set_name("说明")?;
    notes.set_column_width(0, 100.0)?;
    notes.write_with_format(0, 0, format!("{label}协查：{INSTRUCTIONS}"), &cell)?;
    workbook.save_to_buffer()
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests look at the files written
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx};

    fn lead(record_id: &str, digest: Option<&str>, key: Option<&str>) -> LeadRow {
        LeadRow {
            household_id: "H1".into(),
            member_id: "H1-01".into(),
            reason: crate::model::Reason::VehicleOwned,
            severity: crate::model::Severity::Medium,
            source: "vehicle".into(),
            source_label: "车辆登记".into(),
            record_id: record_id.into(),
            probability: 0.9,
            comparison: String::new(),
            region_code: None,
            expected_namesakes: Some(0.2),
            shown: true,
            question: Some(RecordQuestion {
                name: "王立".into(),
                birth_date: crate::ingest::parse_date("1972-01-01"),
                key: key.map(|k| ("号牌号码", k.to_string())),
            }),
            member_id_digest: digest.map(str::to_string),
        }
    }

    #[test]
    fn a_request_asks_each_record_once_and_names_no_member() {
        let dir = tempfile::TempDir::new().unwrap();
        let mut with_id = lead("V-9", Some("d"), None);
        with_id.question = None;
        let leads = [
            lead("V-2", Some("d"), Some("豫P12345")),
            lead("V-1", Some("d"), Some("豫P54321")),
            lead("V-2", Some("d"), Some("豫P12345")),
            // A member without a valid ID: the answer could settle nothing.
            lead("V-3", None, None),
            // A record with a valid ID: the run settles it.
            with_id,
        ];
        let assist = dir.path().join("assist");
        assert_eq!(write_requests(&assist, &leads).unwrap(), 1);
        let path = assist.join("协查_vehicle.xlsx");
        let mut workbook: Xlsx<_> = calamine::open_workbook(&path).unwrap();
        let range = workbook.worksheet_range(header::ASSIST_SHEET).unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect();
        assert_eq!(
            rows[0],
            [
                "序号",
                "登记来源",
                "记录编号",
                "号牌号码",
                "姓名",
                "出生日期",
                "身份证号",
                "来源代码"
            ]
        );
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!(
            rows[1][2..],
            ["V-1", "豫P54321", "王立", "1972-01-01", "", "vehicle"]
        );
        assert_eq!(rows[2][2], "V-2");
        assert!(write_requests(&dir.path().join("none"), &leads[3..]).unwrap() == 0);
        assert!(
            !dir.path().join("none").exists(),
            "nothing to ask, no directory"
        );
    }
}
