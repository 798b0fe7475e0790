//! Which registry records may link to a roll member at all: those sharing a valid ID with a
//! member or proposed with one by a blocking rule. Every pair a run links is one of these
//! (blocks over the members alone are never larger than over every person linked, so none
//! is skipped that a run would compare), so a record outside them is about someone else.
//! A run uses it to read only the `relations` rows whose person may be a member: the
//! relatives of anyone else are never a member's supporters, and a province's relations
//! registry names most of its population.

use super::block::{self, RuleIndex};
use super::key_index::KeyIndex;
use super::{exact, person_sides, record_sides};
use crate::config::LinkSpec;
use crate::ingest::{RegistryRecord, RollMember};
use crate::normalize::Person;

/// The roll's ID index and blocking indexes, over the members alone.
pub struct MemberReach {
    indexes: Vec<RuleIndex>,
    by_id: KeyIndex,
}

impl MemberReach {
    /// Over the roll's members (`persons` parallel to `roll`).
    pub fn new(roll: &[RollMember], persons: &[Person], spec: &LinkSpec) -> MemberReach {
        let sides = person_sides(roll, &[], persons);
        let regions: Vec<Option<&str>> = sides.iter().map(|side| side.region).collect();
        MemberReach {
            indexes: spec
                .blocking
                .iter()
                .map(|&rule| RuleIndex::new(rule, persons, &regions))
                .collect(),
            by_id: exact::index_members(persons),
        }
    }

    /// Whether each record (`persons` parallel to `records`) may link to a member.
    pub fn reached(&self, records: &[RegistryRecord], persons: &[Person]) -> Vec<bool> {
        let mut reached = vec![false; records.len()];
        let keys = persons.iter().map(|p| p.valid_id().map(|valid| valid.key));
        for (record_idx, _) in self.by_id.join(keys) {
            reached[record_idx] = true;
        }
        let sides = record_sides(records, persons);
        let regions: Vec<Option<&str>> = sides.iter().map(|side| side.region).collect();
        let blocked = block::candidates_of_registry(&self.indexes, 0, persons, &regions);
        for (_, record_idx, _) in blocked.candidates {
            reached[record_idx] = true;
        }
        reached
    }
}
