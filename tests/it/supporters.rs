//! Supporters and household income through the command line: a run writes `income.parquet`
//! and `supporters.parquet` (supporters masked), `query` reads them, and `explain` shows the
//! supporter's own matches behind a `supporter_capacity` flag, level by level.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::{query_rows, repo_path, temp_dir};

fn run_case(case: &str, out: &std::path::Path) {
    Command::cargo_bin("rollcheck")
        .unwrap()
        .arg("run")
        .arg(repo_path(&format!(
            "fixtures/supporters/{case}/pipeline.toml"
        )))
        .args(["--as-of", "2025-06-30", "--out"])
        .arg(out)
        .assert()
        .success();
}

#[test]
fn explain_shows_the_supporters_matches_behind_a_capacity_flag() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    run_case("a_son_with_two_flats_and_a_car_flags_a_tekun_member", &out);
    Command::cargo_bin("rollcheck")
        .unwrap()
        .arg("explain")
        .arg(&out)
        .arg("H1")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("supporter_capacity")
                .and(predicate::str::contains(
                    "record V-1 (vehicle) ↔ supporter supporter:K-1: accepted by exact_id",
                ))
                .and(predicate::str::contains(
                    "record R-2 (property) ↔ supporter",
                ))
                .and(predicate::str::contains(
                    "record K-1 (relations) ↔ member H1-01",
                )),
        );
}

#[test]
fn income_and_supporters_tables_hold_every_household_and_mask_supporters() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    run_case(
        "support_owed_by_children_lifts_income_over_the_standard",
        &out,
    );
    let state = rollcheck::rundir::state_dir_of_run(&out);
    let income = query_rows(
        &out,
        &state,
        "SELECT household_id, support_yuan, per_capita_yuan, entitlement_yuan, paid_yuan, action, tier FROM income ORDER BY household_id",
    );
    assert_eq!(
        income,
        [
            ["H1", "1400.0", "1400.0", "0.0", "600.0", "stop", "none"],
            ["H2", "480.0", "480.0", "120.0", "600.0", "reduce", "dibao"],
        ]
    );
    let supporters = query_rows(
        &out,
        &state,
        "SELECT member_id, relation, masked_id, owed_yuan FROM supporters ORDER BY supporter_id",
    );
    assert_eq!(supporters.len(), 5);
    assert_eq!(supporters[0][..2], ["H1-01", "child"]);
    assert_eq!(supporters[0][3], "700.0");
    for row in &supporters {
        assert!(
            row[2].contains("********"),
            "unmasked supporter ID: {row:?}"
        );
    }
    // No full supporter ID anywhere in the table.
    let all = query_rows(&out, &state, "SELECT * FROM supporters");
    assert!(!all
        .iter()
        .flatten()
        .any(|cell| cell.len() == 18 && cell.bytes().all(|b| b.is_ascii_digit())));
}

#[test]
fn the_township_workbook_lists_a_flagged_households_supporters_masked_and_reimports_cleanly() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let dir = temp_dir();
    let out = dir.path().join("out");
    run_case("a_son_with_two_flats_and_a_car_flags_a_tekun_member", &out);
    let path = out.join("review/411526101000.xlsx");
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let sheet = book.worksheet_range("赡养人").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(Data::to_string).collect())
        .collect();
    // The header, then H1's one supporter; H2 is not flagged, so its supporter is not listed.
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][1], "H1");
    assert_eq!(rows[1][3], "子女");
    assert!(rows[1][4].starts_with("王建军（411526********"), "{rows:?}");
    assert!(rows[1][9].contains("名下房产2处"), "{rows:?}");
    assert!(
        !rows.iter().flatten().any(|cell| cell.contains("19680712")),
        "a supporter's birth date leaked: {rows:?}"
    );
    // Handing the workbook back untouched records nothing and rejects nothing.
    Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["review", "import"])
        .arg(&out)
        .arg(&path)
        .assert()
        .success();
}

#[test]
fn a_supporters_doubtful_wage_is_a_lead_that_a_review_settles() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    run_case(
        "a_supporters_wage_record_without_an_id_is_a_lead_not_a_flag",
        &out,
    );
    let leads = crate::read_parquet(&out.join("leads.parquet"));
    let column = |name: &str| crate::text_values(&leads, name);
    let rows: Vec<(&str, &str, &str, &str)> = (0..leads.height())
        .map(|i| {
            (
                column("household_id")[i],
                column("reason")[i],
                column("member_id")[i],
                column("record_id")[i],
            )
        })
        .collect();
    assert_eq!(
        rows,
        [("H1", "income_over_standard", "supporter:K-1", "S-1")]
    );
    // Found true at a visit, the pair counts from the next run on and the flag follows.
    crate::import_findings_csv(
        &out,
        &dir.path().join("findings.csv"),
        "户编号,原因代码,记录编号,核查结论,核查人,核查日期\nH1,income_over_standard,S-1,情况属实,张三,2025-07-02\n",
    );
    // The next run, into the same directory, reads the findings history beside it.
    run_case(
        "a_supporters_wage_record_without_an_id_is_a_lead_not_a_flag",
        &out,
    );
    let flags = std::fs::read_to_string(out.join("flags.csv")).unwrap();
    assert!(flags.contains("H1,dibao_rural"), "{flags}");
    assert!(flags.contains("income_over_standard"), "{flags}");
}

#[test]
fn a_relations_row_in_doubt_is_a_lead_on_the_members_pair() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    run_case(
        "a_relations_row_without_the_members_id_is_a_lead_not_a_flag",
        &out,
    );
    let leads = crate::read_parquet(&out.join("leads.parquet"));
    let column = |name: &str| crate::text_values(&leads, name);
    assert_eq!(
        (
            column("household_id"),
            column("member_id"),
            column("reason"),
            column("record_id")
        ),
        (
            vec!["H1"],
            vec!["H1-01"],
            vec!["income_over_standard"],
            vec!["K-1"]
        )
    );
}
