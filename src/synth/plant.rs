//! Planted cases (which must flag) and near-miss decoys (which must not), per rule. Each
//! case takes fresh households from the pool, so no two cases share a household; a case
//! returns `None` once the pool has run dry (a county too small for every case gets those
//! its households allow).

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use super::{Generator, Household, Person, Subject, Variant};
use crate::ingest::schema::col;
use crate::model::{Programme, Reason, Source};

pub(super) type Pool<'a> = &'a mut std::vec::IntoIter<usize>;

/// Standards the county-nightly pipeline ships (the contract's defaults).
pub(super) fn standard(programme: Programme) -> Option<f64> {
    match programme {
        Programme::DibaoUrban => Some(800.0),
        Programme::DibaoRural => Some(600.0),
        Programme::Tekun => Some(1040.0),
        Programme::Linshi => None,
    }
}

/// The household's monthly income limit: its programme's standard for each member. `None`
/// for temporary assistance, which is not means-tested.
pub(super) fn income_limit(household: &Household) -> Option<f64> {
    let n_members = u32::try_from(household.members.len()).unwrap_or(u32::MAX);
    standard(household.programme).map(|standard| standard * f64::from(n_members))
}

impl Generator {
    /// How many households a case takes: `per_mille` of the county, at least one.
    pub(super) fn count(&self, per_mille: usize) -> usize {
        (self.options.households * per_mille / 1000).max(1)
    }

    /// The next household in the pool that `fits`; those passed over leave the pool too.
    pub(super) fn take(
        households: &[Household],
        pool: Pool,
        fits: impl Fn(&Household) -> bool,
    ) -> Option<usize> {
        pool.find(|&h| fits(&households[h]))
    }

    /// Two fresh households for a case that spans two: the first one `fits`, the second any.
    pub(super) fn take_pair(
        households: &[Household],
        pool: Pool,
        fits: impl Fn(&Household) -> bool,
    ) -> Option<(usize, usize)> {
        let first = Self::take(households, pool, fits)?;
        let second = Self::take(households, pool, |_| true)?;
        Some((first, second))
    }

    /// A fresh household from the pool and one of its members, picked at random.
    pub(super) fn take_member(
        &mut self,
        households: &[Household],
        pool: Pool,
    ) -> Option<(usize, Person)> {
        let h = Self::take(households, pool, |_| true)?;
        Some((h, self.member(&households[h])))
    }

    pub(super) fn member(&mut self, household: &Household) -> Person {
        household.members[self.rng.random_range(0..household.members.len())].clone()
    }

    /// `person` (of household `a`, or someone with their ID) listed again on household
    /// `b`'s roll; both households should carry `reason`.
    pub(super) fn list_again(
        &mut self,
        households: &mut [Household],
        (a, b): (usize, usize),
        person: &Person,
        reason: Reason,
        case: &'static str,
    ) {
        self.add_roll_row(&mut households[b], person, "other");
        self.truth(&households[a], reason, case);
        self.truth(&households[b], reason, case);
    }

    /// A date within `years_back` years before the as-of date.
    pub(super) fn past_date(&mut self, years_back: u64) -> NaiveDate {
        let as_of = self.as_of();
        self.date_between(as_of - Days::new(365 * years_back), as_of)
    }

    /// A date within 200 days after the as-of date.
    fn future_date(&mut self) -> NaiveDate {
        let as_of = self.as_of();
        self.date_between(as_of + Days::new(1), as_of + Days::new(200))
    }

    /// A date from `start` to the as-of date: when something begun then had ended by it.
    fn ended_by_as_of(&mut self, start: NaiveDate) -> NaiveDate {
        self.date_between(start, self.as_of() + Days::new(1))
    }

    /// A death within the last two years.
    pub(super) fn recent_death(&mut self, subject: Subject) {
        let date = self.past_date(2);
        self.death(subject, date);
    }

    /// A residential property registered to the person as the roll knows them.
    fn residence(
        &mut self,
        person: &Person,
        property_id: &str,
        registered: NaiveDate,
        disposed: Option<NaiveDate>,
    ) {
        let subject = person.subject();
        self.property(subject, property_id, "residential", registered, disposed);
    }

    /// Every rule's cases and decoys, then (hard and wild) the hard cases. Stops at the first
    /// case the pool runs dry in: `take` empties the pool while it looks, so no case after
    /// it would have found a household either.
    pub(super) fn plant_all(&mut self, households: &mut [Household], pool: Pool) -> Option<()> {
        self.plant_deaths(households, pool)?;
        self.plant_pensions(households, pool)?;
        self.plant_vehicles(households, pool)?;
        self.plant_properties(households, pool)?;
        self.plant_businesses(households, pool)?;
        self.plant_cadre_relatives(households, pool)?;
        self.plant_duplicates(households, pool)?;
        self.plant_identity_conflicts(households, pool)?;
        self.plant_invalid_ids(households, pool)?;
        if matches!(self.options.variant, Variant::Hard | Variant::Wild) {
            self.plant_hard(households, pool)?;
        }
        Some(())
    }

    fn plant_deaths(&mut self, households: &[Household], pool: Pool) -> Option<()> {
        for i in 0..self.count(15) {
            let (h, person) = self.take_member(households, pool)?;
            let date = if i % 20 == 0 {
                self.as_of()
            } else {
                self.past_date(3)
            };
            let written = self.as_registry_writes(&person);
            self.death(written.subject(), date);
            let case = "death on or before as-of";
            self.truth(&households[h], Reason::DeceasedMember, case);
        }
        // Decoys: deaths after the as-of date.
        for _ in 0..self.count(3) {
            let (_, person) = self.take_member(households, pool)?;
            let date = self.future_date();
            self.death(person.subject(), date);
        }
        Some(())
    }

    fn plant_pensions(&mut self, households: &[Household], pool: Pool) -> Option<()> {
        let means_tested = |h: &Household| h.programme != Programme::Linshi;
        // (per mille, counted kind?, amount relative to the household's limit, ended?, flags?)
        let cases: [(usize, &str, f64, bool, bool, &'static str); 5] = [
            (
                10,
                "enterprise",
                1.0,
                false,
                true,
                "counted pension above standard",
            ),
            (5, "resident_basic", 1.0, false, false, ""),
            (5, "institution", -1.0, false, false, ""),
            (3, "enterprise", 1.0, true, false, ""),
            (1, "enterprise", 0.0, false, false, ""),
        ];
        for (per_mille, kind, direction, ended, flags, case) in cases {
            for _ in 0..self.count(per_mille) {
                let household = &households[Self::take(households, pool, means_tested)?];
                let limit = income_limit(household).expect("taken means-tested");
                let amount = if direction > 0.0 {
                    limit + self.rng.random_range(50.0..1500.0)
                } else if direction < 0.0 {
                    limit - self.rng.random_range(1.0..300.0)
                } else {
                    limit
                };
                let person = self.member(household);
                let start = self.past_date(10);
                let end = ended.then(|| self.ended_by_as_of(start));
                let written = self.as_registry_writes(&person);
                self.pension(written.subject(), kind, amount.max(1.0), start, end);
                if flags {
                    self.truth(household, Reason::PensionIncome, case);
                }
            }
        }
        // Decoys: temporary assistance is not means-tested.
        for _ in 0..self.count(2) {
            let h = Self::take(households, pool, |h| h.programme == Programme::Linshi)?;
            let person = self.member(&households[h]);
            let start = self.past_date(5);
            self.pension(person.subject(), "enterprise", 5000.0, start, None);
        }
        Some(())
    }

    fn plant_vehicles(&mut self, households: &[Household], pool: Pool) -> Option<()> {
        for _ in 0..self.count(10) {
            let (h, person) = self.take_member(households, pool)?;
            let kind = if self.rng.random_bool(0.8) {
                "car"
            } else {
                "truck"
            };
            let registered = self.past_date(8);
            let deregistered = self.rng.random_bool(0.2).then(|| self.future_date());
            let written = self.as_registry_writes(&person);
            self.vehicle(written.subject(), kind, registered, deregistered);
            let case = "ordinary vehicle registered";
            self.truth(&households[h], Reason::VehicleOwned, case);
        }
        // Decoys: exempt types, cars deregistered by the as-of date or registered after it.
        for _ in 0..self.count(10) {
            let (_, person) = self.take_member(households, pool)?;
            let kind = ["motorcycle", "tricycle", "agricultural", "disability"]
                [self.rng.random_range(0..4)];
            let registered = self.past_date(8);
            self.vehicle(person.subject(), kind, registered, None);
        }
        for _ in 0..self.count(3) {
            let (_, person) = self.take_member(households, pool)?;
            let registered = self.past_date(8);
            let deregistered = self.ended_by_as_of(registered);
            self.vehicle(person.subject(), "car", registered, Some(deregistered));
        }
        for _ in 0..self.count(2) {
            let (_, person) = self.take_member(households, pool)?;
            let registered = self.future_date();
            self.vehicle(person.subject(), "car", registered, None);
        }
        Some(())
    }

    fn plant_properties(&mut self, households: &[Household], pool: Pool) -> Option<()> {
        let mut next = 0usize;
        let mut property_id = move || {
            next += 1;
            format!("P-UNIT-{next:06}")
        };
        for _ in 0..self.count(5) {
            let h = Self::take(households, pool, |_| true)?;
            for _ in 0..2 {
                let person = self.member(&households[h]);
                let registered = self.past_date(15);
                let written = self.as_registry_writes(&person);
                let unit = property_id();
                self.property(written.subject(), &unit, "residential", registered, None);
            }
            let case = "two residential properties";
            self.truth(&households[h], Reason::PropertyExcess, case);
        }
        for _ in 0..self.count(5) {
            let (h, person) = self.take_member(households, pool)?;
            let registered = self.past_date(15);
            let use_ = if self.rng.random_bool(0.7) {
                "commercial"
            } else {
                "industrial"
            };
            let written = self.as_registry_writes(&person);
            self.property(written.subject(), &property_id(), use_, registered, None);
            let case = "non-residential property";
            self.truth(&households[h], Reason::PropertyExcess, case);
        }
        // Decoys: spouses co-owning one flat, a flat sold before a second was bought, one
        // flat.
        for _ in 0..self.count(5) {
            let h = Self::take(households, pool, |h| h.members.len() >= 2)?;
            let shared = property_id();
            let registered = self.past_date(15);
            for person in &households[h].members[..2] {
                self.residence(person, &shared, registered, None);
            }
        }
        for _ in 0..self.count(3) {
            let (_, person) = self.take_member(households, pool)?;
            let registered = self.past_date(15);
            self.residence(&person, &property_id(), registered, None);
            let disposed = self.ended_by_as_of(registered);
            self.residence(&person, &property_id(), registered, Some(disposed));
        }
        for _ in 0..self.count(30) {
            let (_, person) = self.take_member(households, pool)?;
            let registered = self.past_date(15);
            self.residence(&person, &property_id(), registered, None);
        }
        Some(())
    }

    fn plant_businesses(&mut self, households: &[Household], pool: Pool) -> Option<()> {
        // (per mille, role, capital, status, closed?, established in the future?, flags?)
        let cases: [(usize, &str, f64, &str, bool, bool, bool); 8] = [
            (5, "legal_rep", 500_000.0, "active", false, false, true),
            (5, "sole_proprietor", 30_000.0, "active", false, false, true),
            (2, "shareholder", 500_000.0, "active", false, false, true),
            (2, "legal_rep", 500_000.0, "revoked", false, false, false),
            (
                2,
                "sole_proprietor",
                30_000.0,
                "cancelled",
                true,
                false,
                false,
            ),
            (1, "shareholder", 100_000.0, "active", false, false, false),
            (2, "shareholder", 50_000.0, "active", false, false, false),
            (1, "legal_rep", 500_000.0, "active", false, true, false),
        ];
        for (per_mille, role, capital, status, closed, future, flags) in cases {
            for _ in 0..self.count(per_mille) {
                let (h, person) = self.take_member(households, pool)?;
                let established = if future {
                    self.future_date()
                } else {
                    self.past_date(10)
                };
                let closed_on = closed.then(|| self.ended_by_as_of(established));
                let written = self.as_registry_writes(&person);
                let subject = written.subject();
                self.business(subject, role, capital, status, established, closed_on);
                if flags {
                    let case = "active business role";
                    self.truth(&households[h], Reason::BusinessActive, case);
                }
            }
        }
        Some(())
    }

    fn plant_cadre_relatives(&mut self, households: &[Household], pool: Pool) -> Option<()> {
        for _ in 0..self.count(5) {
            let (h, person) = self.take_member(households, pool)?;
            let cadre = self.random_person();
            let written = self.as_registry_writes(&person);
            self.cadre(&cadre, written.subject());
            let case = "relative of a village cadre";
            self.truth(&households[h], Reason::CadreRelative, case);
        }
        for _ in 0..self.count(2) {
            let h = Self::take(households, pool, |_| true)?;
            // The member is the cadre; the relative is someone off the roll.
            let cadre = self.member(&households[h]);
            let relative = self.random_person();
            self.cadre(&cadre, relative.subject());
        }
        Some(())
    }

    fn plant_duplicates(&mut self, households: &mut [Household], pool: Pool) -> Option<()> {
        for _ in 0..self.count(3) {
            let (a, b) = Self::take_pair(households, pool, |_| true)?;
            let person = self.member(&households[a]);
            let case = "same person in two households";
            self.list_again(
                households,
                (a, b),
                &person,
                Reason::DuplicateEnrollment,
                case,
            );
        }
        for exclusive in [true, false] {
            for _ in 0..self.count(if exclusive { 1 } else { 2 }) {
                let fits = |h: &Household| {
                    matches!(h.programme, Programme::DibaoRural | Programme::DibaoUrban)
                };
                let h = Self::take(households, pool, fits)?;
                let member_row = households[h].rows[0];
                let programme = if exclusive {
                    Programme::Tekun
                } else {
                    Programme::Linshi
                };
                // The same member (same member_id) listed again under a second programme.
                let mut row = self.roll[member_row].clone();
                row.insert(col::PROGRAMME, programme.code().to_string());
                households[h].rows.push(self.roll.len());
                self.roll.push(row);
                if exclusive {
                    let case = "two exclusive programmes";
                    self.truth(&households[h], Reason::DuplicateEnrollment, case);
                }
            }
        }
        Some(())
    }

    fn plant_identity_conflicts(&mut self, households: &mut [Household], pool: Pool) -> Option<()> {
        for _ in 0..self.count(2) {
            let (h, person) = self.take_member(households, pool)?;
            let other_name = self.names.clearly_different(&mut self.rng, &person.name);
            self.recent_death(Subject {
                name: &other_name,
                ..person.subject()
            });
            self.keep_id(Source::Death);
            let case = "registry record under member's ID, other name";
            self.truth(&households[h], Reason::IdentityConflict, case);
        }
        for _ in 0..self.count(1) {
            let (a, b) = Self::take_pair(households, pool, |_| true)?;
            let person = self.member(&households[a]);
            let impostor = Person {
                name: self.names.clearly_different(&mut self.rng, &person.name),
                ..person
            };
            let case = "member's ID on the roll under another name";
            self.list_again(
                households,
                (a, b),
                &impostor,
                Reason::IdentityConflict,
                case,
            );
        }
        // Decoy: one character differs (a look-alike), the ID agrees: still the same person.
        for _ in 0..self.count(2) {
            let (h, person) = self.take_member(households, pool)?;
            let mut chars: Vec<char> = person.name.chars().collect();
            let last = chars.len() - 1;
            chars[last] = if chars[last] == '明' { '鸣' } else { '明' };
            let look_alike: String = chars.iter().collect();
            let registered = self.past_date(5);
            let subject = Subject {
                name: &look_alike,
                ..person.subject()
            };
            self.vehicle(subject, "car", registered, None);
            self.keep_id(Source::Vehicle);
            let case = "one-character name variant, same ID";
            self.truth(&households[h], Reason::VehicleOwned, case);
        }
        Some(())
    }

    fn plant_invalid_ids(&mut self, households: &[Household], pool: Pool) -> Option<()> {
        for i in 0..self.count(5) {
            let h = Self::take(households, pool, |_| true)?;
            let row = households[h].rows[0];
            let id = self.roll[row][col::ID_NUMBER].to_string();
            let damaged = match i % 4 {
                0 => {
                    let last = id.chars().last().unwrap_or('0');
                    let wrong = if last == '1' { '2' } else { '1' };
                    format!("{}{wrong}", &id[..17])
                }
                1 => format!("{}.{}E+17", &id[..1], &id[1..6]),
                2 => id[..17].to_string(),
                _ => format!("{}1340{}", &id[..10], &id[14..]),
            };
            self.roll[row].insert(col::ID_NUMBER, damaged);
            self.truth(&households[h], Reason::InvalidId, "damaged ID on the roll");
        }
        // Decoys: forms that normalise to a valid ID.
        for _ in 0..self.count(3) {
            let h = Self::take(households, pool, |h| h.members[0].birth.year() < 2000)?;
            let row = households[h].rows[0];
            let id = self.roll[row][col::ID_NUMBER].to_string();
            let form = match self.rng.random_range(0..3) {
                0 => format!("{}{}", &id[..6], &id[8..17]),
                1 => format!("'{id}"),
                _ => format!("{} {}", &id[..6], &id[6..]),
            };
            self.roll[row].insert(col::ID_NUMBER, form);
        }
        Some(())
    }
}
