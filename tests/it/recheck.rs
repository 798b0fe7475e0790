//! The periodic re-check list (定期复核) across runs: a household re-checked through a
//! finding drops off the list on the next run, and one checked last month is not yet due.

use rollcheck::job;
use rollcheck::synth::Variant;

use crate::{county_nightly, fixture_as_of, read_parquet, run_synthetic_county, text_values};

fn due_households(out: &std::path::Path) -> Vec<String> {
    let due = read_parquet(&out.join("recheck_due.parquet"));
    text_values(&due, "household_id")
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_household_rechecked_through_a_finding_drops_off_the_next_run() {
    let run = run_synthetic_county(300, 11, Variant::Clean);
    let due = due_households(&run.out);
    // A flagged household that is due: its finding is its re-check.
    let row = run
        .summary
        .flags
        .iter()
        .find(|row| due.contains(&row.flag.household_id))
        .expect("a flagged household due its re-check (synth enrols 2015-2024)");
    let household = row.flag.household_id.clone();
    let csv = run.dir.path().join("findings.csv");
    std::fs::write(
        &csv,
        format!(
            "household_id,reason,verdict,reviewer,reviewed_on\n{household},{},confirmed,王建国,2025-07-01\n",
            row.flag.reason.code()
        ),
    )
    .unwrap();
    let today = chrono::Local::now().date_naive();
    let outcome = rollcheck::review::import(&run.out, &[csv], None, today).unwrap();
    assert_eq!(outcome.recorded(), 1, "{:?}", outcome.problems);

    // The next run, a month on: checked last month, the household is not due (B: 6 months).
    let next_month = fixture_as_of() + chrono::Months::new(1);
    job::run(&county_nightly(), Some(&run.data), next_month, &run.out).unwrap();
    let due_now = due_households(&run.out);
    assert!(
        !due_now.contains(&household),
        "{household} was checked on 2025-07-01"
    );
    assert!(
        due.iter()
            .filter(|h| **h != household)
            .all(|h| due_now.contains(h)),
        "the others stay due"
    );
}

/// The township sheets 到期复核 together list exactly `recheck_due.parquet`'s households, with
/// their due dates readable as dates (Excel serials under a date format, not text).
#[test]
fn the_township_sheets_list_the_due_households_with_real_dates() {
    use calamine::{open_workbook, DataType as _, Reader, Xlsx};

    let run = run_synthetic_county(300, 12, Variant::Clean);
    let due = read_parquet(&run.out.join("recheck_due.parquet"));
    let days = due
        .column("due_on")
        .unwrap()
        .cast(&polars::prelude::DataType::String)
        .unwrap();
    let mut expected: Vec<(String, String)> = text_values(&due, "household_id")
        .into_iter()
        .zip(days.str().unwrap().iter())
        .map(|(h, d)| {
            (
                h.to_string(),
                d.expect("every due row has its date").to_string(),
            )
        })
        .collect();
    assert!(
        !expected.is_empty(),
        "synth enrols 2015-2024: households are due"
    );

    let mut listed = Vec::new();
    for entry in std::fs::read_dir(run.out.join("review")).unwrap() {
        let mut workbook: Xlsx<_> = open_workbook(entry.unwrap().path()).unwrap();
        let Ok(range) = workbook.worksheet_range("到期复核") else {
            continue;
        };
        let header = crate::header_of(&range);
        let column = |title: &str| header.iter().position(|h| h == title).unwrap();
        let (household, due_on, last) =
            (column("户号"), column("应复核日期"), column("上次核查日期"));
        for row in range.rows().skip(1) {
            // A date-formatted cell, not text nor a bare number.
            assert!(row[due_on].is_datetime(), "应复核日期 `{}`", row[due_on]);
            assert!(row[last].is_datetime() || row[last] == "未核查");
            let day = row[due_on].as_date().unwrap();
            listed.push((row[household].to_string(), day.to_string()));
        }
    }
    expected.sort();
    listed.sort();
    assert_eq!(listed, expected);
}
