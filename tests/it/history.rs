//! Two nightly runs with a few records changed in between: statuses, first-flagged dates,
//! resolved flags, and the `history` and `diff` commands.

use std::collections::BTreeSet;

use assert_cmd::Command;
use predicates::prelude::*;
use rollcheck::synth::Variant;

use crate::{county_nightly, read_parquet, run_synthetic_county, text_values};

fn flag_rows(csv: &std::path::Path) -> Vec<csv::StringRecord> {
    let bytes = std::fs::read(csv).unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    reader.records().map(Result::unwrap).collect()
}

#[test]
fn a_second_run_marks_new_persisting_and_resolved_flags() {
    let run = run_synthetic_county(300, 17, Variant::Clean);
    let first_run = run.dir.path().join("first-run");
    std::fs::create_dir(&first_run).unwrap();
    std::fs::copy(
        run.out.join("flags.parquet"),
        first_run.join("flags.parquet"),
    )
    .unwrap();

    // Change the registries: one death record disappears, one household gains a car.
    let death = run
        .summary
        .flags
        .iter()
        .find(|f| f.flag.reason.code() == "deceased_member")
        .unwrap();
    let (gone_household, gone_record) = (
        death.flag.household_id.clone(),
        death.flag.record_ids[0].clone(),
    );
    let death_csv = run.data.join("death.csv");
    let kept: Vec<String> = std::fs::read_to_string(&death_csv)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with(&format!("{gone_record},")))
        .map(str::to_string)
        .collect();
    std::fs::write(&death_csv, kept.join("\n") + "\n").unwrap();
    let flagged: BTreeSet<&str> = run
        .summary
        .flags
        .iter()
        .map(|f| f.flag.household_id.as_str())
        .collect();
    let roll = std::fs::read_to_string(run.data.join("roll.csv")).unwrap();
    let member: Vec<&str> = roll
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| !flagged.contains(f[0]))
        .unwrap();
    let (new_household, name, id) = (member[0].to_string(), member[3], member[4]);
    let mut vehicle = std::fs::read_to_string(run.data.join("vehicle.csv")).unwrap();
    vehicle += &["V-NEW", name, id, "", "豫P00001", "car", "2025-07-01", "\n"].join(",");
    std::fs::write(run.data.join("vehicle.csv"), vehicle).unwrap();

    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 7, 31).unwrap();
    let second = rollcheck::job::run(&county_nightly(), Some(&run.data), as_of, &run.out).unwrap();
    let rows = flag_rows(&run.out.join("flags.csv"));
    let status_of = |household: &str, reason: &str| {
        rows.iter()
            .find(|r| &r[0] == household && &r[3] == reason)
            .map(|r| (r[9].to_string(), r[10].to_string()))
    };
    assert_eq!(
        status_of(&new_household, "vehicle_owned"),
        Some(("new".into(), "2025-07-31".into()))
    );
    assert_eq!(status_of(&gone_household, "deceased_member"), None);
    let persisting: Vec<_> = rows.iter().filter(|r| &r[9] == "persisting").collect();
    assert_eq!(persisting.len(), second.flags.len() - 1);
    assert!(
        persisting.iter().all(|r| &r[10] == "2025-06-30"),
        "first_flagged_on carries over"
    );

    let resolved = read_parquet(&run.out.join("resolved.parquet"));
    let households = text_values(&resolved, "household_id");
    assert_eq!(households, [gone_household.as_str()]);

    let history = run.out.with_file_name("out.history");
    Command::cargo_bin("rollcheck")
        .unwrap()
        .arg("history")
        .arg(&history)
        .assert()
        .success()
        .stdout(predicate::str::contains("2025-06-30").and(predicate::str::contains("2025-07-31")));
    Command::cargo_bin("rollcheck")
        .unwrap()
        .arg("diff")
        .arg(&first_run)
        .arg(&run.out)
        .assert()
        .success()
        .stdout(
            predicate::str::contains(format!("- {gone_household} deceased_member")).and(
                predicate::str::contains(format!("+ {new_household} vehicle_owned")),
            ),
        );
}

/// Every file of a run directory, by relative path.
fn files_of(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn running_the_same_inputs_again_repeats_the_run_byte_for_byte() {
    let run = run_synthetic_county(300, 23, Variant::Messy);
    let first = files_of(&run.out);
    // A second night's run with the same inputs and pipeline: the same run id.
    let again = rollcheck::job::run(
        &crate::synthetic_pipeline(&run.written),
        Some(&run.data),
        crate::fixture_as_of(),
        &run.out,
    )
    .unwrap();
    assert_eq!(again.run_id, run.summary.run_id);
    let second = files_of(&run.out);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    assert!(first.keys().any(|k| k.starts_with("review/")));
    for (name, bytes) in &first {
        if name == "manifest.json" {
            continue;
        }
        assert!(
            bytes == &second[name],
            "{name} differs between the two runs"
        );
    }
    // The manifest differs only in its times.
    let manifest = |files: &std::collections::BTreeMap<String, Vec<u8>>| {
        let mut value: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        for key in ["started_at", "finished_at", "stage_seconds"] {
            value.as_object_mut().unwrap().remove(key);
        }
        value
    };
    assert_eq!(manifest(&first), manifest(&second));
    // The repeat replaced its earlier record: one run in history, all its flags still new.
    let state = run.dir.path().join("out.history");
    assert_eq!(rollcheck::rundir::list_runs(&state).len(), 1);
    assert!(again
        .flags
        .iter()
        .all(|f| f.status == rollcheck::rundir::FlagStatus::New));
}
