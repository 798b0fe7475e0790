//! `deceased_member`: a member matches a death record dated on or before the as-of date.
//! Why: benefits continue after death until someone cancels them.
//! Decoys: deaths after the as-of date; a death record under the member's ID but a clearly
//! different name (that is an `identity_conflict`, not a death).

use super::{match_finding, At, BuiltIn, Context, Finding, Reads};
use crate::ingest::{RecordDetails, RegistryRecord};
use crate::model::{Reason, Source};

pub const RULE: BuiltIn = BuiltIn::new(Reason::DeceasedMember, deceased_member).reading(READS);
const READS: Reads = Reads::new(Source::Death, counts);

/// A death on or before D counts.
fn counts(at: &At, record: &RegistryRecord) -> bool {
    matches!(&record.details, RecordDetails::Death { death_date, .. } if *death_date <= at.as_of)
}

fn deceased_member(context: &Context) -> Vec<Finding> {
    context
        .counted(READS)
        .filter_map(|(m, member, record)| {
            let RecordDetails::Death { death_date, source } = &record.details else {
                return None;
            };
            let reported_by = source
                .map(|s| format!("（{}）", s.label_zh()))
                .unwrap_or_default();
            let evidence = format!(
                "{} {}：{} 于{}死亡{reported_by}",
                Source::Death.label_zh(),
                record.record_id,
                record.person.name,
                death_date.format("%Y-%m-%d"),
            );
            Some(Finding {
                since: Some(*death_date),
                ..match_finding(member, m, record, evidence)
            })
        })
        .collect()
}
