//! The report's county comparison for a run over several counties (a provincial campaign):
//! flags per 1,000 households by county and reason, as a table and a chart, the counties far
//! from the provincial rate marked, and each county's flags over the recorded runs.

use std::collections::BTreeSet;

use maud::{html, Markup};

use crate::model::Reason;
use crate::review::summary::CountyRow;
use crate::rundir::RunRecord;

/// How far a county's share of flagged households may lie from the province's, in standard
/// errors, before it is marked: three leaves about one county in 370 marked by chance.
const FAR: f64 = 3.0;

/// The section's body; none for a run within one county.
pub fn render(counties: &[CountyRow], trend: &[RunRecord]) -> Option<Markup> {
    if counties.len() < 2 {
        return None;
    }
    let households: usize = counties.iter().map(|c| c.households).sum();
    let flagged: usize = counties.iter().map(|c| c.flagged_households).sum();
    let province_share = share(flagged, households);
    let province_rate = format!("{:.1}", province_share * 1000.0);
    Some(html! {
        p {
            "全省（本次）疑点户比例 " (province_rate) "‰；与之相差超过" (FAR) "个标准误的县标红。Counties whose share of flagged households lies more than " (FAR) " standard errors from the whole run's (" (province_rate) " per 1,000) are marked."
        }
        (table(counties, province_share))
        (chart(counties, province_share))
        (county_trend(trend))
    })
}

/// `part` of `whole` as a fraction; none of nothing is 0.
pub(super) fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let share = part as f64 / whole as f64;
    share
}

/// The county's share of flagged households in standard errors from the province's.
fn distance(county: &CountyRow, province_share: f64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let n = county.households.max(1) as f64;
    let error = (province_share * (1.0 - province_share) / n).sqrt();
    if error == 0.0 {
        return 0.0;
    }
    (share(county.flagged_households, county.households) - province_share) / error
}

/// Whether the county lies far enough from the province's share to be marked.
fn is_far(county: &CountyRow, province_share: f64) -> bool {
    distance(county, province_share).abs() > FAR
}

/// A county's flags (all, or of one reason) per 1,000 households, to one decimal.
fn per_1000(flags: usize, county: &CountyRow) -> String {
    format!("{:.1}", share(flags, county.households) * 1000.0)
}

fn table(counties: &[CountyRow], province_share: f64) -> Markup {
    let reasons = Reason::listed(
        counties
            .iter()
            .flat_map(|c| c.flags_per_reason.keys().copied()),
    );
    html! {
        table {
            tr {
                th { "县 county" } th { "户数 households" } th { "疑点户 flagged" } th { "每千户 per 1,000" }
                @for reason in &reasons {
                    th title=(reason.code()) { (reason.label_zh()) }
                }
            }
            @for county in counties {
                tr class=[is_far(county, province_share).then_some("far")] {
                    td { (county.county) }
                    td class="num" { (county.households) }
                    td class="num" { (county.flagged_households) }
                    td class="num" { (per_1000(county.flagged_households, county)) }
                    @for reason in &reasons {
                        td class="num" {
                            (per_1000(county.flags_per_reason.get(reason).copied().unwrap_or(0), county))
                        }
                    }
                }
            }
        }
        p class="en" { "Reason columns: flags per 1,000 households." }
    }
}

/// Flagged households per 1,000 by county, with the province's rate as a line.
fn chart(counties: &[CountyRow], province_share: f64) -> Markup {
    let (row, label_width, bar_width) = (24, 90, 480);
    let rates: Vec<f64> = counties
        .iter()
        .map(|c| share(c.flagged_households, c.households) * 1000.0)
        .collect();
    let max = rates
        .iter()
        .copied()
        .fold(province_share * 1000.0, f64::max)
        .max(1.0);
    let height = row * counties.len() + 8;
    let view_box = format!("0 0 {} {height}", label_width + bar_width + 80);
    let x = f64::from(label_width) + province_share * 1000.0 / max * f64::from(bar_width);
    let x = format!("{x:.1}");
    html! {
        svg class="chart" viewBox=(view_box) width="100%" role="img" xmlns="http://www.w3.org/2000/svg" {
            @for (i, (county, rate)) in counties.iter().zip(&rates).enumerate() {
                @let y = i * row + 4;
                @let width = rate / max * f64::from(bar_width);
                @let fill = if is_far(county, province_share) { "#c00000" } else { "#2f5597" };
                text x=(label_width - 6) y=(y + 15) text-anchor="end" class="label" { (county.county) }
                rect x=(label_width) y=(y + 2) width=(format!("{width:.1}")) height=(row - 8) fill=(fill) rx="2" {}
                text x=(format!("{:.1}", f64::from(label_width) + width + 6.0)) y=(y + 15) class="value" {
                    (format!("{rate:.1}"))
                }
            }
            line x1=(x) y1="0" x2=(x) y2=(height) stroke="#7f6000" stroke-dasharray="4 3" {}
        }
    }
}

/// Flags per county over the recorded runs that counted them.
fn county_trend(trend: &[RunRecord]) -> Markup {
    let runs: Vec<&RunRecord> = trend
        .iter()
        .filter(|r| !r.flags_per_county.is_empty())
        .collect();
    if runs.len() < 2 {
        return html! {};
    }
    let counties: BTreeSet<&String> = runs
        .iter()
        .flat_map(|r| r.flags_per_county.keys())
        .collect();
    html! {
        h3 { "各县疑点数趋势 Flags per county over the recorded runs" }
        table {
            tr {
                th { "县 county" }
                @for run in &runs { th { (run.as_of) } }
            }
            @for county in counties {
                tr {
                    td { (county) }
                    @for run in &runs {
                        td class="num" { (run.flags_per_county.get(county).copied().unwrap_or(0)) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn county(code: &str, households: usize, flagged: usize) -> CountyRow {
        CountyRow {
            county: code.into(),
            households,
            flagged_households: flagged,
            flags_per_reason: [(Reason::VehicleOwned, flagged)].into_iter().collect(),
        }
    }

    #[test]
    fn counties_far_from_the_provincial_rate_are_marked() {
        let counties = [
            county("411521", 2000, 100),
            county("411522", 2000, 104),
            county("411526", 2000, 190),
        ];
        let html = render(&counties, &[]).unwrap().into_string();
        let rows: Vec<&str> = html.split("<tr").skip(1).collect();
        let marked: Vec<bool> = rows
            .iter()
            .filter(|r| r.contains("<td>4115"))
            .map(|r| r.starts_with(" class=\"far\""))
            .collect();
        // 5%, 5.2% and 9.5% against 6.6%: the last lies about 5 standard errors out.
        assert_eq!(marked, [false, false, true], "{html}");
        assert!(
            html.contains("<td class=\"num\">95.0</td>"),
            "per 1,000: {html}"
        );
        assert!(
            render(&counties[..1], &[]).is_none(),
            "one county: no comparison"
        );
    }
}
