//! `rollcheck link`: links any two tables with the comparisons and blocking a link file
//! declares, scored by the same Fellegi–Sunter engine (`model`) as person matching.
//! Front door: `link::generic::link_tables`.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;

use chrono::NaiveDate;
use foldhash::fast::FixedState;
use rayon::prelude::*;

use super::columns::{EncodedColumn, MISSING};
use super::compare::{compare_dates, compare_unequal_ids, IdLevel};
use super::model::{random_pairs, Shape, TermFrequency, Weights};
use crate::config::{Comparison, ComparisonKind, LinkJob, LinkParameters};
use crate::ingest::{parse_date, TextTable};
use crate::normalize::id::masked_agrees;
use crate::normalize::{compare_names, is_valid_18, NameKey, NameLevel};

#[derive(Debug, thiserror::Error)]
pub enum GenericLinkError {
    #[error("{path}: no column `{column}` (named by the link file's {key})")]
    MissingColumn {
        path: PathBuf,
        column: String,
        key: String,
    },
}

/// One compared column, prepared for fast comparison: per distinct folded value of its
/// `EncodedColumn`, what its kind compares.
enum Prepared {
    /// Compared as folded text; for ID numbers, the folded text is the cleaned,
    /// comparable ID.
    Text,
    Names(Vec<NameKey>),
    Dates(Vec<Option<NaiveDate>>),
    Numbers(Vec<Option<f64>>),
}

/// A scored pair of rows.
#[derive(Debug, Clone)]
pub struct LinkedPair {
    pub left_idx: usize,
    pub right_idx: usize,
    pub levels: Vec<usize>,
    pub weights: Weights,
}

pub struct GenericLinks {
    pub pairs: Vec<LinkedPair>,
    pub shape: Shape,
    /// Level names per comparison, for output.
    pub level_names: Vec<Vec<String>>,
    pub parameters: LinkParameters,
    pub candidate_pairs: usize,
    pub pairs_per_rule: BTreeMap<String, usize>,
}

const RANDOM_PAIRS: usize = 100_000;
const EM_ITERATIONS: usize = 100;
const MAX_BLOCK: usize = 2_000;
/// The `id_number` level of two different valid IDs.
const ANOTHER_VALID_ID: usize = 3;
/// The `masked_id` level of a masked ID whose visible characters disagree.
const MASKED_DISAGREE: usize = 2;

fn column<'t>(
    table: &'t TextTable,
    path: &std::path::Path,
    name: &str,
    key: &str,
) -> Result<Vec<Option<&'t str>>, GenericLinkError> {
    table
        .column(name)
        .ok_or_else(|| GenericLinkError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            key: key.to_string(),
        })
}

fn prepare(comparison: &Comparison, column: &EncodedColumn) -> Prepared {
    let values = &column.values;
    match comparison.kind {
        ComparisonKind::Exact
        | ComparisonKind::String
        | ComparisonKind::Edits
        | ComparisonKind::IdNumber
        | ComparisonKind::MaskedId => Prepared::Text,
        // The folded values are match keys already: only the reading is added.
        ComparisonKind::Name => Prepared::Names(
            values
                .par_iter()
                .map(|v| NameKey::of_match_key(v.clone()))
                .collect(),
        ),
        ComparisonKind::Date => Prepared::Dates(values.par_iter().map(|v| parse_date(v)).collect()),
        ComparisonKind::Numeric => {
            Prepared::Numbers(values.iter().map(|v| v.trim().parse().ok()).collect())
        }
    }
}

/// Level names of a comparison, best first, `missing` last.
fn level_names(comparison: &Comparison) -> Vec<String> {
    let mut names = vec![match comparison.kind {
        ComparisonKind::Date
        | ComparisonKind::Numeric
        | ComparisonKind::IdNumber
        | ComparisonKind::MaskedId
        | ComparisonKind::Name => "equal".to_string(),
        ComparisonKind::Exact | ComparisonKind::String | ComparisonKind::Edits => {
            "exact".to_string()
        }
    }];
    match comparison.kind {
        ComparisonKind::String => names.extend(
            comparison
                .levels
                .iter()
                .map(|t| format!("jaro_winkler>={t}")),
        ),
        ComparisonKind::Numeric => {
            names.extend(comparison.levels.iter().map(|t| format!("within_{t}")));
        }
        ComparisonKind::Edits => {
            names.extend(comparison.levels.iter().map(|t| format!("edits<={t}")));
        }
        ComparisonKind::Date => {
            names.extend(["one_field_off".to_string(), "day_month_swapped".to_string()]);
        }
        ComparisonKind::IdNumber => {
            names.extend(["one_digit", "transposition", "another_valid_id"].map(String::from));
        }
        ComparisonKind::MaskedId => {
            names.extend(["masked_agree", "masked_disagree"].map(String::from));
        }
        ComparisonKind::Name => {
            names.extend(["same_reading".to_string(), "one_char_diff".to_string()]);
        }
        ComparisonKind::Exact => {}
    }
    names.extend(["different".to_string(), "missing".to_string()]);
    names
}

/// The `masked_id` level of two unequal folded IDs: one masked against the other's valid
/// ID agrees (1) or disagrees (`MASKED_DISAGREE`); two masked IDs say nothing (missing, the
/// level after `different`); otherwise `different`.
fn masked_level(a: &str, b: &str, different: usize) -> usize {
    let (pattern, full) = match (a.contains('*'), b.contains('*')) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        (true, true) => return different + 1,
        (false, false) => return different,
    };
    if !is_valid_18(full) {
        different + 1
    } else if masked_agrees(pattern, full) {
        1
    } else {
        MASKED_DISAGREE
    }
}

/// The level of one pair under one comparison; `n_levels` counts `different` and `missing`.
fn level(
    comparison: &Comparison,
    (prepared, column): (&Prepared, &EncodedColumn),
    n_levels: usize,
    l: usize,
    r: usize,
) -> usize {
    let (different, missing) = (n_levels - 2, n_levels - 1);
    let (a, b) = (column.left[l], column.right[r]);
    if a == MISSING || b == MISSING {
        return missing;
    }
    let (a, b) = (a as usize, b as usize);
    match prepared {
        // Equal codes are equal folded values (for names, equal keys: `Identical`).
        Prepared::Text | Prepared::Names(_) if a == b => 0,
        Prepared::Text => {
            let (a, b) = (column.values[a].as_str(), column.values[b].as_str());
            match comparison.kind {
                ComparisonKind::String => {
                    let similarity = strsim::jaro_winkler(a, b);
                    comparison
                        .levels
                        .iter()
                        .position(|t| similarity >= *t)
                        .map_or(different, |i| i + 1)
                }
                ComparisonKind::Edits => {
                    // Only distances up to the largest level matter.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let limit = comparison.levels.iter().fold(0.0, |a: f64, b| a.max(*b)) as usize;
                    #[allow(clippy::cast_precision_loss)]
                    osa_within(a, b, limit).map_or(different, |edits| {
                        comparison
                            .levels
                            .iter()
                            .position(|t| edits as f64 <= *t)
                            .map_or(different, |i| i + 1)
                    })
                }
                ComparisonKind::IdNumber => match compare_unequal_ids(a, b) {
                    IdLevel::OneDigit => 1,
                    IdLevel::Transposition => 2,
                    // Two valid IDs that differ belong to two people: the check character
                    // catches every one-digit slip and swap, so a copy of one person's ID
                    // that went wrong is never another valid ID (contract: "an ID of
                    // another valid person" contradicts a match). A namesake's record is.
                    _ if is_valid_18(a) && is_valid_18(b) => ANOTHER_VALID_ID,
                    _ => different,
                },
                ComparisonKind::MaskedId => masked_level(a, b, different),
                _ => different,
            }
        }
        Prepared::Names(keys) => {
            let (a, b) = (&keys[a], &keys[b]);
            match compare_names(&a.key, a, &b.key, b) {
                NameLevel::Identical | NameLevel::Normalized => 0,
                NameLevel::SameReading => 1,
                NameLevel::OneCharDiff => 2,
                NameLevel::Different => different,
            }
        }
        Prepared::Dates(dates) => match compare_dates(dates[a], dates[b]) {
            super::BirthLevel::Equal => 0,
            super::BirthLevel::OneFieldOff => 1,
            super::BirthLevel::DayMonthSwapped => 2,
            super::BirthLevel::Different => different,
            super::BirthLevel::Missing => missing,
        },
        Prepared::Numbers(numbers) => match (numbers[a], numbers[b]) {
            (Some(a), Some(b)) if (a - b).abs() < f64::EPSILON => 0,
            (Some(a), Some(b)) => comparison
                .levels
                .iter()
                .position(|t| (a - b).abs() <= *t)
                .map_or(different, |i| i + 1),
            _ => missing,
        },
    }
}

/// The optimal-string-alignment distance of `a` and `b` over characters (edits, with a swap
/// of neighbours counting one, as `strsim::osa_distance`), or `None` when it exceeds
/// `limit`. Only cells within `limit` of the diagonal are computed, and it stops as soon as
/// two rows in a row exceed the limit (a swap reaches back two rows): two unrelated IDs
/// cost a few rows, not 18 × 18 cells.
fn osa_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    if a.is_ascii() && b.is_ascii() {
        osa_within_slices(a.as_bytes(), b.as_bytes(), limit)
    } else {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        osa_within_slices(&a, &b, limit)
    }
}

fn osa_within_slices<T: PartialEq>(a: &[T], b: &[T], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let over = limit + 1;
    let width = b.len() + 1;
    // Rows i-2, i-1 and i of the table; cells outside the band hold `over`.
    let mut rows = vec![over; 3 * width];
    for (j, cell) in rows[width..2 * width].iter_mut().enumerate().take(over) {
        *cell = j;
    }
    let mut previous_best = 0;
    for i in 1..=a.len() {
        let (done, current) = rows.split_at_mut(2 * width);
        let (before, previous) = done.split_at(width);
        current.fill(over);
        if i <= limit {
            current[0] = i;
        }
        let (from, to) = (i.saturating_sub(limit).max(1), (i + limit).min(b.len()));
        let mut best = current[0];
        for j in from..=to {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut cell = (previous[j - 1] + cost)
                .min(previous[j] + 1)
                .min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cell = cell.min(before[j - 2] + 1);
            }
            current[j] = cell.min(over);
            best = best.min(current[j]);
        }
        if best > limit && previous_best > limit {
            return None;
        }
        previous_best = best;
        rows.rotate_left(width);
    }
    // The last row computed is now the middle one.
    Some(rows[2 * width - 1]).filter(|d| *d <= limit)
}

/// Links two tables as the link file says.
pub fn link_tables(
    job: &LinkJob,
    left: &TextTable,
    right: &TextTable,
) -> Result<GenericLinks, GenericLinkError> {
    let laps = Laps::start();
    let compared = CompareColumns::encode(job, left, right, &laps)?;
    let shape = shape_of(job);
    let levels_of = |pair: (usize, usize)| compared.levels(job, &shape, pair);
    laps.lap("compared-column setup");
    let (candidates, pairs_per_rule) = block(job, &compared.columns);
    laps.lap("blocked");
    let candidate_levels: Vec<Vec<usize>> = candidates.par_iter().map(|c| levels_of(*c)).collect();
    laps.lap("compared the candidate pairs");
    let random: Vec<Vec<usize>> = random_pairs(right.len(), &[left.len()], RANDOM_PAIRS, 0x5EED)
        .into_par_iter()
        .map(|(_, l, r)| levels_of((l, r)))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let total_pairs = left.len() as f64 * right.len() as f64;
    let parameters = train(
        job,
        &shape,
        &compared.columns,
        &candidate_levels,
        &random,
        total_pairs,
    );
    laps.lap("trained (u from random pairs, m by EM)");
    let pairs = score_pairs(
        job,
        &shape,
        &parameters,
        &compared.columns,
        &candidates,
        candidate_levels,
    );
    laps.lap("scored");
    Ok(GenericLinks {
        pairs,
        level_names: job.comparisons.iter().map(level_names).collect(),
        shape,
        parameters,
        candidate_pairs: candidates.len(),
        pairs_per_rule,
    })
}

/// The time each stage of `link_tables` took, logged at debug level as it ends.
struct Laps {
    stage: std::cell::Cell<std::time::Instant>,
}

impl Laps {
    fn start() -> Laps {
        Laps {
            stage: std::cell::Cell::new(std::time::Instant::now()),
        }
    }

    fn lap(&self, what: &str) {
        tracing::debug!(
            seconds = self.stage.get().elapsed().as_secs_f64(),
            "link: {what}"
        );
        self.stage.set(std::time::Instant::now());
    }
}

/// The compared columns of both tables, encoded and prepared, one per comparison.
struct CompareColumns {
    columns: Vec<EncodedColumn>,
    prepared: Vec<Prepared>,
}

impl CompareColumns {
    /// Encodes and prepares each comparison's columns; a column the tables lack is an error
    /// naming the comparison.
    fn encode(
        job: &LinkJob,
        left: &TextTable,
        right: &TextTable,
        laps: &Laps,
    ) -> Result<CompareColumns, GenericLinkError> {
        let mut prepared = Vec::new();
        let mut columns: Vec<EncodedColumn> = Vec::new();
        for (i, comparison) in job.comparisons.iter().enumerate() {
            let key = format!("comparisons[{i}]");
            let l = column(left, &job.left.path, &comparison.left_column, &key)?;
            let r = column(right, &job.right.path, &comparison.right_column, &key)?;
            let encoded = EncodedColumn::encode(comparison.kind, &l, &r);
            laps.lap(&format!(
                "folded {} ({} distinct values)",
                comparison.name,
                encoded.values.len()
            ));
            prepared.push(prepare(comparison, &encoded));
            columns.push(encoded);
            laps.lap(&format!("prepared {}", comparison.name));
        }
        Ok(CompareColumns { columns, prepared })
    }

    /// The levels of the pair (left row, right row), one per comparison.
    fn levels(&self, job: &LinkJob, shape: &Shape, (l, r): (usize, usize)) -> Vec<usize> {
        job.comparisons
            .iter()
            .zip(self.prepared.iter().zip(&self.columns))
            .zip(&shape.n_levels)
            .map(|((c, p), n)| level(c, p, *n, l, r))
            .collect()
    }
}

/// The model's fields: one per comparison, its levels as `level_names` lists them.
fn shape_of(job: &LinkJob) -> Shape {
    Shape {
        names: job.comparisons.iter().map(|c| c.name.clone()).collect(),
        n_levels: job
            .comparisons
            .iter()
            .map(|c| level_names(c).len())
            .collect(),
        missing: job
            .comparisons
            .iter()
            .map(|c| Some(level_names(c).len() - 1))
            .collect(),
        contradiction: job
            .comparisons
            .iter()
            .map(|c| match c.kind {
                ComparisonKind::IdNumber => Some(ANOTHER_VALID_ID),
                ComparisonKind::MaskedId => Some(MASKED_DISAGREE),
                _ => None,
            })
            .collect(),
    }
}

/// The model's parameters: u from the random pairs (an equality level's from both tables'
/// value frequencies instead), m by EM over the candidates, once per blocking rule.
fn train(
    job: &LinkJob,
    shape: &Shape,
    columns: &[EncodedColumn],
    candidate_levels: &[Vec<usize>],
    random_levels: &[Vec<usize>],
    total_pairs: f64,
) -> LinkParameters {
    let rule_fields: Vec<Vec<bool>> = job
        .blocking
        .iter()
        .map(|rule| {
            let fields = rule_field_indices(job, rule);
            (0..job.comparisons.len())
                .map(|f| fields.contains(&f))
                .collect()
        })
        .collect();
    let mut parameters = LinkParameters::uniform(shape, 1e-4).with_u_from(shape, random_levels);
    for (field, (comparison, column)) in job.comparisons.iter().zip(columns).enumerate() {
        if let Some(u) = exact_u(comparison, column) {
            set_first_u(&mut parameters.u[field], u, shape.missing[field]);
        }
    }
    parameters.fit_m_by_rule(
        shape,
        candidate_levels,
        &rule_fields,
        total_pairs,
        EM_ITERATIONS,
    )
}

/// The candidates weighed (with term frequencies where the link file asks), keeping those
/// at or above `possible_probability`.
fn score_pairs(
    job: &LinkJob,
    shape: &Shape,
    parameters: &LinkParameters,
    columns: &[EncodedColumn],
    candidates: &[(usize, usize)],
    candidate_levels: Vec<Vec<usize>>,
) -> Vec<LinkedPair> {
    let frequencies = term_frequencies(job, columns);
    candidates
        .par_iter()
        .zip(candidate_levels.into_par_iter())
        .filter_map(|(&(left_idx, right_idx), levels)| {
            let tf: Vec<TermFrequency> = frequencies
                .iter()
                .filter_map(|(field, u_by_left_row)| {
                    Some(TermFrequency {
                        field: *field,
                        up_to_level: 0,
                        u: u_by_left_row[left_idx]?,
                    })
                })
                .collect();
            let weights = parameters.weigh_levels(shape, &levels, &tf);
            (weights.probability >= job.possible_probability).then_some(LinkedPair {
                left_idx,
                right_idx,
                levels,
                weights,
            })
        })
        .collect()
}

/// Per term-frequency comparison: (field, per left row the share of both tables' values
/// equal to that row's value).
fn term_frequencies(job: &LinkJob, columns: &[EncodedColumn]) -> Vec<(usize, Vec<Option<f64>>)> {
    job.comparisons
        .iter()
        .enumerate()
        .filter(|(_, c)| c.term_frequency)
        .map(|(field, _)| {
            let column = &columns[field];
            let mut counts = vec![0_usize; column.values.len()];
            for &code in column.left.iter().chain(&column.right) {
                if code != MISSING {
                    counts[code as usize] += 1;
                }
            }
            #[allow(clippy::cast_precision_loss)]
            let total = counts.iter().sum::<usize>().max(1) as f64;
            #[allow(clippy::cast_precision_loss)]
            let u_by_left_row = column
                .left
                .par_iter()
                .map(|&code| (code != MISSING).then(|| counts[code as usize] as f64 / total))
                .collect();
            (field, u_by_left_row)
        })
        .collect()
}

/// The u of a comparison's first level, where that level is "the folded values are equal":
/// the chance that a random left row and a random right row (both with a value) agree,
/// from every value's frequency on each side. Random pairs see an agreement as rare as a
/// birth date's (one pair in 25,000) only a few times in a hundred thousand, and that
/// noise moves every score; the frequencies give it exactly.
fn exact_u(comparison: &Comparison, column: &EncodedColumn) -> Option<f64> {
    if !matches!(
        comparison.kind,
        ComparisonKind::Exact
            | ComparisonKind::String
            | ComparisonKind::Edits
            | ComparisonKind::Date
    ) {
        return None;
    }
    let count = |codes: &[u32]| {
        let mut counts = vec![0_u64; column.values.len()];
        for &code in codes.iter().filter(|&&c| c != MISSING) {
            counts[code as usize] += 1;
        }
        counts
    };
    let (left, right) = (count(&column.left), count(&column.right));
    let (n_left, n_right): (u64, u64) = (left.iter().sum(), right.iter().sum());
    if n_left == 0 || n_right == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let agreeing = left
        .iter()
        .zip(&right)
        .map(|(l, r)| (l * r) as f64)
        .sum::<f64>();
    #[allow(clippy::cast_precision_loss)]
    let u = agreeing / (n_left as f64 * n_right as f64);
    // Never zero: a level's weight is log(m / u).
    Some(u.max(1e-12))
}

/// Sets the first level's u of one field to `u`, scaling the other non-missing levels so
/// that the field's u still sums to one.
fn set_first_u(field: &mut [f64], u: f64, missing: Option<usize>) {
    let others: f64 = field
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(level, _)| Some(*level) != missing)
        .map(|(_, u)| u)
        .sum();
    if others <= 0.0 {
        return;
    }
    let scale = (1.0 - u) / others;
    for (level, value) in field.iter_mut().enumerate().skip(1) {
        if Some(level) != missing {
            *value *= scale;
        }
    }
    field[0] = u;
}

/// The comparison indices of a blocking rule's columns.
fn rule_field_indices(job: &LinkJob, rule: &[String]) -> Vec<usize> {
    rule.iter()
        .map(|name| {
            job.comparisons
                .iter()
                .position(|c| &c.name == name)
                .expect("validated by LinkJob::load")
        })
        .collect()
}

/// Pairs whose values agree on every column of at least one rule. Keys are 64-bit hashes of
/// the rule's value codes: two different values sharing a hash would only add pairs to
/// compare. Each side's keys are sorted and the two lists merged: no hash map to build, and
/// both cores sort.
fn block(
    job: &LinkJob,
    columns: &[EncodedColumn],
) -> (Vec<(usize, usize)>, BTreeMap<String, usize>) {
    let mut all = Vec::new();
    let mut per_rule = BTreeMap::new();
    for rule in &job.blocking {
        let fields = rule_field_indices(job, rule);
        // (key, row) of every row whose rule columns are all present, sorted.
        let keyed = |side: fn(&EncodedColumn) -> &Vec<u32>| -> Vec<(u64, u32)> {
            let rows = side(&columns[fields[0]]).len();
            let mut keys: Vec<(u64, u32)> = (0..rows)
                .into_par_iter()
                .filter_map(|row| {
                    let mut hasher = FixedState::with_seed(0x5EED).build_hasher();
                    for f in &fields {
                        let code = side(&columns[*f])[row];
                        if code == MISSING {
                            return None;
                        }
                        hasher.write_u32(code);
                    }
                    let row = u32::try_from(row).expect("fewer than 2^32 rows");
                    Some((hasher.finish(), row))
                })
                .collect();
            keys.par_sort_unstable();
            keys
        };
        let (left, right) = rayon::join(|| keyed(|c| &c.left), || keyed(|c| &c.right));
        let found = join_sorted(&left, &right);
        per_rule.insert(rule.join("+"), found.len());
        all.extend(found);
    }
    all.par_sort_unstable();
    all.dedup();
    (all, per_rule)
}

/// Every (left row, right row) of equal keys in two sorted (key, row) lists, but for keys
/// held by more than `MAX_BLOCK` left rows (a value too common to say anything).
fn join_sorted(left: &[(u64, u32)], right: &[(u64, u32)]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let (mut l, mut r) = (0, 0);
    while l < left.len() && r < right.len() {
        let key = left[l].0;
        match key.cmp(&right[r].0) {
            std::cmp::Ordering::Less => l += 1,
            std::cmp::Ordering::Greater => r += 1,
            std::cmp::Ordering::Equal => {
                let l_end = l + left[l..].partition_point(|(k, _)| *k == key);
                let r_end = r + right[r..].partition_point(|(k, _)| *k == key);
                if l_end - l <= MAX_BLOCK {
                    for &(_, left_row) in &left[l..l_end] {
                        for &(_, right_row) in &right[r..r_end] {
                            pairs.push((left_row as usize, right_row as usize));
                        }
                    }
                }
                (l, r) = (l_end, r_end);
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests;
