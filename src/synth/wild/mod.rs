//! The wild variant (`Variant::Wild`): what shared extracts and population-sized registries
//! add to the hard cases.
//! - Masked IDs (`411526********123X`, `4115**********123X`, full-width `＊`, other runs) on
//!   a share of every registry's rows, planted true cases and unrelated records alike. A
//!   mask is never ambiguous: no roll person but the record's own agrees with its visible
//!   characters among those with its name or birth date.
//! - Masked decoys: a member's exact name and birth date under another person's masked ID
//!   whose visible characters differ from the member's. They must never flag.
//! - Blank-ID namesakes: the registries cover a population of `POPULATION_PER_ROLL_PERSON`
//!   people per roll person, so each roll person has about e = population × share of the
//!   name × share of the birth date others with the same name and birth date in it. A name
//!   with e ≥ `NAMESAKE_FLOOR` gets Poisson(e) of them as blank-ID records (mostly deaths and
//!   vehicles); a rarer one gets none (the issue's "common names get namesakes, rare ones do
//!   not"; by default the thin tail below is not modelled: the contract's threshold,
//!   `max_expected_namesakes`, bounds it per flag, but a county's thousands of rare names
//!   would add up to about Σ e wrong flags; `Mix::namesake_floor` 0 models it). The total
//!   is capped at one per two households.
//! - Blank-ID true cases for common and rare names (the hard ones are restricted to names
//!   unique on the roll, and mostly rare).
//!
//! All of it draws from a random stream of its own, after the hard variant is built, so the
//! hard part of a wild county is the hard county of the same seed (masks and a few blanked
//! birth dates aside).
//!
//! `masks.rs` writes masks and masked decoys, `namesakes.rs` blank-ID true cases and
//! namesakes, `addresses.rs` the registries' addresses; `index.rs` looks roll people up.

mod addresses;
mod cells;
mod index;
mod masks;
mod namesakes;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use self::index::RollIndex;
use super::plant::{income_limit, Pool};
use super::{pick_weighted, Generator, Household, RecordTruth, Subject};
use crate::model::{Programme, Reason, Source};
#[cfg(test)]
pub(crate) use namesakes::poisson;
pub use namesakes::{NAMESAKE_FLOOR, POPULATION_PER_ROLL_PERSON};

/// Xor-ed into the seed for the wild part's own random stream.
const WILD_STREAM: u64 = 0x7769_6c64_0019_5eed;

/// What a planted record would raise if it matched, in the registry it is written to.
#[derive(Clone, Copy)]
enum Kind {
    Death,
    Vehicle,
    Pension,
    Business,
    Property,
}

impl Kind {
    fn source(self) -> Source {
        match self {
            Kind::Death => Source::Death,
            Kind::Vehicle => Source::Vehicle,
            Kind::Pension => Source::Pension,
            Kind::Business => Source::Business,
            Kind::Property => Source::Property,
        }
    }

    /// A kind drawn by `weights` for a record about a member of `household`: a pension only
    /// where the household is means-tested, else a business.
    fn draw(rng: &mut impl Rng, weights: &[(Kind, u32)], household: &Household) -> Kind {
        match pick_weighted(rng, weights) {
            Kind::Pension if household.programme == Programme::Linshi => Kind::Business,
            kind => kind,
        }
    }

    fn reason(self) -> Reason {
        match self {
            Kind::Death => Reason::DeceasedMember,
            Kind::Vehicle => Reason::VehicleOwned,
            Kind::Pension => Reason::PensionIncome,
            Kind::Business => Reason::BusinessActive,
            Kind::Property => Reason::PropertyExcess,
        }
    }
}

impl Generator {
    /// The wild part: blank-ID true cases, masked decoys, blank-ID namesakes, then masks on
    /// a share of every registry's rows. Returns the records whose identity it decided (and
    /// the hard part's), with the roll members they concern.
    pub(super) fn plant_wild(&mut self, households: &[Household], pool: Pool) -> Vec<RecordTruth> {
        self.rng = ChaCha8Rng::seed_from_u64(self.options.seed ^ WILD_STREAM);
        let index = RollIndex::new(households, &self.roll);
        self.plant_blank_id_cases(households, pool, &index);
        self.plant_masked_decoys(households, pool, &index);
        self.plant_namesakes(households, &index);
        self.write_addresses(households, &index);
        self.mask_ids(&index);
        self.record_truths(&index)
    }

    /// A record of `kind` about `subject` that raises its reason if it is a member of
    /// `household`: a past death, an ordinary car, a counted pension above the household's
    /// standard (means-tested households only), an active legal representative, a shop.
    fn flaggable_record(&mut self, kind: Kind, household: &Household, subject: Subject) {
        match kind {
            Kind::Death => self.recent_death(subject),
            Kind::Vehicle => {
                let registered = self.past_date(8);
                self.vehicle(subject, "car", registered, None);
            }
            Kind::Pension => {
                let limit = income_limit(household).expect("pensions go to means-tested homes");
                let amount = limit + self.rng.random_range(50.0..1500.0);
                let start = self.past_date(10);
                self.pension(subject, "enterprise", amount, start, None);
            }
            Kind::Business => {
                let established = self.past_date(10);
                self.business(subject, "legal_rep", 500_000.0, "active", established, None);
            }
            Kind::Property => {
                let registered = self.past_date(15);
                let unit = format!("W-UNIT-{:07}", self.rng.random_range(0..10_000_000));
                self.property(subject, &unit, "commercial", registered, None);
            }
        }
    }

    /// The planted records with the members they concern, one row per (record, member);
    /// a record planted and then masked says both.
    fn record_truths(&mut self, index: &RollIndex) -> Vec<RecordTruth> {
        let mut merged: BTreeMap<(Source, String, String), (bool, Vec<String>)> = BTreeMap::new();
        // Kept on the generator: the supporters' part reads members' pensions through them.
        for planted in self.record_truth.iter().cloned() {
            let entry = merged
                .entry((planted.source, planted.record_id, planted.person_id))
                .or_insert((planted.same_person, Vec::new()));
            entry.0 &= planted.same_person;
            entry.1.push(planted.case);
        }
        merged
            .into_iter()
            .filter_map(|((source, record_id, person_id), (same_person, cases))| {
                let person = &index.people[*index.by_id.get(&person_id)?];
                Some(RecordTruth {
                    source,
                    record_id,
                    household_id: person.household_id.clone(),
                    member_id: person.member_id.clone(),
                    same_person,
                    case: cases.join("; "),
                })
            })
            .collect()
    }
}
