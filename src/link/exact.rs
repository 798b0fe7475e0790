//! Pairs that share a valid ID, joined on the ID's compact u64 key.

use std::collections::HashMap;

use super::block::Candidate;
use super::RollPair;
use crate::ingest::Ingested;
use crate::normalize::{compare_names, Normalized};

/// Roll member indices by ID key, each list in roll order.
pub(super) type MembersById = HashMap<u64, Vec<usize>>;

pub(super) fn index_members(normalized: &Normalized) -> MembersById {
    let mut by_id: MembersById = HashMap::new();
    for (member_idx, person) in normalized.members.iter().enumerate() {
        if let Some(valid) = person.valid_id() {
            by_id.entry(valid.key).or_default().push(member_idx);
        }
    }
    by_id
}

/// Every (registry, record, member) sharing a valid ID, in registry and record order.
pub(super) fn pairs(normalized: &Normalized, by_id: &MembersById) -> Vec<Candidate> {
    let mut pairs = Vec::new();
    for (registry_idx, persons) in normalized.registries.iter().enumerate() {
        for (record_idx, person) in persons.iter().enumerate() {
            let Some(valid) = person.valid_id() else {
                continue;
            };
            for &member_idx in by_id.get(&valid.key).map_or(&[][..], Vec::as_slice) {
                pairs.push((registry_idx, record_idx, member_idx));
            }
        }
    }
    pairs
}

/// Every pair of roll rows sharing a valid ID, with how their names compare.
pub(super) fn roll_pairs(
    ingested: &Ingested,
    normalized: &Normalized,
    by_id: &MembersById,
) -> Vec<RollPair> {
    let mut groups: Vec<&Vec<usize>> = by_id.values().filter(|members| members.len() > 1).collect();
    groups.sort_unstable();
    let mut pairs = Vec::new();
    for members in groups {
        for (i, &first_idx) in members.iter().enumerate() {
            for &second_idx in &members[i + 1..] {
                let (a, b) = (&ingested.roll[first_idx], &ingested.roll[second_idx]);
                let name = compare_names(
                    &a.name,
                    &normalized.members[first_idx].name,
                    &b.name,
                    &normalized.members[second_idx].name,
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
