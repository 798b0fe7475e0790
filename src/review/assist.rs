//! Assistance requests (协查): a lead whose record has no valid ID cannot be settled by the
//! run, but the registry's office holds the ID. The run asks for it (`question`, written by
//! `output::assist_request`); `review import` reads the answer back (`answered_findings`):
//! an ID equal to the member's accepts the pair from the next run on (method `confirmed_id`),
//! any other valid ID rules it out for good, each recorded as a lead's finding.
//!
//! The member's ID never leaves the office and is not written to leads.parquet: the run
//! writes a digest of it salted with the registry and record (`id_digest`), and the answer is
//! compared by the same digest.

use chrono::NaiveDate;

use crate::ingest::findings::{
    header, AssistAnswer, AssistAnswers, FindingProblem, FindingRow, FindingsFile, Subject,
};
use crate::ingest::{RecordDetails, RegistryRecord};
use crate::model::{Reason, Source, Verdict};
use crate::normalize::{mask_id, normalize_id};
use crate::rundir::{PublishedRun, RecordQuestion};

/// A valid ID as the run and the import compare it: a digest salted with the registry and
/// the record, so a table of digests made for one record says nothing of another.
pub fn id_digest(source: &str, record_id: &str, valid_id: &str) -> String {
    crate::config::hex_sha256(format!("rollcheck 协查|{source}|{record_id}|{valid_id}").as_bytes())
}

/// What to ask the registry about a record, when its ID is not valid (blank, damaged,
/// masked); `None` when the record has a valid ID (the pair is then settled by it).
pub fn question(record: &RegistryRecord) -> Option<RecordQuestion> {
    let id = normalize_id(record.person.id_number.as_deref());
    if id.valid().is_some() {
        return None;
    }
    Some(RecordQuestion {
        name: record.person.name.clone(),
        birth_date: record.person.birth_date,
        key: registry_key(&record.details),
    })
}

/// The field beside the record id by which a registry's office finds its row.
fn registry_key(details: &RecordDetails) -> Option<(&'static str, String)> {
    match details {
        RecordDetails::Death { death_date, .. } => Some(("死亡日期", death_date.to_string())),
        RecordDetails::Pension { start_date, .. } => Some(("待遇开始日期", start_date.to_string())),
        RecordDetails::Vehicle { plate, .. } => plate.clone().map(|p| ("号牌号码", p)),
        RecordDetails::Property { property_id, .. } => Some(("不动产单元号", property_id.clone())),
        RecordDetails::Business { uscc, .. } => uscc.clone().map(|u| ("统一社会信用代码", u)),
        RecordDetails::Contribution { start_date, .. } => {
            Some(("缴费开始日期", start_date.to_string()))
        }
        // The early-warning registries are never linked record by record: no leads.
        RecordDetails::CadreRelative { .. }
        | RecordDetails::Relation { .. }
        | RecordDetails::Disability { .. }
        | RecordDetails::Medical { .. }
        | RecordDetails::Unemployment { .. }
        | RecordDetails::Local { .. } => None,
    }
}

/// The findings an answered request makes: for each row with an ID, one finding on every
/// lead of the run that names its record (情况属实 when the ID is the member's, 情况不属实
/// otherwise). A blank ID is a question not yet answered.
pub(super) fn answered_findings(
    answers: AssistAnswers,
    run: &PublishedRun,
    today: NaiveDate,
) -> FindingsFile {
    let mut file = FindingsFile {
        path: answers.path.clone(),
        sha256: answers.sha256,
        rows: Vec::new(),
        problems: Vec::new(),
        unreviewed: 0,
    };
    let name = answers.path.display().to_string();
    // The answer is to the run's request: dated by its as-of date (never in the future), so
    // importing the same answer again records nothing new.
    let answered_on = run.as_of.min(today);
    for answer in &answers.rows {
        let problem = |column: &str, problem: String| FindingProblem {
            file: name.clone(),
            sheet: answer.sheet.clone(),
            row: answer.row,
            column: Some(column.to_string()),
            problem,
        };
        match answer_rows(answer, run, (&name, answered_on)) {
            Ok(None) => file.unreviewed += 1,
            Ok(Some(rows)) => file.rows.extend(rows),
            Err((column, message)) => file.problems.push(problem(column, message)),
        }
    }
    file
}

/// The finding rows of one answer; `None` when no ID was written.
fn answer_rows(
    answer: &AssistAnswer,
    run: &PublishedRun,
    (file, answered_on): (&str, NaiveDate),
) -> Result<Option<Vec<FindingRow>>, (&'static str, String)> {
    let Some(written) = answer.id_number.as_deref() else {
        return Ok(None);
    };
    let id = normalize_id(Some(written));
    let Some(valid) = id.valid() else {
        let problem = id.problem().map_or("", |p| p.label_zh());
        return Err((
            header::ID_NUMBER,
            format!("not a valid ID ({problem}): write the 18-character ID the registry holds"),
        ));
    };
    let leads: Vec<_> = run
        .leads
        .iter()
        .filter(|l| l.source == answer.source && l.record_id == answer.record_id)
        .filter(|l| l.member_id_digest.is_some())
        .collect();
    if leads.is_empty() {
        return Err((
            header::RECORD_ID,
            format!(
                "run {} listed no lead with a member's valid ID for {} record {}",
                run.run_id, answer.source, answer.record_id
            ),
        ));
    }
    let digest = id_digest(&answer.source, &answer.record_id, &valid.text());
    let label = Source::known(&answer.source)
        .map_or_else(|| answer.source.clone(), |s| s.label_zh().to_string());
    let mut rows = Vec::new();
    for lead in leads {
        let Some(reason) = Reason::known(&lead.reason) else {
            continue;
        };
        let agrees = lead.member_id_digest.as_deref() == Some(digest.as_str());
        let (verdict, words) = if agrees {
            (Verdict::Confirmed, "一致")
        } else {
            (Verdict::Dismissed, "不一致")
        };
        rows.push(FindingRow {
            file: file.to_string(),
            sheet: answer.sheet.clone(),
            row: answer.row,
            household_id: lead.household_id.clone(),
            subject: Subject::Lead {
                reason,
                record_id: lead.record_id.clone(),
            },
            verdict,
            action: None,
            reviewer: format!("协查回复（{label}）"),
            reviewed_on: answered_on,
            note: Some(format!(
                "登记机关协查回复身份证号{}，与花名册成员{words}",
                mask_id(&valid.text())
            )),
            by_registry: true,
        });
    }
    Ok(Some(rows))
}
