//! `vehicle_owned`: a member owns a non-exempt vehicle registered by the as-of date.
//! Why: an ordinary car usually disqualifies; motorcycles and tricycles are exempt.
//! Decoys: exempt types, vehicles deregistered on or before the as-of date.

use super::{active_at, match_finding, Context, Finding};
use crate::ingest::RecordDetails;
use crate::model::Source;

pub fn vehicle_owned(context: &Context) -> Vec<Finding> {
    let exempt = &context.pipeline.rules.vehicle_owned.exempt_vehicle_types;
    context
        .accepted(Source::Vehicle)
        .filter_map(|(m, member, record)| {
            let RecordDetails::Vehicle {
                plate,
                vehicle_type,
                registered_on,
                deregistered_on,
            } = &record.details
            else {
                return None;
            };
            if exempt.contains(vehicle_type)
                || !active_at(*registered_on, *deregistered_on, context.as_of)
            {
                return None;
            }
            let plate = plate
                .as_ref()
                .map(|p| format!("（{p}）"))
                .unwrap_or_default();
            let evidence = format!(
                "{} {}：{} 名下{}{plate}，{}登记",
                Source::Vehicle.label_zh(),
                record.record_id,
                record.person.name,
                vehicle_type.label_zh(),
                registered_on.format("%Y-%m-%d"),
            );
            Some(match_finding(member, m, record, evidence))
        })
        .collect()
}
