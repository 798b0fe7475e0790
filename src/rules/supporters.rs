//! Who supports a roll member (法定赡养、抚养、扶养义务人), and what a person earns at D.
//! A relative in `relations` whose row's person side matches a member is that member's
//! supporter when the relation counts (`[supporters] relations`, `minor_relations` for a
//! member under 18), they are not of the member's own household, and they are not dead at D.
//! A supporter is one person however many rows name them (`normalize::persons`), linked to
//! every registry like a member; `income.rs` turns their income into support owed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::{active_at, property_excess, Context, Household};
use crate::ingest::{RecordDetails, RegistryRecord};
use crate::link::{Decision, Match};
use crate::model::{Kinship, Source};
use crate::normalize::persons::PersonIndex;
use crate::normalize::record_person;

/// Accepted matches by person (members, then others), for what a person earns and owns.
pub struct ByPerson<'c> {
    matches: Vec<Vec<&'c Match>>,
}

impl<'c> ByPerson<'c> {
    /// Over `links`' pairs of the run's `persons` persons (`Normalized::persons`); built
    /// once a run, for incomes and warnings alike.
    pub fn new(links: &'c crate::link::Links, persons: usize) -> ByPerson<'c> {
        Self::counting(links, persons, |_| false)
    }

    /// As `new`, with the pairs `also` picks counted as if accepted (`doubts`' hopeful world).
    pub fn counting(
        links: &'c crate::link::Links,
        persons: usize,
        also: impl Fn(&Match) -> bool,
    ) -> ByPerson<'c> {
        let mut matches = vec![Vec::new(); persons];
        for m in links.matches.iter().chain(&links.others) {
            if m.decision == Decision::Accepted || also(m) {
                matches[m.member_idx].push(m);
            }
        }
        ByPerson { matches }
    }

    /// The person's accepted matches with one registry, with their records.
    pub fn records<'a>(
        &'a self,
        context: &'c Context,
        person_idx: usize,
        source: Source,
    ) -> impl Iterator<Item = (&'c Match, &'c RegistryRecord)> + 'a {
        self.matches[person_idx]
            .iter()
            .filter(move |m| m.source == source)
            .map(move |m| (*m, context.record(m)))
    }

    /// Whether the person matches a death record dated on or before D.
    pub fn dead_at(&self, context: &'c Context, person_idx: usize) -> bool {
        self.records(context, person_idx, Source::Death)
            .any(|(_, r)| matches!(r.details, RecordDetails::Death { death_date, .. } if death_date <= context.as_of))
    }
}

/// A person's income at D (yuan per month): counted pensions active at D plus a wage proxy,
/// the largest contribution base active at D (one job, not a sum).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonIncome {
    pub pension_yuan: f64,
    pub wage_yuan: f64,
    /// The records behind the figures: the pensions counted, then the contribution used.
    pub record_ids: Vec<String>,
    /// Each record in words, in the same order: `P-1企业职工养老金1300元`,
    /// `S-1沈丘县宏达建材有限公司缴费基数3000元`.
    pub parts: Vec<String>,
    /// Each counted amount with the day it started (`since` of `income_over_standard`).
    pub dated: Vec<(NaiveDate, f64)>,
    /// The weakest match the figures rest on.
    pub score: f64,
}

impl PersonIncome {
    pub fn total(&self) -> f64 {
        self.pension_yuan + self.wage_yuan
    }
}

/// What `person_idx` earns at D, counting the pension types `household`'s programme counts.
/// Records are taken once however many of the person's rows matched them.
pub fn income_of(
    context: &Context,
    by_person: &ByPerson,
    person_idxs: &[usize],
    household: &Household,
) -> PersonIncome {
    let counted = &context
        .pipeline
        .programme(household.programme)
        .counted_pension_types;
    let mut income = PersonIncome {
        score: 1.0,
        ..PersonIncome::default()
    };
    let mut seen = BTreeSet::new();
    let mut best_wage: Option<(f64, &RegistryRecord, f64)> = None;
    for &person_idx in person_idxs {
        for (m, record) in by_person.records(context, person_idx, Source::Pension) {
            if let RecordDetails::Pension {
                pension_type,
                monthly_amount,
                start_date,
                end_date,
            } = &record.details
            {
                if counted.contains(pension_type)
                    && active_at(*start_date, *end_date, context.as_of)
                    && seen.insert((m.registry_idx, m.record_idx))
                {
                    income.pension_yuan += monthly_amount;
                    income.dated.push((*start_date, *monthly_amount));
                    income.record_ids.push(record.record_id.clone());
                    income.parts.push(format!(
                        "{}{}{}",
                        record.record_id,
                        pension_type.label_zh(),
                        super::yuan_standard(*monthly_amount)
                    ));
                    income.score = income.score.min(m.score);
                }
            }
        }
        for (m, record) in by_person.records(context, person_idx, Source::Contributions) {
            if let RecordDetails::Contribution {
                contribution_base,
                start_date,
                end_date,
                ..
            } = &record.details
            {
                let larger = best_wage.is_none_or(|(base, best, _)| {
                    (*contribution_base, &record.record_id) > (base, &best.record_id)
                });
                if active_at(*start_date, *end_date, context.as_of) && larger {
                    best_wage = Some((*contribution_base, record, m.score));
                }
            }
        }
    }
    if let Some((base, record, score)) = best_wage {
        income.wage_yuan = base;
        if let RecordDetails::Contribution { start_date, .. } = &record.details {
            income.dated.push((*start_date, base));
        }
        income.record_ids.push(record.record_id.clone());
        let employer = match &record.details {
            RecordDetails::Contribution {
                employer: Some(employer),
                ..
            } => employer.as_str(),
            _ => "",
        };
        income.parts.push(format!(
            "{}{employer}缴费基数{}",
            record.record_id,
            super::yuan_standard(base)
        ));
        income.score = income.score.min(score);
    }
    income
}

/// One (member, supporter) pair, as the relations registry names it.
#[derive(Debug, Clone)]
pub struct Support {
    pub household_id: String,
    pub member_idx: usize,
    /// The supporter among `Normalized::persons` (a member of another household, or one of
    /// `Ingested::others`).
    pub person_idx: usize,
    pub kinship: Kinship,
    /// The first relations record naming the pair.
    pub record_id: String,
    /// Persons in the supporter's household (the record's, else the pipeline's default).
    pub household_size: u32,
    /// The weakest of the two links: the record's person to the member, the relative to
    /// their own records is scored per record.
    pub score: f64,
}

/// Something a supporter owns that would flag a household by itself, for evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    pub record_ids: Vec<String>,
    /// `名下车辆1处（V0001）`.
    pub text: String,
    /// The weakest match it rests on.
    pub score: f64,
}

/// The supporters of every member, in (household, member, supporter) order: each pair once.
/// `keep` picks the households whose members' supporters are looked up.
pub fn supports(
    context: &Context,
    by_person: &ByPerson,
    keep: &(dyn Fn(&str) -> bool + Sync),
) -> Vec<Support> {
    let normalized = context.normalized;
    let index = PersonIndex::new(
        &normalized.persons,
        normalized.members,
        &context.ingested.others,
    );
    let spec = &context.pipeline.supporters;
    let mut pairs: BTreeMap<(String, String, usize), Support> = BTreeMap::new();
    // Through `by_person`, so that a hopeful world (`doubts`) counts its relations pairs too.
    let relations = (0..normalized.members)
        .filter(|&member_idx| keep(&context.member(member_idx).household_id))
        .flat_map(|member_idx| {
            by_person
                .records(context, member_idx, Source::Relations)
                .map(move |(m, record)| (m, context.member(member_idx), record))
        });
    for (m, member, record) in relations {
        let RecordDetails::Relation {
            relative,
            kinship,
            household_size,
            ..
        } = &record.details
        else {
            continue;
        };
        let minor = normalized.persons[m.member_idx]
            .birth_date
            .is_some_and(|birth| super::whole_years(birth, context.as_of) < 18);
        if !(spec.relations.contains(kinship) || minor && spec.minor_relations.contains(kinship)) {
            continue;
        }
        let person = record_person(relative);
        let Some(person_idx) = index.find(&person, &record.record_id) else {
            continue;
        };
        let household = context.households.get(&member.household_id);
        let same_household = household
            .member_idxs
            .iter()
            .any(|&idx| idx == person_idx || same_person(&normalized.persons[idx], &person));
        if same_household || by_person.dead_at(context, person_idx) {
            continue;
        }
        pairs
            .entry((
                member.household_id.clone(),
                member.member_id.clone(),
                person_idx,
            ))
            .or_insert_with(|| Support {
                household_id: member.household_id.clone(),
                member_idx: m.member_idx,
                person_idx,
                kinship: *kinship,
                record_id: record.record_id.clone(),
                household_size: household_size.unwrap_or(spec.default_household_size),
                score: m.score,
            });
    }
    pairs.into_values().collect()
}

/// The supporter's name as their registry wrote it.
pub fn supporter_name<'c>(context: &'c Context, person_idx: usize) -> &'c str {
    let members = context.normalized.members;
    if person_idx < members {
        &context.member(person_idx).name
    } else {
        &context.ingested.others[person_idx - members].person.name
    }
}

/// What the supporter alone owns that would flag a household: each with its record ids.
pub fn assets(context: &Context, by_person: &ByPerson, s: &Support) -> Vec<Asset> {
    owned_assets(
        context,
        by_person,
        s.person_idx,
        &context.at(&s.household_id),
    )
}

/// What the person at `person_idx` alone owns that `vehicle_owned`, `business_active` or
/// `property_excess` (those switched on, with their settings, asked `at`) would flag.
pub fn owned_assets(
    context: &Context,
    by_person: &ByPerson,
    person_idx: usize,
    at: &super::At,
) -> Vec<Asset> {
    let counted = |source: Source| -> Vec<(&Match, &RegistryRecord)> {
        super::reading(source)
            .filter(|(reason, _)| context.pipeline.rules.spec(*reason).enabled)
            .flat_map(|(_, counts)| {
                by_person
                    .records(context, person_idx, source)
                    .filter(move |(_, record)| counts(at, record))
            })
            .collect()
    };
    let name = supporter_name(context, person_idx);
    let mut found = Vec::new();
    for (source, what) in [
        (Source::Vehicle, "名下车辆"),
        (Source::Business, "经营主体"),
    ] {
        let records = counted(source);
        if !records.is_empty() {
            found.push(listed(what, name, &records));
        }
    }
    let properties = counted(Source::Property);
    if property_excess::is_excess(at, properties.iter().map(|(_, record)| *record)) {
        found.push(listed("名下房产", name, &properties));
    }
    found
}

/// `名下车辆1处（V-1）`, each record with why it is the supporter's when not by ID and name.
fn listed(what: &str, name: &str, matched: &[(&Match, &RegistryRecord)]) -> Asset {
    let record_ids: Vec<String> = matched.iter().map(|(_, r)| r.record_id.clone()).collect();
    let described: Vec<String> = matched
        .iter()
        .map(
            |(m, record)| match super::match_basis_zh(super::Whom::Supporter(name), m, record) {
                Some(basis) => format!("{}（{basis}）", record.record_id),
                None => record.record_id.clone(),
            },
        )
        .collect();
    Asset {
        text: format!("{what}{}处（{}）", matched.len(), described.join("、")),
        record_ids,
        score: matched.iter().map(|(m, _)| m.score).fold(1.0, f64::min),
    }
}

/// The same person by the contract's test for a household's own members: the same valid ID,
/// else the same name and birth date.
fn same_person(a: &crate::normalize::Person, b: &crate::normalize::Person) -> bool {
    match (a.valid_id(), b.valid_id()) {
        (Some(x), Some(y)) => x.key == y.key,
        _ => a.birth_date.is_some() && a.birth_date == b.birth_date && a.name.key == b.name.key,
    }
}
