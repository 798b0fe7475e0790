//! Doubts behind the household-income rules (issue "every doubt reaches a clerk"). A member's
//! `possible` pair becomes a lead when its record alone would raise a reason
//! (`would_raise`), but `income_over_standard` and `supporter_capacity` rest on several
//! records and on people beyond the roll: a supporter's wage or car, the relations row that
//! makes them a supporter, a member's own wage. Here the two rules run once more in a
//! hopeful world, where every `possible` pair counts as accepted. A household the hopeful run flags and the real run does
//! not has a doubt: each `possible` pair among the records its hopeful flag rests on is a
//! lead for that reason, to be settled by a visit or the registry (协查).

use std::collections::{BTreeSet, HashMap, HashSet};

use super::income::Incomes;
use super::supporters::ByPerson;
use super::{income_over_standard, supporter_capacity, BuiltIn, Context, Flag};
use crate::link::{Decision, Match};
use crate::model::Reason;

/// The rules whose flags rest on supporters and household income.
const HOUSEHOLD_RULES: [BuiltIn; 2] = [income_over_standard::RULE, supporter_capacity::RULE];

/// A `possible` pair among `Links::matches` (a member's) or `Links::others` (a supporter's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PairAt {
    Member(usize),
    Other(usize),
}

impl PairAt {
    pub fn of(self, links: &crate::link::Links) -> &Match {
        match self {
            PairAt::Member(i) => &links.matches[i],
            PairAt::Other(i) => &links.others[i],
        }
    }
}

/// A household a reason would flag were `pair` the same person.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Doubt {
    pub household_id: String,
    pub reason: Reason,
    pub pair: PairAt,
}

/// Whether a pair counts in the hopeful world but not in the run's.
fn hopeful(m: &Match) -> bool {
    m.decision == Decision::Possible
}

/// The households a hopeful world may change: those of the members with a `possible` pair,
/// and those a person with one supports; then every household of their supporters, whose
/// shares depend on all the members they support (`Incomes::compute_for`). A relative whom
/// only a doubted relations row makes a supporter is split over the households found here:
/// were they to support others too, they would seem to owe more, which can add a lead but
/// never a flag.
fn affected_households<'c>(context: &Context<'c>, pairs: &[PairAt]) -> HashSet<&'c str> {
    let links = context.links;
    let roll = &context.ingested.roll;
    let doubted: HashSet<usize> = pairs.iter().map(|at| at.of(links).member_idx).collect();
    let mut affected: HashSet<&str> = doubted
        .iter()
        .filter_map(|&idx| roll.get(idx).map(|member| member.household_id.as_str()))
        .collect();
    let supporters = &context.incomes.supporters;
    affected.extend(
        supporters
            .iter()
            .filter(|s| doubted.contains(&s.support.person_idx))
            .map(|s| s.support.household_id.as_str()),
    );
    let sharing: HashSet<usize> = supporters
        .iter()
        .filter(|s| affected.contains(s.support.household_id.as_str()))
        .map(|s| s.support.person_idx)
        .collect();
    affected.extend(
        supporters
            .iter()
            .filter(|s| sharing.contains(&s.support.person_idx))
            .map(|s| s.support.household_id.as_str()),
    );
    affected
}

/// The doubts of a run whose flags are `flags`: households the two household rules would
/// flag were the `possible` pairs they read the same person, with each such pair.
pub fn household_doubts(context: &Context, flags: &[Flag]) -> Vec<Doubt> {
    let links = context.links;
    let pairs: Vec<PairAt> = (0..links.matches.len())
        .map(PairAt::Member)
        .chain((0..links.others.len()).map(PairAt::Other))
        .filter(|at| hopeful(at.of(links)))
        .collect();
    if pairs.is_empty() {
        return Vec::new();
    }
    let by_person = ByPerson::counting(links, context.normalized.persons.len(), hopeful);
    let affected = affected_households(context, &pairs);
    let incomes = Incomes::compute_for(context, &by_person, &|h| affected.contains(h));
    let world = Context {
        incomes: &incomes,
        ..*context
    };
    // Whose pairs may settle a household's doubt: its members and its supporters.
    let supporting: HashSet<(&str, usize)> = incomes
        .supporters
        .iter()
        .map(|s| (s.support.household_id.as_str(), s.support.person_idx))
        .collect();
    let roll = &context.ingested.roll;
    let concerned = |household: &str, person_idx: usize| {
        roll.get(person_idx)
            .is_some_and(|member| member.household_id == household)
            || supporting.contains(&(household, person_idx))
    };
    let mut by_record: HashMap<&str, Vec<PairAt>> = HashMap::new();
    for &at in &pairs {
        by_record
            .entry(context.record(at.of(links)).record_id.as_str())
            .or_default()
            .push(at);
    }
    let flagged: HashSet<(&str, Reason)> = flags
        .iter()
        .map(|f| (f.household_id.as_str(), f.reason))
        .collect();
    let mut doubts = BTreeSet::new();
    for rule in HOUSEHOLD_RULES {
        if !context.pipeline.rules.spec(rule.reason).enabled {
            continue;
        }
        for finding in (rule.evaluate)(&world) {
            let household = finding.household_id.as_str();
            let stands_in = rule
                .unless
                .is_some_and(|u| flagged.contains(&(household, u)));
            if flagged.contains(&(household, rule.reason)) || stands_in {
                continue;
            }
            for record_id in &finding.record_ids {
                let candidates = by_record.get(record_id.as_str()).into_iter().flatten();
                for &at in candidates {
                    if concerned(household, at.of(links).member_idx) {
                        doubts.insert(Doubt {
                            household_id: finding.household_id.clone(),
                            reason: rule.reason,
                            pair: at,
                        });
                    }
                }
            }
        }
    }
    doubts.into_iter().collect()
}
