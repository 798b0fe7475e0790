//! Sharded runs: `run --shard K/N` on every shard, then `merge`, gives exactly the outputs
//! of one whole run, and merge refuses incomplete, mixed or foreign shard sets.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rollcheck::job;
use rollcheck::link::Shard;
use rollcheck::synth::{self, SynthOptions, Variant};

use crate::{county_nightly, county_nightly_with_parameters, fixture_as_of, temp_dir};

/// The tables and files that must match byte for byte. (report.html shows the start time
/// and the review workbooks carry their creation time; manifest.json is compared without
/// its times below.)
const SAME_BYTES: [&str; 12] = [
    "flags.parquet",
    "flags.csv",
    "households.parquet",
    "matches.parquet",
    "quarantine.parquet",
    "resolved.parquet",
    "model.json",
    "leads.parquet",
    "spot_checks.parquet",
    "review_summary.csv",
    "income.parquet",
    "supporters.parquet",
];

struct County {
    dir: tempfile::TempDir,
    data: PathBuf,
    pipeline: rollcheck::config::Pipeline,
}

/// A messy synthetic county and county-nightly with parameters trained on it by a whole run.
fn county(households: usize) -> County {
    let dir = temp_dir();
    let data = dir.path().join("data");
    let options = SynthOptions {
        households,
        seed: 11,
        variant: Variant::Hard,
        as_of: fixture_as_of(),
        mix: rollcheck::synth::Mix::default(),
    };
    synth::write_county(&options, &data).unwrap();
    let trained = dir.path().join("trained");
    job::run(&county_nightly(), Some(&data), fixture_as_of(), &trained).unwrap();
    let pipeline = county_nightly_with_parameters(dir.path(), &trained.join("model.json"));
    County {
        dir,
        data,
        pipeline,
    }
}

fn manifest_without_times(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let object = manifest.as_object_mut().unwrap();
    // Where the history lives follows the output directory, which differs here by design.
    for key in ["started_at", "finished_at", "stage_seconds", "state_dir"] {
        assert!(object.remove(key).is_some(), "manifest lacks {key}");
    }
    manifest
}

/// Every shard of `count`, reading registries in pieces of at most `piece_rows` rows.
fn run_shards(county: &County, count: u32, piece_rows: usize) -> Vec<PathBuf> {
    run_shards_from(county, count, piece_rows, None)
}

/// Every shard of `count`, the roll read from its files or loaded from a roll index.
fn run_shards_from(
    county: &County,
    count: u32,
    piece_rows: usize,
    roll_index: Option<&Path>,
) -> Vec<PathBuf> {
    (0..count)
        .map(|index| {
            let indexed = roll_index.is_some();
            let dir = county
                .dir
                .path()
                .join(format!("shards-{count}-{piece_rows}-{indexed}/{index}"));
            let shard = Shard { index, count };
            job::run_shard(
                &county.pipeline,
                Some(&county.data),
                fixture_as_of(),
                shard,
                piece_rows,
                roll_index,
                &dir,
                &|_| {},
            )
            .unwrap();
            dir
        })
        .collect()
}

#[test]
fn merged_shards_equal_one_whole_run_for_1_3_and_8_shards() {
    let county = county(900);
    let whole = county.dir.path().join("whole");
    let summary = job::run(
        &county.pipeline,
        Some(&county.data),
        fixture_as_of(),
        &whole,
    )
    .unwrap();
    // The comparison means something only if there are probabilistic links to decide.
    let matches = crate::read_parquet(&whole.join("matches.parquet"));
    let methods = matches.column("method").unwrap().str().unwrap().clone();
    assert!(methods.iter().any(|m| m == Some("probabilistic")));
    assert!(!summary.flags.is_empty());
    // Registries read whole, and in pieces of a few rows (every registry here has hundreds),
    // by the shards and by the merge alike; the roll read by each shard, or once for all.
    let roll_index = county.dir.path().join("roll-index");
    job::index_roll(&county.pipeline, Some(&county.data), &roll_index, &|_| {}).unwrap();
    for (count, piece_rows, indexed) in [
        (1, job::PIECE_ROWS, false),
        (3, 97, true),
        (8, 1, false),
        (8, 1, true),
    ] {
        let roll_index = indexed.then_some(roll_index.as_path());
        let shard_dirs = run_shards_from(&county, count, piece_rows, roll_index);
        let merged = county.dir.path().join(format!("merged-{count}-{indexed}"));
        // Given in reverse: the order of the shard directories does not matter.
        let reversed: Vec<PathBuf> = shard_dirs.iter().rev().cloned().collect();
        job::merge(
            &county.pipeline,
            Some(&county.data),
            None,
            &reversed,
            piece_rows.max(61),
            &merged,
            &|_| {},
        )
        .unwrap();
        for file in SAME_BYTES {
            assert!(
                std::fs::read(whole.join(file)).unwrap()
                    == std::fs::read(merged.join(file)).unwrap(),
                "{file} differs with {count} shards, {piece_rows} rows a piece, roll index {indexed}"
            );
        }
        assert_eq!(
            manifest_without_times(&whole),
            manifest_without_times(&merged),
            "{count} shards"
        );
    }
    // A shard that loads the roll writes what one that reads the roll's files writes.
    for index in 0..8 {
        let shard_dir = |indexed: bool| {
            county
                .dir
                .path()
                .join(format!("shards-8-1-{indexed}/{index}"))
        };
        let shard_json = |indexed: bool| {
            let text = std::fs::read_to_string(shard_dir(indexed).join("shard.json")).unwrap();
            let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
            json.as_object_mut()
                .unwrap()
                .remove("stage_seconds")
                .unwrap();
            json
        };
        assert_eq!(shard_json(false), shard_json(true), "shard {index}");
        for file in ["pairs.parquet", "kept.parquet"] {
            assert!(
                std::fs::read(shard_dir(false).join(file)).unwrap()
                    == std::fs::read(shard_dir(true).join(file)).unwrap(),
                "shard {index}: {file}"
            );
        }
    }
}

/// `index-roll` writes the roll as ingest typed it: loaded back, the same members and the
/// same input records; a shard refuses an index of another pipeline, or a broken one,
/// naming the file (exit 65), and `--roll-index` means nothing without `--shard`.
#[test]
fn a_roll_index_holds_the_roll_as_read_and_shards_refuse_a_foreign_one() {
    let county = county(300);
    let index = county.dir.path().join("roll-index");
    let written = job::index_roll(&county.pipeline, Some(&county.data), &index, &|_| {}).unwrap();
    let read = rollcheck::ingest::load_roll(&county.pipeline, Some(&county.data)).unwrap();
    let rollcheck::rundir::RollIndex {
        manifest,
        roll,
        relatives,
    } = rollcheck::rundir::read_roll_index(&index).unwrap();
    assert_eq!(manifest, written);
    assert_eq!(roll, read.roll);
    // The relatives a whole run links beside the roll, found once.
    let evaluated = job::evaluate(&county.pipeline, Some(&county.data), fixture_as_of()).unwrap();
    let supporters: Vec<_> = evaluated
        .ingested
        .others
        .into_iter()
        .filter(|other| other.role == rollcheck::model::Role::Supporter)
        .collect();
    assert!(!supporters.is_empty());
    assert_eq!(relatives, supporters);
    assert_eq!(manifest.relatives, Some(relatives.len()));
    assert!(!manifest.relations_files.is_empty());
    assert!(roll
        .iter()
        .any(|m| m.address.is_some() && m.monthly_benefit.is_some()));
    assert_eq!(manifest.files, read.inputs);
    assert_eq!(manifest.households_in_two_roll_files, read.roll_duplicates);

    let shard = |pipeline: &Path, index: &Path| {
        Command::cargo_bin("rollcheck")
            .unwrap()
            .args([
                "run",
                "--shard",
                "0/2",
                "--as-of",
                "2025-06-30",
                "--roll-index",
            ])
            .arg(index)
            .arg(pipeline)
            .arg("--data")
            .arg(&county.data)
            .arg("--out")
            .arg(county.dir.path().join("shard"))
            .output()
            .unwrap()
    };
    let fixed = county.dir.path().join("county-nightly-fixed-model.toml");
    let ok = shard(&fixed, &index);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // A relations file changed since the index was written: its relatives may be others.
    let relations = manifest.relations_files[0].path.clone();
    let original = std::fs::read(&relations).unwrap();
    let mut changed = original.clone();
    changed.extend_from_slice(b"\n");
    std::fs::write(&relations, &changed).unwrap();
    let stale = shard(&fixed, &index);
    let stderr = String::from_utf8_lossy(&stale.stderr);
    assert_eq!(stale.status.code(), Some(65), "{stderr}");
    assert!(
        stderr.contains("roll-index.json") && stderr.contains("other `relations` files"),
        "{stderr}"
    );
    std::fs::write(&relations, &original).unwrap();
    // county-nightly without the fixed parameters is another pipeline.
    let pipeline_index = county.dir.path().join("other-index");
    job::index_roll(
        &county_nightly(),
        Some(&county.data),
        &pipeline_index,
        &|_| {},
    )
    .unwrap();
    let foreign = shard(&fixed, &pipeline_index);
    let stderr = String::from_utf8_lossy(&foreign.stderr);
    assert_eq!(foreign.status.code(), Some(65), "{stderr}");
    assert!(
        stderr.contains("roll-index.json") && stderr.contains("another pipeline"),
        "{stderr}"
    );
    // An index written by another version of rollcheck.
    let json = index.join("roll-index.json");
    let mut written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    written["tool_version"] = "0.0.0".into();
    std::fs::write(&json, written.to_string()).unwrap();
    let other_version = shard(&fixed, &index);
    let stderr = String::from_utf8_lossy(&other_version.stderr);
    assert_eq!(other_version.status.code(), Some(65), "{stderr}");
    assert!(stderr.contains("made by rollcheck 0.0.0"), "{stderr}");
    std::fs::write(&json, "{\"format\": 1}").unwrap();
    let broken = shard(&fixed, &index);
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert_eq!(broken.status.code(), Some(65), "{stderr}");
    assert!(stderr.contains("roll-index.json: cannot read"), "{stderr}");
    let unsharded = Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["run", "--roll-index"])
        .arg(&index)
        .arg(&fixed)
        .output()
        .unwrap();
    assert_eq!(unsharded.status.code(), Some(2));
}

/// A whole run reads registries a piece at a time and holds only what links; the pieces'
/// size changes nothing, the model it trains included (its random pairs for u are drawn by
/// record, not by position).
#[test]
fn a_whole_run_in_pieces_equals_one_read_whole() {
    let dir = temp_dir();
    let data = dir.path().join("data");
    // Enough people and pairs for the run to train its own model.
    let options = SynthOptions {
        households: 2_500,
        seed: 11,
        variant: Variant::Wild,
        as_of: fixture_as_of(),
        mix: rollcheck::synth::Mix::default(),
    };
    synth::write_county(&options, &data).unwrap();
    let pipeline = county_nightly();
    let run = |rows_per_piece: usize| {
        let out = dir.path().join(format!("whole-{rows_per_piece}"));
        job::run_with_progress(
            &pipeline,
            Some(&data),
            fixture_as_of(),
            &out,
            rows_per_piece,
            &|_| {},
        )
        .unwrap();
        out
    };
    let whole = run(job::PIECE_ROWS);
    let model = std::fs::read_to_string(whole.join("model.json")).unwrap();
    assert!(
        model.contains("\"em\""),
        "the run must train its model: {model}"
    );
    for rows_per_piece in [97, 1] {
        let pieces = run(rows_per_piece);
        for file in SAME_BYTES {
            assert!(
                std::fs::read(whole.join(file)).unwrap()
                    == std::fs::read(pieces.join(file)).unwrap(),
                "{file} differs with {rows_per_piece} rows a piece"
            );
        }
    }
}

#[test]
fn merge_refuses_incomplete_mixed_or_foreign_shards() {
    let county = county(300);
    let three = run_shards(&county, 3, job::PIECE_ROWS);
    let two = run_shards(&county, 2, job::PIECE_ROWS);
    let merge = |dirs: &[PathBuf]| {
        let out = county.dir.path().join("merged");
        job::merge(
            &county.pipeline,
            Some(&county.data),
            None,
            dirs,
            job::PIECE_ROWS,
            &out,
            &|_| {},
        )
        .unwrap_err()
        .to_string()
    };
    let err = merge(&three[..2]);
    assert!(err.contains("shards missing: 2 (of 3)"), "{err}");
    let err = merge(&[three[0].clone(), three[0].clone(), three[2].clone()]);
    assert!(err.contains("shard 0/3 is given twice"), "{err}");
    let err = merge(&[three[0].clone(), two[1].clone()]);
    assert!(
        err.contains("shard 1/2, but the other shards are of 3"),
        "{err}"
    );
    // Shards that cut the registries into pieces of other sizes would miss or repeat rows.
    let small_pieces = run_shards(&county, 3, 97);
    let err = merge(&[three[0].clone(), three[1].clone(), small_pieces[2].clone()]);
    assert!(
        err.contains("pieces of 97 rows") && err.contains("same --piece-rows"),
        "{err}"
    );
    let err = merge(std::slice::from_ref(&county.data));
    assert!(err.contains("shard.json"), "{err}");
    // Same shards, another as-of date: another run.
    let out = county.dir.path().join("merged");
    let other_day = fixture_as_of().succ_opt().unwrap();
    let err = job::merge(
        &county.pipeline,
        Some(&county.data),
        Some(other_day),
        &three,
        job::PIECE_ROWS,
        &out,
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("merge must read the same inputs"), "{err}");
    assert!(!out.exists(), "a refused merge writes nothing");
}

/// A shard.json whose as-of date is not a date: merge exits 65 naming the file, no panic.
#[test]
fn a_corrupt_shard_manifest_exits_65_naming_it() {
    let county = county(300);
    let shards = run_shards(&county, 2, job::PIECE_ROWS);
    let manifest = shards[1].join("shard.json");
    let text = crate::read_to_string(&manifest).replace("2025-06-30", "2025-13-45");
    std::fs::write(&manifest, text).unwrap();
    let assert = Command::cargo_bin("rollcheck")
        .unwrap()
        .arg("merge")
        .arg(&county.pipeline.file)
        .args(&shards)
        .arg("--data")
        .arg(&county.data)
        .arg("--out")
        .arg(county.dir.path().join("merged"))
        .assert()
        .code(65);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains(&manifest.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("2025-13-45") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

/// A shard without its name counts or its kept records cannot be merged: the error names
/// the file, and nothing is written.
#[test]
fn a_shard_missing_its_counts_or_kept_records_is_refused_naming_the_file() {
    let county = county(300);
    for file in ["census.parquet", "kept.parquet"] {
        let shards = run_shards(&county, 2, job::PIECE_ROWS);
        let missing = shards[1].join(file);
        std::fs::remove_file(&missing).unwrap();
        let out = county.dir.path().join("merged");
        let err = job::merge(
            &county.pipeline,
            Some(&county.data),
            None,
            &shards,
            job::PIECE_ROWS,
            &out,
            &|_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(&missing.display().to_string()), "{err}");
        assert!(!out.exists(), "a refused merge writes nothing");
    }
}

#[test]
fn shard_and_merge_on_the_command_line() {
    let county = county(300);
    let bin = || Command::cargo_bin("rollcheck").unwrap();
    let trained_free = county.dir.path().join("free");
    // Without fixed parameters a shard cannot know the whole run's model.
    bin()
        .arg("run")
        .arg(crate::repo_path("pipelines/county-nightly.toml"))
        .args(["--data".as_ref(), county.data.as_os_str()])
        .args(["--as-of", "2025-06-30", "--shard", "0/2", "--out"])
        .arg(&trained_free)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("[link] parameters"));
    bin()
        .args(["run", "x.toml", "--shard", "2/2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("0 ≤ K < N"));
    let pipeline = county.pipeline.file.clone();
    let mut dirs = Vec::new();
    for k in 0..2 {
        let dir = county.dir.path().join(format!("cli-shard-{k}"));
        bin()
            .arg("run")
            .arg(&pipeline)
            .args(["--data".as_ref(), county.data.as_os_str()])
            .args([
                "--as-of",
                "2025-06-30",
                "--shard",
                &format!("{k}/2"),
                "--piece-rows",
                "40",
                "--out",
            ])
            .arg(&dir)
            .assert()
            .success()
            .stdout(predicates::str::contains(format!("shard {k}/2 of run")));
        dirs.push(dir);
    }
    let merged = county.dir.path().join("cli-merged");
    bin()
        .arg("merge")
        .arg(&pipeline)
        .args(&dirs)
        .args(["--data".as_ref(), county.data.as_os_str()])
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    let whole = county.dir.path().join("cli-whole");
    job::run(
        &county.pipeline,
        Some(&county.data),
        fixture_as_of(),
        &whole,
    )
    .unwrap();
    assert_eq!(
        std::fs::read(whole.join("flags.parquet")).unwrap(),
        std::fs::read(merged.join("flags.parquet")).unwrap()
    );
    bin()
        .arg("merge")
        .arg(&pipeline)
        .arg(&dirs[0])
        .args(["--data".as_ref(), county.data.as_os_str()])
        .arg("--out")
        .arg(county.dir.path().join("never"))
        .assert()
        .code(65)
        .stderr(predicates::str::contains("shards missing: 1 (of 2)"));
}
