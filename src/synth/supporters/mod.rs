//! Supporters and household income (issue 28): the `relations` and `contributions`
//! registries and their truth. Every household of a clear shape (no other planted case, no
//! member on the roll twice or sharing a name and birth date) gets relatives outside it,
//! about `supporters_per_household` of them supporters (adult children living apart,
//! spouses living apart, a minor's parent), tekun fewer and linshi none, each with their own
//! records (contributions, pensions, cars, flats, businesses, a death now and then) in the
//! registries; some members get contributions of their own; the rest of `contributions`
//! and some `relations` rows are about people off the roll. `edges.rs` plants the contract's
//! corner cases; `truth.rs` computes income and the two reasons from true identities;
//! `people.rs` writes the rows.
//!
//! All of it draws from a random stream of its own after every other part, and only adds
//! rows: the roll and every row the other parts wrote stay as they were for a seed.

mod edges;
mod people;
#[cfg(test)]
mod tests;
mod truth;
pub(super) mod world;

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::plant::Pool;
use super::{Generator, Household, Person, Variant};
use crate::model::{Kinship, Programme, Source};
pub use truth::IncomeTruth;
use world::World;

/// Xor-ed into the seed for the supporters' own random stream.
const SUPPORT_STREAM: u64 = 0x7375_7070_6f72_7473;

/// How many supporters and contributions a county has, and how their IDs are damaged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SupporterShape {
    /// Supporters (living relatives who owe support) per roll household, on average.
    pub supporters_per_household: f64,
    /// Rows of `contributions` per roll row, members', supporters' and others' together.
    pub contributions_per_member: f64,
    /// Share of relations rows with a blank ID on one side; `None`: the variant's (clean 0,
    /// messy 0.02, hard and wild 0.04).
    pub blank_ids: Option<f64>,
    /// Share of relations and contributions rows with a masked ID; `None`: the variant's
    /// (wild 0.15, else 0).
    pub masked_ids: Option<f64>,
}

impl Default for SupporterShape {
    fn default() -> Self {
        SupporterShape {
            supporters_per_household: 1.5,
            contributions_per_member: 0.5,
            blank_ids: None,
            masked_ids: None,
        }
    }
}

/// How IDs in relations rows are damaged: blank, one wrong digit (hard and wild), masked.
#[derive(Debug, Clone, Copy)]
struct Damage {
    blank: f64,
    wrong_digit: f64,
    masked: f64,
}

impl Damage {
    fn of(variant: Variant, shape: &SupporterShape) -> Damage {
        let (blank, wrong_digit, masked) = match variant {
            Variant::Clean => (0.0, 0.0, 0.0),
            Variant::Messy => (0.02, 0.0, 0.0),
            Variant::Hard => (0.04, 0.01, 0.0),
            Variant::Wild => (0.04, 0.01, 0.15),
        };
        Damage {
            blank: shape.blank_ids.unwrap_or(blank),
            wrong_digit,
            masked: shape.masked_ids.unwrap_or(masked),
        }
    }
}

/// Where supporters live when they are not in the county: the cities people work in.
const AWAY: &[&str] = &["440306", "330106", "410105", "320583", "310115", "441900"];

/// The state of the supporters' part while it builds: the world the truth is computed from,
/// which households it may still use, and the (name, birth date) pairs already taken.
struct Plan {
    world: World,
    /// Households of a clear shape that no edge has taken.
    open: Vec<bool>,
    names: HashSet<(String, NaiveDate)>,
    damage: Damage,
    /// Contribution rows written so far.
    contributions: usize,
    /// The next relations row leaves the relative's ID blank (a planted case).
    blank_next_relative: bool,
}

impl Generator {
    /// The supporters' part (see the module comment). Adds relations, contributions and the
    /// supporters' records to the registries and the two reasons to the truth; returns each
    /// household's income truth.
    pub(super) fn plant_supporters(
        &mut self,
        households: &[Household],
        pool: Pool,
        shape: &SupporterShape,
    ) -> Vec<IncomeTruth> {
        self.rng = ChaCha8Rng::seed_from_u64(self.options.seed ^ SUPPORT_STREAM);
        let before: BTreeMap<Source, usize> = self
            .registries
            .iter()
            .map(|(s, rows)| (*s, rows.len()))
            .collect();
        let mut plan = Plan {
            world: World::from_roll(&self.roll, households),
            open: self.clear_households(households),
            names: HashSet::new(),
            damage: Damage::of(self.options.variant, shape),
            contributions: 0,
            blank_next_relative: false,
        };
        for person in households.iter().flat_map(|h| &h.members) {
            plan.names.insert((person.name.clone(), person.birth));
        }
        self.member_pensions(&mut plan.world);
        // `None`: the pool ran dry; the county has the edges its households allow.
        let _ = self.plant_edges(households, pool, &mut plan);
        self.general_supporters(households, &mut plan, shape);
        self.member_wages(households, &mut plan);
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let target = (shape.contributions_per_member * self.roll.len() as f64) as usize;
        let others = target.saturating_sub(plan.contributions);
        self.unrelated_support_rows(others, households.len() / 5);
        if plan.damage.masked > 0.0 {
            self.mask_new_rows(households, &before, plan.damage.masked);
        }
        let (income, expected) = truth::compute(&plan.world, self.as_of());
        for e in expected {
            self.truth.push(super::TruthRow {
                household_id: e.household_id,
                reason: e.reason,
                case: e.case,
            });
        }
        income
    }

    /// Households every member of which is on the roll once (by ID) and alone with their
    /// name and birth date, and that no other planted case took (no truth row).
    pub(super) fn clear_households(&self, households: &[Household]) -> Vec<bool> {
        let planted: HashSet<&str> = self.truth.iter().map(|t| t.household_id.as_str()).collect();
        let mut ids: BTreeMap<String, usize> = BTreeMap::new();
        let mut named: BTreeMap<(&str, NaiveDate), usize> = BTreeMap::new();
        for row in &self.roll {
            let id = world::canonical_id(&row[crate::ingest::schema::col::ID_NUMBER]);
            *ids.entry(id.unwrap_or_default()).or_default() += 1;
        }
        for person in households.iter().flat_map(|h| &h.members) {
            *named.entry((&person.name, person.birth)).or_default() += 1;
        }
        households
            .iter()
            .map(|h| {
                !planted.contains(h.id.as_str())
                    && h.rows.len() == h.members.len()
                    && h.members.iter().all(|p| {
                        ids.get(&p.id) == Some(&1) && named[&(p.name.as_str(), p.birth)] == 1
                    })
            })
            .collect()
    }

    /// Supporters for the open households, by programme: dibao ones most, tekun (people
    /// without able supporters, by definition) a third as many, linshi none; scaled so the
    /// county has `supporters_per_household` per household. Some households also name a
    /// relative who owes nothing (a sibling, a grandchild, an adult's parent) or one who died.
    fn general_supporters(
        &mut self,
        households: &[Household],
        plan: &mut Plan,
        shape: &SupporterShape,
    ) {
        let weight = |h: &Household| match h.programme {
            Programme::DibaoRural | Programme::DibaoUrban => 1.0,
            Programme::Tekun => 0.35,
            Programme::Linshi => 0.0,
        };
        let open_weight: f64 = households
            .iter()
            .zip(&plan.open)
            .filter(|(_, open)| **open)
            .map(|(h, _)| weight(h))
            .sum();
        #[allow(clippy::cast_precision_loss)]
        let scale = shape.supporters_per_household * households.len() as f64 / open_weight.max(1.0);
        for (h, household) in households.iter().enumerate() {
            if !plan.open[h] || weight(household) == 0.0 {
                continue;
            }
            let expected = scale * weight(household);
            let whole = expected.floor();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let count = whole as usize + usize::from(self.rng.random_bool(expected - whole));
            for _ in 0..count {
                let member = self.member(household);
                let kinship = self.supporting_kinship(&member);
                if let Some(relative) = self.relative(&member, kinship, plan) {
                    self.relative_with_means(&relative, plan);
                    self.name_relative(&member, &relative, kinship, plan);
                }
            }
            if self.rng.random_bool(0.15) {
                let member = self.member(household);
                let kinship = [Kinship::Sibling, Kinship::Grandchild, Kinship::Parent]
                    [self.rng.random_range(0..3)];
                let kinship = if kinship == Kinship::Parent && self.minor(&member) {
                    Kinship::Sibling
                } else {
                    kinship
                };
                if let Some(relative) = self.relative(&member, kinship, plan) {
                    self.relative_with_means(&relative, plan);
                    self.name_relative(&member, &relative, kinship, plan);
                }
            }
        }
    }

    /// How a supporter stands to `member`: a minor's parent; an elder's child (mostly) or
    /// spouse; a younger adult's spouse.
    fn supporting_kinship(&mut self, member: &Person) -> Kinship {
        let age = self.as_of().year() - member.birth.year();
        if self.minor(member) {
            Kinship::Parent
        } else if age >= 40 && self.rng.random_bool(0.85) {
            Kinship::Child
        } else {
            Kinship::Spouse
        }
    }

    fn minor(&self, person: &Person) -> bool {
        person
            .birth
            .checked_add_months(chrono::Months::new(12 * 18))
            .is_some_and(|adult| adult > self.as_of())
    }

    /// A relative of `member` standing to them as `kinship`, born when that makes sense (a
    /// child an adult at the as-of date), with a name and birth date no one else has; `None`
    /// when the member is too young to have an adult child.
    fn relative(&mut self, member: &Person, kinship: Kinship, plan: &mut Plan) -> Option<Person> {
        let years = |y: i32| chrono::Months::new(12 * y.unsigned_abs());
        let adult_by = self.as_of().checked_sub_months(years(18))?;
        let (from, to) = match kinship {
            Kinship::Child => (member.birth.checked_add_months(years(20))?, adult_by),
            Kinship::Spouse => (
                member.birth.checked_sub_months(years(4))?,
                member.birth.checked_add_months(years(4))?.min(adult_by),
            ),
            Kinship::Parent => (
                member.birth.checked_sub_months(years(40))?,
                member.birth.checked_sub_months(years(20))?,
            ),
            Kinship::Sibling => (
                member.birth.checked_sub_months(years(6))?,
                member.birth.checked_add_months(years(6))?,
            ),
            Kinship::Grandchild => (member.birth.checked_add_months(years(45))?, self.as_of()),
        };
        if from >= to {
            return None;
        }
        for _ in 0..10 {
            let birth = self.date_between(from, to);
            let surname = if kinship == Kinship::Child && self.rng.random_bool(0.8) {
                member.name.chars().next().map(String::from)
            } else {
                None
            };
            let surname =
                surname.unwrap_or_else(|| super::names::pick_surname(&mut self.rng).into());
            let name = self.names.full_name(&mut self.rng, &surname);
            if plan.names.insert((name.clone(), birth)) {
                let male = self.rng.random_bool(0.5);
                return Some(self.person(name, birth, male));
            }
        }
        None
    }
}
