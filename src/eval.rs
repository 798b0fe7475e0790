//! Accuracy against a truth file: precision, recall and F1 per reason and overall, where a
//! unit is one (`household_id`, reason) pair; how many true pairs a reviewer would see
//! at all, flagged or as a lead (a `possible` pair in `matches.parquet`); and how a run's
//! `income.parquet` compares with synth's `truth_income.csv`, household by household;
//! (`warnings.rs`) how its early warnings compare with synth's `truth_warnings.csv`; and
//! (`money.rs`) how its overpayment estimates and re-check due list compare with synth's
//! `truth_overpaid.csv` and `truth_recheck.csv`.

mod calibration;
mod money;
mod sheets;
mod warnings;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::model::Reason;
use crate::rundir::names::{FLAGS_CSV, INCOME, MATCHES};
use crate::synth::INCOME_COLUMNS;
pub use calibration::{reliability, reliability_of_run, Reliability};
pub use money::{
    compare_overpaid, compare_recheck, money_of_run, Comparison as MoneyComparison, MoneyCheck,
};
pub use warnings::{compare_warnings, warnings_of_run, WarningScores, WARNINGS_PARQUET};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {message}")]
    Read { path: PathBuf, message: String },
}

/// Counts for one reason (or overall).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl Counts {
    #[allow(clippy::cast_precision_loss)]
    fn ratio(numerator: usize, denominator: usize) -> f64 {
        if denominator == 0 {
            1.0
        } else {
            numerator as f64 / denominator as f64
        }
    }

    pub fn precision(&self) -> f64 {
        Self::ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    pub fn recall(&self) -> f64 {
        Self::ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    fn add(&mut self, other: Counts) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }
}

#[derive(Debug, Clone, Default)]
pub struct Scores {
    pub per_reason: BTreeMap<String, Counts>,
    pub overall: Counts,
}

impl Scores {
    /// A plain-text table for the terminal.
    pub fn table(&self) -> String {
        self.table_of("reason")
    }

    /// The table with `label` heading its first column.
    fn table_of(&self, label: &str) -> String {
        let mut out = format!(
            "{:<22} {:>6} {:>6} {:>6} {:>9} {:>9} {:>9}\n",
            label, "tp", "fp", "fn", "precision", "recall", "f1"
        );
        let rows = self
            .per_reason
            .iter()
            .map(|(r, c)| (r.as_str(), c))
            .chain([("overall", &self.overall)]);
        for (reason, c) in rows {
            let _ = writeln!(
                out,
                "{reason:<22} {:>6} {:>6} {:>6} {:>9.4} {:>9.4} {:>9.4}",
                c.true_positives,
                c.false_positives,
                c.false_negatives,
                c.precision(),
                c.recall(),
                c.f1()
            );
        }
        out
    }
}

/// The table `rollcheck eval` prints.
impl fmt::Display for Scores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.table())
    }
}

/// Compares predicted with true (`household_id`, reason) pairs.
pub fn score(truth: &BTreeSet<(String, String)>, predicted: &BTreeSet<(String, String)>) -> Scores {
    let mut per_reason: BTreeMap<String, Counts> = Reason::ALL
        .iter()
        .map(|r| (r.code().to_string(), Counts::default()))
        .collect();
    for pair in truth.union(predicted) {
        let counts = per_reason.entry(pair.1.clone()).or_default();
        match (truth.contains(pair), predicted.contains(pair)) {
            (true, true) => counts.true_positives += 1,
            (false, true) => counts.false_positives += 1,
            (true, false) => counts.false_negatives += 1,
            (false, false) => {}
        }
    }
    let mut overall = Counts::default();
    for counts in per_reason.values() {
        overall.add(*counts);
    }
    Scores {
        per_reason,
        overall,
    }
}

/// The named columns of a CSV (BOM allowed), each as text; an error names a missing column.
#[allow(clippy::disallowed_methods)] // a truth file is eval's own input
fn read_csv_columns<const N: usize>(
    path: &Path,
    names: [&str; N],
) -> Result<[Vec<String>; N], EvalError> {
    let err = |message: String| EvalError::Read {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
    let mut positions = [0; N];
    for (position, name) in positions.iter_mut().zip(names) {
        *position = headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| err(format!("missing column `{name}`")))?;
    }
    let mut columns: [Vec<String>; N] = std::array::from_fn(|_| Vec::new());
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| err(format!("row {}: {e}", index + 2)))?;
        for (column, position) in columns.iter_mut().zip(positions) {
            column.push(record.get(position).unwrap_or("").to_string());
        }
    }
    Ok(columns)
}

/// The named columns of a Parquet table a run wrote, each as optional text.
fn read_parquet_columns<const N: usize>(
    path: &Path,
    names: [&str; N],
) -> Result<[Vec<Option<String>>; N], EvalError> {
    let err = |e: crate::rundir::OutputError| EvalError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let frame = crate::rundir::read(path).map_err(err)?;
    let mut columns: [Vec<Option<String>>; N] = std::array::from_fn(|_| Vec::new());
    for (column, name) in columns.iter_mut().zip(names) {
        *column = crate::rundir::text_column(&frame, name, path).map_err(err)?;
    }
    Ok(columns)
}

/// Reads (`household_id`, reason) pairs from a CSV with those two columns (BOM allowed).
pub fn read_pairs(path: &Path) -> Result<BTreeSet<(String, String)>, EvalError> {
    let [households, reasons] = read_csv_columns(path, ["household_id", "reason"])?;
    Ok(households.into_iter().zip(reasons).collect())
}

pub fn evaluate_files(truth: &Path, flags_csv: &Path) -> Result<Scores, EvalError> {
    Ok(score(&read_pairs(truth)?, &read_pairs(flags_csv)?))
}

/// True pairs a reviewer sees: flagged, or a lead (a `possible` pair whose registry raises
/// that reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    pub true_pairs: usize,
    pub flagged: usize,
    pub flagged_or_lead: usize,
    /// Flagged, or shown on a township's leads sheet (runs with `leads.parquet`).
    pub flagged_or_on_sheet: Option<usize>,
    /// Households with a lead on a sheet, of all households.
    pub lead_households: Option<(usize, usize)>,
}

impl Coverage {
    #[allow(clippy::cast_precision_loss)]
    pub fn share(&self) -> f64 {
        Counts::ratio(self.flagged_or_lead, self.true_pairs)
    }

    pub fn line(&self) -> String {
        let mut line = format!(
            "true cases flagged or listed as a lead: {} of {} ({:.4}); flagged: {}",
            self.flagged_or_lead,
            self.true_pairs,
            self.share(),
            self.flagged
        );
        if let (Some(on_sheet), Some((shown, households))) =
            (self.flagged_or_on_sheet, self.lead_households)
        {
            let _ = write!(
                line,
                "; flagged or on a leads sheet: {on_sheet} of {} ({:.4}); households with a \
                 lead shown: {shown} of {households} ({:.2}%)",
                self.true_pairs,
                Counts::ratio(on_sheet, self.true_pairs),
                100.0 * Counts::ratio(shown, households)
            );
        }
        line
    }
}

/// The line `rollcheck eval` prints under the table.
impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

/// The (`household_id`, reason) leads of a run: its `possible` pairs, by the reason their
/// registry raises.
pub fn read_leads(matches_parquet: &Path) -> Result<BTreeSet<(String, String)>, EvalError> {
    let err = |e: crate::rundir::OutputError| EvalError::Read {
        path: matches_parquet.to_path_buf(),
        message: e.to_string(),
    };
    let frame = crate::rundir::read(matches_parquet).map_err(err)?;
    let column =
        |name: &str| crate::rundir::text_column(&frame, name, matches_parquet).map_err(err);
    let (households, sources, decisions) = (
        column("household_id")?,
        column("source")?,
        column("decision")?,
    );
    Ok(households
        .into_iter()
        .zip(sources)
        .zip(decisions)
        .filter(|(_, decision)| decision.as_deref() == Some("possible"))
        .filter_map(|((household, source), _)| {
            Some((household?, crate::model::Source::named(source.as_deref()?)?))
        })
        .flat_map(|(household, source)| {
            crate::rules::reading(source)
                .map(move |(reason, _)| (household.clone(), reason.code().to_string()))
        })
        .collect())
}

/// How many true pairs a run flagged or listed as a lead (`out_dir` holds its outputs).
pub fn coverage(truth: &Path, out_dir: &Path) -> Result<Coverage, EvalError> {
    let truth = read_pairs(truth)?;
    let flags = read_pairs(&out_dir.join(FLAGS_CSV))?;
    let leads = read_leads(&out_dir.join(MATCHES))?;
    let sheets = sheets::sheet_leads(out_dir)?;
    Ok(Coverage {
        true_pairs: truth.len(),
        flagged: truth.intersection(&flags).count(),
        flagged_or_lead: truth
            .iter()
            .filter(|pair| flags.contains(*pair) || leads.contains(*pair))
            .count(),
        flagged_or_on_sheet: sheets.as_ref().map(|sheets| {
            truth
                .iter()
                .filter(|pair| flags.contains(*pair) || sheets.shown.contains(*pair))
                .count()
        }),
        lead_households: sheets.map(|s| (s.households_shown, s.households)),
    })
}

/// `coverage` of the run in `out_dir`, if it wrote its matches (a run's leads are there).
pub fn coverage_of_run(truth: &Path, out_dir: &Path) -> Result<Option<Coverage>, EvalError> {
    if !crate::rundir::is_file(&out_dir.join(MATCHES)) {
        return Ok(None);
    }
    coverage(truth, out_dir).map(Some)
}

/// Whether `compare_income` checks a column of `truth_income.csv` (`synth::INCOME_COLUMNS`):
/// all but the key, the region and the planted case; amounts (`*_yuan`) to 0.01 yuan, the
/// rest as text.
fn checked(column: &str) -> bool {
    !matches!(column, "household_id" | "region_code" | "case")
}

fn amount(column: &str) -> bool {
    column.ends_with("_yuan")
}

/// Two amounts agree to 0.01 yuan (blank only with blank).
fn same_amount(a: &str, b: &str) -> bool {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(a), Ok(b)) => (a - b).abs() <= 0.01 + 1e-9,
        _ => a.trim().is_empty() && b.trim().is_empty(),
    }
}

/// One household and column where a run's income table differs from the truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeDifference {
    pub household_id: String,
    pub column: &'static str,
    pub truth: String,
    pub run: String,
}

/// How a run's `income.parquet` compares with `truth_income.csv`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncomeComparison {
    pub households: usize,
    /// Households whose every checked column agrees.
    pub equal: usize,
    pub missing_in_run: Vec<String>,
    pub extra_in_run: Vec<String>,
    pub differences: Vec<IncomeDifference>,
}

impl IncomeComparison {
    pub fn all_equal(&self) -> bool {
        self.missing_in_run.is_empty()
            && self.extra_in_run.is_empty()
            && self.differences.is_empty()
    }
}

impl fmt::Display for IncomeComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "income: {} of {} households equal to 0.01 yuan; {} missing, {} extra",
            self.equal,
            self.households,
            self.missing_in_run.len(),
            self.extra_in_run.len()
        )?;
        for d in self.differences.iter().take(20) {
            writeln!(
                f,
                "  {} {}: truth {} run {}",
                d.household_id, d.column, d.truth, d.run
            )?;
        }
        Ok(())
    }
}

/// A table's rows by household: column → cell.
type ByHousehold = BTreeMap<String, BTreeMap<&'static str, String>>;

/// `truth_income.csv` by household.
#[allow(clippy::disallowed_methods)] // a truth file is eval's own input
fn read_income_truth(path: &Path) -> Result<ByHousehold, EvalError> {
    let err = |message: String| EvalError::Read {
        path: path.to_path_buf(),
        message,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| err(e.to_string()))?;
    let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
    let mut rows = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| err(e.to_string()))?;
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .map(str::to_string)
                .ok_or_else(|| err(format!("missing column `{name}`")))
        };
        let mut row = BTreeMap::new();
        for name in INCOME_COLUMNS.into_iter().filter(|c| checked(c)) {
            row.insert(name, cell(name)?);
        }
        rows.insert(cell("household_id")?, row);
    }
    Ok(rows)
}

/// A run's `income.parquet` by household.
fn read_income_run(path: &Path) -> Result<ByHousehold, EvalError> {
    let err = |e: crate::rundir::OutputError| EvalError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let frame = crate::rundir::read(path).map_err(err)?;
    let column = |name: &str| crate::rundir::text_column(&frame, name, path).map_err(err);
    let households = column("household_id")?;
    let mut rows: ByHousehold = households
        .iter()
        .map(|h| (h.clone().unwrap_or_default(), BTreeMap::new()))
        .collect();
    for name in INCOME_COLUMNS.into_iter().filter(|c| checked(c)) {
        for (household, value) in households.iter().zip(column(name)?) {
            let row = rows
                .entry(household.clone().unwrap_or_default())
                .or_default();
            row.insert(name, value.unwrap_or_default());
        }
    }
    Ok(rows)
}

/// Compares a run's `income.parquet` with synth's `truth_income.csv`: every household on
/// both sides, amounts to 0.01 yuan, programme, member count, action and tier exactly.
pub fn compare_income(truth: &Path, income_parquet: &Path) -> Result<IncomeComparison, EvalError> {
    let (truth, run) = (read_income_truth(truth)?, read_income_run(income_parquet)?);
    let mut comparison = IncomeComparison {
        households: truth.len(),
        extra_in_run: run
            .keys()
            .filter(|h| !truth.contains_key(*h))
            .cloned()
            .collect(),
        ..IncomeComparison::default()
    };
    for (household, expected) in &truth {
        let Some(got) = run.get(household) else {
            comparison.missing_in_run.push(household.clone());
            continue;
        };
        let before = comparison.differences.len();
        for (column, want) in expected {
            let have = got.get(column).cloned().unwrap_or_default();
            let same = if amount(column) {
                same_amount(want, &have)
            } else {
                want.trim() == have.trim()
            };
            if !same {
                comparison.differences.push(IncomeDifference {
                    household_id: household.clone(),
                    column,
                    truth: want.clone(),
                    run: have,
                });
            }
        }
        comparison.equal += usize::from(comparison.differences.len() == before);
    }
    Ok(comparison)
}

/// synth's income truth, beside its `truth.csv`.
pub const TRUTH_INCOME_CSV: &str = "truth_income.csv";
/// `compare_income` of the run in `out_dir` against the `truth_income.csv` beside `truth`,
/// when both exist.
pub fn income_of_run(truth: &Path, out_dir: &Path) -> Result<Option<IncomeComparison>, EvalError> {
    both_exist(truth, TRUTH_INCOME_CSV, out_dir, INCOME)
        .map_or(Ok(None), |(t, run)| compare_income(&t, &run).map(Some))
}

/// The truth file `truth_name` beside `truth` and the run's `run_name` in `out_dir`, when
/// both exist.
fn both_exist(
    truth: &Path,
    truth_name: &str,
    out_dir: &Path,
    run_name: &str,
) -> Option<(PathBuf, PathBuf)> {
    let (truth, run) = (truth.with_file_name(truth_name), out_dir.join(run_name));
    (crate::rundir::is_file(&truth) && crate::rundir::is_file(&run)).then_some((truth, run))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
        items
            .iter()
            .map(|(h, r)| ((*h).to_string(), (*r).to_string()))
            .collect()
    }

    #[test]
    fn counts_hits_misses_and_false_alarms() {
        let truth = pairs(&[
            ("H1", "deceased_member"),
            ("H2", "deceased_member"),
            ("H3", "invalid_id"),
        ]);
        let predicted = pairs(&[
            ("H1", "deceased_member"),
            ("H3", "invalid_id"),
            ("H4", "invalid_id"),
        ]);
        let scores = score(&truth, &predicted);
        let death = scores.per_reason["deceased_member"];
        assert_eq!((death.true_positives, death.false_negatives), (1, 1));
        assert!((death.recall() - 0.5).abs() < 1e-9);
        let invalid = scores.per_reason["invalid_id"];
        assert!((invalid.precision() - 0.5).abs() < 1e-9);
        assert_eq!(scores.overall.true_positives, 2);
    }

    /// A run's income table equal to the truth to 0.01 yuan compares equal; a cent and a half
    /// off, another action, a household missing or extra do not.
    #[test]
    #[allow(clippy::disallowed_methods, clippy::disallowed_types)] // the test writes its files
    fn income_tables_compare_to_a_cent() {
        use polars::prelude::{Column, DataFrame, ParquetWriter};
        let dir = tempfile::tempdir().unwrap();
        let truth = dir.path().join("truth_income.csv");
        std::fs::write(
            &truth,
            "household_id,programme,region_code,n_members,pension_yuan,wage_yuan,support_yuan,\
             income_yuan,per_capita_yuan,standard_yuan,entitlement_yuan,paid_yuan,action,tier,case\n\
             H1,dibao_rural,411526101001,2,0.00,700.00,500.00,1200.00,600.00,600.00,0.00,1100.00,stop,dibao,\n\
             H2,linshi,411526101002,1,0.00,0.00,0.00,0.00,0.00,,,300.00,,,\n",
        )
        .unwrap();
        let write = |per_capita: f64, action: &str, second: &str| {
            let path = dir.path().join("income.parquet");
            let mut columns = vec![
                Column::new("household_id".into(), ["H1", second]),
                Column::new("programme".into(), ["dibao_rural", "linshi"]),
                Column::new("n_members".into(), [2i64, 1]),
                Column::new("per_capita_yuan".into(), [per_capita, 0.0]),
                Column::new("standard_yuan".into(), [Some(600.0), None]),
                Column::new("entitlement_yuan".into(), [Some(0.0), None]),
                Column::new("action".into(), [Some(action), None]),
                Column::new("tier".into(), [Some("dibao"), None]),
            ];
            for (name, values) in [
                ("pension_yuan", [0.0, 0.0]),
                ("wage_yuan", [700.0, 0.0]),
                ("support_yuan", [500.004, 0.0]),
                ("income_yuan", [1200.0, 0.0]),
                ("paid_yuan", [1100.0, 300.0]),
            ] {
                columns.push(Column::new(name.into(), values));
            }
            let mut frame = DataFrame::new_infer_height(columns).unwrap();
            ParquetWriter::new(std::fs::File::create(&path).unwrap())
                .finish(&mut frame)
                .unwrap();
            compare_income(&truth, &path).unwrap()
        };
        let same = write(600.0049, "stop", "H2");
        assert!(same.all_equal(), "{same}");
        assert_eq!(same.equal, 2);
        let off = write(600.015, "keep", "H3");
        assert_eq!(off.equal, 0);
        let columns: Vec<&str> = off.differences.iter().map(|d| d.column).collect();
        assert_eq!(columns, ["action", "per_capita_yuan"]);
        assert_eq!(
            (off.missing_in_run.as_slice(), off.extra_in_run.as_slice()),
            (&["H2".to_string()][..], &["H3".to_string()][..])
        );
    }
}
