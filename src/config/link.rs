//! `[link]` and the populations registries cover: how roll members are linked to registry
//! records (blocking rules, probability thresholds, fixed parameters, namesake risk).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{read_text, resolve_against, SourceSpec};
use crate::model::{BlockingRule, Source};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLink {
    blocking: Option<Vec<BlockingRule>>,
    match_probability: Option<f64>,
    possible_probability: Option<f64>,
    /// A `model.json` written by an earlier run: use its parameters instead of training.
    parameters: Option<PathBuf>,
    /// A record without a usable or masked ID flags only when fewer people than this are
    /// expected to share its name and birth date in the registry's population.
    max_expected_namesakes: Option<f64>,
}

/// Levels per person-matching field (id, name, birth date, region, gender), the shape a
/// parameters file must have; `link::model::PERSON` is built from it.
pub const PERSON_LEVEL_COUNTS: [usize; 5] = [9, 4, 5, 5, 3];

/// Fellegi–Sunter parameters, as trained by a run (`model.json`) or loaded from a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkParameters {
    /// Share of candidate pairs that are matches (the prior).
    pub lambda: f64,
    /// m[field][level] and u[field][level], fields and levels in `link::model` order.
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    /// `default`, `em` or `file`.
    pub source: String,
    pub em_iterations: usize,
    /// The prior for pairs where an ID is missing: records without an ID are a population
    /// of their own (mostly people not on the roll), so they get their own prior.
    #[serde(default)]
    pub lambda_missing_id: Option<f64>,
}

/// Whether parameters have one m and one u per level of every person-matching field.
fn has_person_shape(parameters: &LinkParameters) -> bool {
    let fits = |table: &[Vec<f64>]| {
        table.len() == PERSON_LEVEL_COUNTS.len()
            && table
                .iter()
                .zip(PERSON_LEVEL_COUNTS)
                .all(|(levels, n)| levels.len() == n)
    };
    fits(&parameters.m) && fits(&parameters.u)
}

/// How records without a shared valid ID are linked.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSpec {
    pub blocking: Vec<BlockingRule>,
    /// A pair at or above this probability counts for the rules.
    pub match_probability: f64,
    /// A pair at or above this (and below `match_probability`) is a lead for review only.
    pub possible_probability: f64,
    /// Fixed parameters from a file; `None` trains on the run's own data.
    pub parameters: Option<LinkParameters>,
    /// People each registry covers (`[sources.X] population`, else `[pipeline] population`).
    pub population: BTreeMap<Source, f64>,
    /// Used for a registry the pipeline gives no population of its own.
    pub default_population: f64,
    /// The most people expected to share a name and birth date in a registry's population
    /// for a record without a usable or masked ID to count (contract: namesake risk).
    pub max_expected_namesakes: f64,
}

/// `[pipeline] population` when the pipeline does not say: a province's registers.
pub const DEFAULT_POPULATION: f64 = 10_000_000.0;
/// `[link] max_expected_namesakes` when the pipeline does not say.
pub const DEFAULT_MAX_EXPECTED_NAMESAKES: f64 = 0.01;

impl LinkSpec {
    /// The population a registry covers.
    pub fn population_of(&self, source: Source) -> f64 {
        self.population
            .get(&source)
            .copied()
            .unwrap_or(self.default_population)
    }
}

/// `[link]`; populations come after the sources (`resolve_populations`).
pub(super) fn resolve_link(raw: RawLink, base: &Path, problems: &mut Vec<String>) -> LinkSpec {
    let max_expected_namesakes = raw
        .max_expected_namesakes
        .unwrap_or(DEFAULT_MAX_EXPECTED_NAMESAKES);
    if !(max_expected_namesakes.is_finite() && max_expected_namesakes >= 0.0) {
        problems.push(format!(
            "link.max_expected_namesakes: must be a non-negative number, got {max_expected_namesakes}"
        ));
    }
    let mut blocking = raw.blocking.unwrap_or_else(|| BlockingRule::ALL.to_vec());
    // Masked IDs are matched on their visible characters whatever else is listed
    // (contract, matching item 6): the rule is part of the ID path, not an option.
    if !blocking.contains(&BlockingRule::MaskedIdVisible) {
        blocking.push(BlockingRule::MaskedIdVisible);
    }
    let match_probability = raw.match_probability.unwrap_or(0.99);
    let possible_probability = raw.possible_probability.unwrap_or(0.5);
    for (key, value) in [
        ("match_probability", match_probability),
        ("possible_probability", possible_probability),
    ] {
        if !(value > 0.0 && value < 1.0) {
            problems.push(format!(
                "link.{key}: must be between 0 and 1 (exclusive), got {value}"
            ));
        }
    }
    if possible_probability > match_probability {
        problems.push(format!(
            "link.possible_probability: {possible_probability} is above link.match_probability {match_probability}"
        ));
    }
    let parameters = raw.parameters.and_then(|file| {
        let path = resolve_against(base, file);
        match load_parameters(&path) {
            Ok(parameters) => Some(parameters),
            Err(problem) => {
                problems.push(format!("link.parameters: {}: {problem}", path.display()));
                None
            }
        }
    });
    LinkSpec {
        blocking,
        match_probability,
        possible_probability,
        parameters,
        population: BTreeMap::new(),
        default_population: DEFAULT_POPULATION,
        max_expected_namesakes,
    }
}

/// Fixed parameters from `[link] parameters`, or what is wrong with the file.
fn load_parameters(path: &Path) -> Result<LinkParameters, String> {
    let text = read_text(path).map_err(|err| err.to_string())?;
    let mut parameters: LinkParameters =
        serde_json::from_str(&text).map_err(|err| err.to_string())?;
    if !has_person_shape(&parameters) {
        return Err(format!(
            "made for another version's comparison levels (this one has {PERSON_LEVEL_COUNTS:?} levels per field); leave `parameters` out to train on the run's data"
        ));
    }
    parameters.source = "file".into();
    Ok(parameters)
}

/// `[pipeline] population` (the default) and each `[sources.X] population`, as `(X, value)`
/// in the order written; a value is checked even when its source was refused.
pub(super) fn resolve_populations(
    link: &mut LinkSpec,
    pipeline_population: Option<f64>,
    source_populations: Vec<(String, Option<f64>)>,
    sources: &BTreeMap<Source, SourceSpec>,
    problems: &mut Vec<String>,
) {
    link.default_population =
        checked_population("pipeline.population", pipeline_population, problems)
            .unwrap_or(DEFAULT_POPULATION);
    for (name, value) in source_populations {
        let value = checked_population(&format!("sources.{name}.population"), value, problems);
        let source = sources.keys().copied().find(|s| s.code() == name);
        if let (Some(source), Some(value)) = (source, value) {
            link.population.insert(source, value);
        }
    }
}

/// A population the pipeline gives, when it is a number of people.
fn checked_population(key: &str, value: Option<f64>, problems: &mut Vec<String>) -> Option<f64> {
    let value = value?;
    if value.is_finite() && value >= 1.0 {
        Some(value)
    } else {
        problems.push(format!(
            "{key}: a population is a number of people (1 or more), got {value}"
        ));
        None
    }
}
