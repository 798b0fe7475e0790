//! What the early-warning registries say of each person with a valid ID, at D: the most
//! severe disability certificate in force, the medical costs they paid themselves over the
//! last 365 days, the oldest unemployment registration still open. Read a piece at a time
//! (a province's settlements are tens of millions of rows): each person keeps a few
//! numbers, not their rows.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};

use crate::config::WarningSpec;
use crate::ingest::{RecordDetails, RegistryRecord};
use crate::model::Signal;
use crate::normalize::Person;

/// A disability certificate in force at D.
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    pub grade: u8,
    pub kind: Option<String>,
    pub certified_on: NaiveDate,
    pub record_id: String,
}

/// One person's signals, as far as the registries read so far say.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonSignals {
    /// As the first record naming them wrote it.
    pub name: String,
    /// The normalised ID (`person_key`).
    pub id: String,
    pub birth_date: NaiveDate,
    /// The first region code a record gives them.
    pub region_code: Option<String>,
    /// The most severe certificate in force at D (lowest grade, then earliest).
    pub disability: Option<Certificate>,
    /// Out-of-pocket fen (0.01 yuan: sums of money stay exact) and settlements in
    /// (D − 365 days, D].
    pub medical_fen: i64,
    pub settlements: u32,
    /// The earliest registration open at D, with its record.
    pub unemployed_since: Option<(NaiveDate, String)>,
}

/// The signals of every person the early-warning registries name with a valid ID, by the
/// ID's key.
#[derive(Debug, Default)]
pub struct SignalRecords {
    people: HashMap<u64, PersonSignals>,
    /// Rows whose person has no valid ID: never a candidate (contract), counted.
    pub without_valid_id: usize,
}

impl SignalRecords {
    /// Takes in a piece of an early-warning registry (`persons` parallel to `records`).
    pub fn absorb(&mut self, as_of: NaiveDate, records: &[RegistryRecord], persons: &[Person]) {
        let window_start = as_of.checked_sub_days(Days::new(365)).unwrap_or(as_of);
        for (record, person) in records.iter().zip(persons) {
            let Some(valid) = person.valid_id() else {
                self.without_valid_id += 1;
                continue;
            };
            let entry = self
                .people
                .entry(valid.key)
                .or_insert_with(|| PersonSignals {
                    name: record.person.name.clone(),
                    id: valid.text().to_string(),
                    birth_date: valid.birth_date,
                    region_code: None,
                    disability: None,
                    medical_fen: 0,
                    settlements: 0,
                    unemployed_since: None,
                });
            match &record.details {
                RecordDetails::Disability {
                    grade,
                    kind,
                    certified_on,
                    revoked_on,
                    region_code,
                } => {
                    entry.note_region(region_code.as_deref());
                    let in_force = super::super::active_at(*certified_on, *revoked_on, as_of);
                    let better = entry
                        .disability
                        .as_ref()
                        .is_none_or(|c| (*grade, *certified_on) < (c.grade, c.certified_on));
                    if in_force && better {
                        entry.disability = Some(Certificate {
                            grade: *grade,
                            kind: kind.clone(),
                            certified_on: *certified_on,
                            record_id: record.record_id.clone(),
                        });
                    }
                }
                RecordDetails::Medical {
                    settled_on,
                    out_of_pocket,
                    region_code,
                } => {
                    entry.note_region(region_code.as_deref());
                    if *settled_on > window_start && *settled_on <= as_of {
                        #[allow(clippy::cast_possible_truncation)] // yuan ≤ 1e12
                        let fen = (out_of_pocket * 100.0).round() as i64;
                        entry.medical_fen += fen;
                        entry.settlements += 1;
                    }
                }
                RecordDetails::Unemployment {
                    registered_on,
                    ended_on,
                    region_code,
                } => {
                    entry.note_region(region_code.as_deref());
                    let open = super::super::active_at(*registered_on, *ended_on, as_of);
                    if open
                        && entry
                            .unemployed_since
                            .as_ref()
                            .is_none_or(|(d, _)| registered_on < d)
                    {
                        entry.unemployed_since = Some((*registered_on, record.record_id.clone()));
                    }
                }
                _ => {}
            }
        }
    }

    /// The person with this ID key, if a registry names them.
    pub fn of(&self, key: u64) -> Option<&PersonSignals> {
        self.people.get(&key)
    }

    /// Everyone named, by ID key, in key order (the same order every run).
    pub fn people(&self) -> Vec<(u64, &PersonSignals)> {
        let mut people: Vec<(u64, &PersonSignals)> =
            self.people.iter().map(|(k, p)| (*k, p)).collect();
        people.sort_unstable_by_key(|(k, _)| *k);
        people
    }
}

impl PersonSignals {
    fn note_region(&mut self, code: Option<&str>) {
        if self.region_code.is_none() {
            self.region_code = code.map(str::to_string);
        }
    }

    /// Out-of-pocket yuan over the last 365 days.
    pub fn medical_yuan(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // fen far below 2^52
        let yuan = self.medical_fen as f64 / 100.0;
        yuan
    }

    /// The signals at D under `spec`'s thresholds, in vocabulary order.
    pub fn signals(&self, spec: &WarningSpec, as_of: NaiveDate) -> Vec<Signal> {
        let mut signals = Vec::new();
        if self
            .disability
            .as_ref()
            .is_some_and(|c| c.grade <= spec.max_grade)
        {
            signals.push(Signal::SevereDisability);
        }
        if self.medical_yuan() >= spec.medical_yuan {
            signals.push(Signal::MedicalBurden);
        }
        let long_ago = as_of.checked_sub_days(Days::new(u64::from(spec.unemployed_days)));
        if self
            .unemployed_since
            .as_ref()
            .is_some_and(|(since, _)| long_ago.is_some_and(|d| *since <= d))
        {
            signals.push(Signal::LongUnemployed);
        }
        signals
    }
}
