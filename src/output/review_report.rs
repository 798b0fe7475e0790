//! The report's section on review outcomes: what the campaign achieved, completion and
//! measured precision per county, township and reason, precision per score band, the flags
//! overdue for a visit, and what the spot checks say the checks miss.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::report::escape;
use super::RunOutputs;
use crate::model::Reason;
use crate::review::summary::{wilson, RecheckRow, SummaryRow, ALL};
use crate::rundir::names::SPOT_CHECK;
use crate::rundir::{format_score, FlagRow};

/// The section's body.
pub fn render(input: &RunOutputs) -> String {
    let review = input.review;
    let mut html = String::new();
    let o = &review.outcome;
    let _ = write!(
        html,
        r#"<p class="outcome">已记录核查结论 {} 条。核查结果：<b>取消 {} 户，调整 {} 户</b>，维持 {} 户，转复核 {} 户；情况属实 {} 户，月保障金合计 {:.2} 元，其中取消户 {:.2} 元/月。</p>
<p class="note">Outcome: {} households cancelled, {} adjusted, {:.2} yuan a month no longer paid (the monthly benefit on the roll of the cancelled households: the sum of their members' monthly_benefit). Each household counts once, by its strongest action.</p>"#,
        review.findings,
        o.households_cancelled,
        o.households_adjusted,
        o.households_kept,
        o.households_rereview,
        o.households_confirmed,
        o.confirmed_benefit_yuan,
        o.cancelled_benefit_yuan,
        o.households_cancelled,
        o.households_adjusted,
        o.cancelled_benefit_yuan,
    );
    html.push_str(&summary_table(
        "按原因 By reason",
        review
            .summary
            .iter()
            .filter(|r| r.county == ALL && r.township == ALL),
    ));
    html.push_str(&summary_table(
        "按乡镇 By township",
        review
            .summary
            .iter()
            .filter(|r| r.township != ALL && r.reason == ALL),
    ));
    html.push_str(&score_bands(&review.score_bands));
    html.push_str(&overdue(input.flags, input.as_of, review.due_days));
    html.push_str(&spot_checks(&review.summary, review.unflagged_households));
    html.push_str(&rechecks(&review.rechecks));
    html
}

/// The county's re-checks of the townships' findings, and where two reviewers disagree.
fn rechecks(rows: &[RecheckRow]) -> String {
    let mut html = String::from("<h3>县级复核抽查 Second-reviewer re-checks</h3>");
    if rows.is_empty() {
        html.push_str(
            "<p>尚无复核结论 no re-checks yet (<code>rollcheck review sample</code>)</p>",
        );
        return html;
    }
    html.push_str("<table><tr><th>乡镇 township</th><th>复核 re-checked</th><th>结论不一致 disagreed</th></tr>");
    for row in rows {
        let class = if row.disagreed > 0 {
            " class=\"warn\""
        } else {
            ""
        };
        let _ = write!(
            html,
            r#"<tr{class}><td>{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            escape(&row.township),
            row.checked,
            row.disagreed
        );
    }
    html.push_str("</table>");
    html
}

fn reason_text(code: &str) -> String {
    match Reason::named(code) {
        Some(reason) => format!("{} {code}", reason.label_zh()),
        None if code == SPOT_CHECK => "抽查 spot_check".to_string(),
        None => code.to_string(),
    }
}

/// A share with its interval, `0.6667 (0.2077–0.9385)`, or a dash where there is none.
fn precision_text(precision: Option<(f64, f64, f64)>) -> String {
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

fn summary_table<'a>(title: &str, rows: impl Iterator<Item = &'a SummaryRow>) -> String {
    let mut table = format!(
        "<h3>{}</h3><table><tr><th>县 county</th><th>乡镇 township</th><th>原因 reason</th><th>疑点 flags</th><th>已核查 reviewed</th><th>属实 confirmed</th><th>部分属实 partly</th><th>不属实 dismissed</th><th>无法核实 unverifiable</th><th>待核查 pending</th><th>完成率 completion</th><th>精确率 precision (95% CI)</th><th>取消 cancelled</th><th>调整 adjusted</th><th>属实户月保障金 yuan</th></tr>",
        escape(title)
    );
    for row in rows {
        let precision = precision_text(row.precision());
        let _ = write!(
            table,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{:.1}%</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{:.2}</td></tr>"#,
            escape(&row.county),
            escape(&row.township),
            escape(&reason_text(&row.reason)),
            row.flags,
            row.reviewed,
            row.confirmed,
            row.partly_confirmed,
            row.dismissed,
            row.unverifiable,
            row.pending,
            row.completion_rate() * 100.0,
            escape(&precision),
            row.cancelled,
            row.adjusted,
            row.confirmed_benefit_yuan,
        );
    }
    table.push_str("</table>");
    table
}

fn score_bands(bands: &[(f64, usize, usize)]) -> String {
    let mut table = String::from(
        "<h3>概率匹配各得分段的实测精确率 Precision per score band (probabilistic matches and leads)</h3><table><tr><th>得分 score ≥</th><th>属实 upheld</th><th>不属实 dismissed</th><th>精确率 precision (95% CI)</th></tr>",
    );
    for (edge, upheld, dismissed) in bands {
        let precision = precision_text(wilson(*upheld, upheld + dismissed));
        let _ = write!(
            table,
            r#"<tr><td class="num">{}</td><td class="num">{upheld}</td><td class="num">{dismissed}</td><td class="num">{}</td></tr>"#,
            format_score(*edge),
            escape(&precision)
        );
    }
    table.push_str("</table><p>A county can set <code>[link] match_probability</code> at the lowest band whose measured precision it accepts.</p>");
    table
}

/// Flags still waiting for a visit `due_days` after they were first raised, per township.
fn overdue(flags: &[FlagRow], as_of: chrono::NaiveDate, due_days: u32) -> String {
    let mut by_township: BTreeMap<String, usize> = BTreeMap::new();
    for row in flags.iter().filter(|r| r.status.to_visit()) {
        if (as_of - row.first_flagged_on).num_days() > i64::from(due_days) {
            *by_township
                .entry(crate::model::RegionCode::township_key(
                    row.flag.region_code.as_deref(),
                ))
                .or_default() += 1;
        }
    }
    let mut html = format!(
        "<h3>逾期未核查（超过{due_days}天） Overdue for a visit (more than {due_days} days)</h3>"
    );
    if by_township.is_empty() {
        html.push_str("<p>无 none</p>");
        return html;
    }
    html.push_str("<table><tr><th>乡镇 township</th><th>逾期疑点 overdue flags</th></tr>");
    for (township, count) in by_township {
        let _ = write!(
            html,
            r#"<tr><td>{}</td><td class="num">{count}</td></tr>"#,
            escape(&township)
        );
    }
    html.push_str("</table>");
    html
}

/// What the spot checks say: the share of unflagged households found ineligible, with its
/// interval, and that share of the unflagged households as the number the checks miss.
fn spot_checks(summary: &[SummaryRow], unflagged: usize) -> String {
    let Some(row) = summary
        .iter()
        .find(|r| r.county == ALL && r.township == ALL && r.reason == SPOT_CHECK)
    else {
        return String::from(
            "<h3>抽查 Spot checks</h3><p>尚无抽查结论 no spot-check findings yet</p>",
        );
    };
    let found = row.confirmed + row.partly_confirmed;
    let checked = found + row.dismissed;
    let Some((p, low, high)) = wilson(found, checked) else {
        return String::from(
            "<h3>抽查 Spot checks</h3><p>尚无抽查结论 no spot-check findings yet</p>",
        );
    };
    #[allow(clippy::cast_precision_loss)]
    let households = unflagged as f64;
    format!(
        r#"<h3>抽查 Spot checks</h3><p>抽查未预警户 {checked} 户，发现不符合条件 {found} 户（{:.1}%，95%区间 {:.1}%–{:.1}%）。按未预警户 {unflagged} 户推算，比对未发现的不符合条件户约 {:.0} 户（{:.0}–{:.0}）。</p><p class="note">{checked} unflagged households checked, {found} found ineligible: an estimated {:.0} ({:.0}–{:.0}) ineligible households the checks miss.</p>"#,
        p * 100.0,
        low * 100.0,
        high * 100.0,
        p * households,
        low * households,
        high * households,
        p * households,
        low * households,
        high * households,
    )
}
