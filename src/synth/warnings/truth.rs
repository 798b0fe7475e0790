//! The early-warning truth (`truth_warnings.csv`), computed from what synth built (true
//! persons, not the files) by the contract's "Early warning" rules with the county-nightly
//! defaults: `max_grade` 2, `medical_yuan` 20000 over (D − 365 days, D], `unemployed_days`
//! 180, cover and raise signals `severe_disability` and `medical_burden`, the `dibao_rural`
//! standard 600 (synth's counties have no regional standards, so a candidate's region and
//! their ID's county both give 600). A person is a candidate only when the registries write
//! them with an ID that is valid after normalisation and they are alive at D; their income
//! is the supporters' (counted pensions + the largest active contribution base) and their
//! assets are tested as `vehicle_owned`, `business_active` and `property_excess` would test
//! them alone (`Facts::capacity_at`).

use chrono::{Days, NaiveDate};

use crate::model::Programme;
use crate::synth::supporters::world::{Facts, Span};

/// `[warning] max_grade`: grades 1 and 2 are severe.
const MAX_GRADE: u8 = 2;
/// `[warning] medical_yuan`, in fen (0.01 yuan), so that sums are exact.
const MEDICAL_FEN: i64 = 2_000_000;
/// The medical window: settlements in (D − 365 days, D].
const MEDICAL_WINDOW_DAYS: u64 = 365;
/// `[warning] unemployed_days`.
const UNEMPLOYED_DAYS: u64 = 180;
/// The `dibao_rural` standard a candidate's income is held against.
const STANDARD_YUAN: f64 = 600.0;

/// A disability certificate as built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::synth) struct Certificate {
    pub grade: u8,
    pub certified: NaiveDate,
    pub revoked: Option<NaiveDate>,
}

/// One medical settlement: its date and the person's own part in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::synth) struct Settlement {
    pub settled: NaiveDate,
    pub fen: i64,
}

/// What the three registries say of one person, as built.
#[derive(Debug, Clone, Default)]
pub(in crate::synth) struct SignalFacts {
    pub certificates: Vec<Certificate>,
    pub settlements: Vec<Settlement>,
    /// Registered (inclusive) to ended (exclusive, or never).
    pub unemployment: Vec<Span>,
}

/// Where a person is on the roll: their household and its programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::synth) struct OnRoll {
    pub household_id: String,
    pub programme: Programme,
}

/// One true person the three registries name.
#[derive(Debug, Clone)]
pub(in crate::synth) struct SignalPerson {
    /// Their true, canonical 18-character ID.
    pub key: String,
    /// Whether the registries write them with an ID valid after normalisation (false: blank
    /// or damaged in every row, so they are no candidate).
    pub valid_id: bool,
    pub roll: Option<OnRoll>,
    pub signals: SignalFacts,
    /// Income, assets and death, as the other registries hold them.
    pub facts: Facts,
    /// What was planted, for people reading the truth file.
    pub case: &'static str,
}

/// A signal, in the order the truth file lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Signal {
    SevereDisability,
    MedicalBurden,
    LongUnemployed,
}

impl Signal {
    pub fn code(self) -> &'static str {
        match self {
            Signal::SevereDisability => "severe_disability",
            Signal::MedicalBurden => "medical_burden",
            Signal::LongUnemployed => "long_unemployed",
        }
    }

    /// In `cover_signals` and `raise_signals` (the defaults name the same two).
    fn counts(self) -> bool {
        matches!(self, Signal::SevereDisability | Signal::MedicalBurden)
    }
}

/// Which warning a row of `truth_warnings.csv` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WarningKind {
    ShouldCover,
    ShouldRaise,
}

impl WarningKind {
    pub fn code(self) -> &'static str {
        match self {
            WarningKind::ShouldCover => "should_cover",
            WarningKind::ShouldRaise => "should_raise",
        }
    }
}

/// One row of `truth_warnings.csv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WarningTruth {
    pub warning: WarningKind,
    /// The normalised 18-character ID.
    pub person_key: String,
    /// The roll household, for `should_raise` only.
    pub household_id: Option<String>,
    /// All the person's signals at D, in `Signal` order.
    pub signals: Vec<Signal>,
    pub case: &'static str,
}

impl WarningTruth {
    /// The signals cell: codes joined by `;`.
    pub fn signals_cell(&self) -> String {
        let codes: Vec<&str> = self.signals.iter().map(|s| s.code()).collect();
        codes.join(";")
    }
}

impl SignalFacts {
    /// The signals at `at`, in order.
    pub(in crate::synth) fn at(&self, at: NaiveDate) -> Vec<Signal> {
        let severe = self
            .certificates
            .iter()
            .any(|c| c.grade <= MAX_GRADE && c.certified <= at && c.revoked.is_none_or(|r| r > at));
        let window_start = at - Days::new(MEDICAL_WINDOW_DAYS);
        let fen: i64 = self
            .settlements
            .iter()
            .filter(|s| s.settled > window_start && s.settled <= at)
            .map(|s| s.fen)
            .sum();
        let long_ago = at - Days::new(UNEMPLOYED_DAYS);
        let unemployed = self
            .unemployment
            .iter()
            .any(|u| u.from <= long_ago && u.to.is_none_or(|to| to > at));
        [
            (severe, Signal::SevereDisability),
            (fen >= MEDICAL_FEN, Signal::MedicalBurden),
            (unemployed, Signal::LongUnemployed),
        ]
        .into_iter()
        .filter_map(|(on, signal)| on.then_some(signal))
        .collect()
    }
}

/// The warning one person should raise at `at`, if any.
pub(in crate::synth) fn warning_of(person: &SignalPerson, at: NaiveDate) -> Option<WarningTruth> {
    let alive = person.facts.death.is_none_or(|d| d > at);
    if !person.valid_id || !alive {
        return None;
    }
    let signals = person.signals.at(at);
    if !signals.iter().any(|s| s.counts()) {
        return None;
    }
    let (warning, household_id) = match &person.roll {
        Some(on) if matches!(on.programme, Programme::DibaoRural | Programme::DibaoUrban) => {
            (WarningKind::ShouldRaise, Some(on.household_id.clone()))
        }
        Some(_) => return None,
        None => {
            let income = person.facts.pension_at(at) + person.facts.wage_at(at);
            if person.facts.capacity_at(at).is_some() || income > STANDARD_YUAN {
                return None;
            }
            (WarningKind::ShouldCover, None)
        }
    };
    Some(WarningTruth {
        warning,
        person_key: person.key.clone(),
        household_id,
        signals,
        case: person.case,
    })
}

/// One planted person and what they should raise (`truth_warning_cases.csv`), decoys and
/// people whose IDs are damaged included: the truth says why they are not warned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WarningCase {
    pub case: &'static str,
    /// Their true 18-character ID (not in the files when `valid_id` is false).
    pub person_key: String,
    /// Whether the registries write an ID valid after normalisation.
    pub valid_id: bool,
    /// Their roll household, if they are on the roll.
    pub household_id: Option<String>,
    /// The warning they should raise; `None` for a decoy.
    pub warning: Option<WarningKind>,
}

/// Each planted person's case and warning at `at`, sorted by case.
pub(in crate::synth) fn cases(people: &[SignalPerson], at: NaiveDate) -> Vec<WarningCase> {
    let mut rows: Vec<WarningCase> = people
        .iter()
        .map(|p| WarningCase {
            case: p.case,
            person_key: p.key.clone(),
            valid_id: p.valid_id,
            household_id: p.roll.as_ref().map(|on| on.household_id.clone()),
            warning: warning_of(p, at).map(|w| w.warning),
        })
        .collect();
    rows.sort();
    rows
}

/// Every warning the persons should raise at `at`, sorted.
pub(in crate::synth) fn compute(people: &[SignalPerson], at: NaiveDate) -> Vec<WarningTruth> {
    let mut rows: Vec<WarningTruth> = people.iter().filter_map(|p| warning_of(p, at)).collect();
    rows.sort();
    rows
}
