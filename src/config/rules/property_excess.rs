//! `[rules.property_excess]`: how many active residential properties a household may hold
//! (contract default: one; any non-residential property flags).

use serde::Deserialize;

use super::RuleSpec;
use crate::model::{Reason, Severity};

#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    enabled: Option<bool>,
    severity: Option<Severity>,
    max_residential_properties: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PropertyExcess {
    pub max_residential_properties: u32,
}

pub(super) fn resolve(raw: Raw) -> (RuleSpec, PropertyExcess) {
    let settings = PropertyExcess {
        max_residential_properties: raw.max_residential_properties.unwrap_or(1),
    };
    (
        RuleSpec::of(Reason::PropertyExcess, raw.enabled, raw.severity),
        settings,
    )
}
