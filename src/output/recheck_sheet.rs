//! The township workbook's sheet 到期复核: households due their periodic re-check (定期复核),
//! overdue first. A list to plan visits by, not a findings sheet: its household column is
//! headed 户号, not 户编号, so `review import` passes it by (the contract counts findings on
//! flags, leads and spot checks as checks); a visit that finds something is recorded on
//! those sheets, and the household drops off this list on the next run.

use rust_xlsxwriter::{
    ConditionalFormatCell, ConditionalFormatCellRule, Format, FormatBorder, Worksheet, XlsxError,
};

use super::workbooks::excel_date;
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
const LAST_CHECKED: u16 = 6;
const DUE_ON: u16 = 7;
const OVERDUE_DAYS: u16 = 8;

/// Writes the sheet; `head_of` names a household's head.
pub fn write<'m>(
    sheet: &mut Worksheet,
    due: &[&RecheckDue],
    head_of: &dyn Fn(&str) -> &'m str,
) -> Result<(), XlsxError> {
    sheet.set_name(RECHECK_DUE_SHEET)?;
    // A first run lists nearly every household (no finding yet: the last check is the
    // enrolment), so this is the workbook's largest sheet and its cells are kept cheap:
    // no format per cell (each costs a lookup), dates as Excel dates under their column's
    // format rather than text, and overdue days in red by one conditional format.
    let header = Format::new()
        .set_bold()
        .set_background_color("#D9E1F2")
        .set_border(FormatBorder::Thin);
    for (i, (title, width)) in (0u16..).zip(COLUMNS.iter().chain([&FLAGGED])) {
        sheet.write_with_format(0, i, *title, &header)?;
        sheet.set_column_width(i, *width)?;
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    sheet.set_column_format(LAST_CHECKED, &date)?;
    sheet.set_column_format(DUE_ON, &date)?;
    let mut rows = due.to_vec();
    rows.sort_by(|a, b| (a.due_on, &a.household_id).cmp(&(b.due_on, &b.household_id)));
    for (r, row) in (1u32..).zip(&rows) {
        sheet.write_number(r, 0, f64::from(r))?;
        sheet.write_string(r, 1, &row.household_id)?;
        sheet.write_string(r, 2, row.programme.label_zh())?;
        sheet.write_string(r, 3, row.region_code.as_deref().unwrap_or(""))?;
        sheet.write_string(r, 4, head_of(&row.household_id))?;
        sheet.write_string(r, 5, row.category.code())?;
        match row.last_checked {
            Some(day) => sheet.write_datetime(r, LAST_CHECKED, excel_date(day)?)?,
            None => sheet.write_string(r, LAST_CHECKED, "未核查")?,
        };
        sheet.write_datetime(r, DUE_ON, excel_date(row.due_on)?)?;
        sheet.write_number(r, OVERDUE_DAYS, f64::from(row.overdue_days))?;
        if row.flagged {
            sheet.write_string(r, 9, "是")?;
        }
    }
    if let Some(last) = u32::try_from(rows.len()).ok().filter(|&n| n > 0) {
        let late = ConditionalFormatCell::new()
            .set_rule(ConditionalFormatCellRule::GreaterThan(0))
            .set_format(Format::new().set_font_color("#C00000").set_bold());
        sheet.add_conditional_format(1, OVERDUE_DAYS, last, OVERDUE_DAYS, &late)?;
    }
    sheet.set_freeze_panes(1, 2)?;
    Ok(())
}
