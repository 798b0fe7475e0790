//! `rollcheck query`: SQL (polars-sql) over a finished run's tables and its history.
//!
//! Tables: `flags`, `households`, `matches`, `quarantine`, `resolved`, `leads`,
//! `spot_checks` (the run's own files), `review_summary` (`review_summary.csv`),
//! `flag_members` (one row per flag and member: `member_ids` split), `findings` (every
//! finding recorded, with its file, sheet and row), `history` (the flags of every recorded
//! run, with `as_of`) and `runs` (one row per recorded run).

use std::io::Write as _;
use std::path::Path;

use polars::prelude::{lit, Column, DataFrame, DataType, IntoLazy, LazyFrame};
use polars::sql::SQLContext;

use crate::review::findings::{Finding, Findings, Subject};
use crate::rundir::names::{
    FLAGS_PARQUET, HOUSEHOLDS, INCOME, LEADS, MATCHES, QUARANTINE, RECHECK_DUE, RESOLVED,
    REVIEW_SUMMARY, SPOT_CHECKS, SUPPORTERS, WARNINGS_PARQUET,
};
use crate::rundir::{create_private, list_runs, read, FlagColumns, OutputError, RunRecord};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Table(#[from] OutputError),
    #[error("SQL: {0}\n(tables: {1})")]
    Sql(String, String),
}

/// The run's own tables, by name and file.
const RUN_TABLES: [(&str, &str); 11] = [
    ("flags", FLAGS_PARQUET),
    ("households", HOUSEHOLDS),
    ("matches", MATCHES),
    ("quarantine", QUARANTINE),
    ("resolved", RESOLVED),
    ("leads", LEADS),
    ("spot_checks", SPOT_CHECKS),
    ("income", INCOME),
    ("supporters", SUPPORTERS),
    ("recheck_due", RECHECK_DUE),
    ("warnings", WARNINGS_PARQUET),
];

/// Runs `sql` over the tables of the run in `out_dir` and the history in `state_dir`.
pub fn query(out_dir: &Path, state_dir: &Path, sql: &str) -> Result<DataFrame, QueryError> {
    let mut context = SQLContext::new();
    let mut names = Vec::new();
    for (name, file) in RUN_TABLES {
        let path = out_dir.join(file);
        if !crate::rundir::is_file(&path)
            && matches!(
                name,
                "resolved"
                    | "leads"
                    | "spot_checks"
                    | "recheck_due"
                    | "income"
                    | "supporters"
                    | "warnings"
            )
        {
            continue; // runs from before history, review or v3 were kept have none
        }
        let frame = read(&path)?;
        if name == "flags" {
            context.register("flag_members", flag_members(&frame, &path)?.lazy());
            names.push("flag_members");
        }
        if name == "warnings" {
            context.register("signals", warning_signals(&frame, &path)?.lazy());
            names.push("signals");
        }
        context.register(name, frame.lazy());
        names.push(name);
    }
    let summary = out_dir.join(REVIEW_SUMMARY);
    if crate::rundir::is_file(&summary) {
        context.register("review_summary", read_summary_csv(&summary)?.lazy());
        names.push("review_summary");
    }
    let findings = Findings::read(state_dir)?;
    context.register("findings", findings_frame(&findings, state_dir)?.lazy());
    names.push("findings");
    let runs = list_runs(state_dir);
    if !runs.is_empty() {
        let mut history: Vec<LazyFrame> = Vec::new();
        for (dir, record) in &runs {
            let frame = read(&dir.join(FLAGS_PARQUET))?;
            history.push(
                frame
                    .lazy()
                    .with_column(lit(record.as_of.clone()).alias("as_of")),
            );
        }
        let history = polars::prelude::concat(history, polars::prelude::UnionArgs::default())
            .map_err(|e| OutputError::read(state_dir, e))?;
        context.register("history", history);
        context.register("runs", runs_frame(&runs, state_dir)?.lazy());
        names.extend(["history", "runs"]);
    }
    let tables = names.join(", ");
    context
        .execute(sql)
        .and_then(LazyFrame::collect)
        .map_err(|e| QueryError::Sql(e.to_string(), tables))
}

/// `review_summary.csv` as a table: counts and rates as numbers, empty cells as nulls.
fn read_summary_csv(path: &Path) -> Result<DataFrame, OutputError> {
    let bytes = crate::rundir::read_bytes(path).map_err(|e| OutputError::read(path, e))?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::Reader::from_reader(text);
    let headers = reader
        .headers()
        .map_err(|e| OutputError::read(path, e))?
        .clone();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
    for record in reader.records() {
        let record = record.map_err(|e| OutputError::read(path, e))?;
        for (i, cell) in record.iter().enumerate().take(headers.len()) {
            cells[i].push(cell.to_string());
        }
    }
    let columns = headers
        .iter()
        .zip(cells)
        .enumerate()
        .map(|(i, (name, values))| {
            if i < 3 {
                Column::new(name.into(), values)
            } else {
                let numbers: Vec<Option<f64>> =
                    values.iter().map(|v| v.parse::<f64>().ok()).collect();
                Column::new(name.into(), numbers)
            }
        })
        .collect();
    DataFrame::new_infer_height(columns).map_err(|e| OutputError::read(path, e))
}

/// Every recorded finding, with where it came from and whether it is its item's latest.
fn findings_frame(findings: &Findings, state_dir: &Path) -> Result<DataFrame, OutputError> {
    let latest: std::collections::HashSet<*const Finding> = findings
        .latest()
        .values()
        .map(|f| std::ptr::from_ref(*f))
        .collect();
    let all: Vec<_> = findings.all().collect();
    let text = |f: &dyn Fn(&Finding) -> Option<String>| -> Vec<Option<String>> {
        all.iter().map(|(_, finding)| f(finding)).collect()
    };
    let lead = |finding: &Finding, pick: fn(&str, &str, &str) -> String| match &finding.subject {
        Subject::Lead {
            member_id,
            source,
            record_id,
            ..
        } => Some(pick(member_id, source, record_id)),
        _ => None,
    };
    DataFrame::new_infer_height(vec![
        Column::new(
            "household_id".into(),
            text(&|f| Some(f.household_id.clone())),
        ),
        Column::new("kind".into(), text(&|f| Some(f.subject.kind().to_string()))),
        Column::new(
            "reason".into(),
            text(&|f| Some(f.subject.reason_code().to_string())),
        ),
        Column::new(
            "member_id".into(),
            text(&|f| lead(f, |m, _, _| m.to_string())),
        ),
        Column::new("source".into(), text(&|f| lead(f, |_, s, _| s.to_string()))),
        Column::new(
            "record_id".into(),
            text(&|f| lead(f, |_, _, r| r.to_string())),
        ),
        Column::new(
            "verdict".into(),
            text(&|f| Some(f.verdict.code().to_string())),
        ),
        Column::new(
            "action".into(),
            text(&|f| f.action.map(|a| a.code().to_string())),
        ),
        Column::new("reviewer".into(), text(&|f| Some(f.reviewer.clone()))),
        Column::new(
            "reviewed_on".into(),
            text(&|f| Some(f.reviewed_on.to_string())),
        ),
        Column::new("note".into(), text(&|f| f.note.clone())),
        Column::new("file".into(), text(&|f| Some(f.file.clone()))),
        Column::new("sheet".into(), text(&|f| f.sheet.clone())),
        Column::new(
            "row".into(),
            all.iter()
                .map(|(_, f)| u64::try_from(f.row).unwrap_or(u64::MAX))
                .collect::<Vec<u64>>(),
        ),
        Column::new("run_id".into(), text(&|f| Some(f.run_id.clone()))),
        Column::new(
            "imported_at".into(),
            all.iter()
                .map(|(b, _)| b.imported_at.clone())
                .collect::<Vec<String>>(),
        ),
        Column::new(
            "latest".into(),
            all.iter()
                .map(|(_, f)| latest.contains(&std::ptr::from_ref(*f)))
                .collect::<Vec<bool>>(),
        ),
    ])
    .map_err(|e| OutputError::read(state_dir, e))
}

/// One row per flag and member it names.
fn flag_members(flags: &DataFrame, path: &Path) -> Result<DataFrame, OutputError> {
    let FlagColumns {
        households,
        reasons,
        severities,
        members,
        ..
    } = FlagColumns::of(flags, path)?;
    let (mut h, mut m, mut r, mut s) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..households.len() {
        for member in members[i].as_deref().unwrap_or("").split(';') {
            if member.is_empty() {
                continue;
            }
            h.push(households[i].clone());
            m.push(member.to_string());
            r.push(reasons[i].clone());
            s.push(severities[i].clone());
        }
    }
    DataFrame::new_infer_height(vec![
        Column::new("household_id".into(), h),
        Column::new("member_id".into(), m),
        Column::new("reason".into(), r),
        Column::new("severity".into(), s),
    ])
    .map_err(|e| OutputError::read(path, e))
}

/// One row per (warning, signal): the early-warning signals behind each warning.
fn warning_signals(warnings: &DataFrame, path: &Path) -> Result<DataFrame, OutputError> {
    let text = |name: &str| crate::rundir::text_column(warnings, name, path);
    let (ids, kinds, signals) = (text("warning_id")?, text("warning")?, text("signals")?);
    let (mut i, mut k, mut s) = (Vec::new(), Vec::new(), Vec::new());
    for row in 0..ids.len() {
        for signal in signals[row].as_deref().unwrap_or("").split(';') {
            if !signal.is_empty() {
                i.push(ids[row].clone());
                k.push(kinds[row].clone());
                s.push(signal.to_string());
            }
        }
    }
    DataFrame::new_infer_height(vec![
        Column::new("warning_id".into(), i),
        Column::new("warning".into(), k),
        Column::new("signal".into(), s),
    ])
    .map_err(|e| OutputError::read(path, e))
}

fn runs_frame(
    runs: &[(std::path::PathBuf, RunRecord)],
    state_dir: &Path,
) -> Result<DataFrame, OutputError> {
    let text = |f: fn(&RunRecord) -> &str| {
        runs.iter()
            .map(|(_, r)| f(r).to_string())
            .collect::<Vec<_>>()
    };
    let count = |f: fn(&RunRecord) -> usize| {
        runs.iter()
            .map(|(_, r)| u64::try_from(f(r)).unwrap_or(u64::MAX))
            .collect::<Vec<_>>()
    };
    DataFrame::new_infer_height(vec![
        Column::new("run_id".into(), text(|r| &r.run_id)),
        Column::new("as_of".into(), text(|r| &r.as_of)),
        Column::new("finished_at".into(), text(|r| &r.finished_at)),
        Column::new("flags".into(), count(|r| r.flags)),
        Column::new("new".into(), count(|r| r.new)),
        Column::new("persisting".into(), count(|r| r.persisting)),
        Column::new("resolved".into(), count(|r| r.resolved)),
    ])
    .map_err(|e| OutputError::read(state_dir, e))
}

/// Writes a query's answer as Parquet (`.parquet`) or CSV (anything else; UTF-8, no BOM).
pub fn write_query_result(frame: &mut DataFrame, path: &Path) -> Result<(), OutputError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        return crate::rundir::write_frame(path, frame);
    }
    let file = create_private(path)?;
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(&file));
    let names: Vec<&str> = frame
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect();
    writer
        .write_record(&names)
        .map_err(|e| OutputError::write(path, e))?;
    let columns: Vec<Column> = frame
        .columns()
        .iter()
        .map(|c| c.cast(&DataType::String))
        .collect::<Result<_, _>>()
        .map_err(|e| OutputError::write(path, e))?;
    let texts = columns
        .iter()
        .map(Column::str)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| OutputError::write(path, e))?;
    for row in 0..frame.height() {
        let cells = texts.iter().map(|c| c.get(row).unwrap_or(""));
        writer
            .write_record(cells)
            .map_err(|e| OutputError::write(path, e))?;
    }
    writer
        .into_inner()
        .map_err(|e| OutputError::write(path, e))?
        .flush()
        .map_err(|e| OutputError::write(path, e))?;
    file.sync_all().map_err(|e| OutputError::write(path, e))
}
