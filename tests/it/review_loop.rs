//! The review loop end to end: workbooks go out, come back filled (sorted, with extra
//! columns, dates as cells or text), are imported, and the next run's statuses, workbooks,
//! resolved flags and `review_summary` follow the findings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::NaiveDate;
use rollcheck::job;
use rollcheck::synth::Variant;

use crate::{county_nightly, fixture_as_of, read_parquet, run_synthetic_county, text_values};

/// What a reviewer writes on one row.
#[derive(Clone)]
pub struct Fill {
    pub household_id: String,
    /// The hidden reason code (`vehicle_owned`, `spot_check`, …).
    pub reason: String,
    pub verdict: &'static str,
    pub reviewer: &'static str,
    pub date: NaiveDate,
    /// Write the date as text (`2025/07/03`) instead of a date cell.
    pub date_as_text: bool,
    pub action: Option<&'static str>,
    pub note: Option<&'static str>,
    /// For a lead: the record (记录编号) the row names.
    pub record_id: Option<String>,
}

impl Fill {
    pub fn new(household_id: &str, reason: &str, verdict: &'static str, day: u32) -> Fill {
        Fill {
            household_id: household_id.to_string(),
            reason: reason.to_string(),
            verdict,
            reviewer: "王建国",
            date: NaiveDate::from_ymd_opt(2025, 7, day).unwrap(),
            date_as_text: false,
            action: None,
            note: None,
            record_id: None,
        }
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// Re-writes `source` as a filled workbook at `target`, the way a clerk's copy comes back:
/// every sheet's rows in reverse order, an extra column 联系电话 inserted at the front, and
/// the findings typed into the rows they belong to (matched by 户编号 + 原因代码).
pub fn fill_workbook(source: &Path, target: &Path, fills: &[Fill]) -> usize {
    let mut workbook: Xlsx<_> = open_workbook(source).unwrap();
    let mut out = rust_xlsxwriter::Workbook::new();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let mut filled = 0;
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).unwrap();
        let sheet = out.add_worksheet();
        sheet.set_name(&name).unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect();
        let Some(header) = rows.first() else {
            continue;
        };
        let col = |title: &str| header.iter().position(|h| h == title);
        sheet.write(0, 0, "联系电话").unwrap();
        for (c, title) in header.iter().enumerate() {
            sheet
                .write(0, u16::try_from(c + 1).unwrap(), title)
                .unwrap();
        }
        let body: Vec<&Vec<String>> = rows.iter().skip(1).rev().collect();
        for (r, row) in body.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap();
            sheet.write(r, 0, "13800000000").unwrap();
            for (c, value) in row.iter().enumerate() {
                sheet
                    .write(r, u16::try_from(c + 1).unwrap(), value)
                    .unwrap();
            }
            let (Some(household), Some(code)) = (col("户编号"), col("原因代码")) else {
                continue;
            };
            let record = col("记录编号").map(|c| row[c].as_str());
            let Some(fill) = fills.iter().find(|f| {
                f.household_id == row[household]
                    && f.reason == row[code]
                    && f.record_id.as_deref() == record
            }) else {
                continue;
            };
            filled += 1;
            let at = |title: &str| u16::try_from(col(title).unwrap() + 1).unwrap();
            sheet.write(r, at("核查结论"), fill.verdict).unwrap();
            sheet.write(r, at("核查人"), fill.reviewer).unwrap();
            if fill.date_as_text {
                sheet
                    .write(r, at("核查日期"), fill.date.format("%Y/%m/%d").to_string())
                    .unwrap();
            } else {
                let date = rust_xlsxwriter::ExcelDateTime::parse_from_str(
                    &fill.date.format("%Y-%m-%d").to_string(),
                )
                .unwrap();
                sheet
                    .write_datetime_with_format(r, at("核查日期"), &date, &date_format)
                    .unwrap();
            }
            if let Some(action) = fill.action {
                sheet.write(r, at("处理结果"), action).unwrap();
            }
            if let Some(note) = fill.note {
                sheet.write(r, at("备注"), note).unwrap();
            }
        }
    }
    out.save(target).unwrap();
    filled
}

/// The flags of a run: (household, reason) → status, from flags.csv.
fn statuses(out: &Path) -> BTreeMap<(String, String), Vec<String>> {
    let bytes = std::fs::read(out.join("flags.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (household, reason, status, verdict, reviewer, reviewed_on, evidence) = (
        at("household_id"),
        at("reason"),
        at("status"),
        at("verdict"),
        at("reviewer"),
        at("reviewed_on"),
        at("evidence"),
    );
    reader
        .records()
        .map(Result::unwrap)
        .map(|r| {
            (
                (r[household].to_string(), r[reason].to_string()),
                vec![
                    r[status].to_string(),
                    r[verdict].to_string(),
                    r[reviewer].to_string(),
                    r[reviewed_on].to_string(),
                    r[evidence].to_string(),
                ],
            )
        })
        .collect()
}

/// `review_summary.csv` rows by (county, township, reason).
fn summary(out: &Path) -> BTreeMap<(String, String, String), BTreeMap<String, String>> {
    let bytes = std::fs::read(out.join("review_summary.csv")).unwrap();
    assert_eq!(
        &bytes[..3],
        b"\xEF\xBB\xBF",
        "review_summary.csv starts with a BOM"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        rollcheck::review::summary::SUMMARY_COLUMNS
    );
    reader
        .records()
        .map(Result::unwrap)
        .map(|r| {
            let row: BTreeMap<String, String> = headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect();
            (
                (
                    row["county"].clone(),
                    row["township"].clone(),
                    row["reason"].clone(),
                ),
                row,
            )
        })
        .collect()
}

fn whole(out: &Path) -> BTreeMap<String, String> {
    summary(out)[&("all".to_string(), "all".to_string(), "all".to_string())].clone()
}

/// The workbook holding a household's flags.
fn workbook_of(out: &Path, region_code: Option<&str>) -> PathBuf {
    out.join("review").join(format!(
        "{}.xlsx",
        rollcheck::model::RegionCode::township_key(region_code)
    ))
}

fn sheet_rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    match workbook.worksheet_range(sheet) {
        Ok(range) => range
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

#[test]
fn findings_come_back_and_steer_the_next_run() {
    let run = run_synthetic_county(600, 5, Variant::Messy);
    let pipeline = crate::synthetic_pipeline(&run.written);
    // Four flags of different households and reasons get a finding each.
    let mut picked: Vec<&rollcheck::rundir::FlagRow> = Vec::new();
    for row in &run.summary.flags {
        if picked.len() < 4
            && row.flag.reason.code() != "invalid_id"
            && !row.flag.record_ids.is_empty()
            && picked
                .iter()
                .all(|p| p.flag.household_id != row.flag.household_id)
            && picked.first().is_none_or(|p| {
                // All in one township, so one workbook carries them.
                rollcheck::model::RegionCode::township_key(p.flag.region_code.as_deref())
                    == rollcheck::model::RegionCode::township_key(row.flag.region_code.as_deref())
            })
        {
            picked.push(row);
        }
    }
    assert_eq!(picked.len(), 4, "a township with four flagged households");
    let key = |i: usize| {
        (
            picked[i].flag.household_id.clone(),
            picked[i].flag.reason.code().to_string(),
        )
    };
    let mut fills = vec![
        Fill::new(&key(0).0, &key(0).1, "情况属实", 2),
        Fill::new(&key(1).0, &key(1).1, " 情况不属实 ", 3),
        Fill::new(&key(2).0, &key(2).1, "无法核实", 4),
        Fill::new(&key(3).0, &key(3).1, "部分属实", 5),
    ];
    fills[0].action = Some("取消");
    fills[0].note = Some("户主称车辆已卖，身份证号411526199001011234");
    fills[1].date_as_text = true;
    fills[3].action = Some("调整");
    let source = workbook_of(&run.out, picked[0].flag.region_code.as_deref());
    let filled = run.dir.path().join("filled.xlsx");
    assert_eq!(fill_workbook(&source, &filled, &fills), 4);

    let outcome =
        rollcheck::review::import(&run.out, std::slice::from_ref(&filled), None, today()).unwrap();
    assert_eq!(outcome.recorded(), 4, "{:?}", outcome.problems);
    assert!(!outcome.rejected_any(), "{:?}", outcome.problems);
    assert!(
        outcome.files[0].unreviewed > 0,
        "the other rows are not reviewed yet"
    );
    // The same file again changes nothing.
    let again =
        rollcheck::review::import(&run.out, std::slice::from_ref(&filled), None, today()).unwrap();
    assert_eq!((again.recorded(), again.files[0].already_recorded), (0, 4));

    let next_day = fixture_as_of() + chrono::Days::new(1);
    let next = job::run(&pipeline, Some(&run.data), next_day, &run.out).unwrap();
    let statuses = statuses(&run.out);
    let status = |i: usize| statuses[&key(i)][0].clone();
    assert_eq!(status(0), "confirmed");
    assert_eq!(status(1), "dismissed");
    assert_eq!(status(2), "unverifiable");
    assert_eq!(status(3), "partly_confirmed");
    assert_eq!(
        statuses[&key(0)][1..4],
        ["confirmed", "王建国", "2025-07-02"]
    );
    assert_eq!(statuses[&key(1)][3], "2025-07-03", "a date typed as text");
    let others: Vec<&String> = statuses
        .iter()
        .filter(|(k, _)| !(0..4).any(|i| **k == key(i)))
        .map(|(_, v)| &v[0])
        .collect();
    assert!(others.iter().all(|s| *s == "persisting"), "{others:?}");
    assert_eq!(
        next.flags.len(),
        run.summary.flags.len(),
        "dismissed flags stay for audit"
    );

    // The workbooks follow: the dismissed flag is gone, the confirmed ones wait for action.
    let workbook = workbook_of(&run.out, picked[0].flag.region_code.as_deref());
    let to_visit = sheet_rows(&workbook, "核查清单");
    let awaiting = sheet_rows(&workbook, "待处理");
    let listed = |rows: &[Vec<String>], (household, reason): &(String, String)| {
        let code = rows[0].iter().position(|h| h == "原因代码").unwrap();
        rows.iter()
            .any(|r| r[1] == *household && r[code] == *reason)
    };
    assert!(!listed(&to_visit, &key(1)), "dismissed leaves the workbook");
    assert!(listed(&to_visit, &key(2)), "unverifiable is visited again");
    assert!(listed(&awaiting, &key(0)) && listed(&awaiting, &key(3)));
    assert!(!listed(&to_visit, &key(0)));
    let verdict_col = awaiting[0].iter().position(|h| h == "核查结论").unwrap();
    assert!(
        awaiting[1..].iter().all(|r| !r[verdict_col].is_empty()),
        "pre-filled"
    );

    // review_summary: four reviewed, precision (1 + 1) / (1 + 1 + 1) with its interval.
    let total = whole(&run.out);
    assert_eq!(total["flags"], next.flags.len().to_string());
    assert_eq!(
        [
            &total["reviewed"],
            &total["confirmed"],
            &total["partly_confirmed"],
            &total["dismissed"],
            &total["unverifiable"]
        ],
        ["4", "1", "1", "1", "1"]
    );
    assert_eq!(total["pending"], (next.flags.len() - 4).to_string());
    assert_eq!([&total["cancelled"], &total["adjusted"]], ["1", "1"]);
    // Wilson 95% for 2 of 3: 0.6667 (0.2077 – 0.9385).
    assert_eq!(total["precision"], "0.6667");
    assert_eq!(total["precision_low"], "0.2077");
    assert_eq!(total["precision_high"], "0.9385");

    // The county summary workbook: the same rows, the outcome, and one row per county.
    let mut summary_book: Xlsx<_> = open_workbook(run.out.join("summary.xlsx")).unwrap();
    assert_eq!(
        summary_book.sheet_names(),
        [
            "核查结果汇总",
            "处理结果",
            "复核一致性",
            "分县汇总",
            "专项成效"
        ]
    );
    let counties = summary_book.worksheet_range("分县汇总").unwrap();
    let county_rows: Vec<Vec<String>> = counties
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    assert_eq!(county_rows.len(), 2, "one county: {county_rows:?}");
    let flagged: std::collections::BTreeSet<&str> = next
        .flags
        .iter()
        .map(|f| f.flag.household_id.as_str())
        .collect();
    let last = county_rows[0].len() - 1;
    assert_eq!(county_rows[1][0], "411526");
    assert_eq!(county_rows[1][1], next.households.to_string());
    assert_eq!(county_rows[1][2], flagged.len().to_string());
    assert_eq!(county_rows[1][last - 1], "1", "confirmed");
    assert_eq!(county_rows[1][last], total["pending"]);

    // Nothing a clerk typed reaches the outputs as a full ID.
    let findings = rollcheck::inspect::query(
        &run.out,
        &rollcheck::rundir::state_dir_of_run(&run.out),
        "SELECT note FROM findings WHERE note IS NOT NULL",
    )
    .unwrap();
    let notes = text_values(&findings, "note");
    assert_eq!(notes, ["户主称车辆已卖，身份证号411526********1234"]);

    // explain shows each finding and the status it gives.
    let explained = rollcheck::inspect::explain(&run.out, &key(1).0).unwrap();
    assert!(explained.contains("status: dismissed"), "{explained}");
    assert!(
        explained.contains("情况不属实 dismissed by 王建国 on 2025-07-03"),
        "{explained}"
    );
}

#[test]
fn a_new_record_reopens_a_dismissed_flag_and_a_confirmed_flag_resolves_with_its_finding() {
    let run = run_synthetic_county(400, 11, Variant::Clean);
    let pipeline = county_nightly();
    let vehicle = run
        .summary
        .flags
        .iter()
        .find(|f| f.flag.reason.code() == "vehicle_owned" && f.flag.member_ids.len() == 1)
        .unwrap();
    let death = run
        .summary
        .flags
        .iter()
        .find(|f| {
            f.flag.reason.code() == "deceased_member"
                && f.flag.household_id != vehicle.flag.household_id
        })
        .unwrap();
    let csv_path = run.dir.path().join("findings.csv");
    std::fs::write(
        &csv_path,
        format!(
            "household_id,reason,verdict,reviewer,reviewed_on,note,action\n\
             {},vehicle_owned,情况不属实,李四,2025-07-01,车辆为他人所有,\n\
             {},家庭成员已死亡,情况属实,李四,2025-07-01,,取消\n",
            vehicle.flag.household_id, death.flag.household_id
        ),
    )
    .unwrap();
    let outcome = rollcheck::review::import(&run.out, &[csv_path], None, today()).unwrap();
    assert_eq!(outcome.recorded(), 2, "{:?}", outcome.problems);

    // A second vehicle turns up for the same member; the dead member's household leaves.
    let member = &vehicle.flag.member_ids[0];
    let roll = std::fs::read_to_string(run.data.join("roll.csv")).unwrap();
    let header: Vec<&str> = roll.lines().next().unwrap().split(',').collect();
    let member_col = header.iter().position(|h| *h == "member_id").unwrap();
    let id_col = header.iter().position(|h| *h == "id_number").unwrap();
    let name_col = header.iter().position(|h| *h == "name").unwrap();
    let member_row: Vec<&str> = roll
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[member_col] == member)
        .unwrap();
    let vehicles = std::fs::read_to_string(run.data.join("vehicle.csv")).unwrap();
    let vheader: Vec<&str> = vehicles.lines().next().unwrap().split(',').collect();
    let new_row: Vec<String> = vheader
        .iter()
        .map(|h| match *h {
            "record_id" => "V-NEW-1".to_string(),
            "owner_name" => member_row[name_col].to_string(),
            "owner_id" => member_row[id_col].to_string(),
            "vehicle_type" => "car".to_string(),
            "registered_on" => "2025-05-01".to_string(),
            _ => String::new(),
        })
        .collect();
    std::fs::write(
        run.data.join("vehicle.csv"),
        format!("{}{}\n", vehicles, new_row.join(",")),
    )
    .unwrap();
    let kept: Vec<&str> = roll
        .lines()
        .filter(|l| !l.starts_with(&format!("{},", death.flag.household_id)))
        .collect();
    std::fs::write(run.data.join("roll.csv"), kept.join("\n") + "\n").unwrap();

    job::run(
        &pipeline,
        Some(&run.data),
        fixture_as_of() + chrono::Days::new(1),
        &run.out,
    )
    .unwrap();
    let statuses = statuses(&run.out);
    let reopened = &statuses[&(
        vehicle.flag.household_id.clone(),
        "vehicle_owned".to_string(),
    )];
    assert_eq!(reopened[0], "reopened");
    assert!(
        reopened[4].contains("V-NEW-1"),
        "the evidence names what is new: {}",
        reopened[4]
    );
    let resolved = read_parquet(&run.out.join("resolved.parquet"));
    let households = text_values(&resolved, "household_id");
    let at = households
        .iter()
        .position(|h| *h == death.flag.household_id)
        .expect("the confirmed flag resolved");
    assert_eq!(text_values(&resolved, "verdict")[at], "confirmed");
    assert_eq!(text_values(&resolved, "action")[at], "cancelled");
    // Its outcome stays counted after the household left the roll.
    let total = whole(&run.out);
    assert_eq!([&total["confirmed"], &total["cancelled"]], ["1", "1"]);
    let workbook = workbook_of(&run.out, vehicle.flag.region_code.as_deref());
    let rows = sheet_rows(&workbook, "核查清单");
    assert!(
        rows.iter().any(|r| r[1] == vehicle.flag.household_id),
        "reopened goes out again"
    );
}

/// Imports a CSV holding a good finding (row 2) and the rows `bad` makes from the run's
/// flags, through the command line. Returns the run, stdout and stderr; asserts exit 65 and
/// that the good row was recorded.
fn import_with_bad_rows(
    bad: impl Fn(&[rollcheck::rundir::FlagRow]) -> Vec<String>,
) -> (crate::SyntheticRun, String, String) {
    let run = run_synthetic_county(200, 3, Variant::Clean);
    let good = &run.summary.flags[0].flag;
    let mut lines = vec![
        "household_id,reason,verdict,reviewer,reviewed_on".to_string(),
        format!(
            "{},{},情况属实,赵六,2025-07-01",
            good.household_id,
            good.reason.code()
        ),
    ];
    lines.extend(bad(&run.summary.flags[1..]));
    let csv_path = run.dir.path().join("bad.csv");
    std::fs::write(&csv_path, lines.join("\n") + "\n").unwrap();
    let assert = Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["review", "import"])
        .arg(&run.out)
        .arg(&csv_path)
        .assert()
        .code(65);
    let output = assert.get_output();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(stdout.contains("1 findings recorded"), "{stdout}{stderr}");
    (run, stdout, stderr)
}

/// The rejection line of `row`; it names the file, the column and the problem.
fn assert_rejected(stderr: &str, row: usize, column: &str, words: &str) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("rejected:") && l.contains(&format!(" row {row},")))
        .unwrap_or_else(|| panic!("row {row} not listed:\n{stderr}"));
    assert!(line.contains("bad.csv"), "{line}");
    assert!(
        line.contains(&format!("column {column}")),
        "row {row}: {line}"
    );
    assert!(line.contains(words), "row {row}: {line}");
}

/// `household,reason` of a flag, for a CSV row.
fn key_of(row: &rollcheck::rundir::FlagRow) -> String {
    format!("{},{}", row.flag.household_id, row.flag.reason.code())
}

#[test]
fn an_unknown_finding_is_rejected_on_its_own() {
    let (_, _, stderr) =
        import_with_bad_rows(|f| vec![format!("{},好像是,赵六,2025-07-01", key_of(&f[0]))]);
    assert_rejected(&stderr, 3, "verdict", "unknown finding");
}

#[test]
fn a_finding_without_a_reviewer_is_rejected_on_its_own() {
    let (_, _, stderr) =
        import_with_bad_rows(|f| vec![format!("{},情况属实,,2025-07-01", key_of(&f[0]))]);
    assert_rejected(&stderr, 3, "reviewer", "reviewer");
}

#[test]
fn a_finding_without_a_date_is_rejected_on_its_own() {
    let (_, _, stderr) =
        import_with_bad_rows(|f| vec![format!("{},情况属实,赵六,", key_of(&f[0]))]);
    assert_rejected(&stderr, 3, "reviewed_on", "date");
}

#[test]
fn a_finding_dated_before_the_flag_was_raised_is_rejected_on_its_own() {
    let (_, _, stderr) =
        import_with_bad_rows(|f| vec![format!("{},情况属实,赵六,2020-01-01", key_of(&f[0]))]);
    assert_rejected(
        &stderr,
        3,
        "reviewed_on",
        "before the flag was first raised",
    );
}

#[test]
fn a_finding_dated_in_the_future_is_rejected_on_its_own() {
    let future = (today() + chrono::Days::new(3))
        .format("%Y-%m-%d")
        .to_string();
    let (_, _, stderr) =
        import_with_bad_rows(|f| vec![format!("{},情况属实,赵六,{future}", key_of(&f[0]))]);
    assert_rejected(&stderr, 3, "reviewed_on", "future");
}

#[test]
fn a_finding_on_a_flag_the_run_does_not_have_is_rejected_on_its_own() {
    let (_, _, stderr) = import_with_bad_rows(|f| {
        vec![format!(
            "NO-SUCH-HOUSEHOLD,{},情况属实,赵六,2025-07-01",
            f[0].flag.reason.code()
        )]
    });
    assert_rejected(&stderr, 3, "household_id", "has no flag");
}

#[test]
fn two_different_findings_for_one_flag_in_one_import_are_both_rejected() {
    let (run, _, stderr) = import_with_bad_rows(|f| {
        vec![
            format!("{},情况属实,赵六,2025-07-01", key_of(&f[0])),
            format!("{},情况不属实,钱七,2025-07-02", key_of(&f[0])),
        ]
    });
    assert_rejected(&stderr, 3, "verdict", "two different findings");
    assert_rejected(&stderr, 4, "verdict", "two different findings");
    // The good row was recorded; the flag it names is confirmed on the next run, the
    // disputed one is not.
    job::run(
        &county_nightly(),
        Some(&run.data),
        fixture_as_of() + chrono::Days::new(1),
        &run.out,
    )
    .unwrap();
    let statuses = statuses(&run.out);
    let good = &run.summary.flags[0].flag;
    let disputed = &run.summary.flags[1].flag;
    assert_eq!(
        statuses[&(good.household_id.clone(), good.reason.code().to_string())][0],
        "confirmed"
    );
    assert_eq!(
        statuses[&(
            disputed.household_id.clone(),
            disputed.reason.code().to_string()
        )][0],
        "persisting"
    );
    // The log at its most verbose names files and counts, never a reviewer.
    let traced = Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["-vvv", "review", "import"])
        .arg(&run.out)
        .arg(run.dir.path().join("bad.csv"))
        .assert()
        .code(65);
    let log = String::from_utf8_lossy(&traced.get_output().stderr).to_string();
    assert!(
        log.contains("findings imported"),
        "the trace log ran: {log}"
    );
    assert!(
        !log.contains("赵六") && !log.contains("钱七"),
        "a reviewer in the log: {log}"
    );
}

#[test]
fn a_corrupt_or_foreign_workbook_records_nothing_and_is_named() {
    let run = run_synthetic_county(200, 4, Variant::Clean);
    let corrupt = run.dir.path().join("corrupt.xlsx");
    std::fs::write(&corrupt, b"PK\x03\x04 this is not really a workbook").unwrap();
    let foreign = run.dir.path().join("foreign.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write(0, 0, "姓名").unwrap();
    sheet.write(1, 0, "张三").unwrap();
    workbook.save(&foreign).unwrap();
    // Another office's list, not findings: no column a findings file needs.
    let foreign_csv = run.dir.path().join("foreign.csv");
    std::fs::write(&foreign_csv, "姓名,电话\n张三,13800001111\n").unwrap();
    for path in [&corrupt, &foreign, &foreign_csv] {
        let assert = Command::cargo_bin("rollcheck")
            .unwrap()
            .args(["review", "import"])
            .arg(&run.out)
            .arg(path)
            .assert()
            .code(65);
        let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        let named = format!("{}: not imported", path.display());
        assert!(stdout.contains(&named), "{stdout}");
        // The file and its problem on stderr too, where a script or cron mail looks.
        let line = stderr
            .lines()
            .find(|l| l.starts_with("rejected: ") && l.contains(&named))
            .unwrap_or_else(|| panic!("{} not named on stderr:\n{stderr}", path.display()));
        assert!(
            line.len() > named.len() + "rejected: : ".len(),
            "no problem given: {line}"
        );
    }
    let state = rollcheck::rundir::state_dir_of_run(&run.out);
    assert!(rollcheck::review::findings::Findings::read(&state)
        .unwrap()
        .is_empty());
}

#[test]
fn an_import_waits_for_no_run_it_takes_the_same_lock() {
    let run = run_synthetic_county(200, 6, Variant::Clean);
    let _lock = rollcheck::rundir::acquire_lock(&run.out).unwrap();
    let csv_path = run.dir.path().join("f.csv");
    std::fs::write(
        &csv_path,
        "household_id,reason,verdict,reviewer,reviewed_on\n",
    )
    .unwrap();
    Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["review", "import"])
        .arg(&run.out)
        .arg(&csv_path)
        .assert()
        .code(75);
}

/// A pipeline file in `dir`: county-nightly with `extra` appended.
fn pipeline_with(dir: &Path, extra: &str) -> rollcheck::config::Pipeline {
    let text = crate::read_to_string(&crate::repo_path("pipelines/county-nightly.toml"))
        .replace("audit_households_per_township = 0\n", "");
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, format!("{text}{extra}\n")).unwrap();
    rollcheck::config::Pipeline::load(&path).unwrap()
}

#[test]
fn a_lead_found_true_raises_its_flag_and_one_found_false_never_returns() {
    // The hard county has namesakes: two members share a name and birth date, and a death
    // record without an ID could be either's. Neither pair is accepted on its own.
    let run = run_synthetic_county(900, 8, Variant::Hard);
    let leads = read_parquet(&run.out.join("leads.parquet"));
    let households = text_values(&leads, "household_id");
    let records = text_values(&leads, "record_id");
    let reasons = text_values(&leads, "reason");
    assert!(
        households.len() >= 2,
        "the messy county has leads: {households:?}"
    );
    let probabilities: Vec<f64> = leads
        .column("probability")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    // More severe reasons first, then the likelier pair (README: Decisions).
    let severity = |code: &str| ["low", "medium", "high"].iter().position(|s| *s == code);
    let ranks: Vec<_> = text_values(&leads, "severity")
        .into_iter()
        .map(severity)
        .zip(&probabilities)
        .collect();
    assert!(
        ranks
            .windows(2)
            .all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 >= w[1].1)),
        "ranked by severity, then probability: {ranks:?}"
    );
    let shown = leads.column("shown").unwrap().bool().unwrap();
    assert_eq!(
        shown.len(),
        leads.height(),
        "every lead says whether it is shown"
    );
    let comparisons = text_values(&leads, "comparison");
    assert!(comparisons
        .iter()
        .all(|c| c.contains("姓名") || c.contains("出生日期")));
    let lead = |i: usize| {
        let mut fill = Fill::new(households[i], reasons[i], "情况属实", 2);
        fill.record_id = Some(records[i].to_string());
        fill
    };
    let (accepted, mut rejected) = (lead(0), lead(1));
    rejected.verdict = "情况不属实";
    let workbook = {
        let region = crate::read_parquet(&run.out.join("leads.parquet"));
        let regions = text_values(&region, "region_code");
        workbook_of(&run.out, Some(regions[0]))
    };
    let sheet = sheet_rows(&workbook, "待核实线索");
    assert!(sheet.len() > 1, "the township's workbook lists its leads");
    // Both leads may sit in different townships: fill each in its own workbook.
    let mut files = Vec::new();
    for (i, fill) in [accepted.clone(), rejected.clone()].into_iter().enumerate() {
        let regions = text_values(&leads, "region_code");
        let source = workbook_of(&run.out, Some(regions[i]));
        let target = run.dir.path().join(format!("leads-{i}.xlsx"));
        assert_eq!(fill_workbook(&source, &target, &[fill]), 1);
        files.push(target);
    }
    let outcome = rollcheck::review::import(&run.out, &files, None, today()).unwrap();
    assert_eq!(outcome.recorded(), 2, "{:?}", outcome.problems);
    // The labels measure precision in the leads' score band: namesakes on the roll share
    // the record, so each pair scores under one half and both fall in the lowest band.
    assert!(
        probabilities[..2].iter().all(|p| *p < 0.5),
        "{probabilities:?}"
    );
    let state = rollcheck::rundir::state_dir_of_run(&run.out);
    let findings = rollcheck::review::findings::Findings::read(&state).unwrap();
    let bands = rollcheck::review::summary::precision_by_score_band(findings.all().map(|(_, f)| f));
    let counted: Vec<(f64, usize, usize)> =
        bands.into_iter().filter(|(_, u, d)| u + d > 0).collect();
    assert_eq!(counted, [(0.0, 1, 1)]);

    job::run(
        &crate::synthetic_pipeline(&run.written),
        Some(&run.data),
        fixture_as_of() + chrono::Days::new(1),
        &run.out,
    )
    .unwrap();
    let statuses = statuses(&run.out);
    let raised = &statuses[&(accepted.household_id.clone(), accepted.reason.clone())];
    assert_eq!(
        raised[0], "confirmed",
        "the accepted lead raises its flag: {raised:?}"
    );
    assert_eq!(raised[1], "confirmed");
    assert!(
        raised[4].contains(accepted.record_id.as_deref().unwrap()),
        "{}",
        raised[4]
    );
    let matches = read_parquet(&run.out.join("matches.parquet"));
    let notes = text_values(&matches, "note");
    assert!(notes.contains(&"accepted by review (情况属实)"));
    assert!(notes.contains(&"rejected by review (情况不属实)"));
    let leads_after = read_parquet(&run.out.join("leads.parquet"));
    let listed: Vec<&str> = text_values(&leads_after, "record_id");
    let lead_households: Vec<&str> = text_values(&leads_after, "household_id");
    let again: Vec<(&str, &str)> = listed
        .iter()
        .zip(&lead_households)
        .filter(|(record, _)| **record == rejected.record_id.as_deref().unwrap())
        .map(|(record, household)| (*record, *household))
        .collect();
    assert!(
        !again.contains(&(
            rejected.record_id.as_deref().unwrap(),
            rejected.household_id.as_str()
        )),
        "rejected for good: {again:?} (rejected {} {:?})",
        rejected.household_id,
        rejected.record_id
    );
    assert!(
        !listed.contains(&accepted.record_id.as_deref().unwrap()),
        "now a flag"
    );
}

#[test]
fn leads_over_a_townships_cap_are_kept_counted_and_left_out_of_its_workbook() {
    let run = run_synthetic_county(900, 8, Variant::Hard);
    let mut pipeline = crate::synthetic_pipeline(&run.written);
    // No lead shown: every one is held back, and still counted and kept.
    pipeline.review.max_leads_per_township = 0;
    job::run(&pipeline, Some(&run.data), fixture_as_of(), &run.out).unwrap();
    let leads = read_parquet(&run.out.join("leads.parquet"));
    let shown: Vec<bool> = leads
        .column("shown")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .map(|s| s.unwrap())
        .collect();
    let regions = text_values(&leads, "region_code");
    let mut per_township: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (region, shown) in regions.iter().zip(&shown) {
        let township = rollcheck::model::RegionCode::township_key(Some(region));
        let count = per_township.entry(township).or_default();
        if *shown {
            count.0 += 1;
        } else {
            count.1 += 1;
        }
    }
    assert!(
        !per_township.is_empty() && per_township.values().all(|(listed, _)| *listed == 0),
        "the hard county has leads, none shown: {per_township:?}"
    );
    let report = crate::read_to_string(&run.out.join("report.html"));
    for (township, (listed, held)) in &per_township {
        assert!(
            report.contains(&format!(
                "<td>{township}</td><td>{listed}</td><td>{held}</td>"
            )),
            "{township}: {listed} shown, {held} held back not in the report"
        );
        // The workbook lists only what is shown: no lead sheet at all.
        let workbook = workbook_of(&run.out, Some(township));
        if workbook.is_file() {
            assert!(sheet_rows(&workbook, "待核实线索").is_empty(), "{township}");
        }
    }
}

#[test]
fn spot_checks_are_drawn_reproducibly_and_estimate_what_the_checks_miss() {
    let run = run_synthetic_county(400, 9, Variant::Clean);
    let pipeline = pipeline_with(run.dir.path(), "audit_households_per_township = 2");
    job::run(&pipeline, Some(&run.data), fixture_as_of(), &run.out).unwrap();
    let drawn = read_parquet(&run.out.join("spot_checks.parquet"));
    let households: Vec<String> = text_values(&drawn, "household_id")
        .into_iter()
        .map(str::to_string)
        .collect();
    let flagged: std::collections::BTreeSet<&str> = run
        .summary
        .flags
        .iter()
        .map(|f| f.flag.household_id.as_str())
        .collect();
    assert!(!households.is_empty());
    assert!(
        households.iter().all(|h| !flagged.contains(h.as_str())),
        "unflagged only"
    );
    let regions = text_values(&drawn, "region_code");
    let mut per_township: BTreeMap<String, usize> = BTreeMap::new();
    for region in &regions {
        *per_township
            .entry(rollcheck::model::RegionCode::township_key(Some(region)))
            .or_default() += 1;
    }
    assert!(per_township.values().all(|n| *n <= 2), "{per_township:?}");
    // The same run draws the same households.
    let again = run.dir.path().join("again");
    job::run(&pipeline, Some(&run.data), fixture_as_of(), &again).unwrap();
    let redrawn = read_parquet(&again.join("spot_checks.parquet"));
    assert_eq!(text_values(&redrawn, "household_id"), households);

    let workbook = workbook_of(&run.out, Some(regions[0]));
    let rows = sheet_rows(&workbook, "抽查");
    assert!(
        rows.iter().any(|r| r[1] == households[0]),
        "the sheet 抽查 lists it"
    );
    let target = run.dir.path().join("spot.xlsx");
    let fill = Fill::new(&households[0], "spot_check", "情况属实", 6);
    assert_eq!(fill_workbook(&workbook, &target, &[fill]), 1);
    let outcome = rollcheck::review::import(&run.out, &[target], None, today()).unwrap();
    assert_eq!(outcome.recorded(), 1, "{:?}", outcome.problems);
    job::run(
        &pipeline,
        Some(&run.data),
        fixture_as_of() + chrono::Days::new(1),
        &run.out,
    )
    .unwrap();
    let rows = summary(&run.out);
    let spot = &rows[&(
        "all".to_string(),
        "all".to_string(),
        "spot_check".to_string(),
    )];
    assert_eq!([&spot["reviewed"], &spot["confirmed"]], ["1", "1"]);
    assert_eq!(
        whole(&run.out)["reviewed"],
        "0",
        "spot checks are not flags"
    );
    let report = crate::read_to_string(&run.out.join("report.html"));
    assert!(
        report.contains("推算，比对未发现的不符合条件户约"),
        "the report estimates misses"
    );
}

#[test]
fn a_nightly_run_imports_what_was_dropped_in_the_inbox_once() {
    let run = run_synthetic_county(300, 12, Variant::Clean);
    let inbox = run.dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let pipeline = pipeline_with(
        run.dir.path(),
        &format!("inbox = {:?}", inbox.display().to_string()),
    );
    job::run(&pipeline, Some(&run.data), fixture_as_of(), &run.out).unwrap();
    let flag = &run.summary.flags[0].flag;
    std::fs::write(
        inbox.join("township.csv"),
        format!(
            "household_id,reason,verdict,reviewer,reviewed_on\n{},{},情况属实,孙八,2025-07-01\n",
            flag.household_id,
            flag.reason.code()
        ),
    )
    .unwrap();
    let next_day = fixture_as_of() + chrono::Days::new(1);
    job::run(&pipeline, Some(&run.data), next_day, &run.out).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&crate::read_to_string(&run.out.join("manifest.json"))).unwrap();
    let imports = manifest["review_imports"].as_array().unwrap();
    assert_eq!(imports.len(), 1, "{imports:?}");
    assert_eq!(imports[0]["recorded"], 1);
    let key = (flag.household_id.clone(), flag.reason.code().to_string());
    assert_eq!(
        statuses(&run.out)[&key][0],
        "confirmed",
        "imported before matching"
    );
    job::run(
        &pipeline,
        Some(&run.data),
        next_day + chrono::Days::new(1),
        &run.out,
    )
    .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&crate::read_to_string(&run.out.join("manifest.json"))).unwrap();
    assert!(
        manifest["review_imports"].as_array().unwrap().is_empty(),
        "once"
    );
}

#[test]
fn a_second_reviewer_rechecks_a_share_and_disagreements_are_reported() {
    let run = run_synthetic_county(300, 14, Variant::Clean);
    let flags = &run.summary.flags;
    let lines: Vec<String> = flags
        .iter()
        .take(6)
        .map(|f| {
            format!(
                "{},{},情况属实,周九,2025-07-01",
                f.flag.household_id,
                f.flag.reason.code()
            )
        })
        .collect();
    let csv_path = run.dir.path().join("first.csv");
    std::fs::write(
        &csv_path,
        format!(
            "household_id,reason,verdict,reviewer,reviewed_on\n{}\n",
            lines.join("\n")
        ),
    )
    .unwrap();
    rollcheck::review::import(&run.out, &[csv_path], None, today()).unwrap();
    let workbook = run.dir.path().join("recheck.xlsx");
    Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["review", "sample"])
        .arg(&run.out)
        .args(["--share", "0.5", "--out"])
        .arg(&workbook)
        .assert()
        .success();
    let rows = sheet_rows(&workbook, "复核抽查");
    assert!(
        rows.len() >= 4,
        "at least half of six, one per township at least: {}",
        rows.len()
    );
    // The second reviewer disagrees on the first row drawn.
    let code = rows[0].iter().position(|h| h == "原因代码").unwrap();
    let mut fill = Fill::new(&rows[1][1], &rows[1][code], "情况不属实", 9);
    fill.reviewer = "吴十";
    let filled = run.dir.path().join("recheck-filled.xlsx");
    assert_eq!(fill_workbook(&workbook, &filled, &[fill]), 1);
    let outcome = rollcheck::review::import(&run.out, &[filled], None, today()).unwrap();
    assert_eq!(outcome.recorded(), 1, "{:?}", outcome.problems);
    let state = rollcheck::rundir::state_dir_of_run(&run.out);
    let findings = rollcheck::review::findings::Findings::read(&state).unwrap();
    let rechecks = rollcheck::review::summary::rechecks(&findings);
    let (checked, disagreed): (usize, usize) = rechecks
        .iter()
        .fold((0, 0), |(c, d), r| (c + r.checked, d + r.disagreed));
    assert_eq!((checked, disagreed), (1, 1));
    job::run(
        &county_nightly(),
        Some(&run.data),
        fixture_as_of() + chrono::Days::new(1),
        &run.out,
    )
    .unwrap();
    let report = crate::read_to_string(&run.out.join("report.html"));
    assert!(
        report.contains("结论不一致 disagreed"),
        "the report lists re-checks"
    );
}

/// The workbook a clerk re-saved in `LibreOffice` reads back the same findings.
#[test]
fn findings_survive_a_libreoffice_round_trip() {
    let Some(office) = crate::installed_program(
        "ROLLCHECK_LIBREOFFICE",
        &["/usr/bin/libreoffice", "/usr/bin/soffice"],
    ) else {
        return crate::skip::because(
            crate::skip::Tool::LibreOffice,
            "LibreOffice is not installed",
        );
    };
    let run = run_synthetic_county(300, 15, Variant::Clean);
    let flag = &run.summary.flags[0];
    let source = workbook_of(&run.out, flag.flag.region_code.as_deref());
    let filled = run.dir.path().join("filled.xlsx");
    let mut fill = Fill::new(
        &flag.flag.household_id,
        flag.flag.reason.code(),
        "情况属实",
        4,
    );
    fill.action = Some("取消");
    assert_eq!(fill_workbook(&source, &filled, &[fill]), 1);
    let resaved_dir = run.dir.path().join("resaved");
    let profile = run.dir.path().join("lo-profile");
    let status = std::process::Command::new(office)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
        ])
        .arg(&resaved_dir)
        .arg(&filled)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let resaved = resaved_dir.join("filled.xlsx");
    let outcome = rollcheck::review::import(&run.out, &[resaved], None, today()).unwrap();
    assert_eq!(outcome.recorded(), 1, "{:?}", outcome.problems);
    let findings = rollcheck::inspect::query(
        &run.out,
        &rollcheck::rundir::state_dir_of_run(&run.out),
        "SELECT verdict, action, reviewed_on FROM findings",
    )
    .unwrap();
    assert_eq!(text_values(&findings, "verdict"), ["confirmed"]);
    assert_eq!(text_values(&findings, "action"), ["cancelled"]);
    assert_eq!(text_values(&findings, "reviewed_on"), ["2025-07-04"]);
}

/// openpyxl (as Python tools and WPS-like editors write) fills the workbook in place, sorts
/// its rows and hides some behind a filter.
#[test]
fn findings_filled_sorted_and_filtered_with_openpyxl_are_read() {
    let Some(python) = std::env::var_os("ROLLCHECK_PYTHON") else {
        return crate::skip::because(crate::skip::Tool::Python, "ROLLCHECK_PYTHON is not set");
    };
    let has_openpyxl = std::process::Command::new(&python)
        .args(["-c", "import openpyxl"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_openpyxl {
        return crate::skip::because(crate::skip::Tool::Python, "openpyxl is not installed");
    }
    let run = run_synthetic_county(300, 16, Variant::Clean);
    let flag = &run.summary.flags[0].flag;
    let source = workbook_of(&run.out, flag.region_code.as_deref());
    let target = run.dir.path().join("openpyxl.xlsx");
    let script = r#"
import sys, datetime, openpyxl
source, target, household, reason = sys.argv[1:5]
book = openpyxl.load_workbook(source)
sheet = book["核查清单"]
header = [c.value for c in sheet[1]]
col = {name: i for i, name in enumerate(header)}
rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
rows.sort(key=lambda r: str(r[col["户编号"]]), reverse=True)
for r, values in enumerate(rows, start=2):
    for c, value in enumerate(values, start=1):
        sheet.cell(row=r, column=c, value=value)
    if values[col["户编号"]] == household and values[col["原因代码"]] == reason:
        sheet.cell(row=r, column=col["核查结论"] + 1, value="部分属实 ")
        sheet.cell(row=r, column=col["核查人"] + 1, value="郑十一")
        sheet.cell(row=r, column=col["核查日期"] + 1, value=datetime.date(2025, 7, 8))
        sheet.cell(row=r, column=col["处理结果"] + 1, value="调整")
    else:
        sheet.row_dimensions[r].hidden = True
book.save(target)
"#;
    let status = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(&source)
        .arg(&target)
        .arg(&flag.household_id)
        .arg(flag.reason.code())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let outcome = rollcheck::review::import(&run.out, &[target], None, today()).unwrap();
    assert_eq!(outcome.recorded(), 1, "{:?}", outcome.problems);
    job::run(
        &county_nightly(),
        Some(&run.data),
        fixture_as_of() + chrono::Days::new(1),
        &run.out,
    )
    .unwrap();
    let key = (flag.household_id.clone(), flag.reason.code().to_string());
    assert_eq!(
        statuses(&run.out)[&key][..4],
        [
            "partly_confirmed",
            "partly_confirmed",
            "郑十一",
            "2025-07-08"
        ]
    );
}

/// An import killed at any moment leaves each file's findings whole or absent, and importing
/// again completes it without duplicates.
#[test]
fn a_killed_import_leaves_each_files_findings_whole_or_absent() {
    let run = run_synthetic_county(600, 18, Variant::Clean);
    let files: Vec<PathBuf> = run
        .summary
        .flags
        .chunks(2)
        .take(24)
        .enumerate()
        .map(|(i, chunk)| {
            let path = run.dir.path().join(format!("f{i:02}.csv"));
            let lines: Vec<String> = chunk
                .iter()
                .map(|f| {
                    format!(
                        "{},{},情况属实,冯十二,2025-07-01",
                        f.flag.household_id,
                        f.flag.reason.code()
                    )
                })
                .collect();
            std::fs::write(
                &path,
                format!(
                    "household_id,reason,verdict,reviewer,reviewed_on\n{}\n",
                    lines.join("\n")
                ),
            )
            .unwrap();
            path
        })
        .collect();
    let expected: usize = run.summary.flags.chunks(2).take(24).map(<[_]>::len).sum();
    let state = rollcheck::rundir::state_dir_of_run(&run.out);
    for delay_ms in [5, 20, 60, 150] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rollcheck"))
            .args(["-q", "review", "import"])
            .arg(&run.out)
            .args(&files)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let findings = rollcheck::review::findings::Findings::read(&state).unwrap();
        for batch in &findings.batches {
            let rows = crate::read_to_string(Path::new(&batch.file))
                .lines()
                .count()
                - 1;
            assert_eq!(
                batch.findings.len(),
                rows,
                "{}: all of the file or none",
                batch.file
            );
        }
    }
    let outcome = rollcheck::review::import(&run.out, &files, None, today()).unwrap();
    assert!(!outcome.rejected_any(), "{:?}", outcome.problems);
    let findings = rollcheck::review::findings::Findings::read(&state).unwrap();
    assert_eq!(
        findings.len(),
        expected,
        "nothing twice, nothing lost: {:?}",
        outcome.files
    );
}
