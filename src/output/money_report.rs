//! The report's section on money and cadence: the campaign's figures per county and
//! township (flags, share reviewed, confirmed share with its interval, households cancelled
//! or adjusted, benefit stopped, estimated overpayment since the events), and per township
//! the households due their periodic re-check (定期复核) this month and overdue.

use maud::{html, Markup};

use super::review_report::precision_text;
use super::RunOutputs;
use crate::review::campaign::CampaignRow;
use crate::review::summary::ALL;
use crate::rules::overpayment::grouped_yuan;

/// The section's body.
pub fn render(input: &RunOutputs) -> Markup {
    html! {
        (campaign_table(&input.review.campaign))
        (super::recheck_report::render(input))
    }
}

/// The campaign's figures: the whole run, each county, each township.
fn campaign_table(rows: &[CampaignRow]) -> Markup {
    html! {
        h3 { "专项成效 Campaign figures" }
        @if rows.is_empty() {
            p { "本次无疑点 no flags" }
        } @else {
            table {
                tr {
                    th { "县 county" } th { "乡镇 township" } th { "疑点 flags" }
                    th { "核查完成率 reviewed" } th { "属实率 confirmed share (95% CI)" }
                    th { "取消户 cancelled" } th { "调整户 adjusted" }
                    th { "停发月保障金 yuan/month stopped" }
                    th { "估算多发 overpaid since the events" }
                    th { "其中属实 confirmed only" }
                }
                @for row in rows {
                    tr class=[(row.county == ALL || row.township == ALL).then_some("subtotal")] {
                        td { (row.county) }
                        td { (row.township) }
                        td class="num" { (row.summary.flags) }
                        td class="num" { (format!("{:.1}%", row.summary.completion_rate() * 100.0)) }
                        td class="num" { (precision_text(row.summary.precision())) }
                        td class="num" { (row.outcome.households_cancelled) }
                        td class="num" { (row.outcome.households_adjusted) }
                        td class="num" { (grouped_yuan(row.outcome.cancelled_benefit_yuan)) }
                        td class="num" { (grouped_yuan(row.summary.overpaid_yuan)) }
                        td class="num" { (grouped_yuan(row.summary.confirmed_overpaid_yuan)) }
                    }
                }
            }
            p class="note" {
                "估算多发：自事实发生（或纳入救助，取其晚者）至核查基准日的整月数（最多回溯"
                "上限）× 户月保障金（死亡成员按人均份额）；每户按其最大一项计一次。"
                " Overpaid: whole months from the fact (or enrolment, if later) to the as-of date, "
                "capped at [outcomes] lookback_months, × the household's monthly benefit (a "
                "deceased member's share); each household once, at its largest estimate. "
                "Money stopped: the monthly benefit of households cancelled."
            }
        }
    }
}
