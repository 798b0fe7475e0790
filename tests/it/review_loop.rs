//! The review loop end to end: workbooks go out, come back filled (sorted, with extra
//! columns, dates as cells or text), are imported, and the next run's statuses, workbooks,
//! resolved flags and review_summary follow the findings.

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
            sheet.write(0, u16::try_from(c + 1).unwrap(), title).unwrap();
        }
        let body: Vec<&Vec<String>> = rows.iter().skip(1).rev().collect();
        for (r, row) in body.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap();
            sheet.write(r, 0, "13800000000").unwrap();
            for (c, value) in row.iter().enumerate() {
                sheet.write(r, u16::try_from(c + 1).unwrap(), value).unwrap();
            }
            let (Some(household), Some(code)) = (col("户编号"), col("原因代码")) else {
                continue;
            };
            let Some(fill) = fills
                .iter()
                .find(|f| f.household_id == row[household] && f.reason == row[code])
            else {
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

/// review_summary.csv rows by (county, township, reason).
fn summary(out: &Path) -> BTreeMap<(String, String, String), BTreeMap<String, String>> {
    let bytes = std::fs::read(out.join("review_summary.csv")).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "review_summary.csv starts with a BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        rollcheck::output::summary::SUMMARY_COLUMNS
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
        rollcheck::output::township_of(region_code)
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
    let pipeline = county_nightly();
    // Four flags of different households and reasons get a finding each.
    let mut picked: Vec<&rollcheck::output::FlagRow> = Vec::new();
    for row in &run.summary.flags {
        if picked.len() < 4
            && row.flag.reason.code() != "invalid_id"
            && !row.flag.record_ids.is_empty()
            && picked
                .iter()
                .all(|p| p.flag.household_id != row.flag.household_id)
            && picked.first().is_none_or(|p| {
                // All in one township, so one workbook carries them.
                rollcheck::output::township_of(p.flag.region_code.as_deref())
                    == rollcheck::output::township_of(row.flag.region_code.as_deref())
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

    let outcome = job::review::import(&run.out, &[filled.clone()], None, today()).unwrap();
    assert_eq!(outcome.recorded(), 4, "{:?}", outcome.problems);
    assert!(!outcome.rejected_any(), "{:?}", outcome.problems);
    assert!(outcome.files[0].unreviewed > 0, "the other rows are not reviewed yet");
    // The same file again changes nothing.
    let again = job::review::import(&run.out, &[filled.clone()], None, today()).unwrap();
    assert_eq!((again.recorded(), again.files[0].already_recorded), (0, 4));

    let next_day = fixture_as_of() + chrono::Days::new(1);
    let next = job::run(&pipeline, Some(&run.data), next_day, &run.out).unwrap();
    let statuses = statuses(&run.out);
    let status = |i: usize| statuses[&key(i)][0].clone();
    assert_eq!(status(0), "confirmed");
    assert_eq!(status(1), "dismissed");
    assert_eq!(status(2), "unverifiable");
    assert_eq!(status(3), "partly_confirmed");
    assert_eq!(statuses[&key(0)][1..4], ["confirmed", "王建国", "2025-07-02"]);
    assert_eq!(statuses[&key(1)][3], "2025-07-03", "a date typed as text");
    let others: Vec<&String> = statuses
        .iter()
        .filter(|(k, _)| !(0..4).any(|i| **k == key(i)))
        .map(|(_, v)| &v[0])
        .collect();
    assert!(others.iter().all(|s| *s == "persisting"), "{others:?}");
    assert_eq!(next.flags.len(), run.summary.flags.len(), "dismissed flags stay for audit");

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
    assert!(awaiting[1..].iter().all(|r| !r[verdict_col].is_empty()), "pre-filled");

    // review_summary: four reviewed, precision (1 + 1) / (1 + 1 + 1) with its interval.
    let total = whole(&run.out);
    assert_eq!(total["flags"], next.flags.len().to_string());
    assert_eq!(
        [&total["reviewed"], &total["confirmed"], &total["partly_confirmed"], &total["dismissed"], &total["unverifiable"]],
        ["4", "1", "1", "1", "1"]
    );
    assert_eq!(total["pending"], (next.flags.len() - 4).to_string());
    assert_eq!([&total["cancelled"], &total["adjusted"]], ["1", "1"]);
    // Wilson 95% for 2 of 3: 0.6667 (0.2077 – 0.9385).
    assert_eq!(total["precision"], "0.6667");
    assert_eq!(total["precision_low"], "0.2077");
    assert_eq!(total["precision_high"], "0.9385");

    // Nothing a clerk typed reaches the outputs as a full ID.
    let findings = rollcheck::output::query(
        &run.out,
        &rollcheck::output::history::state_dir_of_run(&run.out),
        "SELECT note FROM findings WHERE note IS NOT NULL",
    )
    .unwrap();
    let notes = text_values(&findings, "note");
    assert_eq!(notes, ["户主称车辆已卖，身份证号411526********1234"]);

    // explain shows each finding and the status it gives.
    let explained = rollcheck::output::explain(&run.out, &key(1).0).unwrap();
    assert!(explained.contains("status: dismissed"), "{explained}");
    assert!(explained.contains("情况不属实 dismissed by 王建国 on 2025-07-03"), "{explained}");
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
    let outcome = job::review::import(&run.out, &[csv_path], None, today()).unwrap();
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

    job::run(&pipeline, Some(&run.data), fixture_as_of() + chrono::Days::new(1), &run.out)
        .unwrap();
    let statuses = statuses(&run.out);
    let reopened = &statuses[&(vehicle.flag.household_id.clone(), "vehicle_owned".to_string())];
    assert_eq!(reopened[0], "reopened");
    assert!(reopened[4].contains("V-NEW-1"), "the evidence names what is new: {}", reopened[4]);
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
    assert!(rows.iter().any(|r| r[1] == vehicle.flag.household_id), "reopened goes out again");
}

/// A CSV of findings with one bad row per rule, and one good row.
#[test]
fn each_bad_row_is_rejected_on_its_own_and_named() {
    let run = run_synthetic_county(300, 3, Variant::Clean);
    let flags = &run.summary.flags;
    let (a, b, c) = (&flags[0].flag, &flags[1].flag, &flags[2].flag);
    let (ra, rb, rc) = (a.reason.code(), b.reason.code(), c.reason.code());
    let (ha, hb, hc) = (&a.household_id, &b.household_id, &c.household_id);
    let future = (today() + chrono::Days::new(3)).format("%Y-%m-%d");
    let csv_path = run.dir.path().join("bad.csv");
    std::fs::write(
        &csv_path,
        format!(
            "household_id,reason,verdict,reviewer,reviewed_on\n\
             {ha},{ra},情况属实,赵六,2025-07-01\n\
             {hb},{rb},好像是,赵六,2025-07-01\n\
             {hb},{rb},情况属实,,2025-07-01\n\
             {hb},{rb},情况属实,赵六,\n\
             {hb},{rb},情况属实,赵六,2020-01-01\n\
             {hb},{rb},情况属实,赵六,{future}\n\
             NO-SUCH-HOUSEHOLD,{rb},情况属实,赵六,2025-07-01\n\
             {hc},{rc},情况属实,赵六,2025-07-01\n\
             {hc},{rc},情况不属实,钱七,2025-07-02\n"
        ),
    )
    .unwrap();
    let assert = Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["review", "import"])
        .arg(&run.out)
        .arg(&csv_path)
        .assert()
        .code(65);
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 findings recorded"), "{stdout}");
    for (row, column, words) in [
        (3, "column verdict", "unknown finding"),
        (4, "column reviewer", "reviewer"),
        (5, "column reviewed_on", "date"),
        (6, "column reviewed_on", "before the flag was first raised"),
        (7, "column reviewed_on", "future"),
        (8, "column household_id", "has no flag"),
        (9, "column verdict", "two different findings"),
        (10, "column verdict", "two different findings"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.contains(&format!(" row {row},")))
            .unwrap_or_else(|| panic!("row {row} not listed:\n{stderr}"));
        assert!(line.contains("bad.csv"), "{line}");
        assert!(line.contains(column), "row {row}: {line}");
        assert!(line.contains(words), "row {row}: {line}");
    }
    assert!(!stderr.contains("赵六") || !stderr.contains("INFO"), "no names in logs");
    // The good row was recorded; the flag it names is confirmed on the next run.
    let pipeline = county_nightly();
    job::run(&pipeline, Some(&run.data), fixture_as_of() + chrono::Days::new(1), &run.out)
        .unwrap();
    let statuses = statuses(&run.out);
    assert_eq!(statuses[&(ha.clone(), ra.to_string())][0], "confirmed");
    assert_eq!(statuses[&(hb.clone(), rb.to_string())][0], "persisting");
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
    for path in [&corrupt, &foreign] {
        let assert = Command::cargo_bin("rollcheck")
            .unwrap()
            .args(["review", "import"])
            .arg(&run.out)
            .arg(path)
            .assert()
            .code(65);
        let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
        assert!(
            stdout.contains(&format!("{}: not imported", path.display())),
            "{stdout}"
        );
    }
    let state = rollcheck::output::history::state_dir_of_run(&run.out);
    assert!(rollcheck::output::findings::Findings::read(&state)
        .unwrap()
        .is_empty());
}

#[test]
fn an_import_waits_for_no_run_it_takes_the_same_lock() {
    let run = run_synthetic_county(200, 6, Variant::Clean);
    let _lock = rollcheck::output::acquire_lock(&run.out).unwrap();
    let csv_path = run.dir.path().join("f.csv");
    std::fs::write(&csv_path, "household_id,reason,verdict,reviewer,reviewed_on\n").unwrap();
    Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["review", "import"])
        .arg(&run.out)
        .arg(&csv_path)
        .assert()
        .code(75);
}
