//! Early-warning accuracy: a run's `warnings.parquet` against synth's `truth_warnings.csv`,
//! precision and recall per warning (`should_cover`, `should_raise`) where a unit is one
//! (warning, `person_key`) pair, and, among the pairs found, whether the run's signals and
//! (for `should_raise`) household agree with the truth's.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use super::{Counts, EvalError, Scores};
use crate::synth::TRUTH_WARNINGS_CSV;

/// The run's early-warning table (contract v3, "Early warning").
pub const WARNINGS_PARQUET: &str = "warnings.parquet";

/// The warnings the contract defines, each scored even when neither side has one.
const KINDS: [&str; 2] = ["should_cover", "should_raise"];

/// One (warning, person) pair: its household and signals as one side states them.
type Units = BTreeMap<(String, String), (String, BTreeSet<String>)>;

/// How a run's warnings compare with the truth.
#[derive(Debug, Clone, Default)]
pub struct WarningScores {
    /// Per warning and overall, as `Scores` is per reason.
    pub scores: Scores,
    /// Pairs found in both whose signals are the same set, of all found.
    pub signals_agree: usize,
    /// `should_raise` pairs found whose household is the truth's, of all found.
    pub households_agree: usize,
    pub raised_found: usize,
    /// The first pairs found whose signals or household differ, as text.
    pub differences: Vec<String>,
}

impl fmt::Display for WarningScores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scores.table_of("warning"))?;
        writeln!(
            f,
            "warnings found: signals agree on {} of {}; households agree on {} of {} raised",
            self.signals_agree,
            self.scores.overall.true_positives,
            self.households_agree,
            self.raised_found
        )?;
        for d in self.differences.iter().take(20) {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

/// Signal codes in a cell: joined by `;` (also `,`, `、` or spaces, as a table may write
/// them).
fn signal_set(cell: &str) -> BTreeSet<String> {
    cell.split([';', ',', '，', '、', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn units(columns: [Vec<Option<String>>; 4]) -> Units {
    let [warnings, keys, households, signals] = columns;
    let text = |v: Option<String>| v.unwrap_or_default().trim().to_string();
    warnings
        .into_iter()
        .zip(keys)
        .zip(households.into_iter().zip(signals))
        .map(|((w, k), (h, s))| ((text(w), text(k)), (text(h), signal_set(&text(s)))))
        .collect()
}

const COLUMNS: [&str; 4] = ["warning", "person_key", "household_id", "signals"];

/// `truth_warnings.csv` (BOM allowed) as units.
fn read_truth(path: &Path) -> Result<Units, EvalError> {
    let columns = super::read_csv_columns(path, COLUMNS)?;
    Ok(units(columns.map(|c| c.into_iter().map(Some).collect())))
}

/// A run's `warnings.parquet` as units.
fn read_run(path: &Path) -> Result<Units, EvalError> {
    Ok(units(super::read_parquet_columns(path, COLUMNS)?))
}

/// Compares a run's `warnings.parquet` with synth's `truth_warnings.csv`.
pub fn compare_warnings(truth: &Path, warnings_parquet: &Path) -> Result<WarningScores, EvalError> {
    let (truth, run) = (read_truth(truth)?, read_run(warnings_parquet)?);
    let mut result = WarningScores::default();
    let mut per: BTreeMap<String, Counts> = KINDS
        .iter()
        .map(|k| ((*k).to_string(), Counts::default()))
        .collect();
    let keys: BTreeSet<&(String, String)> = truth.keys().chain(run.keys()).collect();
    for key in keys {
        let counts = per.entry(key.0.clone()).or_default();
        match (truth.get(key), run.get(key)) {
            (Some(want), Some(got)) => {
                counts.true_positives += 1;
                let signals = want.1 == got.1;
                result.signals_agree += usize::from(signals);
                let raised = key.0 == "should_raise";
                let household = !raised || want.0 == got.0;
                result.raised_found += usize::from(raised);
                result.households_agree += usize::from(raised && household);
                if !(signals && household) {
                    result.differences.push(format!(
                        "{} {}: truth {} [{}], run {} [{}]",
                        key.0,
                        key.1,
                        want.0,
                        join(&want.1),
                        got.0,
                        join(&got.1)
                    ));
                }
            }
            (Some(_), None) => counts.false_negatives += 1,
            (None, Some(_)) => counts.false_positives += 1,
            (None, None) => {}
        }
    }
    let mut overall = Counts::default();
    for counts in per.values() {
        overall.add(*counts);
    }
    result.scores = Scores {
        per_reason: per,
        overall,
    };
    Ok(result)
}

fn join(signals: &BTreeSet<String>) -> String {
    signals.iter().cloned().collect::<Vec<_>>().join(";")
}

/// `compare_warnings` of the run in `out_dir` against the `truth_warnings.csv` beside
/// `truth`, when both exist.
pub fn warnings_of_run(truth: &Path, out_dir: &Path) -> Result<Option<WarningScores>, EvalError> {
    super::both_exist(truth, TRUTH_WARNINGS_CSV, out_dir, WARNINGS_PARQUET)
        .map_or(Ok(None), |(t, run)| compare_warnings(&t, &run).map(Some))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run that finds two of three people to raise or cover, raises one in another
    /// household, lists the signals in another order, and warns one person too many.
    #[test]
    #[allow(clippy::disallowed_methods, clippy::disallowed_types)] // the test writes its files
    fn warnings_score_per_kind_by_person_and_check_signals_and_households() {
        use polars::prelude::{Column, DataFrame, ParquetWriter};
        let dir = tempfile::tempdir().unwrap();
        let truth = dir.path().join(TRUTH_WARNINGS_CSV);
        std::fs::write(
            &truth,
            "warning,person_key,household_id,signals,case\n\
             should_cover,411526195001010011,,severe_disability,a\n\
             should_cover,411526195001010029,,medical_burden,b\n\
             should_raise,411526195001010037,H000001,severe_disability;medical_burden,c\n\
             should_raise,411526195001010045,H000002,severe_disability,d\n",
        )
        .unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        assert!(
            warnings_of_run(&truth, &out).unwrap().is_none(),
            "no run table yet"
        );
        let keys = [
            "411526195001010011",
            "411526195001010037",
            "411526195001010045",
            "41152619500101005X",
        ];
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new(
                "warning".into(),
                [
                    "should_cover",
                    "should_raise",
                    "should_raise",
                    "should_cover",
                ],
            ),
            Column::new("person_key".into(), keys),
            Column::new(
                "household_id".into(),
                [None, Some("H000001"), Some("H000009"), None],
            ),
            Column::new(
                "signals".into(),
                [
                    "severe_disability",
                    "medical_burden;severe_disability",
                    "severe_disability",
                    "medical_burden",
                ],
            ),
            Column::new("name".into(), ["甲", "乙", "丙", "丁"]),
        ])
        .unwrap();
        let path = out.join(WARNINGS_PARQUET);
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        let scores = warnings_of_run(&truth, &out).unwrap().unwrap();
        let cover = scores.scores.per_reason["should_cover"];
        let raise = scores.scores.per_reason["should_raise"];
        assert_eq!(
            (
                cover.true_positives,
                cover.false_positives,
                cover.false_negatives
            ),
            (1, 1, 1)
        );
        assert_eq!(
            (
                raise.true_positives,
                raise.false_positives,
                raise.false_negatives
            ),
            (2, 0, 0)
        );
        assert!((cover.precision() - 0.5).abs() < 1e-9 && (raise.recall() - 1.0).abs() < 1e-9);
        assert_eq!(scores.signals_agree, 3);
        assert_eq!((scores.households_agree, scores.raised_found), (1, 2));
        assert_eq!(scores.differences.len(), 1);
        let text = scores.to_string();
        assert!(text.starts_with("warning "), "{text}");
        assert!(text.contains("signals agree on 3 of 3; households agree on 1 of 2"));
        // A table without the signals is not scored silently.
        let mut bare = frame.drop("signals").unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut bare)
            .unwrap();
        let error = compare_warnings(&truth, &path).unwrap_err().to_string();
        assert!(error.contains("signals"), "{error}");
    }
}
