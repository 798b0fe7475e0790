//! The money truth (issue 30), computed from what synth planted by the contract's "Money and
//! cadence" formulas, never by the rules' code:
//! - `truth_overpaid.csv`: for every true flag of the six reasons that cost money, the
//!   fact's start (`since`) and `overpaid_yuan` = whole calendar months from max(since, the
//!   household's earliest `enrolled_on`) to D, at most 36, × the household's monthly benefit
//!   (Σ of its roll rows), or a deceased member's share of it (÷ distinct members) for each
//!   deceased member from their own death. Blank where no record dates the fact (income over
//!   the standard only through support owed).
//! - `truth_recheck.csv`: the households due their periodic re-check on a first run (no
//!   findings: the last check is the earliest `enrolled_on`): due when last check + the
//!   class's interval ≤ D + 30 days.
//!
//! Both assume the shipped county-nightly defaults (`[outcomes] lookback_months = 36`,
//! `[recheck] months = { A = 12, B = 6, C = 3 }`, `default_category = "B"`,
//! `notice_days = 30`, one residential property allowed, shareholders over 100000); a
//! pipeline that changes them is not held to these files. No random draw: every other file
//! of a seed stays as it was.

mod facts;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Days, Months, NaiveDate};

use super::supporters::world::{Facts, World};
use super::{plant::standard, Generator, Household, IncomeTruth, TruthRow};
use crate::ingest::schema::col;
use crate::model::Reason;

/// `[outcomes] lookback_months`.
const LOOKBACK_MONTHS: u32 = 36;
/// `[recheck] notice_days`.
const NOTICE_DAYS: u64 = 30;
/// `[rules.property_excess] max_residential_properties`.
const MAX_RESIDENTIAL: usize = 1;
/// `business_active`: shareholders count above this registered capital.
const SHAREHOLDER_CAPITAL: f64 = 100_000.0;

/// The reasons whose flags carry an overpayment estimate.
pub const MONEY_REASONS: [Reason; 6] = [
    Reason::DeceasedMember,
    Reason::PensionIncome,
    Reason::IncomeOverStandard,
    Reason::VehicleOwned,
    Reason::PropertyExcess,
    Reason::BusinessActive,
];

/// One row of `truth_overpaid.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct OverpaidTruth {
    pub household_id: String,
    pub reason: Reason,
    pub since: Option<NaiveDate>,
    /// Yuan, rounded to 0.01.
    pub overpaid_yuan: Option<f64>,
}

/// One row of `truth_recheck.csv`: a household due its re-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecheckTruth {
    pub household_id: String,
    /// `A`, `B` or `C`.
    pub category: &'static str,
    pub last_checked: NaiveDate,
    pub due_on: NaiveDate,
}

/// Whole calendar months from `from` to `to`: a month is complete on the same day of a
/// later month, or on that month's last day when the month has no such day (a start on the
/// 31st completes on 30 April). Counted by stepping month by month, as a clerk would.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut months = 0;
    while let Some(next) = from.checked_add_months(Months::new(months + 1)) {
        // `checked_add_months` lands on the month's last day when it has no `from.day()`.
        if next > to {
            break;
        }
        months += 1;
    }
    months
}

/// When a sum of dated amounts first goes `over`: the earliest start of an amount that alone
/// does, else the start of the last one needed, taking them by start; `None` when the
/// amounts never do.
pub(super) fn first_over(
    mut dated: Vec<(NaiveDate, f64)>,
    over: impl Fn(f64) -> bool,
) -> Option<NaiveDate> {
    dated.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let alone = dated.iter().find(|(_, amount)| over(*amount)).map(|d| d.0);
    alone.or_else(|| {
        let mut total = 0.0;
        dated.iter().find_map(|&(start, amount)| {
            total += amount;
            over(total).then_some(start)
        })
    })
}

/// Rounds to 0.01 yuan.
fn cents(yuan: f64) -> f64 {
    (yuan * 100.0).round() / 100.0
}

/// A roll household as the money truth needs it: its true persons, benefit and enrolment.
struct Payee<'a> {
    persons: Vec<&'a str>,
    benefit: f64,
    enrolled_on: Option<NaiveDate>,
    /// The pension standard per member (`None` for linshi).
    standard: Option<f64>,
}

impl Payee<'_> {
    /// Months counted for a fact dated `since`, at D.
    fn months(&self, since: NaiveDate, as_of: NaiveDate) -> u32 {
        let from = self.enrolled_on.map_or(since, |e| since.max(e));
        whole_months(from, as_of).min(LOOKBACK_MONTHS)
    }

    #[allow(clippy::cast_precision_loss)]
    fn n_members(&self) -> f64 {
        self.persons.len().max(1) as f64
    }
}

/// When the fact behind `reason` began for the household's persons at `at` (all but
/// `income_over_standard` and `deceased_member`, which are dated elsewhere).
fn since(reason: Reason, payee: &Payee, facts: &[&Facts], at: NaiveDate) -> Option<NaiveDate> {
    match reason {
        Reason::PensionIncome => {
            let dated = facts
                .iter()
                .flat_map(|f| &f.pensions)
                .filter(|p| p.counted && p.span.active(at))
                .map(|p| (p.span.from, p.amount))
                .collect();
            let (n, standard) = (payee.n_members(), payee.standard?);
            first_over(dated, |amount| amount / n > standard)
        }
        Reason::VehicleOwned => facts
            .iter()
            .flat_map(|f| &f.vehicles)
            .filter(|v| !v.exempt && v.span.active(at))
            .map(|v| v.span.from)
            .min(),
        Reason::BusinessActive => facts
            .iter()
            .flat_map(|f| &f.businesses)
            .filter(|b| {
                let role = matches!(b.role, "legal_rep" | "sole_proprietor")
                    || (b.role == "shareholder" && b.capital > SHAREHOLDER_CAPITAL);
                role && b.status_active && b.span.active(at)
            })
            .map(|b| b.span.from)
            .min(),
        Reason::PropertyExcess => {
            // Each property by unit, dated by its earliest registration among co-owners.
            let mut units: BTreeMap<(bool, &str), NaiveDate> = BTreeMap::new();
            for p in facts.iter().flat_map(|f| &f.properties) {
                if p.span.active(at) {
                    let day = units.entry((p.residential, &p.unit)).or_insert(p.span.from);
                    *day = (*day).min(p.span.from);
                }
            }
            let dates = |residential: bool| -> Vec<NaiveDate> {
                let mut dates: Vec<NaiveDate> = units
                    .iter()
                    .filter(|((r, _), _)| *r == residential)
                    .map(|(_, d)| *d)
                    .collect();
                dates.sort_unstable();
                dates
            };
            let other = dates(false).first().copied();
            other.or_else(|| dates(true).get(MAX_RESIDENTIAL).copied())
        }
        _ => None,
    }
}

impl Generator {
    /// `truth_overpaid.csv`'s rows: every true flag of `MONEY_REASONS`, in truth order.
    /// `income` gives each household's income truth (its `since` for income over the
    /// standard).
    pub(super) fn overpaid_truth(
        &self,
        households: &[Household],
        truth: &[TruthRow],
        income: &[IncomeTruth],
    ) -> Vec<OverpaidTruth> {
        let as_of = self.as_of();
        let world = World::from_roll(&self.roll, households);
        let people: HashSet<&str> = world
            .households
            .iter()
            .flat_map(|h| &h.members)
            .map(|m| m.person.as_str())
            .collect();
        let sources = crate::model::Source::REGISTRIES;
        let facts = self.registry_facts(&sources, &people);
        let income_since: BTreeMap<&str, Option<NaiveDate>> = income
            .iter()
            .map(|i| (i.household_id.as_str(), i.over_since))
            .collect();
        let no_facts = Facts::default();
        // Each household's money reasons, gathered once (issue 32: a scan of the whole
        // truth per household was quadratic in households).
        let mut wanted_of: HashMap<&str, BTreeSet<Reason>> = HashMap::new();
        for t in truth.iter().filter(|t| MONEY_REASONS.contains(&t.reason)) {
            wanted_of
                .entry(t.household_id.as_str())
                .or_default()
                .insert(t.reason);
        }
        let mut rows = Vec::new();
        for (household, rolled) in households.iter().zip(&world.households) {
            let Some(wanted) = wanted_of.remove(household.id.as_str()) else {
                continue;
            };
            let payee = Payee {
                persons: rolled.members.iter().map(|m| m.person.as_str()).collect(),
                benefit: rolled.paid,
                enrolled_on: household
                    .rows
                    .iter()
                    .filter_map(|&r| {
                        NaiveDate::parse_from_str(&self.roll[r][col::ENROLLED_ON], "%Y-%m-%d").ok()
                    })
                    .min(),
                standard: standard(rolled.programme),
            };
            let member_facts: Vec<&Facts> = payee
                .persons
                .iter()
                .map(|p| facts.get(*p).unwrap_or(&no_facts))
                .collect();
            for reason in wanted {
                let (since, overpaid) = if reason == Reason::DeceasedMember {
                    deaths(&payee, &member_facts, as_of)
                } else {
                    let since = if reason == Reason::IncomeOverStandard {
                        income_since.get(household.id.as_str()).copied().flatten()
                    } else {
                        since(reason, &payee, &member_facts, as_of)
                    };
                    let months = since.map(|s| payee.months(s, as_of));
                    (since, months.map(|m| payee.benefit * f64::from(m)))
                };
                rows.push(OverpaidTruth {
                    household_id: household.id.clone(),
                    reason,
                    since,
                    overpaid_yuan: overpaid.map(cents),
                });
            }
        }
        rows
    }

    /// `truth_recheck.csv`'s rows: the households due their re-check by D + notice on a
    /// first run, by household id.
    pub(super) fn recheck_truth(&self, households: &[Household]) -> Vec<RecheckTruth> {
        let horizon = self.as_of() + Days::new(NOTICE_DAYS);
        let mut due: Vec<RecheckTruth> = households
            .iter()
            .filter_map(|household| {
                let rows = household.rows.iter().map(|&r| &self.roll[r]);
                let category = rows
                    .clone()
                    .find_map(|row| row.get(col::CATEGORY).and_then(|c| c.chars().next()))
                    .map_or("B", |c| match c {
                        'A' => "A",
                        'C' => "C",
                        _ => "B",
                    });
                let interval = match category {
                    "A" => 12,
                    "C" => 3,
                    _ => 6,
                };
                let last_checked = rows
                    .filter_map(|row| {
                        NaiveDate::parse_from_str(&row[col::ENROLLED_ON], "%Y-%m-%d").ok()
                    })
                    .min()?;
                let due_on = last_checked.checked_add_months(Months::new(interval))?;
                (due_on <= horizon).then(|| RecheckTruth {
                    household_id: household.id.clone(),
                    category,
                    last_checked,
                    due_on,
                })
            })
            .collect();
        due.sort_by(|a, b| a.household_id.cmp(&b.household_id));
        due
    }
}

/// `deceased_member`'s since (the earliest death by D among the household's persons) and
/// cost: each deceased member's share of the benefit for the months from their own death.
fn deaths(payee: &Payee, facts: &[&Facts], as_of: NaiveDate) -> (Option<NaiveDate>, Option<f64>) {
    let died: Vec<NaiveDate> = facts
        .iter()
        .filter_map(|f| f.death)
        .filter(|d| *d <= as_of)
        .collect();
    let share = payee.benefit / payee.n_members();
    let cost: f64 = died
        .iter()
        .map(|d| share * f64::from(payee.months(*d, as_of)))
        .sum();
    let since = died.iter().min().copied();
    (since, since.map(|_| cost))
}
