//! Namesake risk (contract, matching item 7). A registry covers a population, not the roll:
//! a record with no usable or masked ID may be anyone in it with the member's name and birth
//! date. The expected number of such people is the population times the name's frequency
//! times the birth date's, both estimated from every person read (roll and registries, which
//! are large samples of the population), so the same evidence weighs the same at county and
//! at province scale.
//!
//! The pair itself (the member and the record) is not counted as "other" people, and a
//! small sample says little: each frequency is shrunk towards a prior worth `PSEUDO_PERSONS`
//! people (a full name shared by one person in a million, a birth date spread over 90 years),
//! so a tiny county file neither makes every name common nor every name rare.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use chrono::NaiveDate;

use crate::normalize::{Normalized, Person};

/// The weight of the prior, in persons: a sample this large counts as much as the prior.
const PSEUDO_PERSONS: f64 = 100_000.0;
/// A full name's frequency before any data: one person in a million.
const NAME_PRIOR: f64 = 1e-6;
/// A birth date's frequency before any data: one day in 90 years.
const BIRTH_PRIOR: f64 = 1.0 / (365.25 * 90.0);
/// The persons of the pair itself (the member and the record), who are not namesakes.
const PAIR: u32 = 2;

/// How often each name reading and each birth date occurs among the persons counted.
#[derive(Debug, Clone, Default)]
pub struct NameBirthCensus {
    /// Hash of the name reading → persons (a reading groups the homophones a `same_reading`
    /// match accepts, so its frequency never understates a name's).
    names: HashMap<u64, u32>,
    births: HashMap<NaiveDate, u32>,
    named: u64,
    born: u64,
}

fn reading_hash(person: &Person) -> Option<u64> {
    if person.name.reading.is_empty() {
        return None;
    }
    let mut hasher = DefaultHasher::new();
    person.name.reading.hash(&mut hasher);
    Some(hasher.finish())
}

impl NameBirthCensus {
    /// Every member and record of a whole run.
    pub fn of(normalized: &Normalized) -> NameBirthCensus {
        let mut census = NameBirthCensus::default();
        census.count(&normalized.members);
        for records in &normalized.registries {
            census.count(records);
        }
        census
    }

    /// Counts the next persons read (a roll, a registry, or a piece of one).
    pub fn count(&mut self, persons: &[Person]) {
        for person in persons {
            if let Some(hash) = reading_hash(person) {
                *self.names.entry(hash).or_default() += 1;
                self.named += 1;
            }
            if let Some(birth) = person.birth_date {
                *self.births.entry(birth).or_default() += 1;
                self.born += 1;
            }
        }
    }

    /// The expected number of other people in a population of `population` with this
    /// person's name and birth date, for a pair of this person and a record of the same
    /// name and birth date; `None` when the name or the birth date is unknown.
    pub fn expected_namesakes(&self, person: &Person, population: f64) -> Option<f64> {
        let name = self.names.get(&reading_hash(person)?).copied().unwrap_or(0);
        let birth = self.births.get(&person.birth_date?).copied().unwrap_or(0);
        #[allow(clippy::cast_precision_loss)]
        let share = |count: u32, of: u64, prior: f64| {
            (f64::from(count.saturating_sub(PAIR)) + PSEUDO_PERSONS * prior)
                / (of as f64 + PSEUDO_PERSONS)
        };
        Some(
            population * share(name, self.named, NAME_PRIOR) * share(birth, self.born, BIRTH_PRIOR),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{name_key, normalize_id};

    fn person(name: &str, birth: &str) -> Person {
        Person {
            name: name_key(name),
            id: normalize_id(None),
            birth_date: crate::ingest::parse_date(birth),
        }
    }

    #[test]
    fn common_names_and_birth_dates_expect_more_namesakes() {
        let mut persons = Vec::new();
        for i in 0..1000 {
            let name = if i % 10 == 0 {
                "王伟"
            } else {
                "欧阳娜娜"
            };
            let day = 1 + i % 28;
            persons.push(person(name, &format!("1960-02-{day:02}")));
        }
        persons.push(person("司马相如", "1970-01-01"));
        let mut census = NameBirthCensus::default();
        census.count(&persons);
        let common = census
            .expected_namesakes(&person("王伟", "1960-02-01"), 1e6)
            .unwrap();
        let rare = census
            .expected_namesakes(&person("司马相如", "1970-01-01"), 1e6)
            .unwrap();
        // 王伟: 100 of 1001 names, 36 of 1001 birth dates, less the pair, shrunk to the prior.
        let share = |count: f64, prior: f64| (count - 2.0 + 1e5 * prior) / (1001.0 + 1e5);
        let expected = 1e6 * share(100.0, NAME_PRIOR) * share(36.0, BIRTH_PRIOR);
        assert!((common - expected).abs() < 1e-9, "{common} vs {expected}");
        assert!(rare < common / 100.0, "{rare} vs {common}");
        // A name and birth date never seen weigh as the prior says.
        let unseen = census
            .expected_namesakes(&person("诸葛亮", "1999-09-09"), 1e6)
            .unwrap();
        let prior =
            1e6 * (1e5 * NAME_PRIOR) / (1001.0 + 1e5) * (1e5 * BIRTH_PRIOR) / (1001.0 + 1e5);
        assert!((unseen - prior).abs() < 1e-12, "{unseen} vs {prior}");
        // Without a birth date there is nothing to count.
        let mut no_birth = person("王伟", "1960-02-01");
        no_birth.birth_date = None;
        assert_eq!(census.expected_namesakes(&no_birth, 1e6), None);
    }
}
