//! Which registry records may link to a roll member at all: those sharing a valid ID with a
//! member or proposed with one by a blocking rule. Every pair a run links is one of these
//! (blocks over the members alone are never larger than over every person linked, so none
//! is skipped that a run would compare), so a record outside them is about someone else.
//! A run uses it to read only the `relations` rows whose person may be a member: the
//! relatives of anyone else are never a member's supporters, and a province's relations
//! registry names most of its population.

use super::pieces::RollIndexes;
use super::{person_sides, record_sides};
use crate::config::LinkSpec;
use crate::ingest::{RegistryRecord, RollMember};
use crate::normalize::Person;

/// The roll's ID index and blocking indexes, over the members alone.
pub struct MemberReach {
    roll: RollIndexes,
}

impl MemberReach {
    /// Over the roll's members (`persons` parallel to `roll`).
    pub fn new(roll: &[RollMember], persons: &[Person], spec: &LinkSpec) -> MemberReach {
        MemberReach {
            roll: RollIndexes::new(persons, &person_sides(roll, &[], persons), spec),
        }
    }

    /// Whether each record (`persons` parallel to `records`) may link to a member.
    pub fn reached(&self, records: &[RegistryRecord], persons: &[Person]) -> Vec<bool> {
        let (exact, blocked) = self.roll.probe(0, persons, &record_sides(records, persons));
        let mut reached = vec![false; records.len()];
        let blocked = blocked
            .candidates
            .into_iter()
            .map(|(_, record_idx, _)| record_idx);
        for record_idx in exact
            .into_iter()
            .map(|(record_idx, _)| record_idx)
            .chain(blocked)
        {
            reached[record_idx] = true;
        }
        reached
    }
}
