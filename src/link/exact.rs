//! Agreement on the normalised valid ID, joined on the compact u64 key.

use std::collections::HashMap;

use rayon::prelude::*;

use super::{id_confirmed_score, BirthLevel, Decision, IdLevel, Levels, Match, Method, RollPair};
use crate::ingest::Ingested;
use crate::model::Source;
use crate::normalize::{compare_names, NameLevel, Normalized};

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

pub(super) fn match_registry(
    ingested: &Ingested,
    normalized: &Normalized,
    by_id: &MembersById,
    registry_idx: usize,
    source: Source,
) -> Vec<Match> {
    let records = &ingested.registries[registry_idx].records;
    let persons = &normalized.registries[registry_idx];
    records
        .par_iter()
        .zip(persons.par_iter())
        .enumerate()
        .flat_map_iter(|(record_idx, (record, person))| {
            let members = person
                .valid_id()
                .and_then(|valid| by_id.get(&valid.key))
                .map_or(&[][..], Vec::as_slice);
            members.iter().map(move |&member_idx| {
                let member = &ingested.roll[member_idx];
                let member_person = &normalized.members[member_idx];
                let name = compare_names(
                    &member.name,
                    &member_person.name,
                    &record.person.name,
                    &person.name,
                );
                let same_text = trimmed_eq(
                    member.id_number.as_deref(),
                    record.person.id_number.as_deref(),
                );
                let levels = Levels {
                    id: if same_text {
                        IdLevel::Identical
                    } else {
                        IdLevel::Normalized
                    },
                    name,
                    birth_date: BirthLevel::of(record.person.birth_date, member_person.birth_date),
                };
                Match {
                    member_idx,
                    source,
                    registry_idx,
                    record_idx,
                    method: if same_text {
                        Method::ExactId
                    } else {
                        Method::NormalizedId
                    },
                    score: id_confirmed_score(name),
                    levels,
                    decision: decide(name),
                }
            })
        })
        .collect()
}

fn trimmed_eq(a: Option<&str>, b: Option<&str>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a.trim() == b.trim())
}

fn decide(name: NameLevel) -> Decision {
    if name.is_compatible() {
        Decision::Accepted
    } else {
        Decision::IdentityConflict
    }
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
