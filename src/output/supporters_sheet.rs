//! The sheet 赡养人 of a township workbook: for each household the workbook asks to visit or
//! act on, the supporters of its members (contract v3, "Supporters"), masked like members,
//! with what they earn, what they owe and what shows their capacity. A reference for the
//! visit, not a list of findings: its household column is 被赡养户编号, not 户编号, so
//! `review import` never reads it as findings.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::workbooks::{cell_format, header_format, ReviewMember};
use crate::rules::income::{cents, SupporterRow};

/// The sheet's name.
pub const SHEET: &str = "赡养人";

const COLUMNS: [(&str, f64); 11] = [
    ("序号", 6.0),
    ("被赡养户编号", 12.0),
    ("被赡养成员（身份证号已脱敏）", 26.0),
    ("关系", 8.0),
    ("赡养人（身份证号已脱敏）", 26.0),
    ("赡养人户内人数", 10.0),
    ("月收入（元）", 10.0),
    ("人均月收入（元）", 10.0),
    ("应付赡养费（元）", 10.0),
    ("赡养能力依据", 40.0),
    ("家庭关系记录", 12.0),
];

/// Writes the supporters of `households`' members, in household and member order.
pub fn write(
    sheet: &mut Worksheet,
    supporters: &[&SupporterRow],
    members: &BTreeMap<&str, Vec<&ReviewMember>>,
) -> Result<(), XlsxError> {
    sheet.set_name(SHEET)?;
    let (header, cell) = (header_format("#E2EFDA"), cell_format());
    let money = cell.clone().set_num_format("#,##0.00");
    for (c, (title, width)) in (0u16..).zip(COLUMNS) {
        sheet.write_with_format(0, c, title, &header)?;
        sheet.set_column_width(c, width)?;
    }
    for (r, s) in (1u32..).zip(supporters) {
        let member = members
            .get(s.support.household_id.as_str())
            .and_then(|m| m.iter().find(|m| m.member_id == s.member_id))
            .map_or_else(
                || s.member_id.clone(),
                |m| format!("{} {}（{}）", m.member_id, m.name, m.masked_id),
            );
        let texts = [
            r.to_string(),
            s.support.household_id.clone(),
            member,
            s.support.kinship.label_zh().to_string(),
            format!("{}（{}）", s.name, s.masked_id),
            s.support.household_size.to_string(),
        ];
        for (c, text) in (0u16..).zip(&texts) {
            sheet.write_with_format(r, c, text.as_str(), &cell)?;
        }
        let amounts = [s.income.total(), s.per_capita_yuan, s.owed_yuan];
        for (c, amount) in (6u16..).zip(amounts) {
            sheet.write_number_with_format(r, c, cents(amount), &money)?;
        }
        let capacity: Vec<&str> = s.assets.iter().map(|a| a.text.as_str()).collect();
        sheet.write_with_format(r, 9, capacity.join("；"), &cell)?;
        sheet.write_with_format(r, 10, s.support.record_id.as_str(), &cell)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_print_fit_to_pages(1, 0);
    Ok(())
}
