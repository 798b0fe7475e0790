//! Pairs roll members with registry records, and roll members with each other.
//! Two paths feed one model: pairs sharing a valid ID (`exact`), decided by the contract's
//! name-compatibility test, and pairs proposed by blocking (`block`) when the IDs are blank,
//! damaged or off by a digit, decided by Fellegi–Sunter probability (`model`) and guards.
//! Every pair carries its comparison levels (`compare`) and per-field weights.
//! Front door: `link::match_sources`.
//! **Invariant:** never reads files and knows nothing about flag reasons.

mod block;
mod columns;
pub mod compare;
pub mod corroborate;
mod decide;
mod exact;
pub mod generic;
pub mod key_index;
pub mod model;
mod namesake_rate;
mod namesakes;
mod pieces;
mod reach;
mod shard;
pub mod words;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::config::{LinkParameters, LinkSpec};
use crate::ingest::{Ingested, OtherPerson, RegistryRecord, RollMember};
use crate::model::RegionCode;
use crate::model::Source;
use crate::normalize::{address, NameLevel, Normalized, Person};
use compare::{id_chars, Side};
pub use compare::{BirthLevel, GenderLevel, IdLevel, Levels, RegionLevel};
pub use model::{Weights, FIELDS};
pub use namesakes::{CensusTable, NameBirthCensus, TermShares};
pub use pieces::{Finish, Holding, PieceLinker, RegistryPiece};
pub use reach::MemberReach;
pub use shard::{LinkedRecords, ScoredPairs, Shard};

/// How a pair was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// The ID cells are identical as written.
    ExactId,
    /// The IDs agree only after normalisation (spacing, width, `x`, 15→18 digits).
    NormalizedId,
    /// Proposed by blocking and scored by the model.
    Probabilistic,
    /// Proposed by a masked ID's visible characters (`411526********123X`) and scored by
    /// the model: the visible characters all agree.
    MaskedId,
    /// A lead the registry settled: its answer to an assistance request (协查) gave the
    /// record the member's ID.
    ConfirmedId,
}

impl Method {
    pub fn code(self) -> &'static str {
        match self {
            Method::ExactId => "exact_id",
            Method::NormalizedId => "normalized_id",
            Method::Probabilistic => "probabilistic",
            Method::MaskedId => "masked_id",
            Method::ConfirmedId => "confirmed_id",
        }
    }
}

/// What the pair means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decision {
    /// The same person: counts for the rules.
    Accepted,
    /// Plausibly the same person: a lead in matches.parquet, never a flag.
    Possible,
    /// Same valid ID, clearly different name: evidence of `identity_conflict` only.
    IdentityConflict,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Accepted => "accepted",
            Decision::Possible => "possible",
            Decision::IdentityConflict => "identity_conflict",
        }
    }
}

/// A roll member paired with a registry record.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub member_idx: usize,
    pub source: Source,
    /// Index into `Ingested::registries`.
    pub registry_idx: usize,
    pub record_idx: usize,
    pub method: Method,
    /// Probability that both sides are the same person, in [0, 1].
    pub score: f64,
    pub levels: Levels,
    pub weights: Weights,
    pub decision: Decision,
    /// Why a scored pair was held back from `Accepted`, when it was.
    pub note: Option<&'static str>,
    /// For a scored pair without a usable or masked ID: how many other people in the
    /// registry's population are expected to share the name and birth date.
    pub expected_namesakes: Option<f64>,
    /// For a pair decided without an ID: how common its agreeing name and birth date are in
    /// the registry's population, as its weights used them.
    pub term_shares: TermShares,
    /// For a pair decided without an ID, when this registry's namesakes show up more often
    /// than its people's own records: how many times (`namesake_rate`).
    pub namesake_rate: Option<f64>,
}

/// Two roll rows carrying the same valid ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollPair {
    pub first_idx: usize,
    pub second_idx: usize,
    pub name: NameLevel,
}

#[derive(Debug, Clone)]
pub struct Links {
    /// Pairs of roll members (`member_idx` indexes the roll).
    pub matches: Vec<Match>,
    /// Pairs of the persons linked beside the roll (`member_idx` indexes
    /// `Normalized::persons`, past the members): the same decisions, kept apart so that
    /// what reads the roll's pairs never meets them.
    pub others: Vec<Match>,
    pub roll_pairs: Vec<RollPair>,
    pub parameters: LinkParameters,
    /// Candidate pairs proposed per blocking rule (before deduplication), plus `id`.
    pub pairs_per_rule: BTreeMap<String, usize>,
    pub candidate_pairs: usize,
}

impl Links {
    /// Accepted matches against one source, in record order.
    pub fn accepted(&self, source: Source) -> impl Iterator<Item = &Match> {
        self.matches
            .iter()
            .filter(move |m| m.source == source && m.decision == Decision::Accepted)
    }
}

/// Decides the pairs that `PieceLinker`s scored (one whole run's, or shards' merged), with
/// the ID-confirmed pairs, over the records they name: those of `ingested` (all records
/// read, or only the linked ones with the pairs renumbered to them). `census` has counted
/// every person read.
pub fn decide_scored(
    ingested: &Ingested,
    normalized: &Normalized,
    spec: &LinkSpec,
    parameters: LinkParameters,
    scored: &ScoredPairs,
    census: &NameBirthCensus,
) -> Links {
    let started = std::time::Instant::now();
    let linker = Linker::new(ingested, normalized);
    let exact_pairs = exact::pairs(normalized, &linker.by_id);
    let exact_levels: Vec<Levels> = linker.levels_of(&exact_pairs);
    let levels: Vec<Levels> = linker.levels_of(&scored.pairs);
    let possible = linker.keep_possible(spec, &parameters, &scored.pairs, &levels);
    let links = linker.decide(
        spec,
        parameters,
        &exact_pairs,
        &exact_levels,
        possible,
        scored,
        census,
    );
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "pairs decided");
    links
}

/// What every way of linking shares: the comparable sides, the roll's ID index and name
/// frequencies.
struct Linker<'a> {
    ingested: &'a Ingested,
    normalized: &'a Normalized,
    by_id: key_index::KeyIndex,
    /// Per member: the share of the roll with their name key; `None` on a roll too small
    /// for term frequencies to mean anything.
    name_u: Vec<Option<f64>>,
}

impl<'a> Linker<'a> {
    fn new(ingested: &'a Ingested, normalized: &'a Normalized) -> Linker<'a> {
        Linker {
            ingested,
            normalized,
            by_id: exact::index_members(&normalized.persons),
            name_u: roll_name_u(&normalized.persons),
        }
    }

    /// The comparison levels of each pair, in order. Each pair's sides are built as it is
    /// compared: a run decides about one pair per linked record, and holding a side for
    /// every person and record instead cost about 120 bytes each at the run's peak.
    fn levels_of(&self, pairs: &[block::Candidate]) -> Vec<Levels> {
        let (ingested, normalized) = (self.ingested, self.normalized);
        pairs
            .par_iter()
            .map(|&(registry_idx, record_idx, member_idx)| {
                let member = person_side(
                    &ingested.roll,
                    &ingested.others,
                    &normalized.persons,
                    member_idx,
                );
                let record = record_side(
                    &ingested.registries[registry_idx].records[record_idx],
                    &normalized.registries[registry_idx][record_idx],
                );
                compare::compare(&member, &record)
            })
            .collect()
    }

    fn name_u(&self, member_idx: usize) -> Option<f64> {
        self.name_u[member_idx]
    }

    /// The blocked pairs scoring at least `possible_probability`, undecided.
    fn keep_possible(
        &self,
        spec: &LinkSpec,
        parameters: &LinkParameters,
        candidates: &[block::Candidate],
        levels: &[Levels],
    ) -> Vec<Match> {
        let registries = &self.ingested.registries;
        keep_possible(
            &|registry_idx| registries[registry_idx].source,
            &self.name_u,
            spec.possible_probability,
            parameters,
            candidates,
            levels,
        )
    }

    /// Decides the ID-confirmed pairs by the name test and the scored pairs by the guards.
    // Whole runs and merges hand over the same parts, made in different ways.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        spec: &LinkSpec,
        parameters: LinkParameters,
        exact_pairs: &[block::Candidate],
        exact_levels: &[Levels],
        scored: Vec<Match>,
        blocking: &ScoredPairs,
        census: &NameBirthCensus,
    ) -> Links {
        let scored_pairs = scored.len();
        let exact_matches: Vec<Match> = exact_pairs
            .par_iter()
            .zip(exact_levels.par_iter())
            .map(|(&(registry_idx, record_idx, member_idx), levels)| {
                let method = if levels.id == IdLevel::Identical {
                    Method::ExactId
                } else {
                    Method::NormalizedId
                };
                let decision = if levels.name.is_compatible() {
                    Decision::Accepted
                } else {
                    Decision::IdentityConflict
                };
                let weights = parameters.weigh(levels, self.name_u(member_idx));
                Match {
                    member_idx,
                    source: self.ingested.registries[registry_idx].source,
                    registry_idx,
                    record_idx,
                    method,
                    score: weights.probability,
                    levels: *levels,
                    weights,
                    decision,
                    note: None,
                    expected_namesakes: None,
                    term_shares: TermShares::default(),
                    namesake_rate: None,
                }
            })
            .collect();
        let mut matches = exact_matches;
        matches.extend(decide::probabilistic(
            scored,
            &matches,
            self.normalized,
            (spec, &parameters),
            census,
        ));
        matches.sort_by_key(|m| (m.registry_idx, m.record_idx, m.member_idx));
        let members = self.normalized.members;
        // Each side sized once: a province decides millions of pairs, and vectors grown by
        // doubling held up to twice their room until the run ended (issue 32).
        let of_members = matches.iter().filter(|m| m.member_idx < members).count();
        let mut others = Vec::with_capacity(matches.len() - of_members);
        let mut of_roll = Vec::with_capacity(of_members);
        for m in matches {
            if m.member_idx < members {
                of_roll.push(m);
            } else {
                others.push(m);
            }
        }
        let matches = of_roll;
        tracing::debug!(scored_pairs, "decided");
        let mut pairs_per_rule = blocking.proposed_per_rule.clone();
        pairs_per_rule.insert("id".into(), exact_pairs.len());
        pairs_per_rule.insert("skipped_large_blocks".into(), blocking.skipped_blocks);
        Links {
            matches,
            others,
            roll_pairs: exact::roll_pairs(self.ingested, self.normalized, &self.by_id),
            parameters,
            pairs_per_rule,
            candidate_pairs: exact_pairs.len() + blocking.compared,
        }
    }
}

/// Positions of `ids` sorted by ID (ties by position): rank → position.
fn id_order<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<usize> {
    let ids: Vec<&str> = ids.collect();
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| (ids[i], i));
    order
}

/// Members and records in all, and those without a usable ID.
#[derive(Debug, Clone, Copy)]
struct IdCounts {
    members: usize,
    members_without: usize,
    records: usize,
    records_without: usize,
}

/// Estimates the prior for pairs where an ID is missing, as EM estimates a mixing weight:
/// the expected number of matches among the missing-ID candidates (their posteriors under
/// that prior) over all missing-ID pairs. Few ID-less records are roll members, so this
/// prior is usually far below the overall one, and namesakes stop looking like matches.
fn with_missing_id_prior<'k>(
    mut parameters: LinkParameters,
    ids: &IdCounts,
    kinds: impl Iterator<Item = (&'k Levels, Option<f64>, usize)>,
) -> LinkParameters {
    if parameters.source != "em" {
        return parameters;
    }
    let IdCounts {
        members,
        members_without,
        records,
        records_without,
    } = *ids;
    #[allow(clippy::cast_precision_loss)]
    let missing_pairs = (records_without * members + members_without * records
        - records_without * members_without) as f64;
    if missing_pairs < 1.0 {
        return parameters;
    }
    // Millions of such pairs share a few thousand (levels, name frequency) groups: weigh
    // each group once per round, in a fixed order so the sum is the same every run.
    let mut groups: BTreeMap<(u64, Option<u64>), (Levels, usize)> = BTreeMap::new();
    for (l, name_u, pairs) in kinds {
        if l.id == IdLevel::Missing {
            // `Identical` and `Normalized` names share a level but not a weight.
            let key =
                model::packed_person_levels(*l) << 1 | u64::from(l.name == NameLevel::Normalized);
            groups
                .entry((key, name_u.map(f64::to_bits)))
                .or_insert((*l, 0))
                .1 += pairs;
        }
    }
    let mut lambda = parameters.lambda;
    for _ in 0..50 {
        parameters.lambda_missing_id = Some(lambda);
        #[allow(clippy::cast_precision_loss)]
        let expected: f64 = groups
            .iter()
            .map(|((_, name_u), (l, n))| {
                *n as f64 * parameters.weigh(l, name_u.map(f64::from_bits)).probability
            })
            .sum();
        let next = (expected / missing_pairs).max(1e-15);
        let settled = (next - lambda).abs() <= lambda * 1e-6;
        lambda = next;
        if settled {
            break;
        }
    }
    parameters.lambda_missing_id = Some(lambda);
    parameters
}

/// A record without a usable ID, or with a mask that agrees, whose name (or its reading)
/// and birth date are the member's: kept whatever the model scores, because `decide`
/// scores it again by how rare the name and birth date are, and the contract makes it a
/// lead at least when namesakes may share them (a common name weighs little, and such a
/// pair can score under `possible_probability`).
fn namesake_lead(levels: Levels) -> bool {
    (levels.id == IdLevel::Missing || levels.id.masked_agreement())
        && levels.birth_date == BirthLevel::Equal
        && matches!(
            levels.name,
            NameLevel::Identical | NameLevel::Normalized | NameLevel::SameReading
        )
}

/// The blocked pairs scoring at least `possible_probability`, or leads by
/// `namesake_lead`, undecided. `source_of` names the source of a registry index; `name_u` is per member.
fn keep_possible(
    source_of: &(dyn Fn(usize) -> Source + Sync),
    name_u: &[Option<f64>],
    possible_probability: f64,
    parameters: &LinkParameters,
    candidates: &[block::Candidate],
    levels: &[Levels],
) -> Vec<Match> {
    candidates
        .par_iter()
        .zip(levels.par_iter())
        .filter_map(|(&(registry_idx, record_idx, member_idx), levels)| {
            let weights = parameters.weigh(levels, name_u[member_idx]);
            let kept = weights.probability >= possible_probability || namesake_lead(*levels);
            kept.then(|| Match {
                member_idx,
                source: source_of(registry_idx),
                registry_idx,
                record_idx,
                method: if levels.id.masked_agreement() {
                    Method::MaskedId
                } else {
                    Method::Probabilistic
                },
                score: weights.probability,
                levels: *levels,
                weights,
                decision: Decision::Possible,
                note: None,
                expected_namesakes: None,
                term_shares: TermShares::default(),
                namesake_rate: None,
            })
        })
        .collect()
}

/// Per member (`persons`, the whole roll), the u of an exact name: how common their name
/// key is on the roll (term frequency).
fn roll_name_u(persons: &[Person]) -> Vec<Option<f64>> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for person in persons {
        *counts.entry(&*person.name.key).or_default() += 1;
    }
    name_u(persons, persons.len(), &|key| counts[key])
}

/// The u of an exact name for each of `persons`, on a roll of `roll_size` members where
/// `count_of(key)` members have that name key; `None` on a roll too small for term
/// frequencies to mean anything. Whole runs and shards share it, so both weigh alike.
fn name_u(
    persons: &[Person],
    roll_size: usize,
    count_of: &dyn Fn(&str) -> usize,
) -> Vec<Option<f64>> {
    #[allow(clippy::cast_precision_loss)]
    persons
        .iter()
        .map(|person| {
            (roll_size >= pieces::MIN_MEMBERS_TO_TRAIN)
                .then(|| count_of(&person.name.key) as f64 / roll_size as f64)
        })
        .collect()
}

/// Where decided pairs' people were placed from (`region_from` in `matches.parquet`). A
/// person's side is made for each of their pairs, not held for every person: a run decides
/// fewer pairs than it links persons, and the sides of a province's persons took 120 bytes
/// each (about 300 MB at 500,000 households) while the match rows were made.
pub struct Placements<'a> {
    ingested: &'a Ingested,
    normalized: &'a Normalized,
}

impl<'a> Placements<'a> {
    pub fn new(ingested: &'a Ingested, normalized: &'a Normalized) -> Placements<'a> {
        Placements {
            ingested,
            normalized,
        }
    }

    /// The side of `normalized.persons[person_idx]`: a member's, then another person's.
    fn side(&self, person_idx: usize) -> Side<'a> {
        let person = &self.normalized.persons[person_idx];
        match self.ingested.roll.get(person_idx) {
            Some(member) => member_side(member, person),
            None => other_side(
                &self.ingested.others[person_idx - self.ingested.roll.len()],
                person,
            ),
        }
    }

    /// The field that placed a pair's people as its region level says; `None` when nothing
    /// placed them. `person_idx` is the pair's person among `normalized.persons`.
    pub fn region_from(
        &self,
        person_idx: usize,
        record: &RegistryRecord,
        person: &Person,
    ) -> Option<corroborate::RegionFrom> {
        match compare::compare_places(&self.side(person_idx), &record_side(record, person)) {
            (RegionLevel::Missing, _) => None,
            (_, compare::PlacedBy::Addresses) => Some(corroborate::RegionFrom::Address),
            (_, compare::PlacedBy::Codes) => corroborate::record_region_from(record, person),
        }
    }
}

/// The county code in a person's usable ID characters.
fn id_region(person: &Person) -> Option<&str> {
    id_chars(person)
        .and_then(|c| RegionCode::parse(c.get(..6)?))
        .map(RegionCode::as_str)
}

/// A member's comparable side. Its region is the most precise code known: the roll's (6
/// digits or more), else the ID's 6 digits.
fn member_side<'a>(member: &'a RollMember, person: &'a Person) -> Side<'a> {
    Side {
        raw_name: &member.name,
        raw_id: member.id_number.as_deref(),
        person,
        region: placed(member.region_code.as_deref(), person),
        birth_date: person.birth_date,
        address: member.address.as_deref().and_then(address::parse),
    }
}

/// A person linked beside the members: placed, like a member, by the code their registry
/// gives them (`relative_region_code`), else by their ID.
fn other_side<'a>(other: &'a OtherPerson, person: &'a Person) -> Side<'a> {
    Side {
        raw_name: &other.person.name,
        raw_id: other.person.id_number.as_deref(),
        person,
        region: placed(other.region_code.as_deref(), person),
        birth_date: person.birth_date,
        address: None,
    }
}

/// The most precise region known for a person: `code` (6 digits or more), else their ID's
/// county.
fn placed<'a>(code: Option<&'a str>, person: &'a Person) -> Option<&'a str> {
    let code = code.and_then(RegionCode::parse);
    let id = || id_chars(person).and_then(|c| RegionCode::parse(c.get(..6)?));
    code.filter(|r| r.county().is_some())
        .or_else(id)
        .map(RegionCode::as_str)
}

/// A record's comparable side. Its region is where it places its person: the ID's county,
/// else its location fields (`corroborate::record_region`).
fn record_side<'a>(record: &'a RegistryRecord, person: &'a Person) -> Side<'a> {
    Side {
        raw_name: &record.person.name,
        raw_id: record.person.id_number.as_deref(),
        person,
        region: corroborate::record_region(record, id_region(person)).map(|(r, _)| r),
        birth_date: record.person.birth_date.or(person.birth_date),
        address: record.person.address.as_deref().and_then(address::parse),
    }
}

/// The comparable sides of every person a run links: the roll's members, then `others`
/// (`persons` parallel to both, in that order).
fn person_sides<'a>(
    roll: &'a [RollMember],
    others: &'a [OtherPerson],
    persons: &'a [Person],
) -> Vec<Side<'a>> {
    (0..persons.len())
        .into_par_iter()
        .map(|idx| person_side(roll, others, persons, idx))
        .collect()
}

/// The comparable side of person `idx` among `persons` (the roll's members, then `others`).
fn person_side<'a>(
    roll: &'a [RollMember],
    others: &'a [OtherPerson],
    persons: &'a [Person],
    idx: usize,
) -> Side<'a> {
    let person = &persons[idx];
    match roll.get(idx) {
        Some(member) => member_side(member, person),
        None => other_side(&others[idx - roll.len()], person),
    }
}

/// The comparable sides of registry records (`persons` parallel to `records`).
fn record_sides<'a>(records: &'a [RegistryRecord], persons: &'a [Person]) -> Vec<Side<'a>> {
    records
        .iter()
        .zip(persons)
        .map(|(record, person)| record_side(record, person))
        .collect()
}
