//! `explorer.html`: one self-contained page on which an analyst filters the flagged cohort,
//! drills into a household and exports the selection (inline JS and CSS, no network).
//! The run's flags go in as one JSON object of columns (`ExplorerData`, written compactly as
//! `Wire`: dictionary codes packed into strings, evidence as shared shapes and phrases, members
//! household by household), in a `<script type="application/json">` block that the page
//! decodes; the shell is maud markup.
//! Personal data is what the review workbooks show: names and masked IDs, no birth dates.
//! `pseudonymized` rewrites a written page for `export --pseudonymize`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::{Deserialize, Serialize};

mod build;
#[cfg(test)]
mod tests;
mod warnings;
mod wire;

use warnings::WarningColumns;
use wire::Wire;

use super::RunOutputs;
use crate::rundir::{write_file, OutputError};

/// The page's script: explorer.js and warnings.js as one function body (they share its scope).
const SCRIPT: &str = concat!(
    "(function () {\n",
    include_str!("explorer/explorer.js"),
    include_str!("explorer/warnings.js"),
    "})();\n"
);
const STYLE: &str = include_str!("explorer/explorer.css");

/// The id of the data block, which `pseudonymized` finds again.
const DATA_OPEN: &str = r#"<script type="application/json" id="explorer-data">"#;

/// Writes `explorer.html` for a run.
pub(super) fn write(path: &Path, outputs: &RunOutputs) -> Result<(), OutputError> {
    let html = render(&ExplorerData::of_run(outputs)).map_err(|e| OutputError::write(path, e))?;
    write_file(path, html.as_bytes())
}

/// A written explorer page with every id replaced by `pseudonym(id)` and names, masked IDs,
/// evidence and reviewers left out.
pub fn pseudonymized(html: &str, pseudonym: impl Fn(&str) -> String) -> Result<String, String> {
    let start = html
        .find(DATA_OPEN)
        .ok_or("no explorer data block in the page")?
        + DATA_OPEN.len();
    let end = start
        + html[start..]
            .find("</script>")
            .ok_or("the explorer data block is not closed")?;
    let wire: Wire = serde_json::from_str(&html[start..end]).map_err(|e| e.to_string())?;
    let mut data = wire.data()?;
    data.pseudonymize(&pseudonym);
    render(&data)
}

/// The page: the maud shell around the data, the script and the style.
fn render(data: &ExplorerData) -> Result<String, String> {
    let json = embeddable_json(data)?;
    Ok(page(data, &json).into_string())
}

/// JSON that cannot end its `<script>` block: every `<` (so `</script>` and `<!--`) is
/// written `\u003c`, and `>`, `&` likewise. `<`, `>` and `&` only occur inside JSON strings,
/// where the escape means the same character.
fn embeddable_json(data: &ExplorerData) -> Result<String, String> {
    let json = serde_json::to_string(&Wire::of(data)?).map_err(|e| e.to_string())?;
    Ok(json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026"))
}

/// The filter panels of each view, in the order of the contract's list: fragment key, Chinese
/// title, and whether the options are many enough to need a search box.
const FILTERS: [(&str, &str, bool); 7] = [
    ("reason", "核查原因", false),
    ("severity", "严重程度", false),
    ("programme", "救助类型", false),
    ("county", "县（市、区）", true),
    ("township", "乡镇（街道）", true),
    ("status", "状态", false),
    ("verdict", "核查结论", false),
];
const WARNING_FILTERS: [(&str, &str, bool); 5] = [
    ("warning", "预警类型", false),
    ("signal", "预警信号", false),
    ("county", "县（市、区）", true),
    ("township", "乡镇（街道）", true),
    ("status", "状态", false),
];

fn page(data: &ExplorerData, json: &str) -> Markup {
    let run = &data.run;
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "核查对象浏览 · " (run.as_of) " · " (run.run_id) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "低保核查 · 核查对象浏览" }
                    nav #views {
                        button #view-flags .tab type="button" data-view="flags" {
                            "核查对象 Flags " span.n { (data.flags.household.len()) }
                        }
                        button #view-warnings .tab type="button" data-view="warnings" {
                            "预警线索 Warnings " span.n { (data.warnings.kind.len()) }
                        }
                    }
                    span.meta {
                        "核查基准日 " b { (run.as_of) } " · 运行 " code { (run.run_id) }
                        " · 流程 " (run.pipeline) " · 在册 " (run.households) " 户 "
                        (run.members) " 人 · rollcheck " (run.tool_version)
                    }
                }
                @if run.pseudonymized {
                    p.notice {
                        "假名化副本：户、成员、记录和预警编号已替换为假名，不含姓名、身份证号、证据原文和核查人。"
                    }
                }
                div.layout {
                    aside #filters data-view="flags" {
                        (filter_panels(&FILTERS))
                        (score_band())
                        button #reset .reset type="button" { "清除全部筛选" }
                    }
                    aside #warning-filters data-view="warnings" hidden {
                        (filter_panels(&WARNING_FILTERS))
                        button #warnings-reset .reset type="button" { "清除全部筛选" }
                    }
                    main #results {
                        (summary())
                        (flags_view())
                        (warnings_view())
                    }
                }
                aside #detail hidden {}
                noscript { p.notice { "此页面需要启用 JavaScript。" } }
                script type="application/json" id="explorer-data" { (PreEscaped(json)) }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn filter_panels(filters: &[(&str, &str, bool)]) -> Markup {
    html! {
        @for (key, title, searchable) in filters {
            fieldset data-dim=(key) data-title=(title) {
                legend { (title) button.none type="button" title="清除此项" { "清除" } }
                @if *searchable {
                    input.find type="search" placeholder="按代码查找";
                }
                div.options {}
            }
        }
    }
}

fn score_band() -> Markup {
    html! {
        fieldset {
            legend { "分数区间" }
            div.band {
                span #score-low-value { "0" }
                input #score-low type="range" min="0" max="1" step="0.05" value="0"
                    aria-label="分数下限";
                span {}
                span #score-high-value { "1" }
                input #score-high type="range" min="0" max="1" step="0.05" value="1"
                    aria-label="分数上限";
                span {}
            }
        }
    }
}

/// What both views share: `#count` (the rows the active view selects), the export and the
/// link.
fn summary() -> Markup {
    html! {
        div.summary {
            span { "已选 " span #count .big { "0" } " " span #unit { "条核查对象" } "，共 " span #total { "0" } " 条" }
            span #overpaid-note { "；估算多发合计 " span #overpaid .big { "0" } " 元（每户按其最大一项计一次）" }
            div.actions {
                button #export type="button" title="导出当前筛选结果（与 flags.csv 或 warnings.csv 同列，身份证号脱敏，UTF-8 BOM）" {
                    "导出 CSV"
                }
                button #copy-link type="button" title="地址栏中的链接保存了当前筛选" {
                    "复制链接"
                }
            }
            div #active-filters {}
        }
    }
}

fn pager(prefix: &str) -> Markup {
    html! {
        nav #{(prefix) "pager"} .pager {
            button #{(prefix) "first-page"} type="button" { "首页" }
            button #{(prefix) "prev-page"} type="button" { "上一页" }
            span #{(prefix) "page-info"} {}
            button #{(prefix) "next-page"} type="button" { "下一页" }
            button #{(prefix) "last-page"} type="button" { "末页" }
        }
    }
}

fn flags_view() -> Markup {
    html! {
        section #flags-view {
            div.charts {
                figure { figcaption { "按核查原因" } div #chart-reason {} }
                figure { figcaption #chart-region-title { "按乡镇（街道）" } div #chart-region {} }
                figure { figcaption { "分数分布（不含分数区间筛选）" } div #chart-score {} }
                figure {
                    figcaption { "历次运行：核查对象、新增、持续、已解除（全部，不随筛选）" }
                    div #chart-trend {}
                }
            }
            div.table-wrap {
                table #flags {
                    thead { tr #flags-head {} }
                    tbody #flags-body {}
                }
            }
            (pager(""))
        }
    }
}

fn warnings_view() -> Markup {
    html! {
        section #warnings-view hidden {
            p.intro {
                "残疾、医保、失业登记中有重度残疾、大额医疗自付等信号的人：不在名册、无车辆房产经营且收入不超过标准的为应纳未纳；低保户成员为应增未增。不在名册者按登记的行政区划（否则按身份证号所在县）归属。身份证号已脱敏。"
            }
            div.charts {
                figure { figcaption { "按预警类型" } div #chart-warning {} }
                figure { figcaption { "按预警信号" } div #chart-signal {} }
                figure { figcaption #chart-warning-region-title { "按乡镇（街道）" } div #chart-warning-region {} }
                figure { figcaption { "按状态" } div #chart-warning-status {} }
            }
            div.table-wrap {
                table #warnings {
                    thead { tr #warnings-head {} }
                    tbody #warnings-body {}
                }
            }
            (pager("warnings-"))
        }
    }
}

/// Everything the page shows, as columns. A dictionary-coded column holds, per row, an index
/// into its dictionary in `dict`; list columns hold lists of indices. The page gets it as
/// `Wire`, which reads back to the same value.
#[derive(Debug, Clone, PartialEq)]
struct ExplorerData {
    run: RunInfo,
    /// flags.csv's columns, for the CSV export.
    columns: Vec<String>,
    /// The comparison fields, in `link::FIELDS` order.
    fields: Vec<String>,
    /// Chinese labels by kind and code (`level` by `field:level`).
    labels: BTreeMap<String, BTreeMap<String, String>>,
    dict: Dictionaries,
    /// Per entry of `dict.region`: its county and township, as indices.
    regions: Regions,
    flags: FlagColumns,
    members: MemberColumns,
    matches: MatchColumns,
    /// Distinct comparison outcomes (levels, weights, decision), shared by matches.
    comparisons: Vec<Comparison>,
    trend: Trend,
    /// The view 预警线索: early warnings, and the columns of their CSV export.
    warnings: WarningColumns,
    warning_columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RunInfo {
    run_id: String,
    as_of: String,
    tool_version: String,
    pipeline: String,
    households: usize,
    members: usize,
    pseudonymized: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Dictionaries {
    household: Vec<String>,
    programme: Vec<String>,
    region: Vec<String>,
    county: Vec<String>,
    township: Vec<String>,
    reason: Vec<String>,
    severity: Vec<String>,
    status: Vec<String>,
    /// `""` is no finding.
    verdict: Vec<String>,
    action: Vec<String>,
    reviewer: Vec<String>,
    /// Every date (first flagged, reviewed); `""` is none.
    date: Vec<String>,
    record: Vec<String>,
    source: Vec<String>,
    /// The warnings' kinds, signals and statuses (absent from pages before warnings).
    #[serde(default)]
    warning: Vec<String>,
    #[serde(default)]
    signal: Vec<String>,
    #[serde(default)]
    warning_status: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Regions {
    county: Vec<u32>,
    township: Vec<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct FlagColumns {
    household: Vec<u32>,
    programme: Vec<u32>,
    region: Vec<u32>,
    reason: Vec<u32>,
    severity: Vec<u32>,
    /// Indices into `members`.
    members: Vec<Vec<u32>>,
    evidence: Vec<String>,
    records: Vec<Vec<u32>>,
    /// As flags.csv prints it (four decimals).
    score: Vec<Option<f64>>,
    status: Vec<u32>,
    first_flagged_on: Vec<u32>,
    verdict: Vec<u32>,
    action: Vec<u32>,
    reviewer: Vec<u32>,
    reviewed_on: Vec<u32>,
    /// v3: when the fact began (dictionary of dates; code of "" where undated) and the
    /// estimated overpayment in yuan.
    since: Vec<u32>,
    overpaid: Vec<Option<f64>>,
}

/// Heads of flagged households and the members flags and their matches name, household by
/// household (in the order of `dict.household`), each household's in the order added.
#[derive(Debug, Clone, Default, PartialEq)]
struct MemberColumns {
    id: Vec<String>,
    household: Vec<u32>,
    name: Vec<String>,
    /// Region code + last 4 only.
    masked_id: Vec<String>,
    head: Vec<u8>,
}

/// The matches behind the flags: the pairs of a flagged household and a record a flag names.
#[derive(Debug, Clone, Default, PartialEq)]
struct MatchColumns {
    household: Vec<u32>,
    member: Vec<u32>,
    record: Vec<u32>,
    source: Vec<u32>,
    comparison: Vec<u32>,
}

/// What `explain` prints for one pair, weights to two decimals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Comparison {
    method: String,
    decision: String,
    note: Option<String>,
    levels: Vec<String>,
    weights: Vec<Option<f64>>,
    prior: Option<f64>,
    total: Option<f64>,
    score: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Trend {
    run_id: Vec<String>,
    as_of: Vec<String>,
    flags: Vec<usize>,
    new: Vec<usize>,
    persisting: Vec<usize>,
    resolved: Vec<usize>,
}

/// Values and the index of each, in first-seen order (or the order given).
#[derive(Default)]
struct Dictionary {
    values: Vec<String>,
    codes: HashMap<String, u32>,
}

impl Dictionary {
    fn of<'v>(values: impl IntoIterator<Item = &'v str>) -> Dictionary {
        let mut dictionary = Dictionary::default();
        for value in values {
            dictionary.code(value);
        }
        dictionary
    }

    fn code(&mut self, value: &str) -> u32 {
        if let Some(&code) = self.codes.get(value) {
            return code;
        }
        let code = u32::try_from(self.values.len()).expect("fewer than 2^32 distinct values");
        self.values.push(value.to_string());
        self.codes.insert(value.to_string(), code);
        code
    }
}
