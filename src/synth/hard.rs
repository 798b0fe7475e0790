//! The hard cases (`Variant::Hard`): what exact-ID matching misses or gets wrong.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rand::Rng;

use super::{names, Generator, Household, Person};
use crate::model::{Reason, Source};

use super::plant::Pool;

/// One wrong digit in the body; the check character is kept, so the ID no longer validates.
fn one_wrong_digit(rng: &mut impl Rng, id: &str) -> String {
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

    pub(super) fn plant_hard(&mut self, households: &mut [Household], pool: Pool) {
        let counts = Self::name_birth_counts(households);
        let unique = |h: &Household| {
            h.members
                .iter()
                .all(|p| counts[&(p.name.clone(), p.birth)] == 1)
        };
        // Deaths recorded with a blank ID: name and birth date point at one roll member.
        for _ in 0..self.count(12) {
            let Some(h) = Self::take(households, pool, unique) else {
                return;
            };
            let person = self.member(&households[h]);
            let name = if self.rng.random_bool(0.3) {
                names::traditional(&person.name)
            } else {
                person.name.clone()
            };
            let date = self.past_date(2);
            self.death(&name, None, person.birth, date);
            self.planted_record(
                Source::Death,
                &person.id,
                true,
                "blank ID, name and birth date agree",
            );
            self.truth(
                &households[h],
                Reason::DeceasedMember,
                "blank ID, name and birth date agree",
            );
        }
        // One wrong digit, or two swapped digits, with name and birth date agreeing.
        for i in 0..self.count(12) {
            let Some(h) = Self::take(households, pool, unique) else {
                return;
            };
            let person = self.member(&households[h]);
            let damaged = if i % 2 == 0 {
                one_wrong_digit(&mut self.rng, &person.id)
            } else {
                swapped_digits(&mut self.rng, &person.id)
                    .unwrap_or_else(|| one_wrong_digit(&mut self.rng, &person.id))
            };
            if i % 3 == 0 {
                let registered = self.past_date(5);
                self.vehicle(
                    &person.name,
                    Some(&damaged),
                    person.birth,
                    "car",
                    registered,
                    None,
                );
                self.planted_record(Source::Vehicle, &person.id, true, "damaged ID");
                self.truth(
                    &households[h],
                    Reason::VehicleOwned,
                    "damaged ID, name and birth date agree",
                );
            } else {
                let date = self.past_date(2);
                self.death(&person.name, Some(&damaged), person.birth, date);
                self.planted_record(Source::Death, &person.id, true, "damaged ID");
                self.truth(
                    &households[h],
                    Reason::DeceasedMember,
                    "damaged ID, name and birth date agree",
                );
            }
        }
        // Homophone names under the member's valid ID: the same person.
        for _ in 0..self.count(5) {
            let Some((h, person)) = self.take_member(households, pool) else {
                return;
            };
            let name = names::homophone(&person.name);
            let date = self.past_date(2);
            self.death(&name, Some(&person.id), person.birth, date);
            self.truth(
                &households[h],
                Reason::DeceasedMember,
                "homophone name, same ID",
            );
        }
        // A namesake elsewhere (own valid ID, same name and birth date) dies: no flag.
        for _ in 0..self.count(8) {
            let Some((_, person)) = self.take_member(households, pool) else {
                return;
            };
            let namesake = self.person_in_region("410102", person.name.clone(), person.birth);
            let date = self.past_date(2);
            self.death(&namesake.name, Some(&namesake.id), namesake.birth, date);
            self.planted_record(
                Source::Death,
                &person.id,
                false,
                "namesake elsewhere with an ID of its own",
            );
        }
        // Two namesakes on the roll and a blank-ID death with their name and birth date:
        // it could be either, so neither is flagged.
        for _ in 0..self.count(3) {
            let (Some(a), Some(b)) = (
                Self::take(households, pool, |_| true),
                Self::take(households, pool, |_| true),
            ) else {
                return;
            };
            let person = self.member(&households[a]);
            let male = (person.id.as_bytes()[16] - b'0') % 2 == 1;
            let namesake = self.person(person.name.clone(), person.birth, male);
            let programme = households[b].programme;
            let position = households[b].rows.len() + 1;
            self.add_roll_row(&mut households[b], &namesake, "other", programme, position);
            households[b].members.push(namesake);
            let date = self.past_date(2);
            self.death(&person.name, None, person.birth, date);
        }
        // The same person on the roll twice, once with the old 15-digit ID.
        for _ in 0..self.count(3) {
            let fits = |h: &Household| h.members.iter().any(|p| p.birth.year() < 2000);
            let (Some(a), Some(b)) = (
                Self::take(households, pool, fits),
                Self::take(households, pool, |_| true),
            ) else {
                return;
            };
            let person = households[a]
                .members
                .iter()
                .find(|p| p.birth.year() < 2000)
                .cloned()
                .expect("fits checked it");
            let old_form = Person {
                id: format!("{}{}", &person.id[..6], &person.id[8..17]),
                ..person
            };
            let programme = households[b].programme;
            let position = households[b].rows.len() + 1;
            self.add_roll_row(&mut households[b], &old_form, "other", programme, position);
            self.truth(
                &households[a],
                Reason::DuplicateEnrollment,
                "15- and 18-digit forms of one ID",
            );
            self.truth(
                &households[b],
                Reason::DuplicateEnrollment,
                "15- and 18-digit forms of one ID",
            );
        }
    }
}
