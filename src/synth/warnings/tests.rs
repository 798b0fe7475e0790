//! The early-warning truth on hand-built persons (each decoy of the contract beside the case
//! it imitates, at the boundary where they part), and on generated counties (the part only
//! adds rows, every planted case comes out as built, the rows say what the truth was
//! computed from, the sizes are as asked).
#![allow(clippy::cast_precision_loss)] // counts of a test county

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};

use super::cases::CASES;
use super::rows::signal_col;
use super::truth::{
    compute, warning_of, Certificate, OnRoll, Settlement, Signal, SignalFacts, SignalPerson,
    WarningKind,
};
use crate::ingest::schema::col;
use crate::model::{Programme, Source};
use crate::synth::supporters::world::{
    canonical_id, BusinessFact, ContributionFact, Facts, PensionFact, PropertyFact, Span,
    VehicleFact,
};
use crate::synth::{generate, SignalRegistry, SynthOptions, Variant};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at() -> NaiveDate {
    day(2025, 6, 30)
}

/// `n` days after the as-of date (before it when negative).
fn d(n: i64) -> NaiveDate {
    if n < 0 {
        at() - Days::new(n.unsigned_abs())
    } else {
        at() + Days::new(n.unsigned_abs())
    }
}

fn since(n: i64) -> Span {
    Span {
        from: d(n),
        to: None,
    }
}

/// Someone off the roll with a valid ID and nothing else.
fn person() -> SignalPerson {
    SignalPerson {
        key: "41152619500101001X".into(),
        valid_id: true,
        roll: None,
        signals: SignalFacts::default(),
        facts: Facts::default(),
        case: "test",
    }
}

fn certificate(grade: u8, certified: i64, revoked: Option<i64>) -> Certificate {
    Certificate {
        grade,
        certified: d(certified),
        revoked: revoked.map(d),
    }
}

/// Someone off the roll with a grade-1 certificate from a year ago.
fn severe() -> SignalPerson {
    let mut p = person();
    p.signals.certificates.push(certificate(1, -365, None));
    p
}

/// The warning `p` raises: its kind and signal codes.
fn warned(p: &SignalPerson) -> Option<(WarningKind, Vec<Signal>)> {
    warning_of(p, at()).map(|w| (w.warning, w.signals))
}

fn covered(p: &SignalPerson) -> bool {
    matches!(warned(p), Some((WarningKind::ShouldCover, _)))
}

#[test]
fn grades_one_and_two_are_severe_and_three_is_not() {
    for (grade, severe) in [(1, true), (2, true), (3, false), (4, false)] {
        let mut p = person();
        p.signals.certificates.push(certificate(grade, -10, None));
        assert_eq!(covered(&p), severe, "grade {grade}");
    }
}

#[test]
fn a_certificate_counts_from_its_date_until_it_is_revoked() {
    let with = |c: Certificate| {
        let mut p = person();
        p.signals.certificates.push(c);
        covered(&p)
    };
    assert!(with(certificate(2, 0, None)), "certified on D");
    assert!(!with(certificate(2, 1, None)), "certified after D");
    assert!(!with(certificate(2, -400, Some(0))), "revoked on D");
    assert!(!with(certificate(2, -400, Some(-30))), "revoked before D");
    assert!(with(certificate(2, -400, Some(1))), "revoked after D");
}

fn settled(p: &mut SignalPerson, days: i64, fen: i64) {
    p.signals.settlements.push(Settlement {
        settled: d(days),
        fen,
    });
}

#[test]
fn medical_costs_count_from_20000_yuan_within_the_365_days_up_to_d() {
    let mut p = person();
    settled(&mut p, 0, 1_000_000);
    settled(&mut p, -364, 999_999);
    assert!(!covered(&p), "19,999.99 is under");
    // 500 yuan on D − 365 are outside the window, and 500 after D are not yet settled.
    settled(&mut p, -365, 50_000);
    settled(&mut p, 1, 50_000);
    assert!(!covered(&p));
    settled(&mut p, -100, 1);
    assert_eq!(
        warned(&p),
        Some((WarningKind::ShouldCover, vec![Signal::MedicalBurden]))
    );
}

#[test]
fn unemployment_is_long_from_180_days_until_it_ends_and_alone_warns_no_one() {
    let mut p = severe();
    let signals = |p: &SignalPerson| warned(p).map(|w| w.1).unwrap_or_default();
    p.signals.unemployment.push(since(-179));
    assert_eq!(signals(&p), [Signal::SevereDisability]);
    p.signals.unemployment[0] = since(-180);
    assert_eq!(
        signals(&p),
        [Signal::SevereDisability, Signal::LongUnemployed]
    );
    p.signals.unemployment[0].to = Some(d(0));
    assert_eq!(signals(&p), [Signal::SevereDisability], "ended on D");
    p.signals.unemployment[0].to = Some(d(1));
    assert_eq!(signals(&p).len(), 2, "ends after D");
    let mut alone = person();
    alone.signals.unemployment.push(since(-1000));
    assert_eq!(warned(&alone), None, "not a cover signal");
}

#[test]
fn the_signals_are_all_of_the_persons_in_order() {
    let mut p = severe();
    p.signals.unemployment.push(since(-500));
    settled(&mut p, -3, 2_500_000);
    let w = warning_of(&p, at()).unwrap();
    assert_eq!(
        w.signals_cell(),
        "severe_disability;medical_burden;long_unemployed"
    );
}

#[test]
fn a_person_who_died_by_d_is_no_candidate() {
    let mut p = severe();
    p.facts.death = Some(d(0));
    assert!(!covered(&p), "died on D");
    p.facts.death = Some(d(1));
    assert!(covered(&p), "dies after D");
}

#[test]
fn a_person_whose_id_is_not_valid_is_no_candidate() {
    let mut p = severe();
    settled(&mut p, -1, 3_000_000);
    p.valid_id = false;
    assert_eq!(warned(&p), None);
}

#[test]
fn an_asset_the_roll_rules_would_flag_rules_out_cover_and_an_exempt_one_does_not() {
    let vehicle = |exempt, to: Option<i64>| VehicleFact {
        exempt,
        span: Span {
            from: d(-500),
            to: to.map(d),
        },
    };
    let with = |f: &dyn Fn(&mut Facts)| {
        let mut p = severe();
        f(&mut p.facts);
        covered(&p)
    };
    assert!(!with(&|f| f.vehicles.push(vehicle(false, None))), "a car");
    assert!(
        with(&|f| f.vehicles.push(vehicle(true, None))),
        "a motorcycle"
    );
    assert!(
        with(&|f| f.vehicles.push(vehicle(false, Some(0)))),
        "a car deregistered on D"
    );
    let business = |role, capital| BusinessFact {
        role,
        capital,
        status_active: true,
        span: since(-500),
    };
    assert!(!with(&|f| f
        .businesses
        .push(business("legal_rep", 10_000.0))));
    assert!(with(&|f| f
        .businesses
        .push(business("shareholder", 100_000.0))));
    assert!(!with(&|f| f
        .businesses
        .push(business("shareholder", 100_001.0))));
    let flat = |unit: &str, residential| PropertyFact {
        unit: unit.into(),
        residential,
        span: since(-500),
    };
    assert!(with(&|f| f.properties.push(flat("U1", true))), "one flat");
    assert!(
        !with(&|f| f.properties.extend([flat("U1", true), flat("U2", true)])),
        "two flats"
    );
    assert!(
        with(&|f| f.properties.extend([flat("U1", true), flat("U1", true)])),
        "one flat named twice"
    );
    assert!(!with(&|f| f.properties.push(flat("S1", false))), "a shop");
}

#[test]
fn income_over_600_rules_out_cover_counting_the_largest_wage_and_counted_pensions() {
    let pension = |counted, amount| PensionFact {
        counted,
        amount,
        span: since(-500),
    };
    let wage = |base| ContributionFact {
        base,
        span: since(-500),
    };
    let with = |f: &dyn Fn(&mut Facts)| {
        let mut p = severe();
        f(&mut p.facts);
        covered(&p)
    };
    assert!(
        with(&|f| f.pensions.push(pension(true, 600.0))),
        "exactly 600"
    );
    assert!(!with(&|f| f.pensions.push(pension(true, 600.01))));
    assert!(
        with(&|f| f.pensions.push(pension(false, 900.0))),
        "resident basic"
    );
    assert!(!with(&|f| {
        f.pensions.push(pension(true, 300.0));
        f.contributions.push(wage(350.0));
    }));
    assert!(
        with(&|f| f.contributions.extend([wage(400.0), wage(500.0)])),
        "two jobs: the largest, not the sum"
    );
    assert!(!with(&|f| f
        .contributions
        .extend([wage(500.0), wage(700.0)])));
    assert!(
        with(&|f| f.contributions.push(ContributionFact {
            base: 3_000.0,
            span: Span {
                from: d(-900),
                to: Some(d(0)),
            },
        })),
        "a job that ended on D"
    );
}

#[test]
fn a_dibao_member_is_raised_and_other_members_are_not_covered() {
    let on = |programme| {
        let mut p = severe();
        p.roll = Some(OnRoll {
            household_id: "H000007".into(),
            programme,
        });
        // Assets and income do not matter for raising.
        p.facts.vehicles.push(VehicleFact {
            exempt: false,
            span: since(-10),
        });
        warning_of(&p, at())
    };
    for programme in [Programme::DibaoRural, Programme::DibaoUrban] {
        let w = on(programme).unwrap();
        assert_eq!(w.warning, WarningKind::ShouldRaise);
        assert_eq!(w.household_id.as_deref(), Some("H000007"));
    }
    assert_eq!(on(Programme::Tekun), None);
    assert_eq!(on(Programme::Linshi), None);
    let mut unemployed = person();
    unemployed.signals.unemployment.push(since(-1000));
    unemployed.roll = Some(OnRoll {
        household_id: "H1".into(),
        programme: Programme::DibaoRural,
    });
    assert_eq!(warning_of(&unemployed, at()), None);
    let truth = compute(&[severe(), unemployed], at());
    assert_eq!(truth.len(), 1);
    assert_eq!(truth[0].household_id, None);
}

fn options(households: usize, variant: Variant) -> SynthOptions {
    SynthOptions {
        households,
        seed: 11,
        variant,
        as_of: at(),
        mix: crate::synth::Mix::default(),
    }
}

/// The early-warning part only adds: the roll, every row the other parts wrote and every
/// other truth are what they are without it, in every variant.
#[test]
fn the_warnings_part_only_adds_rows() {
    for variant in [Variant::Clean, Variant::Messy, Variant::Hard, Variant::Wild] {
        let options = options(800, variant);
        let without = crate::synth::generate_without_warnings(&options);
        let with = generate(&options);
        assert_eq!(without.roll, with.roll, "{variant:?}");
        for (source, rows) in &without.registries {
            let added = &with.registries[source];
            assert_eq!(rows[..], added[..rows.len()], "{variant:?} {source:?}");
        }
        assert_eq!(without.truth, with.truth, "{variant:?}");
        assert_eq!(without.truth_records, with.truth_records, "{variant:?}");
        assert_eq!(without.income, with.income, "{variant:?}");
        assert!(without.signal_registries.is_empty() && without.warnings.is_empty());
        assert!(!with.warnings.is_empty(), "{variant:?}");
    }
}

/// Cases that should warn (the rest are decoys and must not).
const WARNING_CASES: &[(&str, WarningKind)] = &[
    (
        "severely disabled with no income or assets",
        WarningKind::ShouldCover,
    ),
    (
        "medical costs over 20000 in the year",
        WarningKind::ShouldCover,
    ),
    ("medical costs exactly 20000", WarningKind::ShouldCover),
    (
        "severely disabled and long unemployed",
        WarningKind::ShouldCover,
    ),
    ("all three signals", WarningKind::ShouldCover),
    ("certificate revoked after D", WarningKind::ShouldCover),
    ("unemployment ended", WarningKind::ShouldCover),
    ("unemployed under 180 days", WarningKind::ShouldCover),
    ("unemployed exactly 180 days", WarningKind::ShouldCover),
    ("dies after D", WarningKind::ShouldCover),
    ("owns a motorcycle", WarningKind::ShouldCover),
    ("car deregistered by D", WarningKind::ShouldCover),
    ("shareholder of 100000", WarningKind::ShouldCover),
    ("one flat", WarningKind::ShouldCover),
    ("resident basic pension", WarningKind::ShouldCover),
    (
        "two jobs with the larger under 600",
        WarningKind::ShouldCover,
    ),
    ("income exactly the standard", WarningKind::ShouldCover),
    ("contribution ended", WarningKind::ShouldCover),
    ("dibao member severely disabled", WarningKind::ShouldRaise),
    ("dibao member with medical costs", WarningKind::ShouldRaise),
    ("dibao member with both", WarningKind::ShouldRaise),
];

#[test]
fn every_planted_case_warns_as_built_and_every_decoy_does_not() {
    for variant in [Variant::Clean, Variant::Messy, Variant::Hard, Variant::Wild] {
        let county = generate(&options(2000, variant));
        let mut by_case: BTreeMap<&str, Vec<WarningKind>> = BTreeMap::new();
        for w in &county.warnings {
            by_case.entry(w.case).or_default().push(w.warning);
        }
        for case in CASES {
            let expected = WARNING_CASES.iter().find(|(c, _)| *c == case.label);
            let got = by_case.remove(case.label).unwrap_or_default();
            match expected {
                Some((_, kind)) => {
                    assert!(!got.is_empty(), "{variant:?}: {}", case.label);
                    assert!(got.iter().all(|k| k == kind), "{variant:?}: {}", case.label);
                }
                None => assert!(got.is_empty(), "{variant:?}: decoy {}", case.label),
            }
        }
        assert!(by_case.is_empty(), "unplanted warnings: {by_case:?}");
        // The cases file lists every planted person: the warned ones as the truth has them,
        // the damaged IDs as no candidates.
        let warned = county.warning_cases.iter().filter(|c| c.warning.is_some());
        assert_eq!(warned.count(), county.warnings.len(), "{variant:?}");
        let damaged: Vec<_> = county
            .warning_cases
            .iter()
            .filter(|c| !c.valid_id)
            .collect();
        assert!(damaged.len() >= 5, "{variant:?}");
        assert!(damaged.iter().all(|c| c.warning.is_none()));
    }
}

/// A grade cell as written: a digit or 一级…四级.
fn grade(cell: &str) -> u8 {
    ["一级", "二级", "三级", "四级"]
        .iter()
        .position(|w| *w == cell)
        .map_or_else(|| cell.parse().unwrap(), |i| u8::try_from(i + 1).unwrap())
}

fn date(cell: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(cell, "%Y-%m-%d").ok()
}

/// Each person's signals read back from the rows written (by the valid ID a row carries).
fn signals_from_rows(county: &crate::synth::County) -> BTreeMap<String, SignalFacts> {
    let mut read: BTreeMap<String, SignalFacts> = BTreeMap::new();
    let rows = |r: SignalRegistry| county.signal_registries[&r].iter();
    let valid = |row: &crate::synth::Row| canonical_id(&row[col::ID_NUMBER]);
    for row in rows(SignalRegistry::Disability) {
        let Some(id) = valid(row) else { continue };
        read.entry(id).or_default().certificates.push(Certificate {
            grade: grade(&row[signal_col::GRADE]),
            certified: date(&row[signal_col::CERTIFIED_ON]).unwrap(),
            revoked: date(&row[signal_col::REVOKED_ON]),
        });
    }
    for row in rows(SignalRegistry::Medical) {
        let Some(id) = valid(row) else { continue };
        let yuan: f64 = row[signal_col::OUT_OF_POCKET].parse().unwrap();
        #[allow(clippy::cast_possible_truncation)]
        let fen = (yuan * 100.0).round() as i64;
        let settled = date(&row[signal_col::SETTLED_ON]).unwrap();
        read.entry(id)
            .or_default()
            .settlements
            .push(Settlement { settled, fen });
    }
    for row in rows(SignalRegistry::Unemployment) {
        let Some(id) = valid(row) else { continue };
        read.entry(id).or_default().unemployment.push(Span {
            from: date(&row[col::REGISTERED_ON]).unwrap(),
            to: date(&row[signal_col::ENDED_ON]),
        });
    }
    read
}

/// The rows say what the truth was computed from: each warned person's signals, read back
/// from the rows with their valid ID, are the truth's; each `should_raise` person is on the
/// roll in that dibao household; no valid ID of a row belongs to a planted person with a
/// damaged ID (those rows carry damaged forms only).
#[test]
fn the_rows_carry_the_signals_the_truth_was_computed_from() {
    let county = generate(&options(2000, Variant::Messy));
    let read = signals_from_rows(&county);
    for w in &county.warnings {
        let signals = read[&w.person_key].at(at());
        assert_eq!(signals, w.signals, "{w:?}");
        if let Some(household) = &w.household_id {
            let on_roll = county.roll.iter().any(|r| {
                &r[col::HOUSEHOLD_ID] == household
                    && canonical_id(&r[col::ID_NUMBER]).as_deref() == Some(&w.person_key)
                    && r[col::PROGRAMME].starts_with("dibao")
            });
            assert!(on_roll, "{w:?}");
        }
    }
    // Damaged forms are written: a wrong check character, an Excel number, 17 digits, a mask.
    let damaged: BTreeSet<usize> = county
        .signal_registries
        .values()
        .flatten()
        .map(|r| &r[col::ID_NUMBER])
        .filter(|id| !id.is_empty() && canonical_id(id).is_none())
        .map(|id| if id.contains('*') { 0 } else { id.len() })
        .collect();
    assert!(
        damaged.is_superset(&BTreeSet::from([0, 11, 17, 18])),
        "{damaged:?}"
    );
}

#[test]
fn the_registries_have_the_size_asked_for_and_grades_in_words() {
    let county = generate(&options(2000, Variant::Messy));
    let roll = county.roll.len() as f64;
    let rows = |r: SignalRegistry| county.signal_registries[&r].len() as f64;
    let near = |n: f64, want: f64| (n / want - 1.0).abs() < 0.02;
    assert!(near(rows(SignalRegistry::Medical), 2.0 * roll));
    assert!(near(rows(SignalRegistry::Disability), 0.4 * roll));
    assert!(near(rows(SignalRegistry::Unemployment), 0.2 * roll));
    let grades: BTreeSet<&str> = county.signal_registries[&SignalRegistry::Disability]
        .iter()
        .map(|r| &r[signal_col::GRADE])
        .collect();
    assert!(grades.is_superset(&BTreeSet::from(["1", "二级", "3", "四级"])));
    // A few hundred planted people per 20,000 households: 30 here, and every case.
    let planted = county.warnings.len();
    assert!((25..60).contains(&planted), "{planted} warnings");
    // Their other records are about people off the roll: no death, car or flat is a member's.
    let members: BTreeSet<String> = county
        .roll
        .iter()
        .filter_map(|r| canonical_id(&r[col::ID_NUMBER]))
        .collect();
    let without = crate::synth::generate_without_warnings(&options(2000, Variant::Messy));
    for source in [Source::Death, Source::Vehicle, Source::Property] {
        let (name, id, _) = crate::synth::person_columns(source);
        let added = &county.registries[&source][without.registries[&source].len()..];
        assert!(!added.is_empty());
        assert!(added
            .iter()
            .all(|r| !r[name].is_empty()
                && canonical_id(&r[id]).is_none_or(|id| !members.contains(&id))));
    }
}

#[test]
fn warnings_are_repeatable() {
    let a = generate(&options(600, Variant::Hard));
    let b = generate(&options(600, Variant::Hard));
    assert_eq!(a.signal_registries, b.signal_registries);
    assert_eq!(a.warnings, b.warnings);
}

/// Scaled early-warning registries are directories of parts: the county's own file, then
/// quiet batches of the same size; they scale on their own, not with the other registries.
#[test]
#[allow(clippy::disallowed_methods)] // the test reads what synth wrote
fn a_scaled_county_writes_the_three_registries_in_parts() {
    let dir = tempfile::tempdir().unwrap();
    let options = options(400, Variant::Messy);
    let unscaled = crate::synth::write_county_scaled(&options, dir.path(), 2).unwrap();
    for registry in SignalRegistry::ALL {
        assert!(!dir.path().join(registry.code()).exists(), "{registry:?}");
        assert!(unscaled.signal_rows[&registry] > 0);
    }
    let dir = tempfile::tempdir().unwrap();
    let shape = crate::synth::WarningShape {
        registry_scale: 3,
        ..crate::synth::WarningShape::default()
    };
    let supporters = crate::synth::SupporterShape::default();
    let written =
        crate::synth::write_county_shaped(&options, dir.path(), 1, &supporters, &shape).unwrap();
    assert!(
        dir.path().join("death.csv").exists(),
        "the others in one file"
    );
    let county = generate(&options);
    for registry in SignalRegistry::ALL {
        let parts: BTreeSet<String> = std::fs::read_dir(dir.path().join(registry.code()))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(parts.len(), 3, "{registry:?}: {parts:?}");
        let own = county.signal_registries[&registry].len();
        assert!(
            written.signal_rows[&registry] >= own * 5 / 2,
            "{registry:?}"
        );
    }
    let truth = std::fs::read_to_string(dir.path().join("truth_warnings.csv")).unwrap();
    assert_eq!(truth.lines().count(), county.warnings.len() + 1);
    assert!(truth.starts_with("warning,person_key,household_id,signals,case\n"));
}
