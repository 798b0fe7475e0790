//! Run history: a state directory keeps every completed run's flags and a summary, and every
//! finding that came back from a visit, so each flag gets its status (`new`, `persisting`
//! or its review status) with its `first_flagged_on`, flags that disappeared are listed as
//! resolved, and `rollcheck history` / `rollcheck diff` can show what changed.
//! Front door: `History`, which a run opens once, asks to `follow` its flags, and tells to
//! `record_run` when its outputs are published.
//!
//! Layout: `STATE/runs/<as_of>_<finished>_<run_id>/{flags.parquet, run.json}` and
//! `STATE/findings/` (see `findings`). A run is recorded only after its outputs are in place,
//! and each record appears by one rename.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::findings::{Findings, Subject};
use super::status::with_history;
use crate::rules::Flag;
use crate::rundir::{
    list_runs, previous_flags, record_run, state_dir, FlagRow, FlagStatus, OutputError,
    PreviousFlag, ResolvedFlag, RunRecord, Verdicted,
};

/// Runs shown in the report's trend, this one included.
const TREND_RUNS: usize = 14;

/// A pipeline's history: its recorded runs and findings.
pub struct History {
    state: PathBuf,
    out_dir: PathBuf,
    runs: Vec<(PathBuf, RunRecord)>,
    findings: Findings,
}

/// A run's flags as history sees them.
pub struct Chronicle {
    pub flags: Vec<FlagRow>,
    /// Flags of the previous run that this run no longer raises.
    pub resolved: Vec<ResolvedFlag>,
    /// This run's summary (its `finished_at` is set when recorded).
    pub record: RunRecord,
    /// The last recorded runs and this one, oldest first, for the report's trend.
    pub trend: Vec<RunRecord>,
}

impl History {
    /// Opens the history of the pipeline whose outputs go to `out_dir`: the configured state
    /// directory, else `<OUTDIR>.history`. Fails only when recorded findings cannot be read.
    pub fn open(out_dir: &Path, configured: Option<&Path>) -> Result<History, OutputError> {
        let state = state_dir(out_dir, configured);
        Ok(History {
            runs: list_runs(&state),
            findings: Findings::read(&state)?,
            out_dir: out_dir.to_path_buf(),
            state,
        })
    }

    pub fn state(&self) -> &Path {
        &self.state
    }

    pub fn findings(&self) -> &Findings {
        &self.findings
    }

    pub fn findings_mut(&mut self) -> &mut Findings {
        &mut self.findings
    }

    /// The flags of the last recorded run before `run_id`; else the flags in the output
    /// directory if they are another run's (a run from before history was kept).
    fn previous(&self, run_id: &str) -> Vec<PreviousFlag> {
        self.previous_dir(run_id)
            .map_or_else(Vec::new, |dir| previous_flags(&dir))
    }

    /// Where the run before `run_id` left its tables: its record, else the output directory
    /// when no run is recorded yet.
    pub fn previous_dir(&self, run_id: &str) -> Option<PathBuf> {
        match self.runs.iter().rev().find(|(_, r)| r.run_id != run_id) {
            Some((dir, _)) => Some(dir.clone()),
            None if self.runs.is_empty() => Some(self.out_dir.clone()),
            None => None,
        }
    }

    /// Gives this run's flags their status and first date, lists the flags it no longer
    /// raises, and summarises it for the record and the trend.
    pub fn follow(&self, flags: Vec<Flag>, run_id: &str, as_of: NaiveDate) -> Chronicle {
        let previous = self.previous(run_id);
        let latest = self.findings.latest();
        let flags = with_history(flags, &previous, &latest, as_of);
        let current: std::collections::HashSet<(&str, &str)> = flags
            .iter()
            .map(|f| (f.flag.household_id.as_str(), f.flag.reason.code()))
            .collect();
        let resolved: Vec<ResolvedFlag> = previous
            .iter()
            .filter(|p| !current.contains(&(p.household_id.as_str(), p.reason.as_str())))
            .map(|p| ResolvedFlag {
                finding: crate::model::Reason::named(&p.reason).and_then(|reason| {
                    latest
                        .get(&(p.household_id.as_str(), &Subject::Flag { reason }))
                        .map(|f| Verdicted::from(*f))
                }),
                flag: p.clone(),
            })
            .collect();
        let count = |status: FlagStatus| flags.iter().filter(|f| f.status == status).count();
        let mut flags_per_reason: BTreeMap<String, usize> = crate::model::Reason::ALL
            .iter()
            .map(|r| (r.code().to_string(), 0))
            .collect();
        for row in &flags {
            *flags_per_reason
                .entry(row.flag.reason.code().to_string())
                .or_default() += 1;
        }
        let record = RunRecord {
            run_id: run_id.to_string(),
            as_of: as_of.format("%Y-%m-%d").to_string(),
            finished_at: String::new(),
            flags: flags.len(),
            new: count(FlagStatus::New),
            persisting: count(FlagStatus::Persisting),
            resolved: resolved.len(),
            flags_per_reason,
            flags_per_status: FlagStatus::ALL
                .iter()
                .map(|s| (s.code().to_string(), count(*s)))
                .collect(),
            flags_per_county: flags.iter().fold(BTreeMap::new(), |mut counties, row| {
                let county = crate::model::RegionCode::county_key(row.flag.region_code.as_deref());
                *counties.entry(county).or_default() += 1;
                counties
            }),
        };
        let mut trend: Vec<RunRecord> = self
            .runs
            .iter()
            .filter(|(_, r)| r.run_id != run_id)
            .map(|(_, r)| r.clone())
            .collect();
        trend.push(record.clone());
        let trend = trend.split_off(trend.len().saturating_sub(TREND_RUNS));
        Chronicle {
            flags,
            resolved,
            record,
            trend,
        }
    }

    /// Records a run whose outputs are published, finished at `finished_at`.
    pub fn record_run(
        &self,
        published_flags: &Path,
        record: &RunRecord,
    ) -> Result<PathBuf, OutputError> {
        record_run(&self.state, published_flags, record)
    }
}
