//! `review/<township>.xlsx`: one workbook per township for the staff who visit. Flagged
//! households sorted by severity, reasons in Chinese, evidence, members with masked IDs
//! (region code + last 4, never the birth date), and empty columns for the finding.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike as _, NaiveDate};
use rayon::prelude::*;
use rust_xlsxwriter::{
    DataValidation, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook,
    Worksheet, XlsxError,
};

use super::supporters_sheet;
use crate::ingest::findings::header;
use crate::model::{Reason, RegionCode, Severity};
use crate::rules::income::SupporterRow;
use crate::rundir::names::{RECHECK_SHEET, SPOT_CHECK};
use crate::rundir::{
    create_private_dir, write_atomically, write_file, FlagRow, FlagStatus, LeadRow, OutputError,
    RecheckItem, SpotCheckRow, Verdicted,
};

/// The township workbooks' zip compression level (`rust_xlsxwriter`'s default is 6).
const ZIP_LEVEL: u8 = 1;

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
/// The actions an office may record (处理结果).
const ACTIONS: [&str; 4] = ["取消", "调整", "维持", "转复核"];

/// Columns every sheet ends with: the reviewer's, then the hidden reason code that lets a row
/// match back to its item however the workbook is sorted, filtered or re-saved.
const REVIEW_COLUMNS: [(&str, f64); 6] = [
    (header::VERDICT, 12.0),
    (header::REVIEWER, 10.0),
    (header::REVIEWED_ON, 12.0),
    (header::ACTION, 10.0),
    (header::NOTE, 24.0),
    (header::REASON_CODE, 4.0),
];

/// 核查清单 and 待处理: one row per flag.
const FLAG_COLUMNS: [(&str, f64); 11] = [
    ("序号", 6.0),
    (header::HOUSEHOLD_ID, 12.0),
    ("救助类型", 10.0),
    ("行政区划代码", 14.0),
    ("户主姓名", 10.0),
    ("涉及成员（身份证号已脱敏）", 28.0),
    (header::REASON, 16.0),
    ("风险等级", 8.0),
    ("状态", 10.0),
    ("比对证据", 60.0),
    ("估算多发金额", 24.0),
];

/// 待核实线索: one row per possible match and reason it would raise (at least
/// `[review] lead_min_severity`), best first, up to `max_leads_per_township`.
const LEAD_COLUMNS: [(&str, f64); 12] = [
    ("序号", 6.0),
    (header::HOUSEHOLD_ID, 12.0),
    ("成员编号", 10.0),
    ("姓名（身份证号已脱敏）", 24.0),
    (header::REASON, 16.0),
    ("风险等级", 8.0),
    ("来源", 10.0),
    (header::RECORD_ID, 14.0),
    ("匹配概率", 9.0),
    ("同名同出生日期者预计人数", 14.0),
    ("比对情况", 48.0),
    ("行政区划代码", 14.0),
];

/// 抽查: unflagged households drawn at random for a check.
const SPOT_CHECK_COLUMNS: [(&str, f64); 6] = [
    ("序号", 6.0),
    (header::HOUSEHOLD_ID, 12.0),
    ("救助类型", 10.0),
    ("行政区划代码", 14.0),
    ("户主姓名", 10.0),
    (header::REASON, 30.0),
];

/// 复核抽查: findings drawn for a second reviewer (`rollcheck review sample`).
const RECHECK_COLUMNS: [(&str, f64); 8] = [
    ("序号", 6.0),
    (header::HOUSEHOLD_ID, 12.0),
    ("行政区划代码", 14.0),
    (header::REASON, 16.0),
    ("比对证据", 48.0),
    ("原核查结论", 12.0),
    ("原核查人", 10.0),
    ("原核查日期", 12.0),
];

/// Writes the re-check workbook: one sheet 复核抽查, sorted by township and household.
pub fn write_recheck_workbook(path: &Path, items: &[RecheckItem]) -> Result<(), OutputError> {
    let lines: Vec<Line> = items
        .iter()
        .enumerate()
        .map(|(index, item)| Line {
            cells: vec![
                (index + 1).to_string(),
                item.household_id.to_string(),
                item.region_code.unwrap_or_default().to_string(),
                item.reason.label_zh().to_string(),
                item.evidence.to_string(),
                item.first.verdict.label_zh().to_string(),
                item.first.reviewer.clone(),
                item.first.reviewed_on.format("%Y-%m-%d").to_string(),
            ],
            high: false,
            prefilled: None,
            reason_code: item.reason.code(),
        })
        .collect();
    let mut workbook = Workbook::new();
    list_sheet(
        workbook.add_worksheet(),
        RECHECK_SHEET,
        &RECHECK_COLUMNS,
        &lines,
    )
    .and_then(|()| workbook.save_to_buffer())
    .map_err(|e| xlsx_err(path, &e))
    .and_then(|bytes| write_atomically(path, &bytes))
}

/// The reason text and code of a spot-check row.
pub const SPOT_CHECK_LABEL: &str =
    "抽查（未预警户，核实是否符合救助条件；发现不符合条件填“情况属实”）";

/// A date as Excel stores it.
pub(super) fn excel_date(date: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(date.year()).unwrap_or(1900),
        u8::try_from(date.month()).unwrap_or(1),
        u8::try_from(date.day()).unwrap_or(1),
    )
}

fn xlsx_err(path: &Path, e: &XlsxError) -> OutputError {
    OutputError::write(path, e)
}

/// Everything the visiting staff of one township get.
#[derive(Default)]
struct TownshipItems<'a> {
    to_visit: Vec<&'a FlagRow>,
    awaiting_action: Vec<&'a FlagRow>,
    leads: Vec<&'a LeadRow>,
    spot_checks: Vec<&'a SpotCheckRow>,
    /// Supporters of the members of the households to visit or act on.
    supporters: Vec<&'a SupporterRow>,
    recheck_due: Vec<&'a crate::rundir::RecheckDue>,
    /// Early warnings placed in the township (sheet 预警线索).
    warnings: Vec<&'a crate::rundir::WarningRow>,
}

/// What the review workbooks list.
pub struct ReviewItems<'a> {
    pub flags: &'a [FlagRow],
    pub leads: &'a [LeadRow],
    pub spot_checks: &'a [SpotCheckRow],
    pub members: &'a [ReviewMember],
    /// Every member's supporters, in household order (`Incomes::supporters`).
    pub supporters: &'a [SupporterRow],
    /// Households due their periodic re-check (sheet 到期复核).
    pub recheck_due: &'a [crate::rundir::RecheckDue],
    /// Early warnings (sheet 预警线索); dismissed ones stay out.
    pub warnings: &'a [crate::rundir::WarningRow],
}

/// Writes one workbook per township with anything to review into `dir` (created); returns
/// how many. Dismissed flags stay out; confirmed ones go to the sheet 待处理.
pub fn write_review_workbooks(
    dir: &Path,
    items: &ReviewItems,
    as_of: NaiveDate,
) -> Result<usize, OutputError> {
    create_private_dir(dir)?;
    let mut by_township = by_township(items);
    // A run over several counties nests each county's townships in a folder of its own.
    let counties: std::collections::BTreeSet<String> = by_township
        .keys()
        .map(|t| RegionCode::county_key(Some(t)))
        .collect();
    let nested = counties.len() > 1;
    let mut by_household: BTreeMap<&str, Vec<&ReviewMember>> = BTreeMap::new();
    for member in items.members {
        by_household
            .entry(&member.household_id)
            .or_default()
            .push(member);
    }
    // County folders first (one thread), then the workbooks side by side: each is built and
    // written on its own, and compressing them is most of the write stage's time.
    let count = by_township.len();
    let jobs = by_township
        .iter_mut()
        .map(|(township, items)| Ok((township, items, workbook_path(dir, township, nested)?)))
        .collect::<Result<Vec<_>, OutputError>>()?;
    jobs.into_par_iter()
        .try_for_each(|(township, township_items, path)| {
            for rows in [
                &mut township_items.to_visit,
                &mut township_items.awaiting_action,
            ] {
                rows.sort_by(|a, b| {
                    (b.flag.severity, &a.flag.household_id, a.flag.reason).cmp(&(
                        a.flag.severity,
                        &b.flag.household_id,
                        b.flag.reason,
                    ))
                });
            }
            let bytes = workbook(township, township_items, &by_household, as_of)
                .map_err(|e| xlsx_err(&path, &e))?;
            write_file(&path, &bytes)
        })?;
    Ok(count)
}

/// Everything the workbooks list, by township; townships with nothing to list left out.
fn by_township<'a>(items: &ReviewItems<'a>) -> BTreeMap<String, TownshipItems<'a>> {
    let mut by_township: BTreeMap<String, TownshipItems> = BTreeMap::new();
    let township = |region: Option<&str>| RegionCode::township_key(region);
    for row in items.flags {
        let entry = by_township
            .entry(township(row.flag.region_code.as_deref()))
            .or_default();
        if row.status.to_visit() {
            entry.to_visit.push(row);
        } else if row.status.awaits_action() {
            entry.awaiting_action.push(row);
        }
    }
    // Leads over the township's cap stay in leads.parquet and the report's count.
    for lead in items.leads.iter().filter(|l| l.shown) {
        by_township
            .entry(township(lead.region_code.as_deref()))
            .or_default()
            .leads
            .push(lead);
    }
    for check in items.spot_checks {
        by_township
            .entry(township(check.region_code.as_deref()))
            .or_default()
            .spot_checks
            .push(check);
    }
    // Supporters by household (they come in household order), for the households listed.
    let mut supporters_of: BTreeMap<&str, Vec<&SupporterRow>> = BTreeMap::new();
    for s in items.supporters {
        supporters_of
            .entry(s.support.household_id.as_str())
            .or_default()
            .push(s);
    }
    for township_items in by_township.values_mut() {
        let mut listed: Vec<&str> = township_items
            .to_visit
            .iter()
            .chain(&township_items.awaiting_action)
            .map(|row| row.flag.household_id.as_str())
            .collect();
        listed.sort_unstable();
        listed.dedup();
        township_items.supporters = listed
            .iter()
            .filter_map(|household| supporters_of.get(household))
            .flatten()
            .copied()
            .collect();
    }
    for row in items.warnings.iter().filter(|w| w.status != "dismissed") {
        by_township
            .entry(township(row.warning.region_code.as_deref()))
            .or_default()
            .warnings
            .push(row);
    }
    for due in items.recheck_due {
        by_township
            .entry(township(due.region_code.as_deref()))
            .or_default()
            .recheck_due
            .push(due);
    }
    by_township.retain(|_, t| {
        !(t.to_visit.is_empty()
            && t.awaiting_action.is_empty()
            && t.leads.is_empty()
            && t.spot_checks.is_empty()
            && t.recheck_due.is_empty()
            && t.warnings.is_empty())
    });
    by_township
}

/// `review/<township>.xlsx`, or `review/<county>/<township>.xlsx` in a multi-county run.
fn workbook_path(
    dir: &Path,
    township: &str,
    nested: bool,
) -> Result<std::path::PathBuf, OutputError> {
    if !nested {
        return Ok(dir.join(format!("{township}.xlsx")));
    }
    let county_dir = dir.join(RegionCode::county_key(Some(township)));
    if !crate::rundir::is_dir(&county_dir) {
        create_private_dir(&county_dir)?;
    }
    Ok(county_dir.join(format!("{township}.xlsx")))
}

fn workbook(
    township: &str,
    items: &TownshipItems,
    members: &BTreeMap<&str, Vec<&ReviewMember>>,
    as_of: NaiveDate,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    // Dated by the as-of date, not the clock, so the same run writes the same bytes.
    let created = excel_date(as_of)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!("{township} 核查清单"))
            .set_creation_datetime(&created),
    );
    // Level 1 of 9: compressing is the largest part of a workbook's cost (a first run's
    // 到期复核 sheet lists nearly every household). Measured on that sheet: level 6 takes
    // twice the time of 1 for a file 40% smaller, level 2 a fifth more for 30% smaller.
    workbook.set_zip_compression_level(ZIP_LEVEL);
    let to_visit: Vec<Line> = flag_lines(&items.to_visit, members);
    list_sheet(
        workbook.add_worksheet(),
        "核查清单",
        &FLAG_COLUMNS,
        &to_visit,
    )?;
    if !items.awaiting_action.is_empty() {
        let awaiting = flag_lines(&items.awaiting_action, members);
        list_sheet(workbook.add_worksheet(), "待处理", &FLAG_COLUMNS, &awaiting)?;
    }
    if !items.leads.is_empty() {
        let leads = lead_lines(&items.leads, members);
        list_sheet(
            workbook.add_worksheet(),
            "待核实线索",
            &LEAD_COLUMNS,
            &leads,
        )?;
    }
    if !items.spot_checks.is_empty() {
        let checks = spot_check_lines(&items.spot_checks, members);
        list_sheet(
            workbook.add_worksheet(),
            "抽查",
            &SPOT_CHECK_COLUMNS,
            &checks,
        )?;
    }
    if !items.supporters.is_empty() {
        supporters_sheet::write(workbook.add_worksheet(), &items.supporters, members)?;
    }
    if !items.warnings.is_empty() {
        let lines = super::warnings_sheet::lines(&items.warnings);
        list_sheet(
            workbook.add_worksheet(),
            crate::rundir::names::WARNINGS_SHEET,
            &super::warnings_sheet::COLUMNS,
            &lines,
        )?;
    }
    if !items.recheck_due.is_empty() {
        let head = |household: &str| head_of(members, household);
        super::recheck_sheet::write(workbook.add_worksheet(), &items.recheck_due, &head)?;
    }
    let summary = workbook.add_worksheet();
    summary.set_name("汇总")?;
    summary_sheet(summary, township, items)?;
    workbook.save_to_buffer()
}

/// One row of a list sheet: the item's cells, a finding to pre-fill, the hidden reason code.
pub(super) struct Line {
    pub(super) cells: Vec<String>,
    pub(super) high: bool,
    pub(super) prefilled: Option<Verdicted>,
    pub(super) reason_code: &'static str,
}

fn head_of<'m>(members: &'m BTreeMap<&str, Vec<&ReviewMember>>, household: &str) -> &'m str {
    members
        .get(household)
        .and_then(|m| m.iter().find(|m| m.is_head))
        .map_or("", |m| m.name.as_str())
}

fn member_text(members: &BTreeMap<&str, Vec<&ReviewMember>>, household: &str, id: &str) -> String {
    members
        .get(household)
        .and_then(|m| m.iter().find(|m| m.member_id == id))
        .map_or_else(
            || id.to_string(),
            |m| format!("{} {}（{}）", m.member_id, m.name, m.masked_id),
        )
}

fn flag_lines(rows: &[&FlagRow], members: &BTreeMap<&str, Vec<&ReviewMember>>) -> Vec<Line> {
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let flag = &row.flag;
            let involved: Vec<String> = flag
                .member_ids
                .iter()
                .map(|id| member_text(members, &flag.household_id, id))
                .collect();
            Line {
                cells: vec![
                    (index + 1).to_string(),
                    flag.household_id.clone(),
                    flag.programme.label_zh().to_string(),
                    flag.region_code.clone().unwrap_or_default(),
                    head_of(members, &flag.household_id).to_string(),
                    involved.join("\n"),
                    flag.reason.label_zh().to_string(),
                    flag.severity.label_zh().to_string(),
                    row.status.label_zh().to_string(),
                    flag.evidence.clone(),
                    overpaid_cell(flag),
                ],
                high: flag.severity == Severity::High,
                prefilled: row
                    .status
                    .awaits_action()
                    .then(|| row.finding.clone())
                    .flatten(),
                reason_code: flag.reason.code(),
            }
        })
        .collect()
}

/// 估算多发金额 with its months: `2,250元（15个月，自2024-03-15起）`; blank for reasons
/// with no dated fact.
fn overpaid_cell(flag: &crate::rules::Flag) -> String {
    let Some(overpayment) = flag.overpayment else {
        return String::new();
    };
    let since = overpayment.since.format("%Y-%m-%d");
    match overpayment.overpaid_yuan {
        Some(amount) => format!(
            "{}元（{}个月，自{since}起）",
            crate::rules::overpayment::grouped_yuan(amount),
            overpayment.months
        ),
        None => format!("无月保障金（自{since}起）"),
    }
}

fn lead_lines(leads: &[&LeadRow], members: &BTreeMap<&str, Vec<&ReviewMember>>) -> Vec<Line> {
    leads
        .iter()
        .enumerate()
        .map(|(index, lead)| Line {
            cells: vec![
                (index + 1).to_string(),
                lead.household_id.clone(),
                lead.member_id.clone(),
                member_text(members, &lead.household_id, &lead.member_id),
                lead.reason.label_zh().to_string(),
                lead.severity.label_zh().to_string(),
                lead.source_label.clone(),
                lead.record_id.clone(),
                format!("{:.3}", lead.probability),
                // Blank where an ID was compared: the figure is for pairs without one.
                lead.expected_namesakes
                    .map_or_else(String::new, crate::rules::about),
                lead.comparison.clone(),
                lead.region_code.clone().unwrap_or_default(),
            ],
            high: lead.severity == Severity::High,
            prefilled: None,
            reason_code: lead.reason.code(),
        })
        .collect()
}

fn spot_check_lines(
    checks: &[&SpotCheckRow],
    members: &BTreeMap<&str, Vec<&ReviewMember>>,
) -> Vec<Line> {
    checks
        .iter()
        .enumerate()
        .map(|(index, check)| Line {
            cells: vec![
                (index + 1).to_string(),
                check.household_id.clone(),
                check.programme.label_zh().to_string(),
                check.region_code.clone().unwrap_or_default(),
                head_of(members, &check.household_id).to_string(),
                SPOT_CHECK_LABEL.to_string(),
            ],
            high: false,
            prefilled: None,
            reason_code: SPOT_CHECK,
        })
        .collect()
}

/// A list sheet: the item columns, then the reviewer's columns with drop-down lists, the
/// reason code hidden last; frozen header, filters, A4 landscape.
/// A header cell of a list sheet, on `background`.
pub(super) fn header_format(background: &str) -> Format {
    Format::new()
        .set_bold()
        .set_background_color(background)
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
}

/// A body cell of a list sheet: bordered, wrapped, top-aligned.
pub(super) fn cell_format() -> Format {
    Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top)
}

fn list_sheet(
    sheet: &mut Worksheet,
    name: &str,
    columns: &[(&str, f64)],
    lines: &[Line],
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    let (header, cell) = (header_format("#D9E1F2"), cell_format());
    let high = cell.clone().set_font_color("#C00000").set_bold();
    let date = cell.clone().set_num_format("yyyy-mm-dd");
    let all: Vec<(&str, f64)> = columns.iter().chain(&REVIEW_COLUMNS).copied().collect();
    let col = |i: usize| u16::try_from(i).expect("a sheet has a few dozen columns");
    for (i, (title, width)) in all.iter().enumerate() {
        sheet.write_with_format(0, col(i), *title, &header)?;
        sheet.set_column_width(col(i), *width)?;
    }
    let first_review = columns.len();
    let severity_col = columns.iter().position(|(t, _)| *t == "风险等级");
    for (index, line) in lines.iter().enumerate() {
        let r = u32::try_from(index + 1).unwrap_or(u32::MAX);
        for (i, value) in line.cells.iter().enumerate() {
            let format = if line.high && Some(i) == severity_col {
                &high
            } else {
                &cell
            };
            sheet.write_with_format(r, col(i), value.as_str(), format)?;
        }
        match &line.prefilled {
            Some(finding) => {
                sheet.write_with_format(r, col(first_review), finding.verdict.label_zh(), &cell)?;
                sheet.write_with_format(r, col(first_review + 1), &finding.reviewer, &cell)?;
                let day = excel_date(finding.reviewed_on)?;
                sheet.write_datetime_with_format(r, col(first_review + 2), &day, &date)?;
                match finding.action {
                    Some(action) => sheet.write_with_format(
                        r,
                        col(first_review + 3),
                        action.label_zh(),
                        &cell,
                    )?,
                    None => sheet.write_blank(r, col(first_review + 3), &cell)?,
                };
            }
            None => {
                for i in first_review..first_review + 4 {
                    sheet.write_blank(r, col(i), &cell)?;
                }
            }
        }
        sheet.write_blank(r, col(first_review + 4), &cell)?;
        sheet.write_with_format(r, col(first_review + 5), line.reason_code, &cell)?;
    }
    let last = u32::try_from(lines.len().max(1)).unwrap_or(u32::MAX);
    let finding = DataValidation::new()
        .allow_list_strings(&FINDINGS)?
        .set_input_title(header::VERDICT)?
        .set_input_message("请选择：情况属实 / 情况不属实 / 部分属实 / 无法核实")?;
    sheet.add_data_validation(1, col(first_review), last, col(first_review), &finding)?;
    let action = DataValidation::new()
        .allow_list_strings(&ACTIONS)?
        .set_input_title("处理结果")?
        .set_input_message("请选择：取消 / 调整 / 维持 / 转复核")?;
    sheet.add_data_validation(
        1,
        col(first_review + 3),
        last,
        col(first_review + 3),
        &action,
    )?;
    sheet.set_column_hidden(col(all.len() - 1))?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    sheet.autofilter(0, 0, last, col(all.len() - 1))?;
    Ok(())
}

fn summary_sheet(
    sheet: &mut Worksheet,
    township: &str,
    items: &TownshipItems,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    sheet.write_with_format(0, 0, "乡镇（街道）行政区划代码", &bold)?;
    sheet.write(0, 1, township)?;
    sheet.write_with_format(1, 0, "待核查户数", &bold)?;
    let households: std::collections::BTreeSet<&str> = items
        .to_visit
        .iter()
        .map(|r| r.flag.household_id.as_str())
        .collect();
    sheet.write(1, 1, count(households.len()))?;
    sheet.write_with_format(2, 0, "核查事项数", &bold)?;
    sheet.write(2, 1, count(items.to_visit.len()))?;
    sheet.write_with_format(3, 0, "待处理事项数", &bold)?;
    sheet.write(3, 1, count(items.awaiting_action.len()))?;
    sheet.write_with_format(4, 0, "待核实线索数", &bold)?;
    sheet.write(4, 1, count(items.leads.len()))?;
    sheet.write_with_format(5, 0, "抽查户数", &bold)?;
    sheet.write(5, 1, count(items.spot_checks.len()))?;
    sheet.write_with_format(7, 0, header::REASON, &bold)?;
    sheet.write_with_format(7, 1, "风险等级", &bold)?;
    sheet.write_with_format(7, 2, "户数", &bold)?;
    sheet.write_with_format(7, 3, "其中新增", &bold)?;
    let mut line = 8;
    for reason in Reason::listed(items.to_visit.iter().map(|r| r.flag.reason)) {
        let of_reason: Vec<&&FlagRow> = items
            .to_visit
            .iter()
            .filter(|r| r.flag.reason == reason)
            .collect();
        let Some(first) = of_reason.first() else {
            continue;
        };
        let new = of_reason
            .iter()
            .filter(|r| r.status == FlagStatus::New)
            .count();
        sheet.write(line, 0, reason.label_zh())?;
        sheet.write(line, 1, first.flag.severity.label_zh())?;
        sheet.write(line, 2, count(of_reason.len()))?;
        sheet.write(line, 3, count(new))?;
        line += 1;
    }
    sheet.write(
        line + 1,
        0,
        "说明：本表为数据比对线索，需入户核实后方可作出认定，不能直接作为取消或调整救助的依据。\
         核查后请填写核查结论、核查人、核查日期（已处理的填写处理结果），交回后由县级导入。",
    )?;
    sheet.set_column_width(0, 24)?;
    sheet.set_column_width(1, 16)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // tests set up files
mod tests {
    use super::*;

    fn flag_in(household: &str, region: &str) -> FlagRow {
        FlagRow {
            flag: crate::rules::Flag {
                household_id: household.into(),
                programme: crate::model::Programme::DibaoRural,
                region_code: Some(region.into()),
                reason: Reason::VehicleOwned,
                severity: Severity::Medium,
                member_ids: vec![format!("{household}-01")],
                evidence: "车辆登记".into(),
                record_ids: vec!["V1".into()],
                overpayment: None,
                score: 1.0,
            },
            status: FlagStatus::New,
            first_flagged_on: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
            finding: None,
        }
    }

    fn written(dir: &Path) -> Vec<String> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                for inner in std::fs::read_dir(&path).unwrap() {
                    let inner = inner.unwrap().path();
                    files.push(inner.strip_prefix(dir).unwrap().display().to_string());
                }
            } else {
                files.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
        files.sort();
        files
    }

    #[test]
    fn a_multi_county_run_nests_workbooks_by_county() {
        let as_of = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
        let write = |flags: &[FlagRow]| {
            let dir = tempfile::tempdir().unwrap();
            let review = dir.path().join("review");
            let items = ReviewItems {
                flags,
                leads: &[],
                spot_checks: &[],
                members: &[],
                supporters: &[],
                recheck_due: &[],
                warnings: &[],
            };
            write_review_workbooks(&review, &items, as_of).unwrap();
            written(&review)
        };
        let one_county = [flag_in("H1", "411526101001"), flag_in("H2", "411526102003")];
        assert_eq!(
            write(&one_county),
            ["411526101000.xlsx", "411526102000.xlsx"]
        );
        let two_counties = [flag_in("H1", "411526101001"), flag_in("H2", "411521203004")];
        assert_eq!(
            write(&two_counties),
            ["411521/411521203000.xlsx", "411526/411526101000.xlsx"]
        );
    }
}
