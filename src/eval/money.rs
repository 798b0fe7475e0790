//! How a run's money figures compare with synth's money truth: each true flag's `since` and
//! `overpaid_yuan` in `flags.csv` against `truth_overpaid.csv` (to 0.01 yuan), and
//! `recheck_due.parquet` against `truth_recheck.csv`, household by household (class, last
//! check and due date). The truth assumes the shipped county-nightly defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::{both_exist, read_csv_columns, same_amount, EvalError};
use crate::rundir::names::{FLAGS_CSV, RECHECK_DUE};
pub use crate::synth::{TRUTH_OVERPAID_CSV, TRUTH_RECHECK_CSV};

/// How many differences a comparison lists.
const SHOWN: usize = 10;

/// One key where a run differs from the truth: what the truth says and what the run says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub key: String,
    pub truth: String,
    pub run: String,
}

/// Which money figures a `Comparison` is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MoneyCheck {
    /// Each true flag's `since` and `overpaid_yuan` against `truth_overpaid.csv`.
    #[default]
    Overpaid,
    /// `recheck_due.parquet` against `truth_recheck.csv`.
    Recheck,
}

/// How a run's money figures compare with synth's truth.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    pub check: MoneyCheck,
    /// True flags of the six reasons the run raised, or households due by the truth.
    pub compared: usize,
    /// Of those, the ones equal to the truth.
    pub equal: usize,
    /// True flags the run did not raise (the flags' table counts them; not compared), or
    /// households the run lists that the truth does not.
    pub beside: usize,
    pub differences: Vec<Difference>,
}

impl Comparison {
    pub fn all_equal(&self) -> bool {
        self.differences.is_empty()
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (equal, compared, beside) = (self.equal, self.compared, self.beside);
        match self.check {
            MoneyCheck::Overpaid => writeln!(
                f,
                "overpaid: {equal} of {compared} true flags equal (to 0.01 yuan); \
                 {beside} true flags not raised"
            )?,
            MoneyCheck::Recheck => writeln!(
                f,
                "recheck due: {equal} of {compared} households equal; {beside} extra"
            )?,
        }
        for d in self.differences.iter().take(SHOWN) {
            writeln!(f, "  {}: truth {} run {}", d.key, d.truth, d.run)?;
        }
        if self.differences.len() > SHOWN {
            writeln!(f, "  … {} more", self.differences.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// `since` and `overpaid_yuan` by "household reason", from a CSV with those columns.
fn read_overpaid(path: &Path) -> Result<BTreeMap<String, (String, String)>, EvalError> {
    let names = ["household_id", "reason", "since", "overpaid_yuan"];
    let [households, reasons, since, overpaid] = read_csv_columns(path, names)?;
    Ok(households
        .into_iter()
        .zip(reasons)
        .map(|(h, r)| format!("{h} {r}"))
        .zip(since.into_iter().zip(overpaid))
        .collect())
}

/// Compares the run's `flags.csv` with `truth_overpaid.csv`: every true flag the run raised,
/// `since` as text and `overpaid_yuan` to 0.01 yuan (blank only with blank).
pub fn compare_overpaid(truth: &Path, flags_csv: &Path) -> Result<Comparison, EvalError> {
    let (truth, run) = (read_overpaid(truth)?, read_overpaid(flags_csv)?);
    let mut comparison = Comparison::default();
    for (key, (since, yuan)) in &truth {
        let Some((run_since, run_yuan)) = run.get(key) else {
            comparison.beside += 1;
            continue;
        };
        comparison.compared += 1;
        if since.trim() == run_since.trim() && same_amount(yuan, run_yuan) {
            comparison.equal += 1;
        } else {
            comparison.differences.push(Difference {
                key: key.clone(),
                truth: format!("{since} {yuan}"),
                run: format!("{run_since} {run_yuan}"),
            });
        }
    }
    Ok(comparison)
}

/// The due list's columns compared, in `truth_recheck.csv` and `recheck_due.parquet` alike.
const DUE_COLUMNS: [&str; 4] = ["household_id", "category", "last_checked", "due_on"];

/// A due list by household: its class, last check and due date as one text.
type DueList = BTreeMap<String, String>;

fn due_row(category: &str, last_checked: &str, due_on: &str) -> String {
    format!("{category} {last_checked} {due_on}")
}

/// `truth_recheck.csv` by household.
fn read_recheck_truth(path: &Path) -> Result<DueList, EvalError> {
    let [households, categories, last, due] = read_csv_columns(path, DUE_COLUMNS)?;
    Ok(households
        .into_iter()
        .zip(categories.iter().zip(&last).zip(&due))
        .map(|(h, ((c, l), d))| (h, due_row(c, l, d)))
        .collect())
}

/// A run's `recheck_due.parquet` by household.
fn read_recheck_run(path: &Path) -> Result<DueList, EvalError> {
    let [households, categories, last, due] = super::read_parquet_columns(path, DUE_COLUMNS)?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(households
        .iter()
        .zip(categories.iter().zip(&last).zip(&due))
        .map(|(h, ((c, l), d))| (text(h), due_row(&text(c), &text(l), &text(d))))
        .collect())
}

/// Compares a run's `recheck_due.parquet` with `truth_recheck.csv`, household by household.
pub fn compare_recheck(truth: &Path, recheck_parquet: &Path) -> Result<Comparison, EvalError> {
    let (truth, run) = (
        read_recheck_truth(truth)?,
        read_recheck_run(recheck_parquet)?,
    );
    let mut comparison = Comparison {
        check: MoneyCheck::Recheck,
        compared: truth.len(),
        ..Comparison::default()
    };
    let keys: std::collections::BTreeSet<&String> = truth.keys().chain(run.keys()).collect();
    for key in keys {
        let (want, have) = (truth.get(key), run.get(key));
        if want.is_some() && want == have {
            comparison.equal += 1;
            continue;
        }
        comparison.beside += usize::from(want.is_none());
        let missing = || "(not listed)".to_string();
        comparison.differences.push(Difference {
            key: key.clone(),
            truth: want.cloned().unwrap_or_else(missing),
            run: have.cloned().unwrap_or_else(missing),
        });
    }
    Ok(comparison)
}

/// `compare_overpaid` and `compare_recheck` of the run in `out_dir` against the truth files
/// beside `truth`, each when both of its files exist.
pub fn money_of_run(
    truth: &Path,
    out_dir: &Path,
) -> Result<(Option<Comparison>, Option<Comparison>), EvalError> {
    let overpaid = both_exist(truth, TRUTH_OVERPAID_CSV, out_dir, FLAGS_CSV)
        .map(|(t, run)| compare_overpaid(&t, &run))
        .transpose()?;
    let recheck = both_exist(truth, TRUTH_RECHECK_CSV, out_dir, RECHECK_DUE)
        .map(|(t, run)| compare_recheck(&t, &run))
        .transpose()?;
    Ok((overpaid, recheck))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // the test writes its own inputs
    fn csv(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn overpaid_compares_each_raised_true_flag_to_a_cent() {
        let dir = tempfile::tempdir().unwrap();
        let truth = csv(
            dir.path(),
            "truth.csv",
            "household_id,reason,since,overpaid_yuan\n\
             H1,vehicle_owned,2024-03-15,750.00\n\
             H2,deceased_member,2025-01-31,100.00\n\
             H3,income_over_standard,,\n\
             H4,business_active,2020-01-01,36.00\n",
        );
        let flags = csv(
            dir.path(),
            "flags.csv",
            "\u{feff}household_id,reason,since,overpaid_yuan,status\n\
             H1,vehicle_owned,2024-03-15,750.004,new\n\
             H2,deceased_member,2025-01-31,100.02,new\n\
             H3,income_over_standard,,,new\n\
             H9,vehicle_owned,2024-01-01,1.00,new\n",
        );
        let c = compare_overpaid(&truth, &flags).unwrap();
        assert_eq!((c.compared, c.equal, c.beside), (3, 2, 1));
        assert_eq!(c.differences[0].key, "H2 deceased_member");
        assert!(c
            .to_string()
            .starts_with("overpaid: 2 of 3 true flags equal"));
    }
}
