//! `[rules.*]`: each rule's switch, severity and options. A rule with options has a file of
//! its own here (its serde form with defaults, its validation, its default severity), as a
//! linter keeps a rule's options beside the rule; the rules with a switch and a severity only
//! are listed in `PLAIN`. Adding a rule: a line in `RawRules` and, with options, a file.
//! Any other name under `[rules]` is a rule the pipeline declares in SQL (`sql.rs`).

mod business_active;
mod property_excess;
pub mod sql;
mod vehicle_owned;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{Reason, Severity};

pub use business_active::BusinessActive;
pub use property_excess::PropertyExcess;
pub use sql::SqlRule;
pub use vehicle_owned::VehicleOwned;

/// Exactly what the pipeline's `[rules]` table says: the built-in rules by name, and any
/// other name a rule in SQL.
#[derive(Debug, Deserialize, Default)]
pub(super) struct RawRules {
    deceased_member: Option<Switch>,
    duplicate_enrollment: Option<Switch>,
    pension_income: Option<Switch>,
    vehicle_owned: Option<vehicle_owned::Raw>,
    property_excess: Option<property_excess::Raw>,
    business_active: Option<business_active::Raw>,
    cadre_relative: Option<Switch>,
    identity_conflict: Option<Switch>,
    invalid_id: Option<Switch>,
    #[serde(flatten)]
    declared: BTreeMap<String, sql::Raw>,
}

/// What every rule accepts: `enabled` and `severity`.
#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub(super) struct Switch {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
}

impl Switch {
    fn spec(self, default_severity: Severity) -> RuleSpec {
        RuleSpec {
            enabled: self.enabled.unwrap_or(true),
            severity: self.severity.unwrap_or(default_severity),
        }
    }
}

/// The rules with nothing to set but the switch, and their default severities (the
/// contract's table).
const PLAIN: [(Reason, Severity); 6] = [
    (Reason::DeceasedMember, Severity::High),
    (Reason::DuplicateEnrollment, Severity::High),
    (Reason::PensionIncome, Severity::High),
    (Reason::CadreRelative, Severity::Low),
    (Reason::IdentityConflict, Severity::Medium),
    (Reason::InvalidId, Severity::Low),
];

/// One rule's switch and severity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleSpec {
    pub enabled: bool,
    pub severity: Severity,
}

/// Every rule's settings, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub specs: BTreeMap<Reason, RuleSpec>,
    pub vehicle_owned: VehicleOwned,
    pub property_excess: PropertyExcess,
    pub business_active: BusinessActive,
    /// The rules the pipeline declares in SQL, by name.
    pub sql: Vec<SqlRule>,
}

impl Rules {
    pub fn spec(&self, reason: Reason) -> RuleSpec {
        self.specs[&reason]
    }

    /// Every reason this pipeline can flag: the built-in ones, then its own SQL rules (the
    /// columns of per-reason counts).
    pub fn reasons(&self) -> Vec<Reason> {
        self.specs.keys().copied().collect()
    }
}

/// Rules written in SQL under a built-in reason's name (`[rules.deceased_member] sql = ...`):
/// a SQL rule may not shadow a built-in reason. One problem per such rule; none when the
/// text is not TOML (the parser reports that).
pub(super) fn shadowing(text: &str) -> Vec<String> {
    let Ok(top) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(toml::Value::Table(rules)) = top.get("rules") else {
        return Vec::new();
    };
    rules
        .iter()
        .filter(|(name, settings)| {
            Reason::parse(name).is_some_and(|r| r.code() == name.as_str())
                && ["sql", "label"].iter().any(|key| settings.get(key).is_some())
        })
        .map(|(name, _)| {
            format!(
                "rules.{name}: `{name}` is a built-in reason; a rule declared in SQL must not shadow it: give it a name of its own (e.g. `[rules.{name}_local]`)"
            )
        })
        .collect()
}

pub(super) fn resolve(raw: RawRules, problems: &mut Vec<String>) -> Rules {
    let switches = [
        raw.deceased_member,
        raw.duplicate_enrollment,
        raw.pension_income,
        raw.cadre_relative,
        raw.identity_conflict,
        raw.invalid_id,
    ];
    let mut specs: BTreeMap<Reason, RuleSpec> = PLAIN
        .iter()
        .zip(switches)
        .map(|(&(reason, severity), switch)| (reason, switch.unwrap_or_default().spec(severity)))
        .collect();
    let (spec, vehicle_owned) = vehicle_owned::resolve(raw.vehicle_owned.unwrap_or_default());
    specs.insert(Reason::VehicleOwned, spec);
    let (spec, property_excess) = property_excess::resolve(raw.property_excess.unwrap_or_default());
    specs.insert(Reason::PropertyExcess, spec);
    let (spec, business_active) =
        business_active::resolve(raw.business_active.unwrap_or_default(), problems);
    specs.insert(Reason::BusinessActive, spec);
    let mut sql = Vec::new();
    for (name, raw) in raw.declared {
        if let Some((spec, rule)) = sql::resolve(&name, raw, problems) {
            specs.insert(rule.reason, spec);
            sql.push(rule);
        }
    }
    Rules {
        specs,
        vehicle_owned,
        property_excess,
        business_active,
        sql,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_a_rule_and_its_contract_severity() {
        let rules = resolve(RawRules::default(), &mut Vec::new());
        for reason in Reason::ALL {
            let spec = rules.spec(*reason);
            assert!(spec.enabled, "{reason}");
            let contract = match reason {
                Reason::DeceasedMember | Reason::DuplicateEnrollment | Reason::PensionIncome => {
                    Severity::High
                }
                Reason::CadreRelative | Reason::InvalidId => Severity::Low,
                _ => Severity::Medium,
            };
            assert_eq!(spec.severity, contract, "{reason}");
        }
    }
}
