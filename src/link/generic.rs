//! `rollcheck link`: links any two tables with the comparisons and blocking a link file
//! declares, scored by the same Fellegi–Sunter engine (`model`) as person matching.
//! Front door: `link::generic::link_tables`.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use chrono::NaiveDate;
use rayon::prelude::*;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use super::compare::compare_dates;
use super::key_index::KeyIndex;
use super::model::{random_pairs, Shape, TermFrequency, Weights};
use crate::config::{Comparison, ComparisonKind, LinkJob, LinkParameters};
use crate::ingest::{parse_date, TextTable};

#[derive(Debug, thiserror::Error)]
pub enum GenericLinkError {
    #[error("{path}: no column `{column}` (named by the link file's {key})")]
    MissingColumn {
        path: PathBuf,
        column: String,
        key: String,
    },
}

/// A compared column's values, folded for blocking and exact comparison: (left, right).
type FoldedColumn = (Vec<Option<String>>, Vec<Option<String>>);

/// One compared column pair, prepared for fast comparison.
enum Prepared {
    /// Compared as folded text (the `FoldedColumn` of the same comparison).
    Text,
    Date {
        left: Vec<Option<NaiveDate>>,
        right: Vec<Option<NaiveDate>>,
    },
    Number {
        left: Vec<Option<f64>>,
        right: Vec<Option<f64>>,
    },
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

/// NFKC, trimmed, lower case; `None` when nothing is left. Text already in NFKC (plain
/// ASCII, most Chinese) skips the normaliser, which is most of the cost of a link.
fn fold(text: &str) -> Option<String> {
    let folded = if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        text.trim().to_lowercase()
    } else {
        text.nfkc().collect::<String>().trim().to_lowercase()
    };
    (!folded.is_empty()).then_some(folded)
}

/// A column's values, folded, in parallel.
fn fold_column(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.par_iter().map(|v| v.and_then(fold)).collect()
}

fn column<'t>(
    table: &'t TextTable,
    path: &std::path::Path,
    name: &str,
    key: &str,
) -> Result<Vec<Option<&'t str>>, GenericLinkError> {
    let index = table
        .headers
        .iter()
        .position(|h| h.trim() == name)
        .ok_or_else(|| GenericLinkError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            key: key.to_string(),
        })?;
    Ok(table
        .rows
        .iter()
        .map(|row| row.get(index).and_then(|c| c.as_deref()))
        .collect())
}

fn prepare(comparison: &Comparison, (left, right): (&[Option<&str>], &[Option<&str>])) -> Prepared {
    match comparison.kind {
        ComparisonKind::Exact | ComparisonKind::String | ComparisonKind::Edits => Prepared::Text,
        ComparisonKind::Date => {
            let dates =
                |side: &[Option<&str>]| side.par_iter().map(|v| v.and_then(parse_date)).collect();
            Prepared::Date {
                left: dates(left),
                right: dates(right),
            }
        }
        ComparisonKind::Numeric => {
            let numbers = |side: &[Option<&str>]| {
                side.iter()
                    .map(|v| v.and_then(|t| t.trim().parse().ok()))
                    .collect()
            };
            Prepared::Number {
                left: numbers(left),
                right: numbers(right),
            }
        }
    }
}

/// Level names of a comparison, best first, `missing` last.
fn level_names(comparison: &Comparison) -> Vec<String> {
    let mut names = vec![match comparison.kind {
        ComparisonKind::Date | ComparisonKind::Numeric => "equal".to_string(),
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
        ComparisonKind::Exact => {}
    }
    names.extend(["different".to_string(), "missing".to_string()]);
    names
}

/// The level of one pair under one comparison; `n_levels` counts `different` and `missing`.
fn level(
    comparison: &Comparison,
    (prepared, (left, right)): (&Prepared, &FoldedColumn),
    n_levels: usize,
    l: usize,
    r: usize,
) -> usize {
    let (different, missing) = (n_levels - 2, n_levels - 1);
    match prepared {
        Prepared::Text => match (&left[l], &right[r]) {
            (Some(a), Some(b)) if a == b => 0,
            (Some(a), Some(b)) if comparison.kind == ComparisonKind::String => {
                let similarity = strsim::jaro_winkler(a, b);
                comparison
                    .levels
                    .iter()
                    .position(|t| similarity >= *t)
                    .map_or(different, |i| i + 1)
            }
            (Some(a), Some(b)) if comparison.kind == ComparisonKind::Edits => {
                #[allow(clippy::cast_precision_loss)]
                let edits = strsim::osa_distance(a, b) as f64;
                comparison
                    .levels
                    .iter()
                    .position(|t| edits <= *t)
                    .map_or(different, |i| i + 1)
            }
            (Some(_), Some(_)) => different,
            _ => missing,
        },
        Prepared::Date { left, right } => match compare_dates(left[l], right[r]) {
            super::BirthLevel::Equal => 0,
            super::BirthLevel::OneFieldOff => 1,
            super::BirthLevel::DayMonthSwapped => 2,
            super::BirthLevel::Different => different,
            super::BirthLevel::Missing => missing,
        },
        Prepared::Number { left, right } => match (left[l], right[r]) {
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

/// Links two tables as the link file says.
pub fn link_tables(
    job: &LinkJob,
    left: &TextTable,
    right: &TextTable,
) -> Result<GenericLinks, GenericLinkError> {
    let stage = std::cell::Cell::new(std::time::Instant::now());
    let lap = |what: &str| {
        tracing::debug!(
            seconds = stage.get().elapsed().as_secs_f64(),
            "link: {what}"
        );
        stage.set(std::time::Instant::now());
    };
    let mut prepared = Vec::new();
    let mut folded_text: Vec<FoldedColumn> = Vec::new();
    for (i, comparison) in job.comparisons.iter().enumerate() {
        let key = format!("comparisons[{i}]");
        let l = column(left, &job.left.path, &comparison.left_column, &key)?;
        let r = column(right, &job.right.path, &comparison.right_column, &key)?;
        let folded = (fold_column(&l), fold_column(&r));
        prepared.push(prepare(comparison, (&l, &r)));
        folded_text.push(folded);
    }
    let shape = Shape {
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
    };
    let levels_of = |(l, r): (usize, usize)| -> Vec<usize> {
        job.comparisons
            .iter()
            .zip(prepared.iter().zip(&folded_text))
            .zip(&shape.n_levels)
            .map(|((c, p), n)| level(c, p, *n, l, r))
            .collect()
    };

    lap("folded and parsed the compared columns");
    let (candidates, pairs_per_rule) = block(job, &folded_text, left.rows.len(), right.rows.len());
    lap("blocked");
    let candidate_levels: Vec<Vec<usize>> = candidates.par_iter().map(|c| levels_of(*c)).collect();
    lap("compared the candidate pairs");
    let random: Vec<Vec<usize>> =
        random_pairs(right.rows.len(), &[left.rows.len()], RANDOM_PAIRS, 0x5EED)
            .into_par_iter()
            .map(|(_, l, r)| levels_of((l, r)))
            .collect();
    #[allow(clippy::cast_precision_loss)]
    let total_pairs = left.rows.len() as f64 * right.rows.len() as f64;
    // At most one match per record of the smaller table: EM starts from that share.
    #[allow(clippy::cast_precision_loss)]
    let most_matches_share =
        left.rows.len().min(right.rows.len()) as f64 / candidates.len().max(1) as f64;
    let parameters = LinkParameters::uniform(&shape, 1e-4)
        .with_u_from(&shape, &random)
        .fit_m(
            &shape,
            &candidate_levels,
            total_pairs,
            most_matches_share,
            EM_ITERATIONS,
        );
    lap("trained (u from random pairs, m by EM)");

    let frequencies = term_frequencies(job, &folded_text);
    let pairs: Vec<LinkedPair> = candidates
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
            let weights = parameters.weigh_levels(&shape, &levels, &tf);
            (weights.probability >= job.possible_probability).then_some(LinkedPair {
                left_idx,
                right_idx,
                levels,
                weights,
            })
        })
        .collect();
    lap("scored");
    Ok(GenericLinks {
        pairs,
        level_names: job.comparisons.iter().map(level_names).collect(),
        shape,
        parameters,
        candidate_pairs: candidates.len(),
        pairs_per_rule,
    })
}

/// Per term-frequency comparison: (field, per left row the share of both tables' values
/// equal to that row's value).
fn term_frequencies(job: &LinkJob, folded: &[FoldedColumn]) -> Vec<(usize, Vec<Option<f64>>)> {
    job.comparisons
        .iter()
        .enumerate()
        .filter(|(_, c)| c.term_frequency)
        .map(|(field, _)| {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for value in folded[field].0.iter().chain(&folded[field].1).flatten() {
                *counts.entry(value.as_str()).or_default() += 1;
            }
            #[allow(clippy::cast_precision_loss)]
            let total = counts.values().sum::<usize>().max(1) as f64;
            #[allow(clippy::cast_precision_loss)]
            let u_by_left_row = folded[field]
                .0
                .par_iter()
                .map(|value| Some(counts[value.as_deref()?] as f64 / total))
                .collect();
            (field, u_by_left_row)
        })
        .collect()
}

/// Pairs whose values agree on every column of at least one rule. Keys are 64-bit hashes of
/// the rule's values: two different values sharing a hash would only add pairs to compare.
fn block(
    job: &LinkJob,
    folded: &[FoldedColumn],
    n_left: usize,
    n_right: usize,
) -> (Vec<(usize, usize)>, BTreeMap<String, usize>) {
    let mut all = Vec::new();
    let mut per_rule = BTreeMap::new();
    for rule in &job.blocking {
        let fields: Vec<usize> = rule
            .iter()
            .map(|name| {
                job.comparisons
                    .iter()
                    .position(|c| &c.name == name)
                    .expect("validated by LinkJob::load")
            })
            .collect();
        let key = |side: fn(&FoldedColumn) -> &Vec<Option<String>>, row: usize| -> Option<u64> {
            let mut hasher = DefaultHasher::new();
            for f in &fields {
                side(&folded[*f])[row].as_deref()?.hash(&mut hasher);
            }
            Some(hasher.finish())
        };
        let left_keys: Vec<Option<u64>> = (0..n_left)
            .into_par_iter()
            .map(|l| key(|c| &c.0, l))
            .collect();
        let index = KeyIndex::new(left_keys.into_iter());
        let found: Vec<Vec<(usize, usize)>> = (0..n_right)
            .into_par_iter()
            .map(|r| match key(|c| &c.1, r) {
                Some(k) if index.len_of(k) <= MAX_BLOCK => index.rows(k).map(|l| (l, r)).collect(),
                _ => Vec::new(),
            })
            .collect();
        per_rule.insert(rule.join("+"), found.iter().map(Vec::len).sum());
        all.extend(found.into_iter().flatten());
    }
    all.par_sort_unstable();
    all.dedup();
    (all, per_rule)
}

#[cfg(test)]
mod tests {
    use super::{level, level_names, FoldedColumn, Prepared};
    use crate::config::{Comparison, ComparisonKind};

    #[test]
    fn edits_levels_count_a_swap_of_neighbours_as_one_edit() {
        let comparison = Comparison {
            name: "id".into(),
            left_column: "id".into(),
            right_column: "id".into(),
            kind: ComparisonKind::Edits,
            levels: vec![1.0, 2.0],
            term_frequency: false,
        };
        let names = level_names(&comparison);
        assert_eq!(
            names,
            ["exact", "edits<=1", "edits<=2", "different", "missing"]
        );
        let values = |v: &[&str]| v.iter().map(|s| Some((*s).to_string())).collect::<Vec<_>>();
        let mut right = values(&[
            "110105194912310021", // equal
            "110105194912310012", // two neighbours swapped
            "110105194912310099", // two digits typed wrong
            "110105194912319999", // four digits
        ]);
        right.push(None);
        let folded: FoldedColumn = (values(&["110105194912310021"; 5]), right);
        let levels: Vec<&str> = (0..5)
            .map(|r| {
                let l = level(&comparison, (&Prepared::Text, &folded), names.len(), r, r);
                names[l].as_str()
            })
            .collect();
        assert_eq!(
            levels,
            ["exact", "edits<=1", "edits<=2", "different", "missing"]
        );
    }
}
