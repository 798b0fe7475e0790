//! Tests of `read_findings`: workbooks as rollcheck writes them and a clerk fills them in,
//! finding CSVs, and files that are no findings at all. The helpers here write them.

use super::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use tempfile::TempDir;
use V::{Date, Num, Text};

mod csv_file;
mod workbook;

/// A cell of a test workbook.
#[derive(Debug, Clone, Copy)]
enum V {
    Text(&'static str),
    Num(f64),
    Date(u16, u8, u8),
}

/// A row as (header, value) pairs; a header the sheet lacks is not written.
type Row = Vec<(&'static str, V)>;

const FLAG_HEADERS: [&str; 15] = [
    "序号",
    "户编号",
    "救助类型",
    "行政区划代码",
    "户主姓名",
    "涉及成员（身份证号已脱敏）",
    "核查原因",
    "风险等级",
    "比对证据",
    "核查结论",
    "核查人",
    "核查日期",
    "处理结果",
    "备注",
    "原因代码",
];

const LEAD_HEADERS: [&str; 14] = [
    "序号",
    "户编号",
    "成员编号",
    "姓名",
    "核查原因",
    "来源",
    "记录编号",
    "匹配概率",
    "比对情况",
    "核查结论",
    "核查人",
    "核查日期",
    "备注",
    "原因代码",
];

const SPOT_HEADERS: [&str; 12] = [
    "序号",
    "户编号",
    "救助类型",
    "行政区划代码",
    "户主姓名",
    "核查原因",
    "核查结论",
    "核查人",
    "核查日期",
    "处理结果",
    "备注",
    "原因代码",
];

#[derive(Default)]
struct Sheet {
    name: &'static str,
    /// Lines written above the header, one cell each (a title, a note).
    above: Vec<&'static str>,
    headers: Vec<&'static str>,
    rows: Vec<Row>,
    /// Data rows (0-based) hidden as by a filter.
    hidden_rows: Vec<usize>,
}

fn sheet(name: &'static str, headers: &[&'static str], rows: Vec<Row>) -> Sheet {
    Sheet {
        name,
        headers: headers.to_vec(),
        rows,
        ..Sheet::default()
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 10).unwrap()
}

fn july_3() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 3).unwrap()
}

/// A row with a complete finding on a vehicle flag.
fn reviewed(household_id: &'static str) -> Row {
    vec![
        ("户编号", Text(household_id)),
        ("核查原因", Text("名下有机动车")),
        ("原因代码", Text("vehicle_owned")),
        ("核查结论", Text("情况属实")),
        ("核查人", Text("王芳")),
        ("核查日期", Text("2025-07-03")),
    ]
}

/// `row` with `header` set to `value` (or removed, for `None`).
fn with(mut row: Row, header: &'static str, value: Option<V>) -> Row {
    row.retain(|(h, _)| *h != header);
    row.extend(value.map(|v| (header, v)));
    row
}

fn write_workbook(dir: &TempDir, sheets: &[Sheet]) -> PathBuf {
    let mut workbook = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for spec in sheets {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(spec.name).unwrap();
        let header_row = u32::try_from(spec.above.len()).unwrap();
        for (row, line) in spec.above.iter().enumerate() {
            worksheet
                .write_string(u32::try_from(row).unwrap(), 0, *line)
                .unwrap();
        }
        for (col, header) in spec.headers.iter().enumerate() {
            let col = u16::try_from(col).unwrap();
            worksheet.write_string(header_row, col, *header).unwrap();
            // As rollcheck writes it: the reason code is there, but out of sight.
            if *header == "原因代码" {
                worksheet.set_column_hidden(col).unwrap();
            }
        }
        for (index, cells) in spec.rows.iter().enumerate() {
            let row = header_row + 1 + u32::try_from(index).unwrap();
            if spec.hidden_rows.contains(&index) {
                worksheet.set_row_hidden(row).unwrap();
            }
            for (header, value) in cells {
                let Some(col) = spec.headers.iter().position(|h| h == header) else {
                    continue;
                };
                let col = u16::try_from(col).unwrap();
                match *value {
                    Text(text) => worksheet.write_string(row, col, text),
                    Num(number) => worksheet.write_number(row, col, number),
                    Date(y, m, d) => worksheet.write_datetime_with_format(
                        row,
                        col,
                        ExcelDateTime::from_ymd(y, m, d).unwrap(),
                        &date_format,
                    ),
                }
                .unwrap();
            }
        }
    }
    let path = dir.path().join("411526101000.xlsx");
    workbook.save(&path).unwrap();
    path
}

fn read_sheets(sheets: &[Sheet]) -> FindingsFile {
    let dir = TempDir::new().unwrap();
    read_findings(&write_workbook(&dir, sheets), today()).unwrap()
}

/// One 核查清单 sheet with the columns as rollcheck writes them.
fn read_flag_rows(rows: Vec<Row>) -> FindingsFile {
    read_sheets(&[sheet("核查清单", &FLAG_HEADERS, rows)])
}

fn read_sheets_err(sheets: &[Sheet]) -> String {
    let dir = TempDir::new().unwrap();
    let path = write_workbook(&dir, sheets);
    let err = read_findings(&path, today()).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    err
}

fn write_file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read_csv_text(text: &str) -> FindingsFile {
    let dir = TempDir::new().unwrap();
    read_findings(&write_file(&dir, "findings.csv", text.as_bytes()), today()).unwrap()
}

fn households(file: &FindingsFile) -> Vec<(&str, usize)> {
    file.rows
        .iter()
        .map(|r| (r.household_id.as_str(), r.row))
        .collect()
}

/// `file` has exactly one problem, at `row` in column `column`, saying `says`; the
/// other row, H2, is kept.
fn assert_one_problem(file: &FindingsFile, row: usize, column: &str, says: &str) {
    assert_eq!(file.problems.len(), 1, "{:?}", file.problems);
    let problem = &file.problems[0];
    assert_eq!(problem.file, file.path.display().to_string());
    assert_eq!(problem.sheet.as_deref(), Some("核查清单"));
    assert_eq!(problem.row, row);
    assert_eq!(problem.column.as_deref(), Some(column));
    assert!(problem.problem.contains(says), "{}", problem.problem);
    assert_eq!(households(file), [("H2", 3)]);
}

/// Row H1 with `header` set to `value` (or removed, for `None`) beside a good row H2 is one
/// problem in that column saying `says`, and H2 is kept.
fn assert_bad_cell(header: &'static str, value: Option<V>, says: &str) {
    let file = read_flag_rows(vec![with(reviewed("H1"), header, value), reviewed("H2")]);
    assert_one_problem(&file, 2, header, says);
}
