//! `report.html`: one self-contained page for analysts and managers (inline CSS and SVG, no
//! scripts, no network). Counts by reason, severity, programme and township, the score
//! distribution of probabilistic matches, change since the previous run, new high-severity
//! flags, and data quality. Personal data is as in the flags: names, masked IDs.
//! The page is maud markup, so text from the run is escaped where it is written.

use std::collections::{BTreeMap, BTreeSet};

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::county_report::share;
use super::RunOutputs;
use crate::model::RegionCode;
use crate::model::{Programme, Reason, Severity};
use crate::rundir::{FlagRow, FlagStatus, MatchRow, RunRecord};

/// The page for one run, drawn from what the run writes.
pub fn render(input: &RunOutputs) -> String {
    let manifest = input.manifest;
    let page = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "低保核查比对报告 " (manifest.run_id) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "低保核查比对报告 " span class="en" { "rollcheck report" } }
                    p {
                        "核查基准日 as-of " b { (manifest.as_of) }
                        " · 流水线 pipeline " b { (manifest.pipeline.name) }
                        " · 运行编号 run " code { (manifest.run_id) }
                        " · 版本 " (manifest.tool_version)
                    }
                    p class="note" {
                        "比对结果是入户核查的线索，不是认定结论。Flags are referrals for review, never decisions."
                    }
                }
                (cards(input))
                (sections(input))
            }
        }
    };
    let mut html = page.into_string();
    html.push('\n');
    html
}

/// The headline counts.
fn cards(input: &RunOutputs) -> Markup {
    let manifest = input.manifest;
    let new_flags = input
        .flags
        .iter()
        .filter(|f| f.status == FlagStatus::New)
        .count();
    let quarantined: usize = manifest.inputs.iter().map(|i| i.rows_quarantined).sum();
    html! {
        section class="cards" {
            (card("在册户数 households", manifest.households))
            (card("在册人数 roll rows", manifest.members))
            (card("疑点户数 flagged households", flagged_households(input.flags).len()))
            (card("疑点事项 flags", input.flags.len()))
            (card("本次新增 new", new_flags))
            (card("已消除 resolved since last run", input.resolved.len()))
            (card("隔离行 quarantined rows", quarantined))
        }
    }
}

fn card(title: &str, value: usize) -> Markup {
    html! {
        div class="card" { div class="card-value" { (value) } div class="card-title" { (title) } }
    }
}

/// The sections after the cards, in reading order.
fn sections(input: &RunOutputs) -> Markup {
    html! {
        (section("按核查原因 Flags by reason", &bar_chart(&by_reason(input.flags), "#2f5597")))
        (section("按风险等级 Flags by severity", &bar_chart(&by_severity(input.flags), "#c00000")))
        (section(
            "按救助类型 Flags by programme",
            &bar_chart(&by_programme(input.flags), "#548235"),
        ))
        (section(
            "近期趋势 Flags over the last runs (新增 new / 消除 resolved)",
            &bar_chart(&trend(input.trend), "#7f6000"),
        ))
        @if let Some(counties) = super::county_report::render(&input.review.counties, input.trend) {
            (section("县区对比 County comparison", &counties))
        }
        (section(
            "疑点户比例最高的乡镇 Townships by share of households flagged",
            &township_table(input),
        ))
        (section("概率匹配得分分布 Probabilistic match scores", &score_histogram(input.matches)))
        (section("本次新增高风险疑点 New high-severity flags", &new_high_table(input.flags)))
        (section("核查结果 Review outcomes", &super::review_report::render(input)))
        (section("待核实线索 Leads per township", &super::leads_report::render(input.leads)))
        (section(
            "专项成效与定期复核 Campaign figures and periodic re-checks",
            &super::money_report::render(input),
        ))
        (section(
            "预警线索 Early warnings: people who should be helped",
            &super::warnings_report::render(&input.warnings.rows),
        ))
        (section(
            "家庭收入与待遇测算 Household income and entitlement",
            &super::income_report::render(&input.incomes.households),
        ))
        (section("数据质量 Data quality", &data_quality(input)))
    }
}

fn section(title: &str, body: &Markup) -> Markup {
    html! { section { h2 { (title) } (body) } }
}

fn flagged_households(flags: &[FlagRow]) -> BTreeSet<&str> {
    flags.iter().map(|f| f.flag.household_id.as_str()).collect()
}

/// A horizontal bar chart as inline SVG: one bar per (label, value).
fn bar_chart(items: &[(String, usize)], color: &str) -> Markup {
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let (row, label_width, bar_width) = (26, 220, 420);
    let height = row * items.len().max(1) + 8;
    let view_box = format!("0 0 {} {height}", label_width + bar_width + 80);
    html! {
        svg class="chart" viewBox=(view_box) width="100%" role="img" xmlns="http://www.w3.org/2000/svg" {
            @for (i, (label, value)) in items.iter().enumerate() {
                @let y = i * row + 4;
                @let width = value * bar_width / max;
                text x=(label_width - 8) y=(y + 17) text-anchor="end" class="label" { (label) }
                rect x=(label_width) y=(y + 3) width=(width) height=(row - 8) fill=(color) rx="2" {}
                text x=(label_width + width + 6) y=(y + 17) class="value" { (value) }
            }
        }
    }
}

fn reason_label(reason: Reason) -> String {
    format!("{} {}", reason.label_zh(), reason.code())
}

/// One bar per run, oldest first, labelled by its as-of date. Only the history's counts are
/// shown (no clock times), so the same run renders the same page.
fn trend(runs: &[RunRecord]) -> Vec<(String, usize)> {
    runs.iter()
        .map(|run| {
            (
                format!("{} (+{} / −{})", run.as_of, run.new, run.resolved),
                run.flags,
            )
        })
        .collect()
}

fn by_reason(flags: &[FlagRow]) -> Vec<(String, usize)> {
    Reason::listed(flags.iter().map(|f| f.flag.reason))
        .into_iter()
        .map(|r| {
            (
                reason_label(r),
                flags.iter().filter(|f| f.flag.reason == r).count(),
            )
        })
        .collect()
}

fn by_severity(flags: &[FlagRow]) -> Vec<(String, usize)> {
    [Severity::High, Severity::Medium, Severity::Low]
        .iter()
        .map(|s| {
            (
                format!("{} {}", s.label_zh(), s.code()),
                flags.iter().filter(|f| f.flag.severity == *s).count(),
            )
        })
        .collect()
}

fn by_programme(flags: &[FlagRow]) -> Vec<(String, usize)> {
    Programme::ALL
        .iter()
        .map(|p| {
            (
                format!("{} {}", p.label_zh(), p.code()),
                flags.iter().filter(|f| f.flag.programme == *p).count(),
            )
        })
        .collect()
}

/// (township, households, flagged households), highest share flagged first.
fn townships_by_rate(input: &RunOutputs) -> Vec<(String, usize, usize)> {
    let mut totals: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let flagged = flagged_households(input.flags);
    for household in input.households.by_id.values() {
        let total = totals
            .entry(RegionCode::township_key(household.region_code.as_deref()))
            .or_default();
        total.0 += 1;
        total.1 += usize::from(flagged.contains(household.household_id.as_str()));
    }
    let mut rows: Vec<(String, usize, usize)> =
        totals.into_iter().map(|(t, (n, f))| (t, n, f)).collect();
    rows.sort_by(|a, b| {
        share(b.2, b.1)
            .total_cmp(&share(a.2, a.1))
            .then(a.0.cmp(&b.0))
    });
    rows
}

fn township_table(input: &RunOutputs) -> Markup {
    html! {
        table {
            tr {
                th { "乡镇 township" } th { "户数 households" } th { "疑点户 flagged" }
                th { "比例 rate" } th {}
            }
            @for (township, n, f) in townships_by_rate(input).iter().take(15) {
                @let rate = share(*f, *n);
                tr {
                    td { (township) }
                    td class="num" { (n) }
                    td class="num" { (f) }
                    td class="num" { (format!("{:.1}%", rate * 100.0)) }
                    td {
                        svg width="204" height="12" xmlns="http://www.w3.org/2000/svg" {
                            rect width=(bar_width(rate)) height="12" fill="#2f5597" {}
                        }
                    }
                }
            }
        }
    }
}

/// A share's bar in the township table, 200 pixels for all.
fn bar_width(share: f64) -> u32 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 to 200
    let width = (share * 200.0).round() as u32;
    width
}

fn score_histogram(matches: &[MatchRow]) -> Markup {
    let bins: Vec<(f64, f64)> = vec![
        (0.5, 0.8),
        (0.8, 0.9),
        (0.9, 0.95),
        (0.95, 0.99),
        (0.99, 0.999),
        (0.999, 1.000_001),
    ];
    let count = |decision: &str, (low, high): (f64, f64)| {
        matches
            .iter()
            .filter(|m| {
                m.method == "probabilistic"
                    && m.decision == decision
                    && m.score >= low
                    && m.score < high
            })
            .count()
    };
    let mut items = Vec::new();
    for bin in &bins {
        let label = format!("{:.3}–{:.3}", bin.0, bin.1.min(1.0));
        items.push((format!("{label} 采信 accepted"), count("accepted", *bin)));
        items.push((format!("{label} 待定 possible"), count("possible", *bin)));
    }
    let exact = matches
        .iter()
        .filter(|m| m.method != "probabilistic")
        .count();
    html! {
        (bar_chart(&items, "#7f6000"))
        p { "另有身份证号一致的配对 " (exact) " 对（exact or normalized ID）。待定配对只作线索，不产生疑点。" }
    }
}

fn new_high_table(flags: &[FlagRow]) -> Markup {
    let rows: Vec<&FlagRow> = flags
        .iter()
        .filter(|f| f.status == FlagStatus::New && f.flag.severity == Severity::High)
        .collect();
    if rows.is_empty() {
        return html! { p { "无。None." } };
    }
    html! {
        table {
            tr { th { "户编号 household" } th { "乡镇 township" } th { "原因 reason" } th { "证据 evidence" } }
            @for row in rows.iter().take(100) {
                tr {
                    td { (row.flag.household_id) }
                    td { (RegionCode::township_key(row.flag.region_code.as_deref())) }
                    td { (row.flag.reason.label_zh()) }
                    td class="evidence" { (row.flag.evidence) }
                }
            }
        }
        @if rows.len() > 100 {
            p { "仅列前100条，共 " (rows.len()) " 条；完整清单见 flags.csv。" }
        }
    }
}

fn data_quality(input: &RunOutputs) -> Markup {
    let manifest = input.manifest;
    html! {
        table {
            tr {
                th { "来源 source" } th { "文件格式 format" } th { "编码 encoding" } th { "读取 read" }
                th { "使用 used" } th { "隔离 quarantined" } th { "乱码字符 undecodable" }
            }
            @for source in &manifest.inputs {
                tr {
                    td { (source.source.code()) }
                    td { (source.format) }
                    td { (source.encoding) }
                    td class="num" { (source.rows_read) }
                    td class="num" { (source.rows_used) }
                    td class="num" { (source.rows_quarantined) }
                    td class="num" { (source.replacement_chars) }
                }
            }
        }
        (quarantine_problems(input))
        p { "花名册身份证号无效的成员 members with an invalid ID: " b { (input.invalid_ids) } }
        @if !manifest.households_in_two_roll_files.is_empty() {
            h3 { "两个花名册文件中出现的同一户 Households in two roll files" }
            table {
                tr { th { "文件 file" } th { "又见于 also in" } th { "户数 households" } }
                @for shared in &manifest.households_in_two_roll_files {
                    tr {
                        td { (shared.first_file) }
                        td { (shared.second_file) }
                        td class="num" { (shared.households) }
                    }
                }
            }
        }
        @if let Some(province) = &manifest.pipeline.province {
            (outside_province(input, province))
        }
    }
}

/// Quarantined rows counted by source, column and the problem's first clause.
fn quarantine_problems(input: &RunOutputs) -> Markup {
    let mut problems: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in input.quarantine {
        let problem = row.problem.split(':').next().unwrap_or(&row.problem);
        *problems
            .entry((
                row.source.code().to_string(),
                format!("{} {problem}", row.column.as_deref().unwrap_or("-")),
            ))
            .or_default() += 1;
    }
    if problems.is_empty() {
        return html! {};
    }
    html! {
        h3 { "隔离原因 Why rows were quarantined" }
        table {
            tr { th { "来源 source" } th { "列与问题 column and problem" } th { "行数 rows" } }
            @for ((source, problem), n) in &problems {
                tr { td { (source) } td { (problem) } td class="num" { (n) } }
            }
        }
    }
}

/// Households whose region code is not of the pipeline's province: counted, with the codes.
fn outside_province(input: &RunOutputs, province: &str) -> Markup {
    let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
    for household in input.households.by_id.values() {
        let code = household.region_code.as_deref().unwrap_or("");
        if !code.starts_with(province) {
            *codes.entry(code).or_default() += 1;
        }
    }
    let total: usize = codes.values().sum();
    html! {
        p {
            "行政区划代码不属于本省（" (province) "）的户 households whose region code is outside province "
            (province) ": " b { (total) }
        }
        @if total > 0 {
            table {
                tr { th { "行政区划代码 region code" } th { "户数 households" } }
                @for (code, n) in codes.iter().take(20) {
                    tr {
                        td { @if code.is_empty() { "（空 blank）" } @else { (code) } }
                        td class="num" { (n) }
                    }
                }
            }
        }
    }
}

const STYLE: &str = r#"
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:24px;margin-bottom:4px}h1 .en{font-size:14px;color:#666;font-weight:normal}
h2{font-size:18px;border-bottom:2px solid #2f5597;padding-bottom:4px;margin-top:32px}
h3{font-size:15px}.note{color:#c00000}tr.far td{color:#c00000;font-weight:bold}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.card{border:1px solid #d0d7e5;border-radius:6px;padding:10px 16px;min-width:120px;background:#f7f9fc}
.card-value{font-size:24px;font-weight:bold;color:#2f5597}.card-title{font-size:12px;color:#555}
.chart{max-width:720px}.chart .label{font-size:13px;fill:#333}.chart .value{font-size:12px;fill:#333}
table{border-collapse:collapse;font-size:13px;width:100%}th,td{border:1px solid #d0d7e5;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f9}.num{text-align:right}.evidence{max-width:640px}code{font-size:12px}
tr.total td{font-weight:600;background:#f2f2f2}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_escaped() {
        let items = [(r#"<b>"张三" & '李四'</b>"#.to_string(), 1)];
        let svg = bar_chart(&items, "#000").into_string();
        assert!(
            svg.contains("&lt;b&gt;&quot;张三&quot; &amp; '李四'&lt;/b&gt;"),
            "{svg}"
        );
    }

    #[test]
    fn bars_scale_to_the_largest_value() {
        let svg = bar_chart(&[("a".into(), 10), ("b".into(), 5)], "#000").into_string();
        assert!(
            svg.contains(r#"width="420""#) && svg.contains(r#"width="210""#),
            "{svg}"
        );
    }
}
