//! Review workbooks: one per township, readable, sorted by severity, and never showing a
//! full ID number or a birth date from one.

use calamine::{open_workbook, Data, Reader, Xlsx};
use rollcheck::job;
use rollcheck::synth::Variant;

use crate::{county_nightly, fixture_as_of, run_synthetic_county};

#[test]
fn review_workbooks_are_per_township_and_mask_every_id() {
    let run = run_synthetic_county(600, 5, Variant::Messy);
    let (data, out, summary) = (&run.data, &run.out, &run.summary);
    let pipeline = county_nightly();
    let evaluation = job::evaluate(&pipeline, Some(data), fixture_as_of()).unwrap();
    // Members' and supporters' IDs alike.
    let full_ids: Vec<String> = evaluation
        .normalized
        .persons
        .iter()
        .filter_map(|p| p.valid_id().map(|v| v.text().to_string()))
        .collect();
    let birth_dates: Vec<String> = full_ids.iter().map(|id| id[6..14].to_string()).collect();

    let mut workbooks: Vec<_> = std::fs::read_dir(out.join("review"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    workbooks.sort();
    // A workbook per township with a flag or an early warning (people off the roll too).
    let townships: std::collections::BTreeSet<String> = summary
        .flags
        .iter()
        .map(|f| f.flag.region_code.as_deref())
        .chain(evaluation.warnings.iter().map(|w| w.region_code.as_deref()))
        .map(rollcheck::model::RegionCode::township_key)
        .collect();
    assert_eq!(workbooks.len(), townships.len());
    let mut rows_seen = 0;
    let mut masked_seen = 0;
    let mut with_supporters = 0;
    let mut with_due = 0;
    for path in &workbooks {
        let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
        // 赡养人 lists the supporters of the households to visit, where they have any;
        // 预警线索 the township's early warnings, where it has any.
        let mut sheets = workbook.sheet_names();
        with_supporters += usize::from(sheets.iter().any(|s| s == "赡养人"));
        // 到期复核 lists the township's households due a re-check (none where only people off
        // the roll are warned about).
        with_due += usize::from(sheets.iter().any(|s| s == "到期复核"));
        // 待核实线索 lists leads where a township has any (a supporter's doubtful wage, too).
        sheets.retain(|s| !["赡养人", "预警线索", "到期复核", "待核实线索"].contains(&s.as_str()));
        assert_eq!(sheets, ["核查清单", "汇总"]);
        for sheet in workbook.sheet_names() {
            for cell in workbook.worksheet_range(&sheet).unwrap().used_cells() {
                let text = cell.2.to_string();
                assert!(
                    !full_ids.iter().any(|id| text.contains(id.as_str())),
                    "{} {sheet}: full ID in `{text}`",
                    path.display()
                );
            }
        }
        let range = workbook.worksheet_range("核查清单").unwrap();
        let header = crate::header_of(&range);
        assert_eq!(header[0], "序号");
        assert_eq!(
            &header[10..],
            [
                "估算多发金额",
                "核查结论",
                "核查人",
                "核查日期",
                "处理结果",
                "备注",
                "原因代码"
            ]
        );
        let mut last_severity = 3;
        for row in range.rows().skip(1) {
            rows_seen += 1;
            let severity = match row[7].to_string().as_str() {
                "高" => 2,
                "中" => 1,
                _ => 0,
            };
            assert!(
                severity <= last_severity,
                "{}: not sorted by severity",
                path.display()
            );
            last_severity = severity;
            for cell in row {
                let text = match cell {
                    Data::String(s) => s.clone(),
                    other => other.to_string(),
                };
                for (id, birth) in full_ids.iter().zip(&birth_dates) {
                    assert!(
                        !text.contains(id.as_str()),
                        "{}: full ID in `{text}`",
                        path.display()
                    );
                    assert!(
                        !text.contains(&format!("{}{}", &id[..6], birth)),
                        "{}: region+birth date in `{text}`",
                        path.display()
                    );
                }
                masked_seen += usize::from(text.contains("********"));
            }
            assert!(
                row[11..16].iter().all(|c| matches!(c, Data::Empty)),
                "finding columns start empty"
            );
            assert!(
                rollcheck::model::Reason::parse(&row[16].to_string()).is_some(),
                "the hidden column holds the reason code"
            );
        }
    }
    assert_eq!(rows_seen, summary.flags.len());
    assert!(masked_seen > 0, "members are shown with masked IDs");
    assert!(with_supporters > 0, "no workbook lists supporters");
    assert!(with_due > 0, "no workbook lists households due a re-check");
}

fn libreoffice() -> Option<String> {
    crate::installed_program(
        "ROLLCHECK_LIBREOFFICE",
        &["/usr/bin/libreoffice", "/usr/bin/soffice"],
    )
}

/// Township staff print the workbook: `libreoffice --convert-to pdf` must turn it into a PDF.
#[test]
fn review_workbook_converts_to_pdf_in_libreoffice() {
    let Some(office) = libreoffice() else {
        return crate::skip::because(
            crate::skip::Tool::LibreOffice,
            "LibreOffice is not installed",
        );
    };
    let run = run_synthetic_county(300, 5, Variant::Clean);
    let workbook = std::fs::read_dir(run.out.join("review"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let pdf_dir = run.dir.path().join("pdf");
    let profile = run.dir.path().join("lo-profile");
    let output = std::process::Command::new(office)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&pdf_dir)
        .arg(&workbook)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let pdf_name = workbook.with_extension("pdf");
    let pdf = std::fs::read(pdf_dir.join(pdf_name.file_name().unwrap())).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let has = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
    let pages = has(b"/Type/Page") || has(b"/Type /Page");
    assert!(pages, "the PDF has no pages");
}
