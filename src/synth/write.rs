//! Writes a synthetic county as the files an office would receive, plus `truth.csv`.
//! Clean: UTF-8 CSV with English headers. Messy (and hard and wild, laid out the same): a
//! mix of GBK/GB18030, UTF-8 with BOM, Chinese headers, gzip and Parquet, with unreadable
//! rows appended for quarantine. Wild also writes `truth_records.csv`. Every variant writes
//! `truth_income.csv`: each household's income, support owed and entitlement, and
//! `truth_overpaid.csv` and `truth_recheck.csv` (the money truth, `write/money.rs`).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // synth writes its county here

mod money;
mod signals;
mod sink;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::warnings::signal_col;
use super::{
    County, IncomeTruth, RecordOwner, Row, SignalRegistry, SupporterShape, SynthOptions, Variant,
    WarningShape,
};
use crate::ingest::schema::{self, col};
use crate::model::Source;
pub use money::{TRUTH_OVERPAID_CSV, TRUTH_RECHECK_CSV};
use signals::{
    builtin, write_signal_batches, write_signal_registries, write_truth_warning_cases,
    write_truth_warnings,
};
pub use signals::{TRUTH_WARNINGS_CSV, TRUTH_WARNING_CASES_CSV, WARNING_COLUMNS};
use sink::Sink;

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{path}: {message}")]
    Write { path: PathBuf, message: String },
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> SynthError {
    SynthError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub households: usize,
    pub members: usize,
    /// Registry rows written, unreadable ones aside.
    pub registry_rows: usize,
    /// The same, per registry.
    pub rows_per_source: BTreeMap<Source, usize>,
    pub truth_flags: usize,
    pub unreadable_rows: usize,
    /// The unreadable rows of each source (a pipeline that reads some sources quarantines
    /// theirs).
    pub unreadable_per_source: BTreeMap<Source, usize>,
    /// Rows of the early-warning registries (disability, medical, unemployment), unreadable
    /// ones aside, and their unreadable rows (both also in the per-source counts once the
    /// pipeline's `Source` names them).
    pub signal_rows: BTreeMap<SignalRegistry, usize>,
    pub signal_unreadable: BTreeMap<SignalRegistry, usize>,
    /// Rows of `truth_warnings.csv`.
    pub truth_warnings: usize,
}

/// What `rollcheck synth` reports, up to where it wrote.
impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let others: usize = self
            .rows_per_source
            .iter()
            .filter(|(source, _)| !super::warnings::writes(**source))
            .map(|(_, rows)| rows)
            .sum();
        let signals: usize = self.signal_rows.values().sum();
        write!(
            f,
            "wrote {} households, {} roll rows, {others} registry rows, {signals} \
             early-warning registry rows, {} planted flags and {} early warnings",
            self.households, self.members, self.truth_flags, self.truth_warnings
        )
    }
}

/// How one source is written in a variant.
#[derive(Clone, Copy)]
enum Layout {
    Csv {
        gbk: bool,
        bom: bool,
        chinese_headers: bool,
    },
    CsvGz,
    Parquet,
}

fn layout(variant: Variant, source: Source) -> Layout {
    let plain = Layout::Csv {
        gbk: false,
        bom: false,
        chinese_headers: false,
    };
    // Messy counties spread the registries over the formats and encodings a county receives;
    // the others (and any registry synth does not know yet) are plain CSV.
    match (variant, source) {
        (Variant::Messy | Variant::Hard | Variant::Wild, Source::Roll | Source::Relations) => {
            Layout::Csv {
                gbk: true,
                bom: false,
                chinese_headers: true,
            }
        }
        (Variant::Messy | Variant::Hard | Variant::Wild, Source::Death) => Layout::Csv {
            gbk: false,
            bom: true,
            chinese_headers: true,
        },
        (
            Variant::Messy | Variant::Hard | Variant::Wild,
            Source::Pension | Source::Contributions,
        ) => Layout::Parquet,
        (Variant::Messy | Variant::Hard | Variant::Wild, Source::Vehicle) => Layout::CsvGz,
        (Variant::Messy | Variant::Hard | Variant::Wild, Source::Property) => Layout::Csv {
            gbk: true,
            bom: false,
            chinese_headers: false,
        },
        _ => plain,
    }
}

pub fn write_county(options: &SynthOptions, dir: &Path) -> Result<Written, SynthError> {
    write_county_scaled(options, dir, 1)
}

/// `write_county` with registries `registry_scale` times as large: each registry becomes a
/// directory `<source>/` whose `part-000` is the county's own file and whose further parts
/// (Parquet and the source's own format in turn) hold `registry_scale - 1` more batches of
/// rows about people not on the roll, generated and written a batch at a time. Roll, truth
/// and planted cases are the county's.
pub fn write_county_scaled(
    options: &SynthOptions,
    dir: &Path,
    registry_scale: u32,
) -> Result<Written, SynthError> {
    let (supporters, warnings) = (SupporterShape::default(), WarningShape::default());
    write_county_shaped(options, dir, registry_scale, &supporters, &warnings)
}

/// `write_county_scaled` with supporters and contributions, and early-warning cases and
/// registries, of the given shapes.
pub fn write_county_shaped(
    options: &SynthOptions,
    dir: &Path,
    registry_scale: u32,
    shape: &SupporterShape,
    warnings: &WarningShape,
) -> Result<Written, SynthError> {
    std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
    let (mut county, mut generator) =
        super::generate_keeping(options, Some(shape), Some(warnings), super::Quiet::Streamed);
    // Every file's unreadable rows first, in the order they were always drawn, so that the
    // files can then be written side by side.
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x5eed);
    let plain: Vec<Plain> = Source::ALL
        .iter()
        .copied()
        .filter(|s| !super::warnings::writes(*s))
        .map(|source| {
            let layout = layout(options.variant, source);
            let columns = written_columns(source, county.rows(source));
            let broken = if options.variant == Variant::Clean {
                Vec::new()
            } else {
                let broken = unreadable(&mut rng, &columns, layout);
                county.unreadable_rows.insert(source, broken.len());
                broken
            };
            (source, columns, layout, broken)
        })
        .collect();
    let signal_broken = signals::unreadable_lines(options.variant, &mut rng);
    let signal_tables = std::mem::take(&mut county.signal_registries);
    let (plain_written, signal_written) = std::thread::scope(|scope| {
        let county = &county;
        let plain = scope.spawn(move || {
            plain
                .iter()
                .try_for_each(|(source, columns, layout, broken)| {
                    let rows = county.rows(*source);
                    write_rows(dir, source.code(), columns, rows, broken, *layout)
                })
        });
        let signals = write_signal_registries(
            options.variant,
            dir,
            signal_tables,
            signal_broken,
            &mut generator,
        );
        let plain = plain.join().expect("the writer thread does not panic");
        (plain, signals)
    });
    plain_written?;
    let (mut signal_rows, signal_unreadable) = signal_written?;
    let unreadable_rows =
        county.unreadable_rows.values().sum::<usize>() + signal_unreadable.values().sum::<usize>();
    write_truth(dir, &county)?;
    write_truth_income(dir, &county.income)?;
    money::write_truth_overpaid(dir, &county.overpaid)?;
    money::write_truth_recheck(dir, &county.recheck)?;
    write_truth_warnings(dir, &county.warnings)?;
    write_truth_warning_cases(dir, &county.warning_cases)?;
    if options.variant == Variant::Wild {
        write_truth_records(dir, &county)?;
    }
    write_truth_record_owners(dir, &county.record_owners)?;
    let mut rows_per_source: BTreeMap<Source, usize> = county
        .registries
        .iter()
        .map(|(source, rows)| (*source, rows.len()))
        .collect();
    // What is written is let go before the batches are made.
    county.registries.clear();
    if registry_scale > 1 {
        let tally = &mut rows_per_source;
        write_batches(options.variant, dir, registry_scale, &mut generator, tally)?;
    }
    if warnings.registry_scale > 1 {
        let (scale, tally) = (warnings.registry_scale, &mut signal_rows);
        write_signal_batches(options.variant, dir, scale, &mut generator, tally)?;
    }
    // Once the pipeline's `Source` names the early-warning registries, they count as sources.
    for (registry, rows) in &signal_rows {
        if let Some(source) = builtin(*registry) {
            rows_per_source.insert(source, *rows);
        }
    }
    for (registry, rows) in &signal_unreadable {
        if let Some(source) = builtin(*registry) {
            county.unreadable_rows.insert(source, *rows);
        }
    }
    let households: std::collections::BTreeSet<&str> =
        county.roll.iter().map(|r| &r[col::HOUSEHOLD_ID]).collect();
    Ok(Written {
        households: households.len(),
        members: county.roll.len(),
        registry_rows: rows_per_source.values().sum(),
        rows_per_source,
        truth_flags: county.truth.len(),
        unreadable_rows,
        unreadable_per_source: county.unreadable_rows,
        signal_rows,
        signal_unreadable,
        truth_warnings: county.warnings.len(),
    })
}

/// A source written from the county's rows: its columns, layout and unreadable rows.
type Plain = (Source, Vec<schema::ColumnSpec>, Layout, Vec<Vec<String>>);

/// Moves each `<stem>.<ext>` in `dir` to `<stem>/part-000.<ext>`: the first part of a
/// registry written in parts.
fn into_parts<'a>(
    dir: &Path,
    stems: impl Iterator<Item = (&'a str, Layout)>,
) -> Result<(), SynthError> {
    for (stem, layout) in stems {
        let file = format!("{stem}.{}", extension(layout));
        let parts = dir.join(stem);
        std::fs::create_dir_all(&parts).map_err(|e| write_err(&parts, e))?;
        let to = parts.join(format!("part-000.{}", extension(layout)));
        std::fs::rename(dir.join(&file), &to).map_err(|e| write_err(&to, e))?;
    }
    Ok(())
}

/// Batch `batch`'s layout: Parquet and the source's own format in turn.
fn part_layout(batch: u32, own: Layout) -> Layout {
    if batch % 2 == 1 {
        Layout::Parquet
    } else {
        own
    }
}

/// A scaled county's further parts (`--registry-scale`): each registry's file becomes
/// `<source>/part-000`, and batches 1.. of rows about people off the roll follow, counted
/// into `rows_per_source`. The early-warning registries scale on their own
/// (`write_signal_batches`).
fn write_batches(
    variant: Variant,
    dir: &Path,
    registry_scale: u32,
    generator: &mut super::Generator,
    rows_per_source: &mut BTreeMap<Source, usize>,
) -> Result<(), SynthError> {
    let sources = Source::REGISTRIES
        .into_iter()
        .filter(|s| !super::warnings::writes(*s));
    into_parts(dir, sources.map(|s| (s.code(), layout(variant, s))))?;
    // One batch is written on a thread of its own while the next is made.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(u32, BTreeMap<Source, Vec<Row>>)>(1);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            for (batch, tables) in rx {
                let stem = format!("part-{batch:03}");
                for (source, rows) in tables {
                    let layout = part_layout(batch, layout(variant, source));
                    let columns = written_columns(source, &rows);
                    write_rows(
                        &dir.join(source.code()),
                        &stem,
                        &columns,
                        &rows,
                        &[],
                        layout,
                    )?;
                }
            }
            Ok(())
        });
        for batch in 1..registry_scale {
            let mut tables = generator.more_unrelated(u64::from(batch));
            tables.retain(|source, _| !super::warnings::writes(*source));
            for (source, rows) in &tables {
                *rows_per_source.entry(*source).or_default() += rows.len();
            }
            if tx.send((batch, tables)).is_err() {
                break;
            }
        }
        drop(tx);
        writer.join().expect("the writer thread does not panic")
    })
}

/// The columns written for `rows`: a registry's address only where the variant fills it
/// (wild), so that the other variants' files stay as they were.
fn written_columns(source: Source, rows: &[Row]) -> Vec<schema::ColumnSpec> {
    let addresses = source == Source::Roll || rows.iter().any(|r| r.contains_key(col::ADDRESS));
    schema::columns(source)
        .iter()
        .copied()
        .filter(|c| addresses || c.name != col::ADDRESS)
        .collect()
}

/// The headers of `columns`: in Chinese (each column's first alias) where the layout says
/// so.
fn headers(columns: &[schema::ColumnSpec], layout: Layout) -> Vec<String> {
    let chinese = matches!(
        layout,
        Layout::Csv {
            chinese_headers: true,
            ..
        }
    );
    columns
        .iter()
        .map(|c| {
            if chinese {
                c.aliases.first().copied().unwrap_or(c.name)
            } else {
                c.name
            }
            .to_string()
        })
        .collect()
}

/// Writes `rows` (their cells of `columns`) and then `extra_lines` as
/// `<dir>/<stem>.<extension>`.
fn write_rows(
    dir: &Path,
    stem: &str,
    columns: &[schema::ColumnSpec],
    rows: &[Row],
    extra_lines: &[Vec<String>],
    layout: Layout,
) -> Result<(), SynthError> {
    let mut sink = Sink::create(dir, stem, headers(columns, layout), layout)?;
    for row in rows {
        sink.row(columns.iter().map(|c| row.get(c.name).unwrap_or_default()))?;
    }
    for line in extra_lines {
        sink.row(line.iter().map(String::as_str))?;
    }
    sink.finish()
}

/// Rows an office really receives that cannot be used: a bad date, an unknown category,
/// a missing required value, and (CSV only) a wrong number of fields.
fn unreadable(
    rng: &mut impl Rng,
    columns: &[schema::ColumnSpec],
    layout: Layout,
) -> Vec<Vec<String>> {
    let relations = columns.iter().any(|c| c.name == col::RELATIVE_NAME);
    let base: Vec<String> = columns
        .iter()
        .map(|c| match c.name {
            col::HOUSEHOLD_ID => "HX-BROKEN".into(),
            col::PROGRAMME => "dibao_rural".into(),
            col::RELATION if relations => "child".into(),
            col::RELATION => "head".into(),
            col::RELATIVE_HOUSEHOLD_SIZE => "3".into(),
            col::PENSION_TYPE => "enterprise".into(),
            col::VEHICLE_TYPE => "car".into(),
            col::USE => "residential".into(),
            col::ROLE => "legal_rep".into(),
            col::STATUS => "active".into(),
            col::SOURCE => "police".into(),
            signal_col::GRADE => "2".into(),
            signal_col::TYPE => "肢体".into(),
            signal_col::OUT_OF_POCKET
            | col::MONTHLY_AMOUNT
            | col::MONTHLY_BENEFIT
            | col::REGISTERED_CAPITAL
            | col::AREA_M2
            | col::CONTRIBUTION_BASE => "100".into(),
            name if name.ends_with("_date") || name.ends_with("_on") => "2020-01-01".into(),
            name if schema::is_id_column(name) => String::new(),
            _ => format!("X{}", rng.random_range(0..1_000_000)),
        })
        .collect();
    let mut broken = Vec::new();
    let set = |row: &mut Vec<String>, name: &str, value: &str| {
        if let Some(i) = columns.iter().position(|c| c.name == name) {
            row[i] = value.to_string();
        }
    };
    let first_required_date = columns
        .iter()
        .find(|c| c.required && (c.name.ends_with("_date") || c.name.ends_with("_on")));
    if let Some(date) = first_required_date {
        let mut row = base.clone();
        set(&mut row, date.name, "2025-02-30");
        broken.push(row);
    }
    let enum_column = columns.iter().find(|c| {
        matches!(
            c.name,
            col::PROGRAMME
                | col::PENSION_TYPE
                | col::VEHICLE_TYPE
                | col::USE
                | col::ROLE
                | col::RELATION
                | signal_col::GRADE
        )
    });
    if let Some(column) = enum_column {
        let mut row = base.clone();
        set(&mut row, column.name, "unknown-kind");
        broken.push(row);
    }
    let mut missing = base.clone();
    set(&mut missing, col::RECORD_ID, "");
    set(&mut missing, col::MEMBER_ID, "");
    broken.push(missing);
    if matches!(layout, Layout::Csv { .. } | Layout::CsvGz) {
        let mut ragged = base;
        ragged.push("extra field".into());
        broken.push(ragged);
    }
    debug_assert!(broken.iter().all(|r| r.len() >= columns.len()));
    broken
}

/// The file ending of a layout.
fn extension(layout: Layout) -> &'static str {
    match layout {
        Layout::Csv { .. } => "csv",
        Layout::CsvGz => "csv.gz",
        Layout::Parquet => "parquet",
    }
}

fn write_truth(dir: &Path, county: &County) -> Result<(), SynthError> {
    let path = dir.join("truth.csv");
    let mut writer = csv::Writer::from_path(&path).map_err(|e| write_err(&path, e))?;
    writer
        .write_record(["household_id", "reason", "case"])
        .map_err(|e| write_err(&path, e))?;
    for row in &county.truth {
        writer
            .write_record([row.household_id.as_str(), row.reason.code(), row.case])
            .map_err(|e| write_err(&path, e))?;
    }
    writer.flush().map_err(|e| write_err(&path, e))
}

/// Writes `header` and `rows` as a CSV file `name` in `dir`.
pub(super) fn write_csv<const N: usize>(
    dir: &Path,
    name: &str,
    header: [&str; N],
    rows: impl Iterator<Item = [String; N]>,
) -> Result<(), SynthError> {
    let path = dir.join(name);
    let mut writer = csv::Writer::from_path(&path).map_err(|e| write_err(&path, e))?;
    writer
        .write_record(header)
        .map_err(|e| write_err(&path, e))?;
    for row in rows {
        writer.write_record(row).map_err(|e| write_err(&path, e))?;
    }
    writer.flush().map_err(|e| write_err(&path, e))
}

/// The file naming every registry record about a roll person, beside `truth.csv`.
pub const TRUTH_RECORD_OWNERS_CSV: &str = "truth_record_owners.csv";

/// `truth_record_owners.csv`: each registry record about a roll person and their member id
/// (a row per member id): a member and a record are the same person exactly when listed.
fn write_truth_record_owners(dir: &Path, owners: &[RecordOwner]) -> Result<(), SynthError> {
    write_csv(
        dir,
        TRUTH_RECORD_OWNERS_CSV,
        ["source", "record_id", "member_id"],
        owners.iter().map(|o| {
            [
                o.source.code().to_string(),
                o.record_id.clone(),
                o.member_id.clone(),
            ]
        }),
    )
}

/// `truth_records.csv`: registry records that are deliberately the member (`same_person`
/// true) or deliberately someone else carrying the member's name and birth date.
fn write_truth_records(dir: &Path, county: &County) -> Result<(), SynthError> {
    let path = dir.join("truth_records.csv");
    let mut writer = csv::Writer::from_path(&path).map_err(|e| write_err(&path, e))?;
    writer
        .write_record([
            "source",
            "record_id",
            "household_id",
            "member_id",
            "same_person",
            "case",
        ])
        .map_err(|e| write_err(&path, e))?;
    for row in &county.truth_records {
        writer
            .write_record([
                row.source.code(),
                row.record_id.as_str(),
                row.household_id.as_str(),
                row.member_id.as_str(),
                if row.same_person { "true" } else { "false" },
                row.case.as_str(),
            ])
            .map_err(|e| write_err(&path, e))?;
    }
    writer.flush().map_err(|e| write_err(&path, e))
}

/// `truth_income.csv`: one row per roll household with the contract's `income.parquet`
/// columns synth can state, amounts to 0.01 yuan; `standard_yuan`, `entitlement_yuan`,
/// `action` and `tier` are blank for `linshi` (no standard).
fn write_truth_income(dir: &Path, income: &[IncomeTruth]) -> Result<(), SynthError> {
    let path = dir.join("truth_income.csv");
    let mut writer = csv::Writer::from_path(&path).map_err(|e| write_err(&path, e))?;
    writer
        .write_record(INCOME_COLUMNS)
        .map_err(|e| write_err(&path, e))?;
    let yuan = |v: f64| format!("{v:.2}");
    for row in income {
        writer
            .write_record([
                row.household_id.clone(),
                row.programme.code().to_string(),
                row.region_code.clone(),
                row.n_members.to_string(),
                yuan(row.pension_yuan),
                yuan(row.wage_yuan),
                yuan(row.support_yuan),
                yuan(row.income_yuan),
                yuan(row.per_capita_yuan),
                row.standard_yuan.map(yuan).unwrap_or_default(),
                row.entitlement_yuan.map(yuan).unwrap_or_default(),
                yuan(row.paid_yuan),
                row.action.unwrap_or_default().to_string(),
                row.tier.unwrap_or_default().to_string(),
                row.case.unwrap_or_default().to_string(),
            ])
            .map_err(|e| write_err(&path, e))?;
    }
    writer.flush().map_err(|e| write_err(&path, e))
}

/// The columns of `truth_income.csv`: `income.parquet`'s (but the standard's region and
/// date), and the planted case.
pub const INCOME_COLUMNS: [&str; 15] = [
    "household_id",
    "programme",
    "region_code",
    "n_members",
    "pension_yuan",
    "wage_yuan",
    "support_yuan",
    "income_yuan",
    "per_capita_yuan",
    "standard_yuan",
    "entitlement_yuan",
    "paid_yuan",
    "action",
    "tier",
    "case",
];
