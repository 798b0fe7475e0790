//! `review/<township>.xlsx`: one workbook per township for the staff who visit. Flagged
//! households sorted by severity, reasons in Chinese, evidence, members with masked IDs
//! (region code + last 4, never the birth date), and empty columns for the finding.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike as _, NaiveDate};
use rust_xlsxwriter::{
    DataValidation, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook,
    Worksheet, XlsxError,
};

use super::files::{create_private_dir, write_file};
use super::{FlagRow, OutputError};
use crate::model::{Reason, Severity};

/// A roll member as a reviewer may see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewMember {
    pub household_id: String,
    pub member_id: String,
    pub name: String,
    /// Region code + last 4 only.
    pub masked_id: String,
    pub is_head: bool,
}

/// The findings a reviewer may record.
const FINDINGS: [&str; 4] = ["情况属实", "情况不属实", "部分属实", "无法核实"];

const HEADERS: [(&str, f64); 12] = [
    ("序号", 6.0),
    ("户编号", 12.0),
    ("救助类型", 10.0),
    ("行政区划代码", 14.0),
    ("户主姓名", 10.0),
    ("涉及成员（身份证号已脱敏）", 28.0),
    ("核查原因", 16.0),
    ("风险等级", 8.0),
    ("比对证据", 60.0),
    ("核查结论", 12.0),
    ("核查人", 10.0),
    ("核查日期", 12.0),
];

/// The township a household belongs to: the first 9 digits of its region code, written as
/// a 12-digit code; shorter or missing codes stand for themselves.
pub fn township_of(region_code: Option<&str>) -> String {
    match region_code {
        Some(code) if code.len() >= 9 && code.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{}000", &code[..9])
        }
        Some(code) if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) => {
            code.to_string()
        }
        _ => "unassigned".to_string(),
    }
}

fn severity_zh(severity: Severity) -> &'static str {
    severity.label_zh()
}

fn xlsx_err(path: &Path, e: &XlsxError) -> OutputError {
    OutputError::write(path, e)
}

/// Writes one workbook per township into `dir` (created), returns how many.
pub fn write_review_workbooks(
    dir: &Path,
    flags: &[FlagRow],
    members: &[ReviewMember],
    as_of: NaiveDate,
) -> Result<usize, OutputError> {
    create_private_dir(dir)?;
    let mut by_township: BTreeMap<String, Vec<&FlagRow>> = BTreeMap::new();
    for row in flags {
        by_township
            .entry(township_of(row.flag.region_code.as_deref()))
            .or_default()
            .push(row);
    }
    let mut by_household: BTreeMap<&str, Vec<&ReviewMember>> = BTreeMap::new();
    for member in members {
        by_household
            .entry(&member.household_id)
            .or_default()
            .push(member);
    }
    for (township, rows) in &mut by_township {
        rows.sort_by(|a, b| {
            (b.flag.severity, &a.flag.household_id, a.flag.reason).cmp(&(
                a.flag.severity,
                &b.flag.household_id,
                b.flag.reason,
            ))
        });
        let path = dir.join(format!("{township}.xlsx"));
        let bytes =
            workbook(township, rows, &by_household, as_of).map_err(|e| xlsx_err(&path, &e))?;
        write_file(&path, &bytes)?;
    }
    Ok(by_township.len())
}

fn workbook(
    township: &str,
    rows: &[&FlagRow],
    members: &BTreeMap<&str, Vec<&ReviewMember>>,
    as_of: NaiveDate,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    // Dated by the as-of date, not the clock, so the same run writes the same bytes.
    let created = ExcelDateTime::from_ymd(
        u16::try_from(as_of.year()).unwrap_or(1900),
        u8::try_from(as_of.month()).unwrap_or(1),
        u8::try_from(as_of.day()).unwrap_or(1),
    )?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!("{township} 核查清单"))
            .set_creation_datetime(&created),
    );
    let list = workbook.add_worksheet();
    list.set_name("核查清单")?;
    flag_sheet(list, rows, members)?;
    let summary = workbook.add_worksheet();
    summary.set_name("汇总")?;
    summary_sheet(summary, township, rows)?;
    workbook.save_to_buffer()
}

fn flag_sheet(
    sheet: &mut Worksheet,
    rows: &[&FlagRow],
    members: &BTreeMap<&str, Vec<&ReviewMember>>,
) -> Result<(), XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_background_color("#D9E1F2")
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let high = cell.clone().set_font_color("#C00000").set_bold();
    for (col, (title, width)) in HEADERS.iter().enumerate() {
        let col = u16::try_from(col).expect("12 columns");
        sheet.write_with_format(0, col, *title, &header)?;
        sheet.set_column_width(col, *width)?;
    }
    for (index, row) in rows.iter().enumerate() {
        let r = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let flag = &row.flag;
        let household = members
            .get(flag.household_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        let head = household
            .iter()
            .find(|m| m.is_head)
            .map_or("", |m| m.name.as_str());
        let involved: Vec<String> = flag
            .member_ids
            .iter()
            .map(|id| match household.iter().find(|m| &m.member_id == id) {
                Some(m) => format!("{} {}（{}）", m.member_id, m.name, m.masked_id),
                None => id.clone(),
            })
            .collect();
        let values = [
            (index + 1).to_string(),
            flag.household_id.clone(),
            flag.programme.label_zh().to_string(),
            flag.region_code.clone().unwrap_or_default(),
            head.to_string(),
            involved.join("\n"),
            flag.reason.label_zh().to_string(),
            severity_zh(flag.severity).to_string(),
            flag.evidence.clone(),
        ];
        for (col, value) in values.iter().enumerate() {
            let format = if col == 7 && flag.severity == Severity::High {
                &high
            } else {
                &cell
            };
            sheet.write_with_format(
                r,
                u16::try_from(col).expect("12 columns"),
                value.as_str(),
                format,
            )?;
        }
        for col in 9..12 {
            sheet.write_blank(r, col, &cell)?;
        }
    }
    let last = u32::try_from(rows.len().max(1)).unwrap_or(u32::MAX);
    let finding = DataValidation::new()
        .allow_list_strings(&FINDINGS)?
        .set_input_title("核查结论")?
        .set_input_message("请选择：情况属实 / 情况不属实 / 部分属实 / 无法核实")?;
    sheet.add_data_validation(1, 9, last, 9, &finding)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    sheet.autofilter(0, 0, last, 11)?;
    Ok(())
}

fn summary_sheet(
    sheet: &mut Worksheet,
    township: &str,
    rows: &[&FlagRow],
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    sheet.write_with_format(0, 0, "乡镇（街道）行政区划代码", &bold)?;
    sheet.write(0, 1, township)?;
    sheet.write_with_format(1, 0, "待核查户数", &bold)?;
    let households: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.flag.household_id.as_str()).collect();
    sheet.write(1, 1, u32::try_from(households.len()).unwrap_or(u32::MAX))?;
    sheet.write_with_format(2, 0, "核查事项数", &bold)?;
    sheet.write(2, 1, u32::try_from(rows.len()).unwrap_or(u32::MAX))?;
    sheet.write_with_format(4, 0, "核查原因", &bold)?;
    sheet.write_with_format(4, 1, "风险等级", &bold)?;
    sheet.write_with_format(4, 2, "户数", &bold)?;
    sheet.write_with_format(4, 3, "其中新增", &bold)?;
    let mut line = 5;
    for reason in Reason::ALL {
        let of_reason: Vec<&&FlagRow> = rows.iter().filter(|r| r.flag.reason == *reason).collect();
        let Some(first) = of_reason.first() else {
            continue;
        };
        let new = of_reason
            .iter()
            .filter(|r| r.status == super::FlagStatus::New)
            .count();
        sheet.write(line, 0, reason.label_zh())?;
        sheet.write(line, 1, severity_zh(first.flag.severity))?;
        sheet.write(line, 2, u32::try_from(of_reason.len()).unwrap_or(u32::MAX))?;
        sheet.write(line, 3, u32::try_from(new).unwrap_or(u32::MAX))?;
        line += 1;
    }
    sheet.write(
        line + 1,
        0,
        "说明：本表为数据比对线索，需入户核实后方可作出认定，不能直接作为取消或调整救助的依据。",
    )?;
    sheet.set_column_width(0, 24)?;
    sheet.set_column_width(1, 16)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn township_codes() {
        assert_eq!(township_of(Some("411526101001")), "411526101000");
        assert_eq!(township_of(Some("411526")), "411526");
        assert_eq!(township_of(None), "unassigned");
        assert_eq!(township_of(Some("../etc")), "unassigned");
    }
}
