//! `supporter_capacity`: a tekun member has a supporter (a child or spouse living apart) who
//! owes support at D, or who alone owns what `vehicle_owned`, `business_active` or
//! `property_excess` would flag.
//! Why: 特困 is for people with no one legally obliged and able to support them.
//! Decoys: a supporter of the member's own household, a deceased supporter, a supporter
//! whose per-capita income is under the standard and who owns nothing that flags, dibao
//! households (their supporters count as income instead).

use super::income::SupporterRow;
use super::supporters::ByPerson;
use super::{property_excess, BuiltIn, Context, Finding};
use crate::ingest::RegistryRecord;
use crate::model::{Programme, Reason, Source};
use crate::normalize::mask_id;

pub const RULE: BuiltIn = BuiltIn::new(Reason::SupporterCapacity, supporter_capacity);

fn supporter_capacity(context: &Context) -> Vec<Finding> {
    let by_person = ByPerson::new(context);
    context
        .incomes
        .supporters
        .iter()
        .filter(|s| context.households.get(&s.support.household_id).programme == Programme::Tekun)
        .filter_map(|s| {
            let mut shows = Vec::new();
            let mut record_ids = vec![s.support.record_id.clone()];
            if s.owed_yuan > 0.0 {
                shows.push(format!(
                    "月收入{}，户内{}人，人均{}，应承担赡养费{}",
                    super::yuan_standard(s.income.total()),
                    s.support.household_size,
                    super::yuan_standard(super::income::cents(s.per_capita_yuan)),
                    super::yuan_standard(super::income::cents(s.owed_yuan))
                ));
                record_ids.extend(s.income.record_ids.iter().cloned());
            }
            let assets = assets(context, &by_person, s);
            record_ids.extend(assets.iter().flat_map(|(ids, _)| ids.iter().cloned()));
            shows.extend(assets.into_iter().map(|(_, text)| text));
            if shows.is_empty() {
                return None;
            }
            let member = context.member(s.support.member_idx);
            Some(Finding {
                household_id: s.support.household_id.clone(),
                member_ids: vec![member.member_id.clone()],
                record_ids,
                evidence: format!(
                    "{}的{}{}（{}，{}记录{}）：{}",
                    member.name,
                    s.support.kinship.label_zh(),
                    supporter_name(context, s.support.person_idx),
                    mask_id(&context.normalized.persons[s.support.person_idx].id.cleaned),
                    Source::Relations.label_zh(),
                    s.support.record_id,
                    shows.join("；")
                ),
                score: s.support.score.min(s.income.score),
            })
        })
        .collect()
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
fn assets(context: &Context, by_person: &ByPerson, s: &SupporterRow) -> Vec<(Vec<String>, String)> {
    let at = &context.at(&s.support.household_id);
    let counted = |source: Source| -> Vec<&RegistryRecord> {
        super::reading(source)
            .filter(|(reason, _)| context.pipeline.rules.spec(*reason).enabled)
            .flat_map(|(_, counts)| {
                by_person
                    .records(context, s.support.person_idx, source)
                    .filter(move |(_, record)| counts(at, record))
                    .map(|(_, record)| record)
            })
            .collect()
    };
    let mut found = Vec::new();
    for (source, what) in [
        (Source::Vehicle, "名下车辆"),
        (Source::Business, "经营主体"),
    ] {
        let records = counted(source);
        if !records.is_empty() {
            found.push(listed(what, &records));
        }
    }
    let properties = counted(Source::Property);
    if property_excess::is_excess(at, properties.iter().copied()) {
        found.push(listed("名下房产", &properties));
    }
    found
}

fn listed(what: &str, records: &[&RegistryRecord]) -> (Vec<String>, String) {
    let ids: Vec<String> = records.iter().map(|r| r.record_id.clone()).collect();
    let text = format!("{what}{}处（{}）", records.len(), ids.join("、"));
    (ids, text)
}
