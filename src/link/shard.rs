//! Sharded linking for clusters. A shard links the roll members of its households against
//! every registry record, one piece of a registry at a time, and keeps the blocked pairs
//! that scored as at least possible; `merge` collects those pairs and makes every decision
//! that spans members (one member per record, one death per member) over all of them at
//! once, so N shards give exactly what one process gives.
//!
//! The partition is by household: FNV-1a 64 of the `household_id` text (UTF-8) modulo N.
//! FNV is fixed by its definition, unlike Rust's `DefaultHasher`, so a shard means the same
//! households on every machine and version.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use super::block::{self, Blocked, Candidate};
use super::{exact, key_index, member_regions};
use crate::config::LinkSpec;
use crate::ingest::RollMember;
use crate::model::BlockingRule;
use crate::normalize::Person;

/// Shard `index` of `count` (0-based, as Kubernetes' `JOB_COMPLETION_INDEX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The whole roll as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether this shard links the members of `household_id`.
    pub fn holds(self, household_id: &str) -> bool {
        fnv1a64(household_id.as_bytes()) % u64::from(self.count) == u64::from(self.index)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let usage = || format!("`{text}` is not a shard: write K/N with 0 ≤ K < N, e.g. 0/8");
        let (index, count) = text.split_once('/').ok_or_else(usage)?;
        let index: u32 = index.trim().parse().map_err(|_| usage())?;
        let count: u32 = count.trim().parse().map_err(|_| usage())?;
        if count == 0 || index >= count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

pub(super) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// What a shard's linking produced: the blocked pairs of its members that scored at least
/// `possible_probability`, before any decision that spans members.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoredPairs {
    /// (registry index, record index, member index), sorted.
    pub pairs: Vec<Candidate>,
    /// Blocked pairs proposed per rule for these members (before deduplication).
    pub proposed_per_rule: BTreeMap<String, usize>,
    /// Distinct blocked pairs compared.
    pub compared: usize,
    /// Record keys that hit a block too large to compare (the same in every shard).
    pub skipped_blocks: usize,
}

impl ScoredPairs {
    /// Nothing scored yet; every blocking rule counted, even one that proposes nothing.
    pub(super) fn empty(spec: &LinkSpec) -> ScoredPairs {
        ScoredPairs {
            proposed_per_rule: spec
                .blocking
                .iter()
                .map(|rule| (rule.code().to_string(), 0))
                .collect(),
            ..ScoredPairs::default()
        }
    }

    /// The counts of a blocking pass, no pairs yet.
    pub(super) fn counts_of(blocked: &Blocked) -> ScoredPairs {
        ScoredPairs {
            pairs: Vec::new(),
            proposed_per_rule: blocked
                .pairs_per_rule
                .iter()
                .map(|(rule, n)| ((*rule).to_string(), *n))
                .collect(),
            compared: blocked.candidates.len(),
            skipped_blocks: blocked.skipped_blocks,
        }
    }

    /// Adds one registry's counts and pairs to a shard's (`counts` has no pairs of its own).
    pub(super) fn absorb(&mut self, counts: ScoredPairs, pairs: impl Iterator<Item = Candidate>) {
        for (rule, n) in counts.proposed_per_rule {
            *self.proposed_per_rule.entry(rule).or_default() += n;
        }
        self.compared += counts.compared;
        self.skipped_blocks += counts.skipped_blocks;
        self.pairs.extend(pairs);
    }

    /// The records of one registry that the pairs name (ascending, with repeats).
    pub fn records_of(&self, registry_idx: usize) -> impl Iterator<Item = usize> + '_ {
        let start = self.pairs.partition_point(|p| p.0 < registry_idx);
        self.pairs[start..]
            .iter()
            .take_while(move |p| p.0 == registry_idx)
            .map(|p| p.1)
    }

    /// Renumbers the records of registry `registry_idx` to their places in `kept` (ascending,
    /// holding every record the pairs name), as when only those records are held.
    ///
    /// # Panics
    /// If a pair names a record not in `kept`.
    pub fn renumber_records(&mut self, registry_idx: usize, kept: &[usize]) {
        for pair in self.pairs.iter_mut().filter(|p| p.0 == registry_idx) {
            pair.1 = kept
                .binary_search(&pair.1)
                .expect("kept holds every record the pairs name");
        }
    }

    /// The pairs of all shards as if one process had scored them.
    pub fn merge(shards: Vec<ScoredPairs>) -> ScoredPairs {
        let mut merged = ScoredPairs::default();
        for shard in shards {
            merged.pairs.extend(shard.pairs);
            for (rule, n) in shard.proposed_per_rule {
                *merged.proposed_per_rule.entry(rule).or_default() += n;
            }
            merged.compared += shard.compared;
            merged.skipped_blocks = shard.skipped_blocks;
        }
        merged.pairs.sort_unstable();
        merged
    }
}

/// What a shard must know of the whole roll while it keeps only its own households'
/// members: how many members there are, how common each name key is (for the u of an exact
/// name) and, per blocking rule, every member's keys (to find the blocks too large to
/// compare). Counted piece by piece as the roll is read.
pub struct RollCensus {
    rules: Vec<BlockingRule>,
    members: usize,
    name_counts: HashMap<String, usize>,
    keys: Vec<Vec<u64>>,
}

impl RollCensus {
    pub fn new(spec: &LinkSpec) -> RollCensus {
        RollCensus {
            rules: spec.blocking.clone(),
            members: 0,
            name_counts: HashMap::new(),
            keys: vec![Vec::new(); spec.blocking.len()],
        }
    }

    /// Members counted so far.
    pub fn members(&self) -> usize {
        self.members
    }

    /// The rules, each rule's keys, the name-key counts and the members counted.
    pub(super) fn into_parts(
        self,
    ) -> (
        Vec<BlockingRule>,
        Vec<Vec<u64>>,
        HashMap<String, usize>,
        usize,
    ) {
        (self.rules, self.keys, self.name_counts, self.members)
    }

    /// Counts the next piece of the roll (`persons` parallel to `roll`).
    pub fn count(&mut self, roll: &[RollMember], persons: &[Person]) {
        self.members += roll.len();
        for person in persons {
            *self.name_counts.entry(person.name.key.clone()).or_default() += 1;
        }
        let regions = member_regions(roll, persons);
        for (rule, keys) in self.rules.iter().zip(&mut self.keys) {
            keys.extend(block::keys_of(*rule, persons, &regions));
        }
    }
}

/// Which records of a registry a run holds: those that share a valid ID with a roll member
/// or appear in a scored pair. Decisions and rules look at no other record (bar a registry
/// a SQL rule reads whole), so a run holds what is linked, not every registry.
pub struct LinkedRecords {
    by_id: key_index::KeyIndex,
}

impl LinkedRecords {
    /// For the whole roll's `members`.
    pub fn new(members: &[Person]) -> LinkedRecords {
        LinkedRecords {
            by_id: exact::index_members(members),
        }
    }

    /// The positions, ascending, of the records to hold among `persons` of registry
    /// `registry_idx`, whose numbers in that registry are `numbers` (ascending).
    pub fn keep(
        &self,
        registry_idx: usize,
        numbers: &[usize],
        persons: &[Person],
        scored: &ScoredPairs,
    ) -> Vec<usize> {
        let by_id = self
            .by_id
            .join(persons.iter().map(|p| p.valid_id().map(|v| v.key)));
        let paired = scored
            .records_of(registry_idx)
            .filter_map(|number| numbers.binary_search(&number).ok());
        let mut kept: Vec<usize> = by_id
            .into_iter()
            .map(|(position, _)| position)
            .chain(paired)
            .collect();
        kept.sort_unstable();
        kept.dedup();
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shards_and_rejects_nonsense() {
        assert_eq!("2/8".parse(), Ok(Shard { index: 2, count: 8 }));
        assert_eq!(" 0 / 1 ".parse(), Ok(Shard::ALL));
        for bad in ["8/8", "1/0", "3", "a/b", "-1/4", ""] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains("K/N"), "{bad}: {err}");
        }
    }

    #[test]
    fn every_household_is_in_exactly_one_shard() {
        for count in [1, 3, 8] {
            let mut sizes = vec![0usize; count as usize];
            for h in 0..3000 {
                let id = format!("H{h:06}");
                let holders: Vec<u32> = (0..count)
                    .filter(|&index| Shard { index, count }.holds(&id))
                    .collect();
                assert_eq!(holders.len(), 1, "{id} in {holders:?}");
                sizes[holders[0] as usize] += 1;
            }
            // The hash spreads households evenly enough that no shard is idle.
            let smallest = *sizes.iter().min().unwrap();
            assert!(smallest * count as usize > 3000 / 2, "{sizes:?}");
        }
    }

    #[test]
    fn records_of_a_registry_are_renumbered_to_the_kept_ones() {
        let mut scored = ScoredPairs {
            pairs: vec![(0, 4, 1), (1, 2, 0), (1, 7, 3), (1, 7, 5), (2, 0, 0)],
            ..ScoredPairs::default()
        };
        assert_eq!(scored.records_of(1).collect::<Vec<_>>(), [2, 7, 7]);
        assert_eq!(scored.records_of(3).count(), 0);
        scored.renumber_records(1, &[1, 2, 5, 7]);
        assert_eq!(
            scored.pairs,
            [(0, 4, 1), (1, 1, 0), (1, 3, 3), (1, 3, 5), (2, 0, 0)]
        );
    }

    #[test]
    fn fnv_matches_its_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
