//! `report.html`: one self-contained page for analysts and managers (inline CSS and SVG, no
//! scripts, no network). Counts by reason, severity, programme and township, the score
//! distribution of probabilistic matches, change since the previous run, new high-severity
//! flags, and data quality. Personal data is as in the flags: names, masked IDs.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::RunOutputs;
use crate::model::{Programme, Reason, Severity};
use crate::rundir::{FlagRow, FlagStatus, MatchRow, RunRecord};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart as inline SVG: one bar per (label, value).
fn bar_chart(items: &[(String, usize)], color: &str) -> String {
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let (row, label_width, bar_width) = (26, 220, 420);
    let height = row * items.len().max(1) + 8;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {} {height}" width="100%" role="img" xmlns="http://www.w3.org/2000/svg">"#,
        label_width + bar_width + 80
    );
    for (i, (label, value)) in items.iter().enumerate() {
        let y = i * row + 4;
        let width = value * bar_width / max;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" class="label">{}</text><rect x="{label_width}" y="{}" width="{width}" height="{}" fill="{color}" rx="2"/><text x="{}" y="{}" class="value">{value}</text>"#,
            label_width - 8,
            y + 17,
            escape(label),
            y + 3,
            row - 8,
            label_width + width + 6,
            y + 17,
        );
    }
    svg.push_str("</svg>");
    svg
}

fn card(title: &str, value: impl std::fmt::Display) -> String {
    format!(
        r#"<div class="card"><div class="card-value">{value}</div><div class="card-title">{}</div></div>"#,
        escape(title)
    )
}

fn reason_label(reason: Reason) -> String {
    format!("{} {}", reason.label_zh(), reason.code())
}

/// The page for one run, drawn from what the run writes.
pub fn render(input: &RunOutputs) -> String {
    let manifest = input.manifest;
    let flagged: std::collections::BTreeSet<&str> = input
        .flags
        .iter()
        .map(|f| f.flag.household_id.as_str())
        .collect();
    let new_flags = input
        .flags
        .iter()
        .filter(|f| f.status == FlagStatus::New)
        .count();
    let quarantined: usize = manifest.inputs.iter().map(|i| i.rows_quarantined).sum();
    let mut html = String::with_capacity(64 * 1024);
    let _ = write!(
        html,
        r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>低保核查比对报告 {run}</title><style>{STYLE}</style></head><body>
<header><h1>低保核查比对报告 <span class="en">rollcheck report</span></h1>
<p>核查基准日 as-of <b>{as_of}</b> · 流水线 pipeline <b>{pipeline}</b> · 运行编号 run <code>{run}</code> · 版本 {version}</p>
<p class="note">比对结果是入户核查的线索，不是认定结论。Flags are referrals for review, never decisions.</p></header>"#,
        run = escape(&manifest.run_id),
        as_of = escape(&manifest.as_of),
        pipeline = escape(&manifest.pipeline.name),
        version = escape(&manifest.tool_version),
    );
    html.push_str(r#"<section class="cards">"#);
    html.push_str(&card("在册户数 households", manifest.households));
    html.push_str(&card("在册人数 roll rows", manifest.members));
    html.push_str(&card("疑点户数 flagged households", flagged.len()));
    html.push_str(&card("疑点事项 flags", input.flags.len()));
    html.push_str(&card("本次新增 new", new_flags));
    html.push_str(&card(
        "已消除 resolved since last run",
        input.resolved.len(),
    ));
    html.push_str(&card("隔离行 quarantined rows", quarantined));
    html.push_str("</section>");

    section(
        &mut html,
        "按核查原因 Flags by reason",
        &bar_chart(&by_reason(input.flags), "#2f5597"),
    );
    section(
        &mut html,
        "按风险等级 Flags by severity",
        &bar_chart(&by_severity(input.flags), "#c00000"),
    );
    section(
        &mut html,
        "按救助类型 Flags by programme",
        &bar_chart(&by_programme(input.flags), "#548235"),
    );
    section(
        &mut html,
        "近期趋势 Flags over the last runs (新增 new / 消除 resolved)",
        &bar_chart(&trend(input.trend), "#7f6000"),
    );
    if let Some(counties) = super::county_report::render(&input.review.counties, input.trend) {
        section(&mut html, "县区对比 County comparison", &counties);
    }
    section(
        &mut html,
        "疑点户比例最高的乡镇 Townships by share of households flagged",
        &township_table(input),
    );
    section(
        &mut html,
        "概率匹配得分分布 Probabilistic match scores",
        &score_histogram(input.matches),
    );
    section(
        &mut html,
        "本次新增高风险疑点 New high-severity flags",
        &new_high_table(input.flags),
    );
    section(
        &mut html,
        "核查结果 Review outcomes",
        &super::review_report::render(input),
    );
    section(&mut html, "数据质量 Data quality", &data_quality(input));
    html.push_str("</body></html>\n");
    html
}

fn section(html: &mut String, title: &str, body: &str) {
    let _ = write!(html, "<section><h2>{}</h2>{body}</section>", escape(title));
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

fn township_table(input: &RunOutputs) -> String {
    let mut totals: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for household in input.households.by_id.values() {
        totals
            .entry(crate::model::RegionCode::township_key(
                household.region_code.as_deref(),
            ))
            .or_default()
            .0 += 1;
    }
    let flagged: std::collections::BTreeSet<&str> = input
        .flags
        .iter()
        .map(|f| f.flag.household_id.as_str())
        .collect();
    for household in input
        .households
        .by_id
        .values()
        .filter(|h| flagged.contains(h.household_id.as_str()))
    {
        totals
            .entry(crate::model::RegionCode::township_key(
                household.region_code.as_deref(),
            ))
            .or_default()
            .1 += 1;
    }
    let mut rows: Vec<(String, usize, usize)> =
        totals.into_iter().map(|(t, (n, f))| (t, n, f)).collect();
    #[allow(clippy::cast_precision_loss)]
    let rate = |n: usize, f: usize| if n == 0 { 0.0 } else { f as f64 / n as f64 };
    rows.sort_by(|a, b| {
        rate(b.1, b.2)
            .total_cmp(&rate(a.1, a.2))
            .then(a.0.cmp(&b.0))
    });
    let mut table = String::from("<table><tr><th>乡镇 township</th><th>户数 households</th><th>疑点户 flagged</th><th>比例 rate</th><th></th></tr>");
    for (township, n, f) in rows.iter().take(15) {
        let share = rate(*n, *f);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let width = (share * 200.0).round() as u32;
        let _ = write!(
            table,
            r##"<tr><td>{}</td><td class="num">{n}</td><td class="num">{f}</td><td class="num">{:.1}%</td><td><svg width="204" height="12" xmlns="http://www.w3.org/2000/svg"><rect width="{width}" height="12" fill="#2f5597"/></svg></td></tr>"##,
            escape(township),
            share * 100.0
        );
    }
    table.push_str("</table>");
    table
}

fn score_histogram(matches: &[MatchRow]) -> String {
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
    format!(
        "{}<p>另有身份证号一致的配对 {exact} 对（exact or normalized ID）。待定配对只作线索，不产生疑点。</p>",
        bar_chart(&items, "#7f6000")
    )
}

fn new_high_table(flags: &[FlagRow]) -> String {
    let rows: Vec<&FlagRow> = flags
        .iter()
        .filter(|f| f.status == FlagStatus::New && f.flag.severity == Severity::High)
        .collect();
    if rows.is_empty() {
        return "<p>无。None.</p>".into();
    }
    let mut table = String::from("<table><tr><th>户编号 household</th><th>乡镇 township</th><th>原因 reason</th><th>证据 evidence</th></tr>");
    for row in rows.iter().take(100) {
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"evidence\">{}</td></tr>",
            escape(&row.flag.household_id),
            escape(&crate::model::RegionCode::township_key(
                row.flag.region_code.as_deref()
            )),
            escape(row.flag.reason.label_zh()),
            escape(&row.flag.evidence)
        );
    }
    table.push_str("</table>");
    if rows.len() > 100 {
        let _ = write!(
            table,
            "<p>仅列前100条，共 {} 条；完整清单见 flags.csv。</p>",
            rows.len()
        );
    }
    table
}

fn data_quality(input: &RunOutputs) -> String {
    let mut html = String::from("<table><tr><th>来源 source</th><th>文件格式 format</th><th>编码 encoding</th><th>读取 read</th><th>使用 used</th><th>隔离 quarantined</th><th>乱码字符 undecodable</th></tr>");
    for source in &input.manifest.inputs {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            source.source.code(),
            escape(&source.format),
            escape(&source.encoding),
            source.rows_read,
            source.rows_used,
            source.rows_quarantined,
            source.replacement_chars
        );
    }
    html.push_str("</table>");
    let mut problems: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in input.quarantine {
        let problem = row
            .problem
            .split(':')
            .next()
            .unwrap_or(&row.problem)
            .to_string();
        *problems
            .entry((
                row.source.code().to_string(),
                format!("{} {problem}", row.column.as_deref().unwrap_or("-")),
            ))
            .or_default() += 1;
    }
    if !problems.is_empty() {
        html.push_str("<h3>隔离原因 Why rows were quarantined</h3><table><tr><th>来源 source</th><th>列与问题 column and problem</th><th>行数 rows</th></tr>");
        for ((source, problem), n) in &problems {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{n}</td></tr>",
                escape(source),
                escape(problem)
            );
        }
        html.push_str("</table>");
    }
    let _ = write!(
        html,
        "<p>花名册身份证号无效的成员 members with an invalid ID: <b>{}</b></p>",
        input.invalid_ids
    );
    if !input.manifest.households_in_two_roll_files.is_empty() {
        html.push_str("<h3>两个花名册文件中出现的同一户 Households in two roll files</h3><table><tr><th>文件 file</th><th>又见于 also in</th><th>户数 households</th></tr>");
        for shared in &input.manifest.households_in_two_roll_files {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                escape(&shared.first_file),
                escape(&shared.second_file),
                shared.households
            );
        }
        html.push_str("</table>");
    }
    if let Some(province) = &input.manifest.pipeline.province {
        html.push_str(&outside_province(input, province));
    }
    html
}

/// Households whose region code is not of the pipeline's province: counted, with the codes.
fn outside_province(input: &RunOutputs, province: &str) -> String {
    let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
    for household in input.households.by_id.values() {
        let code = household.region_code.as_deref().unwrap_or("");
        if !code.starts_with(province) {
            *codes.entry(code).or_default() += 1;
        }
    }
    let total: usize = codes.values().sum();
    let mut html = format!(
        "<p>行政区划代码不属于本省（{}）的户 households whose region code is outside province {}: <b>{total}</b></p>",
        escape(province),
        escape(province)
    );
    if total > 0 {
        html.push_str("<table><tr><th>行政区划代码 region code</th><th>户数 households</th></tr>");
        for (code, n) in codes.iter().take(20) {
            let shown = if code.is_empty() {
                "（空 blank）"
            } else {
                code
            };
            let _ = write!(
                html,
                "<tr><td>{}</td><td class=\"num\">{n}</td></tr>",
                escape(shown)
            );
        }
        html.push_str("</table>");
    }
    html
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
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<b>"张三" & '李四'</b>"#),
            "&lt;b&gt;&quot;张三&quot; &amp; &#39;李四&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn bars_scale_to_the_largest_value() {
        let svg = bar_chart(&[("a".into(), 10), ("b".into(), 5)], "#000");
        assert!(
            svg.contains(r#"width="420""#) && svg.contains(r#"width="210""#),
            "{svg}"
        );
    }
}
