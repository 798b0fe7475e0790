//! Workbooks: columns found by header, rows by their numbers, cells of every kind, and one
//! problem per row that cannot be a finding.

use super::*;

#[test]
fn columns_are_found_by_header_after_reordering_and_an_added_column() {
    let mut headers: Vec<&str> = FLAG_HEADERS.iter().rev().copied().collect();
    headers.insert(4, "联系电话");
    let row = with(reviewed("H1"), "处理结果", Some(Text("取消")));
    let row = with(row, "备注", Some(Text("已入户核实")));
    let row = with(row, "联系电话", Some(Text("13800000000")));
    let file = read_sheets(&[sheet("核查清单", &headers, vec![row])]);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(
        file.rows,
        [FindingRow {
            file: file.path.display().to_string(),
            sheet: Some("核查清单".into()),
            row: 2,
            household_id: "H1".into(),
            subject: Subject::Flag(Reason::VehicleOwned),
            verdict: Verdict::Confirmed,
            action: Some(Action::Cancelled),
            reviewer: "王芳".into(),
            reviewed_on: july_3(),
            note: Some("已入户核实".into()),
            by_registry: false,
        }]
    );
}

#[test]
fn headers_match_after_nfkc_and_without_spaces_and_in_english() {
    let headers = [
        "户 编号",
        "ＲＥＡＳＯＮ",
        "核查结论 ",
        "Reviewer",
        "核查　日期",
    ];
    let row = vec![
        ("户 编号", Text("H1")),
        ("ＲＥＡＳＯＮ", Text("名下有机动车")),
        ("核查结论 ", Text("部分属实")),
        ("Reviewer", Text("王芳")),
        ("核查　日期", Text("2025-07-03")),
    ];
    let file = read_sheets(&[sheet("核查清单", &headers, vec![row])]);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(file.rows[0].verdict, Verdict::PartlyConfirmed);
}

#[test]
fn a_header_below_a_title_is_found_and_rows_keep_their_numbers() {
    let mut spec = sheet("核查清单", &FLAG_HEADERS, vec![reviewed("H1")]);
    spec.above = vec!["某乡镇低保核查清单", "请于月底前交回"];
    let file = read_sheets(&[spec]);
    assert_eq!(households(&file), [("H1", 4)]);
}

#[test]
fn sorted_rows_keep_their_own_row_numbers() {
    let file = read_flag_rows(vec![
        with(reviewed("H3"), "核查结论", Some(Text("不好说"))),
        reviewed("H1"),
        with(reviewed("H2"), "原因代码", Some(Text("pension_income"))),
    ]);
    assert_eq!(households(&file), [("H1", 3), ("H2", 4)]);
    assert_eq!(file.rows[1].subject, Subject::Flag(Reason::PensionIncome));
    assert_eq!(file.problems[0].row, 2);
}

#[test]
fn hidden_rows_are_still_read() {
    let mut spec = sheet(
        "核查清单",
        &FLAG_HEADERS,
        vec![reviewed("H1"), reviewed("H2")],
    );
    spec.hidden_rows = vec![0];
    let file = read_sheets(&[spec]);
    assert_eq!(households(&file), [("H1", 2), ("H2", 3)]);
}

#[test]
fn dates_are_read_from_date_cells_serial_numbers_and_every_text_form() {
    let dates = [
        Date(2025, 7, 3),
        Num(45_841.0),
        Num(20_250_703.0),
        Text("2025-07-03"),
        Text("２０２５－０７－０３"),
        Text("2025年7月3日"),
        Text("2025.7.3"),
        Text("2025/07/03"),
        Text("20250703"),
        Text("2025-07-03 00:00:00"),
    ];
    let rows = dates
        .iter()
        .map(|date| with(reviewed("H1"), "核查日期", Some(*date)))
        .collect();
    let file = read_flag_rows(rows);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    let read: Vec<NaiveDate> = file.rows.iter().map(|r| r.reviewed_on).collect();
    assert_eq!(read, vec![july_3(); dates.len()]);
}

#[test]
fn a_number_household_id_reads_without_decimals() {
    let file = read_flag_rows(vec![with(reviewed("_"), "户编号", Some(Num(1001.0)))]);
    assert_eq!(households(&file), [("1001", 2)]);
}

#[test]
fn a_blank_finding_is_unreviewed_even_when_reviewer_or_date_are_filled() {
    let file = read_flag_rows(vec![
        with(reviewed("H1"), "核查结论", None),
        with(reviewed("H2"), "核查结论", Some(Text("\u{3000}\u{3000}"))),
        with(
            with(reviewed("H3"), "核查结论", None),
            "处理结果",
            Some(Text("取消")),
        ),
        // No 户编号: a note below the list, not a row of it.
        vec![("备注", Text("以上共三户"))],
    ]);
    assert!(file.rows.is_empty() && file.problems.is_empty());
    assert_eq!(file.unreviewed, 3);
}

#[test]
fn an_unknown_finding_is_one_problem() {
    assert_bad_cell(
        "核查结论",
        Some(Text("属实吧")),
        "unknown finding `属实吧`: write 情况属实, 部分属实, 情况不属实 or 无法核实",
    );
}

#[test]
fn findings_are_read_with_spaces_full_width_or_as_codes() {
    let file = read_flag_rows(vec![
        with(reviewed("H1"), "核查结论", Some(Text(" 情况 不属实 "))),
        with(
            reviewed("H2"),
            "核查结论",
            Some(Text("ＵＮＶＥＲＩＦＩＡＢＬＥ")),
        ),
    ]);
    let verdicts: Vec<Verdict> = file.rows.iter().map(|r| r.verdict).collect();
    assert_eq!(verdicts, [Verdict::Dismissed, Verdict::Unverifiable]);
}

#[test]
fn a_finding_without_reviewer_is_one_problem() {
    assert_bad_cell("核查人", None, "a finding needs a reviewer (核查人)");
}

#[test]
fn a_finding_without_date_is_one_problem() {
    assert_bad_cell("核查日期", None, "a finding needs a date (核查日期)");
}

#[test]
fn an_unreadable_date_is_one_problem_quoting_it() {
    assert_bad_cell("核查日期", Some(Text("上周三")), "`上周三`");
}

#[test]
fn a_future_date_is_one_problem() {
    let file = read_flag_rows(vec![
        with(reviewed("H1"), "核查日期", Some(Date(2025, 7, 11))),
        // Today is not the future.
        with(reviewed("H2"), "核查日期", Some(Date(2025, 7, 10))),
    ]);
    assert_one_problem(&file, 2, "核查日期", "date 2025-07-11 is in the future");
}

#[test]
fn an_unknown_action_is_one_problem() {
    assert_bad_cell(
        "处理结果",
        Some(Text("停发")),
        "unknown action `停发`: write 取消, 调整, 维持 or 转复核",
    );
}

#[test]
fn a_row_with_several_faults_is_one_problem() {
    let row = with(with(reviewed("H1"), "核查人", None), "核查日期", None);
    let file = read_flag_rows(vec![row, reviewed("H2")]);
    assert_one_problem(&file, 2, "核查人", "reviewer");
}

#[test]
fn the_pending_sheet_gives_its_finding_with_the_action_taken() {
    let row = with(reviewed("H1"), "核查日期", Some(Date(2025, 7, 3)));
    let row = with(row, "处理结果", Some(Text("调整")));
    let file = read_sheets(&[sheet("待处理", &FLAG_HEADERS, vec![row])]);
    assert_eq!(file.rows[0].sheet.as_deref(), Some("待处理"));
    assert_eq!(file.rows[0].action, Some(Action::Adjusted));
    assert_eq!(file.rows[0].reviewed_on, july_3());
}

#[test]
fn a_row_with_a_record_id_is_a_finding_on_a_lead() {
    let row = with(reviewed("H1"), "记录编号", Some(Text("D-0042")));
    let row = with(row, "核查原因", Some(Text("家庭成员已死亡")));
    let row = with(row, "原因代码", Some(Text("deceased_member")));
    let file = read_sheets(&[sheet("待核实线索", &LEAD_HEADERS, vec![row])]);
    assert_eq!(
        file.rows[0].subject,
        Subject::Lead {
            reason: Reason::DeceasedMember,
            record_id: "D-0042".into()
        }
    );
}

#[test]
fn a_spot_check_row_is_about_the_household() {
    let row = with(reviewed("H1"), "核查原因", Some(Text("抽查")));
    let by_code = with(row.clone(), "原因代码", Some(Text("spot_check")));
    let by_label = with(row, "原因代码", None);
    let file = read_sheets(&[sheet("抽查", &SPOT_HEADERS, vec![by_code, by_label])]);
    let subjects: Vec<&Subject> = file.rows.iter().map(|r| &r.subject).collect();
    assert_eq!(subjects, [&Subject::SpotCheck, &Subject::SpotCheck]);
}

#[test]
fn the_hidden_reason_code_beats_the_label() {
    let relabelled = with(reviewed("H1"), "核查原因", Some(Text("房产超标")));
    let label_only = with(relabelled.clone(), "原因代码", None);
    let file = read_flag_rows(vec![relabelled, label_only]);
    let subjects: Vec<&Subject> = file.rows.iter().map(|r| &r.subject).collect();
    assert_eq!(
        subjects,
        [
            &Subject::Flag(Reason::VehicleOwned),
            &Subject::Flag(Reason::PropertyExcess)
        ]
    );
}

#[test]
fn an_unknown_reason_is_a_problem_naming_its_column() {
    assert_bad_cell("原因代码", Some(Text("car")), "unknown reason `car`");
}

#[test]
fn the_summary_sheet_is_skipped() {
    let summary = Sheet {
        name: "汇总",
        above: vec!["乡镇（街道）行政区划代码", "待核查户数", "核查事项数", ""],
        headers: vec!["核查原因", "风险等级", "户数", "其中新增"],
        rows: vec![vec![("核查原因", Text("名下有机动车")), ("户数", Num(1.0))]],
        ..Sheet::default()
    };
    let file = read_sheets(&[
        sheet("核查清单", &FLAG_HEADERS, vec![reviewed("H1")]),
        summary,
    ]);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(households(&file), [("H1", 2)]);
    assert_eq!(file.unreviewed, 0);
}

#[test]
fn every_sheet_with_a_household_column_is_read() {
    let file = read_sheets(&[
        sheet("核查清单", &FLAG_HEADERS, vec![reviewed("H1")]),
        sheet(
            "抽查",
            &SPOT_HEADERS,
            vec![with(reviewed("H9"), "原因代码", Some(Text("spot_check")))],
        ),
    ]);
    let sheets: Vec<Option<&str>> = file.rows.iter().map(|r| r.sheet.as_deref()).collect();
    assert_eq!(sheets, [Some("核查清单"), Some("抽查")]);
}

#[test]
fn a_workbook_without_a_household_column_is_an_error() {
    let err = read_sheets_err(&[sheet("Sheet1", &["姓名", "核查结论"], vec![])]);
    assert!(
        err.contains("not a review workbook: no sheet has a 户编号 column"),
        "{err}"
    );
}

#[test]
fn a_sheet_without_a_date_column_is_an_error_naming_sheet_and_column() {
    let headers: Vec<&str> = FLAG_HEADERS
        .iter()
        .copied()
        .filter(|h| *h != "核查日期")
        .collect();
    let err = read_sheets_err(&[
        sheet("核查清单", &FLAG_HEADERS, vec![reviewed("H1")]),
        sheet("待处理", &headers, vec![reviewed("H2")]),
    ]);
    assert!(err.contains("sheet `待处理`"), "{err}");
    assert!(err.contains("missing required column `核查日期`"), "{err}");
}

#[test]
fn a_column_headed_twice_is_an_error() {
    let mut headers = FLAG_HEADERS.to_vec();
    headers.push("verdict");
    let err = read_sheets_err(&[sheet("核查清单", &headers, vec![reviewed("H1")])]);
    assert!(err.contains("`核查结论` and `verdict`"), "{err}");
}

#[test]
fn a_corrupt_workbook_is_an_error_naming_the_file() {
    let dir = TempDir::new().unwrap();
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| i.wrapping_mul(2_654_435_761).to_be_bytes()[0])
        .collect();
    let path = write_file(&dir, "411526101000.xlsx", &bytes);
    let err = read_findings(&path, today()).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
}
