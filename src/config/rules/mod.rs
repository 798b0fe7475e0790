//! `[rules.*]`: each rule's switch, severity and options. Every built-in reason has a rule
//! with a switch (`enabled`, `severity`, by default the contract's `Reason::default_severity`),
//! so a rule with nothing else to set needs nothing here. A rule with options has a file of
//! its own here (its serde form with defaults, its validation) and its name in
//! `WITH_OPTIONS`, a field of `Named` and of `Rules`. Any other name under `[rules]` is a
//! rule the pipeline declares in SQL (`sql.rs`).

mod business_active;
mod property_excess;
pub mod sql;
mod vehicle_owned;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, IntoDeserializer as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::model::{Reason, Severity};

pub use business_active::BusinessActive;
pub use property_excess::PropertyExcess;
pub use sql::SqlRule;
pub use vehicle_owned::VehicleOwned;

/// The built-in rules with options of their own: their tables are read by `Named`.
const WITH_OPTIONS: [Reason; 3] = [
    Reason::VehicleOwned,
    Reason::PropertyExcess,
    Reason::BusinessActive,
];

/// Exactly what the pipeline's `[rules]` table says: the switches of the built-in rules
/// without options, by reason, and the rest (`Named`).
#[derive(Debug, Default)]
pub(super) struct RawRules {
    switches: BTreeMap<Reason, Switch>,
    named: Named,
}

/// The built-in rules with options by name, and any other name a rule in SQL. The declared
/// rules are read once every other entry is (serde's flatten), so a problem in one names
/// `rules`, as it always has.
#[derive(Debug, Deserialize, Default)]
struct Named {
    vehicle_owned: Option<vehicle_owned::Raw>,
    property_excess: Option<property_excess::Raw>,
    business_active: Option<business_active::Raw>,
    #[serde(flatten)]
    declared: BTreeMap<String, sql::Raw>,
}

impl<'de> Deserialize<'de> for RawRules {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawRules, D::Error> {
        deserializer.deserialize_map(RawRulesVisitor)
    }
}

struct RawRulesVisitor;

impl<'de> Visitor<'de> for RawRulesVisitor {
    type Value = RawRules;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        // The wording of the derived reader this one replaced, as messages show it.
        formatter.write_str("struct RawRules")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawRules, A::Error> {
        let mut switches = BTreeMap::new();
        let named = Named::deserialize(de::value::MapAccessDeserializer::new(SwitchesAside {
            map,
            switches: &mut switches,
        }))?;
        Ok(RawRules { switches, named })
    }
}

/// The `[rules]` entries as `Named` reads them, with the switches of the rules without
/// options set aside as they pass. Each entry is read where it stands, so a problem names its
/// key (`rules.invalid_id.enabld`) just as a field of `Named` would.
struct SwitchesAside<'s, A> {
    map: A,
    switches: &'s mut BTreeMap<Reason, Switch>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for SwitchesAside<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        while let Some(name) = self.map.next_key::<String>()? {
            match switch_only(&name) {
                Some(reason) => {
                    let switch = self.map.next_value()?;
                    self.switches.insert(reason, switch);
                }
                None => return seed.deserialize(name.into_deserializer()).map(Some),
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// The built-in reason `name` is the code of, when its rule has nothing to set but the switch.
fn switch_only(name: &str) -> Option<Reason> {
    Reason::ALL
        .iter()
        .copied()
        .find(|reason| reason.code() == name && !WITH_OPTIONS.contains(reason))
}

/// What every rule accepts: `enabled` and `severity`.
#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub(super) struct Switch {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
}

/// One rule's switch and severity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleSpec {
    pub enabled: bool,
    pub severity: Severity,
}

impl RuleSpec {
    /// What a rule's `enabled` and `severity` say, where unset: on, at its reason's default
    /// severity.
    fn of(reason: Reason, enabled: Option<bool>, severity: Option<Severity>) -> RuleSpec {
        RuleSpec {
            enabled: enabled.unwrap_or(true),
            severity: severity.unwrap_or(reason.default_severity()),
        }
    }
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
    let RawRules { switches, named } = raw;
    let mut specs: BTreeMap<Reason, RuleSpec> = BTreeMap::new();
    let (spec, vehicle_owned) = vehicle_owned::resolve(named.vehicle_owned.unwrap_or_default());
    specs.insert(Reason::VehicleOwned, spec);
    let (spec, property_excess) =
        property_excess::resolve(named.property_excess.unwrap_or_default());
    specs.insert(Reason::PropertyExcess, spec);
    let (spec, business_active) =
        business_active::resolve(named.business_active.unwrap_or_default(), problems);
    specs.insert(Reason::BusinessActive, spec);
    for &reason in Reason::ALL {
        specs.entry(reason).or_insert_with(|| {
            let switch = switches.get(&reason).copied().unwrap_or_default();
            RuleSpec::of(reason, switch.enabled, switch.severity)
        });
    }
    let mut sql = Vec::new();
    for (name, raw) in named.declared {
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
                Reason::DeceasedMember
                | Reason::DuplicateEnrollment
                | Reason::PensionIncome
                | Reason::IncomeOverStandard => Severity::High,
                Reason::CadreRelative | Reason::InvalidId => Severity::Low,
                _ => Severity::Medium,
            };
            assert_eq!(spec.severity, contract, "{reason}");
        }
    }

    fn parse(text: &str) -> Result<crate::config::Pipeline, crate::config::ConfigError> {
        crate::config::Pipeline::parse(text, std::path::Path::new("pipelines/test.toml"))
    }

    #[test]
    fn a_rule_without_options_takes_its_switch() {
        let pipeline =
            parse("[sources.roll]\n[rules.invalid_id]\nenabled = false\nseverity = \"high\"\n")
                .unwrap();
        let spec = pipeline.rules.spec(Reason::InvalidId);
        assert!(!spec.enabled);
        assert_eq!(spec.severity, Severity::High);
        assert!(pipeline.rules.sql.is_empty());
    }

    #[test]
    fn a_rule_with_options_is_read_as_itself() {
        for reason in WITH_OPTIONS {
            let pipeline = parse(&format!(
                "[sources.roll]\n[rules.{}]\nenabled = false\n",
                reason.code()
            ))
            .unwrap();
            assert!(!pipeline.rules.spec(reason).enabled, "{reason}");
            assert!(pipeline.rules.sql.is_empty(), "{reason}");
        }
    }

    #[test]
    fn a_problem_in_a_switch_names_its_key() {
        let err = parse("[sources.roll]\n[rules.deceased_member]\nenabld = true\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "pipelines/test.toml: rules.deceased_member.enabld: unknown field `enabld`, expected `enabled` or `severity`"
        );
    }

    #[test]
    fn a_problem_in_a_declared_rule_names_the_rules_table() {
        let err =
            parse("[sources.roll]\n[rules.local_check]\nlabel = \"本地\"\nsqll = \"SELECT 1\"\n")
                .unwrap_err()
                .to_string();
        assert_eq!(
            err,
            "pipelines/test.toml: rules: unknown field `sqll`, expected one of `enabled`, `severity`, `label`, `sql`, `max_rows`"
        );
    }
}
