//! Linking a registry one piece at a time: the one core of whole runs, shards and the
//! in-memory `match_sources`. A `PieceLinker` holds the roll's side (its members' comparable
//! sides, the blocking indexes and the ID index, built once); each `RegistryPiece` is
//! joined on valid IDs, blocked, compared and scored (or kept for training) and can then be
//! dropped. So a run's memory is the roll plus one piece plus what links, whatever the
//! registries' size.

use std::collections::{BTreeMap, BinaryHeap};

use rayon::prelude::*;

use super::block::{self, Candidate};
// The finaliser of `SplitMix64`: spreads a hash's bits over all 64.
use super::key_index::{spread as mix, KeyIndex};
use super::shard::{LinkedRecords, ScoredPairs};
use super::{
    id_order, keep_possible, model, person_sides, record_sides, roll_name_u, with_missing_id_prior,
    IdCounts, Levels, Side,
};
use crate::config::{LinkParameters, LinkSpec};
use crate::ingest::{OtherPerson, RegistryRecord, RollMember};
use crate::model::Source;
use crate::normalize::Person;

/// Random pairs drawn to estimate u-probabilities.
const RANDOM_PAIRS: usize = 100_000;
/// Each record stands for this many random pairs (with members its hash picks), so a county
/// with a few thousand registry rows still gives u enough pairs to learn from.
const PAIRS_PER_RECORD: u64 = 8;
/// Too few people to learn from: below this, shipped defaults are used.
pub(super) const MIN_MEMBERS_TO_TRAIN: usize = 500;
const EM_ITERATIONS: usize = 50;

/// One piece of a registry, as read: its records and their normalised persons.
#[derive(Clone, Copy)]
pub struct RegistryPiece<'p> {
    /// The registry's place among the run's (`Ingested::registries`).
    pub registry_idx: usize,
    pub source: Source,
    /// Each record's number in its registry (ascending; the same in every run, shard and
    /// merge of the same inputs, whatever the pieces' size).
    pub numbers: &'p [usize],
    pub records: &'p [RegistryRecord],
    pub persons: &'p [Person],
}

/// Links roll members to registry pieces; `finish` gives the model and the pairs worth
/// deciding (`decide_scored` decides them).
pub struct PieceLinker<'a> {
    members: Vec<Side<'a>>,
    indexes: Vec<block::RuleIndex>,
    by_id: KeyIndex,
    name_u: Vec<Option<f64>>,
    /// Counts of every piece and, under fixed parameters, the pairs scoring as possible.
    scored: ScoredPairs,
    /// The source of each registry seen, by index.
    sources: Vec<Source>,
    scoring: Scoring,
}

enum Scoring {
    /// The pipeline's parameters: each piece is scored as it comes.
    Fixed {
        parameters: LinkParameters,
        possible_probability: f64,
    },
    /// Parameters learned from this run: every pair's levels are kept until `finish`.
    Train(Box<Training>),
}

/// What training needs of every piece.
#[derive(Default)]
struct Training {
    exact_levels: Vec<Levels>,
    candidates: Vec<Candidate>,
    levels: Vec<Levels>,
    random: RandomPairs,
    records: usize,
    records_without_id: usize,
}

impl<'a> PieceLinker<'a> {
    /// For the whole roll and the persons linked beside it (`persons` parallel to `roll`,
    /// then `others`): trains on the run's pieces unless the pipeline fixes `[link]
    /// parameters`.
    pub fn whole(
        roll: &'a [RollMember],
        others: &'a [OtherPerson],
        persons: &'a [Person],
        spec: &LinkSpec,
    ) -> Self {
        let started = std::time::Instant::now();
        let members = person_sides(roll, others, persons);
        let regions: Vec<Option<&str>> = members.iter().map(|m| m.region).collect();
        let indexes = spec
            .blocking
            .iter()
            .map(|&rule| block::RuleIndex::new(rule, persons, &regions))
            .collect();
        let scoring = match &spec.parameters {
            Some(parameters) => Scoring::Fixed {
                parameters: parameters.clone(),
                possible_probability: spec.possible_probability,
            },
            None => Scoring::Train(Box::new(Training {
                random: RandomPairs::new(
                    roll.iter()
                        .map(|m| m.member_id.as_str())
                        .chain(others.iter().map(|o| o.key.as_str())),
                ),
                ..Training::default()
            })),
        };
        let linker = PieceLinker {
            indexes,
            by_id: super::exact::index_members(persons),
            name_u: roll_name_u(persons),
            scored: ScoredPairs::empty(spec),
            sources: Vec::new(),
            scoring,
            members,
        };
        tracing::debug!(
            members = persons.len(),
            seconds = started.elapsed().as_secs_f64(),
            "roll indexed"
        );
        linker
    }

    /// Links one piece. Returns the positions, in the piece, of the records that may link:
    /// those sharing a valid ID with a member and those in a pair worth deciding (under
    /// fixed parameters) or in any blocked pair (while training), ascending.
    pub fn link(&mut self, piece: RegistryPiece) -> Vec<usize> {
        let started = std::time::Instant::now();
        if self.sources.len() <= piece.registry_idx {
            self.sources.resize(piece.registry_idx + 1, piece.source);
        }
        self.sources[piece.registry_idx] = piece.source;
        let records = record_sides(piece.records, piece.persons);
        let regions: Vec<Option<&str>> = records.iter().map(|r| r.region).collect();
        let exact = self
            .by_id
            .join(piece.persons.iter().map(|p| p.valid_id().map(|v| v.key)));
        let blocked = block::candidates_of_registry(
            &self.indexes,
            piece.registry_idx,
            piece.persons,
            &regions,
        );
        let levels_of = |pairs: &[Candidate]| -> Vec<Levels> {
            pairs
                .par_iter()
                .map(|&(_, record_idx, member_idx)| {
                    super::compare::compare(&self.members[member_idx], &records[record_idx])
                })
                .collect()
        };
        let levels = levels_of(&blocked.candidates);
        let counts = ScoredPairs::counts_of(&blocked);
        let mut linked: Vec<usize> = exact.iter().map(|&(record_idx, _)| record_idx).collect();
        let global = |(registry_idx, record_idx, member_idx): Candidate| {
            (registry_idx, piece.numbers[record_idx], member_idx)
        };
        match &mut self.scoring {
            Scoring::Fixed {
                parameters,
                possible_probability,
            } => {
                let source = piece.source;
                let possible = keep_possible(
                    &|_| source,
                    &self.name_u,
                    *possible_probability,
                    parameters,
                    &blocked.candidates,
                    &levels,
                );
                linked.extend(possible.iter().map(|m| m.record_idx));
                self.scored.absorb(
                    counts,
                    possible
                        .iter()
                        .map(|m| global((m.registry_idx, m.record_idx, m.member_idx))),
                );
            }
            Scoring::Train(training) => {
                let exact_pairs: Vec<Candidate> = exact
                    .iter()
                    .map(|&(record_idx, member_idx)| (piece.registry_idx, record_idx, member_idx))
                    .collect();
                training.exact_levels.extend(levels_of(&exact_pairs));
                training.records += records.len();
                training.records_without_id += records.iter().filter(|s| s.has_no_id()).count();
                training.random.offer(piece, &records, &self.members);
                linked.extend(blocked.candidates.iter().map(|c| c.1));
                training
                    .candidates
                    .extend(blocked.candidates.iter().map(|&c| global(c)));
                training.levels.extend(levels);
                self.scored.absorb(counts, std::iter::empty());
            }
        }
        linked.sort_unstable();
        linked.dedup();
        tracing::debug!(
            source = piece.source.code(),
            records = piece.records.len(),
            linked = linked.len(),
            seconds = started.elapsed().as_secs_f64(),
            "piece linked"
        );
        linked
    }

    /// The model (the pipeline's, learned from every piece, or the defaults on a roll too
    /// small to learn from), the blocked pairs scoring at least `possible_probability` or
    /// kept as namesake leads, in pair order, and the records worth holding (its ID index).
    pub fn finish(self, spec: &LinkSpec) -> (LinkParameters, ScoredPairs, LinkedRecords) {
        let started = std::time::Instant::now();
        let mut scored = self.scored;
        let parameters = match self.scoring {
            Scoring::Fixed { parameters, .. } => parameters,
            Scoring::Train(training) => {
                let members = self.members.len();
                let ids = IdCounts {
                    members,
                    members_without: self.members.iter().filter(|s| s.has_no_id()).count(),
                    records: training.records,
                    records_without: training.records_without_id,
                };
                let parameters = with_missing_id_prior(
                    train(&training, members),
                    &ids,
                    &training.candidates,
                    &training.levels,
                    &|member_idx| self.name_u[member_idx],
                );
                let sources = &self.sources;
                let possible = keep_possible(
                    &|registry_idx| sources[registry_idx],
                    &self.name_u,
                    spec.possible_probability,
                    &parameters,
                    &training.candidates,
                    &training.levels,
                );
                scored.pairs.extend(
                    possible
                        .iter()
                        .map(|m| (m.registry_idx, m.record_idx, m.member_idx)),
                );
                parameters
            }
        };
        scored.pairs.sort_unstable();
        tracing::debug!(
            pairs = scored.pairs.len(),
            compared = scored.compared,
            seconds = started.elapsed().as_secs_f64(),
            "pieces finished (model trained or fixed)"
        );
        (parameters, scored, LinkedRecords::of_index(self.by_id))
    }
}

/// Trains on the run's own pairs when there are enough people; defaults otherwise.
fn train(training: &Training, members: usize) -> LinkParameters {
    let defaults = LinkParameters::defaults();
    if members < MIN_MEMBERS_TO_TRAIN {
        return defaults;
    }
    // Millions of pairs show a few hundred distinct vectors: count those, in the order
    // `fit_m` takes them, without a vector per pair.
    let counts = training
        .exact_levels
        .par_iter()
        .chain(training.levels.par_iter())
        .fold(
            BTreeMap::new,
            |mut counts: BTreeMap<u64, (Levels, usize)>, levels| {
                counts
                    .entry(model::packed_person_levels(*levels))
                    .or_insert((*levels, 0))
                    .1 += 1;
                counts
            },
        )
        .reduce(BTreeMap::new, |mut a, b| {
            for (key, (levels, n)) in b {
                a.entry(key).or_insert((levels, 0)).1 += n;
            }
            a
        });
    #[allow(clippy::cast_precision_loss)]
    let patterns: Vec<model::Pattern> = counts
        .into_values()
        .map(|(levels, n)| (model::person_levels(levels), n as f64))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let total_pairs = members as f64 * training.records as f64;
    defaults
        .with_u_from(&model::PERSON, &training.random.levels())
        .fit_m_patterns(
            &model::PERSON,
            &patterns,
            total_pairs,
            // Most candidates share a valid ID and are matches; EM starts from a modest share.
            0.1,
            EM_ITERATIONS,
        )
}

/// Random (record, member) pairs for u, the same however the registries' rows are split
/// across files and pieces or ordered within them: each record stands for
/// `PAIRS_PER_RECORD` pairs, each with a hash of the record's source and id; the
/// `RANDOM_PAIRS` pairs with the smallest hashes are kept (a uniform sample of records),
/// each with the member its hash picks among the members in ID order.
#[derive(Default)]
struct RandomPairs {
    /// (hash, levels), the largest hash on top.
    kept: BinaryHeap<(u64, Vec<usize>)>,
    /// Member positions in member-ID order.
    member_order: Vec<usize>,
}

impl RandomPairs {
    /// Over the persons with these keys (member ids, then others' keys).
    fn new<'k>(keys: impl Iterator<Item = &'k str>) -> RandomPairs {
        RandomPairs {
            kept: BinaryHeap::new(),
            member_order: id_order(keys),
        }
    }

    /// Offers every pair of a piece's records (`sides` parallel to its records).
    fn offer(&mut self, piece: RegistryPiece, sides: &[Side], members: &[Side]) {
        if self.member_order.is_empty() {
            return;
        }
        let bound = match self.kept.peek() {
            Some((largest, _)) if self.kept.len() >= RANDOM_PAIRS => *largest,
            _ => u64::MAX,
        };
        let source = fnv1a64(piece.source.code().as_bytes());
        let members_n = self.member_order.len() as u64;
        let mut offered: Vec<(u64, usize, usize)> = piece
            .records
            .par_iter()
            .enumerate()
            .flat_map_iter(|(record_idx, record)| {
                let base = source ^ mix(fnv1a64(record.record_id.as_bytes()));
                (0..PAIRS_PER_RECORD).filter_map(move |unit| {
                    let hash = mix(base ^ mix(unit.wrapping_add(0x5EED)));
                    (hash < bound).then(|| {
                        #[allow(clippy::cast_possible_truncation)]
                        let rank = (mix(hash) % members_n) as usize;
                        (hash, record_idx, rank)
                    })
                })
            })
            .collect();
        offered.par_sort_unstable();
        offered.truncate(RANDOM_PAIRS);
        let order = &self.member_order;
        let levels: Vec<(u64, Vec<usize>)> = offered
            .par_iter()
            .map(|&(hash, record_idx, rank)| {
                let levels = super::compare::compare(&members[order[rank]], &sides[record_idx]);
                (hash, model::person_levels(levels))
            })
            .collect();
        for entry in levels {
            self.kept.push(entry);
            if self.kept.len() > RANDOM_PAIRS {
                self.kept.pop();
            }
        }
    }

    fn levels(&self) -> Vec<Vec<usize>> {
        self.kept.iter().map(|(_, levels)| levels.clone()).collect()
    }
}

/// FNV-1a 64: fixed by its definition, unlike Rust's `DefaultHasher`, so a hash means the
/// same on every machine and version.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_its_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
