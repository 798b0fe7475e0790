//! Early warning (contract v3): people who should be helped. A **candidate** is a person an
//! early-warning registry names with a valid ID, alive at D. `should_cover` (应纳未纳): a
//! candidate on no roll household with a signal in `[warning] cover_signals`, who owns
//! nothing `vehicle_owned`, `business_active` or `property_excess` would flag for them alone,
//! and whose income is not over `standard_programme`'s standard where they live.
//! `should_raise` (应增未增): a member of a dibao household with a signal in `raise_signals`.
//! Candidates off the roll are linked as persons (role `candidate`) by the same linker as
//! members and supporters; warnings are not flags: they have their own outputs and loop.

pub mod signals;

use crate::ingest::{OtherPerson, PersonFields};
use crate::model::{Programme, RegionCode, Role, Signal, Source, WarningKind};
use crate::normalize::persons::PersonIndex;
use crate::normalize::{record_person, Person};
use signals::{PersonSignals, SignalRecords};

use super::income::Standard;
use super::supporters::{self, ByPerson};
use super::{At, Context, Household};

/// One warning about one person.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub kind: WarningKind,
    /// The normalised ID: in the office's own files only; workbooks and the explorer mask it.
    pub person_key: String,
    pub name: String,
    /// Where they live: the household's code (`should_raise`), else the registry's, else the
    /// ID's county.
    pub region_code: Option<String>,
    /// `should_raise` only.
    pub household_id: Option<String>,
    /// All their signals at D, in vocabulary order.
    pub signals: Vec<Signal>,
    pub evidence: String,
    pub record_ids: Vec<String>,
}

/// The people the early-warning registries name who are not yet among `persons` (members,
/// then `others`) and have a signal in `cover_signals`: the candidates to link, with their
/// persons.
pub fn candidates(
    records: &SignalRecords,
    context: &CandidateContext,
    persons: &[Person],
    members: usize,
    others: &[OtherPerson],
) -> (Vec<OtherPerson>, Vec<Person>) {
    let index = PersonIndex::new(persons, members, others);
    let mut found = (Vec::new(), Vec::new());
    for (_, signals) in records.people() {
        let wanted = signals
            .signals(context.spec, context.as_of)
            .iter()
            .any(|s| context.spec.cover_signals.contains(s));
        if !wanted {
            continue;
        }
        let fields = PersonFields {
            name: signals.name.to_string(),
            id_number: Some(signals.id()),
            birth_date: Some(signals.valid.birth_date),
            address: None,
        };
        let person = record_person(&fields);
        if index.find(&person, "").is_some() {
            continue; // a member (or supporter): one person, linked once
        }
        found.0.push(OtherPerson {
            role: Role::Candidate,
            key: format!("{}:{}", Role::Candidate.code(), signals.id()),
            person: fields,
            region_code: signals.region_code.as_deref().map(str::to_string),
        });
        found.1.push(person);
    }
    found
}

/// What finding candidates needs: the thresholds and D.
pub struct CandidateContext<'a> {
    pub spec: &'a crate::config::WarningSpec,
    pub as_of: chrono::NaiveDate,
}

/// Every warning at D, `should_raise` by household then `should_cover` by person key.
pub fn evaluate(context: &Context, by_person: &ByPerson, records: &SignalRecords) -> Vec<Warning> {
    let mut warnings = should_raise(context, by_person, records);
    warnings.extend(should_cover(context, by_person, records));
    warnings
}

fn should_raise(context: &Context, by_person: &ByPerson, records: &SignalRecords) -> Vec<Warning> {
    let spec = &context.pipeline.warning;
    let mut warnings = Vec::new();
    for household in context.households.by_id.values() {
        if !matches!(
            household.programme,
            Programme::DibaoUrban | Programme::DibaoRural
        ) {
            continue;
        }
        let mut seen = std::collections::BTreeSet::new();
        for &idx in &household.member_idxs {
            let person = &context.normalized.persons[idx];
            let Some(valid) = person.valid_id() else {
                continue;
            };
            let Some(found) = records.of(valid.key) else {
                continue;
            };
            let signals = found.signals(spec, context.as_of);
            if !seen.insert(valid.key)
                || !signals.iter().any(|s| spec.raise_signals.contains(s))
                || by_person.dead_at(context, idx)
            {
                continue;
            }
            let member = context.member(idx);
            let mut parts = signal_parts(found, &signals, context.as_of);
            parts.push(format!(
                "现为{}户{}成员{}",
                household.programme.label_zh(),
                household.household_id,
                member.member_id
            ));
            warnings.push(Warning {
                kind: WarningKind::ShouldRaise,
                person_key: valid.text().to_string(),
                name: member.name.clone(),
                region_code: household.region_code.clone(),
                household_id: Some(household.household_id.clone()),
                signals,
                evidence: parts.join("；"),
                record_ids: signal_records(found),
            });
        }
    }
    warnings
}

fn should_cover(context: &Context, by_person: &ByPerson, records: &SignalRecords) -> Vec<Warning> {
    let spec = &context.pipeline.warning;
    let members = context.normalized.members;
    let mut warnings = Vec::new();
    for (offset, other) in context.ingested.others.iter().enumerate() {
        if other.role != Role::Candidate {
            continue;
        }
        let person_idx = members + offset;
        let Some(valid) = context.normalized.persons[person_idx].valid_id() else {
            continue;
        };
        let Some(found) = records.of(valid.key) else {
            continue;
        };
        let signals = found.signals(spec, context.as_of);
        if !signals.iter().any(|s| spec.cover_signals.contains(s))
            || by_person.dead_at(context, person_idx)
        {
            continue;
        }
        // Where they live decides the standard: the registry's code, else the ID's county.
        let region = found
            .region_code
            .as_deref()
            .map(str::to_string)
            .or_else(|| RegionCode::parse(&valid.text()[..6]).map(|r| r.as_str().to_string()));
        let household = Household {
            household_id: String::new(),
            programme: spec.standard_programme,
            region_code: region.clone(),
            member_idxs: Vec::new(),
            n_members: 1,
            monthly_benefit: None,
            enrolled_on: None,
            category: None,
        };
        let at = At {
            pipeline: context.pipeline,
            as_of: context.as_of,
            household: &household,
        };
        if !supporters::owned_assets(context, by_person, person_idx, &at).is_empty() {
            continue;
        }
        let income = supporters::income_of(context, by_person, &[person_idx], &household);
        let Some(standard) = Standard::of(context, &household) else {
            continue;
        };
        if income.total() > standard.yuan {
            continue;
        }
        let mut parts = signal_parts(found, &signals, context.as_of);
        parts.push("名下无车辆、房产、经营主体".into());
        parts.push(format!(
            "月收入{}，未超过{}",
            super::yuan_standard(super::income::cents(income.total())),
            standard.describe(spec.standard_programme)
        ));
        parts.push("不在低保、特困名册".into());
        warnings.push(Warning {
            kind: WarningKind::ShouldCover,
            person_key: valid.text().to_string(),
            name: found.name.to_string(),
            region_code: region,
            household_id: None,
            signals,
            evidence: parts.join("；"),
            record_ids: signal_records(found),
        });
    }
    warnings.sort_by(|a, b| a.person_key.cmp(&b.person_key));
    warnings
}

/// Each signal in words: `一级肢体残疾（2024-03-02发证）`, `近12个月医保个人自付23,410元（5次
/// 结算）`, `自2024-11-01登记失业`.
fn signal_parts(
    found: &PersonSignals,
    signals: &[Signal],
    as_of: chrono::NaiveDate,
) -> Vec<String> {
    let mut parts = Vec::new();
    for signal in signals {
        match signal {
            Signal::SevereDisability => {
                if let Some(c) = &found.disability {
                    parts.push(format!(
                        "{}级{}残疾（{}发证，{}记录{}）",
                        ["一", "二", "三", "四"][usize::from(c.grade.clamp(1, 4) - 1)],
                        c.kind.as_deref().unwrap_or(""),
                        c.certified_on.format("%Y-%m-%d"),
                        Source::Disability.label_zh(),
                        c.record_id
                    ));
                }
            }
            Signal::MedicalBurden => parts.push(format!(
                "近12个月医保个人自付{}元（{}次结算）",
                super::overpayment::grouped_yuan(found.medical_yuan()),
                found.settlements
            )),
            Signal::LongUnemployed => {
                if let Some((since, record_id)) = found.unemployed_since.as_deref() {
                    parts.push(format!(
                        "自{}登记失业（{}天，{}记录{record_id}）",
                        since.format("%Y-%m-%d"),
                        (as_of - *since).num_days(),
                        Source::Unemployment.label_zh()
                    ));
                }
            }
        }
    }
    parts
}

fn signal_records(found: &PersonSignals) -> Vec<String> {
    found
        .disability
        .iter()
        .map(|c| c.record_id.to_string())
        .chain(
            found
                .unemployed_since
                .iter()
                .map(|since| since.1.to_string()),
        )
        .collect()
}
