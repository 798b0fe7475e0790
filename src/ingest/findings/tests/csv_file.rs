//! Finding CSVs (English or Chinese headers, UTF-8 or GBK), and files of no findings kind.

use super::*;
use proptest::prelude::*;

#[test]
fn an_unknown_extension_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = write_file(&dir, "findings.txt", b"household_id\n");
    let err = read_findings(&path, today()).unwrap_err().to_string();
    assert!(
        err.contains("findings.txt") && err.contains(".csv"),
        "{err}"
    );
}

#[test]
fn a_csv_with_the_contract_columns_in_any_order() {
    let file = read_csv_text(
        "verdict,household_id,note,reviewed_on,reason,reviewer,action,record_id\n\
         confirmed,H1,,2025-07-03,vehicle_owned,王芳,cancelled,\n\
         ,H2,,,vehicle_owned,,,\n\
         dismissed,H3,名字相同,20250703,deceased_member,李强,,D-7\n",
    );
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(households(&file), [("H1", 2), ("H3", 4)]);
    assert_eq!(file.rows[0].sheet, None);
    assert_eq!(file.rows[0].action, Some(Action::Cancelled));
    assert_eq!(
        file.rows[1].subject,
        Subject::Lead {
            reason: Reason::DeceasedMember,
            record_id: "D-7".into()
        }
    );
    assert_eq!(file.unreviewed, 1);
}

const CHINESE_CSV: &str = "户编号,核查原因,核查结论,核查人,核查日期,备注,处理结果\n\
                           H1,名下有机动车,情况属实,王芳,2025年7月3日,车已过户,取消\n\
                           H2,抽查,情况不属实,李强,2025/07/03,,\n";

#[test]
fn a_csv_with_chinese_headers() {
    let file = read_csv_text(CHINESE_CSV);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    assert_eq!(households(&file), [("H1", 2), ("H2", 3)]);
    assert_eq!(file.rows[0].note.as_deref(), Some("车已过户"));
    assert_eq!(file.rows[1].subject, Subject::SpotCheck);
    assert_eq!(file.rows[1].reviewed_on, july_3());
}

#[test]
fn a_gbk_csv_and_a_utf8_csv_with_bom_read_the_same() {
    let dir = TempDir::new().unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode(CHINESE_CSV);
    let bom = [b"\xEF\xBB\xBF".as_slice(), CHINESE_CSV.as_bytes()].concat();
    let mut read = [("gbk.csv", gbk.as_ref()), ("bom.csv", bom.as_slice())].map(|(name, bytes)| {
        let file = read_findings(&write_file(&dir, name, bytes), today()).unwrap();
        assert!(file.problems.is_empty(), "{name}: {:?}", file.problems);
        file.rows
            .into_iter()
            .map(|row| FindingRow {
                file: String::new(),
                ..row
            })
            .collect::<Vec<_>>()
    });
    assert_eq!(read[0].len(), 2);
    assert_eq!(std::mem::take(&mut read[0]), read[1]);
}

#[test]
fn a_csv_without_a_reviewer_column_is_an_error_naming_it() {
    let dir = TempDir::new().unwrap();
    let path = write_file(
        &dir,
        "findings.csv",
        b"household_id,reason,verdict,reviewed_on\nH1,vehicle_owned,confirmed,2025-07-03\n",
    );
    let err = read_findings(&path, today()).unwrap_err().to_string();
    assert!(err.contains("findings.csv"), "{err}");
    assert!(err.contains("`核查人` (or reviewer)"), "{err}");
}

/// `text` in full-width characters, as a Chinese input method types it.
fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' | '-' | '/' | '.' => char::from_u32(u32::from(c) - 0x20 + 0xFF00).unwrap(),
            other => other,
        })
        .collect()
}

proptest! {
    #[test]
    fn a_date_written_as_text_in_any_accepted_form_round_trips(
        days in 0u64..45_000,
        form in 0usize..5,
        wide in any::<bool>(),
    ) {
        let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Days::new(days);
        let text = match form {
            0 => date.format("%Y-%m-%d").to_string(),
            1 => date.format("%Y/%m/%d").to_string(),
            2 => date.format("%Y%m%d").to_string(),
            3 => date.format("%Y.%-m.%-d").to_string(),
            _ => date.format("%Y年%-m月%-d日").to_string(),
        };
        let text = if wide { full_width(&text) } else { text };
        let csv = format!("户编号,核查原因,核查结论,核查人,核查日期\nH1,抽查,情况属实,王芳,{text}\n");
        let file = read_bytes(Path::new("p.csv"), csv.as_bytes(), Kind::Csv, today()).unwrap();
        prop_assert!(file.problems.is_empty(), "{}: {:?}", text, file.problems);
        prop_assert_eq!(file.rows[0].reviewed_on, date);
    }
}
