//! Unit tests of `rollcheck link`'s comparison levels and u.

use super::{exact_u, level, level_names, prepare, set_first_u, EncodedColumn};
use crate::config::{Comparison, ComparisonKind};

/// A comparison of column `x` as `kind`, without levels.
fn comparison(kind: ComparisonKind) -> Comparison {
    Comparison {
        name: "x".into(),
        left_column: "x".into(),
        right_column: "x".into(),
        kind,
        levels: Vec::new(),
        term_frequency: false,
    }
}

/// The level names of (left[i], right[i]) for each i, folded and compared as link does.
fn levels_of(comparison: &Comparison, left: &[&str], right: &[Option<&str>]) -> Vec<String> {
    let names = level_names(comparison);
    let left: Vec<Option<&str>> = left.iter().map(|v| Some(*v)).collect();
    let column = EncodedColumn::encode(comparison.kind, &left, right);
    let prepared = prepare(comparison, &column);
    (0..right.len())
        .map(|i| names[level(comparison, (&prepared, &column), names.len(), i, i)].clone())
        .collect()
}

proptest::proptest! {
    #[test]
    fn osa_within_agrees_with_strsim(
        a in "[ab陈]{0,9}",
        b in "[ab陈]{0,9}",
        limit in 0_usize..4,
    ) {
        let distance = strsim::osa_distance(&a, &b);
        proptest::prop_assert_eq!(
            super::osa_within(&a, &b, limit),
            (distance <= limit).then_some(distance)
        );
    }
}

#[test]
fn id_number_levels_see_through_export_damage() {
    let id = "11010519491231002X";
    let right = [
        Some(" 110105 1949 1231 002x "),              // spaced, lower-case x
        Some("１１０１０５１９４９１２３１００２Ｘ"), // full width
        Some("110105491231002"),                      // the old 15-digit form
        Some("11010519491231003X"),                   // one digit typed wrong
        Some("11010519491213002X"),                   // two neighbours swapped
        Some("110105198001010016"),                   // someone else, valid
        Some("110105198001010011"),                   // someone else, check char wrong
        Some("1.10105E+17"),                          // Excel ate the digits
        None,
    ];
    assert_eq!(
        levels_of(&comparison(ComparisonKind::IdNumber), &[id; 9], &right),
        [
            "equal",
            "equal",
            "equal",
            "one_digit",
            "transposition",
            "another_valid_id",
            "different",
            "missing",
            "missing"
        ]
    );
}

#[test]
fn masked_id_levels_read_the_visible_characters() {
    let id = "11010519491231002X";
    let right = [
        Some("11010519491231002X"),         // the same ID
        Some("110105********002X"),         // masked, visible characters agree
        Some("1101**＊＊＊＊＊＊＊＊002x"), // full-width stars, lower-case x
        Some("110105********003X"),         // masked, last four differ
        Some("110105198001010016"),         // someone else, valid
        Some("***"),                        // nothing visible
        None,
    ];
    assert_eq!(
        levels_of(&comparison(ComparisonKind::MaskedId), &[id; 7], &right),
        [
            "equal",
            "masked_agree",
            "masked_agree",
            "masked_disagree",
            "different",
            "missing",
            "missing"
        ]
    );
}

#[test]
fn name_levels_follow_the_person_pipeline() {
    let right = [
        Some("陳 大文"), // traditional, with a space
        Some("陈大雯"),  // 雯 reads wen, like 文
        Some("陈大武"),  // one character off, another reading
        Some("李小龙"),  // someone else
        Some("  "),      // blank
    ];
    assert_eq!(
        levels_of(&comparison(ComparisonKind::Name), &["陈大文"; 5], &right),
        [
            "equal",
            "same_reading",
            "one_char_diff",
            "different",
            "missing"
        ]
    );
}

#[test]
fn edits_levels_count_a_swap_of_neighbours_as_one_edit() {
    let comparison = Comparison {
        levels: vec![1.0, 2.0],
        ..comparison(ComparisonKind::Edits)
    };
    assert_eq!(
        level_names(&comparison),
        ["exact", "edits<=1", "edits<=2", "different", "missing"]
    );
    let right = [
        Some("110105194912310021"), // equal
        Some("110105194912310012"), // two neighbours swapped
        Some("110105194912310099"), // two digits typed wrong
        Some("110105194912319999"), // four digits
        None,
    ];
    assert_eq!(
        levels_of(&comparison, &["110105194912310021"; 5], &right),
        ["exact", "edits<=1", "edits<=2", "different", "missing"]
    );
}

#[test]
fn the_first_levels_u_is_the_chance_two_random_values_agree() {
    let comparison = comparison(ComparisonKind::Exact);
    let left = [Some("a"), Some("a"), Some("b"), None];
    let right = [Some("a"), Some("c"), None];
    let column = EncodedColumn::encode(comparison.kind, &left, &right);
    // Of the 3 × 2 pairs with a value on both sides, 2 agree (a, a).
    let u = exact_u(&comparison, &column).unwrap();
    assert!((u - 2.0 / 6.0).abs() < 1e-12, "{u}");
    // A name's first level is not plain equality: no exact u.
    let name = Comparison {
        kind: ComparisonKind::Name,
        ..comparison.clone()
    };
    assert!(exact_u(&name, &column).is_none());
    // The other non-missing levels are scaled so that the field still sums to one.
    let mut field = vec![0.1, 0.3, 0.6, 0.0];
    set_first_u(&mut field, 0.5, Some(3));
    assert!((field[0] - 0.5).abs() < 1e-12);
    assert!((field[1] - 0.5 * 0.3 / 0.9).abs() < 1e-12);
    assert!((field.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(field[3].abs() < f64::EPSILON);
}
