//! Pairs that share a valid ID, joined on the ID's compact u64 key (its first 17 digits)
//! through a `KeyIndex` of the roll.

use super::block::Candidate;
use super::key_index::KeyIndex;
use super::RollPair;
use crate::ingest::Ingested;
use crate::normalize::{compare_names, Normalized, Person};

/// Roll members by ID key.
pub(super) fn index_members(members: &[Person]) -> KeyIndex {
    KeyIndex::new(
        members
            .iter()
            .map(|person| person.valid_id().map(|valid| valid.key)),
    )
}

/// Every (registry, record, member) sharing a valid ID, in registry and record order.
pub(super) fn pairs(normalized: &Normalized, by_id: &KeyIndex) -> Vec<Candidate> {
    let mut pairs = Vec::new();
    for (registry_idx, persons) in normalized.registries.iter().enumerate() {
        pairs.extend(
            by_id
                .join(persons, |p| p.valid_id().map(|valid| valid.key))
                .into_iter()
                .map(|(record_idx, member_idx)| (registry_idx, record_idx, member_idx)),
        );
    }
    pairs
}

/// Every pair of roll rows sharing a valid ID, with how their names compare.
pub(super) fn roll_pairs(
    ingested: &Ingested,
    normalized: &Normalized,
    by_id: &KeyIndex,
) -> Vec<RollPair> {
    let mut pairs = Vec::new();
    for persons in by_id.groups() {
        // Only two roll rows make a roll pair, not a member and a person linked beside them.
        let members: Vec<usize> = persons
            .iter()
            .copied()
            .filter(|&idx| idx < normalized.members)
            .collect();
        for (i, &first_idx) in members.iter().enumerate() {
            for &second_idx in &members[i + 1..] {
                let (a, b) = (&ingested.roll[first_idx], &ingested.roll[second_idx]);
                let name = compare_names(
                    &a.name,
                    &normalized.persons[first_idx].name,
                    &b.name,
                    &normalized.persons[second_idx].name,
                );
                pairs.push(RollPair {
                    first_idx,
                    second_idx,
                    name,
                });
            }
        }
    }
    pairs
}
