//! The report's county comparison for a run over several counties (a provincial campaign):
//! flags per 1,000 households by county and reason, as a table and a chart, the counties far
//! from the provincial rate marked, and each county's flags over the recorded runs.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::report::escape;
use crate::model::Reason;
use crate::review::summary::CountyRow;
use crate::rundir::RunRecord;

/// How far a county's share of flagged households may lie from the province's, in standard
/// errors, before it is marked: three leaves about one county in 370 marked by chance.
const FAR: f64 = 3.0;

/// The section's body; empty for a run within one county.
pub fn render(counties: &[CountyRow], trend: &[RunRecord]) -> Option<String> {
    if counties.len() < 2 {
        return None;
    }
    let households: usize = counties.iter().map(|c| c.households).sum();
    let flagged: usize = counties.iter().map(|c| c.flagged_households).sum();
    let province_share = share(flagged, households);
    let mut html = format!(
        "<p>全省（本次）疑点户比例 {:.1}‰；与之相差超过{FAR}个标准误的县标红。Counties whose share of flagged households lies more than {FAR} standard errors from the whole run's ({:.1} per 1,000) are marked.</p>",
        province_share * 1000.0,
        province_share * 1000.0
    );
    html.push_str(&table(counties, province_share));
    html.push_str(&chart(counties, province_share));
    html.push_str(&county_trend(trend));
    Some(html)
}

fn share(part: usize, whole: usize) -> f64 {
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

fn table(counties: &[CountyRow], province_share: f64) -> String {
    let mut html = String::from("<table><tr><th>县 county</th><th>户数 households</th><th>疑点户 flagged</th><th>每千户 per 1,000</th>");
    let reasons = Reason::listed(
        counties
            .iter()
            .flat_map(|c| c.flags_per_reason.keys().copied()),
    );
    for reason in &reasons {
        let _ = write!(
            html,
            "<th title=\"{}\">{}</th>",
            reason.code(),
            escape(reason.label_zh())
        );
    }
    html.push_str("</tr>");
    for county in counties {
        let far = distance(county, province_share).abs() > FAR;
        let _ = write!(
            html,
            "<tr{}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td>",
            if far { " class=\"far\"" } else { "" },
            escape(&county.county),
            county.households,
            county.flagged_households,
            share(county.flagged_households, county.households) * 1000.0
        );
        for reason in &reasons {
            let flags = county.flags_per_reason.get(reason).copied().unwrap_or(0);
            let _ = write!(
                html,
                "<td class=\"num\">{:.1}</td>",
                share(flags, county.households) * 1000.0
            );
        }
        html.push_str("</tr>");
    }
    html.push_str("</table><p class=\"en\">Reason columns: flags per 1,000 households.</p>");
    html
}

/// Flagged households per 1,000 by county, with the province's rate as a line.
fn chart(counties: &[CountyRow], province_share: f64) -> String {
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
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {} {height}" width="100%" role="img" xmlns="http://www.w3.org/2000/svg">"#,
        label_width + bar_width + 80
    );
    for (i, (county, rate)) in counties.iter().zip(&rates).enumerate() {
        let y = i * row + 4;
        let far = distance(county, province_share).abs() > FAR;
        let width = rate / max * f64::from(bar_width);
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" class="label">{}</text><rect x="{label_width}" y="{}" width="{width:.1}" height="{}" fill="{}" rx="2"/><text x="{:.1}" y="{}" class="value">{rate:.1}</text>"#,
            label_width - 6,
            y + 15,
            escape(&county.county),
            y + 2,
            row - 8,
            if far { "#c00000" } else { "#2f5597" },
            f64::from(label_width) + width + 6.0,
            y + 15,
        );
    }
    let x = f64::from(label_width) + province_share * 1000.0 / max * f64::from(bar_width);
    let _ = write!(
        svg,
        r##"<line x1="{x:.1}" y1="0" x2="{x:.1}" y2="{height}" stroke="#7f6000" stroke-dasharray="4 3"/></svg>"##
    );
    svg
}

/// Flags per county over the recorded runs that counted them.
fn county_trend(trend: &[RunRecord]) -> String {
    let runs: Vec<&RunRecord> = trend
        .iter()
        .filter(|r| !r.flags_per_county.is_empty())
        .collect();
    if runs.len() < 2 {
        return String::new();
    }
    let counties: BTreeSet<&String> = runs
        .iter()
        .flat_map(|r| r.flags_per_county.keys())
        .collect();
    let mut html = String::from("<h3>各县疑点数趋势 Flags per county over the recorded runs</h3><table><tr><th>县 county</th>");
    for run in &runs {
        let _ = write!(html, "<th>{}</th>", escape(&run.as_of));
    }
    html.push_str("</tr>");
    for county in counties {
        let _ = write!(html, "<tr><td>{}</td>", escape(county));
        for run in &runs {
            let _ = write!(
                html,
                "<td class=\"num\">{}</td>",
                run.flags_per_county.get(county).copied().unwrap_or(0)
            );
        }
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    html
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
        let html = render(&counties, &[]).unwrap();
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
