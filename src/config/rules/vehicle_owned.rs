//! `[rules.vehicle_owned]`: which vehicle types do not count (contract default: motorcycle,
//! tricycle, agricultural, disability).

use serde::Deserialize;

use super::RuleSpec;
use crate::model::{Reason, Severity, VehicleType};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    enabled: Option<bool>,
    severity: Option<Severity>,
    exempt_vehicle_types: Option<Vec<VehicleType>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VehicleOwned {
    pub exempt_vehicle_types: Vec<VehicleType>,
}

pub(super) fn resolve(raw: Raw) -> (RuleSpec, VehicleOwned) {
    let settings = VehicleOwned {
        exempt_vehicle_types: raw.exempt_vehicle_types.unwrap_or_else(|| {
            vec![
                VehicleType::Motorcycle,
                VehicleType::Tricycle,
                VehicleType::Agricultural,
                VehicleType::Disability,
            ]
        }),
    };
    (
        RuleSpec::of(Reason::VehicleOwned, raw.enabled, raw.severity),
        settings,
    )
}
