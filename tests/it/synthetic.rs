//! Synthetic counties end to end: accuracy against the planted truth, quarantine of the
//! messy variant's unreadable rows, balanced counts, and repeatability.

use std::collections::{BTreeMap, BTreeSet};

use rollcheck::config::Pipeline;
use rollcheck::eval;
use rollcheck::job;
use rollcheck::model::{Reason, Source};
use rollcheck::synth::{self, SynthOptions, Variant};

use crate::{
    county_nightly, county_nightly_with_parameters, fixture_as_of, run_synthetic_county,
    synthetic_pipeline, temp_dir,
};

fn options(households: usize, variant: Variant) -> SynthOptions {
    SynthOptions {
        households,
        seed: 11,
        variant,
        as_of: fixture_as_of(),
        mix: rollcheck::synth::Mix::default(),
    }
}

/// The supporters' reasons, which a pipeline can raise only where it reads `relations`.
const SUPPORTER_REASONS: [Reason; 2] = [Reason::IncomeOverStandard, Reason::SupporterCapacity];

/// The planted (household, reason) pairs `pipeline` can be held to: all of them, but the
/// supporters' reasons only where it reads the relations registry.
fn truth_for(pipeline: &Pipeline, data: &std::path::Path) -> BTreeSet<(String, String)> {
    let mut truth = eval::read_pairs(&data.join("truth.csv")).unwrap();
    if !pipeline.sources.contains_key(&Source::Relations) {
        truth.retain(|(_, reason)| SUPPORTER_REASONS.iter().all(|r| r.code() != reason));
    }
    truth
}

/// Scores of `flags.csv` in `out` against the truth `pipeline` can be held to.
fn scores_for(pipeline: &Pipeline, data: &std::path::Path, out: &std::path::Path) -> eval::Scores {
    let flags = eval::read_pairs(&out.join("flags.csv")).unwrap();
    let mut scores = eval::score(&truth_for(pipeline, data), &flags);
    if !pipeline.sources.contains_key(&Source::Relations) {
        for reason in SUPPORTER_REASONS {
            scores.per_reason.remove(reason.code());
        }
    }
    scores
}

/// Runs county-nightly over a synthetic county and returns its scores and manifest.
fn run_county(
    variant: Variant,
) -> (
    eval::Scores,
    serde_json::Value,
    synth::Written,
    eval::Reliability,
) {
    let run = run_synthetic_county(3000, 11, variant);
    let scores = scores_for(&synthetic_pipeline(&run.written), &run.data, &run.out);
    // Every household's income and proposed entitlement, to 0.01 yuan (contract v3).
    let income = eval::compare_income(
        &run.data.join("truth_income.csv"),
        &run.out.join(rollcheck::rundir::names::INCOME),
    )
    .unwrap();
    assert!(income.households > 0);
    assert!(income.all_equal(), "{income:?}");
    // Scores mean what they say: in every band of 100 or more scored pairs, the share that
    // truly is one person is within 0.02 of the mean score.
    let reliability = eval::reliability_of_run(&run.data.join("truth.csv"), &run.out)
        .unwrap()
        .expect("synth writes truth_record_owners.csv");
    assert!(reliability.largest_gap() <= 0.02, "{reliability}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.out.join("manifest.json")).unwrap())
            .unwrap();
    (scores, manifest, run.written, reliability)
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
    let (scores, manifest, written, _) = run_county(Variant::Clean);
    assert_accurate(&scores);
    // One file per source the pipeline reads and synth wrote (an optional source may be absent).
    let sources = county_nightly()
        .sources
        .keys()
        .filter(|s| **s == Source::Roll || written.rows_per_source.contains_key(*s))
        .count();
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), sources);
}

#[test]
fn messy_county_is_flagged_accurately_and_quarantines_unreadable_rows() {
    let (scores, manifest, written, _) = run_county(Variant::Messy);
    assert_accurate(&scores);
    let read = county_nightly().sources;
    let unreadable: usize = written
        .unreadable_per_source
        .iter()
        .filter(|(source, _)| read.contains_key(source))
        .map(|(_, rows)| rows)
        .sum();
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
    assert_eq!(quarantined, unreadable as u64);
    assert_eq!(encodings["roll"], "gb18030");
    assert_eq!(encodings["death"], "utf-8-bom");
    assert_eq!(encodings["pension"], "parquet");
}

#[test]
fn hard_county_meets_the_matching_targets() {
    let (scores, manifest, _, reliability) = run_county(Variant::Hard);
    let table = scores.table();
    // The reliability check in `run_county` has scored pairs to judge here.
    assert!(reliability.judged_bands() >= 1, "{reliability}");
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

#[test]
fn a_parameters_file_from_before_masked_ids_is_a_pipeline_error() {
    // Six ID levels: written before masked_agree and masked_disagree existed.
    let dir = temp_dir();
    let old = r#"{"lambda": 0.0001, "source": "em", "em_iterations": 5,
        "m": [[0.7,0.15,0.03,0.01,0.005,0.105],[0.91,0.04,0.03,0.02],[0.8,0.03,0.01,0.01,0.15],[0.3,0.2,0.3,0.05,0.15],[0.85,0.005,0.145]],
        "u": [[1e-6,1e-6,1e-5,1e-6,0.9,0.09998],[0.0012,0.002,0.01,0.9868],[0.00005,0.002,0.00005,0.85,0.1479],[0.01,0.05,0.6,0.19,0.15],[0.45,0.45,0.1]]}"#;
    std::fs::write(dir.path().join("model.json"), old).unwrap();
    let err = Pipeline::parse(
        "[sources.roll]\n[link]\nparameters = \"model.json\"\n",
        &dir.path().join("p.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("link.parameters") && err.contains("another version"),
        "{err}"
    );
}

/// One row of `truth_records.csv`: a record the wild variant built to be a member, or
/// someone else.
struct RecordTruth {
    source: String,
    record_id: String,
    member_id: String,
    same_person: bool,
    case: String,
}

fn read_record_truth(path: &std::path::Path) -> Vec<RecordTruth> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .deserialize::<BTreeMap<String, String>>()
        .map(|row| {
            let row = row.unwrap();
            RecordTruth {
                source: row["source"].clone(),
                record_id: row["record_id"].clone(),
                member_id: row["member_id"].clone(),
                same_person: row["same_person"] == "true",
                case: row["case"].clone(),
            }
        })
        .collect()
}

/// Masked IDs and blank-ID namesakes (issue 19): every masked record of a member that states
/// a birth date is matched to that member as `masked_id`; no masked decoy (another person's
/// visible digits) is matched to anyone; namesakes of common names stay leads; the flags
/// keep their precision and every true case is flagged or listed as a lead.
#[test]
fn wild_county_matches_masked_ids_and_holds_back_namesakes() {
    use rollcheck::link::{Decision, Method};
    let dir = temp_dir();
    let data = dir.path().join("data");
    let written = synth::write_county(&options(10_000, Variant::Wild), &data).unwrap();
    let pipeline = synthetic_pipeline(&written);
    let evaluation = job::evaluate(&pipeline, Some(&data), fixture_as_of()).unwrap();
    let ingested = &evaluation.ingested;
    let accepted: BTreeMap<(String, String), (String, Method)> = evaluation
        .links
        .matches
        .iter()
        .filter(|m| m.decision == Decision::Accepted)
        .map(|m| {
            let record = &ingested.registries[m.registry_idx].records[m.record_idx];
            (
                (m.source.code().to_string(), record.record_id.clone()),
                (ingested.roll[m.member_idx].member_id.clone(), m.method),
            )
        })
        .collect();
    // A run holds only the records that link; the truth names others too.
    let read = rollcheck::ingest::load(&pipeline, Some(&data)).unwrap();
    let records: BTreeMap<(String, String), &rollcheck::ingest::RegistryRecord> = read
        .registries
        .iter()
        .flat_map(|r| {
            r.records.iter().map(move |record| {
                (
                    (r.source.code().to_string(), record.record_id.clone()),
                    record,
                )
            })
        })
        .collect();
    let truths = read_record_truth(&data.join("truth_records.csv"));
    let (mut masked_found, mut decoys, mut namesakes, mut namesakes_taken) = (0, 0, 0, 0);
    for truth in &truths {
        let key = (truth.source.clone(), truth.record_id.clone());
        let record = records[&key];
        let masked = record
            .person
            .id_number
            .as_deref()
            .is_some_and(|id| id.contains('*') || id.contains('＊'));
        let taken = accepted.get(&key);
        if truth.same_person && masked && record.person.birth_date.is_some() {
            assert_eq!(
                taken.map(|(member, _)| member.as_str()),
                Some(truth.member_id.as_str()),
                "masked record {key:?} of {} ({})",
                truth.member_id,
                truth.case
            );
            assert_eq!(taken.unwrap().1, Method::MaskedId, "{key:?}");
            masked_found += 1;
        }
        if !truth.same_person && masked {
            assert_eq!(taken, None, "masked decoy {key:?} ({}) matched", truth.case);
            decoys += 1;
        }
        if truth.case == "blank-ID namesake" {
            namesakes += 1;
            namesakes_taken += usize::from(taken.is_some());
        }
    }
    assert!(
        masked_found >= 100 && decoys >= 50 && namesakes >= 5,
        "{masked_found} masked records, {decoys} decoys, {namesakes} namesakes"
    );
    // A namesake is taken only where the estimate falls under the threshold while the
    // synthetic population gave the name a namesake: the boundary, a few at most.
    assert!(
        namesakes_taken * 20 <= namesakes,
        "{namesakes_taken} of {namesakes} namesakes matched"
    );
    let truth = truth_for(&pipeline, &data);
    let flagged: std::collections::BTreeSet<(String, String)> = evaluation
        .flags
        .iter()
        .map(|f| (f.household_id.clone(), f.reason.code().to_string()))
        .collect();
    let scores = eval::score(&truth, &flagged);
    assert!(scores.overall.precision() >= 0.995, "{}", scores.table());
    assert!(scores.overall.recall() >= 0.95, "{}", scores.table());
}

/// `synth --registry-scale 3`: every registry is a directory of three parts in mixed
/// formats, the run reads all of them, and the planted flags are still found, and only they.
#[test]
fn a_county_with_registries_three_times_as_large_reads_every_part() {
    let dir = temp_dir();
    let data = dir.path().join("data");
    let options = options(3000, Variant::Messy);
    let base = synth::generate(&options);
    let written = synth::write_county_scaled(&options, &data, 3).unwrap();
    let base_rows: usize = base.registries.values().map(Vec::len).sum();
    // Two more batches about people off the roll; the county's own rows also hold its
    // supporters and contributions, which the batches do not repeat.
    assert!(
        written.registry_rows > base_rows * 3 / 2,
        "{} registry rows, {base_rows} in the county",
        written.registry_rows
    );
    let out = dir.path().join("out");
    job::run(&county_nightly(), Some(&data), fixture_as_of(), &out).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let pipeline = county_nightly();
    let mut used = 0;
    let mut expected = 0;
    for source in pipeline
        .sources
        .keys()
        .filter(|s| **s != Source::Roll && written.rows_per_source.contains_key(*s))
    {
        expected += written.rows_per_source[source];
        let totals = &manifest["source_totals"][source.code()];
        // The early-warning registries scale on their own (`--signal-scale`): one file here.
        let files = if Source::SIGNALS.contains(source) {
            1
        } else {
            3
        };
        assert_eq!(totals["files"], files, "{source:?}: {totals}");
        used += totals["rows_used"].as_u64().unwrap();
    }
    assert_eq!(used, expected as u64);
    let scores = scores_for(&pipeline, &data, &out);
    assert_accurate(&scores);
}

/// The early-warning registries are files like the others: the contract's columns (in
/// Chinese where the variant writes Chinese headers), every row written readable back in
/// the variant's format and encoding, the unreadable ones appended; and their truth.
#[test]
fn the_early_warning_registries_are_written_with_the_contracts_columns() {
    for variant in [Variant::Clean, Variant::Messy] {
        let dir = temp_dir();
        let written = synth::write_county(&options(400, variant), dir.path()).unwrap();
        for registry in synth::SignalRegistry::ALL {
            let file = ["csv", "parquet"]
                .iter()
                .map(|ext| dir.path().join(format!("{}.{ext}", registry.code())))
                .find(|p| p.exists())
                .unwrap_or_else(|| panic!("{variant:?}: no {} file", registry.code()));
            // CSV through ingest's reader (GBK and BOM decoded, a ragged row kept as a row).
            let (headers, len) = if file.extension().is_some_and(|e| e == "csv") {
                let table = rollcheck::ingest::read_csv(&std::fs::read(&file).unwrap()).unwrap();
                (table.headers, table.rows.len())
            } else {
                let table = rollcheck::ingest::read_text_table(&file).unwrap();
                let len = table.len();
                (table.headers, len)
            };
            let names: Vec<&str> = registry.columns().iter().map(|c| c.name).collect();
            let chinese: Vec<&str> = registry.columns().iter().map(|c| c.aliases[0]).collect();
            assert!(
                headers == names || headers == chinese,
                "{variant:?} {file:?}: {headers:?}"
            );
            let rows = written.signal_rows[&registry] + written.signal_unreadable[&registry];
            assert_eq!(len, rows, "{variant:?} {file:?}");
            assert!(written.signal_rows[&registry] > 0);
        }
        let truth = std::fs::read_to_string(dir.path().join(synth::TRUTH_WARNINGS_CSV)).unwrap();
        let header = truth.lines().next().unwrap();
        assert_eq!(header, synth::WARNING_COLUMNS.join(","));
        assert_eq!(truth.lines().count(), written.truth_warnings + 1);
        let cases = dir.path().join(synth::TRUTH_WARNING_CASES_CSV);
        let cases = std::fs::read_to_string(cases).unwrap();
        assert!(cases.starts_with("case,person_key,valid_id,household_id,warning\n"));
        assert!(cases.lines().count() > truth.lines().count(), "decoys too");
    }
}

/// Training counts every blocked pair but holds only the likely ones (issue 32: memory flat
/// in registry rows). Holding nothing and linking the registries again under the trained
/// model must give the same model, pairs and flags; the default holds enough not to need
/// the second pass.
#[test]
fn training_that_holds_only_likely_pairs_loses_none() {
    use rollcheck::link::Holding;
    for variant in [Variant::Hard, Variant::Wild] {
        let dir = temp_dir();
        let data = dir.path().join("data");
        let written = synth::write_county(&options(1500, variant), &data).unwrap();
        let pipeline = synthetic_pipeline(&written);
        let run = |holding| job::evaluate_holding(&pipeline, Some(&data), fixture_as_of(), holding);
        let likely = run(Holding::Likely).unwrap();
        let nothing = run(Holding::Nothing).unwrap();
        assert_eq!(
            likely.links.parameters.source, "em",
            "{variant:?} must train"
        );
        assert_eq!(likely.registry_passes, 1, "{variant:?}");
        assert_eq!(nothing.registry_passes, 2, "{variant:?}");
        assert_eq!(
            likely.links.parameters, nothing.links.parameters,
            "{variant:?}"
        );
        let pairs = |evaluation: &job::Evaluation| -> Vec<String> {
            let registries = &evaluation.ingested.registries;
            evaluation
                .links
                .matches
                .iter()
                .chain(&evaluation.links.others)
                .map(|m| {
                    let record = &registries[m.registry_idx].records[m.record_idx];
                    format!(
                        "{} {} {} {:?} {:?} {}",
                        m.member_idx,
                        m.source.code(),
                        record.record_id,
                        m.method,
                        m.decision,
                        m.score
                    )
                })
                .collect()
        };
        let likely_pairs = pairs(&likely);
        assert!(
            likely_pairs.len() > 1000,
            "{variant:?}: {}",
            likely_pairs.len()
        );
        assert_eq!(likely_pairs, pairs(&nothing), "{variant:?}");
        let flags = |evaluation: &job::Evaluation| format!("{:?}", evaluation.flags);
        assert_eq!(flags(&likely), flags(&nothing), "{variant:?}");
        assert!(!likely.flags.is_empty(), "{variant:?}");
    }
}

/// A supporter named with a masked ID in one parent's `relations` row and in full in the
/// other's is one supporter, who splits what they owe between the two households (contract:
/// one person "same valid ID; else same name + birth date"). With half the supporters' rows
/// masked, every "one supporter of both parents" household's income equals the truth.
#[test]
fn a_supporter_named_masked_and_in_full_supports_both_households_once() {
    let dir = temp_dir();
    let (data, out) = (dir.path().join("data"), dir.path().join("out"));
    let shape = synth::SupporterShape {
        masked_ids: Some(0.5),
        ..synth::SupporterShape::default()
    };
    let written = synth::write_county_shaped(
        &SynthOptions {
            seed: 5,
            ..options(3000, Variant::Wild)
        },
        &data,
        1,
        &shape,
        &synth::WarningShape::default(),
    )
    .unwrap();
    job::run(
        &synthetic_pipeline(&written),
        Some(&data),
        fixture_as_of(),
        &out,
    )
    .unwrap();
    let income = eval::compare_income(
        &data.join("truth_income.csv"),
        &out.join(rollcheck::rundir::names::INCOME),
    )
    .unwrap();
    let truth = std::fs::read_to_string(data.join("truth_income.csv")).unwrap();
    let shared: BTreeSet<&str> = truth
        .lines()
        .filter(|line| line.ends_with(",one supporter of both parents"))
        .filter_map(|line| line.split(',').next())
        .collect();
    assert!(shared.len() >= 4, "{} shared households", shared.len());
    let wrong: Vec<_> = income
        .differences
        .iter()
        .filter(|d| shared.contains(d.household_id.as_str()))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}
