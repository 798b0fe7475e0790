//! `rollcheck explain`: for one household of a finished run, each flag with its evidence and,
//! for every record behind it, the comparison table that linked the record to the member.

use std::fmt::Write as _;
use std::path::Path;

use crate::link::corroborate::RegionFrom;
use crate::link::words::level_words;
use crate::model::Reason;
use crate::review::findings::{Finding, Findings, Subject};
use crate::review::review_status;
use crate::rundir::names::{FLAGS_PARQUET, MATCHES};
use crate::rundir::{float_column, read, state_dir_of_run, text_column, OutputError};

const FIELDS: [&str; 5] = ["id", "name", "birth_date", "region", "gender"];

/// The explanation of one household's flags, as text.
pub fn explain(out_dir: &Path, household_id: &str) -> Result<String, OutputError> {
    let flags_path = out_dir.join(FLAGS_PARQUET);
    let matches_path = out_dir.join(MATCHES);
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
            let support = crate::review::support(&list(text(&records)), &list(text(&members)));
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
