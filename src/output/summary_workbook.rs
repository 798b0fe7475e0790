//! `summary.xlsx`: the county's summary workbook. Its sheet 核查结果汇总 holds
//! `review_summary`'s rows with Chinese headers (the contract's column names beneath them),
//! and 处理结果 gives the campaign's outcome in the words of a county's campaign summary.

use std::path::Path;

use chrono::NaiveDate;
use rust_xlsxwriter::{DocProperties, Format, Workbook, XlsxError};

use crate::review::summary::{cells, RecheckRow, ALL, SUMMARY_COLUMNS};
use crate::review::ReviewOutcomes;
use crate::rundir::{write_file, OutputError};

const HEADERS_ZH: [&str; 21] = [
    "县（市、区）",
    "乡镇（街道）",
    "核查原因",
    "疑点数",
    "已核查",
    "情况属实",
    "部分属实",
    "情况不属实",
    "无法核实",
    "待核查",
    "完成率",
    "精确率",
    "精确率下限(95%)",
    "精确率上限(95%)",
    "取消",
    "调整",
    "维持",
    "转复核",
    "属实户月保障金(元)",
    "估算多发金额(元)",
    "属实户估算多发金额(元)",
];

/// Writes the workbook to `path`.
pub fn write(path: &Path, review: &ReviewOutcomes, as_of: NaiveDate) -> Result<(), OutputError> {
    let bytes = workbook(review, as_of).map_err(|e| OutputError::write(path, e))?;
    write_file(path, &bytes)
}

fn workbook(review: &ReviewOutcomes, as_of: NaiveDate) -> Result<Vec<u8>, XlsxError> {
    let (rows, outcome) = (&review.summary, &review.outcome);
    let mut workbook = Workbook::new();
    // Dated by the as-of date, not the clock, so the same run writes the same bytes.
    workbook.set_properties(
        &DocProperties::new()
            .set_title("核查结果汇总")
            .set_creation_datetime(&super::workbooks::excel_date(as_of)?),
    );
    let bold = Format::new().set_bold().set_background_color("#D9E1F2");
    let sheet = workbook.add_worksheet();
    sheet.set_name("核查结果汇总")?;
    for (col, (zh, code)) in HEADERS_ZH.iter().zip(SUMMARY_COLUMNS).enumerate() {
        let col = u16::try_from(col).expect("21 columns");
        sheet.write_with_format(0, col, *zh, &bold)?;
        sheet.write(1, col, code)?;
        sheet.set_column_width(col, if col < 3 { 16.0 } else { 11.0 })?;
    }
    for (index, row) in rows.iter().enumerate() {
        let r = u32::try_from(index + 2).unwrap_or(u32::MAX);
        for (col, cell) in cells(row).into_iter().enumerate() {
            let col = u16::try_from(col).expect("21 columns");
            match cell.parse::<f64>() {
                Ok(number) if col >= 3 => sheet.write(r, col, number)?,
                _ => sheet.write(r, col, cell)?,
            };
        }
    }
    sheet.set_freeze_panes(2, 3)?;
    let last = u32::try_from(rows.len() + 1).unwrap_or(u32::MAX);
    let last_col = u16::try_from(SUMMARY_COLUMNS.len() - 1).expect("21 columns");
    sheet.autofilter(1, 0, last, last_col)?;

    let results = workbook.add_worksheet();
    results.set_name("处理结果")?;
    let lines: [(&str, f64); 6] = [
        ("取消救助（户）", count(outcome.households_cancelled)),
        ("调整救助（户）", count(outcome.households_adjusted)),
        ("转复核（户）", count(outcome.households_rereview)),
        ("维持（户）", count(outcome.households_kept)),
        ("取消户月保障金合计（元）", outcome.cancelled_benefit_yuan),
        (
            "情况属实户月保障金合计（元）",
            outcome.confirmed_benefit_yuan,
        ),
    ];
    for (r, (label, value)) in (0u32..).zip(lines) {
        results.write_with_format(r, 0, label, &bold)?;
        results.write(r, 1, value)?;
    }
    results.write(
        7,
        0,
        "说明：每户按最重的处理结果计一次（取消 > 调整 > 转复核 > 维持）；月保障金为花名册所载该户成员月保障金之和。",
    )?;
    results.set_column_width(0, 30)?;
    rechecks_sheet(workbook.add_worksheet(), &review.rechecks, &bold)?;
    counties_sheet(workbook.add_worksheet(), review, &bold)?;
    campaign_sheet(workbook.add_worksheet(), &review.campaign, &bold)?;
    workbook.save_to_buffer()
}

/// 复核一致性: per township, the findings a second reviewer re-checked and how many differ.
fn rechecks_sheet(
    sheet: &mut rust_xlsxwriter::Worksheet,
    rows: &[RecheckRow],
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name("复核一致性")?;
    for (col, title) in (0u16..).zip(["乡镇（街道）", "复核事项", "结论不一致"]) {
        sheet.write_with_format(0, col, title, bold)?;
    }
    for (r, row) in (1u32..).zip(rows) {
        sheet.write(r, 0, &row.township)?;
        sheet.write(r, 1, count(row.checked))?;
        sheet.write(r, 2, count(row.disagreed))?;
    }
    sheet.set_column_width(0, 16)?;
    Ok(())
}

/// 分县汇总: one row per county, as a provincial campaign summary lists them: households,
/// flagged households, flags per reason, and reviewed, confirmed and pending.
fn counties_sheet(
    sheet: &mut rust_xlsxwriter::Worksheet,
    review: &ReviewOutcomes,
    bold: &Format,
) -> Result<(), XlsxError> {
    use crate::model::Reason;
    sheet.set_name("分县汇总")?;
    let mut titles: Vec<&str> = vec!["县（市、区）", "在册户数", "疑点户数"];
    let reasons = Reason::listed(
        review
            .counties
            .iter()
            .flat_map(|c| c.flags_per_reason.keys().copied()),
    );
    titles.extend(reasons.iter().map(|r| r.label_zh()));
    titles.extend(["已核查", "情况属实", "待核查"]);
    for (col, title) in (0u16..).zip(&titles) {
        sheet.write_with_format(0, col, *title, bold)?;
        sheet.set_column_width(col, if col == 0 { 14.0 } else { 10.0 })?;
    }
    for (r, county) in (1u32..).zip(&review.counties) {
        let outcome = review
            .summary
            .iter()
            .find(|s| s.county == county.county && s.township == ALL && s.reason == ALL);
        let mut values = vec![count(county.households), count(county.flagged_households)];
        values.extend(
            reasons
                .iter()
                .map(|reason| count(county.flags_per_reason.get(reason).copied().unwrap_or(0))),
        );
        values.extend([
            count(outcome.map_or(0, |o| o.reviewed)),
            count(outcome.map_or(0, |o| o.confirmed)),
            count(outcome.map_or(0, |o| o.pending)),
        ]);
        sheet.write(r, 0, &county.county)?;
        for (col, value) in (1u16..).zip(values) {
            sheet.write(r, col, value)?;
        }
    }
    sheet.set_freeze_panes(1, 1)?;
    Ok(())
}

/// 专项成效: per county and township (and the whole run), the figures campaign summaries
/// publish: flags, share reviewed, confirmed share with its interval, households cancelled
/// and adjusted, the monthly benefit stopped, and the estimated overpayment since the events
/// (every flag, confirmed only; each household once, at its largest estimate).
fn campaign_sheet(
    sheet: &mut rust_xlsxwriter::Worksheet,
    rows: &[crate::review::campaign::CampaignRow],
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name("专项成效")?;
    let titles = [
        "县（市、区）",
        "乡镇（街道）",
        "疑点数",
        "核查完成率",
        "属实率",
        "属实率下限(95%)",
        "属实率上限(95%)",
        "取消（户）",
        "调整（户）",
        "停发月保障金(元/月)",
        "估算多发金额(元)",
        "其中属实(元)",
    ];
    for (col, title) in (0u16..).zip(titles) {
        sheet.write_with_format(0, col, title, bold)?;
        sheet.set_column_width(col, if col < 2 { 14.0 } else { 12.0 })?;
    }
    for (r, row) in (1u32..).zip(rows) {
        sheet.write(r, 0, &row.county)?;
        sheet.write(r, 1, &row.township)?;
        let precision = row.summary.precision();
        let values = [
            Some(count(row.summary.flags)),
            Some(row.summary.completion_rate()),
            precision.map(|p| p.0),
            precision.map(|p| p.1),
            precision.map(|p| p.2),
            Some(count(row.outcome.households_cancelled)),
            Some(count(row.outcome.households_adjusted)),
            Some(row.outcome.cancelled_benefit_yuan),
            Some(row.summary.overpaid_yuan),
            Some(row.summary.confirmed_overpaid_yuan),
        ];
        for (col, value) in (2u16..).zip(values) {
            if let Some(value) = value {
                sheet.write(r, col, value)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    Ok(())
}

fn count(n: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)] // household counts far below 2^52
    let n = n as f64;
    n
}
