//! Turns raw identities into comparable ones: normalised IDs (GB 11643) and name keys.
//! Front door: `normalize::normalize`, which returns vectors parallel to the ingested rows.
//! **Invariant:** never changes what people see; keys are for matching only.

pub mod address;
pub mod id;
pub mod name;
pub mod persons;

use std::borrow::Cow;

use chrono::NaiveDate;
use rayon::prelude::*;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use crate::ingest::{PersonFields, Registry, RollMember};
pub use id::{
    comparable_id, is_valid_18, mask_id, mask_ids_in_text, normalize_id, IdProblem, NormalizedId,
    ValidId,
};
pub use name::{compare_names, name_key, NameKey, NameLevel};

/// `text` in NFKC form, borrowed when it already is (plain ASCII, most Chinese): the quick
/// check is far cheaper than running the normaliser over every ID and name.
pub fn nfkc(text: &str) -> Cow<'_, str> {
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfkc().collect())
    }
}

/// Applies a cleaning step until its output no longer changes (at most a few times), so
/// that cleaning a cleaned value changes nothing. One pass is not always enough: removing
/// characters can bring combining marks together that NFKC then reorders, and a
/// traditional→simplified table can map a character to one it maps again (found by
/// fuzzing, `fuzz/`). Both steps leave plain ASCII as it is, so ASCII output is final; and
/// a value the step leaves as it is (most names and IDs) is final after one step.
pub(crate) fn until_stable(raw: &str, step: impl Fn(&str) -> String) -> String {
    let mut value = step(raw);
    if value == raw {
        return value;
    }
    for _ in 0..8 {
        if value.is_ascii() {
            break;
        }
        let again = step(&value);
        if again == value {
            break;
        }
        value = again;
    }
    value
}

/// A person ready for comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub name: NameKey,
    pub id: NormalizedId,
    /// From the valid ID when there is one, else the record's own birth date column.
    pub birth_date: Option<NaiveDate>,
}

impl Person {
    pub fn valid_id(&self) -> Option<&ValidId> {
        self.id.valid()
    }
}

/// The persons a run links (the roll's members, parallel to `Ingested::roll`, then
/// `Ingested::others`), and persons parallel to each registry's records.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub persons: Vec<Person>,
    /// How many of `persons` are roll members (the first ones).
    pub members: usize,
    pub registries: Vec<Vec<Person>>,
}

impl Normalized {
    /// The roll members' persons, parallel to `Ingested::roll`.
    pub fn members(&self) -> &[Person] {
        &self.persons[..self.members]
    }
}

/// Persons parallel to the roll.
pub fn members(roll: &[RollMember]) -> Vec<Person> {
    roll.par_iter().map(member_person).collect()
}

/// Persons parallel to one registry's records.
pub fn records(registry: &Registry) -> Vec<Person> {
    registry
        .records
        .par_iter()
        .map(|r| record_person(&r.person))
        .collect()
}

fn member_person(member: &RollMember) -> Person {
    person(&member.name, member.id_number.as_deref(), None)
}

pub(crate) fn record_person(fields: &PersonFields) -> Person {
    person(&fields.name, fields.id_number.as_deref(), fields.birth_date)
}

fn person(raw_name: &str, raw_id: Option<&str>, birth_date: Option<NaiveDate>) -> Person {
    let id = normalize_id(raw_id);
    let birth_date = id.valid().map(|v| v.birth_date).or(birth_date);
    Person {
        name: name_key(raw_name),
        id,
        birth_date,
    }
}
