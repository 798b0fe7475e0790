//! `rollcheck history` (the recorded runs, one line each) and `rollcheck diff` (the flags
//! only in one of two runs).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use crate::rundir::names::FLAGS_PARQUET;
use crate::rundir::{list_runs, previous_flags, OutputError};

/// `rollcheck history`: one line per run.
pub fn history_table(state: &Path) -> String {
    let runs = list_runs(state);
    if runs.is_empty() {
        return format!("{}: no runs recorded\n", state.display());
    }
    let reasons: BTreeSet<&String> = runs
        .iter()
        .flat_map(|(_, r)| r.flags_per_reason.keys())
        .collect();
    let mut out = format!(
        "{:<16} {:<10} {:<25} {:>6} {:>6} {:>10} {:>8}",
        "run", "as_of", "finished", "flags", "new", "persisting", "resolved"
    );
    for reason in &reasons {
        let _ = write!(out, " {:>8}", abbreviate(reason));
    }
    out.push('\n');
    for (_, run) in &runs {
        let finished: String = run.finished_at.chars().take(25).collect();
        let _ = write!(
            out,
            "{:<16} {:<10} {:<25} {:>6} {:>6} {:>10} {:>8}",
            run.run_id, run.as_of, finished, run.flags, run.new, run.persisting, run.resolved
        );
        for reason in &reasons {
            let _ = write!(
                out,
                " {:>8}",
                run.flags_per_reason.get(*reason).copied().unwrap_or(0)
            );
        }
        out.push('\n');
    }
    let legend: Vec<String> = reasons
        .iter()
        .map(|r| format!("{}={r}", abbreviate(r)))
        .collect();
    let _ = writeln!(out, "reasons: {}", legend.join(", "));
    out
}

/// A short column title for a reason (`deceased_member` → `dec_mem`).
fn abbreviate(reason: &str) -> String {
    reason
        .split('_')
        .map(|w| w.chars().take(3).collect::<String>())
        .collect::<Vec<_>>()
        .join("_")
}

/// `rollcheck diff`: the flags only in A, only in B, and how many both have. Each side is a
/// run's output directory or a recorded run in a state directory (both hold flags.parquet).
pub fn diff(run_a: &Path, run_b: &Path) -> Result<String, OutputError> {
    let read = |dir: &Path| -> Result<BTreeSet<(String, String)>, OutputError> {
        if !crate::rundir::is_file(&dir.join(FLAGS_PARQUET)) {
            return Err(OutputError::write(
                dir,
                "no flags.parquet here (not a run directory)",
            ));
        }
        Ok(previous_flags(dir)
            .into_iter()
            .map(|f| (f.household_id, f.reason))
            .collect())
    };
    let (a, b) = (read(run_a)?, read(run_b)?);
    let mut out = String::new();
    for (household, reason) in a.difference(&b) {
        let _ = writeln!(out, "- {household} {reason}");
    }
    for (household, reason) in b.difference(&a) {
        let _ = writeln!(out, "+ {household} {reason}");
    }
    let _ = writeln!(
        out,
        "{} only in {} (resolved), {} only in {} (new), {} in both",
        a.difference(&b).count(),
        run_a.display(),
        b.difference(&a).count(),
        run_b.display(),
        a.intersection(&b).count()
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_abbreviate_readably() {
        assert_eq!(abbreviate("deceased_member"), "dec_mem");
        assert_eq!(abbreviate("invalid_id"), "inv_id");
    }
}
