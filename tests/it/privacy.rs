//! Personal data stays out of logs and outputs stay private to their owner.

use std::collections::BTreeSet;

use assert_cmd::Command;
use rollcheck::ingest::schema::col;
use rollcheck::synth::{self, SynthOptions, Variant};

use crate::{fixture_as_of, read_parquet, repo_path, temp_dir, text_values};

#[test]
fn a_trace_level_run_logs_no_id_number_and_no_name() {
    let dir = temp_dir();
    let data = dir.path().join("data");
    let options = SynthOptions {
        households: 300,
        seed: 21,
        variant: Variant::Hard,
        as_of: fixture_as_of(),
        mix: rollcheck::synth::Mix::default(),
    };
    synth::write_county(&options, &data).unwrap();
    let county = synth::generate(&options);
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    let rows = county
        .roll
        .iter()
        .chain(county.registries.values().flatten());
    for row in rows {
        for column in [
            col::ID_NUMBER,
            col::OWNER_ID,
            col::PERSON_ID,
            col::RELATIVE_ID,
            col::CADRE_ID,
        ] {
            if let Some(id) = row.get(column).filter(|v| v.len() >= 15) {
                secrets.insert(id.to_string());
                if id.is_ascii() {
                    secrets.insert(id[..14].to_string()); // region + birth date
                }
            }
        }
        for column in [
            col::NAME,
            col::OWNER_NAME,
            col::PERSON_NAME,
            col::RELATIVE_NAME,
            col::CADRE_NAME,
        ] {
            if let Some(name) = row.get(column).filter(|v| v.chars().count() >= 2) {
                secrets.insert(name.to_string());
            }
        }
    }
    assert!(secrets.len() > 500);
    let output = Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["-vvv", "run"])
        .arg(repo_path("pipelines/county-nightly.toml"))
        .arg("--data")
        .arg(&data)
        .args(["--as-of", "2025-06-30", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("ingested") && log.contains("quarantined"),
        "the log says something: {log}"
    );
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|s| log.contains(s.as_str()))
        .collect();
    assert!(leaked.is_empty(), "personal data in the log: {leaked:?}");
}

#[cfg(unix)]
#[test]
fn outputs_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir();
    let out = dir.path().join("out");
    Command::cargo_bin("rollcheck")
        .unwrap()
        .args([
            "run",
            "fixtures/deceased_member/death_before_as_of_flags/pipeline.toml",
            "--as-of",
            "2025-06-30",
            "--out",
        ])
        .arg(&out)
        .current_dir(repo_path(""))
        .assert()
        .success();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out), 0o700);
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), expected, "{}", path.display());
    }
}

/// `rollcheck export RUN --pseudonymize KEY --out TARGET`.
fn export_command(
    run_out: &std::path::Path,
    key: &std::path::Path,
    target: &std::path::Path,
) -> Command {
    let mut command = Command::cargo_bin("rollcheck").unwrap();
    command
        .arg("export")
        .arg(run_out)
        .arg("--pseudonymize")
        .arg(key)
        .arg("--out")
        .arg(target);
    command
}

#[test]
fn pseudonymized_exports_hide_identities_and_join_across_runs() {
    let run = crate::run_synthetic_county(300, 13, Variant::Hard);
    let key = run.dir.path().join("export.key");
    std::fs::write(&key, "a county secret of enough length\n").unwrap();
    let export = |into: &str| {
        let target = run.dir.path().join(into);
        export_command(&run.out, &key, &target).assert().success();
        target
    };
    let (first, second) = (export("export-1"), export("export-2"));
    let read = |dir: &std::path::Path, file: &str| read_parquet(&dir.join(file));
    let flags = read(&first, "flags.parquet");
    assert!(
        flags.column("evidence").is_err(),
        "evidence names people and is left out"
    );
    let households: Vec<String> = flags
        .column("household_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    assert!(
        !households.is_empty()
            && households
                .iter()
                .all(|h| h.starts_with("p_") && h.len() == 34)
    );
    assert!(households.iter().all(|h| !run
        .summary
        .flags
        .iter()
        .any(|f| &f.flag.household_id == h)));
    // The same key gives the same pseudonyms: cohorts join across exports and runs.
    assert_eq!(flags, read(&second, "flags.parquet"));
    let matches = read(&first, "matches.parquet");
    let members = text_values(&matches, "member_id");
    assert!(members.iter().all(|m| m.starts_with("p_")));
    // No value anywhere in the export is a household or member id of the run.
    let identities: BTreeSet<String> = run
        .summary
        .flags
        .iter()
        .flat_map(|f| {
            std::iter::once(f.flag.household_id.clone()).chain(f.flag.member_ids.iter().cloned())
        })
        .collect();
    for file in ["flags.parquet", "households.parquet", "matches.parquet"] {
        let frame = read(&first, file);
        for column in frame.columns() {
            let Ok(text) = column.str() else { continue };
            for value in text.iter().flatten() {
                for part in value.split(';') {
                    assert!(
                        !identities.contains(part),
                        "{file}.{}: `{part}` is an identity",
                        column.name()
                    );
                }
            }
        }
    }
}

#[test]
fn export_with_a_short_key_exits_65_naming_the_key_file() {
    let run = crate::run_synthetic_county(50, 3, Variant::Clean);
    let key = run.dir.path().join("weak.key");
    std::fs::write(&key, "1234").unwrap();
    export_command(&run.out, &key, &run.dir.path().join("x"))
        .assert()
        .code(65)
        .stderr(predicates::str::contains("weak.key"));
}
