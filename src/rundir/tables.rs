//! The tabular outputs as Parquet (polars) and flags.csv (UTF-8 with BOM for Excel).
//! Lists (`member_ids`, `record_ids`, `reasons`) are `;`-joined text so CSV, Parquet and SQL agree.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::{Column, DataFrame, DataType, ParquetReader, ParquetWriter, SerReader};

use super::files::create_private;
use super::names::col;
use super::names::FLAGS_PARQUET;
use super::{FlagRow, LeadRow, MatchRow, OutputError, SpotCheckRow, Verdicted};
use crate::ingest::QuarantinedRow;
use crate::model::{Reason, Severity};
use crate::rules::Households;

/// Column order of flags.parquet and flags.csv (the contract's order; v3's `since,
/// overpaid_yuan` come last so that readers of the older columns go on working).
pub const FLAG_COLUMNS: [&str; 17] = [
    col::HOUSEHOLD_ID,
    "programme",
    "region_code",
    col::REASON,
    col::SEVERITY,
    col::MEMBER_IDS,
    col::EVIDENCE,
    col::RECORD_IDS,
    "score",
    "status",
    "first_flagged_on",
    "run_id",
    "verdict",
    col::REVIEWER,
    "reviewed_on",
    col::SINCE,
    col::OVERPAID_YUAN,
];

const LIST_SEPARATOR: &str = ";";

fn text_column(name: &str, values: Vec<String>) -> Column {
    Column::new(name.into(), values)
}

fn optional_text_column(name: &str, values: Vec<Option<String>>) -> Column {
    Column::new(name.into(), values)
}

fn date_column(name: &str, dates: &[NaiveDate]) -> Result<Column, String> {
    let dates: Vec<Option<NaiveDate>> = dates.iter().copied().map(Some).collect();
    optional_date_column(name, &dates)
}

pub(super) fn optional_date_column(
    name: &str,
    dates: &[Option<NaiveDate>],
) -> Result<Column, String> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the Unix epoch is a date");
    let days: Vec<Option<i32>> = dates
        .iter()
        .map(|d| d.map(|d| i32::try_from((d - epoch).num_days()).unwrap_or(i32::MAX)))
        .collect();
    Column::new(name.into(), days)
        .cast(&DataType::Date)
        .map_err(|e| e.to_string())
}

pub(super) fn write_parquet(path: &Path, columns: Vec<Column>) -> Result<(), OutputError> {
    let mut frame =
        DataFrame::new_infer_height(columns).map_err(|e| OutputError::write(path, e))?;
    write_frame(path, &mut frame)
}

/// Writes a frame as a private Parquet file and flushes it to disk.
pub fn write_frame(path: &Path, frame: &mut DataFrame) -> Result<(), OutputError> {
    let file = create_private(path)?;
    ParquetWriter::new(&file)
        .finish(frame)
        .map_err(|e| OutputError::write(path, e))?;
    file.sync_all().map_err(|e| OutputError::write(path, e))
}

pub fn write_flags_parquet(
    path: &Path,
    flags: &[FlagRow],
    run_id: &str,
) -> Result<(), OutputError> {
    let pick = |f: fn(&FlagRow) -> String| flags.iter().map(f).collect::<Vec<_>>();
    let first_flagged: Vec<NaiveDate> = flags.iter().map(|f| f.first_flagged_on).collect();
    let columns = vec![
        text_column("household_id", pick(|f| f.flag.household_id.clone())),
        text_column("programme", pick(|f| f.flag.programme.code().into())),
        optional_text_column(
            "region_code",
            flags.iter().map(|f| f.flag.region_code.clone()).collect(),
        ),
        text_column("reason", pick(|f| f.flag.reason.code().into())),
        text_column("severity", pick(|f| f.flag.severity.code().into())),
        text_column(
            "member_ids",
            pick(|f| f.flag.member_ids.join(LIST_SEPARATOR)),
        ),
        text_column("evidence", pick(|f| f.flag.evidence.clone())),
        text_column(
            "record_ids",
            pick(|f| f.flag.record_ids.join(LIST_SEPARATOR)),
        ),
        Column::new(
            "score".into(),
            flags.iter().map(|f| f.flag.score).collect::<Vec<f64>>(),
        ),
        text_column("status", pick(|f| f.status.code().into())),
        date_column("first_flagged_on", &first_flagged).map_err(|e| OutputError::write(path, e))?,
        text_column("run_id", vec![run_id.to_string(); flags.len()]),
        optional_text_column(
            "verdict",
            flags
                .iter()
                .map(|f| f.finding.as_ref().map(|v| v.verdict.code().to_string()))
                .collect(),
        ),
        optional_text_column(
            "reviewer",
            flags
                .iter()
                .map(|f| f.finding.as_ref().map(|v| v.reviewer.clone()))
                .collect(),
        ),
        optional_date_column(
            "reviewed_on",
            &flags
                .iter()
                .map(|f| f.finding.as_ref().map(|v| v.reviewed_on))
                .collect::<Vec<_>>(),
        )
        .map_err(|e| OutputError::write(path, e))?,
        optional_date_column(
            col::SINCE,
            &flags
                .iter()
                .map(|f| f.flag.overpayment.map(|o| o.since))
                .collect::<Vec<_>>(),
        )
        .map_err(|e| OutputError::write(path, e))?,
        Column::new(
            col::OVERPAID_YUAN.into(),
            flags
                .iter()
                .map(|f| f.flag.overpaid_yuan())
                .collect::<Vec<Option<f64>>>(),
        ),
    ];
    write_parquet(path, columns)
}

/// Yuan in a CSV cell: two decimals, blank when unknown.
pub fn yuan_cell(amount: Option<f64>) -> String {
    amount.map_or_else(String::new, |a| format!("{a:.2}"))
}

/// flags.csv: UTF-8 with a BOM so that Excel shows the Chinese text.
pub fn write_flags_csv(path: &Path, flags: &[FlagRow], run_id: &str) -> Result<(), OutputError> {
    let file = create_private(path)?;
    let mut buffer = BufWriter::new(&file);
    let err = |e: &dyn std::fmt::Display| OutputError::write(path, e);
    buffer.write_all(b"\xEF\xBB\xBF").map_err(|e| err(&e))?;
    {
        let mut writer = csv::Writer::from_writer(&mut buffer);
        writer.write_record(FLAG_COLUMNS).map_err(|e| err(&e))?;
        for row in flags {
            let flag = &row.flag;
            writer
                .write_record([
                    flag.household_id.as_str(),
                    flag.programme.code(),
                    flag.region_code.as_deref().unwrap_or(""),
                    flag.reason.code(),
                    flag.severity.code(),
                    &flag.member_ids.join(LIST_SEPARATOR),
                    &flag.evidence,
                    &flag.record_ids.join(LIST_SEPARATOR),
                    &format_score(flag.score),
                    row.status.code(),
                    &row.first_flagged_on.format("%Y-%m-%d").to_string(),
                    run_id,
                    row.finding.as_ref().map_or("", |v| v.verdict.code()),
                    row.finding.as_ref().map_or("", |v| v.reviewer.as_str()),
                    &row.finding.as_ref().map_or_else(String::new, |v| {
                        v.reviewed_on.format("%Y-%m-%d").to_string()
                    }),
                    &flag
                        .overpayment
                        .map_or_else(String::new, |o| o.since.format("%Y-%m-%d").to_string()),
                    &yuan_cell(flag.overpaid_yuan()),
                ])
                .map_err(|e| err(&e))?;
        }
        writer.flush().map_err(|e| err(&e))?;
    }
    buffer.flush().map_err(|e| err(&e))?;
    drop(buffer);
    file.sync_all().map_err(|e| err(&e))
}

/// Scores print with up to four decimals and no trailing zeros.
pub fn format_score(score: f64) -> String {
    let text = format!("{score:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub(crate) fn write_households(
    path: &Path,
    households: &Households,
    flags: &[FlagRow],
    benefits: &std::collections::HashMap<String, f64>,
) -> Result<(), OutputError> {
    let mut reasons: BTreeMap<&str, Vec<(Reason, Severity)>> = BTreeMap::new();
    for row in flags {
        reasons
            .entry(&row.flag.household_id)
            .or_default()
            .push((row.flag.reason, row.flag.severity));
    }
    let (mut ids, mut programmes, mut regions) = (Vec::new(), Vec::new(), Vec::new());
    let (mut n_members, mut n_flags, mut highest, mut reason_lists) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for household in households.by_id.values() {
        let found = reasons
            .get(household.household_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        ids.push(household.household_id.clone());
        programmes.push(household.programme.code().to_string());
        regions.push(household.region_code.clone());
        n_members.push(u32::try_from(household.n_members).unwrap_or(u32::MAX));
        n_flags.push(u32::try_from(found.len()).unwrap_or(u32::MAX));
        highest.push(
            found
                .iter()
                .map(|(_, s)| *s)
                .max()
                .map(|s| s.code().to_string()),
        );
        reason_lists.push(
            found
                .iter()
                .map(|(r, _)| r.code())
                .collect::<Vec<_>>()
                .join(LIST_SEPARATOR),
        );
    }
    write_parquet(
        path,
        vec![
            text_column("household_id", ids),
            text_column("programme", programmes),
            optional_text_column("region_code", regions),
            Column::new("n_members".into(), n_members),
            Column::new("n_flags".into(), n_flags),
            optional_text_column("highest_severity", highest),
            text_column("reasons", reason_lists),
            Column::new(
                "monthly_benefit".into(),
                households
                    .by_id
                    .keys()
                    .map(|id| benefits.get(id).copied())
                    .collect::<Vec<Option<f64>>>(),
            ),
        ],
    )
}

pub fn write_matches(path: &Path, matches: &[MatchRow]) -> Result<(), OutputError> {
    // Borrowed, not copied: a province has a million rows (issue 32).
    let pick = |name: &str, f: fn(&MatchRow) -> &str| {
        Column::new(name.into(), matches.iter().map(f).collect::<Vec<&str>>())
    };
    write_parquet(
        path,
        vec![
            pick("household_id", |m| &m.household_id),
            pick("member_id", |m| &m.member_id),
            pick("source", |m| m.source),
            pick("record_id", |m| &m.record_id),
            pick("method", |m| m.method),
            Column::new(
                "score".into(),
                matches.iter().map(|m| m.score).collect::<Vec<f64>>(),
            ),
            pick("id_level", |m| m.id_level),
            pick("name_level", |m| m.name_level),
            pick("birth_date_level", |m| m.birth_date_level),
            pick("region_level", |m| m.region_level),
            pick("gender_level", |m| m.gender_level),
            weight_column("id_weight", matches, 0),
            weight_column("name_weight", matches, 1),
            weight_column("birth_date_weight", matches, 2),
            weight_column("region_weight", matches, 3),
            weight_column("gender_weight", matches, 4),
            Column::new(
                "prior_weight".into(),
                matches.iter().map(|m| m.prior_weight).collect::<Vec<f64>>(),
            ),
            Column::new(
                "match_weight".into(),
                matches.iter().map(|m| m.match_weight).collect::<Vec<f64>>(),
            ),
            pick("decision", |m| m.decision),
            Column::new(
                "note".into(),
                matches.iter().map(|m| m.note).collect::<Vec<_>>(),
            ),
            Column::new(
                "expected_namesakes".into(),
                matches
                    .iter()
                    .map(|m| m.expected_namesakes)
                    .collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "name_share".into(),
                matches
                    .iter()
                    .map(|m| m.name_share)
                    .collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "birth_date_share".into(),
                matches
                    .iter()
                    .map(|m| m.birth_date_share)
                    .collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "namesake_rate".into(),
                matches
                    .iter()
                    .map(|m| m.namesake_rate)
                    .collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "region_from".into(),
                matches.iter().map(|m| m.region_from).collect::<Vec<_>>(),
            ),
            pick("role", |m| m.role.code()),
        ],
    )
}

fn weight_column(name: &str, matches: &[MatchRow], field: usize) -> Column {
    Column::new(
        name.into(),
        matches
            .iter()
            .map(|m| m.field_weights[field])
            .collect::<Vec<f64>>(),
    )
}

pub fn write_quarantine(path: &Path, rows: &[QuarantinedRow]) -> Result<(), OutputError> {
    let pick = |f: fn(&QuarantinedRow) -> String| rows.iter().map(f).collect::<Vec<_>>();
    write_parquet(
        path,
        vec![
            text_column("source", pick(|q| q.source.code().into())),
            text_column("file", pick(|q| q.file.clone())),
            Column::new(
                "row".into(),
                rows.iter()
                    .map(|q| u64::try_from(q.row).unwrap_or(u64::MAX))
                    .collect::<Vec<u64>>(),
            ),
            optional_text_column("column", rows.iter().map(|q| q.column.clone()).collect()),
            text_column("problem", pick(|q| q.problem.clone())),
            text_column("raw", pick(|q| q.raw.clone())),
        ],
    )
}

/// `rollcheck link` output: one row per scored pair; per comparison a level name and a weight.
/// Borrows its text from the linked tables: a million pairs would otherwise copy millions
/// of ids and level names.
pub struct PairsTable<'a> {
    pub left_ids: Vec<&'a str>,
    pub right_ids: Vec<&'a str>,
    pub probabilities: Vec<f64>,
    pub match_weights: Vec<f64>,
    pub matched: Vec<bool>,
    /// (comparison name, level per pair, weight per pair).
    pub comparisons: Vec<(String, Vec<&'a str>, Vec<f64>)>,
}

pub fn write_pairs(path: &Path, pairs: &PairsTable) -> Result<(), OutputError> {
    let mut columns = vec![
        Column::new("left_id".into(), &pairs.left_ids),
        Column::new("right_id".into(), &pairs.right_ids),
        Column::new("probability".into(), pairs.probabilities.clone()),
        Column::new("match_weight".into(), pairs.match_weights.clone()),
        Column::new("matched".into(), pairs.matched.clone()),
    ];
    for (name, levels, weights) in &pairs.comparisons {
        columns.push(Column::new(format!("{name}_level").into(), levels));
        columns.push(Column::new(
            format!("{name}_weight").into(),
            weights.clone(),
        ));
    }
    write_parquet(path, columns)
}

/// resolved.parquet: flags of the previous run that this run no longer raises, with the
/// latest finding on each (a confirmed flag resolves when its household leaves the roll).
pub fn write_resolved(
    path: &Path,
    resolved: &[ResolvedFlag],
    as_of: NaiveDate,
) -> Result<(), OutputError> {
    let first: Vec<NaiveDate> = resolved.iter().map(|r| r.flag.first_flagged_on).collect();
    let finding = |f: fn(&Verdicted) -> String| -> Vec<Option<String>> {
        resolved.iter().map(|r| r.finding.as_ref().map(f)).collect()
    };
    let reviewed_on: Vec<Option<NaiveDate>> = resolved
        .iter()
        .map(|r| r.finding.as_ref().map(|v| v.reviewed_on))
        .collect();
    write_parquet(
        path,
        vec![
            text_column(
                "household_id",
                resolved
                    .iter()
                    .map(|r| r.flag.household_id.clone())
                    .collect(),
            ),
            text_column(
                "reason",
                resolved.iter().map(|r| r.flag.reason.clone()).collect(),
            ),
            date_column("first_flagged_on", &first).map_err(|e| OutputError::write(path, e))?,
            date_column("resolved_on", &vec![as_of; resolved.len()])
                .map_err(|e| OutputError::write(path, e))?,
            optional_text_column("verdict", finding(|v| v.verdict.code().to_string())),
            optional_text_column("reviewer", finding(|v| v.reviewer.clone())),
            optional_date_column("reviewed_on", &reviewed_on)
                .map_err(|e| OutputError::write(path, e))?,
            optional_text_column(
                "action",
                resolved
                    .iter()
                    .map(|r| {
                        r.finding
                            .as_ref()
                            .and_then(|v| v.action)
                            .map(|a| a.code().to_string())
                    })
                    .collect(),
            ),
        ],
    )
}

/// leads.parquet: every lead, best first; `shown` says whether the workbooks' sheet 待核实线索
/// lists it or the township's cap held it back.
pub fn write_leads(path: &Path, leads: &[LeadRow]) -> Result<(), OutputError> {
    let pick = |f: fn(&LeadRow) -> String| leads.iter().map(f).collect::<Vec<_>>();
    write_parquet(
        path,
        vec![
            text_column("household_id", pick(|l| l.household_id.clone())),
            text_column("member_id", pick(|l| l.member_id.clone())),
            text_column("reason", pick(|l| l.reason.code().to_string())),
            text_column("severity", pick(|l| l.severity.code().to_string())),
            text_column("source", pick(|l| l.source.clone())),
            text_column("record_id", pick(|l| l.record_id.clone())),
            Column::new(
                "probability".into(),
                leads.iter().map(|l| l.probability).collect::<Vec<f64>>(),
            ),
            text_column("comparison", pick(|l| l.comparison.clone())),
            optional_text_column(
                "region_code",
                leads.iter().map(|l| l.region_code.clone()).collect(),
            ),
            Column::new(
                "expected_namesakes".into(),
                leads
                    .iter()
                    .map(|l| l.expected_namesakes)
                    .collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "shown".into(),
                leads.iter().map(|l| l.shown).collect::<Vec<bool>>(),
            ),
            optional_text_column(
                "member_id_digest",
                leads.iter().map(|l| l.member_id_digest.clone()).collect(),
            ),
        ],
    )
}

/// `spot_checks.parquet`: the households drawn for the sheet 抽查.
pub fn write_spot_checks(path: &Path, checks: &[SpotCheckRow]) -> Result<(), OutputError> {
    write_parquet(
        path,
        vec![
            text_column(
                "household_id",
                checks.iter().map(|c| c.household_id.clone()).collect(),
            ),
            text_column(
                "programme",
                checks
                    .iter()
                    .map(|c| c.programme.code().to_string())
                    .collect(),
            ),
            optional_text_column(
                "region_code",
                checks.iter().map(|c| c.region_code.clone()).collect(),
            ),
        ],
    )
}

/// `recheck_due.parquet`: the households due their periodic re-check, in household order.
pub fn write_recheck_due(path: &Path, due: &[super::RecheckDue]) -> Result<(), OutputError> {
    let dates = |f: fn(&super::RecheckDue) -> Option<NaiveDate>| -> Vec<Option<NaiveDate>> {
        due.iter().map(f).collect()
    };
    write_parquet(
        path,
        vec![
            text_column(
                col::HOUSEHOLD_ID,
                due.iter().map(|d| d.household_id.clone()).collect(),
            ),
            text_column(
                "programme",
                due.iter().map(|d| d.programme.code().to_string()).collect(),
            ),
            optional_text_column(
                "region_code",
                due.iter().map(|d| d.region_code.clone()).collect(),
            ),
            text_column(
                "category",
                due.iter().map(|d| d.category.code().to_string()).collect(),
            ),
            optional_date_column("last_checked", &dates(|d| d.last_checked))
                .map_err(|e| OutputError::write(path, e))?,
            optional_date_column("due_on", &dates(|d| Some(d.due_on)))
                .map_err(|e| OutputError::write(path, e))?,
            Column::new(
                "overdue_days".into(),
                due.iter().map(|d| d.overdue_days).collect::<Vec<u32>>(),
            ),
            Column::new(
                "flagged".into(),
                due.iter().map(|d| d.flagged).collect::<Vec<bool>>(),
            ),
        ],
    )
}

/// A flag of the previous run that this run no longer raises, with its latest finding.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedFlag {
    pub flag: PreviousFlag,
    pub finding: Option<Verdicted>,
}

/// A flag of an earlier run, as its flags.parquet says.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousFlag {
    pub household_id: String,
    pub reason: String,
    pub first_flagged_on: NaiveDate,
    pub region_code: Option<String>,
    pub member_ids: Vec<String>,
    pub record_ids: Vec<String>,
    pub score: f64,
    pub status: String,
    pub evidence: String,
    /// v3: the flag's estimated overpayment, where the run wrote one.
    pub overpaid_yuan: Option<f64>,
}

/// The flags of the run currently in `out_dir`, if any. An unreadable previous file means
/// no history (every flag is `new`), never a failed run.
pub fn previous_flags(out_dir: &Path) -> Vec<PreviousFlag> {
    let path = out_dir.join(FLAGS_PARQUET);
    let Ok(file) = std::fs::File::open(&path) else {
        return Vec::new();
    };
    let Ok(frame) = ParquetReader::new(file).finish() else {
        tracing::warn!(path = %path.display(), "previous flags unreadable; treating every flag as new");
        return Vec::new();
    };
    read_previous(&frame).unwrap_or_default()
}

/// Reads the columns every version of flags.parquet has, and the others where present.
fn read_previous(frame: &DataFrame) -> Option<Vec<PreviousFlag>> {
    let text = |name: &str| -> Vec<Option<String>> {
        frame
            .column(name)
            .ok()
            .and_then(|c| c.cast(&DataType::String).ok())
            .map_or_else(
                || vec![None; frame.height()],
                |c| {
                    c.str().map_or_else(
                        |_| vec![None; frame.height()],
                        |s| s.iter().map(|v| v.map(str::to_string)).collect(),
                    )
                },
            )
    };
    let list = |value: Option<String>| -> Vec<String> {
        value
            .filter(|v| !v.is_empty())
            .map(|v| v.split(LIST_SEPARATOR).map(str::to_string).collect())
            .unwrap_or_default()
    };
    frame.column("household_id").ok()?;
    frame.column("reason").ok()?;
    let scores: Vec<Option<f64>> = frame
        .column("score")
        .ok()
        .and_then(|c| c.f64().ok().map(|s| s.iter().collect()))
        .unwrap_or_else(|| vec![None; frame.height()]);
    let overpaid: Vec<Option<f64>> = frame
        .column(col::OVERPAID_YUAN)
        .ok()
        .and_then(|c| c.f64().ok().map(|s| s.iter().collect()))
        .unwrap_or_else(|| vec![None; frame.height()]);
    let rows = text("household_id")
        .into_iter()
        .zip(text("reason"))
        .zip(text("first_flagged_on"))
        .zip(text("region_code"))
        .zip(text("member_ids").into_iter().zip(text("record_ids")))
        .zip(scores.into_iter().zip(text("status")))
        .zip(text("evidence").into_iter().zip(overpaid))
        .filter_map(
            |(
                (((((household, reason), first), region), (members, records)), (score, status)),
                (evidence, overpaid_yuan),
            )| {
                Some(PreviousFlag {
                    household_id: household?,
                    reason: reason?,
                    first_flagged_on: crate::ingest::parse_date(&first?)?,
                    region_code: region,
                    member_ids: list(members),
                    record_ids: list(records),
                    score: score.unwrap_or(1.0),
                    status: status.unwrap_or_default(),
                    evidence: evidence.unwrap_or_default(),
                    overpaid_yuan,
                })
            },
        )
        .collect();
    Some(rows)
}
