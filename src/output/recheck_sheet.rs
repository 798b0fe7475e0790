//! The township workbook's sheet 到期复核: households due their periodic re-check (定期复核),
//! overdue first. A list to plan visits by, not a findings sheet: its household column is
//! headed 户号, not 户编号, so `review import` passes it by (the contract counts findings on
//! flags, leads and spot checks as checks); a visit that finds something is recorded on
//! those sheets, and the household drops off this list on the next run.

use rust_xlsxwriter::{Format, FormatBorder, Worksheet, XlsxError};

use crate::rundir::names::RECHECK_DUE_SHEET;
use crate::rundir::RecheckDue;

const COLUMNS: [(&str, f64); 9] = [
    ("序号", 6.0),
    ("户号", 12.0),
    ("救助类型", 10.0),
    ("行政区划代码", 14.0),
    ("户主姓名", 10.0),
    ("分类", 6.0),
    ("上次核查日期", 12.0),
    ("应复核日期", 12.0),
    ("逾期天数", 8.0),
];
/// The last column: whether this run flags the household as well.
const FLAGGED: (&str, f64) = ("本次另有疑点", 10.0);

/// Writes the sheet; `head_of` names a household's head.
pub fn write(
    sheet: &mut Worksheet,
    due: &[&RecheckDue],
    head_of: &dyn Fn(&str) -> String,
) -> Result<(), XlsxError> {
    sheet.set_name(RECHECK_DUE_SHEET)?;
    let header = Format::new()
        .set_bold()
        .set_background_color("#D9E1F2")
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let late = cell.clone().set_font_color("#C00000").set_bold();
    for (i, (title, width)) in (0u16..).zip(COLUMNS.iter().chain([&FLAGGED])) {
        sheet.write_with_format(0, i, *title, &header)?;
        sheet.set_column_width(i, *width)?;
    }
    let mut rows = due.to_vec();
    rows.sort_by(|a, b| (a.due_on, &a.household_id).cmp(&(b.due_on, &b.household_id)));
    for (r, (index, row)) in (1u32..).zip(rows.iter().enumerate()) {
        let format = if row.is_overdue() { &late } else { &cell };
        let cells = [
            (index + 1).to_string(),
            row.household_id.clone(),
            row.programme.label_zh().to_string(),
            row.region_code.clone().unwrap_or_default(),
            head_of(&row.household_id),
            row.category.code().to_string(),
            row.last_checked
                .map_or_else(|| "未核查".into(), |d| d.format("%Y-%m-%d").to_string()),
            row.due_on.format("%Y-%m-%d").to_string(),
            row.overdue_days.to_string(),
            if row.flagged { "是" } else { "" }.to_string(),
        ];
        for (c, value) in (0u16..).zip(cells) {
            sheet.write_with_format(r, c, value, format)?;
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    Ok(())
}
