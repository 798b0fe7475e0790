//! Integration tests: one binary, one module per concern.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // tests and benches set up files
#![allow(clippy::unwrap_used)]

mod assist;
mod bad_inputs;
mod cli;
mod crash;
mod explorer;
mod fixtures;
mod fuzz_corpus;
mod generic_link;
mod history;
mod local_rules;
mod many_files;
mod money_truth;
mod privacy;
mod query;
mod recheck;
mod report;
mod review;
mod review_loop;
mod shard;
mod skip;
mod standards;
mod supporters;
mod synthetic;
mod warnings;
mod xlsx;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// The as-of date every fixture is written against.
pub fn fixture_as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn repo_path(relative: &str) -> PathBuf {
    repo_root().join(relative)
}

/// An external program for an optional check: `$env` if set, else the first candidate path
/// that exists; `None` (the test skips and says so) when neither.
pub fn installed_program(env: &str, candidates: &[&str]) -> Option<String> {
    std::env::var(env).ok().or_else(|| {
        candidates
            .iter()
            .find(|p| Path::new(p).exists())
            .map(|p| (*p).to_string())
    })
}

/// A fresh temporary directory for one test.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A query over a run's tables (`rollcheck::inspect::query`), each row's cells as text.
pub fn query_rows(out: &Path, state: &Path, sql: &str) -> Vec<Vec<String>> {
    let frame = rollcheck::inspect::query(out, state, sql).unwrap();
    let columns: Vec<Vec<String>> = frame
        .columns()
        .iter()
        .map(|c| {
            let text = c.cast(&polars::prelude::DataType::String).unwrap();
            text.str()
                .unwrap()
                .iter()
                .map(|v| v.unwrap_or("").to_string())
                .collect()
        })
        .collect();
    (0..frame.height())
        .map(|row| columns.iter().map(|c| c[row].clone()).collect())
        .collect()
}

/// Writes `csv` (a findings file a township hands back) to `path` and imports it into the
/// run in `out` with `rollcheck review import`, which must succeed.
pub fn import_findings_csv(out: &Path, path: &Path, csv: &str) {
    std::fs::write(path, csv).unwrap();
    assert_cmd::Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["review", "import"])
        .arg(out)
        .arg(path)
        .assert()
        .success();
}

pub fn read_to_string(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shipped county pipeline.
pub fn county_nightly() -> rollcheck::config::Pipeline {
    rollcheck::config::Pipeline::load(&repo_path("pipelines/county-nightly.toml")).unwrap()
}

/// county-nightly with `[link] parameters` set to `model_json`, written into `dir`.
pub fn county_nightly_with_parameters(
    dir: &Path,
    model_json: &Path,
) -> rollcheck::config::Pipeline {
    let text = read_to_string(&repo_path("pipelines/county-nightly.toml")).replace(
        "[link]\n",
        &format!(
            "[link]\nparameters = {:?}\n",
            model_json.display().to_string()
        ),
    );
    let path = dir.join("county-nightly-fixed-model.toml");
    std::fs::write(&path, text).unwrap();
    rollcheck::config::Pipeline::load(&path).unwrap()
}

/// A synthetic county written to `<dir>/data` and run through county-nightly into `<dir>/out`.
pub struct SyntheticRun {
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub out: PathBuf,
    pub written: rollcheck::synth::Written,
    pub summary: rollcheck::job::RunSummary,
}

pub fn run_synthetic_county(
    households: usize,
    seed: u64,
    variant: rollcheck::synth::Variant,
) -> SyntheticRun {
    let dir = temp_dir();
    let (data, out) = (dir.path().join("data"), dir.path().join("out"));
    let options = rollcheck::synth::SynthOptions {
        households,
        seed,
        variant,
        as_of: fixture_as_of(),
        mix: rollcheck::synth::Mix::default(),
    };
    let written = rollcheck::synth::write_county(&options, &data).unwrap();
    let summary = rollcheck::job::run(
        &synthetic_pipeline(&written),
        Some(&data),
        fixture_as_of(),
        &out,
    )
    .unwrap();
    SyntheticRun {
        dir,
        data,
        out,
        written,
        summary,
    }
}

/// county-nightly with the population a synthetic county's registries cover
/// (`synth::POPULATION_PER_ROLL_PERSON` people per roll person): what the README asks an
/// operator to set.
pub fn synthetic_pipeline(written: &rollcheck::synth::Written) -> rollcheck::config::Pipeline {
    let mut pipeline = county_nightly();
    #[allow(clippy::cast_precision_loss)]
    let population = rollcheck::synth::POPULATION_PER_ROLL_PERSON * written.members as f64;
    pipeline.link.default_population = population;
    pipeline
}

/// Rows read = rows used + rows quarantined, for every input.
pub fn assert_counts_balance(ingested: &rollcheck::ingest::Ingested) {
    for input in &ingested.inputs {
        assert_eq!(
            input.rows_read,
            input.rows_used + input.rows_quarantined,
            "{}",
            input.path
        );
    }
}

/// A Parquet file read back into a frame.
/// A sheet's first row, every cell as text.
pub fn header_of(range: &calamine::Range<calamine::Data>) -> Vec<String> {
    range
        .rows()
        .next()
        .map(|row| row.iter().map(ToString::to_string).collect())
        .unwrap_or_default()
}

pub fn read_parquet(path: &Path) -> polars::prelude::DataFrame {
    use polars::prelude::SerReader as _;
    polars::prelude::ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// The non-null values of a text column.
pub fn text_values<'f>(frame: &'f polars::prelude::DataFrame, column: &str) -> Vec<&'f str> {
    frame
        .column(column)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect()
}
