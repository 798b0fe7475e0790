//! Recorded findings: what visits found, kept in the state directory beside the runs.
//!
//! Layout: `STATE/findings/<seq>-<sha>.json`, one file per import of one workbook or CSV,
//! written to a hidden temporary name, fsynced and renamed into place, so a killed import
//! leaves all of a file's findings or none. Files are never changed or removed: a later
//! finding for the same subject supersedes an earlier one, which stays in the history.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{Action, Reason, Verdict, WarningKind};
use crate::rundir::{self, create_private_dir, write_atomically, OutputError};

/// The code `review_summary` and `findings` use for spot checks of unflagged households.
use crate::rundir::names::SPOT_CHECK;

/// What a finding is about, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    Flag {
        reason: Reason,
    },
    Lead {
        reason: Reason,
        member_id: String,
        source: String,
        record_id: String,
    },
    SpotCheck,
    /// An early warning (sheet 预警线索); the finding's `household_id` is its `warning_id`.
    Warning {
        warning: WarningKind,
    },
}

impl Subject {
    /// `flag`, `lead` or `spot_check`.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Flag { .. } => "flag",
            Subject::Lead { .. } => "lead",
            Subject::SpotCheck => SPOT_CHECK,
            Subject::Warning { .. } => "warning",
        }
    }

    /// The reason code, or `spot_check`.
    pub fn reason_code(&self) -> &'static str {
        match self {
            Subject::Flag { reason } | Subject::Lead { reason, .. } => reason.code(),
            Subject::SpotCheck => SPOT_CHECK,
            Subject::Warning { warning } => warning.code(),
        }
    }
}

/// One finding as recorded, with where it came from and what the run said when it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub household_id: String,
    pub subject: Subject,
    pub verdict: Verdict,
    pub action: Option<Action>,
    pub reviewer: String,
    pub reviewed_on: NaiveDate,
    /// IDs in it are masked before it is recorded.
    pub note: Option<String>,
    pub file: String,
    pub sheet: Option<String>,
    pub row: usize,
    /// The run whose flags the finding was checked against.
    pub run_id: String,
    /// What supported the flag when it was reviewed (its record ids, else its member ids): a
    /// record not among these reopens a dismissed flag.
    pub support: Vec<String>,
    pub region_code: Option<String>,
    /// The match score of the flag or lead when reviewed.
    pub score: f64,
    /// The household's monthly benefit (yuan) when reviewed, if the roll gave it.
    pub monthly_benefit: Option<f64>,
    /// The flag's estimated overpayment (yuan) when reviewed, so that a campaign's sums
    /// outlive the households it cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overpaid_yuan: Option<f64>,
    /// Whether the flag or lead rests on a probabilistic match (its score is a match
    /// probability worth measuring by band).
    #[serde(default)]
    pub probabilistic: bool,
    /// A lead's finding from the registry's answer to an assistance request (协查): the ID it
    /// holds agreed with the member's (accepted, method `confirmed_id`) or did not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_registry: bool,
}

/// What makes two findings the same: a re-import of the same row gives the same signature.
pub type Signature = (
    String,
    Subject,
    Verdict,
    Option<Action>,
    String,
    NaiveDate,
    Option<String>,
);

impl Finding {
    pub fn signature(&self) -> Signature {
        (
            self.household_id.clone(),
            self.subject.clone(),
            self.verdict,
            self.action,
            self.reviewer.clone(),
            self.reviewed_on,
            self.note.clone(),
        )
    }
}

/// One import of one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingBatch {
    pub sequence: u64,
    pub file: String,
    pub sha256: String,
    pub imported_at: String,
    pub findings: Vec<Finding>,
}

/// Every finding recorded for a pipeline, in the order they were imported.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub batches: Vec<FindingBatch>,
}

/// A finding and the import it came in, for ordering.
pub type Recorded<'a> = (&'a FindingBatch, &'a Finding);

fn findings_dir(state: &Path) -> PathBuf {
    state.join("findings")
}

impl Findings {
    /// Reads every recorded import. A batch that cannot be read is an error naming it: a
    /// finding is never silently ignored.
    pub fn read(state: &Path) -> Result<Findings, OutputError> {
        let dir = findings_dir(state);
        let Ok(entries) = rundir::entries(&dir) else {
            return Ok(Findings::default());
        };
        let paths: Vec<PathBuf> = entries
            .into_iter()
            .filter(|p| {
                p.extension().is_some_and(|e| e == "json")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        let mut batches = Vec::with_capacity(paths.len());
        for path in paths {
            let bytes = rundir::read_bytes(&path).map_err(|e| OutputError::read(&path, e))?;
            let batch: FindingBatch = serde_json::from_slice(&bytes)
                .map_err(|e| OutputError::read(&path, format!("not a findings file: {e}")))?;
            batches.push(batch);
        }
        batches.sort_by_key(|b| b.sequence);
        Ok(Findings { batches })
    }

    pub fn all(&self) -> impl Iterator<Item = Recorded<'_>> {
        self.batches
            .iter()
            .flat_map(|b| b.findings.iter().map(move |f| (b, f)))
    }

    pub fn len(&self) -> usize {
        self.batches.iter().map(|b| b.findings.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The latest finding per (household, subject): the latest review date, and among equal
    /// dates the later import (then the later row).
    pub fn latest(&self) -> BTreeMap<(&str, &Subject), &Finding> {
        let mut latest: BTreeMap<(&str, &Subject), Recorded> = BTreeMap::new();
        for (batch, finding) in self.all() {
            let key = (finding.household_id.as_str(), &finding.subject);
            let later = latest.get(&key).is_none_or(|(b, f)| {
                (finding.reviewed_on, batch.sequence, finding.row)
                    >= (f.reviewed_on, b.sequence, f.row)
            });
            if later {
                latest.insert(key, (batch, finding));
            }
        }
        latest.into_iter().map(|(k, (_, f))| (k, f)).collect()
    }

    /// The signature of every finding recorded: re-importing a file changes nothing.
    pub fn signatures(&self) -> std::collections::HashSet<Signature> {
        self.all().map(|(_, f)| f.signature()).collect()
    }

    /// Records one import atomically; returns the batch file. Call under the run lock.
    pub fn append(
        &mut self,
        state: &Path,
        file: &str,
        sha256: &str,
        findings: Vec<Finding>,
    ) -> Result<PathBuf, OutputError> {
        let dir = findings_dir(state);
        rundir::create_dirs(state)?;
        if !rundir::is_dir(&dir) {
            create_private_dir(&dir)?;
        }
        let sequence = self.batches.last().map_or(1, |b| b.sequence + 1);
        let batch = FindingBatch {
            sequence,
            file: file.to_string(),
            sha256: sha256.to_string(),
            imported_at: chrono::Local::now().to_rfc3339(),
            findings,
        };
        let name = format!("{sequence:08}-{}.json", &sha256[..sha256.len().min(16)]);
        let target = dir.join(&name);
        let bytes = serde_json::to_vec(&batch).map_err(|e| OutputError::write(&target, e))?;
        write_atomically(&target, &bytes)?;
        self.batches.push(batch);
        Ok(target)
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // tests set up files
mod tests {
    use super::*;

    fn finding(verdict: Verdict, day: u32, row: usize) -> Finding {
        Finding {
            household_id: "H1".into(),
            subject: Subject::Flag {
                reason: Reason::VehicleOwned,
            },
            verdict,
            action: None,
            reviewer: "张三".into(),
            reviewed_on: NaiveDate::from_ymd_opt(2025, 7, day).unwrap(),
            note: None,
            file: "a.xlsx".into(),
            sheet: Some("核查清单".into()),
            row,
            run_id: "r".into(),
            support: vec!["V1".into()],
            region_code: None,
            score: 1.0,
            monthly_benefit: None,
            overpaid_yuan: None,
            probabilistic: false,
            by_registry: false,
        }
    }

    #[test]
    fn later_date_then_later_import_wins_and_history_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut findings = Findings::read(dir.path()).unwrap();
        assert!(findings.is_empty());
        findings
            .append(
                dir.path(),
                "a",
                "aaaa",
                vec![finding(Verdict::Dismissed, 5, 2)],
            )
            .unwrap();
        findings
            .append(
                dir.path(),
                "b",
                "bbbb",
                vec![finding(Verdict::Confirmed, 3, 2)],
            )
            .unwrap();
        findings
            .append(
                dir.path(),
                "c",
                "cccc",
                vec![finding(Verdict::Unverifiable, 5, 9)],
            )
            .unwrap();
        let read = Findings::read(dir.path()).unwrap();
        assert_eq!(read.len(), 3);
        let latest = read.latest();
        assert_eq!(latest.len(), 1);
        assert_eq!(
            latest.values().next().unwrap().verdict,
            Verdict::Unverifiable
        );
        let recorded = read.signatures();
        assert!(recorded.contains(&finding(Verdict::Confirmed, 3, 40).signature()));
        assert!(!recorded.contains(&finding(Verdict::Confirmed, 4, 2).signature()));
    }

    #[test]
    fn an_unreadable_batch_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("findings")).unwrap();
        std::fs::write(dir.path().join("findings/00000001-x.json"), b"{oops").unwrap();
        let err = Findings::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("00000001-x.json"), "{err}");
    }
}
