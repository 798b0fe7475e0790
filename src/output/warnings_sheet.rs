//! The sheet 预警线索 of a township workbook: the people of the township who should be
//! helped (应纳未纳) or helped more (应增未增), masked, with the signals and the evidence, and
//! the finding columns every sheet ends with. Rows are keyed by 预警编号 (a warning's id: a
//! person off the roll has no household), which `review import` reads back.

use super::workbooks::Line;
use crate::normalize::mask_id;
use crate::rundir::WarningRow;

/// The sheet's own columns (the finding columns follow).
pub const COLUMNS: [(&str, f64); 8] = [
    ("序号", 6.0),
    ("预警编号", 14.0),
    ("预警类型", 10.0),
    ("姓名（身份证号已脱敏）", 24.0),
    ("行政区划代码", 14.0),
    ("所在低保户", 12.0),
    ("预警信号", 16.0),
    ("预警依据", 60.0),
];

/// One line per warning, in the order given (`should_raise` by household, then `should_cover`).
pub fn lines(rows: &[&WarningRow]) -> Vec<Line> {
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let w = &row.warning;
            Line {
                cells: vec![
                    (index + 1).to_string(),
                    row.warning_id.clone(),
                    w.kind.label_zh().to_string(),
                    format!("{}（{}）", w.name, mask_id(&w.person_key)),
                    w.region_code.clone().unwrap_or_default(),
                    w.household_id.clone().unwrap_or_default(),
                    w.signals
                        .iter()
                        .map(|s| s.label_zh())
                        .collect::<Vec<_>>()
                        .join("、"),
                    w.evidence.clone(),
                ],
                high: false,
                prefilled: None,
                reason_code: w.kind.code(),
            }
        })
        .collect()
}
