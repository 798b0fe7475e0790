//! `rollcheck query`: SQL (polars-sql) over a finished run's tables and its history.
//!
//! Tables: `flags`, `households`, `matches`, `quarantine`, `resolved` (the run's own files),
//! `flag_members` (one row per flag and member: `member_ids` split), `history` (the flags of
//! every recorded run, with `as_of`) and `runs` (one row per recorded run).

use std::io::Write as _;
use std::path::Path;

use polars::prelude::{lit, Column, DataFrame, DataType, IntoLazy, LazyFrame};
use polars::sql::SQLContext;

use super::explain::{read, text_column};
use super::files::create_private;
use super::history::list_runs;
use super::OutputError;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Table(#[from] OutputError),
    #[error("SQL: {0}\n(tables: {1})")]
    Sql(String, String),
}

/// The run's own tables, by name and file.
const RUN_TABLES: [(&str, &str); 5] = [
    ("flags", "flags.parquet"),
    ("households", "households.parquet"),
    ("matches", "matches.parquet"),
    ("quarantine", "quarantine.parquet"),
    ("resolved", "resolved.parquet"),
];

/// Runs `sql` over the tables of the run in `out_dir` and the history in `state_dir`.
pub fn query(out_dir: &Path, state_dir: &Path, sql: &str) -> Result<DataFrame, QueryError> {
    let mut context = SQLContext::new();
    let mut names = Vec::new();
    for (name, file) in RUN_TABLES {
        let path = out_dir.join(file);
        if !path.exists() && name == "resolved" {
            continue; // runs from before history was kept have none
        }
        let frame = read(&path)?;
        if name == "flags" {
            context.register("flag_members", flag_members(&frame, &path)?.lazy());
            names.push("flag_members");
        }
        context.register(name, frame.lazy());
        names.push(name);
    }
    let runs = list_runs(state_dir);
    if !runs.is_empty() {
        let mut history: Vec<LazyFrame> = Vec::new();
        for (dir, record) in &runs {
            let frame = read(&dir.join("flags.parquet"))?;
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

/// One row per flag and member it names.
fn flag_members(flags: &DataFrame, path: &Path) -> Result<DataFrame, OutputError> {
    let column = |name| text_column(flags, name, path);
    let (households, reasons, severities, members) = (
        column("household_id")?,
        column("reason")?,
        column("severity")?,
        column("member_ids")?,
    );
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

fn runs_frame(
    runs: &[(std::path::PathBuf, super::history::RunRecord)],
    state_dir: &Path,
) -> Result<DataFrame, OutputError> {
    let text = |f: fn(&super::history::RunRecord) -> &str| {
        runs.iter()
            .map(|(_, r)| f(r).to_string())
            .collect::<Vec<_>>()
    };
    let count = |f: fn(&super::history::RunRecord) -> usize| {
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
        return super::tables::write_frame(path, frame);
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
