//! The nine flag rules of the contract, one file each, and their aggregation into one flag
//! per (household, reason) with evidence a person can check.
//! Front door: `rules::evaluate`.
//! **Invariant:** a flag is a referral for review; every flag names its records and values.

mod business_active;
mod cadre_relative;
mod deceased_member;
mod duplicate_enrollment;
mod identity_conflict;
mod invalid_id;
mod pension_income;
mod property_excess;
pub mod sql;
mod vehicle_owned;

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::config::Pipeline;
use crate::ingest::{Ingested, RegistryRecord, RollMember};
use crate::link::{BirthLevel, IdLevel, Links, Match, Method, RegionLevel};
use crate::model::{Programme, Reason, Severity, Source};
use crate::normalize::id::masked_visible_zh;
use crate::normalize::{mask_id, normalize_id, NameLevel, Normalized};

/// Everything a rule may look at.
pub struct Context<'a> {
    pub pipeline: &'a Pipeline,
    pub as_of: NaiveDate,
    pub ingested: &'a Ingested,
    pub normalized: &'a Normalized,
    pub links: &'a Links,
    pub households: &'a Households,
}

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

    /// The member's ID masked for evidence (region code + last 4).
    pub fn masked_id(&self, member_idx: usize) -> String {
        mask_id(&self.normalized.members[member_idx].id.cleaned)
    }
}

/// "Active at D": started on or before D and not ended by D (an end on D is not active).
pub fn active_at(start: NaiveDate, end: Option<NaiveDate>, as_of: NaiveDate) -> bool {
    start <= as_of && end.is_none_or(|end| end > as_of)
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
                });
            household.member_idxs.push(member_idx);
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

/// What one rule found about one household.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub household_id: String,
    pub member_ids: Vec<String>,
    pub record_ids: Vec<String>,
    pub evidence: String,
    /// Confidence in the finding: the weakest match score it rests on.
    pub score: f64,
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
}

type Rule = fn(&Context) -> Vec<Finding>;

/// The rule table: one line per reason.
const RULES: [(Reason, Rule); 9] = [
    (Reason::DeceasedMember, deceased_member::deceased_member),
    (
        Reason::DuplicateEnrollment,
        duplicate_enrollment::duplicate_enrollment,
    ),
    (Reason::PensionIncome, pension_income::pension_income),
    (Reason::VehicleOwned, vehicle_owned::vehicle_owned),
    (Reason::PropertyExcess, property_excess::property_excess),
    (Reason::BusinessActive, business_active::business_active),
    (Reason::CadreRelative, cadre_relative::cadre_relative),
    (
        Reason::IdentityConflict,
        identity_conflict::identity_conflict,
    ),
    (Reason::InvalidId, invalid_id::invalid_id),
];

/// Runs every enabled rule, built-in and declared in SQL, and returns flags sorted by
/// household, then reason. A SQL rule that fails on the run's data is an error naming it.
pub fn evaluate(context: &Context) -> Result<Vec<Flag>, sql::RuleError> {
    let mut flags = Vec::new();
    for (reason, rule) in RULES {
        let spec = context.pipeline.rules.spec(reason);
        if spec.enabled {
            flags.extend(aggregate(context, reason, spec.severity, rule(context)));
        }
    }
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
    let evidence = match match_basis_zh(member, m, record) {
        Some(basis) => format!("{evidence}（{basis}）"),
        None => evidence,
    };
    Finding {
        household_id: member.household_id.clone(),
        member_ids: vec![member.member_id.clone()],
        record_ids: vec![record.record_id.clone()],
        evidence,
        score: m.score,
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

/// Why a record is this member, when anything but an ID and name agreeing as written says
/// so; `None` otherwise.
pub fn match_basis_zh(member: &RollMember, m: &Match, record: &RegistryRecord) -> Option<String> {
    let name = match m.levels.name {
        NameLevel::Identical => "姓名相同",
        NameLevel::Normalized => "姓名仅繁简或空格写法不同",
        NameLevel::SameReading => "姓名读音相同",
        NameLevel::OneCharDiff => "姓名仅一字之差",
        NameLevel::Different => "姓名不同",
    };
    if !matches!(m.method, Method::Probabilistic | Method::MaskedId) {
        return (m.levels.name != NameLevel::Identical)
            .then(|| format!("花名册登记为“{}”，身份证号相同，{name}", member.name));
    }
    let id = match m.levels.id {
        IdLevel::Identical | IdLevel::Normalized => "身份证号相同".into(),
        IdLevel::OneDigit => "身份证号差一位".into(),
        IdLevel::Transposition => "身份证号两位颠倒".into(),
        IdLevel::MaskedAgree | IdLevel::MaskedAgreePartial => {
            let id = normalize_id(record.person.id_number.as_deref());
            let visible = id.masked().map_or_else(|| "各位".into(), masked_visible_zh);
            let namesakes = m.expected_namesakes.map_or_else(String::new, |n| {
                format!("；同名且可见位相同者预计{}人", about(n))
            });
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
    Some(format!(
        "按概率比对认定为花名册成员“{}”：{id}，{name}，{birth}{region}，匹配概率{:.3}",
        member.name, m.score
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        crate::ingest::parse_date(text).unwrap()
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
    fn active_at_is_inclusive_of_start_exclusive_of_end() {
        let d = date("2025-06-30");
        assert!(active_at(date("2025-06-30"), None, d));
        assert!(!active_at(date("2025-07-01"), None, d));
        assert!(!active_at(date("2020-01-01"), Some(date("2025-06-30")), d));
        assert!(active_at(date("2020-01-01"), Some(date("2025-07-01")), d));
    }
}
