//! Synthetic counties end to end: accuracy against the planted truth, quarantine of the
//! messy variant's unreadable rows, balanced counts, and repeatability.

use std::collections::BTreeMap;

use rollcheck::config::Pipeline;
use rollcheck::eval;
use rollcheck::job;
use rollcheck::synth::{self, SynthOptions, Variant};

use crate::{
    county_nightly, county_nightly_with_parameters, fixture_as_of, run_synthetic_county, temp_dir,
};

fn options(households: usize, variant: Variant) -> SynthOptions {
    SynthOptions {
        households,
        seed: 11,
        variant,
        as_of: fixture_as_of(),
    }
}

/// Runs county-nightly over a synthetic county and returns its scores and manifest.
fn run_county(variant: Variant) -> (eval::Scores, serde_json::Value, synth::Written) {
    let run = run_synthetic_county(3000, 11, variant);
    let scores =
        eval::evaluate_files(&run.data.join("truth.csv"), &run.out.join("flags.csv")).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.out.join("manifest.json")).unwrap())
            .unwrap();
    (scores, manifest, run.written)
}

fn assert_accurate(scores: &eval::Scores) {
    let table = scores.table();
    assert!(scores.overall.precision() >= 0.99, "{table}");
    assert!(scores.overall.recall() >= 0.99, "{table}");
    for (reason, counts) in &scores.per_reason {
        assert!(
            counts.true_positives > 0,
            "no planted {reason} found\n{table}"
        );
        assert!(
            counts.precision() >= 0.99 && counts.recall() >= 0.99,
            "{reason}\n{table}"
        );
    }
}

#[test]
fn clean_county_is_flagged_accurately() {
    let (scores, manifest, _) = run_county(Variant::Clean);
    assert_accurate(&scores);
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 7);
}

#[test]
fn messy_county_is_flagged_accurately_and_quarantines_unreadable_rows() {
    let (scores, manifest, written) = run_county(Variant::Messy);
    assert_accurate(&scores);
    let mut quarantined = 0;
    let mut encodings = BTreeMap::new();
    for input in manifest["inputs"].as_array().unwrap() {
        let (read, used, quarantine) = (
            input["rows_read"].as_u64().unwrap(),
            input["rows_used"].as_u64().unwrap(),
            input["rows_quarantined"].as_u64().unwrap(),
        );
        assert_eq!(read, used + quarantine, "{input}");
        quarantined += quarantine;
        encodings.insert(
            input["source"].as_str().unwrap().to_string(),
            input["encoding"].as_str().unwrap().to_string(),
        );
    }
    assert_eq!(quarantined, written.unreadable_rows as u64);
    assert_eq!(encodings["roll"], "gb18030");
    assert_eq!(encodings["death"], "utf-8-bom");
    assert_eq!(encodings["pension"], "parquet");
}

#[test]
fn hard_county_meets_the_matching_targets() {
    let (scores, manifest, _) = run_county(Variant::Hard);
    let table = scores.table();
    assert!(
        scores.overall.precision() >= 0.995 && scores.overall.recall() >= 0.99,
        "{table}"
    );
    let deaths = scores.per_reason["deceased_member"];
    assert!(
        deaths.precision() >= 0.995 && deaths.recall() >= 0.99,
        "{table}"
    );
    assert_eq!(manifest["link_model"], "em");
    assert!(
        manifest["candidate_pairs_per_rule"]["id_masked"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(
        manifest["matches_per_source"]["death.accepted"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn same_options_give_the_same_county() {
    let a = synth::generate(&options(300, Variant::Messy));
    let b = synth::generate(&options(300, Variant::Messy));
    assert_eq!(a.roll, b.roll);
    assert_eq!(a.truth, b.truth);
}

#[test]
fn saved_model_parameters_are_reused_instead_of_training() {
    let dir = temp_dir();
    let data = dir.path().join("data");
    synth::write_county(&options(1500, Variant::Hard), &data).unwrap();
    let trained = dir.path().join("trained");
    job::run(&county_nightly(), Some(&data), fixture_as_of(), &trained).unwrap();
    let pipeline = county_nightly_with_parameters(dir.path(), &trained.join("model.json"));
    let reused = dir.path().join("reused");
    job::run(&pipeline, Some(&data), fixture_as_of(), &reused).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reused.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["link_model"], "file");
    let flags = |out: &std::path::Path| eval::read_pairs(&out.join("flags.csv")).unwrap();
    assert_eq!(flags(&trained), flags(&reused));
}

#[test]
fn a_broken_parameters_file_is_a_pipeline_error_naming_the_key() {
    let dir = temp_dir();
    std::fs::write(dir.path().join("model.json"), "{\"lambda\": \"high\"}").unwrap();
    let err = Pipeline::parse(
        "[sources.roll]\n[link]\nparameters = \"model.json\"\n",
        &dir.path().join("p.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("link.parameters") && err.contains("model.json"),
        "{err}"
    );
}
