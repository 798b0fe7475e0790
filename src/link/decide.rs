//! Which scored pairs count. A probability above `match_probability` is necessary, not
//! sufficient: the contract's guards hold a pair back as `Possible` (with a note) when a
//! name stands uncorroborated, when namesakes make it ambiguous, when something contradicts
//! it, or when a better or an ID-confirmed pair claims the same record.

use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;

use super::namesake_rate::NamesakeRates;
use super::namesakes::NameBirthCensus;
use super::{BirthLevel, Decision, GenderLevel, IdLevel, Match};
use crate::config::{LinkParameters, LinkSpec};
use crate::model::Source;
use crate::normalize::id::masked_shows_little;
use crate::normalize::{NameLevel, Normalized, Person};

/// Two scores closer than this are a tie: neither pair wins.
const TIE: f64 = 1e-9;

/// Decides the blocked pairs, given the ID-confirmed pairs already made. A pair decided
/// without an ID is scored on the population's scale (`weigh_in_population`): how rare its
/// name and birth date are decides it, through one probability and the namesakes it implies.
pub(super) fn probabilistic(
    mut scored: Vec<Match>,
    exact: &[Match],
    normalized: &Normalized,
    (spec, parameters): (&LinkSpec, &LinkParameters),
    census: &NameBirthCensus,
) -> Vec<Match> {
    let namesakes = namesake_counts(normalized);
    let rates = namesake_rates(&scored, normalized, spec, census);
    for m in &mut scored {
        let member = &normalized.persons[m.member_idx];
        let population = spec.population_of(m.source);
        // For a pair decided without an ID: the persons linked in this run with its name and
        // birth date (the member among them).
        let without_id = as_without_id(m, normalized).then(|| {
            namesake_key(member)
                .and_then(|key| namesakes.get(&key))
                .copied()
                .unwrap_or(0)
        });
        if let Some(linked) = without_id {
            let birth_equal = m.levels.birth_date == BirthLevel::Equal;
            // Others linked in this run with the name and birth date are namesakes for sure.
            let others = linked.saturating_sub(1);
            let shares = census.shares(member, m.levels.name, birth_equal);
            // The population's namesakes weigh as often as they show up in this registry;
            // the others linked here are people, each as likely as the member.
            let rate = rates.factor(m.source, shares.expected_namesakes(population));
            m.term_shares = shares.with_known_others(others, population * rate);
            m.namesake_rate = (rate > 1.0).then_some(rate);
            m.weights = parameters.weigh_in_population(&m.levels, m.term_shares, population * rate);
            m.score = m.weights.probability;
            m.expected_namesakes = shares
                .with_known_others(others, population)
                .expected_namesakes(population);
        } else if m.levels.id.masked_agreement() && m.levels.birth_date != BirthLevel::Equal {
            m.expected_namesakes = masked_pattern(m, normalized)
                .and_then(|pattern| census.expected_masked_namesakes(member, pattern, population));
        }
        m.note = guard(m, normalized, without_id, spec.max_expected_namesakes);
        if m.note.is_none() && m.score >= spec.match_probability {
            m.decision = Decision::Accepted;
        }
    }
    let linked_by_id: HashSet<(usize, usize)> = exact
        .iter()
        .map(|m| (m.registry_idx, m.record_idx))
        .collect();
    one_member_per_record(&mut scored, &linked_by_id);
    one_death_per_member(&mut scored, exact);
    scored
}

/// Each registry's namesake rates (`NamesakeRates`), fitted on the pairs without an ID whose
/// full name and birth date agree, against every linked person's expected namesakes; the
/// rate itself from where namesakes are too many for a flag (`max_expected_namesakes`).
fn namesake_rates(
    scored: &[Match],
    normalized: &Normalized,
    spec: &LinkSpec,
    census: &NameBirthCensus,
) -> NamesakeRates {
    let counted = |m: &Match| {
        matches!(m.levels.name, NameLevel::Identical | NameLevel::Normalized)
            && m.levels.birth_date == BirthLevel::Equal
            && as_without_id(m, normalized)
    };
    if !scored.iter().any(counted) {
        return NamesakeRates::default();
    }
    // Each linked person's expected namesakes per person of the population, once: the
    // exposure of everyone, and the figure of each counted pair's person.
    let per_person: Vec<Option<f64>> = normalized
        .persons
        .par_iter()
        .map(|person| {
            census
                .shares(person, NameLevel::Identical, true)
                .expected_namesakes(1.0)
        })
        .collect();
    let mut observed: BTreeMap<Source, Vec<f64>> = BTreeMap::new();
    for m in scored.iter().filter(|m| counted(m)) {
        if let Some(share) = per_person[m.member_idx] {
            let expected = share * spec.population_of(m.source);
            observed.entry(m.source).or_default().push(expected);
        }
    }
    let people: Vec<f64> = per_person.into_iter().flatten().collect();
    let rates = NamesakeRates::fit(
        observed,
        &people,
        |source| spec.population_of(source),
        spec.max_expected_namesakes,
    );
    tracing::debug!(?rates, "namesake rates");
    rates
}

/// The first reason a pair may not be accepted, if any. `without_id`: for a pair decided
/// without an ID, the persons linked in the run with its name and birth date.
fn guard(
    m: &Match,
    normalized: &Normalized,
    without_id: Option<usize>,
    max_expected_namesakes: f64,
) -> Option<&'static str> {
    let levels = &m.levels;
    if levels.name == NameLevel::Different {
        return Some("names clearly differ");
    }
    if levels.gender == GenderLevel::Different {
        return Some("gender differs");
    }
    if levels.id == IdLevel::Different {
        return Some("IDs disagree");
    }
    if levels.id == IdLevel::MaskedDisagree {
        return Some("a visible character of the masked ID disagrees");
    }
    if levels.id.masked_agreement()
        && levels.birth_date != BirthLevel::Equal
        && masked_pattern(m, normalized).is_none_or(|p| p.as_bytes()[6..14].contains(&b'*'))
        && m.expected_namesakes
            .is_none_or(|n| n > max_expected_namesakes)
    {
        // Without the birth date, the visible region and last four characters single out
        // one person only under a name rare enough in the registry's population.
        return Some("masked ID without an agreeing birth date; others with the name may show the same characters");
    }
    if let Some(linked) = without_id {
        // A name with no usable ID needs the birth date, and must point at one person.
        if levels.birth_date != BirthLevel::Equal {
            return Some("no ID and no agreeing birth date");
        }
        if linked > 1 {
            return Some("name and birth date shared by several people on the roll");
        }
        // Unknown frequencies are no evidence of rarity.
        if m.expected_namesakes
            .is_none_or(|n| n > max_expected_namesakes)
        {
            return Some(
                "others in the registry's population likely share the name and birth date",
            );
        }
    }
    None
}

/// Whether a pair is decided as one without an ID: none usable, or a mask whose few
/// agreeing characters say little (`masked_shows_little`; disagreeing, they rule it out).
fn as_without_id(m: &Match, normalized: &Normalized) -> bool {
    m.levels.id == IdLevel::Missing
        || (m.levels.id.masked_agreement()
            && masked_pattern(m, normalized).is_some_and(masked_shows_little))
}

/// The masked ID of a pair (on either side).
fn masked_pattern<'a>(m: &Match, normalized: &'a Normalized) -> Option<&'a str> {
    let record = &normalized.registries[m.registry_idx][m.record_idx];
    let member = &normalized.persons[m.member_idx];
    record.id.masked().or(member.id.masked())
}

/// A person's (birth date, name reading), when the birth date is known.
fn namesake_key(person: &Person) -> Option<(chrono::NaiveDate, String)> {
    person
        .birth_date
        .map(|d| (d, person.name.reading.join(" ")))
}

/// Distinct persons on the roll per (birth date, name reading).
fn namesake_counts(normalized: &Normalized) -> HashMap<(chrono::NaiveDate, String), usize> {
    let mut persons: HashMap<(chrono::NaiveDate, String), HashSet<u64>> = HashMap::new();
    for (member_idx, person) in normalized.persons.iter().enumerate() {
        let Some(birth) = person.birth_date else {
            continue;
        };
        // A person is their valid ID; a member without one counts on their own.
        let identity = person
            .valid_id()
            .map_or(u64::MAX - member_idx as u64, |v| v.key);
        persons
            .entry((birth, person.name.reading.join(" ")))
            .or_default()
            .insert(identity);
    }
    persons
        .into_iter()
        .map(|(key, ids)| (key, ids.len()))
        .collect()
}

fn hold_back(m: &mut Match, note: &'static str) {
    if m.decision == Decision::Accepted {
        m.decision = Decision::Possible;
        m.note = Some(note);
    }
}

/// A record is one person: it goes to its best member, or to none on a tie, and never
/// against an ID-confirmed link.
fn one_member_per_record(scored: &mut [Match], linked_by_id: &HashSet<(usize, usize)>) {
    settle_competitions(
        scored,
        |m| Some((m.registry_idx, m.record_idx)),
        |record| linked_by_id.contains(record),
        Notes {
            confirmed: "record already linked by ID to another member",
            lost: "another member matches this record better",
            tied: "two members match this record equally",
        },
    );
}

/// A person dies once: a member keeps only their best death record.
fn one_death_per_member(scored: &mut [Match], exact: &[Match]) {
    let dead_by_id: HashSet<usize> = exact
        .iter()
        .filter(|m| m.source == Source::Death && m.decision == Decision::Accepted)
        .map(|m| m.member_idx)
        .collect();
    settle_competitions(
        scored,
        |m| (m.source == Source::Death).then_some(m.member_idx),
        |member_idx| dead_by_id.contains(member_idx),
        Notes {
            confirmed: "member already has an ID-confirmed death record",
            lost: "a better death record competes for this member",
            tied: "death records compete equally for this member",
        },
    );
}

/// What a competition's losers are told.
#[derive(Clone, Copy)]
struct Notes {
    /// An ID-confirmed pair already holds what they compete for.
    confirmed: &'static str,
    /// Another pair scores better.
    lost: &'static str,
    /// Two pairs score alike.
    tied: &'static str,
}

/// Accepted pairs compete when they share a key (`key_of`; `None` takes no part): where an
/// ID-confirmed pair already holds the key, every one is held back; otherwise the best alone
/// stays (`resolve_competition`).
fn settle_competitions<K: Ord>(
    scored: &mut [Match],
    key_of: impl Fn(&Match) -> Option<K>,
    confirmed: impl Fn(&K) -> bool,
    notes: Notes,
) {
    let mut by_key: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for (i, m) in scored.iter().enumerate() {
        if m.decision == Decision::Accepted {
            if let Some(key) = key_of(m) {
                by_key.entry(key).or_default().push(i);
            }
        }
    }
    for (key, indices) in by_key {
        if confirmed(&key) {
            for i in indices {
                hold_back(&mut scored[i], notes.confirmed);
            }
            continue;
        }
        resolve_competition(scored, &indices, notes.lost, notes.tied);
    }
}

/// Keeps the single best of competing accepted pairs; on a tie keeps none.
fn resolve_competition(
    scored: &mut [Match],
    indices: &[usize],
    lost: &'static str,
    tied: &'static str,
) {
    if indices.len() < 2 {
        return;
    }
    let best = indices
        .iter()
        .copied()
        .max_by(|a, b| scored[*a].score.total_cmp(&scored[*b].score))
        .expect("two or more");
    let best_score = scored[best].score;
    let tie = indices
        .iter()
        .any(|&i| i != best && (scored[i].score - best_score).abs() < TIE);
    for &i in indices {
        if tie {
            hold_back(&mut scored[i], tied);
        } else if i != best {
            hold_back(&mut scored[i], lost);
        }
    }
}
