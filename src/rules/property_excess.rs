//! `property_excess`: the household's members together hold more active residential
//! properties than allowed (distinct `property_id`s), or any active non-residential one.
//! Why: typically one dwelling at most; a shop, office or factory disqualifies.
//! Decoys: spouses co-owning one flat (one `property_id`), disposed properties.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{active_at, match_basis_zh, At, BuiltIn, Context, Finding, Reads};
use crate::ingest::{RecordDetails, RegistryRecord, RollMember};
use crate::link::Match;
use crate::model::{PropertyUse, Reason, Source};

pub const RULE: BuiltIn = BuiltIn::new(Reason::PropertyExcess, property_excess).reading(READS);
const READS: Reads = Reads::new(Source::Property, counts);

/// A property registered and not disposed of at D counts (how many a household holds is the
/// rule's own business).
fn counts(at: &At, record: &RegistryRecord) -> bool {
    matches!(&record.details, RecordDetails::Property { registered_on, disposed_on, .. }
        if active_at(*registered_on, *disposed_on, at.as_of))
}

struct Holding<'a> {
    member: &'a RollMember,
    record: &'a RegistryRecord,
    score: f64,
    /// Why the record is this member, when it is not plain ID + name agreement.
    basis: Option<String>,
}

fn property_excess(context: &Context) -> Vec<Finding> {
    let mut by_household: BTreeMap<&str, Vec<Holding>> = BTreeMap::new();
    for (m, member, record) in context.counted(READS) {
        by_household
            .entry(&member.household_id)
            .or_default()
            .push(holding(m, member, record));
    }
    let allowed = allowed(context.pipeline);
    by_household
        .into_iter()
        .filter_map(|(household_id, holdings)| {
            let residential: BTreeMap<&str, Vec<&Holding>> = group_by_property(&holdings, true);
            let other: BTreeMap<&str, Vec<&Holding>> = group_by_property(&holdings, false);
            if !excess(residential.len(), other.len(), allowed) {
                return None;
            }
            let mut reasons = Vec::new();
            if residential.len() > allowed {
                reasons.push(format!(
                    "有效住宅{}处（{}）",
                    residential.len(),
                    describe(&residential)
                ));
            }
            if !other.is_empty() {
                reasons.push(format!(
                    "非住宅房产{}处（{}）",
                    other.len(),
                    describe(&other)
                ));
            }
            let involved: Vec<&Holding> = if other.is_empty() || residential.len() > allowed {
                holdings.iter().collect()
            } else {
                other.values().flatten().copied().collect()
            };
            Some(Finding {
                household_id: household_id.to_string(),
                member_ids: involved
                    .iter()
                    .map(|h| h.member.member_id.clone())
                    .collect(),
                record_ids: involved
                    .iter()
                    .map(|h| h.record.record_id.clone())
                    .collect(),
                evidence: format!(
                    "{}：户内成员名下{}",
                    Source::Property.label_zh(),
                    reasons.join("，")
                ),
                score: involved.iter().map(|h| h.score).fold(1.0, f64::min),
                since: since(&residential, &other, allowed),
            })
        })
        .collect()
}

/// Residential properties a household may hold.
fn allowed(pipeline: &crate::config::Pipeline) -> usize {
    pipeline.rules.property_excess.max_residential_properties as usize
}

/// The rule's test on distinct holdings: more residential ones than allowed, or any other.
fn excess(residential: usize, other: usize, allowed: usize) -> bool {
    residential > allowed || other > 0
}

/// Whether these records (counted at D, one person's) alone hold too much: distinct
/// `property_id`s, co-owned rows counted once.
pub fn is_excess<'r>(at: &At, records: impl Iterator<Item = &'r RegistryRecord>) -> bool {
    let mut residential = std::collections::BTreeSet::new();
    let mut other = std::collections::BTreeSet::new();
    for record in records {
        if let RecordDetails::Property {
            property_id, use_, ..
        } = &record.details
        {
            if *use_ == PropertyUse::Residential {
                residential.insert(property_id.as_str());
            } else {
                other.insert(property_id.as_str());
            }
        }
    }
    excess(residential.len(), other.len(), allowed(at.pipeline))
}

/// When the household first held what raises the flag: the earliest non-residential property
/// (one alone raises it), else the day the residential count first went over `allowed`
/// (each property dated by its earliest registration among its co-owners' records).
fn since(
    residential: &BTreeMap<&str, Vec<&Holding>>,
    other: &BTreeMap<&str, Vec<&Holding>>,
    allowed: usize,
) -> Option<NaiveDate> {
    let registered = |groups: &BTreeMap<&str, Vec<&Holding>>| -> Vec<NaiveDate> {
        let mut dates: Vec<NaiveDate> = groups
            .values()
            .filter_map(|holders| holders.iter().filter_map(|h| registered_on(h.record)).min())
            .collect();
        dates.sort_unstable();
        dates
    };
    let residential = registered(residential);
    // With no residential property allowed, one alone raises the flag too.
    let alone = registered(other)
        .first()
        .copied()
        .into_iter()
        .chain(
            (allowed == 0)
                .then(|| residential.first().copied())
                .flatten(),
        )
        .min();
    alone.or_else(|| residential.get(allowed).copied())
}

fn registered_on(record: &RegistryRecord) -> Option<NaiveDate> {
    match &record.details {
        RecordDetails::Property { registered_on, .. } => Some(*registered_on),
        _ => None,
    }
}

fn holding<'a>(m: &Match, member: &'a RollMember, record: &'a RegistryRecord) -> Holding<'a> {
    Holding {
        member,
        record,
        score: m.score,
        basis: match_basis_zh(super::Whom::Member(&member.name), m, record),
    }
}

/// Holdings by `property_id`, residential or not: co-owners of one property count it once.
fn group_by_property<'h, 'a>(
    holdings: &'h [Holding<'a>],
    residential: bool,
) -> BTreeMap<&'a str, Vec<&'h Holding<'a>>> {
    let mut groups: BTreeMap<&'a str, Vec<&'h Holding<'a>>> = BTreeMap::new();
    for holding in holdings {
        if let RecordDetails::Property {
            property_id, use_, ..
        } = &holding.record.details
        {
            if (*use_ == PropertyUse::Residential) == residential {
                groups
                    .entry(property_id.as_str())
                    .or_default()
                    .push(holding);
            }
        }
    }
    groups
}

fn describe(groups: &BTreeMap<&str, Vec<&Holding>>) -> String {
    groups
        .iter()
        .map(|(property_id, holders)| {
            let first = holders[0].record;
            let (use_, area) = match &first.details {
                RecordDetails::Property { use_, area_m2, .. } => (*use_, *area_m2),
                _ => (PropertyUse::Other, None),
            };
            let owners: Vec<String> = holders
                .iter()
                .map(|h| {
                    let basis = h
                        .basis
                        .as_ref()
                        .map(|b| format!("（{b}）"))
                        .unwrap_or_default();
                    format!("{} {}{basis}", h.record.record_id, h.record.person.name)
                })
                .collect();
            let area = area.map(|a| format!("，{a}㎡")).unwrap_or_default();
            format!(
                "{property_id} {}{area}，{}",
                use_.label_zh(),
                owners.join("/")
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}
