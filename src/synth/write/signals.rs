//! Writes the early-warning part of a county: the disability, medical and unemployment
//! registries in each variant's layout (in parts when scaled), `truth_warnings.csv` and
//! `truth_warning_cases.csv`.

use std::collections::BTreeMap;
use std::path::Path;

use rand::Rng;

use super::sink::{stream, Sink};
use super::{headers, into_parts, part_layout, unreadable, write_err, Layout, SynthError};
use crate::model::Source;
use crate::synth::{Generator, Row, SignalRegistry, Variant, WarningCase, WarningTruth};

/// How an early-warning registry is written: the messy variants put disability in GBK with
/// Chinese headers (grades as 一级…四级 half the time), settlements in Parquet and
/// unemployment in UTF-8 with a BOM and Chinese headers.
pub(super) fn signal_layout(variant: Variant, registry: SignalRegistry) -> Layout {
    let chinese = |gbk, bom| Layout::Csv {
        gbk,
        bom,
        chinese_headers: true,
    };
    match (variant, registry) {
        (Variant::Clean, _) => Layout::Csv {
            gbk: false,
            bom: false,
            chinese_headers: false,
        },
        (_, SignalRegistry::Disability) => chinese(true, false),
        (_, SignalRegistry::Medical) => Layout::Parquet,
        (_, SignalRegistry::Unemployment) => chinese(false, true),
    }
}

/// The pipeline's built-in `Source` of an early-warning registry, once it has one (never a
/// local name declared on the way).
pub(super) fn builtin(registry: SignalRegistry) -> Option<Source> {
    Source::ALL
        .iter()
        .copied()
        .find(|s| s.code() == registry.code())
}

/// The unreadable rows of each early-warning registry (none in the clean variant), drawn
/// after the other sources'.
pub(super) fn unreadable_lines(
    variant: Variant,
    rng: &mut impl Rng,
) -> BTreeMap<SignalRegistry, Vec<Vec<String>>> {
    SignalRegistry::ALL
        .into_iter()
        .map(|registry| {
            let layout = signal_layout(variant, registry);
            let lines = if variant == Variant::Clean {
                Vec::new()
            } else {
                unreadable(rng, registry.columns(), layout)
            };
            (registry, lines)
        })
        .collect()
}

/// One registry's rows streamed to `<dir>/<stem>`: `planted` first, then the quiet rows the
/// generator makes until there are `target`, then `broken`. Returns the rows written (the
/// unreadable aside).
fn stream_registry(
    variant: Variant,
    (dir, stem): (&Path, &str),
    (registry, layout): (SignalRegistry, Layout),
    (planted, target, broken): (Vec<Row>, usize, Vec<Vec<String>>),
    generator: &mut Generator,
) -> Result<usize, SynthError> {
    let columns: Vec<&'static str> = registry.columns().iter().map(|c| c.name).collect();
    let headers = headers(registry.columns(), layout);
    debug_assert!(variant != Variant::Clean || broken.is_empty());
    let sink = Sink::create(dir, stem, headers, layout)?;
    stream(sink, &columns, broken, |emit| {
        let written = planted.len();
        if !emit(planted) {
            return written;
        }
        generator.stream_quiet(registry, target, written, emit)
    })
}

/// The early-warning registries, each in its variant's layout with `broken`, its unreadable
/// rows, appended: the planted rows in `tables`, then the quiet ones, made and written a
/// chunk at a time. Returns the rows and the unreadable rows written, per registry.
pub(super) fn write_signal_registries(
    variant: Variant,
    dir: &Path,
    mut tables: BTreeMap<SignalRegistry, Vec<Row>>,
    mut broken: BTreeMap<SignalRegistry, Vec<Vec<String>>>,
    generator: &mut Generator,
) -> Result<Counts, SynthError> {
    let (mut rows, mut unreadable_rows) = (BTreeMap::new(), BTreeMap::new());
    let targets = generator.signal_targets();
    for (registry, target) in SignalRegistry::ALL.into_iter().zip(targets) {
        let planted = tables.remove(&registry).unwrap_or_default();
        let broken = broken.remove(&registry).unwrap_or_default();
        unreadable_rows.insert(registry, broken.len());
        let layout = signal_layout(variant, registry);
        let to = (dir, registry.code());
        let written = stream_registry(
            variant,
            to,
            (registry, layout),
            (planted, target, broken),
            generator,
        )?;
        rows.insert(registry, written);
    }
    Ok((rows, unreadable_rows))
}

/// Rows and unreadable rows written, per early-warning registry.
pub(super) type Counts = (
    BTreeMap<SignalRegistry, usize>,
    BTreeMap<SignalRegistry, usize>,
);

/// The early-warning registries `scale` times as large (`WarningShape::registry_scale`):
/// each a directory of parts, the county's own file and `scale - 1` batches of quiet rows,
/// made and written a chunk at a time, counted into `signal_rows`.
pub(super) fn write_signal_batches(
    variant: Variant,
    dir: &Path,
    scale: u32,
    generator: &mut Generator,
    signal_rows: &mut BTreeMap<SignalRegistry, usize>,
) -> Result<(), SynthError> {
    into_parts(
        dir,
        SignalRegistry::ALL
            .into_iter()
            .map(|r| (r.code(), signal_layout(variant, r))),
    )?;
    for batch in 1..scale {
        let stem = format!("part-{batch:03}");
        let targets = generator.start_signal_batch(u64::from(batch));
        for (registry, target) in SignalRegistry::ALL.into_iter().zip(targets) {
            // A registry with no rows in a batch has no part for it.
            if target == 0 {
                continue;
            }
            let layout = part_layout(batch, signal_layout(variant, registry));
            let to = (dir.join(registry.code()), stem.as_str());
            let written = stream_registry(
                variant,
                (&to.0, to.1),
                (registry, layout),
                (Vec::new(), target, Vec::new()),
                generator,
            )?;
            *signal_rows.entry(registry).or_default() += written;
        }
    }
    Ok(())
}

/// `truth_warnings.csv`: one row per (warning, person) the early-warning registries should
/// raise: `warning` (`should_cover`, `should_raise`), `person_key` (the normalised
/// 18-character ID), `household_id` (`should_raise` only), `signals` (every signal of the
/// person at D, `;`-joined in the order `severe_disability`, `medical_burden`, `long_unemployed`)
/// and the planted `case`.
pub(super) fn write_truth_warnings(
    dir: &Path,
    warnings: &[WarningTruth],
) -> Result<(), SynthError> {
    let path = dir.join(TRUTH_WARNINGS_CSV);
    let mut writer = csv::Writer::from_path(&path).map_err(|e| write_err(&path, e))?;
    writer
        .write_record(WARNING_COLUMNS)
        .map_err(|e| write_err(&path, e))?;
    for row in warnings {
        writer
            .write_record([
                row.warning.code(),
                &row.person_key,
                row.household_id.as_deref().unwrap_or(""),
                &row.signals_cell(),
                row.case,
            ])
            .map_err(|e| write_err(&path, e))?;
    }
    writer.flush().map_err(|e| write_err(&path, e))
}

/// `truth_warning_cases.csv`: every planted early-warning person, decoys included: `case`,
/// `person_key` (their true ID), `valid_id` (`false`: every row writes it blank or damaged
/// beyond use, so they are no candidate), `household_id` (on the roll) and `warning` (blank
/// for a decoy).
pub(super) fn write_truth_warning_cases(
    dir: &Path,
    cases: &[WarningCase],
) -> Result<(), SynthError> {
    let path = dir.join(TRUTH_WARNING_CASES_CSV);
    let mut writer = csv::Writer::from_path(&path).map_err(|e| write_err(&path, e))?;
    writer
        .write_record(["case", "person_key", "valid_id", "household_id", "warning"])
        .map_err(|e| write_err(&path, e))?;
    for row in cases {
        writer
            .write_record([
                row.case,
                &row.person_key,
                if row.valid_id { "true" } else { "false" },
                row.household_id.as_deref().unwrap_or(""),
                row.warning.map_or("", |w| w.code()),
            ])
            .map_err(|e| write_err(&path, e))?;
    }
    writer.flush().map_err(|e| write_err(&path, e))
}

/// Every planted early-warning person and what they should raise, beside `truth.csv`.
pub const TRUTH_WARNING_CASES_CSV: &str = "truth_warning_cases.csv";

/// synth's early-warning truth, beside its `truth.csv`.
pub const TRUTH_WARNINGS_CSV: &str = "truth_warnings.csv";

/// The columns of `truth_warnings.csv`.
pub const WARNING_COLUMNS: [&str; 5] = ["warning", "person_key", "household_id", "signals", "case"];
