//! The command line: parses arguments, sets up logging, calls the library, prints summaries
//! and maps errors to the contract's exit codes (2 usage/pipeline, 65 input, 73 output,
//! 75 locked) in one place. The commands, flags and arguments are in `args`.

mod args;

pub use args::Cli;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::Parser as _;

use crate::config::{ConfigError, Pipeline};
use crate::eval::{self, Scores};
use crate::ingest::IngestError;
use crate::job::{self, JobError, RunSummary, ShardError};
use crate::rundir::OutputError;
use crate::synth::{self, SynthOptions, Variant};
use args::{Command, LogFormat, ReviewCommand};

/// Writes a line to stdout. A closed pipe (`rollcheck run … | head`) means the reader has
/// gone: the output is dropped instead of panicking, and the run's files are already written.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Writes text to stdout as it is (no newline added), dropping it on a closed pipe.
macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Exit codes of the contract.
mod exit {
    pub const USAGE: u8 = 2;
    pub const INPUT: u8 = 65;
    pub const OUTPUT: u8 = 73;
    pub const LOCKED: u8 = 75;
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet, cli.log_format);
    // Polars' own warnings (a SQL rule's `as_of()` is a date literal, which polars reads
    // through a cast it marks deprecated) are log lines, not messages for the operator.
    polars::error::set_warning_function(|message, kind| {
        tracing::debug!(?kind, "polars: {message}");
    });
    if let Some(limit) = cli.max_memory.or_else(crate::memory::default_limit) {
        crate::memory::watch(limit, cli.max_memory.is_some(), exit::INPUT);
    }
    match dispatch(cli.command, cli.log_format) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

fn init_logging(verbose: u8, quiet: bool, format: LogFormat) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ROLLCHECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("rollcheck={level}")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// A spinner on stderr naming the current stage; hidden when stderr is not a terminal (the
/// log lines of `-v` serve schedulers there) or when the log is JSON.
fn stage_spinner(format: LogFormat) -> indicatif::ProgressBar {
    use std::io::IsTerminal as _;
    if format == LogFormat::Json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    spinner
}

/// One `match` from error kinds to exit codes.
fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(job) = cause.downcast_ref::<JobError>() {
            return match job {
                JobError::Shard(ShardError::NeedsParameters)
                | JobError::Rules(_)
                | JobError::Ingest(IngestError::Standards { .. }) => exit::USAGE,
                JobError::Ingest(_) | JobError::Shard(_) => exit::INPUT,
                JobError::Output(output) => output_exit_code(output),
            };
        }
        if let Some(IngestError::Standards { .. }) = cause.downcast_ref::<IngestError>() {
            return exit::USAGE;
        }
        if cause.downcast_ref::<IngestError>().is_some()
            || cause
                .downcast_ref::<crate::link::generic::GenericLinkError>()
                .is_some()
        {
            return exit::INPUT;
        }
        if let Some(export) = cause.downcast_ref::<crate::inspect::ExportError>() {
            return match export {
                crate::inspect::ExportError::Key { .. } => exit::INPUT,
                crate::inspect::ExportError::Output(_) => exit::OUTPUT,
            };
        }
        if let Some(query) = cause.downcast_ref::<crate::inspect::QueryError>() {
            return match query {
                crate::inspect::QueryError::Table(output) => output_exit_code(output),
                crate::inspect::QueryError::Sql(..) => exit::USAGE,
            };
        }
        if let Some(output) = cause.downcast_ref::<OutputError>() {
            return output_exit_code(output);
        }
        if cause.downcast_ref::<ConfigError>().is_some() {
            return exit::USAGE;
        }
        if cause.downcast_ref::<FindingsRejected>().is_some() {
            return exit::INPUT;
        }
    }
    exit::USAGE
}

fn query(
    out_dir: &Path,
    sql: &str,
    out: Option<&Path>,
    state: Option<&Path>,
    rows: usize,
) -> anyhow::Result<()> {
    let state = state.map_or_else(
        || crate::rundir::state_dir_of_run(out_dir),
        Path::to_path_buf,
    );
    let mut answer = crate::inspect::query(out_dir, &state, sql)?;
    if let Some(path) = out {
        crate::inspect::write_query_result(&mut answer, path)?;
        out!("{} rows → {}", answer.height(), path.display());
    } else {
        // polars reads its table size from the environment; nothing else runs yet.
        if std::env::var_os("POLARS_FMT_MAX_ROWS").is_none() {
            std::env::set_var("POLARS_FMT_MAX_ROWS", rows.to_string());
        }
        std::env::set_var("POLARS_FMT_STR_LEN", "60");
        out_raw!("{answer}\n");
    }
    Ok(())
}

/// Some rows of an import were not recorded (they are listed above the error).
#[derive(Debug, thiserror::Error)]
#[error("{rejected} of the findings' rows or files were not recorded (listed above); the other findings were")]
struct FindingsRejected {
    rejected: usize,
}

fn review(command: ReviewCommand) -> anyhow::Result<()> {
    match command {
        ReviewCommand::Import {
            out_dir,
            files,
            state,
        } => {
            let today = chrono::Local::now().date_naive();
            let outcome = crate::review::import(&out_dir, &files, state.as_deref(), today)?;
            for file in &outcome.files {
                if let Some(error) = &file.error {
                    out!("{}: not imported: {error}", file.file);
                } else {
                    out!(
                        "{}: {} findings recorded, {} already recorded, {} rows not yet reviewed, {} rejected",
                        file.file,
                        file.recorded,
                        file.already_recorded,
                        file.unreviewed,
                        file.rejected
                    );
                }
            }
            for problem in &outcome.problems {
                eprintln!("rejected: {}", crate::review::describe_problem(problem));
            }
            if outcome.rejected_any() {
                let rejected = outcome.problems.len()
                    + outcome.files.iter().filter(|f| f.error.is_some()).count();
                return Err(FindingsRejected { rejected }.into());
            }
            Ok(())
        }
        ReviewCommand::Sample {
            out_dir,
            share,
            out,
            state,
        } => {
            let workbook = out.unwrap_or_else(|| {
                let name = out_dir.file_name().map_or_else(
                    || "rollcheck-out".into(),
                    |n| n.to_string_lossy().into_owned(),
                );
                out_dir.with_file_name(format!("{name}.recheck.xlsx"))
            });
            let drawn = crate::review::sample(&out_dir, share, state.as_deref(), |items| {
                crate::output::write_recheck_workbook(&workbook, items)
            })?;
            out!(
                "{drawn} findings drawn for a second reviewer → {}",
                workbook.display()
            );
            Ok(())
        }
    }
}

fn output_exit_code(err: &OutputError) -> u8 {
    match err {
        OutputError::Locked { .. } => exit::LOCKED,
        // A finished run or shard that cannot be read back is bad input to this command.
        OutputError::Read { .. } => exit::INPUT,
        OutputError::Write { .. } => exit::OUTPUT,
    }
}

fn dispatch(command: Command, log_format: LogFormat) -> anyhow::Result<()> {
    match command {
        Command::Run {
            pipeline,
            data,
            as_of,
            out,
            shard,
            roll_index,
            piece_rows,
        } => {
            let pipeline = Pipeline::load(&pipeline)?;
            let as_of = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
            let started = Instant::now();
            let spinner = stage_spinner(log_format);
            let progress = |stage: &str| spinner.set_message(stage.to_string());
            if let Some(shard) = shard {
                let written = job::run_shard(
                    &pipeline,
                    data.as_deref(),
                    as_of,
                    shard,
                    piece_rows,
                    roll_index.as_deref(),
                    &out,
                    &progress,
                );
                spinner.finish_and_clear();
                let written = written?;
                out!(
                    "shard {shard} of run {}: {} of {} registry pieces, {} pairs compared, {} kept, in {:.1} s → {}",
                    written.run_id,
                    written.pieces_linked,
                    written.pieces,
                    written.compared,
                    written.pairs,
                    started.elapsed().as_secs_f64(),
                    out.display()
                );
                return Ok(());
            }
            let summary = job::run_with_progress(
                &pipeline,
                data.as_deref(),
                as_of,
                &out,
                piece_rows,
                &progress,
            );
            spinner.finish_and_clear();
            let summary = summary?;
            print_summary(&summary, started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Merge {
            pipeline,
            shard_dirs,
            data,
            as_of,
            out,
            piece_rows,
        } => {
            let pipeline = Pipeline::load(&pipeline)?;
            let started = Instant::now();
            let spinner = stage_spinner(log_format);
            let progress = |stage: &str| spinner.set_message(stage.to_string());
            let summary = job::merge(
                &pipeline,
                data.as_deref(),
                as_of,
                &shard_dirs,
                piece_rows,
                &out,
                &progress,
            );
            spinner.finish_and_clear();
            let summary = summary?;
            print_summary(&summary, started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::IndexRoll {
            pipeline,
            data,
            out,
        } => {
            let pipeline = Pipeline::load(&pipeline)?;
            let started = Instant::now();
            let spinner = stage_spinner(log_format);
            let progress = |stage: &str| spinner.set_message(stage.to_string());
            let written = job::index_roll(&pipeline, data.as_deref(), &out, &progress);
            spinner.finish_and_clear();
            let written = written?;
            out!(
                "roll index of {} members from {} file(s) in {:.1} s → {}",
                written.members,
                written.files.len(),
                started.elapsed().as_secs_f64(),
                out.display()
            );
            Ok(())
        }
        Command::Validate { pipeline, data } => validate(&pipeline, data.as_deref()),
        Command::Synth {
            households,
            seed,
            variant,
            as_of,
            registry_scale,
            out,
        } => {
            let options = SynthOptions {
                households,
                seed,
                variant: variant.into(),
                as_of,
            };
            let written = synth::write_county_scaled(&options, &out, registry_scale)
                .with_context(|| format!("writing synthetic county to {}", out.display()))?;
            out!(
                "wrote {} households, {} roll rows, {} registry rows and {} planted flags to {}",
                written.households,
                written.members,
                written.registry_rows,
                written.truth_flags,
                out.display()
            );
            Ok(())
        }
        Command::Demo {
            households,
            seed,
            variant,
            dir,
        } => demo(households, seed, variant.into(), &dir),
        Command::Explain {
            out_dir,
            household_id,
        } => {
            out_raw!("{}", crate::inspect::explain(&out_dir, &household_id)?);
            Ok(())
        }
        Command::Link { link_file, out } => link(&link_file, &out),
        Command::History { state_dir } => {
            out_raw!("{}", crate::inspect::history_table(&state_dir));
            Ok(())
        }
        Command::Query {
            out_dir,
            sql,
            out,
            state,
            rows,
        } => query(&out_dir, &sql, out.as_deref(), state.as_deref(), rows),
        Command::Review { command } => review(command),
        Command::Diff { run_a, run_b } => {
            out_raw!("{}", crate::inspect::diff(&run_a, &run_b)?);
            Ok(())
        }
        Command::Export {
            out_dir,
            pseudonymize,
            out,
        } => {
            let rows = crate::inspect::export_pseudonymized(&out_dir, &pseudonymize, &out)?;
            out!("wrote {rows} pseudonymised rows to {}", out.display());
            Ok(())
        }
        Command::Eval { truth, flags } => {
            let scores = eval::evaluate_files(&truth, &flags.join("flags.csv"))?;
            out_raw!("{}", scores.table());
            if flags.join("matches.parquet").exists() {
                out!("{}", eval::coverage(&truth, &flags)?.line());
            }
            Ok(())
        }
    }
}

fn validate(pipeline_path: &Path, data: Option<&Path>) -> anyhow::Result<()> {
    let pipeline = Pipeline::load(pipeline_path)?;
    crate::rules::sql::check(&pipeline).map_err(JobError::Rules)?;
    let ingested = crate::ingest::load(&pipeline, data)?;
    out!(
        "{}: pipeline `{}` is valid",
        pipeline_path.display(),
        pipeline.name
    );
    out!(
        "{:<16} {:>9} {:>9} {:>12}  {:<22} path",
        "source",
        "read",
        "used",
        "quarantined",
        "encoding"
    );
    for input in &ingested.inputs {
        out!(
            "{:<16} {:>9} {:>9} {:>12}  {:<22} {}",
            input.source.code(),
            input.rows_read,
            input.rows_used,
            input.rows_quarantined,
            input.encoding,
            input.path
        );
    }
    for shared in &ingested.roll_duplicates {
        out!(
            "  households in two roll files: {} in {} and {}",
            shared.households,
            shared.first_file,
            shared.second_file
        );
    }
    for row in ingested.quarantine.iter().take(20) {
        out!(
            "  quarantine: {} row {} {}: {}",
            row.file,
            row.row,
            row.column.as_deref().unwrap_or("-"),
            row.problem
        );
    }
    Ok(())
}

fn link(link_file: &Path, out: &Path) -> anyhow::Result<()> {
    let job = crate::config::LinkJob::load(link_file)?;
    let started = Instant::now();
    let (left, right) = rayon::join(
        || crate::ingest::read_text_table(&job.left.path),
        || crate::ingest::read_text_table(&job.right.path),
    );
    let (left, right) = (left?, right?);
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "read both tables"
    );
    let linking = Instant::now();
    let linked = crate::link::generic::link_tables(&job, &left, &right)?;
    tracing::info!(seconds = linking.elapsed().as_secs_f64(), "linked");
    let (left_ids, right_ids) = (id_column(&left, &job.left)?, id_column(&right, &job.right)?);
    let pairs = crate::rundir::PairsTable {
        left_ids: linked.pairs.iter().map(|p| left_ids[p.left_idx]).collect(),
        right_ids: linked
            .pairs
            .iter()
            .map(|p| right_ids[p.right_idx])
            .collect(),
        probabilities: linked.pairs.iter().map(|p| p.weights.probability).collect(),
        match_weights: linked.pairs.iter().map(|p| p.weights.total).collect(),
        matched: linked
            .pairs
            .iter()
            .map(|p| p.weights.probability >= job.match_probability)
            .collect(),
        comparisons: linked
            .shape
            .names
            .iter()
            .enumerate()
            .map(|(f, name)| {
                let levels = linked
                    .pairs
                    .iter()
                    .map(|p| linked.level_names[f][p.levels[f]].as_str())
                    .collect();
                let weights = linked.pairs.iter().map(|p| p.weights.fields[f]).collect();
                (name.clone(), levels, weights)
            })
            .collect(),
    };
    let writing = Instant::now();
    crate::rundir::write_link_run(out, &pairs, &linked.parameters)?;
    tracing::info!(
        seconds = writing.elapsed().as_secs_f64(),
        "wrote the outputs"
    );
    let matched = pairs.matched.iter().filter(|m| **m).count();
    out!(
        "linked {} x {} rows: {} candidate pairs, {} pairs written, {matched} at or above {} ({:.2} s); parameters: {} ({} EM iterations)",
        left.len(),
        right.len(),
        linked.candidate_pairs,
        pairs.left_ids.len(),
        job.match_probability,
        started.elapsed().as_secs_f64(),
        linked.parameters.source,
        linked.parameters.em_iterations,
    );
    out!("  outputs: {}", out.display());
    // The process ends next: freeing millions of cells one by one (0.6 s at a million rows
    // a side) would only delay the exit that returns all of it at once.
    std::mem::forget(pairs);
    std::mem::forget((left, right, linked));
    Ok(())
}

/// A linked table's id column, borrowed.
fn id_column<'t>(
    table: &'t crate::ingest::TextTable,
    spec: &crate::config::TableSpec,
) -> anyhow::Result<Vec<&'t str>> {
    let values = table.column(&spec.id_column).ok_or_else(|| {
        anyhow::anyhow!("{}: no id column `{}`", spec.path.display(), spec.id_column)
    })?;
    Ok(values.into_iter().map(Option::unwrap_or_default).collect())
}

fn print_summary(summary: &RunSummary, seconds: f64) {
    out!("run {} finished in {seconds:.2} s", summary.run_id);
    out!(
        "  {} households, {} roll rows, {} rows quarantined",
        summary.households,
        summary.members,
        summary.quarantined
    );
    out!("  {:<22} {:>8}", "reason", "flags");
    for (reason, count) in summary.flags_per_reason() {
        out!("  {:<22} {:>8}", reason.code(), count);
    }
    out!("  {:<22} {:>8}", "total", summary.flags.len());
    out!("  outputs: {}", summary.out_dir.display());
}

fn demo(households: usize, seed: u64, variant: Variant, root: &Path) -> anyhow::Result<()> {
    let as_of = NaiveDate::from_ymd_opt(2025, 6, 30).expect("a fixed, real date");
    let data_dir = root.join("data");
    let out_dir = root.join("out");
    let started = Instant::now();
    let written = synth::write_county(
        &SynthOptions {
            households,
            seed,
            variant,
            as_of,
        },
        &data_dir,
    )?;
    let synth_seconds = started.elapsed().as_secs_f64();
    out!(
        "synthesised {} households ({} roll rows) in {synth_seconds:.2} s",
        written.households,
        written.members
    );
    let pipeline_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/county-nightly.toml");
    let pipeline = match Pipeline::load(&pipeline_path) {
        Ok(pipeline) => pipeline,
        // An installed binary without the source tree still has the shipped pipeline text.
        Err(_) => Pipeline::parse(
            include_str!("../../pipelines/county-nightly.toml"),
            Path::new("county-nightly.toml"),
        )?,
    };
    let run_started = Instant::now();
    let summary = job::run(&pipeline, Some(&data_dir), as_of, &out_dir)?;
    print_summary(&summary, run_started.elapsed().as_secs_f64());
    let scores: Scores =
        eval::evaluate_files(&data_dir.join("truth.csv"), &out_dir.join("flags.csv"))?;
    out!("\naccuracy against the planted truth:");
    out_raw!("{}", scores.table());
    Ok(())
}
