//! Who is one person among those a run links: roll members first, then the people linked
//! beside them (a member's relatives from `relations`, early-warning candidates). A person is
//! their valid ID; when either of two mentions has none, their name key and birth date
//! (the one person known by them, and no visible masked character against it); without
//! both, the row naming them. A relative who is a roll member is that member (one person,
//! two roles), so a record never sees the same person twice and the namesake guards count
//! people, not rows.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use chrono::NaiveDate;

use super::id::{masked_agrees, ValidId};
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

/// The one person known under a name key and birth date, with what their ID shows.
#[derive(Debug, Clone)]
struct Named {
    idx: usize,
    valid: Option<ValidId>,
    /// The 18-position pattern of a masked ID, when that is all they show.
    masked: Option<Box<str>>,
}

impl Named {
    fn of(person: &Person, idx: usize) -> Named {
        Named {
            idx,
            valid: person.valid_id().copied(),
            masked: person.id.masked().map(Box::from),
        }
    }

    /// Whether `mention` (same name and birth date) may be this person: no valid ID on
    /// one side, and no visible character of a masked ID that contradicts the other's valid
    /// ID (contract, matching item 6).
    fn admits(&self, mention: &Person) -> bool {
        let contradicts = |pattern: Option<&str>, valid: Option<&ValidId>| {
            pattern
                .zip(valid)
                .is_some_and(|(pattern, valid)| !masked_agrees(pattern, &valid.text()))
        };
        match (self.valid.as_ref(), mention.valid_id()) {
            (Some(_), Some(_)) => false,
            (valid, None) => !contradicts(mention.id.masked(), valid),
            (None, valid) => !contradicts(self.masked.as_deref(), valid),
        }
    }
}

/// Notes `named` under `key`: the one person there (as last known), or `None` once two
/// different ones are.
fn note(
    map: &mut HashMap<(Box<str>, NaiveDate), Option<Named>>,
    key: (Box<str>, NaiveDate),
    named: Named,
) {
    match map.entry(key) {
        Entry::Vacant(vacant) => {
            vacant.insert(Some(named));
        }
        Entry::Occupied(mut occupied) => {
            let found = occupied.get_mut();
            *found = match found.take() {
                Some(known) if known.idx == named.idx => Some(named),
                _ => None,
            };
        }
    }
}

/// Finds the person a mention is among a run's persons (members first, then others). The
/// contract's test: the same valid ID, else (either side without one) the same name and
/// birth date, when only one person has them and a masked ID does not contradict.
#[derive(Debug, Default)]
pub struct PersonIndex {
    members: usize,
    by_identity: HashMap<Identity, usize>,
    /// Members with a valid ID by name key and birth date; `None` when two or more share them.
    member_by_name_birth: HashMap<(Box<str>, NaiveDate), Option<Named>>,
    /// The others by name key and birth date, likewise.
    other_by_name_birth: HashMap<(Box<str>, NaiveDate), Option<Named>>,
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
                let key = (person.name.key.clone(), valid.birth_date);
                note(&mut index.member_by_name_birth, key, Named::of(person, idx));
            }
        }
        for (offset, (person, other)) in persons[members..].iter().zip(others).enumerate() {
            let row = other.key.split_once(':').map_or("", |(_, row)| row);
            index.add_other(person, row, members + offset);
        }
        index
    }

    /// Notes another person at `idx`, named first in the row `record_id`.
    fn add_other(&mut self, person: &Person, record_id: &str, idx: usize) {
        self.by_identity
            .entry(identity(person, record_id))
            .or_insert(idx);
        if let Some(birth) = person.birth_date {
            let key = (person.name.key.clone(), birth);
            note(&mut self.other_by_name_birth, key, Named::of(person, idx));
        }
    }

    /// The person `person` (named in the row `record_id`) is: the one with their valid ID;
    /// else the one member, then the one other, with their name and birth date whom they may
    /// be (`Named::admits`); else the other with their identity. `None` when no one is.
    pub fn find(&self, person: &Person, record_id: &str) -> Option<usize> {
        if let Some(valid) = person.valid_id() {
            if let Some(idx) = self.by_identity.get(&Identity::Id(valid.key)) {
                return Some(*idx);
            }
        }
        if let Some(birth) = person.birth_date {
            let key = (person.name.key.clone(), birth);
            // A mention with a valid ID is never a member found by name: members have
            // valid IDs, and two valid IDs that differ are two people.
            let maps = [&self.member_by_name_birth, &self.other_by_name_birth];
            let skip = usize::from(person.valid_id().is_some());
            for map in maps.into_iter().skip(skip) {
                if let Some(Some(named)) = map.get(&key) {
                    if named.admits(person) {
                        return Some(named.idx);
                    }
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
    let (mut others, mut persons): (Vec<OtherPerson>, Vec<Person>) = (Vec::new(), Vec::new());
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
        if let Some(idx) = index.find(&person, &record.record_id) {
            // Named before without a valid ID and now with one: the person is known by it
            // from here on, and linked by it.
            let upgraded = idx
                .checked_sub(members.len())
                .filter(|&at| persons[at].valid_id().is_none() && person.valid_id().is_some());
            if let Some(at) = upgraded {
                index.add_other(&person, &record.record_id, idx);
                persons[at] = person;
                others[at].person = (**relative).clone();
            }
            continue;
        }
        let idx = members.len() + persons.len();
        index.add_other(&person, &record.record_id, idx);
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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::ingest::PersonFields;
    use crate::model::Kinship;
    use crate::normalize::person;

    fn birth() -> NaiveDate {
        NaiveDate::from_ymd_opt(1980, 9, 21).expect("a date")
    }

    /// A relations row of `record_id` naming the relative `name` with the ID `id` (any form).
    fn row(record_id: &str, name: &str, id: &str) -> RegistryRecord {
        let relative = PersonFields {
            name: name.into(),
            id_number: (!id.is_empty()).then(|| id.into()),
            birth_date: Some(birth()),
            address: None,
        };
        RegistryRecord {
            row: 1,
            record_id: record_id.into(),
            person: PersonFields {
                name: "李文".into(),
                id_number: None,
                birth_date: None,
                address: None,
            },
            details: RecordDetails::Relation {
                relative: Box::new(relative),
                kinship: Kinship::Child,
                household_size: Some(1),
                region_code: None,
            },
        }
    }

    const FULL: &str = "411526198009211352";
    const OTHER: &str = "411526198009212013";
    const MEMBER: &str = "411526196504080872";

    /// The relatives a roll of one member (`MEMBER`, 李文) and these rows give: each
    /// relative's first row and whether they are known by a valid ID.
    fn relatives(rows: &[RegistryRecord]) -> Vec<(String, bool)> {
        let members = [person("李文", Some(MEMBER), None)];
        let (others, persons) = relatives_beyond_roll(rows, &members);
        assert_eq!(others.len(), persons.len());
        others
            .iter()
            .zip(&persons)
            .map(|(other, p)| (other.key.clone(), p.valid_id().is_some()))
            .collect()
    }

    #[test]
    fn a_masked_or_blank_mention_is_the_one_person_with_its_name_and_birth_date() {
        // Either order: one supporter, known by the valid ID (contract: same valid ID, else
        // same name and birth date).
        let masked = row("K-2", "李　磊慧", "411526********1352");
        let full = row("K-1", "李磊慧", FULL);
        let blank = row("K-3", "李磊慧", "");
        assert_eq!(
            relatives(&[full.clone(), masked.clone(), blank.clone()]),
            [("supporter:K-1".to_string(), true)]
        );
        assert_eq!(
            relatives(&[masked.clone(), full.clone()]),
            [("supporter:K-2".to_string(), true)]
        );
        assert_eq!(relatives(&[blank, masked.clone()]).len(), 1);
        // A visible character that contradicts the valid ID: two people.
        let contradicting = row("K-4", "李磊慧", "411526********1353");
        assert_eq!(relatives(&[full.clone(), contradicting]).len(), 2);
        // Two valid IDs are two people however alike the names; a mention without one is
        // then neither of them, and a person of its own.
        let namesake = row("K-5", "李磊慧", OTHER);
        let blank = row("K-6", "李磊慧", "");
        assert_eq!(
            relatives(&[full, namesake, blank]),
            [
                ("supporter:K-1".to_string(), true),
                ("supporter:K-5".to_string(), true),
                ("supporter:K-6".to_string(), false),
            ]
        );
    }

    #[test]
    fn a_member_is_found_by_name_unless_a_visible_digit_says_otherwise() {
        let members = [person("李文", Some(MEMBER), None)];
        let index = PersonIndex::new(&members, 1, &[]);
        let born = NaiveDate::from_ymd_opt(1965, 4, 8);
        let agreeing = person("李文", Some("411526********0872"), born);
        let contradicting = person("李文", Some("411526********0873"), born);
        assert_eq!(index.find(&agreeing, "K-1"), Some(0));
        assert_eq!(index.find(&person("李文", None, born), "K-1"), Some(0));
        assert_eq!(index.find(&contradicting, "K-1"), None);
        // A different valid ID is someone else, however alike the name and birth date.
        assert_eq!(
            index.find(&person("李文", Some("41152619650408112X"), born), "K-1"),
            None
        );
    }
}
