//! Namesake risk (contract, matching item 7). A registry covers a population, not the roll:
//! a record with no usable or masked ID may be anyone in it with the member's name and birth
//! date. The expected number of such people is the population times the name's frequency
//! times the birth date's, both estimated from every person read (roll and registries, which
//! are large samples of the population), so the same evidence weighs the same at county and
//! at province scale.
//!
//! The same frequencies are the term frequencies of a pair without an ID (`TermShares`): its
//! probability is the population-scale Fellegi–Sunter odds, one person in the population
//! as the prior and each agreeing field weighed by how common its value is
//! (`LinkParameters::weigh_in_population`). Its expected namesakes and its probability are
//! two readings of one estimate, so a rare name with an agreeing birth date is a match at
//! any scale and a common one stays a lead.
//!
//! A small sample says little: each frequency is shrunk towards a prior worth `PSEUDO_PERSONS`
//! people (a full name shared by one person in a million, a birth year one in 90),
//! so a tiny county file neither makes every name common nor every name rare.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use chrono::Datelike;
use foldhash::fast::FixedState;
use rayon::prelude::*;

use crate::normalize::{NameLevel, Person};

/// The weight of the prior, in persons: a sample this large counts as much as the prior.
const PSEUDO_PERSONS: f64 = 10_000.0;
/// A full name's frequency before any data: one person in a million.
const NAME_PRIOR: f64 = 1e-6;
/// A birth year's frequency before any data: one year in 90.
const BIRTH_YEAR_PRIOR: f64 = 1.0 / 90.0;

/// How often each name reading and each birth date occurs among the persons counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NameBirthCensus {
    /// Hash of the name reading → persons (a reading groups the homophones a `same_reading`
    /// match accepts, so its frequency never understates a name's).
    names: HashMap<u64, u32, FixedState>,
    /// Hash of the normalised full name → persons: what an identical or normalised name's
    /// namesakes share (homophones would be recorded under another name).
    full_names: HashMap<u64, u32, FixedState>,
    /// Persons per birth year: a date's frequency is its year's spread over the year's days
    /// (births fall evenly over a year), which a county-sized sample estimates far better
    /// than a count per day.
    births: HashMap<i32, u32, FixedState>,
    named: u64,
    born: u64,
}

/// The three counts of a census, by number in a shard's `census.parquet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CensusTable {
    /// Persons per name reading.
    Reading = 0,
    /// Persons per normalised full name.
    FullName = 1,
    /// Persons per birth year.
    BirthYear = 2,
}

impl CensusTable {
    /// The table numbered `number` (`CensusTable::X as u8`).
    pub fn of_number(number: u8) -> Option<CensusTable> {
        [
            CensusTable::Reading,
            CensusTable::FullName,
            CensusTable::BirthYear,
        ]
        .into_iter()
        .find(|&table| table as u8 == number)
    }
}

/// A name seen `count` times in the sample is taken as seen `count + √count + 1` times, about
/// a one-sigma upper bound: a name near the threshold is a lead rather than a coin toss.
#[allow(clippy::cast_precision_loss)]
fn upper(count: u32) -> f64 {
    let count = f64::from(count);
    count + count.sqrt() + 1.0
}

/// The share of `count` among `of` persons, shrunk towards `prior`. The member and the
/// record stay counted: they are a fair sample of the population, and were the record
/// someone else it would be one of the namesakes (precision first: the figure errs high).
#[allow(clippy::cast_precision_loss)]
fn share(count: f64, of: u64, prior: f64) -> f64 {
    (count + PSEUDO_PERSONS * prior) / (of as f64 + PSEUDO_PERSONS)
}

fn reading_hash(person: &Person) -> Option<u64> {
    hash_unless_empty(&person.name.reading, person.name.reading.is_empty())
}

fn full_name_hash(person: &Person) -> Option<u64> {
    hash_unless_empty(&person.name.key, person.name.key.is_empty())
}

/// A name part's hash, none for an empty part (no name to share).
fn hash_unless_empty(value: &impl Hash, empty: bool) -> Option<u64> {
    if empty {
        return None;
    }
    // Fixed, so that a count means the same in every process; fast, since every person
    // read is hashed twice.
    Some(FixedState::default().hash_one(value))
}

/// How common a pair's agreeing values are, per person of the population: the name's share
/// (its full name when the names are the same, its reading when they are homophones) and
/// the birth date's. `None` where the pair does not agree on the field, or its value is
/// unknown: the model's u stands in there.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TermShares {
    pub name: Option<f64>,
    pub birth_date: Option<f64>,
}

impl TermShares {
    /// The expected number of other people in a population of `population` who show the
    /// same name and birth date, when both are known.
    pub fn expected_namesakes(self, population: f64) -> Option<f64> {
        Some(population * self.name? * self.birth_date?)
    }

    /// The shares with `others` people known to show the same name and birth date (other
    /// persons linked in this run) added to the name's: each is as likely the record's
    /// person, so the expected namesakes grow by `others`.
    #[must_use]
    pub fn with_known_others(self, others: usize, population: f64) -> TermShares {
        match (self.name, self.birth_date) {
            (Some(name), Some(birth)) if others > 0 => {
                #[allow(clippy::cast_precision_loss)]
                let extra = others as f64 / (population * birth);
                TermShares {
                    name: Some(name + extra),
                    ..self
                }
            }
            _ => self,
        }
    }
}

impl NameBirthCensus {
    /// Counts the next persons read (a roll, a registry, or a piece of one).
    pub fn count(&mut self, persons: &[Person]) {
        // Hashing the names is most of the work, and is done in parallel; the counting
        // after it is one pass.
        let keys: Vec<_> = persons
            .par_iter()
            .map(|person| {
                (
                    reading_hash(person),
                    full_name_hash(person),
                    person.birth_date.map(|birth| birth.year()),
                )
            })
            .collect();
        for (reading, full_name, birth_year) in keys {
            if let Some(hash) = reading {
                *self.names.entry(hash).or_default() += 1;
                self.named += 1;
            }
            if let Some(hash) = full_name {
                *self.full_names.entry(hash).or_default() += 1;
            }
            if let Some(year) = birth_year {
                *self.births.entry(year).or_default() += 1;
                self.born += 1;
            }
        }
    }

    /// Every count, as (table, key, persons), for a shard to hand to `merge`, which adds
    /// them up (`add`): the counts of a registry read by pieces across shards sum to the
    /// counts of reading it whole.
    pub fn entries(&self) -> impl Iterator<Item = (CensusTable, u64, u32)> + '_ {
        let names = self
            .names
            .iter()
            .map(|(&k, &n)| (CensusTable::Reading, k, n));
        let full_names = self
            .full_names
            .iter()
            .map(|(&k, &n)| (CensusTable::FullName, k, n));
        // A year's bits as a key: `add` turns them back.
        #[allow(clippy::cast_sign_loss)]
        let births = self
            .births
            .iter()
            .map(|(&year, &n)| (CensusTable::BirthYear, i64::from(year) as u64, n));
        names.chain(full_names).chain(births)
    }

    /// Adds every count of `other` (a shard's, read back) to this census.
    pub fn add_all(&mut self, other: &NameBirthCensus) {
        for (table, key, persons) in other.entries() {
            self.add(table, key, persons);
        }
    }

    /// Adds `persons` to one count (an entry of another census, `entries`).
    pub fn add(&mut self, table: CensusTable, key: u64, persons: u32) {
        match table {
            CensusTable::Reading => {
                *self.names.entry(key).or_default() += persons;
                self.named += u64::from(persons);
            }
            CensusTable::FullName => *self.full_names.entry(key).or_default() += persons,
            CensusTable::BirthYear => {
                #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
                let year = key as i64 as i32;
                *self.births.entry(year).or_default() += persons;
                self.born += u64::from(persons);
            }
        }
    }

    /// The expected number of other people in a population of `population` with this
    /// person's name whose IDs show the characters `pattern` shows (a masked ID that agrees
    /// with this person's): the name's share, times one in ten per visible character among
    /// the last four (sequence and check). The region shown is taken as the population's
    /// own, and birth-date digits are left out, both of which overstate the figure.
    pub fn expected_masked_namesakes(
        &self,
        person: &Person,
        pattern: &str,
        population: f64,
    ) -> Option<f64> {
        let name = upper(self.names.get(&reading_hash(person)?).copied().unwrap_or(0));
        let tail = pattern.get(14..)?.bytes().filter(|b| *b != b'*').count();
        let chance = 10f64.powi(-i32::try_from(tail).unwrap_or(0));
        Some(population * share(name, self.named, NAME_PRIOR) * chance)
    }

    /// The term shares of a pair of `member` and a record that compares with them at `name`
    /// and, when `birth_equal`, on the same birth date.
    pub fn shares(&self, member: &Person, name: NameLevel, birth_equal: bool) -> TermShares {
        let name_share = match name {
            NameLevel::Identical | NameLevel::Normalized => {
                full_name_hash(member).map(|h| self.full_names.get(&h))
            }
            NameLevel::SameReading => reading_hash(member).map(|h| self.names.get(&h)),
            NameLevel::OneCharDiff | NameLevel::Different => None,
        }
        .map(|count| share(upper(count.copied().unwrap_or(0)), self.named, NAME_PRIOR));
        let birth_share = member.birth_date.filter(|_| birth_equal).map(|birth| {
            let in_year = self.births.get(&birth.year()).copied().unwrap_or(0);
            let days = if birth.leap_year() { 366.0 } else { 365.0 };
            share(f64::from(in_year), self.born, BIRTH_YEAR_PRIOR) / days
        });
        TermShares {
            name: name_share,
            birth_date: birth_share,
        }
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
    fn counts_handed_on_and_added_equal_counting_whole() {
        let names = ["王伟", "王威", "欧阳娜娜", "司马相如", ""];
        let persons: Vec<Person> = (0..300)
            .map(|i| {
                person(
                    names[i % 5],
                    &format!("19{:02}-03-0{}", 40 + i % 37, 1 + i % 9),
                )
            })
            .collect();
        let mut whole = NameBirthCensus::default();
        whole.count(&persons);
        // The roll counted here, two shards' pieces counted there and added.
        let mut merged = NameBirthCensus::default();
        merged.count(&persons[..50]);
        for shard in [&persons[50..170], &persons[170..]] {
            let mut counted = NameBirthCensus::default();
            counted.count(shard);
            for (table, key, n) in counted.entries() {
                let number = table as u8;
                merged.add(CensusTable::of_number(number).expect("a table"), key, n);
            }
        }
        assert_eq!(merged, whole);
        assert!(whole.named > 0 && whole.born == 300);
    }

    #[test]
    fn common_names_and_birth_dates_expect_more_namesakes() {
        let mut persons = Vec::new();
        for i in 0..1000 {
            let name = if i % 10 == 0 {
                "王伟"
            } else if i % 20 == 5 {
                "王威"
            } else {
                "欧阳娜娜"
            };
            let day = 1 + i % 28;
            persons.push(person(name, &format!("1960-02-{day:02}")));
        }
        persons.push(person("司马相如", "1970-01-01"));
        let mut census = NameBirthCensus::default();
        census.count(&persons);
        let expected = |p: &Person| {
            census
                .shares(p, NameLevel::Identical, true)
                .expected_namesakes(1e6)
        };
        let common = expected(&person("王伟", "1960-02-01")).unwrap();
        let rare = expected(&person("司马相如", "1970-01-01")).unwrap();
        // 王伟: 100 of 1001 names (taken at their upper bound, 111), shrunk to the prior.
        let share =
            |count: f64, prior: f64| (count + PSEUDO_PERSONS * prior) / (1001.0 + PSEUDO_PERSONS);
        // Every birth date is in 1960 (a leap year): 1000 of 1001 birth years.
        let by_formula = 1e6 * share(111.0, NAME_PRIOR) * share(1000.0, BIRTH_YEAR_PRIOR) / 366.0;
        assert!(
            (common - by_formula).abs() < 1e-9,
            "{common} vs {by_formula}"
        );
        assert!(rare < common / 100.0, "{rare} vs {common}");
        // A homophone (王威, 50 people) counts for a same-reading pair, not an identical one.
        let homophones = census
            .shares(&person("王伟", "1960-02-01"), NameLevel::SameReading, true)
            .name
            .unwrap();
        let upper_150 = 150.0 + 150f64.sqrt() + 1.0;
        assert!((homophones - share(upper_150, NAME_PRIOR)).abs() < 1e-15);
        // A name and birth date never seen weigh as the prior says.
        let unseen = expected(&person("诸葛亮", "1999-09-09")).unwrap();
        let prior = 1e6 * share(1.0, NAME_PRIOR) * share(0.0, BIRTH_YEAR_PRIOR) / 365.0;
        assert!((unseen - prior).abs() < 1e-12, "{unseen} vs {prior}");
        // A masked ID's visible last four make a name's namesakes (by reading, with 王威)
        // ten thousand times fewer.
        let masked = census
            .expected_masked_namesakes(&person("王伟", "1960-02-01"), "411526********123X", 1e6)
            .unwrap();
        assert!((masked - 1e6 * share(upper_150, NAME_PRIOR) * 1e-4).abs() < 1e-12);
        // Without a birth date there is nothing to count.
        let mut no_birth = person("王伟", "1960-02-01");
        no_birth.birth_date = None;
        assert_eq!(expected(&no_birth), None);
        // Nor where the pair's birth dates or names do not agree.
        let member = person("王伟", "1960-02-01");
        assert_eq!(
            census
                .shares(&member, NameLevel::Identical, false)
                .birth_date,
            None
        );
        assert_eq!(
            census.shares(&member, NameLevel::OneCharDiff, true).name,
            None
        );
    }
}
