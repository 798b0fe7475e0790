//! The command line: parses arguments, sets up logging, calls the library, prints summaries
//! and maps errors to the contract's exit codes (2 usage/pipeline, 65 input, 73 output,
//! 75 locked) in one place.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{ConfigError, Pipeline};
use crate::eval::{self, Scores};
use crate::ingest::IngestError;
use crate::job::{self, JobError, RunSummary, ShardError};
use crate::link::Shard;
use crate::rundir::OutputError;
use crate::synth::{self, SynthOptions, Variant};

const EXAMPLES: &str = "\
Examples:
  rollcheck demo
  rollcheck run pipelines/county-nightly.toml --data /srv/rolls/2025-06 --as-of 2025-06-30 --out out/nightly
  rollcheck validate pipelines/county-nightly.toml --data /srv/rolls/2025-06
  rollcheck synth --households 20000 --seed 7 --variant messy --out /tmp/county
  rollcheck eval --truth /tmp/county/truth.csv --flags out/nightly
  rollcheck explain out/nightly H000123";

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

#[derive(Parser, Debug)]
#[command(name = "rollcheck", version, about = "Cross-match assistance rolls against registries and flag households for re-review", after_help = EXAMPLES)]
pub struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Log lines as text, or as JSON objects for schedulers and log collectors.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    /// Stop with exit 65 and a clear message if rollcheck's memory use passes this (e.g. 8G,
    /// 512M). Default: 90% of the memory available at start (or the container's limit).
    #[arg(long, global = true, value_parser = crate::memory::parse_size, value_name = "SIZE")]
    max_memory: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a pipeline: read the roll and registries, match, flag, write outputs.
    Run {
        pipeline: PathBuf,
        /// Directory source paths resolve against; sources without a path are found by name.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Reference date of the check (YYYY-MM-DD); default today.
        #[arg(long, value_parser = parse_as_of)]
        as_of: Option<NaiveDate>,
        /// Output directory, replaced atomically when the run completes.
        #[arg(long, default_value = "rollcheck-out")]
        out: PathBuf,
        /// Run one shard K of N (0-based) for `merge`: links the whole roll to the registry
        /// pieces numbered K modulo N and writes shard.json + pairs.parquet into --out.
        /// Needs `[link] parameters`.
        #[arg(long, value_parser = parse_shard)]
        shard: Option<Shard>,
        /// With --shard: load the roll from this `rollcheck index-roll` directory instead of
        /// reading the roll's files (the same pipeline must have written it).
        #[arg(long, requires = "shard", value_name = "DIR")]
        roll_index: Option<PathBuf>,
        /// Read each registry in pieces of at most this many rows: a run (or a shard) holds
        /// the roll, one piece and the records that link, not whole registries.
        #[arg(long, default_value_t = job::PIECE_ROWS, value_parser = parse_piece_rows)]
        piece_rows: usize,
    },
    /// Combine the directories of `run --shard K/N` (all N of them) into a whole run's
    /// outputs, the same as one `run` would write. Reads the same inputs the shards read.
    Merge {
        pipeline: PathBuf,
        /// The shard output directories, in any order.
        #[arg(required = true)]
        shard_dirs: Vec<PathBuf>,
        #[arg(long)]
        data: Option<PathBuf>,
        /// Reference date; default the shards' own.
        #[arg(long, value_parser = parse_as_of)]
        as_of: Option<NaiveDate>,
        #[arg(long, default_value = "rollcheck-out")]
        out: PathBuf,
        /// Read each registry in pieces of at most this many rows, keeping only the records
        /// linked to a member.
        #[arg(long, default_value_t = job::PIECE_ROWS, value_parser = parse_piece_rows)]
        piece_rows: usize,
    },
    /// Read the roll once for every shard: writes its members as typed (roll.parquet) and
    /// its files' records (roll-index.json) into --out, for `run --shard K/N --roll-index`.
    IndexRoll {
        pipeline: PathBuf,
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value = "rollcheck-roll-index")]
        out: PathBuf,
    },
    /// Check a pipeline and its inputs (headers, rows, quarantine) without matching.
    Validate {
        pipeline: PathBuf,
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Write a synthetic county (roll, registries and truth.csv) for trials and tests.
    Synth {
        #[arg(long, default_value_t = 2000)]
        households: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = VariantArg::Clean)]
        variant: VariantArg,
        /// The as-of date the planted cases are built around.
        #[arg(long, value_parser = parse_as_of, default_value = "2025-06-30")]
        as_of: NaiveDate,
        /// Registries F times as large: each becomes a directory of parts, the county's own
        /// rows and F - 1 more batches about people not on the roll (for benchmarks).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        registry_scale: u32,
        #[arg(long)]
        out: PathBuf,
    },
    /// Synthesise a county, run pipelines/county-nightly.toml on it, print flags and accuracy.
    Demo {
        #[arg(long, default_value_t = 20_000)]
        households: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = VariantArg::Clean)]
        variant: VariantArg,
        /// Where the synthetic data (`data/`) and the run's outputs (`out/`) go.
        #[arg(long, default_value = "rollcheck-demo")]
        dir: PathBuf,
    },
    /// Show, for one household of a finished run, each flag and the comparisons behind it.
    Explain {
        /// The run's output directory.
        out_dir: PathBuf,
        household_id: String,
    },
    /// Link any two tables as a link file declares (comparisons, blocking); writes
    /// pairs.parquet and model.json.
    Link {
        link_file: PathBuf,
        #[arg(long, default_value = "rollcheck-link-out")]
        out: PathBuf,
    },
    /// Write analyst copies of a run's tables with every household, member and record id
    /// replaced by a keyed pseudonym (HMAC-SHA256) and evidence left out.
    Export {
        /// The run's output directory.
        out_dir: PathBuf,
        /// A file holding the secret key (at least 16 bytes); keep it outside the pipeline.
        #[arg(long)]
        pseudonymize: PathBuf,
        /// Where the pseudonymised copies go (replaced atomically).
        #[arg(long)]
        out: PathBuf,
    },
    /// List the runs recorded in a history directory (as-of date, flags, new, resolved).
    History {
        /// The state directory (`[state] dir`, or `<OUTDIR>.history` by default).
        state_dir: PathBuf,
    },
    /// Run SQL over a finished run: tables flags, households, matches, quarantine, resolved,
    /// `flag_members` (one row per flag and member), history (flags of every recorded run,
    /// with `as_of`) and runs. Prints a table, or writes CSV/Parquet with --out.
    Query {
        /// The run's output directory.
        out_dir: PathBuf,
        sql: String,
        /// Write the answer here (`.parquet`, else CSV) instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The history directory; default `<OUT_DIR>.history` (set it if `[state] dir` is).
        #[arg(long)]
        state: Option<PathBuf>,
        /// Rows to print at most.
        #[arg(long, default_value_t = 100)]
        rows: usize,
    },
    /// Show which flags differ between two runs (output directories or recorded runs).
    Diff { run_a: PathBuf, run_b: PathBuf },
    /// The review loop: findings from the visits come back into the run history.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Compare a run's flags with a truth file: precision, recall and F1 per reason.
    Eval {
        #[arg(long)]
        truth: PathBuf,
        /// The run's output directory (reads flags.csv).
        #[arg(long)]
        flags: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ReviewCommand {
    /// Record the findings of filled review workbooks (.xlsx) or CSVs
    /// (`household_id,reason,verdict,reviewer,reviewed_on[,note]`) against the run in `OUT_DIR`.
    /// Rows that cannot be recorded are listed (file, sheet, row, column, problem) and the
    /// exit status is 65; the other rows are recorded. Importing a file again changes nothing.
    Import {
        /// The run's output directory (the run that sent the workbooks out).
        out_dir: PathBuf,
        /// Filled workbooks or CSV files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The history directory, if not the one the run recorded in its manifest.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Draw a share of the recorded findings, at random within each township, into a
    /// workbook for a second reviewer (sheet 复核抽查); import it like any other. Where the
    /// second reviewer disagrees, the report says so.
    Sample {
        /// The run's output directory.
        out_dir: PathBuf,
        /// The share of each township's findings to re-check (0 to 1).
        #[arg(long, default_value_t = 0.3, value_parser = parse_share)]
        share: f64,
        /// The workbook to write; default `<OUT_DIR>.recheck.xlsx` beside the outputs.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        state: Option<PathBuf>,
    },
}

fn parse_share(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(share) if share > 0.0 && share <= 1.0 => Ok(share),
        _ => Err(format!(
            "`{text}` is not a share: write a number above 0 and at most 1, e.g. 0.3"
        )),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum VariantArg {
    /// UTF-8 CSV, English headers, canonical IDs and names.
    Clean,
    /// GBK/BOM/Parquet/gzip files, Chinese headers, damaged-but-normalisable IDs,
    /// unreadable rows.
    Messy,
    /// Messy plus blank, mistyped and transposed IDs, homophones and namesakes.
    Hard,
    /// Hard plus masked IDs (411526********123X), masked decoys and blank-ID namesakes by
    /// name frequency; also writes which records are the member and which are not.
    Wild,
}

impl From<VariantArg> for Variant {
    fn from(value: VariantArg) -> Self {
        match value {
            VariantArg::Clean => Variant::Clean,
            VariantArg::Messy => Variant::Messy,
            VariantArg::Hard => Variant::Hard,
            VariantArg::Wild => Variant::Wild,
        }
    }
}

fn parse_piece_rows(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(rows) if rows > 0 => Ok(rows),
        _ => Err(format!(
            "`{text}` is not a number of rows: write a whole number above 0"
        )),
    }
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    text.parse()
}

fn parse_as_of(text: &str) -> Result<NaiveDate, String> {
    crate::ingest::parse_date(text).ok_or_else(|| format!("`{text}` is not a date (YYYY-MM-DD)"))
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
            if crate::rundir::is_file(&flags.join("matches.parquet")) {
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
            include_str!("../pipelines/county-nightly.toml"),
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
