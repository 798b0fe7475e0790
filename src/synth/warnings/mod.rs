//! Early warning (issue 29): the `disability` 残疾人, `medical` 医保结算 and `unemployment`
//! 失业登记 registries and `truth_warnings.csv`. `cases.rs` plants people off the roll who
//! should be covered (应纳未纳) beside their decoys, people whose IDs are damaged beyond
//! use, and roll members with signals (dibao ones should be raised, 应增未增); `rows.rs`
//! writes the rows and fills each registry with people who raise nothing (about
//! `medical_per_member` settlements per roll row, a fifth as many certificates and a tenth
//! as many unemployment registrations, a province's 2 : 10 : 1); `truth.rs` decides the
//! warnings from the true persons by the contract's rule, never by running the pipeline.
//!
//! All of it draws from a random stream of its own after every other part and only adds
//! rows: the roll, every row the other parts wrote and every other truth file stay as they
//! were for a seed. Its people's deaths, assets and income are new rows of the other
//! registries about people off the roll, so no household's flags change. Roll members are
//! taken from households of a clear shape (each member on the roll once, alone with their
//! name and birth date, no planted case) whose members no death record could be about.

mod cases;
mod rows;
#[cfg(test)]
mod tests;
mod truth;

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::supporters::world::{canonical_id, Facts};
use super::{names, Generator, Household, Person, Quiet};
use crate::ingest::schema::col;
use crate::model::{Programme, Source};
use cases::{Case, Part, Who, CASES};
use truth::{OnRoll, SignalFacts, SignalPerson};

pub use rows::{signal_col, SignalRegistry, SignalTables};
pub use truth::{WarningCase, WarningTruth};

/// Xor-ed into the seed for the early-warning part's own random stream.
const WARNING_STREAM: u64 = 0x7761_726e_696e_6773;

/// How many early-warning cases and registry rows a county has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WarningShape {
    /// People planted for the cases (should be covered or raised, and decoys) per 1000 roll
    /// households; every case at least once when above 0.
    pub candidates_per_1000: f64,
    /// Medical settlement rows per roll row; disability rows are a fifth of that and
    /// unemployment rows a tenth.
    pub medical_per_member: f64,
    /// The three registries this many times as large when written: each a directory of
    /// parts, the county's own rows and `registry_scale - 1` batches of as many quiet rows
    /// (on their own, not with `--registry-scale`: a province's medical settlements are
    /// many, its other registries' batches more).
    pub registry_scale: u32,
}

impl Default for WarningShape {
    /// A 20,000-household county: about 300 planted people, 2 settlements per roll row.
    fn default() -> Self {
        WarningShape {
            candidates_per_1000: 15.0,
            medical_per_member: 2.0,
            registry_scale: 1,
        }
    }
}

/// Whether `source` is one of the three registries this part writes (the writer leaves them
/// to it once the pipeline's `Source` names them).
pub fn writes(source: Source) -> bool {
    SignalRegistry::ALL
        .iter()
        .any(|r| r.code() == source.code())
}

/// Roll members a case may take, by programme, in a random order: one per household.
struct Members(BTreeMap<Programme, Vec<(usize, Person)>>);

impl Members {
    fn take(&mut self, programmes: &[Programme], rng: &mut impl Rng) -> Option<(usize, Person)> {
        let start = rng.random_range(0..programmes.len());
        (0..programmes.len())
            .map(|i| programmes[(start + i) % programmes.len()])
            .find_map(|p| self.0.get_mut(&p).and_then(Vec::pop))
    }
}

impl Generator {
    /// The early-warning part (see the module comment): writes the three registries into
    /// `signal_tables` and the planted people's other records into the registries; returns
    /// the warnings they should raise and every planted person's case.
    pub(super) fn plant_warnings(
        &mut self,
        households: &[Household],
        shape: &WarningShape,
        quiet: Quiet,
    ) -> (Vec<WarningTruth>, Vec<WarningCase>) {
        self.rng = ChaCha8Rng::seed_from_u64(self.options.seed ^ WARNING_STREAM);
        let mut names: HashSet<(String, NaiveDate)> = households
            .iter()
            .flat_map(|h| &h.members)
            .map(|p| (p.name.clone(), p.birth))
            .collect();
        let mut members = self.members_for_signals(households);
        let total: u32 = CASES.iter().map(|c| c.weight).sum();
        #[allow(clippy::cast_precision_loss)]
        let persons = shape.candidates_per_1000 * households.len() as f64 / 1000.0;
        let mut people = Vec::new();
        for case in CASES.iter().filter(|_| persons > 0.0) {
            let expected = persons * f64::from(case.weight) / f64::from(total);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = (expected.round() as usize).max(1);
            for _ in 0..n {
                people.extend(self.plant_case(case, households, &mut members, &mut names));
            }
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let medical = (shape.medical_per_member * self.roll.len() as f64) as usize;
        self.signal_tables.batch_targets = [medical / 5, medical, medical / 10];
        // Streamed: the writer makes them (`stream_quiet`), from the stream where they
        // would be made here, nothing drawn in between.
        if quiet == Quiet::InCounty {
            self.quiet_people(self.signal_tables.batch_targets);
        }
        let at = self.as_of();
        (truth::compute(&people, at), truth::cases(&people, at))
    }

    /// One person of `case`: made, or taken from the roll (`None` when no member is left),
    /// with the case's records written.
    fn plant_case(
        &mut self,
        case: &Case,
        households: &[Household],
        members: &mut Members,
        names: &mut HashSet<(String, NaiveDate)>,
    ) -> Option<SignalPerson> {
        let (person, roll, region) = match case.who {
            Who::OffRoll => {
                let person = self.fresh_person(names);
                let region = self.county_region();
                (person, None, region)
            }
            Who::Member(programmes) => {
                let (h, person) = members.take(programmes, &mut self.rng)?;
                let household = &households[h];
                let on = OnRoll {
                    household_id: household.id.clone(),
                    programme: household.programme,
                };
                (person, Some(on), household.region.clone())
            }
        };
        let damage = case.parts.iter().find_map(|p| match p {
            Part::Damaged(d) => Some(*d),
            _ => None,
        });
        let (mut signals, mut facts) = (SignalFacts::default(), Facts::default());
        for &part in case.parts {
            self.signal_part(part, &mut signals);
            self.other_part(part, &person, &mut facts);
        }
        self.write_signals(&person, damage, &region, &signals);
        Some(SignalPerson {
            key: person.id.clone(),
            valid_id: damage.is_none(),
            roll,
            signals,
            facts,
            case: case.label,
        })
    }

    /// An adult off the roll with a name and birth date no one else here has.
    fn fresh_person(&mut self, names: &mut HashSet<(String, NaiveDate)>) -> Person {
        loop {
            let surname = names::pick_surname(&mut self.rng);
            let name = self.names.full_name(&mut self.rng, surname);
            let birth = self.date_between(Self::ymd(1945, 1, 1), Self::ymd(2003, 12, 31));
            if names.insert((name.clone(), birth)) {
                let male = self.rng.random_bool(0.5);
                return self.person(name, birth, male);
            }
        }
    }

    /// One member of each clear household (see the module comment) whose ID is on no death
    /// record and whose birth date is on none without a valid ID, shuffled, by programme.
    fn members_for_signals(&mut self, households: &[Household]) -> Members {
        let mut dead_ids = HashSet::new();
        let mut unsure_births = HashSet::new();
        for row in &self.registries[&Source::Death] {
            match canonical_id(&row[col::ID_NUMBER]) {
                Some(id) => dead_ids.insert(id),
                None => unsure_births.insert(row[col::BIRTH_DATE].to_string()),
            };
        }
        let clear = self.clear_households(households);
        let mut by_programme: BTreeMap<Programme, Vec<(usize, Person)>> = BTreeMap::new();
        for (h, household) in households.iter().enumerate() {
            let safe = |p: &&Person| {
                !dead_ids.contains(&p.id) && !unsure_births.contains(&p.birth.to_string())
            };
            let safe: Vec<&Person> = household.members.iter().filter(safe).collect();
            if !clear[h] || safe.is_empty() {
                continue;
            }
            let person = safe[self.rng.random_range(0..safe.len())].clone();
            by_programme
                .entry(household.programme)
                .or_default()
                .push((h, person));
        }
        for list in by_programme.values_mut() {
            list.shuffle(&mut self.rng);
        }
        Members(by_programme)
    }

    /// Starts another batch of the three registries' quiet rows, as many as the county's
    /// own, from a stream of its own (`WarningShape::registry_scale`'s further parts): the
    /// caller makes them with `stream_quiet`, registry by registry.
    /// Rows of each registry (disability, medical, unemployment) the county and each further
    /// batch hold.
    pub(in crate::synth) fn signal_targets(&self) -> [usize; 3] {
        self.signal_tables.batch_targets
    }

    pub(in crate::synth) fn start_signal_batch(&mut self, batch: u64) -> [usize; 3] {
        self.rng = ChaCha8Rng::seed_from_u64(self.options.seed ^ WARNING_STREAM ^ (batch << 32));
        self.signal_tables.rows.clear();
        self.signal_tables.batch_targets
    }
}
