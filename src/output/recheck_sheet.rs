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
    // A first run lists nearly every household (no finding yet: the last check is the
    // enrolment), so cells are written plain: a format per cell costs a lookup each, and
    // this sheet is the largest in the workbook. Only an overdue row's days stand out.
    let header = Format::new()
        .set_bold()
        .set_background_color("#D9E1F2")
        .set_border(FormatBorder::Thin);
    let late = Format::new().set_font_color("#C00000").set_bold();
    for (i, (title, width)) in (0u16..).zip(COLUMNS.iter().chain([&FLAGGED])) {
        sheet.write_with_format(0, i, *title, &header)?;
        sheet.set_column_width(i, *width)?;
    }
    let mut rows = due.to_vec();
    rows.sort_by(|a, b| (a.due_on, &a.household_id).cmp(&(b.due_on, &b.household_id)));
    for (r, row) in (1u32..).zip(&rows) {
        sheet.write_number(r, 0, f64::from(r))?;
        sheet.write_string(r, 1, &row.household_id)?;
        sheet.write_string(r, 2, row.programme.label_zh())?;
        sheet.write_string(r, 3, row.region_code.as_deref().unwrap_or(""))?;
        sheet.write_string(r, 4, head_of(&row.household_id))?;
        sheet.write_string(r, 5, row.category.code())?;
        // `NaiveDate`'s own text is YYYY-MM-DD, without parsing a format string per cell.
        let last = row
            .last_checked
            .map_or_else(|| "未核查".into(), |d| d.to_string());
        sheet.write_string(r, 6, last)?;
        sheet.write_string(r, 7, row.due_on.to_string())?;
        if row.is_overdue() {
            sheet.write_number_with_format(r, 8, f64::from(row.overdue_days), &late)?;
        } else {
            sheet.write_number(r, 8, f64::from(row.overdue_days))?;
        }
        if row.flagged {
            sheet.write_string(r, 9, "是")?;
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    Ok(())
}
