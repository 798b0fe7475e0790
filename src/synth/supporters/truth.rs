//! The supporters' truth, computed from what synth built (true identities, not the files):
//! each person's income at D, who supports whom, the support owed, each household's income,
//! entitlement, proposed action and tier (`truth_income.csv`), and the households that
//! `income_over_standard` and `supporter_capacity` should flag. It follows the contract's
//! "Supporters" section with the county-nightly defaults; where the contract is silent:
//! `linshi` has no standard, so its households owe and are owed nothing and have no
//! entitlement, action or tier; a household's programme is its first roll row's; `paid`
//! sums every roll row's monthly benefit.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Months, NaiveDate};

use super::world::{Facts, World};
use crate::model::{Kinship, Programme, Reason};
use crate::synth::plant::standard;

/// Household size of a supporter whose relations rows leave it blank
/// (`[supporters] default_household_size`).
const DEFAULT_HOUSEHOLD_SIZE: u32 = 3;
/// Share of the excess owed when the member has at most `FEW_MAX` children as supporters.
const SHARE_FEW: f64 = 0.5;
const SHARE_MANY: f64 = 0.4;
const FEW_MAX: usize = 2;
/// `[income] tolerance_yuan` and `edge_factor`.
const TOLERANCE_YUAN: f64 = 50.0;
const EDGE_FACTOR: f64 = 1.5;
/// `business_active`: shareholders flag above this registered capital.
const SHAREHOLDER_CAPITAL: f64 = 100_000.0;

/// One household of `truth_income.csv`: the contract's `income.parquet` columns that synth
/// can state (no standard region or date: synth's counties use the default standards).
#[derive(Debug, Clone, PartialEq)]
pub struct IncomeTruth {
    pub household_id: String,
    pub programme: Programme,
    pub region_code: String,
    pub n_members: usize,
    pub pension_yuan: f64,
    pub wage_yuan: f64,
    pub support_yuan: f64,
    pub income_yuan: f64,
    pub per_capita_yuan: f64,
    /// `None` for `linshi`, and then entitlement, action and tier are too.
    pub standard_yuan: Option<f64>,
    pub entitlement_yuan: Option<f64>,
    pub paid_yuan: f64,
    pub action: Option<&'static str>,
    pub tier: Option<&'static str>,
    /// The corner case planted in this household, if any (for people reading the file).
    pub case: Option<&'static str>,
    /// Where `income_over_standard` should flag: when the members' dated income (counted
    /// pensions and each member's wage, by start) first lifted it over the standard with
    /// the support owed; `None` where support owed alone does (no record dates it).
    pub over_since: Option<NaiveDate>,
}

/// A (household, reason) the truth expects, with what raised it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Expected {
    pub household_id: String,
    pub reason: Reason,
    pub case: &'static str,
}

/// A supporter of one member: the relative's person key, relation and household size.
#[derive(Debug, Clone)]
struct Support<'w> {
    relative: &'w str,
    kinship: Kinship,
    household_size: u32,
}

impl Facts {
    /// Counted pensions active at D (enterprise and institution).
    pub(in crate::synth) fn pension_at(&self, at: NaiveDate) -> f64 {
        self.pensions
            .iter()
            .filter(|p| p.counted && p.span.active(at))
            .map(|p| p.amount)
            .sum()
    }

    /// The largest contribution base active at D (one job, not a sum).
    pub(in crate::synth) fn wage_at(&self, at: NaiveDate) -> f64 {
        self.contributions
            .iter()
            .filter(|c| c.span.active(at))
            .map(|c| c.base)
            .fold(0.0, f64::max)
    }

    /// The counted pensions and the wage at D, each with the day it started.
    fn dated_at(&self, at: NaiveDate) -> Vec<(NaiveDate, f64)> {
        let pensions = self
            .pensions
            .iter()
            .filter(|p| p.counted && p.span.active(at))
            .map(|p| (p.span.from, p.amount));
        let wage = self
            .contributions
            .iter()
            .filter(|c| c.span.active(at))
            .max_by(|a, b| a.base.total_cmp(&b.base))
            .map(|c| (c.span.from, c.base));
        pensions.chain(wage).collect()
    }

    fn dead_by(&self, at: NaiveDate) -> bool {
        self.death.is_some_and(|d| d <= at)
    }

    /// What alone meets the asset test of `vehicle_owned`, `business_active` or
    /// `property_excess` at D, if anything.
    pub(in crate::synth) fn capacity_at(&self, at: NaiveDate) -> Option<&'static str> {
        let vehicle = self.vehicles.iter().any(|v| !v.exempt && v.span.active(at));
        let business = self.businesses.iter().any(|b| {
            let role = matches!(b.role, "legal_rep" | "sole_proprietor")
                || (b.role == "shareholder" && b.capital > SHAREHOLDER_CAPITAL);
            role && b.status_active && b.span.active(at)
        });
        let active = || self.properties.iter().filter(|p| p.span.active(at));
        let homes: BTreeSet<&str> = active()
            .filter(|p| p.residential)
            .map(|p| p.unit.as_str())
            .collect();
        let property = homes.len() >= 2 || active().any(|p| !p.residential);
        if vehicle {
            Some("supporter owns a vehicle")
        } else if property {
            Some("supporter holds property")
        } else if business {
            Some("supporter runs a business")
        } else {
            None
        }
    }
}

/// Whether someone born on `birth` is under 18 at `at`.
fn minor_at(birth: NaiveDate, at: NaiveDate) -> bool {
    birth
        .checked_add_months(Months::new(12 * 18))
        .is_some_and(|adult| adult > at)
}

/// Each member's supporters at `at`, by (household, member), each person once: relatives
/// named as child or spouse (parent too for a minor), not members of the same household,
/// alive at `at`.
fn supporters_of(world: &World, at: NaiveDate) -> BTreeMap<(usize, usize), Vec<Support<'_>>> {
    let dead = |key: &str| world.facts.get(key).is_some_and(|f| f.dead_by(at));
    let mut supporters: BTreeMap<(usize, usize), Vec<Support>> = BTreeMap::new();
    for (h, household) in world.households.iter().enumerate() {
        let keys: BTreeSet<&str> = household
            .members
            .iter()
            .map(|m| m.person.as_str())
            .collect();
        for (m, member) in household.members.iter().enumerate() {
            for tie in world.ties.get(&member.person).into_iter().flatten() {
                let supports = matches!(tie.kinship, Kinship::Child | Kinship::Spouse)
                    || (tie.kinship == Kinship::Parent && minor_at(member.birth, at));
                if !supports || keys.contains(tie.relative.as_str()) || dead(&tie.relative) {
                    continue;
                }
                let list = supporters.entry((h, m)).or_default();
                if list.iter().all(|s| s.relative != tie.relative) {
                    list.push(Support {
                        relative: &tie.relative,
                        kinship: tie.kinship,
                        household_size: tie.household_size.unwrap_or(DEFAULT_HOUSEHOLD_SIZE),
                    });
                }
            }
        }
    }
    supporters
}

/// Income, support owed and the two reasons for every household of `world` at `at`.
pub(super) fn compute(world: &World, at: NaiveDate) -> (Vec<IncomeTruth>, Vec<Expected>) {
    let no_facts = Facts::default();
    let facts = |key: &str| world.facts.get(key).unwrap_or(&no_facts);
    let income = |key: &str| facts(key).pension_at(at) + facts(key).wage_at(at);
    let supporters = supporters_of(world, at);
    // How many roll members each supporter supports: what they owe is split among them.
    let mut supported: HashMap<&str, usize> = HashMap::new();
    for list in supporters.values() {
        for s in list {
            *supported.entry(s.relative).or_default() += 1;
        }
    }
    let owed = |h: usize, s: &Support, children: usize| {
        let Some(standard) = standard(world.households[h].programme) else {
            return 0.0;
        };
        let per_capita = income(s.relative) / f64::from(s.household_size);
        let share = if children <= FEW_MAX {
            SHARE_FEW
        } else {
            SHARE_MANY
        };
        #[allow(clippy::cast_precision_loss)]
        let split = supported[s.relative] as f64;
        ((per_capita - standard) * share / split).max(0.0)
    };
    let mut rows = Vec::new();
    let mut expected = Vec::new();
    for (h, household) in world.households.iter().enumerate() {
        let (mut pension, mut wage, mut support) = (0.0, 0.0, 0.0);
        let mut capacity = None;
        let mut dated = Vec::new();
        for (m, member) in household.members.iter().enumerate() {
            pension += facts(&member.person).pension_at(at);
            wage += facts(&member.person).wage_at(at);
            dated.extend(facts(&member.person).dated_at(at));
            let list = supporters.get(&(h, m)).map_or(&[][..], Vec::as_slice);
            let children = list.iter().filter(|s| s.kinship == Kinship::Child).count();
            for s in list {
                let amount = owed(h, s, children);
                support += amount;
                let shows = (amount > 0.0)
                    .then_some("supporter owes support")
                    .or_else(|| facts(s.relative).capacity_at(at));
                capacity = capacity.or(shows);
            }
        }
        let mut row = household_row(household, pension, wage, support);
        row.case = world.cases.get(&household.id).copied();
        let label = |general| world.cases.get(&household.id).copied().unwrap_or(general);
        let means_tested = row.standard_yuan;
        #[allow(clippy::cast_precision_loss)]
        let pension_income = means_tested.is_some_and(|s| pension / row.n_members as f64 > s);
        let dibao = matches!(
            household.programme,
            Programme::DibaoRural | Programme::DibaoUrban
        );
        if dibao && !pension_income && means_tested.is_some_and(|s| row.per_capita_yuan > s) {
            row.over_since = over_since(dated, support, row.n_members, row.standard_yuan);
            expected.push(Expected {
                household_id: household.id.clone(),
                reason: Reason::IncomeOverStandard,
                case: label("household income over the standard"),
            });
        }
        if let (Programme::Tekun, Some(case)) = (household.programme, capacity) {
            expected.push(Expected {
                household_id: household.id.clone(),
                reason: Reason::SupporterCapacity,
                case: label(case),
            });
        }
        rows.push(row);
    }
    (rows, expected)
}

/// A household's row from its income parts: per capita, entitlement, action and tier.
fn household_row(
    household: &super::world::RollHousehold,
    pension: f64,
    wage: f64,
    support: f64,
) -> IncomeTruth {
    let n_members = household.members.len();
    let income = pension + wage + support;
    #[allow(clippy::cast_precision_loss)]
    let per_capita = income / n_members.max(1) as f64;
    let standard = standard(household.programme);
    #[allow(clippy::cast_precision_loss)]
    let entitlement = standard.map(|s| (s - per_capita).max(0.0) * n_members as f64);
    let paid = household.paid;
    let action = entitlement.map(|e| {
        if e == 0.0 && paid > 0.0 {
            "stop"
        } else if paid - e > TOLERANCE_YUAN {
            "reduce"
        } else if e - paid > TOLERANCE_YUAN {
            "increase"
        } else {
            "keep"
        }
    });
    let tier = standard.map(|s| {
        if per_capita <= s {
            "dibao"
        } else if per_capita <= EDGE_FACTOR * s {
            "edge"
        } else {
            "none"
        }
    });
    IncomeTruth {
        household_id: household.id.clone(),
        programme: household.programme,
        region_code: household.region.clone(),
        n_members,
        pension_yuan: pension,
        wage_yuan: wage,
        support_yuan: support,
        income_yuan: income,
        per_capita_yuan: per_capita,
        standard_yuan: standard,
        entitlement_yuan: entitlement,
        paid_yuan: paid,
        action,
        tier,
        case: None,
        over_since: None,
    }
}

/// When dated income first lifted a household of `n_members` over `standard` with the
/// `support` owed (the contract's `since` for `income_over_standard`); `None` when support
/// alone does, or there is no standard.
fn over_since(
    dated: Vec<(NaiveDate, f64)>,
    support: f64,
    n_members: usize,
    standard: Option<f64>,
) -> Option<NaiveDate> {
    let standard = standard?;
    #[allow(clippy::cast_precision_loss)]
    let over = |amount: f64| (amount + support) / n_members.max(1) as f64 > standard;
    if over(0.0) {
        return None;
    }
    crate::synth::money::first_over(dated, over)
}
