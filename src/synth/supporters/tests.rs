//! The supporters' truth on small hand-built worlds (each corner case of the contract, with
//! numbers that tell the rule from its near misses), and on generated counties (the planted
//! edges come out as built, the shape is as asked, the IDs are damaged as the variant does).
#![allow(clippy::cast_precision_loss)] // counts of a test county

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::truth::{compute, Expected, IncomeTruth};
use super::world::{
    ContributionFact, PensionFact, PropertyFact, RollHousehold, RollMember, Span, Tie, VehicleFact,
    World,
};
use crate::ingest::schema::col;
use crate::model::{Kinship, Programme, Reason, Source};
use crate::synth::{generate, generate_shaped, SupporterShape, SynthOptions, Variant};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const AS_OF: (i32, u32, u32) = (2025, 6, 30);

fn as_of() -> NaiveDate {
    day(AS_OF.0, AS_OF.1, AS_OF.2)
}

fn since(y: i32) -> Span {
    Span {
        from: day(y, 1, 1),
        to: None,
    }
}

/// A world of one household `H1` of `programme` whose members are the persons named (born
/// 1950, an adult), paid 100 a member.
fn world(programme: Programme, members: &[&str]) -> World {
    let mut world = World::default();
    world.households.push(RollHousehold {
        id: "H1".into(),
        programme,
        region: "411526101001".into(),
        members: members
            .iter()
            .map(|p| RollMember {
                person: (*p).into(),
                birth: day(1950, 1, 1),
            })
            .collect(),
        paid: 100.0 * members.len() as f64,
    });
    world
}

fn wage(world: &mut World, person: &str, base: f64, span: Span) {
    let facts = world.facts.entry(person.into()).or_default();
    facts.contributions.push(ContributionFact { base, span });
}

fn tie(world: &mut World, member: &str, relative: &str, kinship: Kinship, size: Option<u32>) {
    world.ties.entry(member.into()).or_default().push(Tie {
        relative: relative.into(),
        kinship,
        household_size: size,
    });
}

fn run(world: &World) -> (IncomeTruth, Vec<Reason>) {
    let (rows, expected) = compute(world, as_of());
    let reasons = expected.iter().map(|e: &Expected| e.reason).collect();
    (rows.into_iter().next().unwrap(), reasons)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn a_child_owes_half_the_excess_of_their_per_capita_income_over_the_standard() {
    let mut w = world(Programme::DibaoRural, &["m"]);
    wage(&mut w, "c", 3_000.0, since(2020));
    tie(&mut w, "m", "c", Kinship::Child, Some(2));
    let (row, reasons) = run(&w);
    // (3000 / 2 − 600) × 0.5 = 450, under the standard 600 for one.
    assert!(close(row.support_yuan, 450.0), "{row:?}");
    assert!(reasons.is_empty());
    // A blank household size counts as 3: (1000 − 600) × 0.5.
    w.ties.get_mut("m").unwrap()[0].household_size = None;
    assert!(close(run(&w).0.support_yuan, 200.0));
}

#[test]
fn a_relative_who_is_a_member_of_the_household_is_not_a_supporter() {
    let mut w = world(Programme::DibaoRural, &["m", "s"]);
    wage(&mut w, "s", 1_100.0, since(2020));
    tie(&mut w, "m", "s", Kinship::Spouse, Some(1));
    let (row, reasons) = run(&w);
    assert!(
        close(row.wage_yuan, 1_100.0) && close(row.support_yuan, 0.0),
        "{row:?}"
    );
    assert!(close(row.per_capita_yuan, 550.0));
    assert!(reasons.is_empty());
}

#[test]
fn a_deceased_relative_supports_no_one() {
    let mut w = world(Programme::Tekun, &["m"]);
    let son = w.facts.entry("c".into()).or_default();
    son.vehicles.push(VehicleFact {
        exempt: false,
        span: since(2020),
    });
    son.death = Some(as_of());
    tie(&mut w, "m", "c", Kinship::Child, None);
    assert!(run(&w).1.is_empty());
    // Dying after the as-of date: still a supporter with a car.
    w.facts.get_mut("c").unwrap().death = Some(day(2025, 7, 1));
    assert_eq!(run(&w).1, vec![Reason::SupporterCapacity]);
}

#[test]
fn the_largest_active_contribution_is_the_wage_not_the_sum() {
    let mut w = world(Programme::DibaoUrban, &["m"]);
    wage(
        &mut w,
        "m",
        5_000.0,
        Span {
            from: day(2015, 1, 1),
            to: Some(as_of()),
        },
    );
    wage(
        &mut w,
        "m",
        700.0,
        Span {
            from: as_of(),
            to: None,
        },
    );
    wage(&mut w, "m", 600.0, since(2024));
    wage(
        &mut w,
        "m",
        900.0,
        Span {
            from: day(2025, 7, 1),
            to: None,
        },
    );
    let (row, reasons) = run(&w);
    assert!(close(row.wage_yuan, 700.0), "{row:?}");
    assert!(reasons.is_empty());
}

#[test]
fn three_children_owe_four_tenths_and_two_owe_half() {
    let mut w = world(Programme::DibaoRural, &["m"]);
    for c in ["a", "b", "c"] {
        wage(&mut w, c, 2_100.0, since(2020));
        tie(&mut w, "m", c, Kinship::Child, Some(2));
    }
    // (1050 − 600) × 0.4 × 3 = 540: under 600, where 0.5 would give 675.
    let (row, reasons) = run(&w);
    assert!(close(row.support_yuan, 540.0), "{row:?}");
    assert!(reasons.is_empty());
    w.ties.get_mut("m").unwrap().pop();
    let (row, reasons) = run(&w);
    assert!(close(row.support_yuan, 450.0), "{row:?}");
    assert!(reasons.is_empty());
    // A spouse beside the children does not count towards "few".
    wage(&mut w, "s", 2_100.0, since(2020));
    tie(&mut w, "m", "s", Kinship::Spouse, Some(2));
    assert!(close(run(&w).0.support_yuan, 675.0));
}

#[test]
fn a_supporter_of_both_parents_splits_what_they_owe_and_counts_once_per_parent() {
    let mut w = world(Programme::DibaoRural, &["f", "m"]);
    wage(&mut w, "c", 4_200.0, since(2020));
    tie(&mut w, "f", "c", Kinship::Child, Some(2));
    tie(&mut w, "m", "c", Kinship::Child, Some(2));
    // Named twice for the father: one person.
    tie(&mut w, "f", "c", Kinship::Child, Some(2));
    let (row, _) = run(&w);
    // (2100 − 600) × 0.5 = 750, split between the parents: 375 each.
    assert!(close(row.support_yuan, 750.0), "{row:?}");
    // The mother in another household: each household is owed 375.
    let mut two = world(Programme::DibaoRural, &["f"]);
    two.households.push(RollHousehold {
        id: "H2".into(),
        members: vec![RollMember {
            person: "m".into(),
            birth: day(1950, 1, 1),
        }],
        ..two.households[0].clone()
    });
    two.facts = w.facts.clone();
    two.ties = w.ties.clone();
    let (rows, _) = compute(&two, as_of());
    assert!(
        rows.iter().all(|r| close(r.support_yuan, 375.0)),
        "{rows:?}"
    );
}

#[test]
fn a_household_exactly_at_the_standard_is_not_flagged_and_a_yuan_over_is() {
    let mut w = world(Programme::DibaoRural, &["h", "o"]);
    wage(&mut w, "o", 700.0, since(2020));
    wage(&mut w, "c", 3_200.0, since(2020));
    tie(&mut w, "h", "c", Kinship::Child, Some(2));
    let (row, reasons) = run(&w);
    assert!(close(row.per_capita_yuan, 600.0), "{row:?}");
    assert!(reasons.is_empty());
    assert_eq!(
        (row.entitlement_yuan, row.action, row.tier),
        (Some(0.0), Some("stop"), Some("dibao"))
    );
    wage(&mut w, "o", 702.0, since(2021));
    let (row, reasons) = run(&w);
    assert!(close(row.per_capita_yuan, 601.0));
    assert_eq!(reasons, vec![Reason::IncomeOverStandard]);
    assert_eq!(
        (row.entitlement_yuan, row.action, row.tier),
        (Some(0.0), Some("stop"), Some("edge"))
    );
}

#[test]
fn a_household_flagged_for_pensions_is_not_flagged_for_income_too() {
    let mut w = world(Programme::DibaoRural, &["m"]);
    let facts = w.facts.entry("m".into()).or_default();
    facts.pensions.push(PensionFact {
        counted: true,
        amount: 900.0,
        span: since(2020),
    });
    facts.pensions.push(PensionFact {
        counted: false,
        amount: 5_000.0,
        span: since(2020),
    });
    let (row, reasons) = run(&w);
    assert!(
        close(row.pension_yuan, 900.0) && reasons.is_empty(),
        "{row:?}"
    );
    // Under the standard by pensions alone, over it with a wage: flagged.
    w.facts.get_mut("m").unwrap().pensions[0].amount = 500.0;
    wage(&mut w, "m", 200.0, since(2020));
    assert_eq!(run(&w).1, vec![Reason::IncomeOverStandard]);
}

#[test]
fn a_tekun_members_son_with_two_flats_and_a_car_can_support_them() {
    let flat = |unit: &str, residential| PropertyFact {
        unit: unit.into(),
        residential,
        span: since(2010),
    };
    let mut w = world(Programme::Tekun, &["m"]);
    tie(&mut w, "m", "s", Kinship::Child, None);
    let son = w.facts.entry("s".into()).or_default();
    son.properties.push(flat("U1", true));
    son.vehicles.push(VehicleFact {
        exempt: true,
        span: since(2020),
    });
    assert!(run(&w).1.is_empty(), "one flat and a motorcycle");
    w.facts
        .get_mut("s")
        .unwrap()
        .properties
        .push(flat("U1", true));
    assert!(run(&w).1.is_empty(), "one flat named twice");
    let son = w.facts.get_mut("s").unwrap();
    son.properties.push(flat("U2", true));
    son.vehicles.push(VehicleFact {
        exempt: false,
        span: since(2020),
    });
    assert_eq!(run(&w).1, vec![Reason::SupporterCapacity]);
    // A sibling is no supporter; nor is a dibao household flagged for capacity.
    w.ties.get_mut("m").unwrap()[0].kinship = Kinship::Sibling;
    assert!(run(&w).1.is_empty());
    w.ties.get_mut("m").unwrap()[0].kinship = Kinship::Child;
    w.households[0].programme = Programme::DibaoRural;
    assert!(run(&w).1.is_empty());
}

#[test]
fn a_parent_supports_a_minor_only() {
    let mut w = world(Programme::DibaoRural, &["k"]);
    wage(&mut w, "p", 5_000.0, since(2020));
    tie(&mut w, "k", "p", Kinship::Parent, Some(1));
    assert!(close(run(&w).0.support_yuan, 0.0), "an adult's parent");
    w.households[0].members[0].birth = day(2010, 1, 1);
    assert!(close(run(&w).0.support_yuan, 2_200.0));
    // Eighteen on the as-of date: an adult.
    w.households[0].members[0].birth = day(2007, 6, 30);
    assert!(close(run(&w).0.support_yuan, 0.0));
    w.households[0].members[0].birth = day(2007, 7, 1);
    assert!(close(run(&w).0.support_yuan, 2_200.0));
}

#[test]
fn temporary_assistance_has_no_standard_entitlement_or_support() {
    let mut w = world(Programme::Linshi, &["m"]);
    wage(&mut w, "c", 9_000.0, since(2020));
    tie(&mut w, "m", "c", Kinship::Child, Some(1));
    let (row, reasons) = run(&w);
    assert_eq!(
        (
            row.standard_yuan,
            row.entitlement_yuan,
            row.action,
            row.tier
        ),
        (None, None, None, None)
    );
    assert!(close(row.support_yuan, 0.0) && reasons.is_empty());
}

fn options(variant: Variant) -> SynthOptions {
    SynthOptions {
        households: 3000,
        seed: 11,
        variant,
        as_of: as_of(),
        mix: crate::synth::Mix::default(),
    }
}

/// The generated edges come out as the module plants them.
#[test]
fn planted_edges_have_the_income_and_flags_they_were_built_for() {
    let county = generate(&options(Variant::Hard));
    let flagged: BTreeSet<(&str, Reason)> = county
        .truth
        .iter()
        .map(|t| (t.household_id.as_str(), t.reason))
        .collect();
    let by_case = |case: &str| -> Vec<&IncomeTruth> {
        county
            .income
            .iter()
            .filter(|r| r.case == Some(case))
            .collect()
    };
    let has = |r: &IncomeTruth, reason| flagged.contains(&(r.household_id.as_str(), reason));
    for r in by_case("three children share one parent") {
        assert!(
            close(r.support_yuan, 540.0) && !has(r, Reason::IncomeOverStandard),
            "{r:?}"
        );
    }
    for r in by_case("household exactly at the standard") {
        assert!(
            close(r.per_capita_yuan, 600.0) && !has(r, Reason::IncomeOverStandard),
            "{r:?}"
        );
    }
    for r in by_case("relative who is a member of the same household") {
        assert!(
            close(r.wage_yuan, 1_100.0) && close(r.support_yuan, 0.0),
            "{r:?}"
        );
    }
    for r in by_case("pension_income household with a supporter") {
        assert!(
            has(r, Reason::PensionIncome) && !has(r, Reason::IncomeOverStandard),
            "{r:?}"
        );
        assert!(r.support_yuan > 0.0, "{r:?}");
    }
    for r in by_case("tekun member's son owns two flats and a car") {
        assert!(has(r, Reason::SupporterCapacity), "{r:?}");
    }
    for case in [
        "tekun son with one flat and a motorcycle",
        "tekun member's sibling owns a car",
        "deceased son with a car",
    ] {
        assert!(
            by_case(case)
                .iter()
                .all(|r| !has(r, Reason::SupporterCapacity)),
            "{case}"
        );
    }
    for r in by_case("member's contribution base lifts income over the standard") {
        assert!(has(r, Reason::IncomeOverStandard), "{r:?}");
    }
    let both = by_case("one supporter of both parents");
    assert_eq!(both.len(), 3 * 3, "three of each case in 3000 households");
    assert!(both.iter().all(|r| r.support_yuan > 0.0));
}

/// What synth computes as pension income agrees with what it planted as `pension_income`.
#[test]
fn the_income_truth_agrees_with_the_planted_pension_cases() {
    for variant in [Variant::Clean, Variant::Hard, Variant::Wild] {
        let county = generate(&options(variant));
        let planted: Vec<&str> = county
            .truth
            .iter()
            .filter(|t| t.reason == Reason::PensionIncome)
            .map(|t| t.household_id.as_str())
            .collect();
        let computed: Vec<&str> = county
            .income
            .iter()
            .filter(|r| {
                r.standard_yuan
                    .is_some_and(|s| r.pension_yuan / r.n_members as f64 > s)
            })
            .map(|r| r.household_id.as_str())
            .collect();
        assert_eq!(planted, computed, "{variant:?}");
        assert!(!planted.is_empty());
    }
}

/// About 1.5 supporters per household and 0.5 contribution rows per roll row by default, and
/// as asked otherwise; every household has a row of income truth.
#[test]
fn the_county_has_the_supporters_and_contributions_asked_for() {
    for per_household in [1.5, 0.5] {
        let shape = SupporterShape {
            supporters_per_household: per_household,
            ..SupporterShape::default()
        };
        let county = generate_shaped(&options(Variant::Clean), &shape);
        let relations = &county.registries[&Source::Relations];
        let supporting = relations
            .iter()
            .filter(|r| matches!(&r[col::RELATION], "child" | "spouse" | "parent"))
            .count() as f64;
        let households = county.income.len() as f64;
        assert_eq!(county.income.len(), 3000);
        let ratio = supporting / households;
        assert!(
            (per_household * 0.9..per_household * 1.25 + 0.1).contains(&ratio),
            "{ratio}"
        );
        let contributions = county.registries[&Source::Contributions].len() as f64;
        let per_member = contributions / county.roll.len() as f64;
        assert!((0.45..0.55).contains(&per_member), "{per_member}");
    }
}

/// Relations rows carry blank and damaged IDs on either side in the hard variant and masked
/// ones in the wild variant; none in the clean one.
#[test]
fn relation_ids_are_damaged_as_the_variant_damages_ids() {
    let count = |variant, column: &str, test: fn(&str) -> bool| {
        generate(&options(variant)).registries[&Source::Relations]
            .iter()
            .filter(|r| test(&r[column]))
            .count()
    };
    let blank = |cell: &str| cell.is_empty();
    let masked = |cell: &str| cell.contains(['*', '＊']);
    assert_eq!(count(Variant::Clean, col::PERSON_ID, blank), 0);
    assert!(count(Variant::Hard, col::PERSON_ID, blank) >= 20);
    assert!(count(Variant::Hard, col::RELATIVE_ID, blank) >= 20);
    assert!(count(Variant::Wild, col::PERSON_ID, masked) >= 200);
    assert!(count(Variant::Wild, col::RELATIVE_ID, masked) >= 200);
}

/// The same options give the same supporters, rows and truth.
#[test]
fn supporters_are_repeatable() {
    let a = generate(&options(Variant::Wild));
    let b = generate(&options(Variant::Wild));
    assert_eq!(a.registries, b.registries);
    assert_eq!(a.truth, b.truth);
    assert_eq!(a.income, b.income);
}

/// The supporters' part only adds: the roll, every row the other parts wrote and their
/// truth are what they are without it, in every variant.
#[test]
fn the_supporters_part_only_adds_rows() {
    for variant in [Variant::Clean, Variant::Messy, Variant::Hard, Variant::Wild] {
        let options = SynthOptions {
            households: 800,
            ..options(variant)
        };
        let without = crate::synth::generate_without_supporters(&options);
        let with = generate(&options);
        assert_eq!(without.roll, with.roll, "{variant:?}");
        for (source, rows) in &without.registries {
            let added = &with.registries[source];
            assert!(added.len() >= rows.len(), "{variant:?} {source:?}");
            assert_eq!(rows[..], added[..rows.len()], "{variant:?} {source:?}");
        }
        assert!(
            without.truth.iter().all(|t| with.truth.contains(t)),
            "{variant:?}"
        );
        assert!(with.truth.len() > without.truth.len(), "{variant:?}");
        assert_eq!(without.truth_records, with.truth_records, "{variant:?}");
    }
}
