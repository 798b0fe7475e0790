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
    id_order, keep_possible, model, namesake_lead, person_sides, record_sides, roll_name_u,
    with_missing_id_prior, BirthLevel, IdCounts, IdLevel, Levels, Side,
};
use crate::config::{LinkParameters, LinkSpec};
use crate::ingest::{OtherPerson, RegistryRecord, RollMember};
use crate::model::Source;
use crate::normalize::{NameLevel, Person};

/// Random pairs drawn to estimate u-probabilities.
const RANDOM_PAIRS: usize = 100_000;
/// Each record stands for this many random pairs (with members its hash picks), so a county
/// with a few thousand registry rows still gives u enough pairs to learn from.
const PAIRS_PER_RECORD: u64 = 8;
/// Too few people to learn from: below this, shipped defaults are used.
pub(super) const MIN_MEMBERS_TO_TRAIN: usize = 500;
const EM_ITERATIONS: usize = 50;
/// What a run holds of the blocked pairs while the model trains. Training itself needs only
/// counts (each kind of pair, the random pairs): holding a pair is for scoring it after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// The pairs that show some sign of being one person (`may_link`): memory grows with
    /// what may link, not with the registries.
    Likely,
    /// No pair: the registries are linked again under the trained model. The least memory,
    /// twice the reading; tests use it to check that `Likely` loses nothing.
    Nothing,
}

/// Whether a pair shows a sign of being one person: an ID that agrees at least in part, or
/// a name that agrees at least in part with a birth date that does not differ. Most blocked
/// pairs show none (people who share a birth date and a surname's reading, or a homophone
/// name born another day). No model trained here keeps such a pair (the smallest gap is in
/// BENCHMARKS.md), and should one, the run links the registries again (`Finish::Again`): the
/// test bounds memory, never the result.
fn may_link(levels: Levels) -> bool {
    let id_agrees = !matches!(
        levels.id,
        IdLevel::Different | IdLevel::MaskedDisagree | IdLevel::Missing
    );
    id_agrees || (levels.name != NameLevel::Different && levels.birth_date != BirthLevel::Different)
}

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
    roll: RollIndexes,
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
    /// Parameters learned from this run: every pair is counted by kind, and the likely ones
    /// are held until `finish` scores them.
    Train(Box<Training>),
}

/// A kind of blocked pair: its levels and its member's name frequency (`name_u`, as bits).
/// Every pair of a kind scores the same under any parameters.
type PairKind = (Levels, Option<u64>);

/// What training needs of every piece.
struct Training {
    /// The comparison vectors of pairs joined on a valid ID, counted by packed levels.
    exact_patterns: BTreeMap<u64, (Levels, usize)>,
    /// Blocked pairs of each kind, counted.
    kinds: BTreeMap<PairKind, usize>,
    /// The blocked pairs held, and their levels.
    candidates: Vec<Candidate>,
    levels: Vec<Levels>,
    random: RandomPairs,
    ids: IdCounts,
    holding: Holding,
}

impl Training {
    /// Whether pairs with these levels are held.
    fn holds(&self, levels: Levels) -> bool {
        self.holding == Holding::Likely && may_link(levels)
    }

    /// The model the pairs counted so far give (after every piece, the run's model).
    fn model(&self) -> LinkParameters {
        with_missing_id_prior(
            train(self),
            &self.ids,
            self.kinds
                .iter()
                .map(|((levels, name_u), &pairs)| (levels, name_u.map(f64::from_bits), pairs)),
        )
    }

    /// The pairs let go of a kind that `parameters` keep (scoring at least
    /// `possible_probability`, or namesake leads). Logs how many pairs were held and how close
    /// training came to letting go of a kept one: the highest weight a kind let go gets, in
    /// bits above `possible_probability`'s (negative: none is kept).
    fn let_go_but_kept(&self, parameters: &LinkParameters, spec: &LinkSpec) -> usize {
        let threshold = logit2(spec.possible_probability);
        let (mut kept, mut highest) = (0, f64::NEG_INFINITY);
        for ((levels, name_u), &pairs) in &self.kinds {
            if self.holds(*levels) {
                continue;
            }
            let weights = parameters.weigh(levels, name_u.map(f64::from_bits));
            highest = highest.max(weights.total - threshold);
            if weights.probability >= spec.possible_probability || namesake_lead(*levels) {
                kept += pairs;
            }
        }
        tracing::debug!(
            kinds = self.kinds.len(),
            blocked = self.kinds.values().sum::<usize>(),
            held = self.candidates.len(),
            highest_let_go_bits = highest,
            "pairs held while training"
        );
        kept
    }

    /// Counts the blocked pairs of a piece by kind and holds those `holds` takes; returns
    /// the positions, in the piece, of the records held.
    fn count_and_hold(
        &mut self,
        name_u: &[Option<f64>],
        blocked: &[Candidate],
        levels: Vec<Levels>,
        global: impl Fn(Candidate) -> Candidate,
    ) -> Vec<usize> {
        // Counted by kind in parallel (a piece of a province blocks millions of pairs), then
        // added to the few thousand kinds seen.
        let counted = blocked
            .par_iter()
            .zip(&levels)
            .fold(
                std::collections::HashMap::<PairKind, usize>::new,
                |mut counts, (candidate, &levels)| {
                    *counts
                        .entry((levels, name_u[candidate.2].map(f64::to_bits)))
                        .or_default() += 1;
                    counts
                },
            )
            .collect::<Vec<_>>();
        for (kind, pairs) in counted.into_iter().flatten() {
            *self.kinds.entry(kind).or_default() += pairs;
        }
        let mut held = Vec::new();
        for (&candidate, levels) in blocked.iter().zip(levels) {
            if self.holds(levels) {
                held.push(candidate.1);
                self.candidates.push(global(candidate));
                self.levels.push(levels);
            }
        }
        held
    }
}

/// The ID index and blocking indexes of the persons a run links, which every registry
/// record is probed against.
pub(super) struct RollIndexes {
    indexes: Vec<block::RuleIndex>,
    by_id: KeyIndex,
}

impl RollIndexes {
    /// Over `persons`, whose comparable sides are `sides` (parallel).
    pub(super) fn new(persons: &[Person], sides: &[Side], spec: &LinkSpec) -> RollIndexes {
        let regions: Vec<Option<&str>> = sides.iter().map(|side| side.region).collect();
        RollIndexes {
            indexes: spec
                .blocking
                .iter()
                .map(|&rule| block::RuleIndex::new(rule, persons, &regions))
                .collect(),
            by_id: super::exact::index_members(persons),
        }
    }

    /// Of a piece's records (`persons` and `sides` parallel to them): the (record, person)
    /// pairs sharing a valid ID, and the blocked candidates.
    pub(super) fn probe(
        &self,
        registry_idx: usize,
        persons: &[Person],
        sides: &[Side],
    ) -> (Vec<(usize, usize)>, block::Blocked) {
        let regions: Vec<Option<&str>> = sides.iter().map(|side| side.region).collect();
        let exact = self.by_id.join(persons, |p| p.valid_id().map(|v| v.key));
        let blocked = block::candidates_of_registry(&self.indexes, registry_idx, persons, &regions);
        (exact, blocked)
    }
}

/// What `PieceLinker::finish` gives.
pub enum Finish<'a> {
    /// The model, the blocked pairs scoring at least `possible_probability` or kept as
    /// namesake leads, in pair order, and the records worth holding (its ID index).
    Done(LinkParameters, ScoredPairs, LinkedRecords),
    /// Training let go of a kind of pair that the trained model keeps: link every piece
    /// again with this linker, which scores under the trained model, and finish it.
    Again(PieceLinker<'a>),
}

impl Finish<'_> {
    /// The result of a linker whose parameters were fixed before any piece (shards).
    ///
    /// # Panics
    /// If the linker trained and must link again: only fixed parameters finish at once.
    pub fn fixed(self) -> (LinkParameters, ScoredPairs, LinkedRecords) {
        match self {
            Finish::Done(parameters, scored, linked) => (parameters, scored, linked),
            Finish::Again(_) => panic!("a linker with fixed parameters never links again"),
        }
    }
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
        holding: Holding,
    ) -> Self {
        let started = std::time::Instant::now();
        let members = person_sides(roll, others, persons);
        let scoring = match &spec.parameters {
            Some(parameters) => Scoring::Fixed {
                parameters: parameters.clone(),
                possible_probability: spec.possible_probability,
            },
            None => Scoring::Train(Box::new(Training {
                exact_patterns: BTreeMap::new(),
                kinds: BTreeMap::new(),
                candidates: Vec::new(),
                levels: Vec::new(),
                random: RandomPairs::new(
                    roll.iter()
                        .map(|m| m.member_id.as_str())
                        .chain(others.iter().map(|o| o.key.as_str())),
                ),
                ids: IdCounts {
                    members: members.len(),
                    members_without: members.iter().filter(|s| s.has_no_id()).count(),
                    records: 0,
                    records_without: 0,
                },
                holding,
            })),
        };
        let linker = PieceLinker {
            roll: RollIndexes::new(persons, &members, spec),
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
    /// fixed parameters) or in a blocked pair held while training, ascending.
    pub fn link(&mut self, piece: RegistryPiece) -> Vec<usize> {
        let started = std::time::Instant::now();
        if self.sources.len() <= piece.registry_idx {
            self.sources.resize(piece.registry_idx + 1, piece.source);
        }
        self.sources[piece.registry_idx] = piece.source;
        let records = record_sides(piece.records, piece.persons);
        let (exact, blocked) = self.roll.probe(piece.registry_idx, piece.persons, &records);
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
                for levels in levels_of(&exact_pairs) {
                    let packed = model::packed_person_levels(levels);
                    training
                        .exact_patterns
                        .entry(packed)
                        .or_insert((levels, 0))
                        .1 += 1;
                }
                training.ids.records += records.len();
                training.ids.records_without += records.iter().filter(|s| s.has_no_id()).count();
                training.random.offer(piece, &records, &self.members);
                linked.extend(training.count_and_hold(
                    &self.name_u,
                    &blocked.candidates,
                    levels,
                    global,
                ));
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
    /// kept as namesake leads, in pair order, and the records worth holding (its ID index);
    /// or, when training let go of pairs the trained model keeps, a linker to link every
    /// piece again with.
    pub fn finish(self, spec: &LinkSpec) -> Finish<'a> {
        let started = std::time::Instant::now();
        let mut scored = self.scored;
        let parameters = match self.scoring {
            Scoring::Fixed { parameters, .. } => parameters,
            Scoring::Train(training) => {
                let parameters = training.model();
                let let_go = training.let_go_but_kept(&parameters, spec);
                if let_go > 0 {
                    tracing::info!(
                        pairs = let_go,
                        "training let go of pairs the trained model keeps: linking the \
                         registries again under it"
                    );
                    return Finish::Again(PieceLinker {
                        scored: ScoredPairs::empty(spec),
                        sources: Vec::new(),
                        scoring: Scoring::Fixed {
                            parameters,
                            possible_probability: spec.possible_probability,
                        },
                        ..self
                    });
                }
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
        Finish::Done(parameters, scored, LinkedRecords::of_index(self.roll.by_id))
    }
}

/// The base-2 log-odds of a probability: the match weight that scores it.
fn logit2(probability: f64) -> f64 {
    (probability / (1.0 - probability)).log2()
}

/// Trains on the run's own pairs when there are enough people; defaults otherwise.
fn train(training: &Training) -> LinkParameters {
    let defaults = LinkParameters::defaults();
    let members = training.ids.members;
    if members < MIN_MEMBERS_TO_TRAIN {
        return defaults;
    }
    // Millions of pairs show a few hundred distinct vectors: count those, in the order
    // `fit_m` takes them, without a vector per pair.
    let mut counts = training.exact_patterns.clone();
    for ((levels, _), &pairs) in &training.kinds {
        counts
            .entry(model::packed_person_levels(*levels))
            .or_insert((*levels, 0))
            .1 += pairs;
    }
    #[allow(clippy::cast_precision_loss)]
    let patterns: Vec<model::Pattern> = counts
        .into_values()
        .map(|(levels, n)| (model::person_levels(levels), n as f64))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let total_pairs = members as f64 * training.ids.records as f64;
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
