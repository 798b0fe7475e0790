use chrono::NaiveDate;

use super::*;
use crate::synth::{generate, SynthOptions, Variant};

fn date(text: &str) -> NaiveDate {
    text.parse().expect("a date as YYYY-MM-DD")
}

#[test]
fn whole_months_are_completed_calendar_months() {
    // (from, to, months)
    let table = [
        ("2024-03-15", "2025-06-30", 15),
        ("2024-03-15", "2025-06-15", 15),
        ("2024-03-15", "2025-06-14", 14),
        ("2025-06-30", "2025-06-30", 0),
        ("2025-07-01", "2025-06-30", 0),
        // A start on the 31st completes its month on a shorter month's last day…
        ("2025-01-31", "2025-02-28", 1),
        ("2025-01-31", "2025-04-30", 3),
        ("2025-05-31", "2025-06-30", 1),
        // …but not a day before it, nor on a leap year's 28 February.
        ("2025-01-31", "2025-04-29", 2),
        ("2024-01-31", "2024-02-28", 0),
        ("2024-01-31", "2024-02-29", 1),
        ("2024-02-29", "2025-02-28", 12),
        ("2019-08-31", "2025-06-30", 70),
    ];
    for (from, to, months) in table {
        assert_eq!(whole_months(date(from), date(to)), months, "{from} → {to}");
    }
}

#[test]
fn first_over_takes_one_alone_else_the_last_one_needed() {
    let over = |amount: f64| amount > 800.0;
    let at = |d: &str, a: f64| (date(d), a);
    assert_eq!(
        first_over(vec![at("2023-01-01", 900.0), at("2020-01-01", 500.0)], over),
        Some(date("2023-01-01"))
    );
    assert_eq!(
        first_over(
            vec![
                at("2022-06-01", 500.0),
                at("2021-01-01", 500.0),
                at("2024-01-01", 100.0)
            ],
            over
        ),
        Some(date("2022-06-01"))
    );
    assert_eq!(first_over(vec![at("2020-01-01", 300.0)], over), None);
}

fn county(variant: Variant) -> crate::synth::County {
    generate(&SynthOptions {
        households: 600,
        seed: 4,
        variant,
        as_of: date("2025-06-30"),
        mix: crate::synth::Mix::default(),
    })
}

/// Every true flag of the reasons that cost money has a row, and only those; each dated
/// flag's amount is whole months (at most 36) of the benefit or a member's share of it.
#[test]
fn every_true_money_flag_has_its_cost() {
    let county = county(Variant::Hard);
    let flags: BTreeSet<(String, Reason)> = county
        .truth
        .iter()
        .filter(|t| MONEY_REASONS.contains(&t.reason))
        .map(|t| (t.household_id.clone(), t.reason))
        .collect();
    let rows: BTreeSet<(String, Reason)> = county
        .overpaid
        .iter()
        .map(|r| (r.household_id.clone(), r.reason))
        .collect();
    assert_eq!(rows, flags);
    for reason in MONEY_REASONS {
        assert!(
            county
                .overpaid
                .iter()
                .any(|r| r.reason == reason && r.overpaid_yuan.is_some()),
            "no dated {reason:?}"
        );
    }
    for row in county
        .overpaid
        .iter()
        .filter(|r| r.reason != Reason::IncomeOverStandard)
    {
        let since = row.since.unwrap_or_else(|| panic!("{row:?} undated"));
        assert!(since <= date("2025-06-30"), "{row:?}");
        assert!(row.overpaid_yuan.is_some_and(|y| y >= 0.0), "{row:?}");
    }
    // A death on D has cost nothing yet.
    assert!(county
        .overpaid
        .iter()
        .any(|r| r.since == Some(date("2025-06-30")) && r.overpaid_yuan == Some(0.0)));
}

/// The due list is the households whose earliest enrolment + interval falls by D + 30 days:
/// none enrolled within the last six months (B) is due, everyone enrolled before 2024 is.
#[test]
fn the_due_list_follows_enrolment_and_class() {
    let county = county(Variant::Clean);
    let horizon = date("2025-07-30");
    assert!(!county.recheck.is_empty());
    for row in &county.recheck {
        assert!(row.due_on <= horizon, "{row:?}");
        let months = match row.category {
            "A" => 12,
            "B" => 6,
            _ => 3,
        };
        assert_eq!(
            row.last_checked.checked_add_months(Months::new(months)),
            Some(row.due_on)
        );
    }
    let households: BTreeSet<&str> = county.roll.iter().map(|r| &r[col::HOUSEHOLD_ID]).collect();
    // synth enrols 2015-2024: with at most 12 months' interval nearly everyone is due.
    assert!(county.recheck.len() * 10 > households.len() * 9);
}

/// A payee of `n` persons paid 900 a month, enrolled on `enrolled`.
fn payee(persons: &[&'static str], enrolled: &str) -> Payee<'static> {
    Payee {
        persons: persons.to_vec(),
        benefit: 900.0,
        enrolled_on: Some(date(enrolled)),
        standard: Some(600.0),
    }
}

/// The cases: a fact before enrolment counts from enrolment, one on D costs
/// nothing, the count stops at 36 months, a deceased member of three costs a third.
#[test]
fn months_start_at_enrolment_stop_at_the_cap_and_a_death_costs_a_share() {
    let d = date("2025-06-30");
    let household = payee(&["a", "b", "c"], "2024-03-15");
    assert_eq!(household.months(date("2019-05-01"), d), 15);
    assert_eq!(household.months(d, d), 0);
    assert_eq!(
        payee(&["a"], "2015-01-01").months(date("2016-01-01"), d),
        36
    );
    let died = Facts {
        death: Some(date("2024-06-30")),
        ..Facts::default()
    };
    let alive = Facts::default();
    let (since, cost) = deaths(&household, &[&died, &alive, &alive], d);
    assert_eq!(since, Some(date("2024-06-30")));
    assert_eq!(cost.map(cents), Some(3600.0), "300 a month for 12 months");
    let (since, cost) = deaths(&household, &[&alive, &alive, &alive], d);
    assert_eq!((since, cost), (None, None));
}
