//! Fixtures the wild part's tests share, and what holds for a wild county as a whole.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;

use super::cells::{agrees, is_masked, valid_id};
use crate::ingest::schema::col;
use crate::model::Source;
use crate::synth::{generate, person_columns, County, Row, SynthOptions, Variant};

pub(super) fn county(households: usize, seed: u64, variant: Variant) -> County {
    generate(&SynthOptions {
        households,
        seed,
        variant,
        as_of: NaiveDate::from_ymd_opt(2025, 6, 30).expect("a date"),
    })
}

/// One wild county shared by the tests that only read it.
pub(super) fn wild() -> &'static County {
    static COUNTY: OnceLock<County> = OnceLock::new();
    COUNTY.get_or_init(|| county(5000, 3, Variant::Wild))
}

pub(super) fn record<'a>(county: &'a County, source: Source, record_id: &str) -> &'a Row {
    county.registries[&source]
        .iter()
        .find(|row| &row[col::RECORD_ID] == record_id)
        .expect("truth_records names a record that exists")
}

/// Each member's cell in the roll's `column` (their ID, name, address).
pub(super) fn by_member<'a>(county: &'a County, column: &str) -> BTreeMap<&'a str, &'a str> {
    county
        .roll
        .iter()
        .map(|row| (&row[col::MEMBER_ID], &row[column]))
        .collect()
}

pub(super) fn id_cell(source: Source, row: &Row) -> &str {
    &row[person_columns(source).1]
}

#[test]
fn the_hard_part_of_a_wild_county_is_the_hard_county() {
    // Before the supporters' part, which adds rows to both and sees the wild part's.
    let without_supporters = |variant| {
        crate::synth::generate_without_supporters(&SynthOptions {
            households: 1500,
            seed: 9,
            variant,
            as_of: NaiveDate::from_ymd_opt(2025, 6, 30).expect("a date"),
        })
    };
    let hard = without_supporters(Variant::Hard);
    let wild = without_supporters(Variant::Wild);
    assert_eq!(hard.roll, wild.roll);
    assert!(hard.truth.iter().all(|t| wild.truth.contains(t)));
    assert!(hard.truth_records.is_empty() && !wild.truth_records.is_empty());
    for (source, rows) in &hard.registries {
        let (_, id_col, birth_col) = person_columns(*source);
        let wild_rows = &wild.registries[source];
        assert!(wild_rows.len() >= rows.len());
        for (hard_row, wild_row) in rows.iter().zip(wild_rows) {
            let mut expected = hard_row.clone();
            if let Some(address) = wild_row.get(col::ADDRESS) {
                expected.insert(col::ADDRESS, address.to_string());
            }
            if is_masked(&wild_row[id_col]) {
                let id = valid_id(&hard_row[id_col]).expect("only valid IDs are masked");
                assert!(agrees(&wild_row[id_col], &id));
                expected.insert(id_col, wild_row[id_col].to_string());
                if let Some(birth_col) = birth_col.filter(|c| wild_row[*c].is_empty()) {
                    expected.insert(birth_col, String::new());
                }
            }
            assert_eq!(&expected, wild_row);
        }
    }
    // Wild is as repeatable as the others.
    let again = without_supporters(Variant::Wild);
    assert_eq!(wild.registries, again.registries);
    assert_eq!(wild.truth, again.truth);
    assert_eq!(wild.truth_records, again.truth_records);
}
