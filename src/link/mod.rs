//! Pairs roll members with registry records, and roll members with each other.
//! Today: agreement on the normalised valid ID, with the contract's name-compatibility test
//! deciding between a match and an `identity_conflict`. Probabilistic matching for blank or
//! damaged IDs plugs in beside `exact` and returns the same `Match`.
//! Front door: `link::match_sources`.
//! **Invariant:** never reads files and knows nothing about flag reasons.

mod exact;

use chrono::NaiveDate;

use crate::ingest::Ingested;
use crate::model::Source;
use crate::normalize::{NameLevel, Normalized};

/// How a pair was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// The ID cells are identical as written.
    ExactId,
    /// The IDs agree only after normalisation (spacing, width, `x`, 15→18 digits).
    NormalizedId,
    Probabilistic,
}

impl Method {
    pub fn code(self) -> &'static str {
        match self {
            Method::ExactId => "exact_id",
            Method::NormalizedId => "normalized_id",
            Method::Probabilistic => "probabilistic",
        }
    }
}

/// What the pair means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decision {
    /// The same person: counts for the rules.
    Accepted,
    /// Same valid ID, clearly different name: evidence of `identity_conflict` only.
    IdentityConflict,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Accepted => "accepted",
            Decision::IdentityConflict => "identity_conflict",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdLevel {
    Identical,
    /// Equal after normalisation.
    Normalized,
}

impl IdLevel {
    pub fn code(self) -> &'static str {
        match self {
            IdLevel::Identical => "identical",
            IdLevel::Normalized => "normalized",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BirthLevel {
    Equal,
    Different,
    /// The record states no birth date of its own.
    Missing,
}

impl BirthLevel {
    pub fn code(self) -> &'static str {
        match self {
            BirthLevel::Equal => "equal",
            BirthLevel::Different => "different",
            BirthLevel::Missing => "missing",
        }
    }

    fn of(stated: Option<NaiveDate>, member: Option<NaiveDate>) -> BirthLevel {
        match (stated, member) {
            (Some(a), Some(b)) if a == b => BirthLevel::Equal,
            (Some(_), Some(_)) => BirthLevel::Different,
            _ => BirthLevel::Missing,
        }
    }
}

/// The per-field comparison levels behind a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Levels {
    pub id: IdLevel,
    pub name: NameLevel,
    pub birth_date: BirthLevel,
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
    /// Probability-like confidence that both sides are the same person, in [0, 1].
    pub score: f64,
    pub levels: Levels,
    pub decision: Decision,
}

/// Two roll rows carrying the same valid ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollPair {
    pub first_idx: usize,
    pub second_idx: usize,
    pub name: NameLevel,
}

#[derive(Debug, Clone, Default)]
pub struct Links {
    pub matches: Vec<Match>,
    pub roll_pairs: Vec<RollPair>,
}

impl Links {
    /// Accepted matches against one source, in roll/record order.
    pub fn accepted(&self, source: Source) -> impl Iterator<Item = &Match> {
        self.matches
            .iter()
            .filter(move |m| m.source == source && m.decision == Decision::Accepted)
    }
}

/// Links every registry record and every roll member that can be linked.
pub fn match_sources(ingested: &Ingested, normalized: &Normalized) -> Links {
    let by_id = exact::index_members(normalized);
    let mut matches = Vec::new();
    for (registry_idx, registry) in ingested.registries.iter().enumerate() {
        matches.extend(exact::match_registry(
            ingested,
            normalized,
            &by_id,
            registry_idx,
            registry.source,
        ));
    }
    let roll_pairs = exact::roll_pairs(ingested, normalized, &by_id);
    Links {
        matches,
        roll_pairs,
    }
}

/// The score of an ID-confirmed pair: full for equal names, slightly less as names vary.
fn id_confirmed_score(name: NameLevel) -> f64 {
    match name {
        NameLevel::Identical | NameLevel::Normalized => 1.0,
        NameLevel::SameReading => 0.99,
        NameLevel::OneCharDiff => 0.97,
        NameLevel::Different => 0.0,
    }
}
