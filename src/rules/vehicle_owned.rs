//! `vehicle_owned`: a member owns a non-exempt vehicle registered by the as-of date.
//! Why: an ordinary car usually disqualifies; motorcycles and tricycles are exempt.
//! Decoys: exempt types, vehicles deregistered on or before the as-of date.

use super::{active_at, match_finding, At, BuiltIn, Context, Finding, Reads};
use crate::ingest::{RecordDetails, RegistryRecord};
use crate::model::{Reason, Source};

pub const RULE: BuiltIn = BuiltIn::new(Reason::VehicleOwned, vehicle_owned).reading(READS);
const READS: Reads = Reads::new(Source::Vehicle, counts);

/// A vehicle of a type the pipeline does not exempt, registered at D, counts.
fn counts(at: &At, record: &RegistryRecord) -> bool {
    let RecordDetails::Vehicle {
        vehicle_type,
        registered_on,
        deregistered_on,
        ..
    } = &record.details
    else {
        return false;
    };
    let exempt = &at.pipeline.rules.vehicle_owned.exempt_vehicle_types;
    !exempt.contains(vehicle_type) && active_at(*registered_on, *deregistered_on, at.as_of)
}

fn vehicle_owned(context: &Context) -> Vec<Finding> {
    context
        .counted(READS)
        .filter_map(|(m, member, record)| {
            let RecordDetails::Vehicle {
                plate,
                vehicle_type,
                registered_on,
                ..
            } = &record.details
            else {
                return None;
            };
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
            Some(Finding {
                since: Some(*registered_on),
                ..match_finding(member, m, record, evidence)
            })
        })
        .collect()
}
