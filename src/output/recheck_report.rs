//! The report's lines on the periodic re-check (定期复核): per township, the households
//! overdue, due this month, and due later within the notice period.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use maud::{html, Markup};

use super::RunOutputs;
use crate::model::RegionCode;
use crate::rules::overpayment::last_of_month;
use crate::rundir::RecheckDue;

/// Households due a re-check in one township.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TownshipDue {
    pub overdue: usize,
    pub this_month: usize,
    pub later: usize,
}

/// Counts per township key, in township order.
pub fn by_township(due: &[RecheckDue], as_of: NaiveDate) -> BTreeMap<String, TownshipDue> {
    let month_end = last_of_month(as_of);
    let mut townships: BTreeMap<String, TownshipDue> = BTreeMap::new();
    for row in due {
        let counts = townships
            .entry(RegionCode::township_key(row.region_code.as_deref()))
            .or_default();
        if row.due_on < as_of {
            counts.overdue += 1;
        } else if row.due_on <= month_end {
            counts.this_month += 1;
        } else {
            counts.later += 1;
        }
    }
    townships
}

/// The re-check lines, one per township with a household due.
pub fn render(input: &RunOutputs) -> Markup {
    let townships = by_township(&input.review.recheck_due, input.as_of);
    html! {
        h3 { "定期复核 Periodic re-checks due" }
        @if townships.is_empty() {
            p { "本期无到期复核户 no household is due its periodic re-check" }
        } @else {
            table {
                tr {
                    th { "乡镇 township" } th { "已逾期 overdue" } th { "本月到期 due this month" }
                    th { "通知期内 due within notice" }
                }
                @for (township, counts) in &townships {
                    tr class=[(counts.overdue > 0).then_some("warn")] {
                        td { (township) }
                        td class="num" { (counts.overdue) }
                        td class="num" { (counts.this_month) }
                        td class="num" { (counts.later) }
                    }
                }
            }
            p class="note" {
                "上次核查：该户最近一次核查结论的核查日期，无则为纳入日期；间隔按分类（A/B/C）。"
                " Last check: the latest finding's reviewed_on on the household, else its "
                "enrolment; intervals by class from [recheck]. Each township's workbook lists "
                "them on the sheet 到期复核; all are in recheck_due.parquet."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Category;
    use crate::model::Programme;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn townships_count_overdue_this_month_and_later() {
        let due = |region: &str, on: &str| RecheckDue {
            household_id: "H".into(),
            programme: Programme::DibaoUrban,
            region_code: Some(region.into()),
            category: Category::B,
            last_checked: None,
            due_on: date(on),
            overdue_days: 0,
            flagged: false,
        };
        let rows = [
            due("411526101001", "2025-06-01"),
            due("411526101002", "2025-06-20"),
            due("411526101002", "2025-06-30"),
            due("411526102001", "2025-07-15"),
        ];
        let counts = by_township(&rows, date("2025-06-20"));
        assert_eq!(
            counts["411526101000"],
            TownshipDue {
                overdue: 1,
                this_month: 2,
                later: 0
            }
        );
        assert_eq!(counts["411526102000"].later, 1);
    }
}
