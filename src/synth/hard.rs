//! The hard cases (`Variant::Hard`): what exact-ID matching misses or gets wrong.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rand::Rng;

use super::{names, Generator, Household, Person, Subject};
use crate::model::{Reason, Source};

use super::plant::Pool;

/// One wrong digit in the body; the check character is kept, so the ID no longer validates.
pub(super) fn one_wrong_digit(rng: &mut impl Rng, id: &str) -> String {
    let position = rng.random_range(6..17);
    let mut bytes = id.as_bytes().to_vec();
    bytes[position] = b'0' + (bytes[position] - b'0' + rng.random_range(1..10)) % 10;
    String::from_utf8(bytes).expect("digits stay ASCII")
}

/// Two adjacent, different digits swapped; `None` when the body has no such pair.
fn swapped_digits(rng: &mut impl Rng, id: &str) -> Option<String> {
    let bytes = id.as_bytes();
    let positions: Vec<usize> = (6..16).filter(|&i| bytes[i] != bytes[i + 1]).collect();
    let &position = positions.get(rng.random_range(0..positions.len().max(1)))?;
    let mut swapped = bytes.to_vec();
    swapped.swap(position, position + 1);
    String::from_utf8(swapped).ok()
}

impl Generator {
    /// (name, birth date) → how many roll persons share it, to keep truth unambiguous.
    fn name_birth_counts(households: &[Household]) -> HashMap<(String, NaiveDate), usize> {
        let mut counts = HashMap::new();
        for household in households {
            for person in &household.members {
                *counts
                    .entry((person.name.clone(), person.birth))
                    .or_insert(0) += 1;
            }
        }
        counts
    }

    /// The hard cases, in turn. Those that rest on name and birth date take households
    /// whose every member is the only roll person with theirs, so the truth is unambiguous.
    pub(super) fn plant_hard(&mut self, households: &mut [Household], pool: Pool) -> Option<()> {
        let counts = Self::name_birth_counts(households);
        let unique = |h: &Household| {
            h.members
                .iter()
                .all(|p| counts[&(p.name.clone(), p.birth)] == 1)
        };
        self.plant_blank_id_deaths(households, pool, &unique)?;
        self.plant_damaged_ids(households, pool, &unique)?;
        self.plant_homophones(households, pool)?;
        self.plant_namesakes_elsewhere(households, pool)?;
        self.plant_namesakes_on_roll(households, pool)?;
        self.plant_old_id_duplicates(households, pool)
    }

    /// Deaths recorded with a blank ID: name and birth date point at one roll member.
    fn plant_blank_id_deaths(
        &mut self,
        households: &[Household],
        pool: Pool,
        unique: &impl Fn(&Household) -> bool,
    ) -> Option<()> {
        for _ in 0..self.count(12) {
            let h = Self::take(households, pool, unique)?;
            let person = self.member(&households[h]);
            let name = if self.rng.random_bool(0.3) {
                names::traditional(&person.name)
            } else {
                person.name.clone()
            };
            self.recent_death(Subject {
                name: &name,
                ..person.without_id()
            });
            let case = "blank ID, name and birth date agree";
            self.planted_record(Source::Death, &person.id, true, case);
            self.truth(&households[h], Reason::DeceasedMember, case);
        }
        Some(())
    }

    /// One wrong digit, or two swapped digits, with name and birth date agreeing: a car
    /// one time in three, else a death.
    fn plant_damaged_ids(
        &mut self,
        households: &[Household],
        pool: Pool,
        unique: &impl Fn(&Household) -> bool,
    ) -> Option<()> {
        for i in 0..self.count(12) {
            let h = Self::take(households, pool, unique)?;
            let person = self.member(&households[h]);
            let damaged = if i % 2 == 0 {
                one_wrong_digit(&mut self.rng, &person.id)
            } else {
                swapped_digits(&mut self.rng, &person.id)
                    .unwrap_or_else(|| one_wrong_digit(&mut self.rng, &person.id))
            };
            let subject = Subject {
                id: Some(&damaged),
                ..person.subject()
            };
            let (source, reason) = if i % 3 == 0 {
                let registered = self.past_date(5);
                self.vehicle(subject, "car", registered, None);
                (Source::Vehicle, Reason::VehicleOwned)
            } else {
                self.recent_death(subject);
                (Source::Death, Reason::DeceasedMember)
            };
            self.planted_record(source, &person.id, true, "damaged ID");
            let case = "damaged ID, name and birth date agree";
            self.truth(&households[h], reason, case);
        }
        Some(())
    }

    /// Homophone names under the member's valid ID: the same person.
    fn plant_homophones(&mut self, households: &[Household], pool: Pool) -> Option<()> {
        for _ in 0..self.count(5) {
            let (h, person) = self.take_member(households, pool)?;
            let name = names::homophone(&person.name);
            self.recent_death(Subject {
                name: &name,
                ..person.subject()
            });
            let case = "homophone name, same ID";
            self.truth(&households[h], Reason::DeceasedMember, case);
        }
        Some(())
    }

    /// A namesake elsewhere (own valid ID, same name and birth date) dies: no flag.
    fn plant_namesakes_elsewhere(&mut self, households: &[Household], pool: Pool) -> Option<()> {
        for _ in 0..self.count(8) {
            let (_, person) = self.take_member(households, pool)?;
            let namesake = self.person_in_region("410102", person.name.clone(), person.birth);
            self.recent_death(namesake.subject());
            let case = "namesake elsewhere with an ID of its own";
            self.planted_record(Source::Death, &person.id, false, case);
        }
        Some(())
    }

    /// Two namesakes on the roll and a blank-ID death with their name and birth date: it
    /// could be either, so neither is flagged.
    fn plant_namesakes_on_roll(&mut self, households: &mut [Household], pool: Pool) -> Option<()> {
        for _ in 0..self.count(3) {
            let (a, b) = Self::take_pair(households, pool, |_| true)?;
            let person = self.member(&households[a]);
            let male = (person.id.as_bytes()[16] - b'0') % 2 == 1;
            let namesake = self.person(person.name.clone(), person.birth, male);
            self.add_roll_row(&mut households[b], &namesake, "other");
            households[b].members.push(namesake);
            self.recent_death(person.without_id());
        }
        Some(())
    }

    /// The same person on the roll twice, once with the old 15-digit ID.
    fn plant_old_id_duplicates(&mut self, households: &mut [Household], pool: Pool) -> Option<()> {
        let born_before_2000 = |p: &Person| p.birth.year() < 2000;
        for _ in 0..self.count(3) {
            let fits = |h: &Household| h.members.iter().any(born_before_2000);
            let (a, b) = Self::take_pair(households, pool, fits)?;
            let person = households[a]
                .members
                .iter()
                .find(|p| born_before_2000(p))
                .cloned()
                .expect("fits checked it");
            let old_form = Person {
                id: format!("{}{}", &person.id[..6], &person.id[8..17]),
                ..person
            };
            let case = "15- and 18-digit forms of one ID";
            self.list_again(
                households,
                (a, b),
                &old_form,
                Reason::DuplicateEnrollment,
                case,
            );
        }
        Some(())
    }
}
