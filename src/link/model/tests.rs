//! The model's weights, EM and term frequencies on small hand-made pairs.

use super::*;
use crate::link::compare::{BirthLevel, GenderLevel, RegionLevel};

fn levels(id: IdLevel, name: NameLevel, birth: BirthLevel) -> Levels {
    Levels {
        id,
        name,
        birth_date: birth,
        region: RegionLevel::Missing,
        gender: GenderLevel::Missing,
    }
}

/// Fields named `names` with `n_levels` levels each, the last of them `missing`.
fn missing_last(names: &[&str], n_levels: &[usize], contradiction: Vec<Option<usize>>) -> Shape {
    Shape {
        names: names.iter().map(|n| (*n).to_string()).collect(),
        n_levels: n_levels.to_vec(),
        missing: n_levels.iter().map(|n| Some(n - 1)).collect(),
        contradiction,
    }
}

#[test]
fn a_pair_without_an_id_is_decided_by_how_rare_its_name_and_birth_date_are() {
    let blank = levels(IdLevel::Missing, NameLevel::Identical, BirthLevel::Equal);
    let mut flat = LinkParameters::defaults();
    // Whatever prior the model learned for blank-ID pairs (here one that scores every
    // such pair 0.9865), the population-scale score ignores it.
    flat.lambda_missing_id = Some(6e-6);
    let flat_score = flat.weigh(&blank, None).probability;
    assert!((0.98..0.99).contains(&flat_score), "{flat_score}");
    let population = 1e6;
    let rare = TermShares {
        name: Some(1e-6),
        birth_date: Some(1.0 / 90.0 / 365.0),
    };
    let common = TermShares {
        name: Some(5e-4),
        ..rare
    };
    let score = |shares: TermShares| {
        let by_model = flat.weigh_in_population(&blank, shares, population);
        let by_defaults =
            LinkParameters::defaults().weigh_in_population(&blank, shares, population);
        assert_eq!(by_model, by_defaults);
        by_model.probability
    };
    // P = m / (m + expected namesakes), m the chance a match shows name and birth date.
    let m = flat.m[NAME][0] * flat.m[BIRTH_DATE][0];
    for shares in [rare, common] {
        let expected = shares.expected_namesakes(population).unwrap();
        let p = score(shares);
        assert!((p - m / (m + expected)).abs() < 1e-9, "{p} vs {expected}");
    }
    assert!(score(rare) > 0.999 && score(common) < 0.99);
    // An agreeing gender adds nothing; a differing one weighs against (and `decide`
    // holds such a pair back whatever it scores).
    let with = |gender| Levels { gender, ..blank };
    let same = flat.weigh_in_population(&with(GenderLevel::Same), rare, population);
    let differs = flat.weigh_in_population(&with(GenderLevel::Different), rare, population);
    assert!((same.probability - score(rare)).abs() < 1e-12);
    assert!(differs.total < same.total - 5.0, "{differs:?}");
}

#[test]
fn agreement_outweighs_disagreement() {
    let params = LinkParameters::defaults();
    let strong = params.weigh(
        &levels(IdLevel::OneDigit, NameLevel::Identical, BirthLevel::Equal),
        None,
    );
    let weak = params.weigh(
        &levels(
            IdLevel::Missing,
            NameLevel::Identical,
            BirthLevel::Different,
        ),
        None,
    );
    assert!(strong.probability > 0.99, "{strong:?}");
    assert!(weak.probability < 0.5, "{weak:?}");
}

#[test]
fn common_names_count_for_less() {
    let params = LinkParameters::defaults();
    let pair = levels(IdLevel::Missing, NameLevel::Identical, BirthLevel::Equal);
    let common = params.weigh(&pair, Some(0.01));
    let rare = params.weigh(&pair, Some(0.00001));
    assert!(rare.total > common.total + 5.0, "{common:?} {rare:?}");
}

#[test]
fn em_learns_that_matches_agree() {
    // 300 agreeing pairs among 3000 disagreeing ones.
    let mut pairs = vec![levels(IdLevel::Identical, NameLevel::Identical, BirthLevel::Equal); 300];
    pairs.extend(vec![
        levels(
            IdLevel::Missing,
            NameLevel::Different,
            BirthLevel::Different
        );
        3000
    ]);
    let pairs: Vec<Vec<usize>> = pairs.into_iter().map(person_levels).collect();
    let fitted = LinkParameters::defaults().fit_m(&PERSON, &pairs, 1_000_000.0, 0.1, 50);
    assert_eq!(fitted.source, "em");
    // 300 matches among a million possible pairs.
    assert!(
        (fitted.lambda - 300.0 / 1_000_000.0).abs() < 1e-5,
        "{}",
        fitted.lambda
    );
    assert!(fitted.m[0][IdLevel::Identical.index()] > 0.95);
}

#[test]
fn namesakes_with_another_valid_id_never_score_as_matches() {
    // id: equal / another valid ID / different / missing; name and birth: agree /
    // disagree / missing. Blocking rules [id] and [name, birth].
    let shape = missing_last(
        &["id", "name", "birth"],
        &[4, 3, 3],
        vec![Some(1), None, None],
    );
    let u = vec![
        vec![1e-6, 0.9, 0.1, 0.0],
        vec![1e-4, 0.9999, 0.0],
        vec![1e-4, 0.9999, 0.0],
    ];
    // 1,000 matches (equal IDs, 300 of them found by name and birth alone because the
    // copy lost its ID) and 500 namesakes: same name and birth date, another valid ID.
    let mut candidates = vec![vec![0, 0, 0]; 700];
    candidates.extend(vec![vec![3, 0, 0]; 300]);
    candidates.extend(vec![vec![1, 0, 0]; 500]);
    let rules = [vec![true, false, false], vec![false, true, true]];
    let fitted = LinkParameters {
        u,
        ..LinkParameters::uniform(&shape, 0.5)
    }
    .fit_m_by_rule(&shape, &candidates, &rules, 1e8, 100);
    let probability = |levels: &[usize]| fitted.weigh_levels(&shape, levels, &[]).probability;
    assert!(probability(&[1, 0, 0]) < 1e-6, "{fitted:?}");
    assert!(probability(&[3, 0, 0]) > 0.5, "{fitted:?}");
    assert!(fitted.m[0][1] <= 1e-12, "{:?}", fitted.m);
    let matches = fitted.lambda * 1e8;
    assert!((matches - 1000.0).abs() < 30.0, "{matches}");
}

#[test]
fn em_by_rule_keeps_the_blocking_agreement_out_of_the_vote() {
    // Three fields, each agree / disagree / missing; blocking rules [a] and [b].
    let shape = missing_last(&["a", "b", "c"], &[3, 3, 3], vec![None; 3]);
    let u = vec![
        vec![0.001, 0.999, 0.0],
        vec![0.001, 0.999, 0.0],
        vec![0.01, 0.99, 0.0],
    ];
    // 1,000 matches, all agreeing on a (rule [a]); 900 also agree on b (so rule [b]
    // finds them too); c agrees for 950. Rule [b] also finds 3,000 unrelated pairs that
    // share b and nothing else.
    let mut candidates = Vec::new();
    for i in 0..1000 {
        candidates.push(vec![0, usize::from(i >= 900), usize::from(i % 20 == 0)]);
    }
    candidates.extend(vec![vec![1, 0, 1]; 3000]);
    let rules = [vec![true, false, false], vec![false, true, false]];
    let start = LinkParameters {
        u,
        ..LinkParameters::uniform(&shape, 0.5)
    };
    let total_pairs = 1e7;
    let by_rule = start
        .clone()
        .fit_m_by_rule(&shape, &candidates, &rules, total_pairs, 100);
    let m = &by_rule.m;
    assert!((m[0][0] - 1.0).abs() < 0.01, "a: {m:?}");
    assert!((m[1][0] - 0.9).abs() < 0.02, "b: {m:?}");
    assert!((m[2][0] - 0.95).abs() < 0.02, "c: {m:?}");
    let matches = by_rule.lambda * total_pairs;
    assert!((matches - 1000.0).abs() < 20.0, "{matches}");
    // EM over all candidates at once lets b's built-in agreement vote: it takes
    // the unrelated pairs for matches too, and so that matches mostly disagree on a.
    let at_once = start.fit_m(&shape, &candidates, total_pairs, 0.5, 100);
    assert!(at_once.lambda * total_pairs > 3000.0, "{}", at_once.lambda);
    assert!(at_once.m[0][0] < 0.5, "{:?}", at_once.m);
}

#[test]
fn a_name_that_clearly_differs_outweighs_an_id_one_digit_away() {
    // Someone a sequence number away (so born the same day) under another name: whatever EM
    // would learn of such names among matches, the pair is another person.
    let mut parameters = LinkParameters::defaults();
    parameters.m[NAME] = vec![0.6, 0.1, 0.1, 0.2];
    PERSON.pin_contradictions(&mut parameters.m);
    let neighbour = levels(IdLevel::OneDigit, NameLevel::Different, BirthLevel::Equal);
    let typo = levels(IdLevel::OneDigit, NameLevel::Identical, BirthLevel::Equal);
    assert!(parameters.weigh(&neighbour, None).probability < 1e-6);
    assert!(parameters.weigh(&typo, None).probability > 0.99);
}
