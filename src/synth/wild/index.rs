//! The roll's people as the wild part looks them up: by ID, by birth date and by name.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::cells::agrees;
use crate::ingest::schema::col;
use crate::synth::{names, Household, Row};

/// A person on the roll, as the wild part needs them.
pub(super) struct RollPerson {
    pub(super) household: usize,
    pub(super) household_id: String,
    pub(super) member_id: String,
    pub(super) name: String,
    pub(super) id: String,
    pub(super) birth: NaiveDate,
}

/// The roll's people by ID, by birth date and by name.
pub(super) struct RollIndex {
    pub(super) people: Vec<RollPerson>,
    pub(super) by_id: HashMap<String, usize>,
    by_birth: HashMap<NaiveDate, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
}

impl RollIndex {
    pub(super) fn new(households: &[Household], roll: &[Row]) -> Self {
        let mut index = RollIndex {
            people: Vec::new(),
            by_id: HashMap::new(),
            by_birth: HashMap::new(),
            by_name: HashMap::new(),
        };
        for (h, household) in households.iter().enumerate() {
            for person in &household.members {
                let rows = || household.rows.iter().map(|&r| &roll[r]);
                // The member's row; a member whose ID was damaged on the roll by name.
                let Some(row) = rows()
                    .find(|row| row[col::NAME] == person.name && row[col::ID_NUMBER] == person.id)
                    .or_else(|| rows().find(|row| row[col::NAME] == person.name))
                else {
                    continue;
                };
                let i = index.people.len();
                index.people.push(RollPerson {
                    household: h,
                    household_id: household.id.clone(),
                    member_id: row[col::MEMBER_ID].to_string(),
                    name: person.name.clone(),
                    id: person.id.clone(),
                    birth: person.birth,
                });
                index.by_id.entry(person.id.clone()).or_insert(i);
                index.by_birth.entry(person.birth).or_default().push(i);
                index
                    .by_name
                    .entry(names::simplified(&person.name))
                    .or_default()
                    .push(i);
            }
        }
        index
    }

    /// Roll people a record with this name (as keyed by `names::simplified`) or this birth
    /// date could be taken for.
    fn candidates(&self, name_key: &str, birth: Option<NaiveDate>) -> Vec<&RollPerson> {
        let mut found: Vec<usize> = self
            .by_name
            .get(name_key)
            .into_iter()
            .flatten()
            .chain(
                birth
                    .and_then(|b| self.by_birth.get(&b))
                    .into_iter()
                    .flatten(),
            )
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.people[i]).collect()
    }

    /// Roll people with exactly this name key and birth date.
    pub(super) fn same_name_and_birth(&self, name_key: &str, birth: NaiveDate) -> Vec<&RollPerson> {
        self.by_name
            .get(name_key)
            .into_iter()
            .flatten()
            .map(|&i| &self.people[i])
            .filter(|p| p.birth == birth)
            .collect()
    }

    /// Whether `masked` (the record of the person with `own_id`, with `name_key` and
    /// `birth`) agrees with that person's roll ID, if any, and with no one else's.
    pub(super) fn unambiguous(
        &self,
        masked: &str,
        own_id: &str,
        name_key: &str,
        birth: Option<NaiveDate>,
    ) -> bool {
        self.candidates(name_key, birth)
            .iter()
            .all(|p| agrees(masked, &p.id) == (p.id == own_id))
    }
}
