//! `rollcheck review import`: findings from filled workbooks and CSVs are checked against the
//! run that sent them out and recorded in its history, one file at a time, all of a file's
//! findings or none. A row that cannot be recorded is listed with file, sheet, row, column
//! and problem; the others are recorded. Importing the same file again records nothing new.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::findings::{Finding, Subject};
use super::history::History;
use crate::ingest::findings::{self, header, FindingProblem, FindingRow, FindingsFile};
use crate::model::Reason;
use crate::model::RegionCode;
use crate::normalize::mask_ids_in_text;
use crate::rundir::{
    self, ImportedFile, OutputError, PreviousFlag, PublishedRun, RecheckItem, Verdicted,
};

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportOutcome {
    pub files: Vec<ImportedFile>,
    /// Every row not recorded, and why.
    #[serde(skip)]
    pub problems: Vec<FindingProblem>,
}

impl ImportOutcome {
    /// Whether anything was left out: a rejected row or an unreadable file (exit 65).
    pub fn rejected_any(&self) -> bool {
        self.files
            .iter()
            .any(|f| f.rejected > 0 || f.error.is_some())
    }

    pub fn recorded(&self) -> usize {
        self.files.iter().map(|f| f.recorded).sum()
    }

    /// Rows and files not recorded.
    pub fn not_recorded(&self) -> usize {
        self.problems.len() + self.files.iter().filter(|f| f.error.is_some()).count()
    }
}

/// One line per file: what was recorded, or why the file was not imported.
impl std::fmt::Display for ImportOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for file in &self.files {
            if let Some(error) = &file.error {
                writeln!(f, "{}: not imported: {error}", file.file)?;
            } else {
                writeln!(
                    f,
                    "{}: {} findings recorded, {} already recorded, {} rows not yet reviewed, \
                     {} rejected",
                    file.file, file.recorded, file.already_recorded, file.unreviewed, file.rejected
                )?;
            }
        }
        Ok(())
    }
}

/// Imports findings into the history of the run in `out_dir` (`state` overrides where that
/// history lives). Takes the run lock, so it never interleaves with a run.
pub fn import(
    out_dir: &Path,
    files: &[PathBuf],
    state: Option<&Path>,
    today: NaiveDate,
) -> Result<ImportOutcome, OutputError> {
    let _lock = rundir::acquire_lock(out_dir)?;
    let run = PublishedRun::read(out_dir, state)?;
    let mut history = History::open(out_dir, Some(&run.state_dir))?;
    import_into(&run, &mut history, files, today)
}

/// Imports `files` against `run` into `history`; the caller holds the lock.
pub(super) fn import_into(
    run: &PublishedRun,
    history: &mut History,
    files: &[PathBuf],
    today: NaiveDate,
) -> Result<ImportOutcome, OutputError> {
    let mut outcome = ImportOutcome::default();
    let mut read: Vec<FindingsFile> = Vec::new();
    for path in files {
        // A registry's answer to an assistance request (协查) becomes lead findings here,
        // where the run's leads are known; any other file is read as findings.
        let file = match findings::read_assist_answers(path) {
            Ok(Some(answers)) => Ok(super::assist::answered_findings(answers, run, today)),
            Ok(None) => findings::read_findings(path, today),
            Err(err) => Err(err),
        };
        match file {
            Ok(file) => read.push(file),
            Err(err) => outcome.files.push(ImportedFile {
                file: path.display().to_string(),
                error: Some(err.to_string()),
                ..ImportedFile::default()
            }),
        }
    }
    let conflicting = conflicting_rows(&read);
    let sent = SentOut::new(run);
    let mut recorded = history.findings().signatures();
    for file in read {
        let mut file_outcome = ImportedFile {
            file: file.path.display().to_string(),
            unreviewed: file.unreviewed,
            rejected: file.problems.len(),
            ..ImportedFile::default()
        };
        outcome.problems.extend(file.problems);
        let mut accepted = Vec::new();
        for row in file.rows {
            if conflicting.contains(&row_key(&row)) {
                file_outcome.rejected += 1;
                outcome.problems.push(problem(
                    &row,
                    Some(VERDICT),
                    "this import holds two different findings for this item; neither is \
                     recorded: keep one and import again",
                ));
                continue;
            }
            match sent.finding(&row, &run.run_id) {
                // The same row of an earlier import, or twice in this file: recorded once.
                Ok(finding) if !recorded.insert(finding.signature()) => {
                    file_outcome.already_recorded += 1;
                }
                Ok(finding) => accepted.push(finding),
                Err((column, message)) => {
                    file_outcome.rejected += 1;
                    outcome.problems.push(problem(&row, column, &message));
                }
            }
        }
        file_outcome.recorded = accepted.len();
        if !accepted.is_empty() {
            let name = file.path.display().to_string();
            history
                .findings_mut()
                .append(&run.state_dir, &name, &file.sha256, accepted)?;
        }
        tracing::info!(
            file = %file_outcome.file,
            recorded = file_outcome.recorded,
            already_recorded = file_outcome.already_recorded,
            rejected = file_outcome.rejected,
            "findings imported"
        );
        outcome.files.push(file_outcome);
    }
    Ok(outcome)
}

/// A column as a workbook heads it and as a CSV does.
type ColumnNames = (&'static str, &'static str);
const HOUSEHOLD: ColumnNames = (header::HOUSEHOLD_ID, "household_id");
const VERDICT: ColumnNames = (header::VERDICT, "verdict");
const REVIEWED_ON: ColumnNames = (header::REVIEWED_ON, "reviewed_on");
const RECORD: ColumnNames = (header::RECORD_ID, "record_id");

/// A problem naming the column the way the row's file names it.
fn problem(row: &FindingRow, column: Option<ColumnNames>, message: &str) -> FindingProblem {
    FindingProblem {
        file: row.file.clone(),
        sheet: row.sheet.clone(),
        row: row.row,
        column: column
            .map(|(sheet, csv)| if row.sheet.is_some() { sheet } else { csv }.to_string()),
        problem: message.to_string(),
    }
}

type RowKey = (String, findings::Subject);

fn row_key(row: &FindingRow) -> RowKey {
    (row.household_id.clone(), row.subject.clone())
}

/// Items given two different findings in this import (the same finding twice is one).
fn conflicting_rows(files: &[FindingsFile]) -> std::collections::HashSet<RowKey> {
    let mut said: HashMap<RowKey, &FindingRow> = HashMap::new();
    let mut conflicting = std::collections::HashSet::new();
    for row in files.iter().flat_map(|f| &f.rows) {
        let key = row_key(row);
        match said.get(&key) {
            Some(earlier)
                if (
                    earlier.verdict,
                    earlier.action,
                    &earlier.reviewer,
                    earlier.reviewed_on,
                ) != (row.verdict, row.action, &row.reviewer, row.reviewed_on) =>
            {
                conflicting.insert(key);
            }
            Some(_) => {}
            None => {
                said.insert(key, row);
            }
        }
    }
    conflicting
}

/// What the run sent out, by the keys a finding names.
struct SentOut<'a> {
    run: &'a PublishedRun,
    flags: HashMap<(&'a str, &'a str), &'a PreviousFlag>,
    leads: BTreeMap<(&'a str, &'a str, &'a str), &'a rundir::Lead>,
    spot_checks: HashMap<&'a str, Option<&'a str>>,
}

impl<'a> SentOut<'a> {
    fn new(run: &'a PublishedRun) -> SentOut<'a> {
        SentOut {
            run,
            flags: run
                .flags
                .iter()
                .map(|f| ((f.household_id.as_str(), f.reason.as_str()), f))
                .collect(),
            leads: run
                .leads
                .iter()
                .map(|l| {
                    (
                        (
                            l.household_id.as_str(),
                            l.reason.as_str(),
                            l.record_id.as_str(),
                        ),
                        l,
                    )
                })
                .collect(),
            spot_checks: run
                .spot_checks
                .iter()
                .map(|(h, r)| (h.as_str(), r.as_deref()))
                .collect(),
        }
    }

    /// The finding a row records, or the column at fault and why it cannot be recorded.
    fn finding(&self, row: &FindingRow, run_id: &str) -> Result<Finding, RowFault> {
        let household = row.household_id.as_str();
        let sent = match &row.subject {
            findings::Subject::Flag(reason) => self.flag(household, *reason, row.reviewed_on)?,
            findings::Subject::Lead { reason, record_id } => {
                self.lead(household, *reason, record_id)?
            }
            findings::Subject::SpotCheck => self.spot_check(household)?,
            findings::Subject::Warning(kind) => self.warning(household, *kind)?,
        };
        Ok(Finding {
            household_id: row.household_id.clone(),
            subject: sent.subject,
            verdict: row.verdict,
            action: row.action,
            reviewer: mask_ids_in_text(&row.reviewer),
            reviewed_on: row.reviewed_on,
            note: row.note.as_deref().map(mask_ids_in_text),
            file: row.file.clone(),
            sheet: row.sheet.clone(),
            row: row.row,
            run_id: run_id.to_string(),
            support: sent.support,
            region_code: sent.region_code,
            score: sent.score,
            monthly_benefit: self.run.benefits.get(household).copied(),
            overpaid_yuan: sent.overpaid_yuan,
            probabilistic: sent.probabilistic,
            by_registry: row.by_registry,
        })
    }

    /// The flag a row names, reviewed no earlier than it was first raised.
    fn flag(
        &self,
        household: &str,
        reason: Reason,
        reviewed_on: NaiveDate,
    ) -> Result<SentItem, RowFault> {
        let flag = self
            .flags
            .get(&(household, reason.code()))
            .ok_or_else(|| not_sent(household, reason, self.run))?;
        if reviewed_on < flag.first_flagged_on {
            return Err((
                Some(REVIEWED_ON),
                format!(
                    "date {reviewed_on} is before the flag was first raised ({})",
                    flag.first_flagged_on
                ),
            ));
        }
        let probabilistic = flag.record_ids.iter().any(|record| {
            self.run
                .probabilistic
                .contains(&(household.to_string(), record.clone()))
        });
        Ok(SentItem {
            subject: Subject::Flag { reason },
            support: super::support(&flag.record_ids, &flag.member_ids),
            region_code: flag.region_code.clone(),
            score: flag.score,
            probabilistic,
            overpaid_yuan: flag.overpaid_yuan,
        })
    }

    /// The lead a row names (household, reason and record).
    fn lead(&self, household: &str, reason: Reason, record_id: &str) -> Result<SentItem, RowFault> {
        let lead = self
            .leads
            .get(&(household, reason.code(), record_id))
            .ok_or_else(|| {
                (
                    Some(RECORD),
                    format!(
                        "run {} listed no lead for household {household}, reason {}, \
                         record {record_id}",
                        self.run.run_id,
                        reason.code()
                    ),
                )
            })?;
        Ok(SentItem {
            subject: Subject::Lead {
                reason,
                member_id: lead.member_id.clone(),
                source: lead.source.clone(),
                record_id: lead.record_id.clone(),
            },
            support: vec![lead.record_id.clone()],
            region_code: lead.region_code.clone(),
            score: lead.probability,
            probabilistic: true,
            overpaid_yuan: None,
        })
    }

    /// The early warning a row names by its 预警编号 (in the household column).
    fn warning(&self, id: &str, kind: crate::model::WarningKind) -> Result<SentItem, RowFault> {
        let sent = self
            .run
            .warnings
            .iter()
            .find(|w| w.warning_id == id && w.warning == kind.code())
            .ok_or_else(|| {
                (
                    Some(HOUSEHOLD),
                    format!(
                        "run {} sent no warning {id} ({})",
                        self.run.run_id,
                        kind.label_zh()
                    ),
                )
            })?;
        Ok(SentItem {
            subject: Subject::Warning { warning: kind },
            support: Vec::new(),
            region_code: sent.region_code.clone(),
            score: 0.0,
            probabilistic: false,
            overpaid_yuan: None,
        })
    }

    /// The spot check (抽查) of a household the run drew.
    fn spot_check(&self, household: &str) -> Result<SentItem, RowFault> {
        let region = self.spot_checks.get(household).ok_or_else(|| {
            (
                Some(HOUSEHOLD),
                format!(
                    "run {} drew no spot check (抽查) of household {household}",
                    self.run.run_id
                ),
            )
        })?;
        Ok(SentItem {
            subject: Subject::SpotCheck,
            support: Vec::new(),
            region_code: region.map(str::to_string),
            score: 0.0,
            probabilistic: false,
            overpaid_yuan: None,
        })
    }
}

/// The column at fault in a row and why it cannot be recorded.
type RowFault = (Option<ColumnNames>, String);

/// What the run sent out that a finding is about, as the finding records it.
struct SentItem {
    subject: Subject,
    support: Vec<String>,
    region_code: Option<String>,
    score: f64,
    probabilistic: bool,
    overpaid_yuan: Option<f64>,
}

fn not_sent(household: &str, reason: Reason, run: &PublishedRun) -> RowFault {
    (
        Some(HOUSEHOLD),
        format!(
            "run {} (as of {}) has no flag {} for household {household}",
            run.run_id,
            run.as_of,
            reason.code()
        ),
    )
}

/// The inbox files already imported, by sha256, so a run imports each dropped file once.
const INBOX_LEDGER: &str = "inbox.json";

/// Imports the workbooks and CSVs dropped into `inbox` since the last run, against the run
/// now in `out_dir`, before a new run replaces it. Files already imported (same bytes) are
/// skipped; a file with rejected rows is listed with them and not read again until it
/// changes. Nothing to match against yet (no earlier run) leaves the inbox as it is.
pub fn import_inbox(
    inbox: &Path,
    out_dir: &Path,
    history: &mut History,
    today: NaiveDate,
) -> Result<(Vec<ImportedFile>, Vec<FindingProblem>), OutputError> {
    let Ok(run) = PublishedRun::read(out_dir, Some(history.state())) else {
        return Ok((Vec::new(), Vec::new()));
    };
    if !rundir::is_dir(inbox) {
        // Nothing was dropped yet (the share is created when the first township returns).
        tracing::warn!(inbox = %inbox.display(), "review inbox does not exist; nothing imported");
        return Ok((Vec::new(), Vec::new()));
    }
    let ledger_path = history.state().join(INBOX_LEDGER);
    let mut ledger: BTreeMap<String, String> = rundir::read_bytes(&ledger_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let waiting: Vec<PathBuf> = rundir::entries(inbox)
        .map_err(|e| OutputError::read(inbox, e))?
        .into_iter()
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let extension = p.extension().map(|e| e.to_string_lossy().to_lowercase());
            // Hidden files and the lock files Excel and WPS leave beside an open workbook.
            name.is_some_and(|n| !n.starts_with('.') && !n.starts_with("~$"))
                && matches!(extension.as_deref(), Some("xlsx" | "csv"))
        })
        .collect();
    let mut fresh = Vec::new();
    for path in waiting {
        let sha = rundir::read_bytes(&path)
            .map(|bytes| crate::config::hex_sha256(&bytes))
            .map_err(|e| OutputError::read(&path, e))?;
        if let std::collections::btree_map::Entry::Vacant(entry) = ledger.entry(sha) {
            entry.insert(path.display().to_string());
            fresh.push(path);
        }
    }
    if fresh.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let outcome = import_into(&run, history, &fresh, today)?;
    let bytes =
        serde_json::to_vec_pretty(&ledger).map_err(|e| OutputError::write(&ledger_path, e))?;
    rundir::write_atomically(&ledger_path, &bytes)?;
    Ok((outcome.files, outcome.problems))
}

/// Draws `share` of the findings on the flags of the run in `out_dir`, at random within each
/// township (at least one per township that has findings), for a second reviewer, and hands
/// them to `write` (the re-check workbook's renderer). The draw is seeded by the run id: the
/// same run draws the same. Returns how many were drawn.
pub fn sample(
    out_dir: &Path,
    share: f64,
    state: Option<&Path>,
    write: impl FnOnce(&[RecheckItem]) -> Result<(), OutputError>,
) -> Result<usize, OutputError> {
    use rand::seq::SliceRandom as _;
    let run = PublishedRun::read(out_dir, state)?;
    let history = History::open(out_dir, Some(&run.state_dir))?;
    let latest = history.findings().latest();
    let mut by_township: BTreeMap<String, Vec<RecheckItem>> = BTreeMap::new();
    let verdicts: Vec<(&PreviousFlag, Verdicted)> = run
        .flags
        .iter()
        .filter_map(|flag| {
            let reason = Reason::named(&flag.reason)?;
            let subject = Subject::Flag { reason };
            let finding = latest
                .get(&(flag.household_id.as_str(), &subject))
                .copied()?;
            Some((flag, Verdicted::from(finding)))
        })
        .collect();
    for (flag, first) in &verdicts {
        let Some(reason) = Reason::named(&flag.reason) else {
            continue;
        };
        by_township
            .entry(RegionCode::township_key(flag.region_code.as_deref()))
            .or_default()
            .push(RecheckItem {
                household_id: &flag.household_id,
                region_code: flag.region_code.as_deref(),
                reason,
                evidence: &flag.evidence,
                first,
            });
    }
    let mut drawn = Vec::new();
    for (township, mut items) in by_township {
        items.shuffle(&mut super::outcomes::seeded_rng(&format!(
            "{}|recheck|{township}",
            run.run_id
        )));
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let take = ((items.len() as f64 * share).ceil() as usize).clamp(1, items.len());
        items.truncate(take);
        items.sort_by(|a, b| (a.household_id, a.reason).cmp(&(b.household_id, b.reason)));
        drawn.extend(items);
    }
    write(&drawn)?;
    Ok(drawn.len())
}

/// A rejected finding row as one line: file, sheet, row, column and problem.
pub fn describe_problem(problem: &FindingProblem) -> String {
    format!(
        "{}{} row {}{}: {}",
        problem.file,
        problem
            .sheet
            .as_deref()
            .map(|s| format!(" [{s}]"))
            .unwrap_or_default(),
        problem.row,
        problem
            .column
            .as_deref()
            .map(|c| format!(", column {c}"))
            .unwrap_or_default(),
        problem.problem
    )
}
