//! The command line's words: commands, their flags and arguments (clap), and the parsers
//! of flag values. What each command does is in `cli::dispatch` and the code it calls.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::job;
use crate::link::Shard;
use crate::synth::{self, SupporterShape, SynthOptions, Variant, WarningShape};

const EXAMPLES: &str = "\
Examples:
  rollcheck demo
  rollcheck run pipelines/county-nightly.toml --data /srv/rolls/2025-06 --as-of 2025-06-30 --out out/nightly
  rollcheck validate pipelines/county-nightly.toml --data /srv/rolls/2025-06
  rollcheck synth --households 20000 --seed 7 --variant messy --out /tmp/county
  rollcheck eval --truth /tmp/county/truth.csv --flags out/nightly
  rollcheck explain out/nightly H000123";

#[derive(Parser, Debug)]
#[command(name = "rollcheck", version, about = "Cross-match assistance rolls against registries and flag households for re-review", after_help = EXAMPLES)]
pub struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log lines as text, or as JSON objects for schedulers and log collectors.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Stop with exit 65 and a clear message if rollcheck's memory use passes this (e.g. 8G,
    /// 512M). Default: 90% of the memory available at start (or the container's limit).
    #[arg(long, global = true, value_parser = crate::memory::parse_size, value_name = "SIZE")]
    pub max_memory: Option<u64>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a pipeline: read the roll and registries, match, flag, write outputs.
    Run(RunArgs),
    /// Combine the directories of `run --shard K/N` (all N of them) into a whole run's
    /// outputs, the same as one `run` would write. Reads the same inputs the shards read.
    Merge(MergeArgs),
    /// Read the roll once for every shard: writes its members as typed (roll.parquet) and
    /// its files' records (roll-index.json) into --out, for `run --shard K/N --roll-index`.
    IndexRoll(IndexRollArgs),
    /// Check a pipeline and its inputs (headers, rows, quarantine) without matching.
    Validate {
        pipeline: PathBuf,
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Write a synthetic county (roll, registries and truth.csv) for trials and tests.
    Synth(SynthArgs),
    /// Synthesise a county, run pipelines/county-nightly.toml on it, print flags and accuracy.
    Demo(DemoArgs),
    /// Show, for one household of a finished run, each flag and the comparisons behind it.
    Explain(ExplainArgs),
    /// Link any two tables as a link file declares (comparisons, blocking); writes
    /// pairs.parquet and model.json.
    Link {
        link_file: PathBuf,
        #[arg(long, default_value = "rollcheck-link-out")]
        out: PathBuf,
    },
    /// Write analyst copies of a run's tables with every household, member and record id
    /// replaced by a keyed pseudonym (HMAC-SHA256) and evidence left out.
    Export(ExportArgs),
    /// List the runs recorded in a history directory (as-of date, flags, new, resolved).
    History {
        /// The state directory (`[state] dir`, or `<OUTDIR>.history` by default).
        state_dir: PathBuf,
    },
    /// Run SQL over a finished run: tables flags, households, matches, quarantine, resolved,
    /// `flag_members` (one row per flag and member), history (flags of every recorded run,
    /// with `as_of`) and runs. Prints a table, or writes CSV/Parquet with --out.
    Query(QueryArgs),
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
pub enum ReviewCommand {
    /// Record the findings of filled review workbooks (.xlsx) or CSVs
    /// (`household_id,reason,verdict,reviewer,reviewed_on[,note]`) against the run in `OUT_DIR`.
    /// Rows that cannot be recorded are listed (file, sheet, row, column, problem) and the
    /// exit status is 65; the other rows are recorded. Importing a file again changes nothing.
    Import(ImportArgs),
    /// Draw a share of the recorded findings, at random within each township, into a
    /// workbook for a second reviewer (sheet 复核抽查); import it like any other. Where the
    /// second reviewer disagrees, the report says so.
    Sample(SampleArgs),
}

/// `rollcheck run`'s arguments.
#[derive(Args, Debug)]
pub struct RunArgs {
    pub pipeline: PathBuf,
    /// Directory source paths resolve against; sources without a path are found by name.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Reference date of the check (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_as_of)]
    pub as_of: Option<NaiveDate>,
    /// Output directory, replaced atomically when the run completes.
    #[arg(long, default_value = "rollcheck-out")]
    pub out: PathBuf,
    /// Run one shard K of N (0-based) for `merge`: links the whole roll to the registry
    /// pieces numbered K modulo N and writes shard.json + pairs.parquet into --out.
    /// Needs `[link] parameters`.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// With --shard: load the roll from this `rollcheck index-roll` directory instead of
    /// reading the roll's files (the same pipeline must have written it).
    #[arg(long, requires = "shard", value_name = "DIR")]
    pub roll_index: Option<PathBuf>,
    /// Read each registry in pieces of at most this many rows: a run (or a shard) holds
    /// the roll, one piece and the records that link, not whole registries.
    #[arg(long, default_value_t = job::PIECE_ROWS, value_parser = parse_piece_rows)]
    pub piece_rows: usize,
}

impl RunArgs {
    /// The as-of date given, or today.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
            .unwrap_or_else(|| chrono::Local::now().date_naive())
    }
}

/// `rollcheck merge`'s arguments.
#[derive(Args, Debug)]
pub struct MergeArgs {
    pub pipeline: PathBuf,
    /// The shard output directories, in any order.
    #[arg(required = true)]
    pub shard_dirs: Vec<PathBuf>,
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Reference date; default the shards' own.
    #[arg(long, value_parser = parse_as_of)]
    pub as_of: Option<NaiveDate>,
    #[arg(long, default_value = "rollcheck-out")]
    pub out: PathBuf,
    /// Read each registry in pieces of at most this many rows, keeping only the records
    /// linked to a member.
    #[arg(long, default_value_t = job::PIECE_ROWS, value_parser = parse_piece_rows)]
    pub piece_rows: usize,
}

/// `rollcheck index-roll`'s arguments.
#[derive(Args, Debug)]
pub struct IndexRollArgs {
    pub pipeline: PathBuf,
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "rollcheck-roll-index")]
    pub out: PathBuf,
}

/// `rollcheck synth`'s arguments.
#[derive(Args, Debug)]
pub struct SynthArgs {
    #[arg(long, default_value_t = 2000)]
    pub households: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = VariantArg::Clean)]
    pub variant: VariantArg,
    /// The as-of date the planted cases are built around.
    #[arg(long, value_parser = parse_as_of, default_value = "2025-06-30")]
    pub as_of: NaiveDate,
    /// Registries F times as large: each becomes a directory of parts, the county's own
    /// rows and F - 1 more batches about people not on the roll (for benchmarks).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub registry_scale: u32,
    /// Supporters (relatives outside the household who owe support) per roll household.
    #[arg(long, default_value_t = 1.5)]
    pub supporters_per_household: f64,
    /// Rows of the contributions registry (社保缴费) per roll row.
    #[arg(long, default_value_t = 0.5)]
    pub contributions_per_member: f64,
    /// Share of relations rows with a blank ID on one side (default: the variant's).
    #[arg(long, value_parser = parse_proportion)]
    pub blank_relation_ids: Option<f64>,
    /// Share of relations and contributions rows with a masked ID (default: wild 0.15).
    #[arg(long, value_parser = parse_proportion)]
    pub masked_support_ids: Option<f64>,
    /// Share of registry rows about people off the roll with a blank ID (default: clean
    /// 0.02, the others 0.10).
    #[arg(long, value_parser = parse_proportion)]
    pub blank_ids: Option<f64>,
    /// Wild: share of each registry's rows with a valid ID that are masked (default:
    /// 0.15–0.22 by registry).
    #[arg(long, value_parser = parse_proportion)]
    pub masked_ids: Option<f64>,
    /// How steeply given-name characters' shares fall by rank (Zipf exponent, 0 to 2): 0
    /// makes every name about as common as any other, 1 makes a few names very common.
    #[arg(long, default_value_t = synth::Mix::default().name_skew, value_parser = parse_name_skew)]
    pub name_skew: f64,
    /// Wild: people the registries cover per roll person, from whom blank-ID namesakes of
    /// roll members are drawn (set `population` to match when running on the county).
    #[arg(long, default_value_t = synth::Mix::default().population_per_roll_person,
          value_parser = parse_people_per_roll_person)]
    pub population_per_roll_person: f64,
    /// Wild: a roll person expecting fewer namesakes than this gets none (0 draws them for
    /// every name, the thin tail of rare names included).
    #[arg(long, default_value_t = synth::Mix::default().namesake_floor, value_parser = parse_proportion)]
    pub namesake_floor: f64,
    /// People planted for early warning (should be covered or raised, and decoys) per 1000
    /// roll households.
    #[arg(long, default_value_t = 15.0)]
    pub warning_candidates_per_1000: f64,
    /// Rows of the medical registry (医保结算) per roll row; disability rows are a fifth of
    /// that, unemployment rows a tenth.
    #[arg(long, default_value_t = 2.0)]
    pub medical_per_member: f64,
    /// The disability, medical and unemployment registries S times as large, each a
    /// directory of parts (on their own, not with --registry-scale).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub signal_scale: u32,
    #[arg(long)]
    pub out: PathBuf,
}

impl SynthArgs {
    /// How many supporters and contributions the county has.
    pub fn shape(&self) -> SupporterShape {
        SupporterShape {
            supporters_per_household: self.supporters_per_household,
            contributions_per_member: self.contributions_per_member,
            blank_ids: self.blank_relation_ids,
            masked_ids: self.masked_support_ids,
        }
    }

    /// How many early-warning cases and registry rows the county has.
    pub fn warning_shape(&self) -> WarningShape {
        WarningShape {
            candidates_per_1000: self.warning_candidates_per_1000,
            medical_per_member: self.medical_per_member,
            registry_scale: self.signal_scale,
        }
    }

    /// The county these flags describe.
    pub fn options(&self) -> SynthOptions {
        SynthOptions {
            households: self.households,
            seed: self.seed,
            variant: self.variant.into(),
            as_of: self.as_of,
            mix: synth::Mix {
                blank_ids: self.blank_ids,
                masked_ids: self.masked_ids,
                name_skew: self.name_skew,
                population_per_roll_person: self.population_per_roll_person,
                namesake_floor: self.namesake_floor,
            },
        }
    }
}

/// `rollcheck demo`'s arguments.
#[derive(Args, Debug)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 20_000)]
    pub households: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = VariantArg::Clean)]
    pub variant: VariantArg,
    /// Where the synthetic data (`data/`) and the run's outputs (`out/`) go.
    #[arg(long, default_value = "rollcheck-demo")]
    pub dir: PathBuf,
}

/// `rollcheck explain`'s arguments.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The run's output directory.
    pub out_dir: PathBuf,
    pub household_id: String,
}

/// `rollcheck export`'s arguments.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The run's output directory.
    pub out_dir: PathBuf,
    /// A file holding the secret key (at least 16 bytes); keep it outside the pipeline.
    #[arg(long)]
    pub pseudonymize: PathBuf,
    /// Where the pseudonymised copies go (replaced atomically).
    #[arg(long)]
    pub out: PathBuf,
}

/// `rollcheck query`'s arguments.
#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The run's output directory.
    pub out_dir: PathBuf,
    pub sql: String,
    /// Write the answer here (`.parquet`, else CSV) instead of printing it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The history directory; default `<OUT_DIR>.history` (set it if `[state] dir` is).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Rows to print at most.
    #[arg(long, default_value_t = 100)]
    pub rows: usize,
}

/// `rollcheck review import`'s arguments.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The run's output directory (the run that sent the workbooks out).
    pub out_dir: PathBuf,
    /// Filled workbooks or CSV files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The history directory, if not the one the run recorded in its manifest.
    #[arg(long)]
    pub state: Option<PathBuf>,
}

/// `rollcheck review sample`'s arguments.
#[derive(Args, Debug)]
pub struct SampleArgs {
    /// The run's output directory.
    pub out_dir: PathBuf,
    /// The share of each township's findings to re-check (0 to 1).
    #[arg(long, default_value_t = 0.3, value_parser = parse_share)]
    pub share: f64,
    /// The workbook to write; default `<OUT_DIR>.recheck.xlsx` beside the outputs.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub state: Option<PathBuf>,
}

/// A number that `fits`, or an error saying what was wanted (`wanted`: "a share: write …").
fn number(text: &str, fits: impl Fn(f64) -> bool, wanted: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(number) if fits(number) => Ok(number),
        _ => Err(format!("`{text}` is not {wanted}")),
    }
}

fn parse_share(text: &str) -> Result<f64, String> {
    number(
        text,
        |share| share > 0.0 && share <= 1.0,
        "a share: write a number above 0 and at most 1, e.g. 0.3",
    )
}

/// A share that may be 0 (none) or 1 (all).
fn parse_proportion(text: &str) -> Result<f64, String> {
    number(
        text,
        |share| (0.0..=1.0).contains(&share),
        "a share: write a number from 0 to 1, e.g. 0.1",
    )
}

fn parse_name_skew(text: &str) -> Result<f64, String> {
    number(
        text,
        |skew| (0.0..=2.0).contains(&skew),
        "a name skew: write a number from 0 (names alike) to 2, e.g. 0.5",
    )
}

fn parse_people_per_roll_person(text: &str) -> Result<f64, String> {
    number(
        text,
        |people| (1.0..=1000.0).contains(&people),
        "a population per roll person: write a number from 1 to 1000, e.g. 20",
    )
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VariantArg {
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
