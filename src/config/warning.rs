//! `[warning]`: when an early-warning registry's record is a signal, which signals make a
//! warning, and against which programme's standard a candidate's income is held (contract
//! v3, "Early warning").

use serde::Deserialize;

use crate::model::{Programme, Signal};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWarning {
    max_grade: Option<u8>,
    medical_yuan: Option<f64>,
    unemployed_days: Option<u32>,
    cover_signals: Option<Vec<String>>,
    raise_signals: Option<Vec<String>>,
    standard_programme: Option<String>,
}

/// `[warning]`, with the contract's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningSpec {
    /// A disability of this grade or more severe (1 is the most severe) is a signal.
    pub max_grade: u8,
    /// Out-of-pocket medical costs over the last 365 days from this sum are a signal.
    pub medical_yuan: f64,
    /// An unemployment registration at least this many days old is a signal.
    pub unemployed_days: u32,
    /// Signals that make someone off the roll `should_cover`.
    pub cover_signals: Vec<Signal>,
    /// Signals that make a dibao member `should_raise`.
    pub raise_signals: Vec<Signal>,
    /// Whose standard a candidate's income is held to (regional standards by their region).
    pub standard_programme: Programme,
}

impl Default for WarningSpec {
    fn default() -> WarningSpec {
        WarningSpec {
            max_grade: 2,
            medical_yuan: 20_000.0,
            unemployed_days: 180,
            cover_signals: vec![Signal::SevereDisability, Signal::MedicalBurden],
            raise_signals: vec![Signal::SevereDisability, Signal::MedicalBurden],
            standard_programme: Programme::DibaoRural,
        }
    }
}

pub(super) fn resolve_warning(raw: RawWarning, problems: &mut Vec<String>) -> WarningSpec {
    let defaults = WarningSpec::default();
    let max_grade = raw.max_grade.unwrap_or(defaults.max_grade);
    if !(1..=4).contains(&max_grade) {
        problems.push(format!(
            "warning.max_grade: {max_grade} is not a grade from 1 to 4"
        ));
    }
    let medical_yuan = raw.medical_yuan.unwrap_or(defaults.medical_yuan);
    if !(medical_yuan.is_finite() && medical_yuan > 0.0) {
        problems.push(format!(
            "warning.medical_yuan: {medical_yuan} is not an amount of yuan above 0"
        ));
    }
    let standard_programme = match raw.standard_programme {
        None => defaults.standard_programme,
        Some(name) => Programme::parse(&name).unwrap_or_else(|| {
            problems.push(format!(
                "warning.standard_programme: unknown programme `{name}` (expected one of {})",
                Programme::codes()
            ));
            defaults.standard_programme
        }),
    };
    WarningSpec {
        max_grade,
        medical_yuan,
        unemployed_days: raw.unemployed_days.unwrap_or(defaults.unemployed_days),
        cover_signals: super::listed(
            "warning.cover_signals",
            raw.cover_signals,
            defaults.cover_signals,
            (Signal::parse, Signal::codes),
            problems,
        ),
        raise_signals: super::listed(
            "warning.raise_signals",
            raw.raise_signals,
            defaults.raise_signals,
            (Signal::parse, Signal::codes),
            problems,
        ),
        standard_programme,
    }
}
