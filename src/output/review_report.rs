//! The report's section on review outcomes: what the campaign achieved, completion and
//! measured precision per county, township and reason, precision per score band, the flags
//! overdue for a visit, and what the spot checks say the checks miss.

use std::collections::BTreeMap;

use maud::{html, Markup};

use super::RunOutputs;
use crate::model::Reason;
use crate::model::RegionCode;
use crate::review::summary::{wilson, RecheckRow, SummaryRow, ALL};
use crate::rundir::names::SPOT_CHECK;
use crate::rundir::{format_score, FlagRow};

/// The section's body.
pub fn render(input: &RunOutputs) -> Markup {
    let review = input.review;
    html! {
        (outcome(review.findings, &review.outcome))
        (summary_table(
            "按原因 By reason",
            review
                .summary
                .iter()
                .filter(|r| r.county == ALL && r.township == ALL),
        ))
        (summary_table(
            "按乡镇 By township",
            review
                .summary
                .iter()
                .filter(|r| r.township != ALL && r.reason == ALL),
        ))
        (score_bands(&review.score_bands))
        (overdue(input.flags, input.as_of, review.due_days))
        (spot_checks(&review.summary, review.unflagged_households))
        (rechecks(&review.rechecks))
    }
}

/// What the campaign achieved, in households and yuan.
fn outcome(findings: usize, o: &crate::review::summary::Outcome) -> Markup {
    let yuan = |amount: f64| format!("{amount:.2}");
    html! {
        p class="outcome" {
            "已记录核查结论 " (findings) " 条。核查结果："
            b { "取消 " (o.households_cancelled) " 户，调整 " (o.households_adjusted) " 户" }
            "，维持 " (o.households_kept) " 户，转复核 " (o.households_rereview) " 户；情况属实 "
            (o.households_confirmed) " 户，月保障金合计 " (yuan(o.confirmed_benefit_yuan))
            " 元，其中取消户 " (yuan(o.cancelled_benefit_yuan)) " 元/月。"
        }
        p class="note" {
            "Outcome: " (o.households_cancelled) " households cancelled, " (o.households_adjusted)
            " adjusted, " (yuan(o.cancelled_benefit_yuan)) " yuan a month no longer paid (the monthly benefit on the roll of the cancelled households: the sum of their members' monthly_benefit). Each household counts once, by its strongest action."
        }
    }
}

/// The county's re-checks of the townships' findings, and where two reviewers disagree.
fn rechecks(rows: &[RecheckRow]) -> Markup {
    html! {
        h3 { "县级复核抽查 Second-reviewer re-checks" }
        @if rows.is_empty() {
            p { "尚无复核结论 no re-checks yet (" code { "rollcheck review sample" } ")" }
        } @else {
            table {
                tr { th { "乡镇 township" } th { "复核 re-checked" } th { "结论不一致 disagreed" } }
                @for row in rows {
                    tr class=[(row.disagreed > 0).then_some("warn")] {
                        td { (row.township) }
                        td class="num" { (row.checked) }
                        td class="num" { (row.disagreed) }
                    }
                }
            }
        }
    }
}

fn reason_text(code: &str) -> String {
    match Reason::named(code) {
        Some(reason) => format!("{} {code}", reason.label_zh()),
        None if code == SPOT_CHECK => "抽查 spot_check".to_string(),
        None => code.to_string(),
    }
}

/// A share with its interval, `0.6667 (0.2077–0.9385)`, or a dash where there is none.
pub(super) fn precision_text(precision: Option<(f64, f64, f64)>) -> String {
    precision.map_or_else(
        || "—".to_string(),
        |(p, low, high)| {
            format!(
                "{} ({}–{})",
                format_score(p),
                format_score(low),
                format_score(high)
            )
        },
    )
}

/// The columns of a summary table, county to yuan.
const SUMMARY_HEADS: [&str; 15] = [
    "县 county",
    "乡镇 township",
    "原因 reason",
    "疑点 flags",
    "已核查 reviewed",
    "属实 confirmed",
    "部分属实 partly",
    "不属实 dismissed",
    "无法核实 unverifiable",
    "待核查 pending",
    "完成率 completion",
    "精确率 precision (95% CI)",
    "取消 cancelled",
    "调整 adjusted",
    "属实户月保障金 yuan",
];

fn summary_table<'a>(title: &str, rows: impl Iterator<Item = &'a SummaryRow>) -> Markup {
    html! {
        h3 { (title) }
        table {
            tr { @for head in SUMMARY_HEADS { th { (head) } } }
            @for row in rows {
                tr {
                    td { (row.county) }
                    td { (row.township) }
                    td { (reason_text(&row.reason)) }
                    @for count in [
                        row.flags,
                        row.reviewed,
                        row.confirmed,
                        row.partly_confirmed,
                        row.dismissed,
                        row.unverifiable,
                        row.pending,
                    ] {
                        td class="num" { (count) }
                    }
                    td class="num" { (format!("{:.1}%", row.completion_rate() * 100.0)) }
                    td class="num" { (precision_text(row.precision())) }
                    td class="num" { (row.cancelled) }
                    td class="num" { (row.adjusted) }
                    td class="num" { (format!("{:.2}", row.confirmed_benefit_yuan)) }
                }
            }
        }
    }
}

fn score_bands(bands: &[(f64, usize, usize)]) -> Markup {
    html! {
        h3 { "概率匹配各得分段的实测精确率 Precision per score band (probabilistic matches and leads)" }
        table {
            tr {
                th { "得分 score ≥" } th { "属实 upheld" } th { "不属实 dismissed" }
                th { "精确率 precision (95% CI)" }
            }
            @for (edge, upheld, dismissed) in bands {
                tr {
                    td class="num" { (format_score(*edge)) }
                    td class="num" { (upheld) }
                    td class="num" { (dismissed) }
                    td class="num" { (precision_text(wilson(*upheld, upheld + dismissed))) }
                }
            }
        }
        p {
            "A county can set " code { "[link] match_probability" }
            " at the lowest band whose measured precision it accepts."
        }
    }
}

/// Flags still waiting for a visit `due_days` after they were first raised, per township.
fn overdue(flags: &[FlagRow], as_of: chrono::NaiveDate, due_days: u32) -> Markup {
    let mut by_township: BTreeMap<String, usize> = BTreeMap::new();
    for row in flags.iter().filter(|r| r.status.to_visit()) {
        if (as_of - row.first_flagged_on).num_days() > i64::from(due_days) {
            *by_township
                .entry(RegionCode::township_key(row.flag.region_code.as_deref()))
                .or_default() += 1;
        }
    }
    html! {
        h3 { "逾期未核查（超过" (due_days) "天） Overdue for a visit (more than " (due_days) " days)" }
        @if by_township.is_empty() {
            p { "无 none" }
        } @else {
            table {
                tr { th { "乡镇 township" } th { "逾期疑点 overdue flags" } }
                @for (township, count) in &by_township {
                    tr { td { (township) } td class="num" { (count) } }
                }
            }
        }
    }
}

/// What the spot checks say: the share of unflagged households found ineligible, with its
/// interval, and that share of the unflagged households as the number the checks miss.
fn spot_checks(summary: &[SummaryRow], unflagged: usize) -> Markup {
    let found_in = |row: &SummaryRow| {
        let found = row.confirmed + row.partly_confirmed;
        let checked = found + row.dismissed;
        Some((found, checked, wilson(found, checked)?))
    };
    let Some((found, checked, (p, low, high))) = summary
        .iter()
        .find(|r| r.county == ALL && r.township == ALL && r.reason == SPOT_CHECK)
        .and_then(found_in)
    else {
        return html! {
            h3 { "抽查 Spot checks" }
            p { "尚无抽查结论 no spot-check findings yet" }
        };
    };
    #[allow(clippy::cast_precision_loss)]
    let households = unflagged as f64;
    let percent = |share: f64| format!("{:.1}", share * 100.0);
    let missed = |share: f64| format!("{:.0}", share * households);
    html! {
        h3 { "抽查 Spot checks" }
        p {
            "抽查未预警户 " (checked) " 户，发现不符合条件 " (found) " 户（" (percent(p)) "%，95%区间 "
            (percent(low)) "%–" (percent(high)) "%）。按未预警户 " (unflagged)
            " 户推算，比对未发现的不符合条件户约 " (missed(p)) " 户（" (missed(low)) "–" (missed(high))
            "）。"
        }
        p class="note" {
            (checked) " unflagged households checked, " (found) " found ineligible: an estimated "
            (missed(p)) " (" (missed(low)) "–" (missed(high)) ") ineligible households the checks miss."
        }
    }
}
