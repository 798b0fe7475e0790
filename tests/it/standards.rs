//! Programme standards by region and date: the longest region prefix in force wins, the
//! evidence names the standard used, and a broken or duplicated entry is a pipeline error.

use assert_cmd::Command;
use rollcheck::synth::Variant;

use crate::{read_to_string, repo_path, run_synthetic_county};

/// The shipped province pipeline, whose table and inline entry give each date its standard.
#[test]
fn the_province_pipeline_names_the_regional_standard_in_force() {
    let run = run_synthetic_county(2000, 3, Variant::Clean);
    let pipeline =
        rollcheck::config::Pipeline::load(&repo_path("pipelines/province-campaign.toml")).unwrap();
    for (as_of, expected) in [
        ("2025-06-30", "超过4115自2025-01-01起农村低保标准600元"),
        ("2025-07-31", "超过411526自2025-07-01起农村低保标准650元"),
        ("2026-01-31", "超过411526101自2026-01-01起农村低保标准700元"),
    ] {
        let as_of = rollcheck::ingest::parse_date(as_of).unwrap();
        let out = run.dir.path().join(format!("out-{as_of}"));
        let summary = rollcheck::job::run(&pipeline, Some(&run.data), as_of, &out).unwrap();
        let evidence: Vec<&str> = summary
            .flags
            .iter()
            .filter(|f| f.flag.reason.code() == "pension_income")
            .map(|f| f.flag.evidence.as_str())
            .collect();
        assert!(
            evidence.iter().any(|e| e.contains(expected)),
            "{as_of}: {evidence:#?}"
        );
    }
}

/// Runs `rollcheck validate` on county-nightly with `section` added to its
/// `[programmes.dibao_rural]`, `extra` appended, and `table` as standards.csv beside it;
/// returns stderr, asserting exit 2.
fn pipeline_error(section: &str, extra: &str, table: &str) -> String {
    let dir = crate::temp_dir();
    std::fs::write(dir.path().join("standards.csv"), table).unwrap();
    let text = read_to_string(&repo_path("pipelines/county-nightly.toml"));
    let path = dir.path().join("pipeline.toml");
    let text = text.replace(
        "[programmes.dibao_rural]\n",
        &format!("[programmes.dibao_rural]\n{section}"),
    );
    std::fs::write(&path, format!("{text}\n{extra}\n")).unwrap();
    let data = dir.path().join("data");
    rollcheck::synth::write_county(
        &rollcheck::synth::SynthOptions {
            households: 50,
            seed: 1,
            variant: Variant::Clean,
            as_of: crate::fixture_as_of(),
            mix: rollcheck::synth::Mix::default(),
        },
        &data,
    )
    .unwrap();
    let assert = Command::cargo_bin("rollcheck")
        .unwrap()
        .arg("validate")
        .arg(&path)
        .arg("--data")
        .arg(&data)
        .assert()
        .code(2);
    String::from_utf8_lossy(&assert.get_output().stderr).to_string()
}

const TABLE: &str = "救助类型,行政区划代码,执行日期,保障标准\n农村低保,411526,2025-01-01,640\n";

#[test]
fn two_entries_for_one_programme_region_and_date_are_an_error_naming_both() {
    let stderr = pipeline_error(
        "standards = \"standards.csv\"\n",
        "[[programmes.dibao_rural.standard]]\nregion = \"411526\"\nfrom = 2025-01-01\nper_capita_standard_yuan = 650\n",
        TABLE,
    );
    assert!(
        stderr.contains("programmes.dibao_rural.standard[0]"),
        "{stderr}"
    );
    assert!(stderr.contains("standards.csv row 2"), "{stderr}");
}

#[test]
fn a_bad_inline_entry_names_its_key() {
    let stderr = pipeline_error(
        "",
        "[[programmes.dibao_rural.standard]]\nregion = \"41152\"\nfrom = \"2025-13-01\"\nper_capita_standard_yuan = -5\n",
        TABLE,
    );
    for key in [
        "programmes.dibao_rural.standard[0].region",
        "programmes.dibao_rural.standard[0].from",
        "programmes.dibao_rural.standard[0].per_capita_standard_yuan",
    ] {
        assert!(stderr.contains(key), "{key}: {stderr}");
    }
}

#[test]
fn a_bad_table_row_names_the_file_row_and_column() {
    let stderr = pipeline_error(
        "standards = \"standards.csv\"\n",
        "",
        "救助类型,行政区划代码,执行日期,保障标准\n农村低保,411526,2025-01-01,640\n农村低保,4115261,2025-01-01,650\n",
    );
    assert!(stderr.contains("standards.csv"), "{stderr}");
    assert!(stderr.contains("row 3, column `行政区划代码`"), "{stderr}");
}
