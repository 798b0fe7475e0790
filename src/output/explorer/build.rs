//! How a run becomes `ExplorerData`: the dictionaries (closed vocabularies in the contract's
//! order), the members and matches behind the flags listed household by household, the
//! Chinese labels the page shows, and what `pseudonymize` leaves of it all.

use std::collections::{BTreeMap, HashMap};

use super::warnings::{self, WarningColumns};
use super::{
    Comparison, Dictionaries, Dictionary, ExplorerData, FlagColumns, MatchColumns, MemberColumns,
    Regions, RunInfo, Trend,
};
use crate::link::words::comparison_in_words;
use crate::model::{
    Action, Programme, Reason, RegionCode, Severity, Signal, Source, Verdict, WarningKind,
};
use crate::output::{ReviewMember, RunOutputs};
use crate::rundir::{
    format_score, FlagRow, FlagStatus, MatchRow, RunRecord, WarningRow, FLAG_COLUMNS,
};

/// The flags of a run with the members and matches behind them, and its early warnings.
pub(super) struct Cohort<'a> {
    pub(super) flags: &'a [FlagRow],
    pub(super) matches: &'a [MatchRow],
    pub(super) members: &'a [ReviewMember],
    pub(super) warnings: &'a [WarningRow],
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
    pub(super) fn of_run(outputs: &RunOutputs) -> ExplorerData {
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
                warnings: &outputs.warnings.rows,
            },
            outputs.trend,
        )
    }

    pub(super) fn new(run: RunInfo, cohort: &Cohort, trend_runs: &[RunRecord]) -> ExplorerData {
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
            columns.since.push(
                dict.date.code(
                    &flag
                        .overpayment
                        .map_or_else(String::new, |o| o.since.to_string()),
                ),
            );
            columns.overpaid.push(flag.overpaid_yuan());
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
        let warnings = WarningColumns::of(cohort.warnings, &mut dict);
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
            warnings,
            warning_columns: warnings::export_columns(),
        }
    }

    /// Ids become pseudonyms; names, masked IDs, evidence and reviewers go.
    pub(super) fn pseudonymize(&mut self, pseudonym: &impl Fn(&str) -> String) {
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
        self.warnings.pseudonymize(pseudonym);
        self.run.pseudonymized = true;
    }
}

/// The dictionaries while the columns are built. Closed vocabularies list every value in the
/// contract's order, so the filters offer them all and sort by meaning (high before low).
pub(super) struct Dicts {
    household: Dictionary,
    programme: Dictionary,
    pub(super) region: Dictionary,
    reason: Dictionary,
    severity: Dictionary,
    status: Dictionary,
    verdict: Dictionary,
    action: Dictionary,
    reviewer: Dictionary,
    pub(super) date: Dictionary,
    record: Dictionary,
    source: Dictionary,
    pub(super) warning: Dictionary,
    pub(super) signal: Dictionary,
    pub(super) warning_status: Dictionary,
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
            warning: Dictionary::of(WarningKind::ALL.iter().map(|k| k.code())),
            signal: Dictionary::of(Signal::ALL.iter().map(|s| s.code())),
            warning_status: Dictionary::of(warnings::STATUSES.iter().map(|(code, _)| *code)),
        }
    }

    pub(super) fn region(&mut self, region_code: Option<&str>) -> u32 {
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
            warning: self.warning.values,
            signal: self.signal.values,
            warning_status: self.warning_status.values,
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
                columns.source.push(dict.source.code(pair.source));
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
        method: pair.method.to_string(),
        decision: pair.decision.to_string(),
        note: pair.note.map(str::to_string),
        levels: vec![
            pair.id_level.to_string(),
            pair.name_level.to_string(),
            pair.birth_date_level.to_string(),
            pair.region_level.to_string(),
            pair.gender_level.to_string(),
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
            "warning".into(),
            of(WarningKind::ALL, WarningKind::code, WarningKind::label_zh),
        ),
        (
            "signal".into(),
            of(Signal::ALL, Signal::code, Signal::label_zh),
        ),
        ("warning_status".into(), fixed(&warnings::STATUSES)),
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
