//! Planted cases (which must flag) and near-miss decoys (which must not), per rule. Each
//! case takes fresh households from the pool, so no two cases share a household.

use chrono::Days;
use rand::Rng;

use chrono::Datelike;

use super::{names, Generator, Household, Person, Variant};
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

impl Generator {
    /// How many households a case takes: `per_mille` of the county, at least one.
    pub(super) fn count(&self, per_mille: usize) -> usize {
        (self.options.households * per_mille / 1000).max(1)
    }

    pub(super) fn take(
        households: &[Household],
        pool: Pool,
        fits: impl Fn(&Household) -> bool,
    ) -> Option<usize> {
        pool.find(|&h| fits(&households[h]))
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

    /// A residential property registered to the person as the roll knows them.
    fn residence(
        &mut self,
        person: &Person,
        property_id: &str,
        registered: chrono::NaiveDate,
        disposed: Option<chrono::NaiveDate>,
    ) {
        self.property(
            &person.name,
            Some(&person.id),
            person.birth,
            property_id,
            "residential",
            registered,
            disposed,
        );
    }

    pub(super) fn member(&mut self, household: &Household) -> Person {
        household.members[self.rng.random_range(0..household.members.len())].clone()
    }

    pub(super) fn past_date(&mut self, years_back: u64) -> chrono::NaiveDate {
        let as_of = self.as_of();
        self.date_between(as_of - Days::new(365 * years_back), as_of)
    }

    fn future_date(&mut self) -> chrono::NaiveDate {
        let as_of = self.as_of();
        self.date_between(as_of + Days::new(1), as_of + Days::new(200))
    }

    pub(super) fn plant_all(&mut self, households: &mut [Household], pool: Pool) {
        self.plant_deaths(households, pool);
        self.plant_pensions(households, pool);
        self.plant_vehicles(households, pool);
        self.plant_properties(households, pool);
        self.plant_businesses(households, pool);
        self.plant_cadre_relatives(households, pool);
        self.plant_duplicates(households, pool);
        self.plant_identity_conflicts(households, pool);
        self.plant_invalid_ids(households, pool);
        if matches!(self.options.variant, Variant::Hard | Variant::Wild) {
            self.plant_hard(households, pool);
        }
    }

    fn plant_deaths(&mut self, households: &[Household], pool: Pool) {
        for i in 0..self.count(15) {
            let Some((h, person)) = self.take_member(households, pool) else {
                return;
            };
            let date = if i % 20 == 0 {
                self.as_of()
            } else {
                self.past_date(3)
            };
            let (name, id) = self.as_registry_writes(&person);
            self.death(&name, Some(&id), person.birth, date);
            self.truth(
                &households[h],
                Reason::DeceasedMember,
                "death on or before as-of",
            );
        }
        for _ in 0..self.count(3) {
            let Some((_, person)) = self.take_member(households, pool) else {
                return;
            };
            let date = self.future_date();
            self.death(&person.name, Some(&person.id), person.birth, date);
        }
    }

    fn plant_pensions(&mut self, households: &[Household], pool: Pool) {
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
                let Some(h) = Self::take(households, pool, means_tested) else {
                    return;
                };
                let household = &households[h];
                let n_members = u32::try_from(household.members.len()).unwrap_or(u32::MAX);
                let limit = standard(household.programme).unwrap_or(0.0) * f64::from(n_members);
                let amount = if direction > 0.0 {
                    limit + self.rng.random_range(50.0..1500.0)
                } else if direction < 0.0 {
                    limit - self.rng.random_range(1.0..300.0)
                } else {
                    limit
                };
                let person = self.member(household);
                let start = self.past_date(10);
                let end = ended.then(|| self.date_between(start, self.as_of() + Days::new(1)));
                let (name, id) = self.as_registry_writes(&person);
                self.pension(
                    &name,
                    Some(&id),
                    person.birth,
                    kind,
                    amount.max(1.0),
                    start,
                    end,
                );
                if flags {
                    self.truth(household, Reason::PensionIncome, case);
                }
            }
        }
        for _ in 0..self.count(2) {
            let Some(h) = Self::take(households, pool, |h| h.programme == Programme::Linshi) else {
                return;
            };
            let person = self.member(&households[h]);
            let start = self.past_date(5);
            self.pension(
                &person.name,
                Some(&person.id),
                person.birth,
                "enterprise",
                5000.0,
                start,
                None,
            );
        }
    }

    fn plant_vehicles(&mut self, households: &[Household], pool: Pool) {
        for _ in 0..self.count(10) {
            let Some((h, person)) = self.take_member(households, pool) else {
                return;
            };
            let kind = if self.rng.random_bool(0.8) {
                "car"
            } else {
                "truck"
            };
            let registered = self.past_date(8);
            let deregistered = self.rng.random_bool(0.2).then(|| self.future_date());
            let (name, id) = self.as_registry_writes(&person);
            self.vehicle(
                &name,
                Some(&id),
                person.birth,
                kind,
                registered,
                deregistered,
            );
            self.truth(
                &households[h],
                Reason::VehicleOwned,
                "ordinary vehicle registered",
            );
        }
        for _ in 0..self.count(10) {
            let Some((_, person)) = self.take_member(households, pool) else {
                return;
            };
            let kind = ["motorcycle", "tricycle", "agricultural", "disability"]
                [self.rng.random_range(0..4)];
            let registered = self.past_date(8);
            self.vehicle(
                &person.name,
                Some(&person.id),
                person.birth,
                kind,
                registered,
                None,
            );
        }
        for _ in 0..self.count(3) {
            let Some((_, person)) = self.take_member(households, pool) else {
                return;
            };
            let registered = self.past_date(8);
            let deregistered = self.date_between(registered, self.as_of() + Days::new(1));
            self.vehicle(
                &person.name,
                Some(&person.id),
                person.birth,
                "car",
                registered,
                Some(deregistered),
            );
        }
        for _ in 0..self.count(2) {
            let Some((_, person)) = self.take_member(households, pool) else {
                return;
            };
            let registered = self.future_date();
            self.vehicle(
                &person.name,
                Some(&person.id),
                person.birth,
                "car",
                registered,
                None,
            );
        }
    }

    fn plant_properties(&mut self, households: &[Household], pool: Pool) {
        let mut next = 0usize;
        let mut property_id = move || {
            next += 1;
            format!("P-UNIT-{next:06}")
        };
        for _ in 0..self.count(5) {
            let Some(h) = Self::take(households, pool, |_| true) else {
                return;
            };
            for _ in 0..2 {
                let person = self.member(&households[h]);
                let registered = self.past_date(15);
                let (name, id) = self.as_registry_writes(&person);
                self.property(
                    &name,
                    Some(&id),
                    person.birth,
                    &property_id(),
                    "residential",
                    registered,
                    None,
                );
            }
            self.truth(
                &households[h],
                Reason::PropertyExcess,
                "two residential properties",
            );
        }
        for _ in 0..self.count(5) {
            let Some((h, person)) = self.take_member(households, pool) else {
                return;
            };
            let registered = self.past_date(15);
            let use_ = if self.rng.random_bool(0.7) {
                "commercial"
            } else {
                "industrial"
            };
            let (name, id) = self.as_registry_writes(&person);
            self.property(
                &name,
                Some(&id),
                person.birth,
                &property_id(),
                use_,
                registered,
                None,
            );
            self.truth(
                &households[h],
                Reason::PropertyExcess,
                "non-residential property",
            );
        }
        for _ in 0..self.count(5) {
            let Some(h) = Self::take(households, pool, |h| h.members.len() >= 2) else {
                return;
            };
            let shared = property_id();
            let registered = self.past_date(15);
            for person in &households[h].members[..2] {
                self.residence(person, &shared, registered, None);
            }
        }
        for _ in 0..self.count(3) {
            let Some((_, person)) = self.take_member(households, pool) else {
                return;
            };
            let registered = self.past_date(15);
            self.residence(&person, &property_id(), registered, None);
            let disposed = self.date_between(registered, self.as_of() + Days::new(1));
            self.residence(&person, &property_id(), registered, Some(disposed));
        }
        for _ in 0..self.count(30) {
            let Some((_, person)) = self.take_member(households, pool) else {
                return;
            };
            let registered = self.past_date(15);
            self.residence(&person, &property_id(), registered, None);
        }
    }

    fn plant_businesses(&mut self, households: &[Household], pool: Pool) {
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
                let Some((h, person)) = self.take_member(households, pool) else {
                    return;
                };
                let established = if future {
                    self.future_date()
                } else {
                    self.past_date(10)
                };
                let closed_on =
                    closed.then(|| self.date_between(established, self.as_of() + Days::new(1)));
                let (name, id) = self.as_registry_writes(&person);
                self.business(
                    &name,
                    Some(&id),
                    person.birth,
                    role,
                    capital,
                    status,
                    established,
                    closed_on,
                );
                if flags {
                    self.truth(
                        &households[h],
                        Reason::BusinessActive,
                        "active business role",
                    );
                }
            }
        }
    }

    fn plant_cadre_relatives(&mut self, households: &[Household], pool: Pool) {
        for _ in 0..self.count(5) {
            let Some((h, person)) = self.take_member(households, pool) else {
                return;
            };
            let cadre = self.random_person();
            let (name, id) = self.as_registry_writes(&person);
            self.cadre(&cadre, &name, Some(&id), person.birth);
            self.truth(
                &households[h],
                Reason::CadreRelative,
                "relative of a village cadre",
            );
        }
        for _ in 0..self.count(2) {
            let Some(h) = Self::take(households, pool, |_| true) else {
                return;
            };
            // The member is the cadre; the relative is someone off the roll.
            let cadre = self.member(&households[h]);
            let relative = self.random_person();
            self.cadre(&cadre, &relative.name, Some(&relative.id), relative.birth);
        }
    }

    fn plant_duplicates(&mut self, households: &mut [Household], pool: Pool) {
        for _ in 0..self.count(3) {
            let (Some(a), Some(b)) = (
                Self::take(households, pool, |_| true),
                Self::take(households, pool, |_| true),
            ) else {
                return;
            };
            let person = self.member(&households[a]);
            let programme = households[b].programme;
            let position = households[b].rows.len() + 1;
            self.add_roll_row(&mut households[b], &person, "other", programme, position);
            self.truth(
                &households[a],
                Reason::DuplicateEnrollment,
                "same person in two households",
            );
            self.truth(
                &households[b],
                Reason::DuplicateEnrollment,
                "same person in two households",
            );
        }
        for exclusive in [true, false] {
            for _ in 0..self.count(if exclusive { 1 } else { 2 }) {
                let fits = |h: &Household| {
                    matches!(h.programme, Programme::DibaoRural | Programme::DibaoUrban)
                };
                let Some(h) = Self::take(households, pool, fits) else {
                    return;
                };
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
                    self.truth(
                        &households[h],
                        Reason::DuplicateEnrollment,
                        "two exclusive programmes",
                    );
                }
            }
        }
    }

    fn plant_identity_conflicts(&mut self, households: &mut [Household], pool: Pool) {
        for _ in 0..self.count(2) {
            let Some((h, person)) = self.take_member(households, pool) else {
                return;
            };
            let other_name = names::clearly_different(&mut self.rng, &person.name);
            let date = self.past_date(2);
            self.death(&other_name, Some(&person.id), person.birth, date);
            self.keep_id(Source::Death);
            self.truth(
                &households[h],
                Reason::IdentityConflict,
                "registry record under member's ID, other name",
            );
        }
        for _ in 0..self.count(1) {
            let (Some(a), Some(b)) = (
                Self::take(households, pool, |_| true),
                Self::take(households, pool, |_| true),
            ) else {
                return;
            };
            let person = self.member(&households[a]);
            let impostor = Person {
                name: names::clearly_different(&mut self.rng, &person.name),
                ..person
            };
            let programme = households[b].programme;
            let position = households[b].rows.len() + 1;
            self.add_roll_row(&mut households[b], &impostor, "other", programme, position);
            self.truth(
                &households[a],
                Reason::IdentityConflict,
                "member's ID on the roll under another name",
            );
            self.truth(
                &households[b],
                Reason::IdentityConflict,
                "member's ID on the roll under another name",
            );
        }
        // Decoy: one character differs (a look-alike), the ID agrees: still the same person.
        for _ in 0..self.count(2) {
            let Some((h, person)) = self.take_member(households, pool) else {
                return;
            };
            let mut chars: Vec<char> = person.name.chars().collect();
            let last = chars.len() - 1;
            chars[last] = if chars[last] == '明' { '鸣' } else { '明' };
            let registered = self.past_date(5);
            self.vehicle(
                &chars.iter().collect::<String>(),
                Some(&person.id),
                person.birth,
                "car",
                registered,
                None,
            );
            self.keep_id(Source::Vehicle);
            self.truth(
                &households[h],
                Reason::VehicleOwned,
                "one-character name variant, same ID",
            );
        }
    }

    fn plant_invalid_ids(&mut self, households: &[Household], pool: Pool) {
        for i in 0..self.count(5) {
            let Some(h) = Self::take(households, pool, |_| true) else {
                return;
            };
            let row = households[h].rows[0];
            let id = self.roll[row][col::ID_NUMBER].clone();
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
            let Some(h) = Self::take(households, pool, |h| h.members[0].birth.year() < 2000) else {
                return;
            };
            let row = households[h].rows[0];
            let id = self.roll[row][col::ID_NUMBER].clone();
            let form = match self.rng.random_range(0..3) {
                0 => format!("{}{}", &id[..6], &id[8..17]),
                1 => format!("'{id}"),
                _ => format!("{} {}", &id[..6], &id[6..]),
            };
            self.roll[row].insert(col::ID_NUMBER, form);
        }
    }
}
