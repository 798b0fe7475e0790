//! `rollcheck link`'s link file: two tables, how their columns are compared, blocking rules
//! and thresholds. The same engine as the person pipeline, over any two tables.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{deserialize_toml, read_config_file, resolve_against, ConfigError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLinkJob {
    left: RawTableSpec,
    right: RawTableSpec,
    comparisons: Vec<RawComparison>,
    blocking: Vec<Vec<String>>,
    #[serde(default)]
    link: RawLinkThresholds,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTableSpec {
    path: PathBuf,
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComparison {
    column: Option<String>,
    left_column: Option<String>,
    right_column: Option<String>,
    kind: ComparisonKind,
    levels: Option<Vec<f64>>,
    term_frequency: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLinkThresholds {
    match_probability: Option<f64>,
    possible_probability: Option<f64>,
}

/// How one column pair is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonKind {
    /// Equal or not.
    Exact,
    /// Exact, then Jaro–Winkler similarity at or above each of `levels` (descending).
    String,
    /// Equal, one of year/month/day off, day and month swapped, different.
    Date,
    /// Equal, then |a − b| at or below each of `levels` (ascending).
    Numeric,
    /// Equal, then at most each of `levels` (ascending) edits, counting a swap of two
    /// neighbours as one (optimal string alignment, the restricted Damerau–Levenshtein
    /// distance): for codes where a mistyped or swapped digit is likely.
    Edits,
    /// A resident ID number, cleaned and upgraded as the person pipeline does (spaces,
    /// full width, `x`, 15→18 digits): equal, one digit off, two neighbours swapped,
    /// different. Blank, Excel-number or non-digit IDs are missing.
    IdNumber,
    /// A resident ID number that one side may carry masked (`411526********123X`, any run
    /// of `*`): equal, masked and every visible character agreeing, masked and a visible
    /// character differing (another person: held at a contradiction's weight), different.
    MaskedId,
    /// A Chinese personal name, by its match key (traditional→simplified, no spaces or
    /// middle dots) and reading: equal, same reading, one character off, different.
    Name,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub left_column: String,
    pub right_column: String,
    pub kind: ComparisonKind,
    pub levels: Vec<f64>,
    pub term_frequency: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub path: PathBuf,
    pub id_column: String,
}

/// A validated link file.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkJob {
    pub file: PathBuf,
    pub left: TableSpec,
    pub right: TableSpec,
    pub comparisons: Vec<Comparison>,
    /// Each rule: columns (by comparison name) whose values must all be equal.
    pub blocking: Vec<Vec<String>>,
    pub match_probability: f64,
    pub possible_probability: f64,
}

impl LinkJob {
    /// Reads and validates a link file; table paths resolve against its directory.
    pub fn load(path: &Path) -> Result<LinkJob, ConfigError> {
        let text = read_config_file(path)?;
        let raw: RawLinkJob = deserialize_toml(&text, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut problems = Vec::new();
        let comparisons: Vec<Comparison> = raw
            .comparisons
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| resolve_comparison(i, c, &mut problems))
            .collect();
        check_blocking(&raw.blocking, &comparisons, &mut problems);
        let match_probability = raw.link.match_probability.unwrap_or(0.5);
        let possible_probability = raw.link.possible_probability.unwrap_or(0.01);
        if !(0.0..1.0).contains(&possible_probability) || !(0.0..1.0).contains(&match_probability) {
            problems.push("link: probabilities must be in [0, 1)".into());
        }
        if !problems.is_empty() {
            return Err(ConfigError::Problems {
                path: path.to_path_buf(),
                problems,
            });
        }
        let table = |spec: RawTableSpec| TableSpec {
            path: resolve_against(base, spec.path),
            id_column: spec.id,
        };
        Ok(LinkJob {
            file: path.to_path_buf(),
            left: table(raw.left),
            right: table(raw.right),
            comparisons,
            blocking: raw.blocking,
            match_probability,
            possible_probability,
        })
    }
}

/// Each blocking rule names at least one column, and only compared ones.
fn check_blocking(
    blocking: &[Vec<String>],
    comparisons: &[Comparison],
    problems: &mut Vec<String>,
) {
    for (i, rule) in blocking.iter().enumerate() {
        for column in rule {
            if !comparisons.iter().any(|c| &c.name == column) {
                problems.push(format!(
                    "blocking[{i}]: `{column}` is not a compared column"
                ));
            }
        }
        if rule.is_empty() {
            problems.push(format!("blocking[{i}]: a rule needs at least one column"));
        }
    }
}

fn resolve_comparison(
    index: usize,
    raw: RawComparison,
    problems: &mut Vec<String>,
) -> Option<Comparison> {
    let key = format!("comparisons[{index}]");
    let left = raw.left_column.or_else(|| raw.column.clone());
    let right = raw.right_column.or_else(|| raw.column.clone());
    let (Some(left_column), Some(right_column)) = (left, right) else {
        problems.push(format!(
            "{key}: needs `column`, or `left_column` and `right_column`"
        ));
        return None;
    };
    let levels = raw.levels.unwrap_or_else(|| match raw.kind {
        ComparisonKind::String => vec![0.92, 0.8],
        ComparisonKind::Numeric => vec![1.0],
        ComparisonKind::Edits => vec![1.0, 2.0],
        ComparisonKind::Exact
        | ComparisonKind::Date
        | ComparisonKind::IdNumber
        | ComparisonKind::MaskedId
        | ComparisonKind::Name => Vec::new(),
    });
    let ordered = match raw.kind {
        ComparisonKind::String => {
            levels.windows(2).all(|w| w[0] > w[1]) && levels.iter().all(|l| (0.0..=1.0).contains(l))
        }
        ComparisonKind::Numeric | ComparisonKind::Edits => {
            levels.windows(2).all(|w| w[0] < w[1]) && levels.iter().all(|l| *l >= 0.0)
        }
        ComparisonKind::Exact
        | ComparisonKind::Date
        | ComparisonKind::IdNumber
        | ComparisonKind::MaskedId
        | ComparisonKind::Name => levels.is_empty(),
    };
    if !ordered {
        problems.push(format!(
            "{key}.levels: string levels are descending similarities in [0, 1], numeric and edits levels ascending distances; exact, date, id_number, masked_id and name take none"
        ));
    }
    Some(Comparison {
        name: raw
            .column
            .unwrap_or_else(|| format!("{left_column}~{right_column}")),
        left_column,
        right_column,
        kind: raw.kind,
        levels,
        term_frequency: raw.term_frequency.unwrap_or(false),
    })
}
