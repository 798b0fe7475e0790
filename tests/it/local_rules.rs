//! Local registries and rules as data (contract: "Local registries and rules as data"): the
//! worked examples in `pipelines/examples/` flag what their fixtures expect, a rule's flags
//! go through every output a built-in rule's do, and a broken rule or registry is a clear
//! error that replaces nothing.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::fixtures::{expected_pairs, run_fixture};
use crate::{query_rows, read_to_string, repo_path, temp_dir};

/// The worked examples: (pipeline, fixture directory).
fn examples() -> Vec<(PathBuf, PathBuf)> {
    let mut found: Vec<(PathBuf, PathBuf)> = std::fs::read_dir(repo_path("pipelines/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|pipeline| {
            let stem = pipeline.file_stem()?.to_string_lossy().into_owned();
            let fixture = repo_path(&format!("fixtures/examples/{stem}"));
            fixture
                .join("expected.csv")
                .is_file()
                .then_some((pipeline, fixture))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn worked_examples_flag_what_their_fixtures_expect() {
    let examples = examples();
    assert!(
        examples.len() >= 5,
        "only {} worked examples",
        examples.len()
    );
    for (pipeline, fixture) in examples {
        let (pairs, text) = run_fixture(&pipeline, Some(&fixture));
        let expected = expected_pairs(&fixture);
        assert!(
            !expected.is_empty(),
            "{}: expects no flag",
            fixture.display()
        );
        assert_eq!(pairs, expected, "{}\n{text}", pipeline.display());
        let name = pipeline.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("example_{name}"), text);
    }
}

fn rollcheck() -> Command {
    Command::cargo_bin("rollcheck").unwrap()
}

/// Runs `pipeline` over the data directory `data` through the command line into `out`.
fn run_example(data: &Path, pipeline: &Path, out: &Path) -> std::process::Output {
    rollcheck()
        .args(["run"])
        .arg(pipeline)
        .arg("--data")
        .arg(data)
        .args(["--as-of", "2025-06-30", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

fn social_insurance_data() -> PathBuf {
    repo_path("fixtures/examples/social-insurance")
}

#[test]
fn a_sql_rules_flags_reach_every_output_like_a_built_in_rules() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    let pipeline = repo_path("pipelines/examples/social-insurance.toml");
    let output = run_example(&social_insurance_data(), &pipeline, &out);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("working_contributions"), "{stdout}");
    let flags = read_to_string(&out.join("flags.csv"));
    let flagged: Vec<&str> = flags
        .lines()
        .filter(|l| l.contains(",working_contributions,medium,"))
        .collect();
    assert!(!flagged.is_empty(), "{flags}");
    let household = flagged[0]
        .trim_start_matches('\u{feff}')
        .split(',')
        .next()
        .unwrap();

    // query sees the flag, and the registry's matches are in matches.parquet.
    let query = rollcheck()
        .arg("query")
        .arg(&out)
        .arg("SELECT COUNT(*) AS n FROM matches WHERE source = 'social_insurance'")
        .output()
        .unwrap();
    assert!(query.status.success(), "{query:?}");
    assert!(
        !String::from_utf8_lossy(&query.stdout).contains("│ 0 "),
        "{query:?}"
    );

    // explain names the rule and the comparison behind the match.
    let explain = rollcheck()
        .arg("explain")
        .arg(&out)
        .arg(household)
        .output()
        .unwrap();
    let explained = String::from_utf8_lossy(&explain.stdout);
    assert!(explained.contains("working_contributions"), "{explained}");
    assert!(explained.contains("(social_insurance)"), "{explained}");

    // The township workbook shows the rule's Chinese label; the report and explorer name it.
    let label = "在职参保缴费";
    let workbooks: Vec<PathBuf> = walk(&out.join("review"));
    let mut shown = false;
    for workbook in &workbooks {
        use calamine::{open_workbook, Reader, Xlsx};
        let mut book: Xlsx<_> = open_workbook(workbook).unwrap();
        let range = book.worksheet_range("核查清单").unwrap();
        shown |= range.rows().any(|row| {
            row.iter()
                .any(|c| matches!(c, calamine::Data::String(s) if s == label))
        });
    }
    assert!(shown, "no workbook row labelled {label}");
    assert!(read_to_string(&out.join("report.html")).contains(label));
    assert!(read_to_string(&out.join("explorer.html")).contains("working_contributions"));

    // A finding about the flag comes back and the next run carries it.
    crate::import_findings_csv(
        &out,
        &dir.path().join("findings.csv"),
        &format!(
            "household_id,reason,verdict,reviewer,reviewed_on,note,action\n{household},{label},情况属实,李四,2025-07-01,在建筑公司务工,调整\n"
        ),
    );
    let again = run_example(&social_insurance_data(), &pipeline, &out);
    assert!(again.status.success(), "{again:?}");
    let flags = read_to_string(&out.join("flags.csv"));
    let row = flags
        .lines()
        .find(|l| l.starts_with(household) && l.contains(",working_contributions,"))
        .unwrap_or_else(|| panic!("{flags}"));
    assert!(row.contains("confirmed"), "{row}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "xlsx") {
            found.push(path);
        }
    }
    found
}

/// A copy of a worked example with `from` replaced by `to` in its pipeline.
fn broken_example(example: &str, dir: &Path, from: &str, to: &str) -> PathBuf {
    let text = read_to_string(&repo_path(&format!("pipelines/examples/{example}.toml")));
    assert!(text.contains(from), "the example no longer says `{from}`");
    let path = dir.join("broken.toml");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path
}

/// `validate` on a broken copy of the social-insurance example exits `code` with a message
/// containing every `words`.
fn assert_validate_fails(from: &str, to: &str, code: i32, words: &[&str]) {
    assert_example_fails_validation("social-insurance", from, to, code, words);
}

fn assert_example_fails_validation(example: &str, from: &str, to: &str, code: i32, words: &[&str]) {
    let dir = temp_dir();
    let pipeline = broken_example(example, dir.path(), from, to);
    let output = rollcheck()
        .arg("validate")
        .arg(&pipeline)
        .arg("--data")
        .arg(repo_path(&format!("fixtures/examples/{example}")))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    for word in words {
        assert!(stderr.contains(word), "`{word}` not in: {stderr}");
    }
}

#[test]
fn a_rule_that_does_not_parse_is_a_pipeline_error_naming_it() {
    assert_validate_fails(
        "SELECT",
        "SELEC",
        2,
        &["rules.working_contributions", "SELEC"],
    );
}

#[test]
fn a_rule_naming_an_unknown_table_or_column_is_a_pipeline_error() {
    assert_validate_fails(
        "JOIN social_insurance r",
        "JOIN social_insurances r",
        2,
        &["rules.working_contributions", "social_insurances"],
    );
    assert_validate_fails(
        "r.employer",
        "r.employerx",
        2,
        &["rules.working_contributions", "employerx"],
    );
}

#[test]
fn a_rule_naming_an_unknown_supporter_table_or_column_is_a_pipeline_error() {
    for (from, to, named) in [
        ("FROM supporters s", "FROM supporter s", "supporter"),
        ("s.supporter_id", "s.supporter_key", "supporter_key"),
        (
            "JOIN supported_personnel_supporter_matches x",
            "JOIN supported_personnel_supporters_matches x",
            "supported_personnel_supporters_matches",
        ),
    ] {
        assert_example_fails_validation(
            "supporter-civil-servant",
            from,
            to,
            2,
            &["rules.supporter_civil_servant", named],
        );
    }
}

#[test]
fn a_rule_returning_the_wrong_columns_is_a_pipeline_error() {
    assert_validate_fails(
        "AS evidence",
        "AS proof",
        2,
        &["rules.working_contributions", "`proof`", "evidence"],
    );
}

#[test]
fn a_rule_may_not_shadow_a_built_in_reason() {
    assert_validate_fails(
        "[rules.working_contributions]",
        "[rules.vehicle_owned]",
        2,
        &["rules.vehicle_owned", "built-in reason"],
    );
}

#[test]
fn an_unknown_field_type_names_its_key() {
    assert_validate_fails(
        "type = \"money\"",
        "type = \"currency\"",
        2,
        &["sources.social_insurance.fields.", ".type", "currency"],
    );
}

#[test]
fn a_person_column_missing_from_the_file_names_source_and_header() {
    assert_validate_fails(
        "name = \"姓名\"",
        "name = \"职工姓名\"",
        65,
        &["social_insurance", "职工姓名"],
    );
}

/// A run of a broken copy fails with exit 2 naming the rule, and the outputs of the run
/// before stay as they were.
fn assert_run_fails_and_replaces_nothing(from: &str, to: &str, words: &[&str]) {
    let dir = temp_dir();
    let out = dir.path().join("out");
    let good = run_example(
        &social_insurance_data(),
        &repo_path("pipelines/examples/social-insurance.toml"),
        &out,
    );
    assert!(good.status.success(), "{good:?}");
    let before = std::fs::read(out.join("flags.csv")).unwrap();
    let pipeline = broken_example("social-insurance", dir.path(), from, to);
    let output = run_example(&social_insurance_data(), &pipeline, &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("rules.working_contributions"), "{stderr}");
    for word in words {
        assert!(stderr.contains(word), "`{word}` not in: {stderr}");
    }
    assert_eq!(std::fs::read(out.join("flags.csv")).unwrap(), before);
}

#[test]
fn a_rule_returning_a_household_not_on_the_roll_stops_the_run() {
    assert_run_fails_and_replaces_nothing(
        "SELECT m.household_id,",
        "SELECT 'H-NOWHERE' AS household_id,",
        &["H-NOWHERE", "not on the roll"],
    );
}

#[test]
fn a_rule_returning_null_evidence_stops_the_run() {
    assert_run_fails_and_replaces_nothing(
        "SELECT m.household_id, m.member_id, r.record_id,",
        "SELECT m.household_id, m.member_id, r.record_id, NULL || ",
        &["NULL", "COALESCE"],
    );
}

#[test]
fn a_rule_returning_too_many_rows_stops_the_run() {
    assert_run_fails_and_replaces_nothing(
        "severity = \"medium\"",
        "severity = \"medium\"\nmax_rows = 1",
        &["max_rows", "rows"],
    );
}

/// A local registry arrives as a directory of parts like any registry: each file read on its
/// own terms (UTF-8 and GB18030, with and without a record id column), a bad row quarantined
/// with its file named, every file counted in the manifest, and the rule's flags unchanged.
#[test]
fn a_local_registry_in_parts_of_mixed_encodings_is_read_like_any_registry() {
    let dir = temp_dir();
    let data = dir.path().join("data");
    let parts = data.join("social_insurance");
    std::fs::create_dir_all(&parts).unwrap();
    std::fs::copy(
        social_insurance_data().join("roll.csv"),
        data.join("roll.csv"),
    )
    .unwrap();
    let whole = read_to_string(&social_insurance_data().join("social_insurance.csv"));
    let mut lines = whole.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 6, "the example's registry changed");
    assert!(rows[3].contains("李明"), "the example's registry changed");
    // a.csv: the first three rows as they are, in UTF-8.
    std::fs::write(
        parts.join("a.csv"),
        format!("{header}\n{}\n", rows[..3].join("\n")),
    )
    .unwrap();
    // b.csv: GB18030 without the 记录编号 column: the other three rows (李明's contributions
    // ended, so he matches but is not flagged) and a row whose base is not a number.
    let without_id = |line: &str| line.split_once(',').unwrap().1.to_string();
    let mut text = without_id(header) + "\n";
    for row in &rows[3..] {
        text += &(without_id(row) + "\n");
    }
    text += "周敏,411502199001016222,,周口市人民医院,很多,2015-07-01,\n";
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gb).is_err(), "b.csv must not be UTF-8");
    std::fs::write(parts.join("b.csv"), &gb).unwrap();

    let out = dir.path().join("out");
    let pipeline = repo_path("pipelines/examples/social-insurance.toml");
    let output = run_example(&data, &pipeline, &out);
    assert!(output.status.success(), "{output:?}");

    let flags = read_to_string(&out.join("flags.csv"));
    let mut flagged: Vec<String> = flags
        .lines()
        .skip(1)
        .filter(|l| l.contains(",working_contributions,"))
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    flagged.sort();
    assert_eq!(flagged, ["H1", "H2"], "{flags}");

    let manifest: serde_json::Value =
        serde_json::from_str(&read_to_string(&out.join("manifest.json"))).unwrap();
    let totals = &manifest["source_totals"]["social_insurance"];
    assert_eq!(totals["files"], 2, "{totals}");
    assert_eq!(totals["rows_read"], 7, "{totals}");
    assert_eq!(totals["rows_quarantined"], 1, "{totals}");
    let encodings: Vec<String> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["source"] == "social_insurance")
        .map(|i| {
            format!(
                "{} {}",
                i["path"].as_str().unwrap().rsplit('/').next().unwrap(),
                i["encoding"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(encodings, ["a.csv utf-8", "b.csv gb18030"]);
    let state = PathBuf::from(manifest["state_dir"].as_str().unwrap());

    let quarantined = query_rows(
        &out,
        &state,
        "SELECT file, \"column\" FROM quarantine WHERE source = 'social_insurance'",
    );
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert!(quarantined[0][0].ends_with("b.csv"), "{quarantined:?}");
    // Named as the pipeline names the field, as a built-in registry's canonical column is.
    assert_eq!(quarantined[0][1], "contribution_base");

    // A row of the file without ids is known by source, file and line.
    let ids = query_rows(
        &out,
        &state,
        "SELECT record_id FROM matches WHERE source = 'social_insurance' ORDER BY record_id",
    );
    let ids: Vec<&str> = ids.iter().map(|r| r[0].as_str()).collect();
    assert!(ids.contains(&"SI-1"), "{ids:?}");
    // 李明 is b.csv's first row: line 2, after the header.
    assert!(ids.contains(&"social_insurance:b.csv:2"), "{ids:?}");
}
