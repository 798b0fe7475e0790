//! Blank-ID records: true cases for common and rare names, and namesakes drawn from a
//! modelled registry population, so common names get them and rare ones almost never.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rand::Rng;

use super::index::RollIndex;
use super::Kind;
use crate::synth::plant::Pool;
use crate::synth::{names, Generator, Household, Person, Subject};

/// The people a registry covers, per person on the roll (a county's registries cover its
/// whole population, of which the roll is a few percent).
pub const POPULATION_PER_ROLL_PERSON: f64 = 20.0;

/// Names at least this common (a one-character given name under a frequent surname, or a
/// minority name) are the common names of blank-ID true cases.
const COMMON_NAME: f64 = 1e-4;

/// The records blank-ID true cases are: half deaths, the rest mostly cars.
const BLANK_ID_CASE_KINDS: &[(Kind, u32)] = &[
    (Kind::Death, 5),
    (Kind::Vehicle, 3),
    (Kind::Pension, 1),
    (Kind::Business, 1),
];

/// The records blank-ID namesakes are: mostly deaths and cars.
const NAMESAKE_KINDS: &[(Kind, u32)] = &[
    (Kind::Death, 9),
    (Kind::Vehicle, 8),
    (Kind::Pension, 2),
    (Kind::Business, 1),
];

/// Poisson(`mean`) by Knuth's method (the means here are small; capped at 30).
pub(crate) fn poisson(rng: &mut impl Rng, mean: f64) -> usize {
    let limit = (-mean.clamp(0.0, 30.0)).exp();
    let mut k = 0;
    let mut product: f64 = rng.random();
    while product > limit {
        k += 1;
        product *= rng.random::<f64>();
    }
    k
}

/// Below this many expected namesakes a name is rare: it gets none (by default; see
/// `Mix::namesake_floor`).
pub const NAMESAKE_FLOOR: f64 = 0.01;

impl Generator {
    /// Blank-ID true cases: a member's name (sometimes in traditional characters) and birth
    /// date, no ID. One in eight has a common name, the others a rarer one; each member's
    /// name and birth date is unique on the roll, so the truth is unambiguous.
    pub(super) fn plant_blank_id_cases(
        &mut self,
        households: &[Household],
        pool: Pool,
        index: &RollIndex,
    ) {
        let name_shares = self.names.clone();
        for i in 0..self.count(6) {
            let common = i % 8 == 0;
            let fits = |p: &Person| {
                index
                    .same_name_and_birth(&names::simplified(&p.name), p.birth)
                    .len()
                    == 1
                    && (name_shares.name_share(&p.name) >= COMMON_NAME) == common
            };
            let Some(h) = Self::take(households, pool, |h| h.members.iter().any(fits)) else {
                return;
            };
            let household = &households[h];
            let fitting: Vec<&Person> = household.members.iter().filter(|p| fits(p)).collect();
            let person = fitting[self.rng.random_range(0..fitting.len())].clone();
            let name = if self.rng.random_bool(0.25) {
                names::traditional(&person.name)
            } else {
                person.name.clone()
            };
            let kind = Kind::draw(&mut self.rng, BLANK_ID_CASE_KINDS, household);
            let subject = Subject {
                name: &name,
                ..person.without_id()
            };
            self.flaggable_record(kind, household, subject);
            let case = if common {
                "blank ID, common name"
            } else {
                "blank ID, rare name"
            };
            self.planted_record(kind.source(), &person.id, true, case);
            self.truth(household, kind.reason(), case);
        }
    }

    /// Blank-ID namesakes: for each roll person whose name and birth date are common enough
    /// (`Mix::namesake_floor`), Poisson(population × share of the name × share of the birth date)
    /// other people with the same name and birth date, written with
    /// a blank ID into death and vehicle (a few into pension and business), at most one
    /// per two households in all.
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    pub(super) fn plant_namesakes(&mut self, households: &[Household], index: &RollIndex) {
        let population = self.options.mix.population_per_roll_person * index.people.len() as f64;
        // A birth date's share: its year's share of the roll, spread evenly over the year.
        let mut per_year: HashMap<i32, usize> = HashMap::new();
        for person in &index.people {
            *per_year.entry(person.birth.year()).or_default() += 1;
        }
        let people = index.people.len().max(1) as f64;
        let birth_share = |birth: NaiveDate| {
            let days = if birth.leap_year() { 366.0 } else { 365.0 };
            per_year[&birth.year()] as f64 / people / days
        };
        let cap = (self.options.households / 2).max(10);
        let mut made = 0;
        for person in &index.people {
            let expected =
                population * self.names.name_share(&person.name) * birth_share(person.birth);
            if expected < self.options.mix.namesake_floor {
                continue;
            }
            for _ in 0..poisson(&mut self.rng, expected) {
                if made >= cap {
                    return;
                }
                made += 1;
                let household = &households[person.household];
                let kind = Kind::draw(&mut self.rng, NAMESAKE_KINDS, household);
                let subject = Subject {
                    name: &person.name,
                    id: None,
                    birth: person.birth,
                    // Someone off the roll: the record is no member's (`truth_record_owners`).
                    owner: "",
                };
                self.flaggable_record(kind, household, subject);
                self.planted_record(kind.source(), &person.id, false, "blank-ID namesake");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::ingest::schema::col;
    use crate::model::Source;
    use crate::synth::wild::tests::{by_member, id_cell, record, wild};
    use crate::synth::{person_columns, RecordTruth};

    #[test]
    fn namesakes_follow_how_common_the_name_is() {
        let county = wild();
        let names = by_member(county, col::NAME);
        let mut per_member: HashMap<&str, usize> = HashMap::new();
        for truth in &county.truth_records {
            if truth.case == "blank-ID namesake" {
                assert!(!truth.same_person);
                let row = record(county, truth.source, &truth.record_id);
                assert_eq!(id_cell(truth.source, row), "");
                assert_eq!(
                    &row[person_columns(truth.source).0],
                    names[truth.member_id.as_str()]
                );
                *per_member.entry(truth.member_id.as_str()).or_default() += 1;
            }
        }
        let (mut common, mut common_namesakes, mut rare, mut rare_namesakes) =
            (0u32, 0usize, 0u32, 0usize);
        for (member, name) in &names {
            let share = names::Names::default().name_share(name);
            let namesakes = per_member.get(member).copied().unwrap_or(0);
            if share >= COMMON_NAME {
                common += 1;
                common_namesakes += namesakes;
            } else if share < 2e-5 {
                rare += 1;
                rare_namesakes += namesakes;
            }
        }
        // A county of 5,000 households covers 300,000 people: a few of its commonest names
        // expect a namesake; rare names never get one.
        assert!(
            common_namesakes >= 1 && common > 100,
            "{common_namesakes} namesakes of {common} common names"
        );
        assert_eq!(rare_namesakes, 0, "{rare} rare names");
    }

    /// A record planted as another person (a namesake, a masked decoy) is no member's own
    /// in `truth_record_owners.csv`, or the reliability table counts it as a true pair.
    #[test]
    fn records_planted_as_another_person_have_no_member_owner() {
        let county = wild();
        let owned: HashSet<(Source, &str, &str)> = county
            .record_owners
            .iter()
            .map(|o| (o.source, o.record_id.as_str(), o.member_id.as_str()))
            .collect();
        let others: Vec<&RecordTruth> = county
            .truth_records
            .iter()
            .filter(|t| !t.same_person)
            .collect();
        assert!(
            others.iter().any(|t| t.case == "blank-ID namesake"),
            "the county has namesakes"
        );
        for truth in others {
            assert!(
                !owned.contains(&(
                    truth.source,
                    truth.record_id.as_str(),
                    truth.member_id.as_str()
                )),
                "{} {} ({}) is owned by {}",
                truth.source,
                truth.record_id,
                truth.case,
                truth.member_id
            );
        }
    }

    #[test]
    fn blank_id_true_cases_have_common_and_rare_names() {
        let county = wild();
        let names = by_member(county, col::NAME);
        let households: HashSet<(&str, &str)> = county
            .truth
            .iter()
            .map(|t| (t.household_id.as_str(), t.case))
            .collect();
        for case in ["blank ID, common name", "blank ID, rare name"] {
            let records: Vec<&RecordTruth> = county
                .truth_records
                .iter()
                .filter(|t| t.case == case)
                .collect();
            assert!(records.len() >= 3, "{case}: {}", records.len());
            for truth in records {
                assert!(truth.same_person);
                assert!(households.contains(&(truth.household_id.as_str(), case)));
                let row = record(county, truth.source, &truth.record_id);
                assert_eq!(id_cell(truth.source, row), "");
                let common = names::Names::default().name_share(names[truth.member_id.as_str()])
                    >= COMMON_NAME;
                assert_eq!(common, case.contains("common"));
            }
        }
    }
}
