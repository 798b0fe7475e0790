//! The command line as an operator uses it: outputs, exit codes and messages.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::{read_parquet, read_to_string, repo_path, temp_dir, text_values};

fn rollcheck() -> Command {
    Command::cargo_bin("rollcheck").unwrap()
}

const FIXTURE: &str = "fixtures/deceased_member/death_before_as_of_flags";

fn run_fixture(out: &Path) -> assert_cmd::assert::Assert {
    rollcheck()
        .args([
            "run",
            &format!("{FIXTURE}/pipeline.toml"),
            "--as-of",
            "2025-06-30",
            "--out",
        ])
        .arg(out)
        .current_dir(repo_path(""))
        .assert()
}

#[test]
fn help_shows_examples() {
    rollcheck()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("rollcheck demo"));
}

#[test]
fn run_writes_every_contract_output() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    run_fixture(&out)
        .success()
        .stdout(predicate::str::contains("deceased_member"));
    for name in [
        "flags.parquet",
        "flags.csv",
        "households.parquet",
        "matches.parquet",
        "quarantine.parquet",
        "manifest.json",
    ] {
        assert!(out.join(name).is_file(), "missing {name}");
    }
    let csv = std::fs::read(out.join("flags.csv")).unwrap();
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "flags.csv must start with a BOM"
    );
    let text = String::from_utf8(csv).unwrap();
    assert!(
        text.contains("H1,dibao_rural,411526101001,deceased_member,high,H1-01"),
        "{text}"
    );
    assert!(
        text.contains("死亡登记 D-1：张建国 于2025-03-02死亡（火化）"),
        "{text}"
    );
    // Nothing is left beside the output directory but the lock file.
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "out" && n != ".out.lock" && n != "out.history")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn second_run_marks_flags_persisting() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    run_fixture(&out).success();
    assert!(read_to_string(&out.join("flags.csv")).contains(",new,2025-06-30,"));
    rollcheck()
        .args([
            "run",
            &format!("{FIXTURE}/pipeline.toml"),
            "--as-of",
            "2025-07-31",
            "--out",
        ])
        .arg(&out)
        .current_dir(repo_path(""))
        .assert()
        .success();
    let text = read_to_string(&out.join("flags.csv"));
    assert!(text.contains(",persisting,2025-06-30,"), "{text}");
}

#[test]
fn unknown_pipeline_key_exits_2_naming_file_and_key() {
    let dir = temp_dir();
    let pipeline = dir.path().join("bad.toml");
    std::fs::write(
        &pipeline,
        "[sources.roll]\n[rules.vehicle_owned]\nexempt_types = []\n",
    )
    .unwrap();
    rollcheck()
        .args(["run"])
        .arg(&pipeline)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bad.toml")
                .and(predicate::str::contains("rules.vehicle_owned")),
        );
}

#[test]
fn missing_input_file_exits_65_naming_source() {
    let dir = temp_dir();
    let pipeline = dir.path().join("p.toml");
    std::fs::write(&pipeline, "[sources.roll]\n").unwrap();
    rollcheck()
        .args(["run"])
        .arg(&pipeline)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(65)
        .stderr(
            predicate::str::contains("source `roll`").and(predicate::str::contains("roll.csv")),
        );
}

#[test]
fn missing_required_column_exits_65_naming_column() {
    let dir = temp_dir();
    std::fs::write(dir.path().join("p.toml"), "[sources.roll]\n").unwrap();
    std::fs::write(
        dir.path().join("roll.csv"),
        "household_id,programme,member_id,name,relation\nH1,tekun,M1,张三,head\n",
    )
    .unwrap();
    rollcheck()
        .args(["run"])
        .arg(dir.path().join("p.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(65)
        .stderr(predicate::str::contains("roll.csv").and(predicate::str::contains("id_number")));
}

#[test]
fn a_second_concurrent_run_exits_75() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    let _held = rollcheck::rundir::acquire_lock(&out).unwrap();
    run_fixture(&out)
        .code(75)
        .stderr(predicate::str::contains("another run holds the lock"));
}

#[test]
fn validate_reports_rows_and_quarantine() {
    rollcheck()
        .args([
            "validate",
            "fixtures/ingest/unreadable_rows_go_to_quarantine_and_the_run_goes_on/pipeline.toml",
        ])
        .current_dir(repo_path(""))
        .assert()
        .success()
        .stdout(predicate::str::contains("quarantine").and(predicate::str::contains("2025-02-30")));
}

/// Our Parquet must read back in pyarrow and `DuckDB`. `.ci/run` installs both into a venv and
/// points `ROLLCHECK_PYTHON` at it; without that interpreter the check cannot run here.
#[test]
fn parquet_outputs_read_back_in_pyarrow_and_duckdb() {
    let Ok(python) = std::env::var("ROLLCHECK_PYTHON") else {
        return crate::skip::because(
            crate::skip::Tool::Python,
            "ROLLCHECK_PYTHON is not set (.ci/run sets it)",
        );
    };
    let dir = temp_dir();
    let out = dir.path().join("out");
    run_fixture(&out).success();
    let script = r#"
import sys, pyarrow.parquet as pq, duckdb
out = sys.argv[1]
flags = pq.read_table(f"{out}/flags.parquet").to_pylist()
assert flags[0]["household_id"] == "H1" and flags[0]["reason"] == "deceased_member", flags
assert "张建国" in flags[0]["evidence"], flags
assert str(flags[0]["first_flagged_on"]) == "2025-06-30", flags
for name in ["households", "matches", "quarantine"]:
    pq.read_table(f"{out}/{name}.parquet")
n = duckdb.sql(f"select count(*) from '{out}/matches.parquet' where method = 'exact_id'").fetchall()[0][0]
assert n == 1, n
print("ok")
"#;
    let output = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn explain_shows_the_comparison_behind_a_probabilistic_flag() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    rollcheck()
        .args([
            "run",
            "fixtures/link/one_wrong_digit_with_agreeing_name_and_birth_date_matches/pipeline.toml",
        ])
        .args(["--as-of", "2025-06-30", "--out"])
        .arg(&out)
        .current_dir(repo_path(""))
        .assert()
        .success();
    rollcheck()
        .arg("explain")
        .arg(&out)
        .arg("H1")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("deceased_member")
                .and(predicate::str::contains("accepted by probabilistic"))
                .and(predicate::str::contains("one_digit"))
                .and(predicate::str::contains("ID numbers differ in one digit"))
                .and(predicate::str::contains("birth dates equal")),
        );
    rollcheck()
        .arg("explain")
        .arg(&out)
        .arg("H2")
        .assert()
        .success()
        .stdout(predicate::str::contains("H2: no flags"));
}

#[test]
fn explain_weighs_a_blank_id_pair_term_by_term_in_the_population() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    rollcheck()
        .args([
            "run",
            "fixtures/link/blank_id_death_with_unique_name_and_birth_date_matches/pipeline.toml",
        ])
        .args(["--as-of", "2025-06-30", "--out"])
        .arg(&out)
        .current_dir(repo_path(""))
        .assert()
        .success();
    let output = rollcheck()
        .arg("explain")
        .arg(&out)
        .arg("H1")
        .output()
        .unwrap();
    assert!(output.status.success());
    let explained = String::from_utf8(output.stdout).unwrap();
    // The prior is one person in the population the pipeline states (10,000), and the name
    // and birth date each say how common they are there.
    for words in [
        "one person in the registry's population of about 10,000",
        "people in the population has this name",
        "people was born that day",
        "namesakes: about 0.00014 other people",
    ] {
        assert!(explained.contains(words), "{words}: {explained}");
    }
    // One record says nothing of how often the registry's namesakes show up: the
    // population's odds stand, and the rate is left empty.
    // matches.parquet keeps the shares the weights used.
    let matches = read_parquet(&out.join("matches.parquet"));
    assert_eq!(matches.column("namesake_rate").unwrap().null_count(), 1);
    for column in ["name_share", "birth_date_share"] {
        let share = matches.column(column).unwrap().f64().unwrap().get(0);
        assert!(
            share.is_some_and(|s| s > 0.0 && s < 1.0),
            "{column}: {share:?}"
        );
    }
}

#[test]
fn explain_says_when_the_addresses_placed_a_pair() {
    let dir = temp_dir();
    let out = dir.path().join("out");
    rollcheck()
        .args([
            "run",
            "fixtures/link/registry_address_places_the_person_in_a_village_or_another_county/pipeline.toml",
        ])
        .args(["--as-of", "2025-06-30", "--out"])
        .arg(&out)
        .current_dir(repo_path(""))
        .assert()
        .success();
    let explained = |household: &str| {
        let output = rollcheck()
            .arg("explain")
            .arg(&out)
            .arg(household)
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    let village = explained("H1");
    assert!(
        village.contains("same village (from the addresses (地址))")
            && village.contains("登记地址与花名册同村"),
        "{village}"
    );
    let other = explained("H2");
    assert!(
        other.contains("different county (from the addresses (地址))")
            && other.contains("登记所在地与花名册不在同一县"),
        "{other}"
    );
    // matches.parquet names the field that placed both pairs.
    let matches = read_parquet(&out.join("matches.parquet"));
    let from = text_values(&matches, "region_from");
    assert_eq!(from, ["address", "address"]);
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = temp_dir();
    let output = rollcheck()
        .args([
            "-v",
            "--log-format",
            "json",
            "run",
            &format!("{FIXTURE}/pipeline.toml"),
            "--as-of",
            "2025-06-30",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .current_dir(repo_path(""))
        .output()
        .unwrap();
    assert!(output.status.success());
    let log = String::from_utf8(output.stderr).unwrap();
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(events
        .iter()
        .any(|e| e["fields"]["message"] == "ingested" && e["fields"]["source"] == "roll"));
    assert!(events.iter().any(|e| e["fields"]["message"] == "evaluated"));
}

/// The synthetic mix's knobs refuse values outside their range, naming the flag and what
/// it wants, and a county drawn with them differs from the default one as they say.
#[test]
#[allow(clippy::cast_precision_loss)] // row counts
fn synth_mix_knobs_are_checked_and_applied() {
    for (flag, value, wanted) in [
        ("--blank-ids", "1.5", "a share"),
        ("--masked-ids", "2", "a share"),
        ("--name-skew", "5", "a name skew"),
        ("--namesake-floor", "1.5", "a share"),
        (
            "--population-per-roll-person",
            "0",
            "a population per roll person",
        ),
    ] {
        rollcheck()
            .args([
                "synth",
                "--households",
                "50",
                "--out",
                "unused",
                flag,
                value,
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(flag).and(predicate::str::contains(wanted)));
    }
    let dir = temp_dir();
    let blank_share = |out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        rollcheck()
            .args(["synth", "--households", "300", "--seed", "2"])
            .args(extra)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let text = read_to_string(&out.join("death.csv"));
        let rows: Vec<&str> = text.lines().skip(1).collect();
        // Clean variant: record_id,name,id_number,… — the third cell is the ID.
        let blank = rows
            .iter()
            .filter(|row| row.split(',').nth(2) == Some(""))
            .count();
        blank as f64 / rows.len() as f64
    };
    let default = blank_share("default", &[]);
    let more = blank_share("more", &["--blank-ids", "0.5"]);
    assert!(default < 0.05 && more > 0.1, "{default} vs {more}");
}
