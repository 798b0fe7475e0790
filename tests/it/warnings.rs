//! Early warning through the command line: a run writes `warnings.parquet` and
//! `warnings.csv`, a sheet 预警线索 per township with IDs masked, `query` reads them, and a
//! finding on a warning comes back through `review import` and gives it its status on the
//! next run (情况属实 → enrolled), counted apart in `review_summary.csv`.

use assert_cmd::Command;

use crate::{query_rows, repo_path, temp_dir};

const CASE: &str = "fixtures/warnings/candidates_off_the_roll_and_their_decoys";

fn run(out: &std::path::Path, as_of: &str) {
    Command::cargo_bin("rollcheck")
        .unwrap()
        .arg("run")
        .arg(repo_path(&format!("{CASE}/pipeline.toml")))
        .args(["--as-of", as_of, "--out"])
        .arg(out)
        .assert()
        .success();
}

#[test]
fn warnings_reach_their_files_sheets_and_findings() {
    use calamine::{open_workbook, Reader, Xlsx};
    let dir = temp_dir();
    let out = dir.path().join("out");
    run(&out, "2025-06-30");
    let state = rollcheck::rundir::state_dir_of_run(&out);
    let rows = query_rows(
        &out,
        &state,
        "SELECT warning, person_key, status, warning_id, region_code FROM warnings ORDER BY warning, person_key",
    );
    let kinds: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("should_cover", "new"),
            ("should_cover", "new"),
            ("should_raise", "new")
        ]
    );
    assert!(rows
        .iter()
        .all(|r| r[1].len() == 18 && r[3].starts_with('W')));
    let signals = query_rows(
        &out,
        &state,
        "SELECT signal, COUNT(*) FROM signals GROUP BY signal ORDER BY signal",
    );
    assert_eq!(
        signals,
        [["medical_burden", "1"], ["severe_disability", "2"]]
    );
    let csv = std::fs::read(out.join("warnings.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBFwarning,person_key,"));

    // The workbooks show the warnings masked: never a full ID, in any sheet.
    let mut shown = 0;
    for entry in std::fs::read_dir(out.join("review")).unwrap() {
        let path = entry.unwrap().path();
        let mut book: Xlsx<_> = open_workbook(&path).unwrap();
        for sheet in book.sheet_names() {
            for cell in book.worksheet_range(&sheet).unwrap().used_cells() {
                let text = cell.2.to_string();
                assert!(
                    !rows.iter().any(|r| text.contains(&r[1])),
                    "{sheet}: `{text}`"
                );
                shown += usize::from(sheet == "预警线索" && text.contains("********"));
            }
        }
    }
    assert_eq!(shown, 3, "each warning once, masked");

    // A caseworker confirms the first should_cover warning: the person was enrolled.
    let enrolled = &rows[0][3];
    crate::import_findings_csv(
        &out,
        &dir.path().join("findings.csv"),
        &format!(
            "household_id,reason,verdict,reviewer,reviewed_on,note\n{enrolled},should_cover,情况属实,李娜,2025-07-02,已纳入低保\n"
        ),
    );
    run(&out, "2025-07-03");
    let after = query_rows(
        &out,
        &state,
        &format!("SELECT status, first_warned_on FROM warnings WHERE warning_id = '{enrolled}'"),
    );
    assert_eq!(after, [["enrolled", "2025-06-30"]]);
    // The others persist; on 3 July 吴六's settlement of 1 July falls in the window: new.
    let others = query_rows(
        &out,
        &state,
        &format!(
            "SELECT name, status FROM warnings WHERE warning_id <> '{enrolled}' ORDER BY name"
        ),
    );
    assert_eq!(
        others,
        [
            ["吴六", "new"],
            ["李四", "persisting"],
            ["褚十一", "persisting"]
        ]
    );
    let summary = std::fs::read_to_string(out.join("review_summary.csv")).unwrap();
    let cover = summary
        .lines()
        .find(|l| l.starts_with("all,all,should_cover,"))
        .unwrap_or_else(|| panic!("{summary}"));
    // Three warnings to cover, one reviewed and confirmed, two pending.
    assert!(
        cover.starts_with("all,all,should_cover,3,1,1,0,0,0,2,"),
        "{cover}"
    );
    // Warnings stay out of the flags' totals.
    // (This roll has no flags: a whole-run flags row may only count none.)
    for line in summary.lines().filter(|l| l.starts_with("all,all,all,")) {
        assert!(line.starts_with("all,all,all,0,"), "{line}");
    }
}
