//! XLSX input as offices export it: Chinese headers, a named sheet, date cells, and an ID
//! stored as a number (which must be flagged `invalid_id`, never repaired).

use rollcheck::config::Pipeline;
use rollcheck::job;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::{fixture_as_of, temp_dir};

const HEADERS: [&str; 6] = [
    "户编号",
    "救助类型",
    "成员编号",
    "姓名",
    "身份证号",
    "与户主关系",
];

#[test]
fn xlsx_roll_with_chinese_headers_dates_and_a_numeric_id() {
    let dir = temp_dir();
    let mut workbook = Workbook::new();
    let cover = workbook.add_worksheet();
    cover.set_name("说明").unwrap();
    cover.write(0, 0, "this sheet is not the roll").unwrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name("花名册").unwrap();
    for (col, header) in HEADERS.iter().enumerate() {
        sheet
            .write(0, u16::try_from(col).unwrap(), *header)
            .unwrap();
    }
    sheet.write(0, 6, "纳入日期").unwrap();
    let rows = [
        [
            "H1",
            "农村低保",
            "H1-01",
            "张建国",
            "411526195803121131",
            "户主",
        ],
        ["H2", "城市低保", "H2-01", "王立", "", "户主"],
    ];
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap();
        for (c, value) in row.iter().enumerate() {
            sheet.write(r, u16::try_from(c).unwrap(), *value).unwrap();
        }
        let enrolled = ExcelDateTime::from_ymd(2020, 1, 15).unwrap();
        sheet
            .write_datetime_with_format(r, 6, &enrolled, &date_format)
            .unwrap();
    }
    // Excel turned this ID into a number: only about 15 digits survive.
    sheet.write_number(2, 4, 411_526_197_201_013_319.0).unwrap();
    workbook.save(dir.path().join("roll.xlsx")).unwrap();
    std::fs::write(
        dir.path().join("pipeline.toml"),
        "[sources.roll]\nsheet = \"花名册\"\n",
    )
    .unwrap();

    let pipeline = Pipeline::load(&dir.path().join("pipeline.toml")).unwrap();
    let evaluation = job::evaluate(&pipeline, None, fixture_as_of()).unwrap();
    let roll = &evaluation.ingested.roll;
    assert_eq!(roll.len(), 2);
    assert_eq!(
        roll[0].enrolled_on,
        chrono::NaiveDate::from_ymd_opt(2020, 1, 15)
    );
    assert_eq!(roll[1].id_number.as_deref(), Some("4.11526E+17"));
    assert_eq!(evaluation.ingested.inputs[0].encoding, "xlsx");
    let flags: Vec<(&str, &str)> = evaluation
        .flags
        .iter()
        .map(|f| (f.household_id.as_str(), f.reason.code()))
        .collect();
    assert_eq!(flags, [("H2", "invalid_id")]);
    assert!(
        evaluation.flags[0].evidence.contains("Excel"),
        "{}",
        evaluation.flags[0].evidence
    );
}

/// Formula cells read as the value Excel last computed and saved; a formula saved without a
/// value, or one that computed an error, leaves the row unusable: it goes to quarantine
/// naming the column, and the counts still balance.
#[test]
fn xlsx_formula_cells_read_as_their_saved_values() {
    use rust_xlsxwriter::Formula;
    let dir = temp_dir();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in HEADERS.iter().chain(&["月保障金"]).enumerate() {
        sheet
            .write(0, u16::try_from(col).unwrap(), *header)
            .unwrap();
    }
    let ids = [
        "411526195803121131",
        "411526196205150024",
        "411526197001010015",
    ];
    for (r, id) in ids.iter().enumerate() {
        let row = u32::try_from(r + 1).unwrap();
        let household = format!("H{}", r + 1);
        for (c, value) in [household.as_str(), "农村低保", &format!("{household}-01")]
            .iter()
            .enumerate()
        {
            sheet.write(row, u16::try_from(c).unwrap(), *value).unwrap();
        }
        sheet.write(row, 4, *id).unwrap();
        sheet.write(row, 5, "户主").unwrap();
    }
    // Row 2: a name built by a formula, and a benefit summed by one, both with saved values.
    sheet
        .write_formula(1, 3, Formula::new(r#"="张"&"建国""#).set_result("张建国"))
        .unwrap();
    sheet
        .write_formula(1, 6, Formula::new("=300+157").set_result("457"))
        .unwrap();
    // Row 3: a formula saved without its value (as export tools that do not calculate do).
    sheet.set_formula_result_default("");
    sheet
        .write_formula(2, 3, Formula::new("=Sheet2!A1"))
        .unwrap();
    // Row 4: a formula whose saved value is an error.
    sheet.write(3, 3, "李四").unwrap();
    sheet
        .write_formula(3, 6, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    workbook.save(dir.path().join("roll.xlsx")).unwrap();
    std::fs::write(dir.path().join("pipeline.toml"), "[sources.roll]\n").unwrap();

    let pipeline = Pipeline::load(&dir.path().join("pipeline.toml")).unwrap();
    let evaluation = job::evaluate(&pipeline, None, fixture_as_of()).unwrap();
    let roll = &evaluation.ingested.roll;
    assert_eq!(roll.len(), 1);
    assert_eq!(roll[0].name, "张建国");
    assert_eq!(roll[0].monthly_benefit, Some(457.0));
    let quarantined: Vec<(usize, Option<&str>)> = evaluation
        .ingested
        .quarantine
        .iter()
        .map(|q| (q.row, q.column.as_deref()))
        .collect();
    assert_eq!(
        quarantined,
        [(3, Some("name")), (4, Some("monthly_benefit"))],
        "{:?}",
        evaluation.ingested.quarantine
    );
    crate::assert_counts_balance(&evaluation.ingested);
}
