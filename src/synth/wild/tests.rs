//! Fixtures the wild part's tests share, and what holds for a wild county as a whole.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;

use super::cells::{agrees, is_masked, valid_id};
use crate::ingest::schema::col;
use crate::model::Source;
use crate::synth::{generate, person_columns, County, Mix, Row, SynthOptions, Variant};

pub(super) fn county(households: usize, seed: u64, variant: Variant) -> County {
    generate(&SynthOptions {
        households,
        seed,
        variant,
        as_of: NaiveDate::from_ymd_opt(2025, 6, 30).expect("a date"),
        mix: Mix::default(),
    })
}

/// A wild county of another mix.
fn county_with(households: usize, seed: u64, mix: Mix) -> County {
    generate(&SynthOptions {
        households,
        seed,
        variant: Variant::Wild,
        as_of: NaiveDate::from_ymd_opt(2025, 6, 30).expect("a date"),
        mix,
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
            mix: Mix::default(),
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

/// Each knob of `Mix` moves what it names, and only that: the benchmark's varied counties
/// differ from the default one in the way their names say.
#[test]
#[allow(clippy::cast_precision_loss)] // row counts
fn the_mix_moves_what_it_names() {
    let with = |mix: Mix| county_with(2000, 4, mix);
    let share = |county: &County, source: Source, test: &dyn Fn(&str) -> bool| {
        let rows = &county.registries[&source];
        rows.iter().filter(|row| test(id_cell(source, row))).count() as f64 / rows.len() as f64
    };
    let blank = |county: &County| share(county, Source::Vehicle, &|cell| cell.is_empty());
    let masked = |county: &County| share(county, Source::Death, &is_masked);
    let namesakes = |county: &County| {
        county
            .truth_records
            .iter()
            .filter(|t| t.case == "blank-ID namesake")
            .count()
    };
    // The commonest name's count on the roll.
    let commonest = |county: &County| {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for row in &county.roll {
            *counts.entry(&row[col::NAME]).or_default() += 1;
        }
        counts.into_values().max().unwrap_or(0)
    };
    let default = with(Mix::default());
    let more_blank = with(Mix {
        blank_ids: Some(0.3),
        ..Mix::default()
    });
    let more_masked = with(Mix {
        masked_ids: Some(0.45),
        ..Mix::default()
    });
    let steep = with(Mix {
        name_skew: 1.0,
        ..Mix::default()
    });
    // Registries also hold records about roll people and supporters, which keep their
    // own IDs: the shares move by less than the knobs.
    let (blank_default, blank_more) = (blank(&default), blank(&more_blank));
    assert!((0.04..0.10).contains(&blank_default), "{blank_default}");
    assert!(
        blank_more > 2.2 * blank_default,
        "{blank_more} vs {blank_default}"
    );
    let (masked_default, masked_more) = (masked(&default), masked(&more_masked));
    assert!((0.10..0.25).contains(&masked_default), "{masked_default}");
    assert!(
        masked_more > 1.5 * masked_default,
        "{masked_more} vs {masked_default}"
    );
    let (commonest_default, commonest_steep) = (commonest(&default), commonest(&steep));
    assert!(
        commonest_steep > 2 * commonest_default,
        "{commonest_steep} vs {commonest_default}"
    );
    // Namesakes need a county big enough for common names to expect them: the shared
    // 5,000-household one, and the same with four times its population.
    let crowded = county_with(
        5000,
        3,
        Mix {
            population_per_roll_person: 80.0,
            ..Mix::default()
        },
    );
    let (namesakes_default, namesakes_crowded) = (namesakes(wild()), namesakes(&crowded));
    assert!(
        namesakes_crowded > 2 * namesakes_default.max(1),
        "{namesakes_crowded} vs {namesakes_default}"
    );
    assert_eq!(crowded.roll, wild().roll);
    // With no floor, the rare names' thin tail of namesakes is drawn too.
    let tail = county_with(
        5000,
        3,
        Mix {
            namesake_floor: 0.0,
            ..Mix::default()
        },
    );
    let namesakes_tail = namesakes(&tail);
    assert!(
        namesakes_tail > namesakes_default,
        "{namesakes_tail} vs {namesakes_default}"
    );
    assert_eq!(tail.roll, wild().roll);
    // The other knobs leave the roll and the namesakes alone.
    for county in [&more_blank, &more_masked] {
        assert_eq!(county.roll, default.roll);
    }
    assert_eq!(namesakes(&more_masked), namesakes(&default));
}
