//! `[supporters]` and `[income]`: who owes a roll member support, how much, and how a
//! household's income is compared with its standard (contract v3, "Supporters").

use serde::Deserialize;

use crate::model::Kinship;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSupporters {
    relations: Option<Vec<String>>,
    minor_relations: Option<Vec<String>>,
    default_household_size: Option<u32>,
    few_max: Option<u32>,
    share_few: Option<f64>,
    share_many: Option<f64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIncome {
    tolerance_yuan: Option<f64>,
    edge_factor: Option<f64>,
}

/// `[supporters]`: a relative is a supporter when their relation is in `relations` (or in
/// `minor_relations` for a member under 18); what they owe is a share of their per-capita
/// income over the supported household's standard.
#[derive(Debug, Clone, PartialEq)]
pub struct SupportersSpec {
    pub relations: Vec<Kinship>,
    /// Relations that support a member under 18 besides `relations` (parents).
    pub minor_relations: Vec<Kinship>,
    /// Persons in a supporter's household when `relative_household_size` is blank.
    pub default_household_size: u32,
    /// A member with at most this many supporters of relation `child` gets `share_few`.
    pub few_max: u32,
    pub share_few: f64,
    pub share_many: f64,
}

impl Default for SupportersSpec {
    fn default() -> SupportersSpec {
        SupportersSpec {
            relations: vec![Kinship::Child, Kinship::Spouse],
            minor_relations: vec![Kinship::Parent],
            default_household_size: 3,
            few_max: 2,
            share_few: 0.5,
            share_many: 0.4,
        }
    }
}

/// `[income]`: how entitlement is proposed from household income.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomeSpec {
    /// A gap between paid and entitlement up to this (yuan per month) is `keep`.
    pub tolerance_yuan: f64,
    /// Per-capita income up to this many times the standard is 低保边缘 (`edge`).
    pub edge_factor: f64,
}

impl Default for IncomeSpec {
    fn default() -> IncomeSpec {
        IncomeSpec {
            tolerance_yuan: 50.0,
            edge_factor: 1.5,
        }
    }
}

/// A share in [0, 1], or a problem naming its key.
fn share(key: &str, value: Option<f64>, default: f64, problems: &mut Vec<String>) -> f64 {
    let value = value.unwrap_or(default);
    if !(0.0..=1.0).contains(&value) {
        problems.push(format!("{key}: {value} is not a share between 0 and 1"));
    }
    value
}

pub(super) fn resolve_supporters(raw: RawSupporters, problems: &mut Vec<String>) -> SupportersSpec {
    let defaults = SupportersSpec::default();
    let default_household_size = raw
        .default_household_size
        .unwrap_or(defaults.default_household_size);
    if default_household_size == 0 {
        problems.push("supporters.default_household_size: must be at least 1".into());
    }
    SupportersSpec {
        relations: super::listed(
            "supporters.relations",
            raw.relations,
            defaults.relations,
            (Kinship::parse, Kinship::codes),
            problems,
        ),
        minor_relations: super::listed(
            "supporters.minor_relations",
            raw.minor_relations,
            defaults.minor_relations,
            (Kinship::parse, Kinship::codes),
            problems,
        ),
        default_household_size: default_household_size.max(1),
        few_max: raw.few_max.unwrap_or(defaults.few_max),
        share_few: share(
            "supporters.share_few",
            raw.share_few,
            defaults.share_few,
            problems,
        ),
        share_many: share(
            "supporters.share_many",
            raw.share_many,
            defaults.share_many,
            problems,
        ),
    }
}

pub(super) fn resolve_income(raw: &RawIncome, problems: &mut Vec<String>) -> IncomeSpec {
    let defaults = IncomeSpec::default();
    let tolerance_yuan = raw.tolerance_yuan.unwrap_or(defaults.tolerance_yuan);
    if !(tolerance_yuan.is_finite() && tolerance_yuan >= 0.0) {
        problems.push(format!(
            "income.tolerance_yuan: {tolerance_yuan} is not an amount of yuan (0 or more)"
        ));
    }
    let edge_factor = raw.edge_factor.unwrap_or(defaults.edge_factor);
    if !(edge_factor.is_finite() && edge_factor >= 1.0) {
        problems.push(format!(
            "income.edge_factor: {edge_factor} must be at least 1 (a multiple of the standard)"
        ));
    }
    IncomeSpec {
        tolerance_yuan,
        edge_factor,
    }
}
