//! The report's early-warning section: per county and township, the people who should be
//! helped (应纳未纳) or helped more (应增未增), how many are new, how many a caseworker has
//! handled, and how many were enrolled or raised. People off the roll are placed by their
//! registry's region code, else their ID's county (the section says so).

use maud::{html, Markup};

use super::places::{by_place, place_row, ByPlace};
use crate::model::WarningKind;
use crate::rundir::WarningRow;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Row {
    cover: usize,
    raise: usize,
    new: usize,
    handled: usize,
    /// 情况属实: enrolled (`should_cover`) or raised (`should_raise`).
    helped: usize,
    dismissed: usize,
}

impl Row {
    fn add(&mut self, row: &WarningRow) {
        match row.warning.kind {
            WarningKind::ShouldCover => self.cover += 1,
            WarningKind::ShouldRaise => self.raise += 1,
        }
        match row.status.as_str() {
            "new" => self.new += 1,
            "persisting" => {}
            status => {
                self.handled += 1;
                self.helped += usize::from(matches!(status, "enrolled" | "raised"));
                self.dismissed += usize::from(status == "dismissed");
            }
        }
    }
}

pub fn render(rows: &[WarningRow]) -> Markup {
    let table: ByPlace<Row> = by_place(
        rows.iter().map(|r| (r.warning.region_code.as_deref(), r)),
        Row::add,
    );
    html! {
        p {
            "残疾、医保、失业登记中有重度残疾、大额医疗自付等信号的人：不在名册且无车辆房产经营、收入不超过标准的为应纳未纳；低保户成员为应增未增。不在名册者按登记的行政区划（否则按身份证号所在县）归属乡镇。"
            " People with a severe disability, a large medical bill or long unemployment: off the roll, owning nothing that flags and under the standard (should cover), or dibao members (should raise). People off the roll are placed by their registry's region code, else their ID's county."
        }
        @if table.is_empty() {
            p { "本次无预警。No warnings in this run." }
        } @else {
            table {
                tr {
                    th { "县区 county" } th { "乡镇 township" }
                    th { "应纳未纳 should cover" } th { "应增未增 should raise" } th { "新增 new" }
                    th { "已核实 handled" } th { "处理率 handled share" }
                    th { "已纳入/已提标 enrolled or raised" } th { "不属实 dismissed" }
                }
                @for ((county, township), row) in &table {
                    @let all = row.cover + row.raise;
                    (place_row(county, township, &html! {
                        td class="num" { (row.cover) }
                        td class="num" { (row.raise) }
                        td class="num" { (row.new) }
                        td class="num" { (row.handled) }
                        td class="num" { (format!("{:.0}%", super::county_report::share(row.handled, all) * 100.0)) }
                        td class="num" { (row.helped) }
                        td class="num" { (row.dismissed) }
                    }))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Signal;
    use crate::rules::warnings::Warning;

    fn row(kind: WarningKind, status: &str) -> WarningRow {
        WarningRow {
            warning: Warning {
                kind,
                person_key: "411526195102111029".into(),
                name: "赵一".into(),
                region_code: Some("411526101001".into()),
                household_id: None,
                signals: vec![Signal::SevereDisability],
                evidence: String::new(),
                record_ids: Vec::new(),
            },
            warning_id: "W1".into(),
            status: status.into(),
            first_warned_on: chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
        }
    }

    #[test]
    fn handled_counts_findings_and_helped_counts_the_enrolled_and_raised() {
        let mut counted = Row::default();
        for (kind, status) in [
            (WarningKind::ShouldCover, "new"),
            (WarningKind::ShouldCover, "enrolled"),
            (WarningKind::ShouldCover, "dismissed"),
            (WarningKind::ShouldRaise, "raised"),
            (WarningKind::ShouldRaise, "persisting"),
        ] {
            counted.add(&row(kind, status));
        }
        assert_eq!(
            counted,
            Row {
                cover: 3,
                raise: 2,
                new: 1,
                handled: 3,
                helped: 2,
                dismissed: 1
            }
        );
        let text = render(&[row(WarningKind::ShouldCover, "enrolled")]).into_string();
        assert!(text.contains("411526101000"), "{text}");
        assert!(!text.contains("411526195102111029"), "no ID in the report");
    }
}
