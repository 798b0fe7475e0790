//! Masked IDs: the forms extracts write (`411526********123X` and others), masks on a
//! share of every registry's rows, and masked decoys, another person's masked ID under a
//! member's name and birth date. A mask is never ambiguous: no roll person but the record's
//! own agrees with its visible characters among those with its name or birth date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rand::Rng;

use super::cells::valid_id;
use super::index::RollIndex;
use super::Kind;
use crate::ingest::schema::col;
use crate::model::Source;
use crate::synth::plant::Pool;
use crate::synth::{
    names, person_columns, pick_weighted, Generator, Household, Person, PlantedRecord, Subject,
    COUNTY,
};

/// The share of a registry's rows with a valid ID that are written masked.
fn mask_rate(source: Source) -> f64 {
    match source {
        Source::Death => 0.22,
        Source::Vehicle => 0.2,
        Source::Property => 0.15,
        _ => 0.18,
    }
}

/// Masked forms: (visible leading characters, visible trailing characters, weight). The
/// first is what most extracts do.
const FORMS: &[((usize, usize), u32)] = &[
    ((6, 4), 60),
    ((4, 4), 20),
    ((9, 2), 8),
    ((10, 4), 6),
    ((6, 1), 6),
];

/// Region, sequence and check character visible: never ambiguous on a county's roll.
const STANDARD_FORM: (usize, usize) = (6, 4);

/// Other counties for decoys' IDs: the same prefecture (4115: only the last two visible
/// region digits differ) and elsewhere in the province.
const NEIGHBOURS: &[&str] = &["411521", "411522", "411523", "411524", "411525", "411527"];
const ELSEWHERE: &[&str] = &["410102", "410305", "411402", "411702", "412726"];

/// The records masked decoys are: any flaggable kind, deaths and cars most.
const DECOY_KINDS: &[(Kind, u32)] = &[
    (Kind::Death, 8),
    (Kind::Vehicle, 5),
    (Kind::Pension, 3),
    (Kind::Business, 2),
    (Kind::Property, 2),
];

/// Masked rows with no roll person behind them that lose their birth date too.
const BLANK_BIRTH_RATE: f64 = 0.08;

/// `id` (18 ASCII characters) with all but the first `lead` and last `tail` characters
/// hidden by `star`; visible digits full-width when `full_width`.
fn masked(id: &str, (lead, tail): (usize, usize), star: char, full_width: bool) -> String {
    let len = id.chars().count();
    id.chars()
        .enumerate()
        .map(|(i, c)| {
            if i >= lead && i + tail < len {
                star
            } else if full_width && c.is_ascii_digit() {
                char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// The birth date a valid ID carries.
pub(super) fn birth_of(id: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(id.get(6..14)?, "%Y%m%d").ok()
}

impl Generator {
    /// A masked form, drawn by how often extracts use it.
    fn pick_form(&mut self) -> (usize, usize) {
        pick_weighted(&mut self.rng, FORMS)
    }

    /// `id` masked in `form`: mostly ASCII stars, sometimes full-width ones, rarely with
    /// full-width visible digits.
    fn mask(&mut self, id: &str, form: (usize, usize)) -> String {
        let star = if self.rng.random_bool(0.15) {
            '＊'
        } else {
            '*'
        };
        let full_width = self.rng.random_bool(0.03);
        masked(id, form, star, full_width)
    }

    /// `id` masked in a form drawn, else the standard form, whichever no other roll person
    /// with the record's name or birth date would agree with; `None` when neither.
    fn unambiguous_mask(
        &mut self,
        id: &str,
        name_key: &str,
        birth: Option<NaiveDate>,
        index: &RollIndex,
    ) -> Option<String> {
        let form = self.pick_form();
        [form, STANDARD_FORM]
            .into_iter()
            .map(|form| self.mask(id, form))
            .find(|cell| index.unambiguous(cell, id, name_key, birth))
    }

    /// Masked decoys: another person with a member's exact name and birth date (same sex),
    /// from this county or another, whose masked ID shows a character the member's lacks.
    pub(super) fn plant_masked_decoys(
        &mut self,
        households: &[Household],
        pool: Pool,
        index: &RollIndex,
    ) {
        for _ in 0..self.count(8) {
            let Some((h, member)) = self.take_member(households, pool) else {
                return;
            };
            let Some(cell) = self.decoy_id(&member, index) else {
                continue;
            };
            let household = &households[h];
            let kind = Kind::draw(&mut self.rng, DECOY_KINDS, household);
            let subject = Subject {
                id: Some(&cell),
                // Someone off the roll: the record is no member's (`truth_record_owners`).
                owner: "",
                ..member.subject()
            };
            self.flaggable_record(kind, household, subject);
            self.planted_record(
                kind.source(),
                &member.id,
                false,
                "masked decoy: another person's masked ID, same name and birth date",
            );
        }
    }

    fn decoy_id(&mut self, member: &Person, index: &RollIndex) -> Option<String> {
        let male = (member.id.as_bytes()[16] - b'0') % 2 == 1;
        let name_key = names::simplified(&member.name);
        for _ in 0..20 {
            let region = match self.rng.random_range(0..10) {
                0..5 => COUNTY,
                5..8 => NEIGHBOURS[self.rng.random_range(0..NEIGHBOURS.len())],
                _ => ELSEWHERE[self.rng.random_range(0..ELSEWHERE.len())],
            };
            let other = self.person_with_region(region, member.name.clone(), member.birth, male);
            let form = self.pick_form();
            for form in [form, STANDARD_FORM] {
                let cell = self.mask(&other.id, form);
                if index.unambiguous(&cell, &other.id, &name_key, Some(member.birth)) {
                    return Some(cell);
                }
            }
        }
        None
    }

    /// Masks the ID of a share of each registry's rows that carry a valid one (never a
    /// record whose case rests on the full ID). A form that some other roll person with the
    /// record's name or birth date would agree with falls back to the standard form, or the
    /// row stays unmasked. Masked rows with no roll person behind them sometimes lose their
    /// birth date too.
    pub(super) fn mask_ids(&mut self, index: &RollIndex) {
        for source in Source::REGISTRIES.iter().copied() {
            let (name_col, id_col, birth_col) = person_columns(source);
            let rate = self
                .options
                .mix
                .masked_ids
                .unwrap_or_else(|| mask_rate(source));
            for i in 0..self.registries[&source].len() {
                let row = &self.registries[&source][i];
                let record_id = row[col::RECORD_ID].to_string();
                if self.keep_id.contains(&(source, record_id.clone())) {
                    continue;
                }
                let Some(id) = valid_id(&row[id_col]) else {
                    continue;
                };
                let name_key = names::simplified(&row[name_col]);
                if !self.rng.random_bool(rate) {
                    continue;
                }
                let birth = birth_of(&id);
                let Some(cell) = self.unambiguous_mask(&id, &name_key, birth, index) else {
                    continue;
                };
                let namesakes: Vec<String> = birth
                    .map(|b| index.same_name_and_birth(&name_key, b))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|p| p.id != id)
                    .map(|p| p.id.clone())
                    .collect();
                let about_member = index.by_id.contains_key(&id);
                let blank_birth = birth_col.is_some()
                    && !about_member
                    && namesakes.is_empty()
                    && self.rng.random_bool(BLANK_BIRTH_RATE);
                let row = &mut self
                    .registries
                    .get_mut(&source)
                    .expect("every registry has a table")[i];
                row.insert(id_col, cell);
                if let (true, Some(birth_col)) = (blank_birth, birth_col) {
                    row.insert(birth_col, String::new());
                }
                let about = about_member.then_some((id, true));
                for (person_id, same_person) in about
                    .into_iter()
                    .chain(namesakes.into_iter().map(|other| (other, false)))
                {
                    self.record_truth.push(PlantedRecord {
                        source,
                        record_id: record_id.clone(),
                        person_id,
                        same_person,
                        case: "masked ID".into(),
                    });
                }
            }
        }
    }
}

impl Generator {
    /// Masks a share `rate` of the rows added to each registry since `before` (the
    /// supporters' part): the person's ID, and in relations the relative's too, where a form
    /// is unambiguous on the roll.
    pub(in crate::synth) fn mask_new_rows(
        &mut self,
        households: &[Household],
        before: &BTreeMap<Source, usize>,
        rate: f64,
    ) {
        let index = RollIndex::new(households, &self.roll);
        for source in Source::REGISTRIES {
            let (name_col, id_col, _) = person_columns(source);
            let mut sides = vec![(name_col, id_col)];
            if source == Source::Relations {
                sides.push((col::RELATIVE_NAME, col::RELATIVE_ID));
            }
            let start = before.get(&source).copied().unwrap_or(0);
            for i in start..self.registries[&source].len() {
                for &(name_col, id_col) in &sides {
                    let row = &self.registries[&source][i];
                    let Some(id) = valid_id(&row[id_col]) else {
                        continue;
                    };
                    if !self.rng.random_bool(rate) {
                        continue;
                    }
                    let name_key = names::simplified(&row[name_col]);
                    let birth = birth_of(&id);
                    let Some(cell) = self.unambiguous_mask(&id, &name_key, birth, &index) else {
                        continue;
                    };
                    let rows = self.registries.get_mut(&source).expect("a table each");
                    rows[i].insert(id_col, cell);
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::cast_precision_loss)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::normalize::id::check_char;
    use crate::synth::wild::cells::{agrees, is_masked, visible};
    use crate::synth::wild::tests::{by_member, id_cell, record, wild};

    #[test]
    fn masks_are_written_as_extracts_write_them() {
        let id = &format!("41152619800101123{}", check_char(b"41152619800101123"));
        let check = &id[17..];
        assert_eq!(
            masked(id, (6, 4), '*', false),
            format!("411526********123{check}")
        );
        assert_eq!(
            masked(id, (4, 4), '*', false),
            format!("4115**********123{check}")
        );
        assert_eq!(
            masked(id, (9, 2), '＊', false),
            format!("411526198＊＊＊＊＊＊＊3{check}")
        );
        for form in FORMS.iter().map(|(form, _)| *form) {
            let cell = masked(id, form, '*', false);
            assert_eq!(cell.chars().count(), 18);
            assert!(agrees(&cell, id));
            assert!(!agrees(&cell, "41152219800101123X") || form.0 < 5);
            assert_eq!(valid_id(&cell), None);
        }
        let full_width = masked(id, (6, 4), '＊', true);
        assert!(full_width.starts_with("４１１５２６＊"));
        assert!(agrees(&full_width, id));
        let other_check = if check == "0" { "1" } else { "0" };
        assert!(!agrees(&format!("411526********123{other_check}"), id));
        let spaced = format!(" 411526 19800101 123{}", check.to_lowercase());
        assert_eq!(valid_id(&spaced), Some(id.clone()));
    }

    #[test]
    fn masks_a_tenth_to_a_quarter_of_every_registry() {
        let county = wild();
        for (source, rows) in &county.registries {
            let masked = rows
                .iter()
                .filter(|row| is_masked(id_cell(*source, row)))
                .count();
            let share = masked as f64 / rows.len() as f64;
            assert!(
                (0.10..=0.25).contains(&share),
                "{source:?}: {masked} of {} rows masked",
                rows.len()
            );
        }
        // Every form appears, and full-width stars too.
        let cells: Vec<&str> = county
            .registries
            .iter()
            .flat_map(|(source, rows)| rows.iter().map(|row| id_cell(*source, row)))
            .filter(|cell| is_masked(cell))
            .collect();
        for (lead, tail) in FORMS.iter().map(|(form, _)| *form) {
            let hidden = 18 - lead - tail;
            assert!(
                cells
                    .iter()
                    .any(
                        |cell| visible(cell).iter().filter(|v| v.is_none()).count() == hidden
                            && visible(cell)[lead - 1].is_some()
                            && visible(cell)[lead].is_none()
                    ),
                "no mask of the form ({lead}, {tail})"
            );
        }
        assert!(cells.iter().any(|cell| cell.contains('＊')));
        assert!(cells.iter().all(|cell| cell.chars().count() == 18));
    }

    #[test]
    fn masked_records_of_members_show_the_members_id() {
        let county = wild();
        let ids = by_member(county, col::ID_NUMBER);
        let planted: HashSet<&str> = county
            .truth
            .iter()
            .map(|t| t.household_id.as_str())
            .collect();
        let mut masked_true_cases = 0;
        for truth in county.truth_records.iter().filter(|t| t.same_person) {
            let row = record(county, truth.source, &truth.record_id);
            let cell = id_cell(truth.source, row);
            if is_masked(cell) {
                let id = ids[truth.member_id.as_str()];
                assert!(agrees(cell, id), "{cell} is not {id}: {truth:?}");
                if planted.contains(truth.household_id.as_str()) {
                    masked_true_cases += 1;
                }
                if let Some(birth_col) = person_columns(truth.source).2 {
                    assert_eq!(
                        row[birth_col],
                        birth_of(id).expect("a valid ID").to_string()
                    );
                }
            }
        }
        assert!(masked_true_cases >= 30, "{masked_true_cases}");
        // A record under a member's ID with another name rests on the whole ID: kept.
        let death_ids: HashSet<&str> = county.registries[&Source::Death]
            .iter()
            .map(|row| &row[col::ID_NUMBER])
            .collect();
        let conflicts: Vec<&str> = county
            .truth
            .iter()
            .filter(|t| t.case == "registry record under member's ID, other name")
            .map(|t| t.household_id.as_str())
            .collect();
        assert!(!conflicts.is_empty());
        for household in conflicts {
            assert!(county
                .roll
                .iter()
                .any(|row| &row[col::HOUSEHOLD_ID] == household
                    && death_ids.contains(&row[col::ID_NUMBER])));
        }
    }

    #[test]
    fn masked_decoys_differ_from_the_member_in_a_visible_character() {
        let county = wild();
        let ids = by_member(county, col::ID_NUMBER);
        let names = by_member(county, col::NAME);
        let mut decoys = 0;
        for truth in county.truth_records.iter().filter(|t| !t.same_person) {
            let row = record(county, truth.source, &truth.record_id);
            let cell = id_cell(truth.source, row);
            let id = ids[truth.member_id.as_str()];
            if is_masked(cell) {
                assert!(!agrees(cell, id), "{cell} agrees with {id}: {truth:?}");
            }
            if truth.case.starts_with("masked decoy") {
                decoys += 1;
                let (name_col, _, birth_col) = person_columns(truth.source);
                assert!(is_masked(cell));
                assert_eq!(&row[name_col], names[truth.member_id.as_str()]);
                let birth_col = birth_col.expect("decoys go to registries with birth dates");
                assert_eq!(
                    row[birth_col],
                    birth_of(id).expect("a valid ID").to_string()
                );
            }
        }
        assert!(decoys >= 30, "{decoys}");
    }
}
