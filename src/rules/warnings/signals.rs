//! What the early-warning registries say of each person with a valid ID, at D: the most
//! severe disability certificate in force, the medical costs they paid themselves over the
//! last 365 days, the oldest unemployment registration still open. Read a piece at a time
//! (a province's settlements are tens of millions of rows): each person keeps a few
//! numbers, not their rows, and only a person some row says something of at D is kept at
//! all (issue 32: everyone the registries named, with their texts, took 1.3 GB of a
//! 500,000-household province; a revoked certificate, an old settlement or a closed
//! registration never makes a signal). Once the candidates are known, `keep_only` drops
//! everyone who is neither one nor a member.

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate};

use crate::config::WarningSpec;
use crate::ingest::{RecordDetails, RegistryRecord};
use crate::model::Signal;
use crate::normalize::{Person, ValidId};

/// A disability certificate in force at D.
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    pub grade: u8,
    pub kind: Option<Box<str>>,
    pub certified_on: NaiveDate,
    pub record_id: Box<str>,
}

/// One person's signals, as far as the registries read so far say. Boxed where most people
/// have none: a province holds millions.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonSignals {
    /// As the first record saying something of them at D wrote it.
    pub name: Box<str>,
    /// Their valid ID (`id` gives its text).
    pub valid: ValidId,
    /// The first region code a record saying something of them at D gives.
    pub region_code: Option<Box<str>>,
    /// The most severe certificate in force at D (lowest grade, then earliest).
    pub disability: Option<Box<Certificate>>,
    /// Out-of-pocket fen (0.01 yuan: sums of money stay exact) and settlements in
    /// (D − 365 days, D].
    pub medical_fen: i64,
    pub settlements: u32,
    /// The earliest registration open at D, with its record.
    pub unemployed_since: Option<Box<(NaiveDate, Box<str>)>>,
}

/// The signals of every person the early-warning registries name with a valid ID and say
/// something of at D, by the ID's key.
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
            // What the row says at D, if anything, and the region it gives.
            let (said, region_code) = match &record.details {
                RecordDetails::Disability {
                    grade,
                    kind,
                    certified_on,
                    revoked_on,
                    region_code,
                } => (
                    super::super::active_at(*certified_on, *revoked_on, as_of).then(|| {
                        Said::Certificate(Certificate {
                            grade: *grade,
                            kind: kind.as_deref().map(Box::from),
                            certified_on: *certified_on,
                            record_id: record.record_id.as_str().into(),
                        })
                    }),
                    region_code,
                ),
                RecordDetails::Medical {
                    settled_on,
                    out_of_pocket,
                    region_code,
                } => (
                    (*settled_on > window_start && *settled_on <= as_of).then(|| {
                        #[allow(clippy::cast_possible_truncation)] // yuan ≤ 1e12
                        let fen = (out_of_pocket * 100.0).round() as i64;
                        Said::Settlement(fen)
                    }),
                    region_code,
                ),
                RecordDetails::Unemployment {
                    registered_on,
                    ended_on,
                    region_code,
                } => (
                    super::super::active_at(*registered_on, *ended_on, as_of)
                        .then_some(Said::Registered(*registered_on)),
                    region_code,
                ),
                _ => (None, &None),
            };
            let Some(said) = said else {
                continue;
            };
            let entry = self
                .people
                .entry(valid.key)
                .or_insert_with(|| PersonSignals {
                    name: record.person.name.as_str().into(),
                    valid: *valid,
                    region_code: None,
                    disability: None,
                    medical_fen: 0,
                    settlements: 0,
                    unemployed_since: None,
                });
            if entry.region_code.is_none() {
                entry.region_code = region_code.as_deref().map(Box::from);
            }
            match said {
                Said::Certificate(certificate) => {
                    let better = entry.disability.as_ref().is_none_or(|c| {
                        (certificate.grade, certificate.certified_on) < (c.grade, c.certified_on)
                    });
                    if better {
                        entry.disability = Some(Box::new(certificate));
                    }
                }
                Said::Settlement(fen) => {
                    entry.medical_fen += fen;
                    entry.settlements += 1;
                }
                Said::Registered(registered_on) => {
                    if entry
                        .unemployed_since
                        .as_ref()
                        .is_none_or(|since| registered_on < since.0)
                    {
                        let record_id = record.record_id.as_str().into();
                        entry.unemployed_since = Some(Box::new((registered_on, record_id)));
                    }
                }
            }
        }
    }

    /// Keeps only the people whose ID key is in `keys` (the members and the candidates:
    /// no one else's signals are read after the candidates are found).
    pub fn keep_only(&mut self, keys: &HashSet<u64>) {
        self.people.retain(|key, _| keys.contains(key));
        self.people.shrink_to_fit();
    }

    /// The person with this ID key, if a registry says something of them at D.
    pub fn of(&self, key: u64) -> Option<&PersonSignals> {
        self.people.get(&key)
    }

    /// Everyone kept, by ID key, in key order (the same order every run).
    pub fn people(&self) -> Vec<(u64, &PersonSignals)> {
        let mut people: Vec<(u64, &PersonSignals)> =
            self.people.iter().map(|(k, p)| (*k, p)).collect();
        people.sort_unstable_by_key(|(k, _)| *k);
        people
    }
}

/// What one row says of its person at D.
enum Said {
    Certificate(Certificate),
    /// Out-of-pocket fen of a settlement in the last 365 days.
    Settlement(i64),
    /// An unemployment registration open at D, from this day.
    Registered(NaiveDate),
}

impl PersonSignals {
    /// Their ID's 18 characters.
    pub fn id(&self) -> String {
        self.valid.text().to_string()
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
            .is_some_and(|since| long_ago.is_some_and(|d| since.0 <= d))
        {
            signals.push(Signal::LongUnemployed);
        }
        signals
    }
}
