//! Sharded linking for clusters. The registries, which dwarf the roll, are what shards
//! split: every shard reads the roll and indexes it, and links the registry pieces that are
//! its own; `merge` collects the pairs and makes every decision that spans records or
//! members (one member per record, one death per member) over all of them at once, so N
//! shards give exactly what one process gives.
//!
//! The partition is by piece: each registry is cut into pieces of `--piece-rows` rows, file
//! by file, and the pieces are numbered over all registries in the pipeline's order; shard
//! K of N links the pieces whose number is K modulo N. A record is named by its number in
//! its registry (rows of earlier files plus its row), which no piece size changes.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::block::{Blocked, Candidate};
use super::key_index;
use crate::config::LinkSpec;
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

    /// Whether this shard links registry piece number `piece` (counted over all registries).
    pub fn takes(self, piece: usize) -> bool {
        piece % self.count as usize == self.index as usize
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
            merged.skipped_blocks += shard.skipped_blocks;
        }
        merged.pairs.sort_unstable();
        merged
    }
}

/// Which records of a registry a run holds: those that share a valid ID with a roll member
/// or appear in a scored pair. Decisions and rules look at no other record (bar a registry
/// a SQL rule reads whole), so a run holds what is linked, not every registry.
pub struct LinkedRecords {
    by_id: key_index::KeyIndex,
}

impl LinkedRecords {
    /// From the roll's ID index, built already (`exact::index_members`).
    pub(super) fn of_index(by_id: key_index::KeyIndex) -> LinkedRecords {
        LinkedRecords { by_id }
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
        let by_id = self.by_id.join(persons, |p| p.valid_id().map(|v| v.key));
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
    fn every_piece_is_taken_by_exactly_one_shard_in_turn() {
        for count in [1, 3, 8] {
            for piece in 0..50 {
                let takers: Vec<u32> = (0..count)
                    .filter(|&index| Shard { index, count }.takes(piece))
                    .collect();
                assert_eq!(takers.len(), 1, "piece {piece} of {count}: {takers:?}");
                assert_eq!(takers[0] as usize, piece % count as usize);
            }
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
}
