//! The nine flag rules of the contract, one file each, and their aggregation into one flag
//! per (household, reason) with evidence a person can check. A rule's file declares it whole
//! (`BuiltIn`: its reason, the registry it reads, the test of whether one matched record
//! counts, its evaluation); the rule table here lists them, and leads ask it which rules a
//! registry's record would count for (`would_raise`).
//! Front door: `rules::evaluate`.
//! **Invariant:** a flag is a referral for review; every flag names its records and values.

mod business_active;
mod cadre_relative;
mod deceased_member;
pub mod doubts;
mod duplicate_enrollment;
mod identity_conflict;
pub mod income;
mod income_over_standard;
mod invalid_id;
pub mod overpayment;
mod pension_income;
mod property_excess;
pub mod sql;
mod supporter_capacity;
pub mod supporters;
mod vehicle_owned;
pub mod warnings;

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::config::{Category, Pipeline};
use crate::ingest::{Ingested, RegistryRecord, RollMember};
use crate::link::{BirthLevel, IdLevel, Links, Match, Method, RegionLevel};
use crate::model::{Programme, Reason, Severity, Source};
use crate::normalize::id::{masked_shows_little, masked_visible_zh};
use crate::normalize::{mask_id, normalize_id, NameLevel, Normalized};
pub use overpayment::Overpayment;

/// Everything a rule may look at.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub pipeline: &'a Pipeline,
    pub as_of: NaiveDate,
    pub ingested: &'a Ingested,
    pub normalized: &'a Normalized,
    pub links: &'a Links,
    pub households: &'a Households,
    /// Households' incomes and their supporters (`income::Incomes::compute`, before the
    /// rules run; `NO_INCOMES` while it computes them).
    pub incomes: &'a income::Incomes,
}

/// The incomes a context holds while they are being computed.
pub static NO_INCOMES: income::Incomes = income::Incomes {
    households: Vec::new(),
    supporters: Vec::new(),
};

impl Context<'_> {
    pub fn member(&self, member_idx: usize) -> &RollMember {
        &self.ingested.roll[member_idx]
    }

    pub fn record(&self, m: &Match) -> &RegistryRecord {
        &self.ingested.registries[m.registry_idx].records[m.record_idx]
    }

    /// Accepted matches of one source with their member and record.
    pub fn accepted(
        &self,
        source: Source,
    ) -> impl Iterator<Item = (&Match, &RollMember, &RegistryRecord)> {
        self.links
            .accepted(source)
            .map(move |m| (m, self.member(m.member_idx), self.record(m)))
    }

    /// Accepted matches of the registry a rule reads whose record counts for the rule at D:
    /// the one test of `Reads::counts`, which leads ask too.
    pub fn counted(
        &self,
        reads: Reads,
    ) -> impl Iterator<Item = (&Match, &RollMember, &RegistryRecord)> {
        self.accepted(reads.source)
            .filter(move |(_, member, record)| {
                (reads.counts)(&self.at(&member.household_id), record)
            })
    }

    /// Where a count test is asked about a record matched to a member of this household.
    pub fn at(&self, household_id: &str) -> At<'_> {
        At {
            pipeline: self.pipeline,
            as_of: self.as_of,
            household: self.households.get(household_id),
        }
    }

    /// The member's ID masked for evidence (region code + last 4).
    pub fn masked_id(&self, member_idx: usize) -> String {
        mask_id(&self.normalized.persons[member_idx].id.cleaned)
    }
}

/// "Active at D": started on or before D and not ended by D (an end on D is not active).
pub fn active_at(start: NaiveDate, end: Option<NaiveDate>, as_of: NaiveDate) -> bool {
    start <= as_of && end.is_none_or(|end| end > as_of)
}

/// Age in whole years at D: a birthday not yet reached this year does not count (one born on
/// 29 February turns a year older on 1 March in other years). The SQL tables' `age` and the
/// supporters' "under 18" both ask it.
pub fn whole_years(birth: NaiveDate, as_of: NaiveDate) -> i64 {
    let mut years = i64::from(as_of.year() - birth.year());
    if (as_of.month(), as_of.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// One roll household.
#[derive(Debug, Clone)]
pub struct Household {
    pub household_id: String,
    /// The household's means-tested programme (`linshi` only when it has no other).
    pub programme: Programme,
    pub region_code: Option<String>,
    pub member_idxs: Vec<usize>,
    /// Distinct persons (by `member_id`) on the roll: the pension divisor.
    pub n_members: usize,
    /// The sum of its members' `monthly_benefit`, when any row gives one.
    pub monthly_benefit: Option<f64>,
    /// The earliest `enrolled_on` among its rows.
    pub enrolled_on: Option<NaiveDate>,
    /// Its re-check class (定期复核分类), when a row gives one.
    pub category: Option<Category>,
}

impl Household {
    /// One member's share of the household's benefit (what a deceased member's months cost).
    pub fn member_share_yuan(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        let n = self.n_members.max(1) as f64;
        self.monthly_benefit.map(|benefit| benefit / n)
    }
}

/// Households by id, in id order.
#[derive(Debug, Clone, Default)]
pub struct Households {
    pub by_id: BTreeMap<String, Household>,
}

impl Households {
    pub fn from_roll(roll: &[RollMember]) -> Households {
        let mut by_id: BTreeMap<String, Household> = BTreeMap::new();
        for (member_idx, member) in roll.iter().enumerate() {
            let household = by_id
                .entry(member.household_id.clone())
                .or_insert_with(|| Household {
                    household_id: member.household_id.clone(),
                    programme: member.programme,
                    region_code: None,
                    member_idxs: Vec::new(),
                    n_members: 0,
                    monthly_benefit: None,
                    enrolled_on: None,
                    category: None,
                });
            household.member_idxs.push(member_idx);
            if let Some(benefit) = member.monthly_benefit {
                *household.monthly_benefit.get_or_insert(0.0) += benefit;
            }
            household.enrolled_on = earliest(household.enrolled_on, member.enrolled_on);
            household.category = household.category.or(member.category);
            // The first non-linshi row names the programme; linshi tops up any of them.
            if household.programme == Programme::Linshi && member.programme != Programme::Linshi {
                household.programme = member.programme;
            }
            if household.region_code.is_none() {
                household.region_code.clone_from(&member.region_code);
            }
        }
        for household in by_id.values_mut() {
            let mut ids: Vec<&str> = household
                .member_idxs
                .iter()
                .map(|i| roll[*i].member_id.as_str())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            household.n_members = ids.len();
        }
        Households { by_id }
    }

    pub fn get(&self, household_id: &str) -> &Household {
        &self.by_id[household_id]
    }
}

fn earliest(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// What one rule found about one household.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub household_id: String,
    pub member_ids: Vec<String>,
    pub record_ids: Vec<String>,
    pub evidence: String,
    /// Confidence in the finding: the weakest match score it rests on.
    pub score: f64,
    /// When the fact began, for a rule whose flag has an overpayment estimate (a death, a
    /// registration, the start of income over the standard); `None` otherwise.
    pub since: Option<NaiveDate>,
}

/// One flag: a household and a reason, with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub household_id: String,
    pub programme: Programme,
    pub region_code: Option<String>,
    pub reason: Reason,
    pub severity: Severity,
    pub member_ids: Vec<String>,
    pub evidence: String,
    pub record_ids: Vec<String>,
    pub score: f64,
    /// What the flag has cost since the fact began (`overpayment`), for dated reasons.
    pub overpayment: Option<Overpayment>,
}

impl Flag {
    /// The estimated overpayment in yuan, when the flag's fact is dated and the roll gives
    /// the household a benefit.
    pub fn overpaid_yuan(&self) -> Option<f64> {
        self.overpayment.and_then(|o| o.overpaid_yuan)
    }
}

/// What a count test looks at: the pipeline, the as-of date, and the household of the member
/// a record is matched to.
pub struct At<'a> {
    pub pipeline: &'a Pipeline,
    pub as_of: NaiveDate,
    pub household: &'a Household,
}

/// Whether one record, matched to a member of `At::household`, counts for a rule at D.
pub type Counts = fn(&At, &RegistryRecord) -> bool;

/// The registry a built-in rule reads, and its test of whether one matched record counts:
/// the rule's evaluation and the review's leads (`possible` pairs) both ask it.
#[derive(Clone, Copy)]
pub struct Reads {
    pub source: Source,
    pub counts: Counts,
}

/// A built-in rule, as its file declares it: the reason it flags, the registry it reads
/// (none for a rule of the roll and the links alone), and its evaluation.
#[derive(Clone, Copy)]
pub struct BuiltIn {
    pub reason: Reason,
    pub reads: Option<Reads>,
    pub evaluate: fn(&Context) -> Vec<Finding>,
    /// A reason that, raised on a household, stands for this one there (the same facts
    /// would flag twice).
    pub unless: Option<Reason>,
}

impl Reads {
    pub const fn new(source: Source, counts: Counts) -> Reads {
        Reads { source, counts }
    }
}

impl BuiltIn {
    /// A rule that reads no registry (until `reading`).
    pub const fn new(reason: Reason, evaluate: fn(&Context) -> Vec<Finding>) -> BuiltIn {
        BuiltIn {
            reason,
            reads: None,
            evaluate,
            unless: None,
        }
    }

    /// The rule, not raised on a household that `other` flags.
    #[must_use]
    pub const fn unless(self, other: Reason) -> BuiltIn {
        BuiltIn {
            unless: Some(other),
            ..self
        }
    }

    /// The rule, reading a registry with its count test.
    #[must_use]
    pub const fn reading(self, reads: Reads) -> BuiltIn {
        BuiltIn {
            reads: Some(reads),
            ..self
        }
    }
}

/// The rule table: one line per built-in rule, each reason once. More than one rule may read
/// one registry.
const RULES: &[BuiltIn] = &[
    deceased_member::RULE,
    duplicate_enrollment::RULE,
    pension_income::RULE,
    vehicle_owned::RULE,
    property_excess::RULE,
    business_active::RULE,
    cadre_relative::RULE,
    identity_conflict::RULE,
    invalid_id::RULE,
    income_over_standard::RULE,
    supporter_capacity::RULE,
];

/// Every built-in rule that reads `source`, in table order, with its count test.
pub fn reading(source: Source) -> impl Iterator<Item = (Reason, Counts)> {
    readers(RULES, source)
}

fn readers(table: &[BuiltIn], source: Source) -> impl Iterator<Item = (Reason, Counts)> + '_ {
    table.iter().filter_map(move |rule| {
        let reads = rule.reads.filter(|reads| reads.source == source)?;
        Some((rule.reason, reads.counts))
    })
}

/// The enabled built-in rules that read `source` and count `record`, matched to a member of
/// `at.household`, in table order: the reasons a `possible` pair is a lead for.
pub fn would_raise<'a>(
    at: At<'a>,
    source: Source,
    record: &'a RegistryRecord,
) -> impl Iterator<Item = Reason> + 'a {
    raised_by(RULES, at, source, record)
}

fn raised_by<'a>(
    table: &'a [BuiltIn],
    at: At<'a>,
    source: Source,
    record: &'a RegistryRecord,
) -> impl Iterator<Item = Reason> + 'a {
    readers(table, source)
        .filter(move |(reason, counts)| {
            at.pipeline.rules.spec(*reason).enabled && counts(&at, record)
        })
        .map(|(reason, _)| reason)
}

/// Runs every enabled rule, built-in and declared in SQL, and returns flags sorted by
/// household, then reason. A SQL rule that fails on the run's data is an error naming it.
pub fn evaluate(context: &Context) -> Result<Vec<Flag>, sql::RuleError> {
    let mut flags = Vec::new();
    for rule in RULES {
        let spec = context.pipeline.rules.spec(rule.reason);
        if spec.enabled {
            flags.extend(aggregate(
                context,
                rule.reason,
                spec.severity,
                (rule.evaluate)(context),
            ));
        }
    }
    drop_stood_for(&mut flags, RULES);
    let declared = &context.pipeline.rules.sql;
    if declared
        .iter()
        .any(|r| context.pipeline.rules.spec(r.reason).enabled)
    {
        let data = sql::Data::Run(context);
        let mut tables = sql::Tables::new(&data);
        let rules = sql::SqlRules::new(context);
        for rule in declared {
            let spec = context.pipeline.rules.spec(rule.reason);
            if spec.enabled {
                let findings = rules.findings(&mut tables, rule)?;
                flags.extend(aggregate(context, rule.reason, spec.severity, findings));
            }
        }
    }
    flags.sort_by(|a, b| (&a.household_id, a.reason).cmp(&(&b.household_id, b.reason)));
    Ok(flags)
}

/// Drops the flags of a rule whose `unless` reason flags the same household.
fn drop_stood_for(flags: &mut Vec<Flag>, table: &[BuiltIn]) {
    let raised: std::collections::HashSet<(String, Reason)> = flags
        .iter()
        .map(|f| (f.household_id.clone(), f.reason))
        .collect();
    flags.retain(|flag| {
        !table.iter().any(|rule| {
            rule.reason == flag.reason
                && rule
                    .unless
                    .is_some_and(|other| raised.contains(&(flag.household_id.clone(), other)))
        })
    });
}

/// Merges a rule's findings into one flag per household.
fn aggregate(
    context: &Context,
    reason: Reason,
    severity: Severity,
    findings: Vec<Finding>,
) -> Vec<Flag> {
    let mut by_household: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    for finding in findings {
        by_household
            .entry(finding.household_id.clone())
            .or_default()
            .push(finding);
    }
    by_household
        .into_iter()
        .map(|(household_id, findings)| {
            let household = context.households.get(&household_id);
            let mut evidence: Vec<String> = Vec::new();
            for finding in &findings {
                if !evidence.contains(&finding.evidence) {
                    evidence.push(finding.evidence.clone());
                }
            }
            let lookback = context.pipeline.outcomes.lookback_months;
            let overpayment =
                overpayment::estimate(reason, household, &findings, context.as_of, lookback);
            if let Some(estimate) = &overpayment {
                evidence.push(overpayment::evidence_zh(reason, household, estimate));
            }
            Flag {
                programme: household.programme,
                region_code: household.region_code.clone(),
                reason,
                severity,
                member_ids: sorted_unique(
                    findings.iter().flat_map(|f| f.member_ids.iter().cloned()),
                ),
                record_ids: sorted_unique(
                    findings.iter().flat_map(|f| f.record_ids.iter().cloned()),
                ),
                evidence: evidence.join("；"),
                score: findings.iter().map(|f| f.score).fold(1.0, f64::min),
                overpayment,
                household_id,
            }
        })
        .collect()
}

fn sorted_unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.collect();
    items.sort_unstable();
    items.dedup();
    items
}

/// Formats yuan with two decimals, as on a benefit notice.
pub fn yuan(amount: f64) -> String {
    format!("{amount:.2}元")
}

/// Formats an optional yuan standard without decimals when whole.
pub fn yuan_standard(amount: f64) -> String {
    if amount.fract() == 0.0 {
        format!("{amount:.0}元")
    } else {
        yuan(amount)
    }
}

/// A finding about one member resting on one accepted match. The evidence ends with why the
/// record is this member when the link is anything but an ID and name agreeing as written.
pub fn match_finding(
    member: &RollMember,
    m: &Match,
    record: &RegistryRecord,
    evidence: String,
) -> Finding {
    let evidence = match match_basis_zh(Whom::Member(&member.name), m, record) {
        Some(basis) => format!("{evidence}（{basis}）"),
        None => evidence,
    };
    Finding {
        household_id: member.household_id.clone(),
        member_ids: vec![member.member_id.clone()],
        record_ids: vec![record.record_id.clone()],
        evidence,
        score: m.score,
        since: None,
    }
}

/// A small positive figure to two significant digits, written out (`0.00041`), for
/// evidence a person reads.
pub fn about(value: f64) -> String {
    if !(value.is_finite() && value > 0.0) {
        return "0".into();
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let decimals = (1.0 - value.log10().floor()).clamp(0.0, 12.0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Who a record was matched to, by the name their own list gives them.
#[derive(Debug, Clone, Copy)]
pub enum Whom<'a> {
    /// A roll member (花名册).
    Member(&'a str),
    /// A supporter, as the relations registry (家庭关系) names them.
    Supporter(&'a str),
}

impl Whom<'_> {
    /// (how their list writes them, what they are) for evidence.
    fn words(self) -> (String, String) {
        match self {
            Whom::Member(name) => (
                format!("花名册登记为“{name}”"),
                format!("花名册成员“{name}”"),
            ),
            Whom::Supporter(name) => (format!("家庭关系登记为“{name}”"), format!("赡养人“{name}”")),
        }
    }
}

/// Why a record is this person, when anything but an ID and name agreeing as written says
/// so; `None` otherwise.
pub fn match_basis_zh(whom: Whom, m: &Match, record: &RegistryRecord) -> Option<String> {
    let (written, who) = whom.words();
    let name = match m.levels.name {
        NameLevel::Identical => "姓名相同",
        NameLevel::Normalized => "姓名仅繁简或空格写法不同",
        NameLevel::SameReading => "姓名读音相同",
        NameLevel::OneCharDiff => "姓名仅一字之差",
        NameLevel::Different => "姓名不同",
    };
    if m.method == Method::ConfirmedId {
        return Some(format!("经登记机关协查，该记录身份证号与{who}一致，{name}"));
    }
    if !matches!(m.method, Method::Probabilistic | Method::MaskedId) {
        return (m.levels.name != NameLevel::Identical)
            .then(|| format!("{written}，身份证号相同，{name}"));
    }
    let id = match m.levels.id {
        IdLevel::Identical | IdLevel::Normalized => "身份证号相同".into(),
        IdLevel::OneDigit => "身份证号差一位".into(),
        IdLevel::Transposition => "身份证号两位颠倒".into(),
        IdLevel::MaskedAgree | IdLevel::MaskedAgreePartial => {
            let id = normalize_id(record.person.id_number.as_deref());
            let visible = id.masked().map_or_else(|| "各位".into(), masked_visible_zh);
            // Few characters shown weigh as no ID: the figure is the name's and birth date's.
            let alike = if id.masked().is_some_and(masked_shows_little) {
                "同名同出生日期者"
            } else {
                "同名且可见位相同者"
            };
            let namesakes = m
                .expected_namesakes
                .map_or_else(String::new, |n| format!("；{alike}预计{}人", about(n)));
            format!("身份证号部分隐藏，可见的{visible}一致{namesakes}")
        }
        IdLevel::Different | IdLevel::MaskedDisagree => "身份证号不同".into(),
        IdLevel::Missing => match m.expected_namesakes {
            Some(expected) => format!("无身份证号；同名同出生日期者预计{}人", about(expected)),
            None => "登记无可用身份证号".into(),
        },
    };
    let birth = match m.levels.birth_date {
        BirthLevel::Equal => "出生日期一致",
        BirthLevel::OneFieldOff => "出生日期差一项",
        BirthLevel::DayMonthSwapped => "出生日期月日颠倒",
        BirthLevel::Different => "出生日期不同",
        BirthLevel::Missing => "无出生日期",
    };
    // Where the record places its person (ID, property unit, USCC, plate, address) against
    // the roll. A village or township comes only from the addresses: the record's codes
    // name a county at most.
    let region = match m.levels.region {
        RegionLevel::Village => "，登记地址与花名册同村",
        RegionLevel::Township => "，登记地址与花名册同乡镇",
        RegionLevel::Other => "，登记所在地与花名册不在同一县",
        RegionLevel::County | RegionLevel::Missing => "",
    };
    // Rounded down: a probabilistic match is never shown as certain (0.9998 reads 0.999).
    Some(format!(
        "按概率比对认定为{who}：{id}，{name}，{birth}{region}，匹配概率{:.3}",
        (m.score * 1000.0).floor() / 1000.0
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        crate::ingest::parse_date(text).unwrap()
    }

    fn household() -> Household {
        Household {
            household_id: "H1".into(),
            programme: Programme::DibaoRural,
            region_code: None,
            member_idxs: vec![0],
            n_members: 1,
            monthly_benefit: None,
            enrolled_on: None,
            category: None,
        }
    }

    fn death_on(death_date: &str) -> RegistryRecord {
        RegistryRecord {
            row: 1,
            record_id: "D1".into(),
            person: crate::ingest::PersonFields {
                name: "张三".into(),
                id_number: None,
                birth_date: None,
                address: None,
            },
            details: crate::ingest::RecordDetails::Death {
                death_date: date(death_date),
                source: None,
            },
        }
    }

    #[test]
    fn every_built_in_reason_has_one_rule() {
        let mut reasons: Vec<Reason> = RULES.iter().map(|rule| rule.reason).collect();
        reasons.sort_unstable();
        assert_eq!(reasons, Reason::ALL);
    }

    #[test]
    fn each_registry_is_read_by_its_rule() {
        let readers = |source| {
            reading(source)
                .map(|(reason, _)| reason)
                .collect::<Vec<_>>()
        };
        assert_eq!(readers(Source::Death), [Reason::DeceasedMember]);
        assert_eq!(readers(Source::Pension), [Reason::PensionIncome]);
        assert_eq!(readers(Source::Vehicle), [Reason::VehicleOwned]);
        assert_eq!(readers(Source::Property), [Reason::PropertyExcess]);
        assert_eq!(readers(Source::Business), [Reason::BusinessActive]);
        assert_eq!(readers(Source::CadreRelatives), [Reason::CadreRelative]);
        assert!(readers(Source::Roll).is_empty());
        assert!(readers(Source::local("social_insurance", None)).is_empty());
    }

    #[test]
    fn every_enabled_rule_reading_a_registry_raises_its_reason() {
        let pipeline = Pipeline::parse(
            "[sources.roll]\n[rules.cadre_relative]\nenabled = false\n",
            std::path::Path::new("pipelines/test.toml"),
        )
        .unwrap();
        // Two more rules read the death register with the death rule's own test; one of
        // them is switched off. A rule of the roll alone reads none.
        let deceased = deceased_member::RULE;
        let table = [
            deceased,
            invalid_id::RULE,
            BuiltIn {
                reason: Reason::PensionIncome,
                ..deceased
            },
            BuiltIn {
                reason: Reason::CadreRelative,
                ..deceased
            },
        ];
        let household = household();
        let at = |as_of: &str| At {
            pipeline: &pipeline,
            as_of: date(as_of),
            household: &household,
        };
        let death = death_on("2025-06-30");
        let raised = |as_of: &str, source: Source| -> Vec<Reason> {
            raised_by(&table, at(as_of), source, &death).collect()
        };
        assert_eq!(
            raised("2025-06-30", Source::Death),
            [Reason::DeceasedMember, Reason::PensionIncome]
        );
        assert!(raised("2025-06-29", Source::Death).is_empty());
        assert!(raised("2025-06-30", Source::Pension).is_empty());
    }

    #[test]
    fn figures_read_to_two_significant_digits() {
        assert_eq!(about(0.000_304), "0.0003");
        assert_eq!(about(0.000_416), "0.00042");
        assert_eq!(about(2.5), "2.5");
        assert_eq!(about(1234.0), "1234");
        assert_eq!(about(0.0), "0");
    }

    #[test]
    fn age_counts_whole_years_at_the_as_of_date() {
        assert_eq!(whole_years(date("2007-06-30"), date("2025-06-30")), 18);
        assert_eq!(whole_years(date("2007-07-01"), date("2025-06-30")), 17);
        assert_eq!(whole_years(date("2008-02-29"), date("2026-02-28")), 17);
    }

    #[test]
    fn active_at_is_inclusive_of_start_exclusive_of_end() {
        let d = date("2025-06-30");
        assert!(active_at(date("2025-06-30"), None, d));
        assert!(!active_at(date("2025-07-01"), None, d));
        assert!(!active_at(date("2020-01-01"), Some(date("2025-06-30")), d));
        assert!(active_at(date("2020-01-01"), Some(date("2025-07-01")), d));
    }
}
