//! Who is one person among those a run links: roll members first, then the people linked
//! beside them (a member's relatives from `relations`, early-warning candidates). A person is
//! their valid ID; without one, their name key and birth date; without both, the row naming
//! them. A relative who is a roll member is that member (one person, two roles), so a record
//! never sees the same person twice and the namesake guards count people, not rows.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{record_person, Person};
use crate::ingest::{OtherPerson, RecordDetails, RegistryRecord};
use crate::model::Role;

/// What makes two mentions one person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Id(u64),
    NameBirth(Box<str>, NaiveDate),
    /// Neither: only the row (`record_id`) that names them.
    Row(String),
}

fn identity(person: &Person, record_id: &str) -> Identity {
    match (person.valid_id(), person.birth_date) {
        (Some(valid), _) => Identity::Id(valid.key),
        (None, Some(birth)) => Identity::NameBirth(person.name.key.clone(), birth),
        (None, None) => Identity::Row(record_id.to_string()),
    }
}

/// Finds the person a mention is among a run's persons (members first, then others).
#[derive(Debug, Default)]
pub struct PersonIndex {
    members: usize,
    by_identity: HashMap<Identity, usize>,
    /// Members by name key and birth date; `None` when two or more members share them.
    member_by_name_birth: HashMap<(Box<str>, NaiveDate), Option<usize>>,
}

impl PersonIndex {
    /// Indexes `persons`, of which the first `members` are the roll's (parallel to it) and the
    /// rest `others` (parallel to `Ingested::others`, whose keys name their rows).
    pub fn new(persons: &[Person], members: usize, others: &[OtherPerson]) -> PersonIndex {
        let mut index = PersonIndex {
            members,
            ..PersonIndex::default()
        };
        for (idx, person) in persons.iter().enumerate().take(members) {
            // A member's birth date comes from their valid ID (the roll has no column).
            if let Some(valid) = person.valid_id() {
                index
                    .by_identity
                    .entry(Identity::Id(valid.key))
                    .or_insert(idx);
                index.note_member(person, valid.birth_date, idx);
            }
        }
        for (offset, (person, other)) in persons[members..].iter().zip(others).enumerate() {
            let row = other.key.split_once(':').map_or("", |(_, row)| row);
            index
                .by_identity
                .entry(identity(person, row))
                .or_insert(members + offset);
        }
        index
    }

    fn note_member(&mut self, person: &Person, birth: NaiveDate, idx: usize) {
        self.member_by_name_birth
            .entry((person.name.key.clone(), birth))
            .and_modify(|found| {
                if *found != Some(idx) {
                    *found = None;
                }
            })
            .or_insert(Some(idx));
    }

    /// The person `person` (named in the row `record_id`) is: a member with their valid ID, or
    /// the one member with their name and birth date when they have no valid ID; else the
    /// other person with their identity. `None` when no one is.
    pub fn find(&self, person: &Person, record_id: &str) -> Option<usize> {
        if person.valid_id().is_none() {
            if let Some(birth) = person.birth_date {
                if let Some(Some(idx)) = self
                    .member_by_name_birth
                    .get(&(person.name.key.clone(), birth))
                {
                    return Some(*idx);
                }
            }
        }
        self.by_identity.get(&identity(person, record_id)).copied()
    }

    /// Whether the person at `idx` is a roll member.
    pub fn is_member(&self, idx: usize) -> bool {
        idx < self.members
    }
}

/// The relatives that `relations` rows name who are not roll members, each once, in the order
/// first named, with their persons: the supporters to be, linked beside the members.
pub fn relatives_beyond_roll(
    relations: &[RegistryRecord],
    members: &[Person],
) -> (Vec<OtherPerson>, Vec<Person>) {
    let mut index = PersonIndex::new(members, members.len(), &[]);
    let (mut others, mut persons) = (Vec::new(), Vec::new());
    for record in relations {
        let RecordDetails::Relation {
            relative,
            region_code,
            ..
        } = &record.details
        else {
            continue;
        };
        let person = record_person(relative);
        if index.find(&person, &record.record_id).is_some() {
            continue;
        }
        let idx = members.len() + persons.len();
        index
            .by_identity
            .insert(identity(&person, &record.record_id), idx);
        others.push(OtherPerson {
            role: Role::Supporter,
            key: format!("{}:{}", Role::Supporter.code(), record.record_id),
            person: (**relative).clone(),
            region_code: region_code.clone(),
        });
        persons.push(person);
    }
    (others, persons)
}
