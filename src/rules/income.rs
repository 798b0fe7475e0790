//! Household income at D and the entitlement it implies (contract v3, "Supporters"):
//! members' incomes plus the support their supporters owe, per capita against the
//! household's standard; `income.parquet` and `supporters.parquet` are these rows.
//! Support owed by one supporter: their per-capita income over the supported household's
//! standard, times `share_few` (at most `few_max` children support the member) or
//! `share_many`, split equally among the roll members they support. Never negative.

use std::collections::{BTreeMap, BTreeSet};

use super::supporters::{self, ByPerson, PersonIncome, Support};
use super::{Context, Household};
use crate::config::IncomeSpec;
use crate::model::{Kinship, Programme};

/// A household's standard at D: the regional entry in force, else the programme's default.
#[derive(Debug, Clone, PartialEq)]
pub struct Standard {
    pub yuan: f64,
    /// The regional entry's region and date; `None` for the programme's default.
    pub region: Option<String>,
    pub from: Option<chrono::NaiveDate>,
}

impl Standard {
    /// `household`'s standard at D; `None` for a programme without one (`linshi`).
    pub fn of(context: &Context, household: &Household) -> Option<Standard> {
        let default = context
            .pipeline
            .programme(household.programme)
            .per_capita_standard_yuan?;
        let regional = context.ingested.standards.at(
            household.programme,
            household.region_code.as_deref(),
            context.as_of,
        );
        Some(match regional {
            Some(r) => Standard {
                yuan: r.per_capita_standard_yuan,
                region: Some(r.region.clone()),
                from: Some(r.from),
            },
            None => Standard {
                yuan: default,
                region: None,
                from: None,
            },
        })
    }

    /// Names the standard for evidence: `411526自2025-01-01起农村低保标准640元`.
    pub fn describe(&self, programme: Programme) -> String {
        let which = match (&self.region, self.from) {
            (Some(region), Some(from)) => format!("{region}自{}起", from.format("%Y-%m-%d")),
            _ => String::new(),
        };
        format!(
            "{which}{}标准{}",
            programme.label_zh(),
            super::yuan_standard(self.yuan)
        )
    }
}

/// One supporter of one member, with what they earn and owe.
#[derive(Debug, Clone)]
pub struct SupporterRow {
    pub support: Support,
    /// The supported member's `member_id`.
    pub member_id: String,
    /// The member's id when the supporter is on the roll too, else their key among others.
    pub supporter_id: String,
    pub name: String,
    /// Region code + last 4, as workbooks show members.
    pub masked_id: String,
    /// What they own that would flag a household by itself (`supporter_capacity`).
    pub assets: Vec<supporters::Asset>,
    pub income: PersonIncome,
    pub per_capita_yuan: f64,
    pub owed_yuan: f64,
}

/// What is proposed for a household (`action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Stop,
    Reduce,
    Increase,
    Keep,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Stop => "stop",
            Action::Reduce => "reduce",
            Action::Increase => "increase",
            Action::Keep => "keep",
        }
    }
}

/// Where per-capita income puts a household (`tier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Dibao,
    /// 低保边缘: over the standard, within `edge_factor` of it.
    Edge,
    None,
}

impl Tier {
    pub fn code(self) -> &'static str {
        match self {
            Tier::Dibao => "dibao",
            Tier::Edge => "edge",
            Tier::None => "none",
        }
    }
}

/// One row of `income.parquet`.
#[derive(Debug, Clone)]
pub struct HouseholdIncome {
    pub household_id: String,
    pub programme: Programme,
    pub region_code: Option<String>,
    pub n_members: usize,
    pub pension_yuan: f64,
    pub wage_yuan: f64,
    pub support_yuan: f64,
    pub income_yuan: f64,
    pub per_capita_yuan: f64,
    /// `None` where the programme has no standard (`linshi`): nothing below is proposed.
    pub standard: Option<Standard>,
    pub entitlement_yuan: Option<f64>,
    pub paid_yuan: f64,
    pub action: Option<Action>,
    pub tier: Option<Tier>,
    /// The members whose income counted or who are owed support, and the records behind
    /// the figures (with `details` and `dated`: only where `income_over_standard` may flag).
    pub member_ids: Vec<String>,
    /// Each part in words for evidence: a member's records, a supporter's share.
    pub details: Vec<String>,
    /// The members' counted amounts with the day each started; support owed is undated.
    pub dated: Vec<(chrono::NaiveDate, f64)>,
    pub record_ids: Vec<String>,
    pub score: f64,
}

/// Households' incomes and the supporters behind them, computed once per run.
#[derive(Debug, Clone, Default)]
pub struct Incomes {
    /// Every roll household, in id order.
    pub households: Vec<HouseholdIncome>,
    /// In (household, member, supporter) order.
    pub supporters: Vec<SupporterRow>,
}

impl Incomes {
    pub fn compute(context: &Context, by_person: &ByPerson) -> Incomes {
        Self::compute_for(context, by_person, &|_| true)
    }

    /// `compute` for the households `keep` picks. A supporter's share depends on every
    /// member they support, so `keep` must pick all the households of each supporter of a
    /// household it picks (`doubts` does).
    pub fn compute_for(
        context: &Context,
        by_person: &ByPerson,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Incomes {
        let supporters = owed(
            context,
            by_person,
            &supporters::supports(context, by_person, keep),
        );
        // Supporters by the household they support (they come in household order).
        let mut of_household: BTreeMap<&str, Vec<&SupporterRow>> = BTreeMap::new();
        for s in &supporters {
            of_household
                .entry(s.support.household_id.as_str())
                .or_default()
                .push(s);
        }
        let kept = || {
            context
                .households
                .by_id
                .values()
                .filter(|household| keep(&household.household_id))
        };
        // Sized once: a vector grown by doubling held up to twice a province's households.
        let mut households = Vec::with_capacity(kept().count());
        households.extend(kept().map(|household| {
            let owing = of_household
                .get(household.household_id.as_str())
                .map_or(&[][..], Vec::as_slice);
            household_income(context, by_person, household, owing)
        }));
        Incomes {
            households,
            supporters,
        }
    }
}

/// Rounds to 0.01 yuan, as every amount is reported.
pub fn cents(yuan: f64) -> f64 {
    (yuan * 100.0).round() / 100.0
}

/// What each supporter earns and owes each member they support.
fn owed(context: &Context, by_person: &ByPerson, supports: &[Support]) -> Vec<SupporterRow> {
    let spec = &context.pipeline.supporters;
    // Children supporting each member, and members each supporter supports.
    let mut children: BTreeMap<usize, usize> = BTreeMap::new();
    let mut supported: BTreeMap<usize, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for s in supports {
        if s.kinship == Kinship::Child {
            *children.entry(s.member_idx).or_default() += 1;
        }
        let member = context.member(s.member_idx);
        supported
            .entry(s.person_idx)
            .or_default()
            .insert((&member.household_id, &member.member_id));
    }
    supports
        .iter()
        .map(|s| {
            let household = context.households.get(&s.household_id);
            let income = supporters::income_of(context, by_person, &[s.person_idx], household);
            let per_capita = income.total() / f64::from(s.household_size);
            let owed = Standard::of(context, household).map_or(0.0, |standard| {
                let few =
                    children.get(&s.member_idx).copied().unwrap_or(0) <= spec.few_max as usize;
                let share = if few { spec.share_few } else { spec.share_many };
                #[allow(clippy::cast_precision_loss)]
                let split = supported[&s.person_idx].len() as f64;
                ((per_capita - standard.yuan).max(0.0) * share / split).max(0.0)
            });
            let members = context.normalized.members;
            let supporter_id = if s.person_idx < members {
                context.member(s.person_idx).member_id.clone()
            } else {
                context.ingested.others[s.person_idx - members].key.clone()
            };
            SupporterRow {
                member_id: context.member(s.member_idx).member_id.clone(),
                supporter_id,
                name: supporters::supporter_name(context, s.person_idx).to_string(),
                masked_id: crate::normalize::mask_id(
                    &context.normalized.persons[s.person_idx].id.cleaned,
                ),
                assets: supporters::assets(context, by_person, s),
                support: s.clone(),
                income,
                per_capita_yuan: per_capita,
                owed_yuan: owed,
            }
        })
        .collect()
}

fn household_income(
    context: &Context,
    by_person: &ByPerson,
    household: &Household,
    supporters: &[&SupporterRow],
) -> HouseholdIncome {
    // A member listed on two rows (linshi beside dibao) is one person: their rows pooled.
    let mut rows_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &idx in &household.member_idxs {
        rows_of
            .entry(&context.member(idx).member_id)
            .or_default()
            .push(idx);
    }
    let (mut pension, mut wage) = (0.0, 0.0);
    let (mut member_ids, mut record_ids, mut details) = (Vec::new(), Vec::new(), Vec::new());
    let mut dated = Vec::new();
    let mut score: f64 = 1.0;
    for (member_id, rows) in &rows_of {
        let income = supporters::income_of(context, by_person, rows, household);
        if income.total() > 0.0 {
            member_ids.push((*member_id).to_string());
            details.push(format!(
                "{}：{}",
                context.member(rows[0]).name,
                income.parts.join("，")
            ));
        }
        pension += income.pension_yuan;
        wage += income.wage_yuan;
        dated.extend(income.dated.iter().copied());
        record_ids.extend(income.record_ids);
        score = score.min(income.score);
    }
    let mut support = 0.0;
    for s in supporters.iter().filter(|s| s.owed_yuan > 0.0) {
        support += s.owed_yuan;
        member_ids.push(s.member_id.clone());
        details.push(support_words(context, s));
        record_ids.push(s.support.record_id.clone());
        record_ids.extend(s.income.record_ids.iter().cloned());
        score = score.min(s.support.score).min(s.income.score);
    }
    member_ids.sort_unstable();
    member_ids.dedup();
    let income = pension + wage + support;
    #[allow(clippy::cast_precision_loss)]
    let per_capita = income / household.n_members as f64;
    // What is paid: every roll row's benefit, a linshi row beside a dibao one included (as
    // households.parquet sums it).
    let paid: f64 = household
        .member_idxs
        .iter()
        .filter_map(|&idx| context.member(idx).monthly_benefit)
        .sum();
    let standard = Standard::of(context, household);
    // The words and records behind the figures serve `income_over_standard`'s evidence:
    // kept only where it may flag (a province has half a million households).
    let may_flag = matches!(
        household.programme,
        crate::model::Programme::DibaoUrban | crate::model::Programme::DibaoRural
    ) && standard
        .as_ref()
        .is_some_and(|s| cents(per_capita) > s.yuan);
    if !may_flag {
        member_ids = Vec::new();
        details = Vec::new();
        dated = Vec::new();
        record_ids = Vec::new();
    }
    let proposal = standard.as_ref().map(|s| {
        propose(
            &context.pipeline.income,
            s.yuan,
            per_capita,
            household.n_members,
            paid,
        )
    });
    HouseholdIncome {
        household_id: household.household_id.clone(),
        programme: household.programme,
        region_code: household.region_code.clone(),
        n_members: household.n_members,
        pension_yuan: cents(pension),
        wage_yuan: cents(wage),
        support_yuan: cents(support),
        income_yuan: cents(income),
        per_capita_yuan: cents(per_capita),
        standard,
        entitlement_yuan: proposal.map(|p| p.0),
        paid_yuan: cents(paid),
        action: proposal.map(|p| p.1),
        tier: proposal.map(|p| p.2),
        member_ids,
        details,
        dated,
        record_ids,
        score,
    }
}

/// A supporter's share in words for evidence: who they are (relation, masked ID, record),
/// what they earn from which records, their household and what they owe.
fn support_words(context: &Context, s: &SupporterRow) -> String {
    format!(
        "{}的{}{}（{}，{}记录{}）月收入{}（{}），户内{}人，人均{}，应付赡养费{}",
        context.member(s.support.member_idx).name,
        s.support.kinship.label_zh(),
        s.name,
        s.masked_id,
        crate::model::Source::Relations.label_zh(),
        s.support.record_id,
        super::yuan_standard(cents(s.income.total())),
        if s.income.parts.is_empty() {
            "无".into()
        } else {
            s.income.parts.join("，")
        },
        s.support.household_size,
        super::yuan_standard(cents(s.per_capita_yuan)),
        super::yuan_standard(cents(s.owed_yuan)),
    )
}

/// Entitlement (rounded), action and tier for a household of `n` at `per_capita` against
/// `standard`, paid `paid`.
fn propose(
    spec: &IncomeSpec,
    standard: f64,
    per_capita: f64,
    n: usize,
    paid: f64,
) -> (f64, Action, Tier) {
    #[allow(clippy::cast_precision_loss)]
    let entitlement = cents((standard - per_capita).max(0.0) * n as f64);
    let paid = cents(paid);
    let action = if entitlement == 0.0 && paid > 0.0 {
        Action::Stop
    } else if paid - entitlement > spec.tolerance_yuan {
        Action::Reduce
    } else if entitlement - paid > spec.tolerance_yuan {
        Action::Increase
    } else {
        Action::Keep
    };
    let tier = if per_capita <= standard {
        Tier::Dibao
    } else if per_capita <= standard * spec.edge_factor {
        Tier::Edge
    } else {
        Tier::None
    };
    (entitlement, action, tier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposals_follow_the_contract_table() {
        let spec = IncomeSpec::default();
        // (standard, per-capita, members, paid) → (entitlement, action, tier)
        let cases = [
            ((600.0, 700.0, 2, 400.0), (0.0, Action::Stop, Tier::Edge)),
            ((600.0, 600.0, 2, 0.0), (0.0, Action::Keep, Tier::Dibao)),
            (
                (600.0, 500.0, 2, 100.0),
                (200.0, Action::Increase, Tier::Dibao),
            ),
            (
                (600.0, 500.0, 2, 260.0),
                (200.0, Action::Reduce, Tier::Dibao),
            ),
            ((600.0, 500.0, 2, 250.0), (200.0, Action::Keep, Tier::Dibao)),
            ((600.0, 900.0, 1, 0.0), (0.0, Action::Keep, Tier::Edge)),
            ((600.0, 900.01, 1, 0.0), (0.0, Action::Keep, Tier::None)),
            (
                (600.0, 1.0 / 3.0, 3, 0.0),
                (1799.0, Action::Increase, Tier::Dibao),
            ),
        ];
        for ((standard, per_capita, n, paid), expected) in cases {
            assert_eq!(
                propose(&spec, standard, per_capita, n, paid),
                expected,
                "standard {standard}, per-capita {per_capita}, {n} members, paid {paid}"
            );
        }
    }
}
