//! `rollcheck explain`: for one household of a finished run, each flag with its evidence and,
//! for every record behind it, the comparison table that linked the record to the member.

use std::fmt::Write as _;
use std::path::Path;

use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

use super::findings::{Finding, Findings, Subject};
use super::history::state_dir_of_run;
use super::status::review_status;
use super::OutputError;
use crate::link::corroborate::RegionFrom;
use crate::model::Reason;

pub(super) fn read(path: &Path) -> Result<DataFrame, OutputError> {
    let file = std::fs::File::open(path).map_err(|e| OutputError::read(path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| OutputError::read(path, e))
}

/// One column of a frame as optional text (numbers are printed as polars formats them).
pub(super) fn text_column(
    frame: &DataFrame,
    name: &str,
    path: &Path,
) -> Result<Vec<Option<String>>, OutputError> {
    let column = frame
        .column(name)
        .and_then(|c| c.cast(&DataType::String))
        .map_err(|e| OutputError::read(path, format!("column `{name}`: {e}")))?;
    let text = column.str().map_err(|e| OutputError::read(path, e))?;
    Ok(text.iter().map(|v| v.map(str::to_string)).collect())
}

pub(super) fn float_column(
    frame: &DataFrame,
    name: &str,
    path: &Path,
) -> Result<Vec<f64>, OutputError> {
    let column = frame
        .column(name)
        .and_then(|c| c.cast(&DataType::Float64))
        .map_err(|e| OutputError::read(path, format!("column `{name}`: {e}")))?;
    let values = column.f64().map_err(|e| OutputError::read(path, e))?;
    Ok(values.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// What each level means, in words a reviewer reads.
fn level_words(field: &str, level: &str) -> &'static str {
    match (field, level) {
        ("id", "identical") => "ID numbers identical as written",
        ("id", "normalized") => {
            "ID numbers equal after normalisation (spacing, width, 15→18 digits)"
        }
        ("id", "one_digit") => "ID numbers differ in one digit",
        ("id", "transposition") => "ID numbers differ by two swapped digits",
        ("id", "masked_agree") => {
            "ID partly hidden (masked); every visible character agrees with the member's ID"
        }
        ("id", "different") => "ID numbers differ",
        ("id", "masked_agree_partial") => {
            "ID partly hidden, some of its last four too; every visible character agrees"
        }
        ("id", "masked_disagree") => {
            "ID partly hidden (masked); a visible character differs from the member's ID"
        }
        ("name", "identical") => "names identical",
        ("name", "normalized") => {
            "names equal after normalisation (traditional/simplified, spaces, dots)"
        }
        ("name", "same_reading") => "names read the same (homophones)",
        ("name", "one_char_diff") => "names differ in one character",
        ("name", "different") => "names clearly differ",
        ("birth_date", "equal") => "birth dates equal",
        ("birth_date", "one_field_off") => "birth dates differ in year, month or day",
        ("birth_date", "day_month_swapped") => "birth dates with day and month swapped",
        ("birth_date", "different") => "birth dates differ",
        ("region", "village") => "same village",
        ("region", "township") => "same township",
        ("region", "county") => "same county",
        ("region", "other") => "different county",
        ("gender", "same") => "same gender (from the ID)",
        ("gender", "different") => "different gender (from the ID)",
        (_, "missing") => {
            "not compared: unknown on one side, or already counted in the ID (no weight)"
        }
        _ => "",
    }
}

/// What each level means, in Chinese, for the workbooks' leads.
fn level_words_zh(field: &str, level: &str) -> &'static str {
    match (field, level) {
        ("id", "identical") => "身份证号完全一致",
        ("id", "normalized") => "身份证号规范化后一致",
        ("id", "one_digit") => "身份证号差一位",
        ("id", "transposition") => "身份证号两位颠倒",
        ("id", "masked_agree") => "身份证号部分隐藏，可见位全部一致",
        ("id", "different") => "身份证号不同",
        ("id", "masked_agree_partial") => "身份证号大部分隐藏（后四位不全），可见位全部一致",
        ("id", "masked_disagree") => "身份证号部分隐藏，可见位不一致",
        ("name", "identical") => "姓名一致",
        ("name", "normalized") => "姓名规范化后一致（繁简、空格、间隔号）",
        ("name", "same_reading") => "姓名同音",
        ("name", "one_char_diff") => "姓名差一字",
        ("name", "different") => "姓名明显不同",
        ("birth_date", "equal") => "出生日期一致",
        ("birth_date", "one_field_off") => "出生日期年、月或日不同",
        ("birth_date", "day_month_swapped") => "出生日期月日颠倒",
        ("birth_date", "different") => "出生日期不同",
        ("region", "village") => "同村",
        ("region", "township") => "同乡镇",
        ("region", "county") => "同县",
        ("region", "other") => "不同县",
        ("gender", "same") => "性别一致",
        ("gender", "different") => "性别不同",
        ("id", "missing") => "登记记录无可用身份证号",
        _ => "",
    }
}

/// A pair's comparison levels in Chinese words, for a reviewer: `(field, level)` in
/// `link::FIELDS` order; fields that were not compared are left out.
pub fn comparison_in_words(levels: &[(&str, &str)]) -> String {
    levels
        .iter()
        .map(|(field, level)| level_words_zh(field, level))
        .filter(|words| !words.is_empty())
        .collect::<Vec<_>>()
        .join("；")
}

const FIELDS: [&str; 5] = ["id", "name", "birth_date", "region", "gender"];

/// The explanation of one household's flags, as text.
pub fn explain(out_dir: &Path, household_id: &str) -> Result<String, OutputError> {
    let flags_path = out_dir.join("flags.parquet");
    let matches_path = out_dir.join("matches.parquet");
    let flags = read(&flags_path)?;
    let matches = read(&matches_path)?;
    let col = |name: &str| text_column(&flags, name, &flags_path);
    let (households, reasons, severities, evidence, records, members) = (
        col("household_id")?,
        col("reason")?,
        col("severity")?,
        col("evidence")?,
        col("record_ids")?,
        col("member_ids")?,
    );
    let mcol = |name: &str| text_column(&matches, name, &matches_path);
    let (m_households, m_records, m_members, m_sources, m_methods, m_decisions, m_notes) = (
        mcol("household_id")?,
        mcol("record_id")?,
        mcol("member_id")?,
        mcol("source")?,
        mcol("method")?,
        mcol("decision")?,
        mcol("note")?,
    );
    let levels: Vec<Vec<Option<String>>> = FIELDS
        .iter()
        .map(|f| mcol(&format!("{f}_level")))
        .collect::<Result<_, _>>()?;
    let weights: Vec<Vec<f64>> = FIELDS
        .iter()
        .map(|f| float_column(&matches, &format!("{f}_weight"), &matches_path))
        .collect::<Result<_, _>>()?;
    let (priors, totals, scores) = (
        float_column(&matches, "prior_weight", &matches_path)?,
        float_column(&matches, "match_weight", &matches_path)?,
        float_column(&matches, "score", &matches_path)?,
    );
    // Runs before namesake risk have no such column.
    let namesakes = float_column(&matches, "expected_namesakes", &matches_path).ok();
    let region_from = mcol("region_from").ok();

    let statuses = col("status")?;
    let findings = Findings::read(&state_dir_of_run(out_dir))?;
    let latest = findings.latest();

    let mut out = String::new();
    let mut found = false;
    for flag in (0..households.len()).filter(|&i| households[i].as_deref() == Some(household_id)) {
        found = true;
        let text = |v: &Vec<Option<String>>| v[flag].clone().unwrap_or_default();
        let _ = writeln!(
            out,
            "{household_id}  {}  ({})  members {}",
            text(&reasons),
            text(&severities),
            text(&members)
        );
        let _ = writeln!(out, "  evidence: {}", text(&evidence));
        if let Some(reason) = Reason::named(&text(&reasons)) {
            let list = |text: String| -> Vec<String> {
                text.split(';')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            let support = super::status::support(&list(text(&records)), &list(text(&members)));
            explain_findings(
                &mut out,
                &findings,
                &latest,
                household_id,
                &Subject::Flag { reason },
                text(&statuses) != "new",
                &support,
            );
        }
        for record_id in text(&records).split(';').filter(|r| !r.is_empty()) {
            let rows = (0..m_records.len()).filter(|&j| {
                m_households[j].as_deref() == Some(household_id)
                    && m_records[j].as_deref() == Some(record_id)
            });
            for j in rows {
                let get = |v: &Vec<Option<String>>| v[j].clone().unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  record {record_id} ({}) ↔ member {}: {} by {}, probability {:.6}{}",
                    get(&m_sources),
                    get(&m_members),
                    get(&m_decisions),
                    get(&m_methods),
                    scores[j],
                    m_notes[j]
                        .as_ref()
                        .map(|n| format!(" — held back: {n}"))
                        .unwrap_or_default()
                );
                let _ = writeln!(
                    out,
                    "    {:<11} {:<18} {:>8}  meaning",
                    "field", "level", "weight"
                );
                for (f, field) in FIELDS.iter().enumerate() {
                    let level = levels[f][j].clone().unwrap_or_default();
                    let from = (*field == "region")
                        .then(|| region_from.as_ref().and_then(|r| r[j].as_deref()))
                        .flatten()
                        .and_then(RegionFrom::words)
                        .map(|words| format!(" ({words})"))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "    {field:<11} {level:<18} {:>+8.2}  {}{from}",
                        weights[f][j],
                        level_words(field, &level)
                    );
                }
                let _ = writeln!(
                    out,
                    "    {:<11} {:<18} {:>+8.2}  how rare a match is among all pairs",
                    "prior", "", priors[j]
                );
                let _ = writeln!(
                    out,
                    "    {:<11} {:<18} {:>+8.2}  log2 odds; probability = 1 / (1 + 2^-total)",
                    "total", "", totals[j]
                );
                if let Some(expected) = namesakes.as_ref().map(|n| n[j]).filter(|n| !n.is_nan()) {
                    let _ = writeln!(
                        out,
                        "    namesakes: about {} other people in the registry's population share this name and birth date",
                        crate::rules::about(expected)
                    );
                }
            }
        }
        out.push('\n');
    }
    if !found {
        let _ = writeln!(out, "{household_id}: no flags in {}", out_dir.display());
        // Findings outlive flags: a confirmed flag resolves when its household leaves.
        for (_, subject) in latest.keys().filter(|(h, _)| *h == household_id) {
            let _ = writeln!(
                out,
                "{household_id}  {} (no longer flagged)",
                subject.reason_code()
            );
            explain_findings(
                &mut out,
                &findings,
                &latest,
                household_id,
                subject,
                true,
                &[],
            );
        }
    }
    Ok(out)
}

/// Every finding on one item, oldest first, and the status the latest one gives it now
/// (decided by `review_status`, as the run decides it).
fn explain_findings(
    out: &mut String,
    findings: &Findings,
    latest: &std::collections::BTreeMap<(&str, &Subject), &Finding>,
    household_id: &str,
    subject: &Subject,
    seen_before: bool,
    support: &[String],
) {
    let on_item: Vec<&Finding> = findings
        .all()
        .map(|(_, f)| f)
        .filter(|f| f.household_id == household_id && &f.subject == subject)
        .collect();
    if on_item.is_empty() {
        return;
    }
    let newest = latest.get(&(household_id, subject)).copied();
    let (status, unseen) = review_status(seen_before, newest, support);
    let _ = writeln!(
        out,
        "  status: {} ({}){}",
        status.code(),
        status.label_zh(),
        if unseen.is_empty() {
            String::new()
        } else {
            format!(" — records not seen at review: {}", unseen.join(", "))
        }
    );
    for finding in on_item {
        let marker = if newest.is_some_and(|n| std::ptr::eq(n, finding)) {
            "latest"
        } else {
            "earlier"
        };
        let _ = writeln!(
            out,
            "  finding ({marker}): {} {} by {} on {}{}{} — {}{} row {}",
            finding.verdict.label_zh(),
            finding.verdict.code(),
            finding.reviewer,
            finding.reviewed_on,
            finding
                .action
                .map(|a| format!(", action {} {}", a.label_zh(), a.code()))
                .unwrap_or_default(),
            finding
                .note
                .as_deref()
                .map(|n| format!(", note: {n}"))
                .unwrap_or_default(),
            finding.file,
            finding
                .sheet
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default(),
            finding.row
        );
    }
}
