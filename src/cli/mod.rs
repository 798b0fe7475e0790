//! The command line, in the manner of ripgrep's `main`: parses arguments (`args`), sets up
//! logging and the memory ceiling, dispatches each command to the code it drives, prints
//! what that returns, and maps errors to the contract's exit codes (2 usage/pipeline,
//! 65 input, 73 output, 75 locked) in one place. Only this module prints to stdout.

mod args;

pub use args::Cli;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;

use crate::config::{ConfigError, Pipeline};
use crate::eval;
use crate::ingest::IngestError;
use crate::inspect;
use crate::job::{self, JobError, ShardError, Timed};
use crate::review::ImportOutcome;
use crate::rundir::OutputError;
use crate::synth;
use args::{Command, LogFormat, QueryArgs, ReviewCommand};

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

/// Loads the pipeline, then runs `work` on it timed, with a spinner naming the stage it is
/// in: the one way run, shard, merge and index-roll go.
fn staged<T>(
    pipeline: &Path,
    log_format: LogFormat,
    work: impl FnOnce(&Pipeline, job::Progress) -> Result<T, JobError>,
) -> anyhow::Result<Timed<T>> {
    let pipeline = Pipeline::load(pipeline)?;
    let spinner = stage_spinner(log_format);
    let progress = |stage: &str| spinner.set_message(stage.to_string());
    let done = job::timed(|| work(&pipeline, &progress));
    spinner.finish_and_clear();
    Ok(done?)
}

/// One `match` from error kinds to exit codes.
fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(job) = cause.downcast_ref::<JobError>() {
            return job_exit_code(job);
        }
        if let Some(IngestError::Standards { .. }) = cause.downcast_ref::<IngestError>() {
            return exit::USAGE;
        }
        if cause.downcast_ref::<IngestError>().is_some() {
            return exit::INPUT;
        }
        if let Some(export) = cause.downcast_ref::<inspect::ExportError>() {
            return match export {
                inspect::ExportError::Key { .. } => exit::INPUT,
                inspect::ExportError::Output(_) => exit::OUTPUT,
            };
        }
        if let Some(query) = cause.downcast_ref::<inspect::QueryError>() {
            return match query {
                inspect::QueryError::Table(output) => output_exit_code(output),
                inspect::QueryError::Sql(..) => exit::USAGE,
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

/// `JobError` wraps the stages' errors transparently, which hides them from `downcast_ref`
/// on the chain: each variant is mapped here as its inner error is above.
fn job_exit_code(err: &JobError) -> u8 {
    match err {
        JobError::Shard(ShardError::NeedsParameters)
        | JobError::Rules(_)
        | JobError::Ingest(IngestError::Standards { .. })
        | JobError::Config(_)
        | JobError::NoIdColumn { .. }
        | JobError::Synth(_)
        | JobError::Eval(_) => exit::USAGE,
        JobError::Ingest(_) | JobError::Shard(_) | JobError::Link(_) => exit::INPUT,
        JobError::Output(output) => output_exit_code(output),
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

/// Runs one command and prints what it returns.
fn dispatch(command: Command, log_format: LogFormat) -> anyhow::Result<()> {
    match command {
        Command::Run(args) => {
            if let Some(shard) = args.shard {
                let written = staged(&args.pipeline, log_format, |pipeline, progress| {
                    let (data, index) = (args.data.as_deref(), args.roll_index.as_deref());
                    let (as_of, rows, out) = (args.as_of(), args.piece_rows, &args.out);
                    job::run_shard(pipeline, data, as_of, shard, rows, index, out, progress)
                })?;
                out!("{written} → {}", args.out.display());
            } else {
                let summary = staged(&args.pipeline, log_format, |pipeline, progress| {
                    let (data, as_of, rows) = (args.data.as_deref(), args.as_of(), args.piece_rows);
                    job::run_with_progress(pipeline, data, as_of, &args.out, rows, progress)
                })?;
                out_raw!("{summary}");
            }
        }
        Command::Merge(args) => {
            let summary = staged(&args.pipeline, log_format, |pipeline, progress| {
                let (data, dirs, out) = (args.data.as_deref(), &args.shard_dirs, &args.out);
                let (as_of, rows) = (args.as_of, args.piece_rows);
                job::merge(pipeline, data, as_of, dirs, rows, out, progress)
            })?;
            out_raw!("{summary}");
        }
        Command::IndexRoll(args) => {
            let written = staged(&args.pipeline, log_format, |pipeline, progress| {
                job::index_roll(pipeline, args.data.as_deref(), &args.out, progress)
            })?;
            out!("{written} → {}", args.out.display());
        }
        Command::Validate { pipeline, data } => {
            out_raw!("{}", job::validate(&pipeline, data.as_deref())?);
        }
        Command::Synth(args) => {
            let (options, out) = (args.options(), &args.out);
            let (shape, warnings) = (args.shape(), args.warning_shape());
            let scale = args.registry_scale;
            let written = synth::write_county_shaped(&options, out, scale, &shape, &warnings)
                .with_context(|| format!("writing synthetic county to {}", out.display()))?;
            out!("{written} to {}", out.display());
        }
        Command::Demo(args) => {
            let variant = args.variant.into();
            job::demo(
                args.households,
                args.seed,
                variant,
                &args.dir,
                &mut print_raw,
            )?;
        }
        Command::Explain(args) => {
            out_raw!("{}", inspect::explain(&args.out_dir, &args.household_id)?);
        }
        Command::Link { link_file, out } => {
            let linked = job::link(&link_file, &out)?;
            out_raw!("{linked}");
            // The process ends next: freeing millions of cells one by one (0.6 s at a
            // million rows a side) would only delay the exit that returns all of it at once.
            std::mem::forget(linked);
        }
        Command::History { state_dir } => out_raw!("{}", inspect::history_table(&state_dir)),
        Command::Query(args) => print_query(&args)?,
        Command::Review { command } => review(command)?,
        Command::Diff { run_a, run_b } => out_raw!("{}", inspect::diff(&run_a, &run_b)?),
        Command::Export(args) => {
            let (out_dir, key, out) = (&args.out_dir, &args.pseudonymize, &args.out);
            let rows = inspect::export_pseudonymized(out_dir, key, out)?;
            out!("wrote {rows} pseudonymised rows to {}", out.display());
        }
        Command::Eval { truth, flags } => {
            let scores =
                eval::evaluate_files(&truth, &flags.join(crate::rundir::names::FLAGS_CSV))?;
            out_raw!("{scores}");
            if let Some(coverage) = eval::coverage_of_run(&truth, &flags)? {
                out!("{coverage}");
            }
            if let Some(income) = eval::income_of_run(&truth, &flags)? {
                out_raw!("{income}");
            }
            if let Some(warnings) = eval::warnings_of_run(&truth, &flags)? {
                out_raw!("{warnings}");
            }
            let (overpaid, recheck) = eval::money_of_run(&truth, &flags)?;
            if let Some(overpaid) = overpaid {
                out_raw!("{overpaid}");
            }
            if let Some(recheck) = recheck {
                out_raw!("{recheck}");
            }
            if let Some(reliability) = eval::reliability_of_run(&truth, &flags)? {
                out_raw!("{reliability}");
            }
        }
    }
    Ok(())
}

/// `rollcheck review import` and `review sample`.
fn review(command: ReviewCommand) -> anyhow::Result<()> {
    match command {
        ReviewCommand::Import(args) => {
            let (out_dir, state) = (&args.out_dir, args.state.as_deref());
            let today = chrono::Local::now().date_naive();
            let outcome = crate::review::import(out_dir, &args.files, state, today)?;
            out_raw!("{outcome}");
            list_rejected(&outcome)?;
        }
        ReviewCommand::Sample(args) => {
            let workbook = args.out.unwrap_or_else(|| recheck_workbook(&args.out_dir));
            let (out_dir, state) = (&args.out_dir, args.state.as_deref());
            let drawn = crate::review::sample(out_dir, args.share, state, |items| {
                crate::output::write_recheck_workbook(&workbook, items)
            })?;
            let to = workbook.display();
            out!("{drawn} findings drawn for a second reviewer → {to}");
        }
    }
    Ok(())
}

/// Prints text as it is, for a command that reports step by step.
fn print_raw(text: &dyn std::fmt::Display) {
    out_raw!("{text}");
}

/// Runs `rollcheck query` and prints the answer, or writes it with `--out`.
fn print_query(query: &QueryArgs) -> anyhow::Result<()> {
    let out_dir = &query.out_dir;
    let state = query
        .state
        .as_ref()
        .map_or_else(|| crate::rundir::state_dir_of_run(out_dir), PathBuf::clone);
    let mut answer = inspect::query(out_dir, &state, &query.sql)?;
    if let Some(path) = &query.out {
        inspect::write_query_result(&mut answer, path)?;
        out!("{} rows → {}", answer.height(), path.display());
    } else {
        // polars reads its table size from the environment; nothing else runs yet.
        if std::env::var_os("POLARS_FMT_MAX_ROWS").is_none() {
            std::env::set_var("POLARS_FMT_MAX_ROWS", query.rows.to_string());
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

/// Lists the files and rows an import did not record on stderr; any row or file not recorded makes
/// the import fail (exit 65), though the other findings were recorded.
fn list_rejected(outcome: &ImportOutcome) -> Result<(), FindingsRejected> {
    // A file that could not be read at all (corrupt, encrypted, not a findings file) is
    // named here too: a script reading stderr alone must see every file left out.
    for file in &outcome.files {
        if let Some(error) = &file.error {
            eprintln!("rejected: {}: not imported: {error}", file.file);
        }
    }
    for problem in &outcome.problems {
        eprintln!("rejected: {}", crate::review::describe_problem(problem));
    }
    if outcome.rejected_any() {
        return Err(FindingsRejected {
            rejected: outcome.not_recorded(),
        });
    }
    Ok(())
}

/// The re-check workbook's default path: `<OUT_DIR>.recheck.xlsx` beside the outputs.
fn recheck_workbook(out_dir: &Path) -> PathBuf {
    let name = out_dir.file_name().map_or_else(
        || "rollcheck-out".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    out_dir.with_file_name(format!("{name}.recheck.xlsx"))
}
