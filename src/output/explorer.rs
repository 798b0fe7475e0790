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

mod wire;

use wire::Wire;

use super::{ReviewMember, RunOutputs};
use crate::link::words::comparison_in_words;
use crate::model::{Action, Programme, Reason, RegionCode, Severity, Source, Verdict};
use crate::rundir::{
    format_score, write_file, FlagRow, FlagStatus, MatchRow, OutputError, RunRecord, FLAG_COLUMNS,
};

const SCRIPT: &str = include_str!("explorer/explorer.js");
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

/// The filter panels, in the order of the contract's list: fragment key and Chinese title.
const FILTERS: [(&str, &str, bool); 7] = [
    ("reason", "核查原因", false),
    ("severity", "严重程度", false),
    ("programme", "救助类型", false),
    ("county", "县（市、区）", true),
    ("township", "乡镇（街道）", true),
    ("status", "状态", false),
    ("verdict", "核查结论", false),
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
                    span.meta {
                        "核查基准日 " b { (run.as_of) } " · 运行 " code { (run.run_id) }
                        " · 流程 " (run.pipeline) " · 在册 " (run.households) " 户 "
                        (run.members) " 人 · rollcheck " (run.tool_version)
                    }
                }
                @if run.pseudonymized {
                    p.notice {
                        "假名化副本：户、成员和记录编号已替换为假名，不含姓名、身份证号、证据原文和核查人。"
                    }
                }
                div.layout {
                    aside #filters {
                        @for (key, title, searchable) in FILTERS {
                            fieldset data-dim=(key) data-title=(title) {
                                legend { (title) button.none type="button" title="清除此项" { "清除" } }
                                @if searchable {
                                    input.find type="search" placeholder="按代码查找";
                                }
                                div.options {}
                            }
                        }
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
                        button #reset type="button" { "清除全部筛选" }
                    }
                    main #results {
                        div.summary {
                            span { "已选 " span #count .big { "0" } " 条核查对象，共 " span #total { "0" } " 条" }
                            div.actions {
                                button #export type="button" title="导出当前筛选结果（与 flags.csv 同列，UTF-8 BOM）" {
                                    "导出 CSV"
                                }
                                button #copy-link type="button" title="地址栏中的链接保存了当前筛选" {
                                    "复制链接"
                                }
                            }
                            div #active-filters {}
                        }
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
                        nav #pager {
                            button #first-page type="button" { "首页" }
                            button #prev-page type="button" { "上一页" }
                            span #page-info {}
                            button #next-page type="button" { "下一页" }
                            button #last-page type="button" { "末页" }
                        }
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

/// The flags of a run with the members and matches behind them.
struct Cohort<'a> {
    flags: &'a [FlagRow],
    matches: &'a [MatchRow],
    members: &'a [ReviewMember],
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

/// Rounds for display; `None` where there is no number.
fn rounded(value: f64, places: i32) -> Option<f64> {
    let scale = 10f64.powi(places);
    value.is_finite().then(|| (value * scale).round() / scale)
}

/// A flag's score exactly as flags.csv prints it.
fn csv_score(score: f64) -> Option<f64> {
    format_score(score)
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite())
}

impl ExplorerData {
    fn of_run(outputs: &RunOutputs) -> ExplorerData {
        let run = RunInfo {
            run_id: outputs.run_id.to_string(),
            as_of: outputs.as_of.to_string(),
            tool_version: outputs.manifest.tool_version.clone(),
            pipeline: outputs.manifest.pipeline.name.clone(),
            households: outputs.manifest.households,
            members: outputs.manifest.members,
            pseudonymized: false,
        };
        ExplorerData::new(
            run,
            &Cohort {
                flags: outputs.flags,
                matches: outputs.matches,
                members: outputs.review_members,
            },
            outputs.trend,
        )
    }

    fn new(run: RunInfo, cohort: &Cohort, trend_runs: &[RunRecord]) -> ExplorerData {
        let mut dict = Dicts::new();
        let mut columns = FlagColumns::default();
        let households: Vec<u32> = cohort
            .flags
            .iter()
            .map(|row| dict.household.code(&row.flag.household_id))
            .collect();
        let mut members = MemberTable::of_flagged(cohort.members, &dict.household);
        for (row, &household) in cohort.flags.iter().zip(&households) {
            let flag = &row.flag;
            columns
                .programme
                .push(dict.programme.code(flag.programme.code()));
            columns
                .region
                .push(dict.region(flag.region_code.as_deref()));
            columns.reason.push(dict.reason.code(flag.reason.code()));
            columns
                .severity
                .push(dict.severity.code(flag.severity.code()));
            columns.members.push(
                flag.member_ids
                    .iter()
                    .map(|id| members.index(id, household))
                    .collect(),
            );
            columns.records.push(
                flag.record_ids
                    .iter()
                    .map(|r| dict.record.code(r))
                    .collect(),
            );
            columns.evidence.push(flag.evidence.clone());
            columns.score.push(csv_score(flag.score));
            columns.status.push(dict.status.code(row.status.code()));
            columns
                .first_flagged_on
                .push(dict.date.code(&row.first_flagged_on.to_string()));
            let finding = row.finding.as_ref();
            columns
                .verdict
                .push(dict.verdict.code(finding.map_or("", |f| f.verdict.code())));
            columns.action.push(
                dict.action
                    .code(finding.and_then(|f| f.action).map_or("", Action::code)),
            );
            columns.reviewer.push(
                dict.reviewer
                    .code(finding.map_or("", |f| f.reviewer.as_str())),
            );
            columns.reviewed_on.push(
                dict.date
                    .code(&finding.map_or_else(String::new, |f| f.reviewed_on.to_string())),
            );
        }
        columns.household = households;
        let (mut matches, comparisons) = matches_behind_flags(cohort, &mut dict, &mut members);
        let members = by_household(&members.columns, &mut columns, &mut matches);
        let reasons = Reason::listed(cohort.flags.iter().map(|f| f.flag.reason));
        let sources = Source::listed(dict.source.values.iter().filter_map(|s| Source::named(s)));
        let labels = labels(&comparisons, &reasons, &sources);
        let (dictionaries, regions) = dict.finish();
        ExplorerData {
            run,
            columns: FLAG_COLUMNS.iter().map(|c| (*c).to_string()).collect(),
            fields: crate::link::FIELDS
                .iter()
                .map(|f| (*f).to_string())
                .collect(),
            labels,
            dict: dictionaries,
            regions,
            flags: columns,
            members,
            matches,
            comparisons,
            trend: trend(trend_runs),
        }
    }

    /// Ids become pseudonyms; names, masked IDs, evidence and reviewers go.
    fn pseudonymize(&mut self, pseudonym: &impl Fn(&str) -> String) {
        let replace = |values: &mut Vec<String>| {
            for value in values.iter_mut().filter(|v| !v.is_empty()) {
                *value = pseudonym(value);
            }
        };
        replace(&mut self.dict.household);
        replace(&mut self.dict.record);
        replace(&mut self.members.id);
        for value in self
            .members
            .name
            .iter_mut()
            .chain(self.members.masked_id.iter_mut())
        {
            value.clear();
        }
        for evidence in &mut self.flags.evidence {
            evidence.clear();
        }
        self.dict.reviewer = vec![String::new()];
        for reviewer in &mut self.flags.reviewer {
            *reviewer = 0;
        }
        self.run.pseudonymized = true;
    }
}

/// The dictionaries while the columns are built. Closed vocabularies list every value in the
/// contract's order, so the filters offer them all and sort by meaning (high before low).
struct Dicts {
    household: Dictionary,
    programme: Dictionary,
    region: Dictionary,
    reason: Dictionary,
    severity: Dictionary,
    status: Dictionary,
    verdict: Dictionary,
    action: Dictionary,
    reviewer: Dictionary,
    date: Dictionary,
    record: Dictionary,
    source: Dictionary,
}

impl Dicts {
    fn new() -> Dicts {
        Dicts {
            household: Dictionary::default(),
            programme: Dictionary::of(Programme::ALL.iter().map(|p| p.code())),
            region: Dictionary::default(),
            reason: Dictionary::of(Reason::ALL.iter().map(|r| r.code())),
            severity: Dictionary::of(Severity::ALL.iter().rev().map(|s| s.code())),
            status: Dictionary::of(FlagStatus::ALL.iter().map(|s| s.code())),
            verdict: Dictionary::of(
                std::iter::once("").chain(Verdict::ALL.iter().map(|v| v.code())),
            ),
            action: Dictionary::of(std::iter::once("").chain(Action::ALL.iter().map(|a| a.code()))),
            reviewer: Dictionary::of([""]),
            date: Dictionary::of([""]),
            record: Dictionary::default(),
            source: Dictionary::default(),
        }
    }

    fn region(&mut self, region_code: Option<&str>) -> u32 {
        self.region.code(region_code.unwrap_or(""))
    }

    /// Each region's county and township, as summaries and workbooks key them; the county
    /// and township dictionaries are sorted by code.
    fn finish(self) -> (Dictionaries, Regions) {
        let keys: Vec<(String, String)> = self
            .region
            .values
            .iter()
            .map(|code| {
                let code = Some(code.as_str()).filter(|c| !c.is_empty());
                (RegionCode::county_key(code), RegionCode::township_key(code))
            })
            .collect();
        let sorted = |pick: fn(&(String, String)) -> &str| {
            let mut values: Vec<&str> = keys.iter().map(pick).collect();
            values.sort_unstable();
            Dictionary::of(values)
        };
        let (counties, townships) = (sorted(|k| k.0.as_str()), sorted(|k| k.1.as_str()));
        let regions = Regions {
            county: keys.iter().map(|(c, _)| counties.codes[c]).collect(),
            township: keys.iter().map(|(_, t)| townships.codes[t]).collect(),
        };
        let dictionaries = Dictionaries {
            household: self.household.values,
            programme: self.programme.values,
            region: self.region.values,
            county: counties.values,
            township: townships.values,
            reason: self.reason.values,
            severity: self.severity.values,
            status: self.status.values,
            verdict: self.verdict.values,
            action: self.action.values,
            reviewer: self.reviewer.values,
            date: self.date.values,
            record: self.record.values,
            source: self.source.values,
        };
        (dictionaries, regions)
    }
}

/// Roll members as the page shows them, as much as the review workbooks show: the head of
/// each flagged household, then each member a flag or a match behind one names.
struct MemberTable<'a> {
    columns: MemberColumns,
    index: HashMap<String, u32>,
    roll: HashMap<&'a str, &'a ReviewMember>,
}

impl<'a> MemberTable<'a> {
    /// `households` already holds every flagged household.
    fn of_flagged(review_members: &'a [ReviewMember], households: &Dictionary) -> MemberTable<'a> {
        let mut table = MemberTable {
            columns: MemberColumns::default(),
            index: HashMap::new(),
            roll: review_members
                .iter()
                .map(|m| (m.member_id.as_str(), m))
                .collect(),
        };
        for member in review_members.iter().filter(|m| m.is_head) {
            if let Some(&household) = households.codes.get(&member.household_id) {
                table.push(&member.member_id, household);
            }
        }
        table
    }

    /// Adds a member with the name and masked ID the roll gives, if any.
    fn push(&mut self, id: &str, household: u32) -> u32 {
        let index = u32::try_from(self.columns.id.len()).expect("fewer than 2^32 members");
        let on_roll = self.roll.get(id);
        self.columns.id.push(id.to_string());
        self.columns.household.push(household);
        self.columns
            .name
            .push(on_roll.map_or_else(String::new, |m| m.name.clone()));
        self.columns
            .masked_id
            .push(on_roll.map_or_else(String::new, |m| m.masked_id.clone()));
        self.columns
            .head
            .push(u8::from(on_roll.is_some_and(|m| m.is_head)));
        self.index.insert(id.to_string(), index);
        index
    }

    /// The member's index, added on first use.
    fn index(&mut self, id: &str, household: u32) -> u32 {
        match self.index.get(id) {
            Some(&index) => index,
            None => self.push(id, household),
        }
    }
}

/// The members listed household by household (the page gets a count per household, not a
/// household per member), each household's in the order they were added; the indices in the
/// flags and matches follow.
fn by_household(
    members: &MemberColumns,
    flags: &mut FlagColumns,
    matches: &mut MatchColumns,
) -> MemberColumns {
    let mut order: Vec<usize> = (0..members.id.len()).collect();
    order.sort_by_key(|&m| members.household[m]);
    let mut moved_to = vec![0u32; order.len()];
    for (to, &from) in order.iter().enumerate() {
        moved_to[from] = u32::try_from(to).expect("fewer than 2^32 members");
    }
    for member in flags
        .members
        .iter_mut()
        .flatten()
        .chain(matches.member.iter_mut())
    {
        *member = moved_to[*member as usize];
    }
    MemberColumns {
        id: order.iter().map(|&m| members.id[m].clone()).collect(),
        household: order.iter().map(|&m| members.household[m]).collect(),
        name: order.iter().map(|&m| members.name[m].clone()).collect(),
        masked_id: order
            .iter()
            .map(|&m| members.masked_id[m].clone())
            .collect(),
        head: order.iter().map(|&m| members.head[m]).collect(),
    }
}

/// For each flag, the matches of its household with each record it names (what `explain`
/// prints), each once; their comparisons are shared.
fn matches_behind_flags(
    cohort: &Cohort,
    dict: &mut Dicts,
    members: &mut MemberTable,
) -> (MatchColumns, Vec<Comparison>) {
    let mut by_pair: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (at, row) in cohort.matches.iter().enumerate() {
        by_pair
            .entry((row.household_id.as_str(), row.record_id.as_str()))
            .or_default()
            .push(at);
    }
    let mut taken = vec![false; cohort.matches.len()];
    let mut columns = MatchColumns::default();
    let mut comparisons = Vec::new();
    let mut comparison_codes: HashMap<String, u32> = HashMap::new();
    for row in cohort.flags {
        let flag = &row.flag;
        for record_id in &flag.record_ids {
            let Some(found) = by_pair.get(&(flag.household_id.as_str(), record_id.as_str())) else {
                continue;
            };
            for &at in found {
                if std::mem::replace(&mut taken[at], true) {
                    continue;
                }
                let pair = &cohort.matches[at];
                let household = dict.household.code(&pair.household_id);
                columns.household.push(household);
                columns
                    .member
                    .push(members.index(&pair.member_id, household));
                columns.record.push(dict.record.code(&pair.record_id));
                columns.source.push(dict.source.code(&pair.source));
                let comparison = comparison_of(pair);
                let key = serde_json::to_string(&comparison).expect("a comparison serialises");
                let code = *comparison_codes.entry(key).or_insert_with(|| {
                    comparisons.push(comparison);
                    u32::try_from(comparisons.len() - 1).expect("fewer than 2^32 comparisons")
                });
                columns.comparison.push(code);
            }
        }
    }
    (columns, comparisons)
}

fn comparison_of(pair: &MatchRow) -> Comparison {
    Comparison {
        method: pair.method.clone(),
        decision: pair.decision.clone(),
        note: pair.note.clone(),
        levels: vec![
            pair.id_level.clone(),
            pair.name_level.clone(),
            pair.birth_date_level.clone(),
            pair.region_level.clone(),
            pair.gender_level.clone(),
        ],
        weights: pair.field_weights.iter().map(|w| rounded(*w, 2)).collect(),
        prior: rounded(pair.prior_weight, 2),
        total: rounded(pair.match_weight, 2),
        score: rounded(pair.score, 6),
    }
}

fn trend(runs: &[RunRecord]) -> Trend {
    let mut trend = Trend::default();
    for run in runs {
        trend.run_id.push(run.run_id.clone());
        trend.as_of.push(run.as_of.clone());
        trend.flags.push(run.flags);
        trend.new.push(run.new);
        trend.persisting.push(run.persisting);
        trend.resolved.push(run.resolved);
    }
    trend
}

// ---- the page's encoding ----------------------------------------------------------------

/// Chinese labels for every code the page shows; the page falls back to the code.
fn labels(
    comparisons: &[Comparison],
    reasons: &[Reason],
    sources: &[Source],
) -> BTreeMap<String, BTreeMap<String, String>> {
    fn of<T: Copy>(
        values: &[T],
        code: fn(T) -> &'static str,
        label: fn(T) -> &'static str,
    ) -> BTreeMap<String, String> {
        values
            .iter()
            .map(|v| (code(*v).to_string(), label(*v).to_string()))
            .collect()
    }
    let fixed = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(code, label)| ((*code).to_string(), (*label).to_string()))
            .collect()
    };
    let mut levels = BTreeMap::new();
    for comparison in comparisons {
        for (field, level) in crate::link::FIELDS.iter().zip(&comparison.levels) {
            let words = match comparison_in_words(&[(field, level.as_str())]) {
                words if !words.is_empty() => words,
                _ if level == "missing" => "未比对：一方缺失，或已计入身份证号（无权重）".into(),
                _ => continue,
            };
            levels.insert(format!("{field}:{level}"), words);
        }
    }
    BTreeMap::from([
        ("reason".into(), of(reasons, Reason::code, Reason::label_zh)),
        (
            "severity".into(),
            of(Severity::ALL, Severity::code, Severity::label_zh),
        ),
        (
            "programme".into(),
            of(Programme::ALL, Programme::code, Programme::label_zh),
        ),
        (
            "status".into(),
            of(&FlagStatus::ALL, FlagStatus::code, FlagStatus::label_zh),
        ),
        (
            "verdict".into(),
            of(Verdict::ALL, Verdict::code, Verdict::label_zh),
        ),
        (
            "action".into(),
            of(Action::ALL, Action::code, Action::label_zh),
        ),
        ("source".into(), of(sources, Source::code, Source::label_zh)),
        (
            "method".into(),
            fixed(&[
                ("exact_id", "身份证号一致"),
                ("normalized_id", "身份证号规范化后一致"),
                ("probabilistic", "概率比对"),
                ("masked_id", "遮蔽身份证号可见位一致"),
            ]),
        ),
        (
            "decision".into(),
            fixed(&[
                ("accepted", "认定为同一人"),
                ("possible", "可能为同一人（待核实线索）"),
                ("identity_conflict", "身份信息冲突"),
            ]),
        ),
        (
            "field".into(),
            fixed(&[
                ("id", "身份证号"),
                ("name", "姓名"),
                ("birth_date", "出生日期"),
                ("region", "区划"),
                ("gender", "性别"),
            ]),
        ),
        ("level".into(), levels),
    ])
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::wire::*;
    use super::*;
    use crate::rules::Flag;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn flag(household_id: &str, reason: Reason, evidence: &str, record_ids: &[&str]) -> FlagRow {
        FlagRow {
            flag: Flag {
                household_id: household_id.into(),
                programme: Programme::DibaoRural,
                region_code: Some("411526101003".into()),
                reason,
                severity: Severity::Medium,
                member_ids: vec![format!("{household_id}-01")],
                evidence: evidence.into(),
                record_ids: record_ids.iter().map(|r| (*r).to_string()).collect(),
                score: 0.987_654,
            },
            status: FlagStatus::New,
            first_flagged_on: date("2025-06-30"),
            finding: None,
        }
    }

    fn member(household_id: &str) -> ReviewMember {
        ReviewMember {
            household_id: household_id.into(),
            member_id: format!("{household_id}-01"),
            name: "张三".into(),
            masked_id: "411526********123X".into(),
            is_head: true,
        }
    }

    fn pair(household_id: &str, record_id: &str) -> MatchRow {
        MatchRow {
            household_id: household_id.into(),
            member_id: format!("{household_id}-01"),
            source: "vehicle".into(),
            record_id: record_id.into(),
            method: "probabilistic".into(),
            score: 0.999_123_456,
            id_level: "one_digit".into(),
            name_level: "identical".into(),
            birth_date_level: "equal".into(),
            region_level: "township".into(),
            gender_level: "missing".into(),
            field_weights: vec![5.126, 8.0, 9.3333, 1.0, 0.0],
            prior_weight: -12.5,
            match_weight: 10.9593,
            decision: "accepted".into(),
            note: None,
            expected_namesakes: None,
            region_from: None,
        }
    }

    fn data() -> ExplorerData {
        let mut invalid = flag("H1", Reason::InvalidId, "身份证号无效</script><!--", &[]);
        invalid.flag.member_ids = vec!["H1-05".into()];
        let flags = [
            flag(
                "H1",
                Reason::VehicleOwned,
                "车辆登记 V-1：张三 名下小型汽车（豫P1）",
                &["V-1"],
            ),
            flag(
                "H2",
                Reason::VehicleOwned,
                "车辆登记 V-2：李四 名下小型汽车（豫P2）",
                &["V-2"],
            ),
            invalid,
        ];
        let run = RunInfo {
            run_id: "r1".into(),
            as_of: "2025-06-30".into(),
            tool_version: "0".into(),
            pipeline: "p".into(),
            households: 2,
            members: 2,
            pseudonymized: false,
        };
        let named = ReviewMember {
            member_id: "H1-05".into(),
            name: "张五".into(),
            masked_id: "4.1152*E+17".into(),
            is_head: false,
            ..member("H1")
        };
        let bystander = ReviewMember {
            member_id: "H1-09".into(),
            is_head: false,
            ..member("H1")
        };
        let cohort = Cohort {
            flags: &flags,
            matches: &[pair("H1", "V-1"), pair("H2", "V-2"), pair("H3", "V-9")],
            members: &[member("H1"), member("H2"), member("H3"), named, bystander],
        };
        ExplorerData::new(run, &cohort, &[])
    }

    /// Through the page's JSON and back.
    fn read_back(data: &ExplorerData) -> ExplorerData {
        let json = serde_json::to_string(&Wire::of(data).unwrap()).unwrap();
        serde_json::from_str::<Wire>(&json).unwrap().data().unwrap()
    }

    /// The page's decoding, in Rust: index into the dictionaries.
    #[test]
    fn columns_decode_to_the_flags() {
        let data = data();
        let (d, f) = (&data.dict, &data.flags);
        assert_eq!(d.household, ["H1", "H2"]);
        assert_eq!(f.household, [0, 1, 0]);
        let reasons: Vec<&str> = f
            .reason
            .iter()
            .map(|&r| d.reason[r as usize].as_str())
            .collect();
        assert_eq!(reasons, ["vehicle_owned", "vehicle_owned", "invalid_id"]);
        assert_eq!(d.severity, ["high", "medium", "low"], "high first");
        assert_eq!(f.evidence[1], "车辆登记 V-2：李四 名下小型汽车（豫P2）");
        assert_eq!(f.score, [Some(0.9877); 3], "four decimals, as flags.csv");
        assert_eq!(d.verdict[f.verdict[0] as usize], "", "no finding");
        let region = f.region[0] as usize;
        assert_eq!(d.county[data.regions.county[region] as usize], "411526");
        assert_eq!(
            d.township[data.regions.township[region] as usize],
            "411526101000"
        );
        // Heads and named members of flagged households only, household by household, with
        // masked IDs; H3 has no flag and H1-09 is neither head nor named. H1-05 was named
        // after H2's head was listed.
        assert_eq!(data.members.id, ["H1-01", "H1-05", "H2-01"]);
        assert_eq!(data.members.household, [0, 0, 1]);
        assert_eq!(data.members.head, [1, 0, 1]);
        assert_eq!(data.members.masked_id[0], "411526********123X");
        assert_eq!(f.members, [vec![0], vec![2], vec![1]]);
        // Matches behind flags only, with one shared comparison, weights to two decimals.
        assert_eq!(data.matches.record.len(), 2);
        assert_eq!(data.matches.member, [0, 2]);
        assert_eq!(data.comparisons.len(), 1);
        let comparison = &data.comparisons[0];
        assert_eq!(comparison.weights[0], Some(5.13));
        assert_eq!(comparison.score, Some(0.999_123));
        assert_eq!(data.labels["level"]["id:one_digit"], "身份证号差一位");
        assert!(data.labels["level"]["gender:missing"].starts_with("未比对"));
    }

    #[test]
    fn nothing_in_the_data_ends_the_script_block() {
        let html = render(&data()).unwrap();
        let start = html.find(DATA_OPEN).unwrap() + DATA_OPEN.len();
        let block = &html[start..start + html[start..].find("</script>").unwrap()];
        assert!(!block.contains('<') && !block.contains("<!--"), "{block}");
        assert!(block.contains(r"身份证号无效\u003c/script\u003e\u003c!--"));
        let back: Wire = serde_json::from_str(block).unwrap();
        assert_eq!(
            back.data().unwrap(),
            data(),
            "the page's JSON reads back as written"
        );
        assert!(!SCRIPT.contains("</script") && !STYLE.contains("</style"));
    }

    #[test]
    fn findings_are_written_where_there_are_some() {
        let mut data = data();
        let wire = Wire::of(&data).unwrap();
        assert_eq!(
            wire.flags.finding.flag.as_deref(),
            Some("1"),
            "none: no rows"
        );
        assert_eq!(wire.flags.finding.verdict, "1");
        // One finding of three: that row only.
        data.flags.verdict[2] = 1;
        data.flags.reviewer[2] = 1;
        data.dict.reviewer.push("王五".into());
        let wire = Wire::of(&data).unwrap();
        assert_eq!(wire.flags.finding.flag.as_deref(), Some("12"));
        assert_eq!(read_back(&data), data);
        // Two of three: every row.
        data.flags.reviewed_on[0] = 1;
        assert!(Wire::of(&data).unwrap().flags.finding.flag.is_none());
        assert_eq!(read_back(&data), data);
    }

    #[test]
    fn packed_columns_read_back() {
        for values in [
            vec![],
            vec![0, 1, 63],
            vec![64, 0, 4095],
            vec![4096, 262_143, 262_144],
            vec![u32::MAX, 0, 7],
        ] {
            assert_eq!(unpack(&pack(&values)).unwrap(), values, "{values:?}");
        }
        assert_eq!(pack(&[0, 1, 10, 63]), "101A_");
        assert_eq!(pack(&[64, 4095]), "210__");
        assert_eq!(pack(&[]), "1");
        for bad in ["", "0", "7000000", "2A", "1*", "6zzzzzz"] {
            assert!(unpack(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn evidence_is_shapes_and_phrases_and_reads_back() {
        let mut texts: Vec<String> = (0..40)
            .map(|k| {
                format!(
                    "车辆登记 V-{k:07}：张{k} 名下小型汽车（豫P{k}），2024-01-0{}登记",
                    k % 9
                )
            })
            .collect();
        texts.extend([
            String::new(),
            "a|b~c||~~|".into(),
            "~".into(),
            "|".into(),
            "无（全角），也无数字".into(),
            "无（全角），也无数字".into(),
            "𝄞 12 ab".into(),
        ]);
        let reasons: Vec<u32> = (0..texts.len()).map(|k| u32::from(k >= 40)).collect();
        let wire = EvidenceWire::of(&texts, &reasons);
        assert_eq!(wire.texts().unwrap(), texts);
        assert!(
            wire.templates
                .iter()
                .any(|t| t.starts_with("车辆登记 V-|：") && t.contains(" 名下小型汽车（豫P|）")),
            "{:?}",
            wire.templates
        );
        assert!(wire.templates.contains(&String::new()), "empty evidence");
        // `|` and `~` only ever as codes and separators.
        assert!(wire.phrases.contains(&"|".to_string()) && wire.phrases.contains(&"~".to_string()));
        let none = EvidenceWire::of(&[String::new(), String::new()], &[0, 0]);
        assert_eq!(none.templates, [""]);
        assert_eq!(none.values, "");
        assert_eq!(none.texts().unwrap(), ["", ""]);
        let one = EvidenceWire::of(&["x".into()], &[0]);
        assert_eq!(one.texts().unwrap(), ["x"]);
        assert_eq!(
            tokens("P-0318164 杨家（企业职工养老金，4318.27元/月）"),
            [
                "P-",
                "0318164",
                " ",
                "杨家（",
                "企业职工养老金，",
                "4318",
                ".",
                "27",
                "元/月）"
            ]
        );
    }

    #[test]
    fn members_read_back_household_by_household() {
        let households = ["H1".to_string(), "H2".into(), "H3".into()];
        let masked = [
            "411526********123X",
            "",
            "4.1152*E+17",
            "12345",
            "4115**𝄞x*",
            "***",
        ];
        let members = MemberColumns {
            id: ["H1-01", "H1-02", "X-7", "H3-01", "H3", "H3-02"]
                .map(String::from)
                .to_vec(),
            household: vec![0, 0, 0, 2, 2, 2],
            name: ["张三", "", "李四", "张三", "王　五", "张三"]
                .map(String::from)
                .to_vec(),
            masked_id: masked.map(String::from).to_vec(),
            head: vec![1, 0, 0, 1, 0, 0],
        };
        let wire = MemberWire::of(&members, &households).unwrap();
        assert_eq!(wire.count, "1303");
        assert_eq!(wire.id.other, ["X-7"]);
        assert_eq!(wire.masked_id.tail, "123XE+1712345𝄞x*");
        assert_eq!(wire.name.values, ["张三", "", "李四", "王　五"]);
        assert_eq!(wire.columns(&households).unwrap(), members);
        let mut unsorted = members.clone();
        unsorted.household = vec![0, 2, 0, 2, 2, 2];
        assert!(MemberWire::of(&unsorted, &households).is_err());
    }

    #[test]
    fn pseudonymized_pages_keep_no_names_ids_or_evidence() {
        let html = render(&data()).unwrap();
        let page = pseudonymized(&html, |id| format!("p_{}", id.len())).unwrap();
        for gone in [
            "张三",
            "张五",
            "李四",
            "123X",
            "E+17",
            "H1",
            "V-1",
            "名下小型汽车",
            "豫P1",
        ] {
            assert!(
                !page.contains(gone),
                "{gone} left in the pseudonymized page"
            );
        }
        assert!(page.contains("假名化副本"));
    }
}
