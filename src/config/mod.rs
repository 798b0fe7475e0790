//! Pipeline files: `RawPipeline` mirrors the TOML (unknown keys rejected), `Pipeline` is the
//! validated form every later stage sees. Defaults are the contract's defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{BlockingRule, PensionType, Programme, Source};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read pipeline file: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("{path}: {}", problems.join("; "))]
    Problems {
        path: PathBuf,
        problems: Vec<String>,
    },
}

pub mod local;
pub mod rules;
pub mod standards;

pub use local::{FieldType, LocalField, LocalRegistry};

pub use rules::{RuleSpec, Rules};

// ---- Raw form: exactly what the TOML says --------------------------------------------

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    #[serde(default)]
    pipeline: RawMeta,
    #[serde(default)]
    sources: BTreeMap<String, RawSource>,
    #[serde(default)]
    programmes: BTreeMap<String, RawProgramme>,
    #[serde(default)]
    rules: rules::RawRules,
    #[serde(default)]
    link: RawLink,
    #[serde(default)]
    state: RawState,
    #[serde(default)]
    review: RawReview,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReview {
    /// A directory clerks drop filled workbooks into; each run imports what is new there.
    inbox: Option<PathBuf>,
    /// Days a flag may wait for its visit before it is overdue.
    due_days: Option<u32>,
    /// Unflagged households drawn per township for a spot check (抽查).
    audit_households_per_township: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawState {
    /// Where run history is kept; relative paths resolve against the pipeline file.
    dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLink {
    blocking: Option<Vec<BlockingRule>>,
    match_probability: Option<f64>,
    possible_probability: Option<f64>,
    /// A `model.json` written by an earlier run: use its parameters instead of training.
    parameters: Option<PathBuf>,
    /// A record without a usable or masked ID flags only when fewer people than this are
    /// expected to share its name and birth date in the registry's population.
    max_expected_namesakes: Option<f64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: Option<String>,
    description: Option<String>,
    /// The province the rolls belong to (2-digit code, e.g. "41").
    province: Option<String>,
    /// People a registry covers (its population), unless the source says otherwise.
    population: Option<f64>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    path: Option<PathBuf>,
    sheet: Option<String>,
    /// People this registry covers (namesake risk).
    population: Option<f64>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    /// A local registry's name for people (manifest, `explain`); the source name when absent.
    label: Option<String>,
    /// A local registry's person columns (`local::RawPerson`).
    person: Option<local::RawPerson>,
    /// A local registry's typed columns.
    #[serde(default)]
    fields: BTreeMap<String, local::RawField>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProgramme {
    per_capita_standard_yuan: Option<f64>,
    counted_pension_types: Option<Vec<PensionType>>,
    /// A standards table (CSV/XLSX), relative to the pipeline file.
    standards: Option<PathBuf>,
    /// Inline dated regional standards (`[[programmes.X.standard]]`).
    standard: Option<Vec<RawStandard>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStandard {
    region: String,
    from: RawDate,
    per_capita_standard_yuan: f64,
}

/// A date written as text (`"2025-01-01"`) or as a TOML date (`2025-01-01`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawDate {
    Text(String),
    Toml(toml::value::Datetime),
}

impl RawDate {
    fn date(&self) -> Option<NaiveDate> {
        match self {
            RawDate::Text(text) => crate::model::parse_date(text),
            RawDate::Toml(datetime) => {
                let date = datetime.date?;
                NaiveDate::from_ymd_opt(
                    i32::from(date.year),
                    u32::from(date.month),
                    u32::from(date.day),
                )
            }
        }
    }
}

// ---- Resolved form ---------------------------------------------------------------------

/// Where and how to read one source.
#[derive(Debug, Clone, Default)]
pub struct SourceSpec {
    /// As written in the pipeline; resolved against the data directory by `ingest`.
    pub path: Option<PathBuf>,
    /// XLSX sheet name; the first sheet when absent.
    pub sheet: Option<String>,
    /// Contract column name → header in the file.
    pub columns: BTreeMap<String, String>,
    /// What a registry the pipeline declares holds; `None` for a built-in source.
    pub local: Option<LocalRegistry>,
}

/// Per-programme settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeSpec {
    /// Per-capita monthly income standard where no regional standard applies; `None` means
    /// income is not checked (`linshi`).
    pub per_capita_standard_yuan: Option<f64>,
    pub counted_pension_types: Vec<PensionType>,
    /// Dated regional standards written in the pipeline.
    pub standards: Vec<standards::RegionalStandard>,
    /// A standards table to read (`ingest::load_standards`), resolved against the pipeline.
    pub standards_file: Option<PathBuf>,
}

/// Levels per person-matching field (id, name, birth date, region, gender), the shape a
/// parameters file must have; `link::model::PERSON` is built from it.
pub const PERSON_LEVEL_COUNTS: [usize; 5] = [9, 4, 5, 5, 3];

/// Fellegi–Sunter parameters, as trained by a run (`model.json`) or loaded from a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkParameters {
    /// Share of candidate pairs that are matches (the prior).
    pub lambda: f64,
    /// m[field][level] and u[field][level], fields and levels in `link::model` order.
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    /// `default`, `em` or `file`.
    pub source: String,
    pub em_iterations: usize,
    /// The prior for pairs where an ID is missing: records without an ID are a population
    /// of their own (mostly people not on the roll), so they get their own prior.
    #[serde(default)]
    pub lambda_missing_id: Option<f64>,
}

/// Whether parameters have one m and one u per level of every person-matching field.
fn has_person_shape(parameters: &LinkParameters) -> bool {
    let fits = |table: &[Vec<f64>]| {
        table.len() == PERSON_LEVEL_COUNTS.len()
            && table
                .iter()
                .zip(PERSON_LEVEL_COUNTS)
                .all(|(levels, n)| levels.len() == n)
    };
    fits(&parameters.m) && fits(&parameters.u)
}

/// How records without a shared valid ID are linked.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSpec {
    pub blocking: Vec<BlockingRule>,
    /// A pair at or above this probability counts for the rules.
    pub match_probability: f64,
    /// A pair at or above this (and below `match_probability`) is a lead for review only.
    pub possible_probability: f64,
    /// Fixed parameters from a file; `None` trains on the run's own data.
    pub parameters: Option<LinkParameters>,
    /// People each registry covers (`[sources.X] population`, else `[pipeline] population`).
    pub population: BTreeMap<Source, f64>,
    /// Used for a registry the pipeline gives no population of its own.
    pub default_population: f64,
    /// The most people expected to share a name and birth date in a registry's population
    /// for a record without a usable or masked ID to count (contract: namesake risk).
    pub max_expected_namesakes: f64,
}

/// `[pipeline] population` when the pipeline does not say: a province's registers.
pub const DEFAULT_POPULATION: f64 = 10_000_000.0;
/// `[link] max_expected_namesakes` when the pipeline does not say.
pub const DEFAULT_MAX_EXPECTED_NAMESAKES: f64 = 0.01;

impl LinkSpec {
    /// The population a registry covers.
    pub fn population_of(&self, source: Source) -> f64 {
        self.population
            .get(&source)
            .copied()
            .unwrap_or(self.default_population)
    }
}

/// A validated pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub name: String,
    pub description: Option<String>,
    /// The province's 2-digit code: a region code outside it is a data-quality finding.
    pub province: Option<String>,
    /// The pipeline file; relative source paths resolve against its directory.
    pub file: PathBuf,
    /// sha256 of the pipeline text, for the manifest and run id.
    pub sha256: String,
    pub sources: BTreeMap<Source, SourceSpec>,
    pub programmes: BTreeMap<Programme, ProgrammeSpec>,
    pub rules: Rules,
    pub link: LinkSpec,
    /// The run-history directory, when the pipeline names one (else beside the outputs).
    pub state_dir: Option<PathBuf>,
    pub review: ReviewSpec,
}

/// `[review]`: how findings come back and what goes out besides flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSpec {
    /// Where filled workbooks are dropped; a run imports each new one before it matches.
    pub inbox: Option<PathBuf>,
    /// A flag still waiting for its visit this many days after it was first raised is overdue.
    pub due_days: u32,
    pub audit_households_per_township: u32,
}

impl Default for ReviewSpec {
    fn default() -> ReviewSpec {
        ReviewSpec {
            inbox: None,
            due_days: 30,
            audit_households_per_township: 0,
        }
    }
}

impl Pipeline {
    /// Reads and validates a pipeline file.
    pub fn load(path: &Path) -> Result<Pipeline, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Pipeline::parse(&text, path)
    }

    /// Parses pipeline text; `path` is used for messages and to resolve relative sources.
    pub fn parse(text: &str, path: &Path) -> Result<Pipeline, ConfigError> {
        let shadowing = rules::shadowing(text);
        if !shadowing.is_empty() {
            return Err(ConfigError::Problems {
                path: path.to_path_buf(),
                problems: shadowing,
            });
        }
        let raw: RawPipeline = deserialize_toml(text, path)?;
        let sha256 = hex_sha256(text.as_bytes());
        Pipeline::resolve(raw, path, sha256)
    }

    fn resolve(raw: RawPipeline, path: &Path, sha256: String) -> Result<Pipeline, ConfigError> {
        let mut problems = Vec::new();
        let populations: Vec<(String, Option<f64>)> = raw
            .sources
            .iter()
            .map(|(name, source)| (format!("sources.{name}.population"), source.population))
            .collect();
        let sources = resolve_sources(raw.sources, &mut problems);
        let base = path.parent().unwrap_or(Path::new("."));
        let programmes = resolve_programmes(raw.programmes, base, &mut problems);
        let rules = rules::resolve(raw.rules, &mut problems);
        let mut link = resolve_link(raw.link, base, &mut problems);
        let mut population_of = |key: &str, value: Option<f64>| {
            let value = value?;
            if value.is_finite() && value >= 1.0 {
                Some(value)
            } else {
                problems.push(format!(
                    "{key}: a population is a number of people (1 or more), got {value}"
                ));
                None
            }
        };
        link.default_population = population_of("pipeline.population", raw.pipeline.population)
            .unwrap_or(DEFAULT_POPULATION);
        for (key, value) in populations {
            let source = sources.keys().copied().find(|s| {
                key.strip_prefix("sources.")
                    .and_then(|k| k.strip_suffix(".population"))
                    == Some(s.code())
            });
            if let (Some(source), Some(value)) = (source, population_of(&key, value)) {
                link.population.insert(source, value);
            }
        }
        if let Some(province) = &raw.pipeline.province {
            if province.len() != 2 || !province.bytes().all(|b| b.is_ascii_digit()) {
                problems.push(format!(
                    "pipeline.province: `{province}` is not a province code: write its 2 digits, e.g. \"41\""
                ));
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError::Problems {
                path: path.to_path_buf(),
                problems,
            });
        }
        let name = raw.pipeline.name.unwrap_or_else(|| {
            path.file_stem()
                .map_or_else(|| "pipeline".into(), |s| s.to_string_lossy().into_owned())
        });
        Ok(Pipeline {
            name,
            description: raw.pipeline.description,
            province: raw.pipeline.province,
            file: path.to_path_buf(),
            sha256,
            sources,
            programmes,
            rules,
            link,
            state_dir: raw.state.dir.map(|dir| resolve_against(base, dir)),
            review: ReviewSpec {
                inbox: raw.review.inbox.map(|dir| resolve_against(base, dir)),
                due_days: raw.review.due_days.unwrap_or(30),
                audit_households_per_township: raw
                    .review
                    .audit_households_per_township
                    .unwrap_or(0),
            },
        })
    }

    /// The directory relative source paths are resolved against when `--data` is absent.
    pub fn base_dir(&self) -> PathBuf {
        self.file
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    pub fn programme(&self, programme: Programme) -> &ProgrammeSpec {
        &self.programmes[&programme]
    }
}

/// A path from the pipeline file: relative paths resolve against the file's directory.
fn resolve_against(base: &Path, path: PathBuf) -> PathBuf {
    if path.is_absolute() {
        path
    } else {
        base.join(path)
    }
}

fn resolve_sources(
    raw: BTreeMap<String, RawSource>,
    problems: &mut Vec<String>,
) -> BTreeMap<Source, SourceSpec> {
    let mut sources = BTreeMap::new();
    for (name, raw_source) in raw {
        let (source, local) = if let Some(source) =
            Source::parse(&name).filter(|s| s.code() == name)
        {
            for (declared, key) in [
                (raw_source.person.is_some(), "person"),
                (!raw_source.fields.is_empty(), "fields"),
                (raw_source.label.is_some(), "label"),
            ] {
                if declared {
                    problems.push(format!(
                        "sources.{name}.{key}: `{name}` is a built-in source with the contract's columns; a registry with columns of its own takes a name of its own (e.g. `[sources.{name}_local]`)"
                    ));
                }
            }
            (source, None)
        } else {
            let Some((source, registry)) = local::resolve(
                &name,
                raw_source.label.as_deref(),
                raw_source.person,
                raw_source.fields,
                problems,
            ) else {
                continue;
            };
            for mapped in raw_source.columns.keys() {
                if mapped != "record_id" {
                    problems.push(format!(
                        "sources.{name}.columns.{mapped}: a local registry names its columns in `person` and `fields`; `columns` maps only `record_id`"
                    ));
                }
            }
            (source, Some(registry))
        };
        sources.insert(
            source,
            SourceSpec {
                path: raw_source.path,
                sheet: raw_source.sheet,
                columns: raw_source.columns,
                local,
            },
        );
    }
    if !sources.contains_key(&Source::Roll) {
        problems.push("sources.roll: the roll source is required".into());
    }
    sources
}

fn default_programme(programme: Programme) -> ProgrammeSpec {
    let standard = match programme {
        Programme::DibaoUrban => Some(800.0),
        Programme::DibaoRural => Some(600.0),
        Programme::Tekun => Some(1040.0),
        Programme::Linshi => None,
    };
    ProgrammeSpec {
        per_capita_standard_yuan: standard,
        counted_pension_types: vec![PensionType::Enterprise, PensionType::Institution],
        standards: Vec::new(),
        standards_file: None,
    }
}

fn resolve_programmes(
    raw: BTreeMap<String, RawProgramme>,
    base: &Path,
    problems: &mut Vec<String>,
) -> BTreeMap<Programme, ProgrammeSpec> {
    let mut programmes: BTreeMap<Programme, ProgrammeSpec> = Programme::ALL
        .iter()
        .map(|p| (*p, default_programme(*p)))
        .collect();
    for (name, raw_programme) in raw {
        let Some(programme) = Programme::ALL.iter().copied().find(|p| p.code() == name) else {
            problems.push(format!(
                "programmes.{name}: unknown programme (expected one of {})",
                Programme::codes()
            ));
            continue;
        };
        let spec = programmes
            .get_mut(&programme)
            .expect("every programme has a default");
        if let Some(standard) = raw_programme.per_capita_standard_yuan {
            if !(standard.is_finite() && standard > 0.0) {
                problems.push(format!(
                    "programmes.{name}.per_capita_standard_yuan: must be a positive number, got {standard}"
                ));
            }
            spec.per_capita_standard_yuan = Some(standard);
        }
        if let Some(types) = raw_programme.counted_pension_types {
            spec.counted_pension_types = types;
        }
        spec.standards_file = raw_programme
            .standards
            .map(|file| resolve_against(base, file));
        for (index, raw_standard) in raw_programme.standard.into_iter().flatten().enumerate() {
            let key = format!("programmes.{name}.standard[{index}]");
            if let Some(standard) = resolve_standard(programme, &raw_standard, &key, problems) {
                spec.standards.push(standard);
            }
        }
    }
    let inline = programmes
        .values()
        .flat_map(|s| s.standards.clone())
        .collect();
    if let Err(duplicate) = standards::Standards::new(inline) {
        problems.push(duplicate);
    }
    programmes
}

fn resolve_standard(
    programme: Programme,
    raw: &RawStandard,
    key: &str,
    problems: &mut Vec<String>,
) -> Option<standards::RegionalStandard> {
    let region = raw.region.trim().to_string();
    if let Err(problem) = standards::check_region(&region) {
        problems.push(format!("{key}.region: {problem}"));
    }
    let from = raw.from.date();
    if from.is_none() {
        problems.push(format!("{key}.from: not a date (YYYY-MM-DD)"));
    }
    let amount = raw.per_capita_standard_yuan;
    if !(amount.is_finite() && amount > 0.0) {
        problems.push(format!(
            "{key}.per_capita_standard_yuan: must be a positive number, got {amount}"
        ));
    }
    Some(standards::RegionalStandard {
        programme,
        region,
        from: from?,
        per_capita_standard_yuan: amount,
        origin: key.to_string(),
    })
}

fn resolve_link(raw: RawLink, base: &Path, problems: &mut Vec<String>) -> LinkSpec {
    let max_expected_namesakes = raw
        .max_expected_namesakes
        .unwrap_or(DEFAULT_MAX_EXPECTED_NAMESAKES);
    if !(max_expected_namesakes.is_finite() && max_expected_namesakes >= 0.0) {
        problems.push(format!(
            "link.max_expected_namesakes: must be a non-negative number, got {max_expected_namesakes}"
        ));
    }
    let mut blocking = raw.blocking.unwrap_or_else(|| BlockingRule::ALL.to_vec());
    // Masked IDs are matched on their visible characters whatever else is listed
    // (contract, matching item 6): the rule is part of the ID path, not an option.
    if !blocking.contains(&BlockingRule::MaskedIdVisible) {
        blocking.push(BlockingRule::MaskedIdVisible);
    }
    let match_probability = raw.match_probability.unwrap_or(0.99);
    let possible_probability = raw.possible_probability.unwrap_or(0.5);
    for (key, value) in [
        ("match_probability", match_probability),
        ("possible_probability", possible_probability),
    ] {
        if !(value > 0.0 && value < 1.0) {
            problems.push(format!(
                "link.{key}: must be between 0 and 1 (exclusive), got {value}"
            ));
        }
    }
    if possible_probability > match_probability {
        problems.push(format!(
            "link.possible_probability: {possible_probability} is above link.match_probability {match_probability}"
        ));
    }
    let parameters = raw.parameters.and_then(|file| {
        let path = resolve_against(base, file);
        let loaded = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                serde_json::from_str::<LinkParameters>(&text).map_err(|e| e.to_string())
            });
        match loaded {
            Ok(parameters) if !has_person_shape(&parameters) => {
                problems.push(format!(
                    "link.parameters: {}: made for another version's comparison levels (this one has {:?} levels per field); leave `parameters` out to train on the run's data",
                    path.display(),
                    PERSON_LEVEL_COUNTS
                ));
                None
            }
            Ok(mut parameters) => {
                parameters.source = "file".into();
                Some(parameters)
            }
            Err(message) => {
                problems.push(format!("link.parameters: {}: {message}", path.display()));
                None
            }
        }
    });
    LinkSpec {
        blocking,
        match_probability,
        possible_probability,
        parameters,
        population: BTreeMap::new(),
        default_population: DEFAULT_POPULATION,
        max_expected_namesakes,
    }
}

/// Deserialises TOML, naming the file and the key path of the first error.
fn deserialize_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ConfigError> {
    let deserializer = toml::Deserializer::parse(text).map_err(|err| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: "(syntax)".into(),
        message: err.message().to_string(),
    })?;
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let key = err.path().to_string();
        ConfigError::Invalid {
            path: path.to_path_buf(),
            key: if key == "." {
                "(top level)".into()
            } else {
                key
            },
            message: err.into_inner().message().to_string(),
        }
    })
}

// ---- Link files: `rollcheck link` over any two tables ---------------------------------

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
    pub fn load(path: &Path) -> Result<LinkJob, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let raw: RawLinkJob = deserialize_toml(&text, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut problems = Vec::new();
        let comparisons: Vec<Comparison> = raw
            .comparisons
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| resolve_comparison(i, c, &mut problems))
            .collect();
        for (i, rule) in raw.blocking.iter().enumerate() {
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

/// Lower-case hex sha256 of some bytes.
pub fn hex_sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            use std::fmt::Write as _;
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Reason, Severity};

    fn parse(text: &str) -> Result<Pipeline, ConfigError> {
        Pipeline::parse(text, Path::new("pipelines/test.toml"))
    }

    #[test]
    fn minimal_pipeline_gets_contract_defaults() {
        let pipeline = parse("[sources.roll]\n").unwrap();
        assert_eq!(
            pipeline
                .programme(Programme::DibaoUrban)
                .per_capita_standard_yuan,
            Some(800.0)
        );
        assert_eq!(
            pipeline
                .programme(Programme::Linshi)
                .per_capita_standard_yuan,
            None
        );
        assert_eq!(
            pipeline.rules.spec(Reason::CadreRelative).severity,
            Severity::Low
        );
        assert!(
            (pipeline
                .rules
                .business_active
                .shareholder_capital_threshold_yuan
                - 100_000.0)
                .abs()
                < f64::EPSILON
        );
    }

    /// The shipped nightly pipeline spells out the code's defaults: a pipeline that names
    /// only its sources resolves to the same programmes, rules, link and review settings.
    #[test]
    fn county_nightly_resolves_to_the_code_defaults() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/county-nightly.toml");
        let shipped = Pipeline::load(&shipped).unwrap();
        let sources = Source::ALL
            .iter()
            .map(|s| format!("[sources.{}]", s.code()))
            .collect::<Vec<_>>()
            .join("\n");
        let defaults = parse(&sources).unwrap();
        assert_eq!(shipped.programmes, defaults.programmes);
        assert_eq!(shipped.rules, defaults.rules);
        // The one value the county pipeline sets apart from the code: a county's
        // registries cover a county's people, the default a province's.
        assert!((shipped.link.default_population - 1_000_000.0).abs() < 1e-9);
        assert!((defaults.link.default_population - DEFAULT_POPULATION).abs() < 1e-9);
        let shipped_link = LinkSpec {
            default_population: DEFAULT_POPULATION,
            ..shipped.link.clone()
        };
        assert_eq!(shipped_link, defaults.link);
        assert_eq!(shipped.review, defaults.review);
        assert_eq!(
            shipped.sources.keys().collect::<Vec<_>>(),
            defaults.sources.keys().collect::<Vec<_>>()
        );
    }

    #[test]
    fn unknown_key_is_named_with_its_path() {
        let err = parse("[sources.roll]\n[rules.vehicle_owned]\nexempt = []\n").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("pipelines/test.toml"), "{message}");
        assert!(message.contains("rules.vehicle_owned"), "{message}");
        assert!(message.contains("exempt"), "{message}");
    }

    #[test]
    fn wrong_type_is_named_with_its_path() {
        let err =
            parse("[sources.roll]\n[programmes.dibao_urban]\nper_capita_standard_yuan = \"800\"\n")
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("programmes.dibao_urban.per_capita_standard_yuan"),
            "{err}"
        );
    }

    #[test]
    fn unknown_source_and_missing_roll_are_reported_together() {
        let err = parse("[sources.deaths]\n").unwrap_err().to_string();
        assert!(err.contains("sources.deaths: unknown source"), "{err}");
        assert!(err.contains("person"), "{err}");
        assert!(
            err.contains("sources.roll: the roll source is required"),
            "{err}"
        );
    }

    #[test]
    fn a_local_registry_and_a_sql_rule_resolve() {
        let pipeline = parse(
            "[sources.roll]\n[sources.hukou]\nlabel = \"户籍\"\nperson = { name = \"姓名\", id_number = \"身份证号\" }\n\
             [sources.hukou.fields]\nhukou_no = { column = \"户号\", type = \"text\" }\n\
             moved_out = { column = \"迁出日期\", type = \"date\", required = false }\n\
             [rules.size_differs]\nlabel = \"户籍人口不符\"\nseverity = \"low\"\nsql = \"SELECT 1\"\n",
        )
        .unwrap();
        let source = Source::named("hukou").unwrap();
        assert!(source.is_local());
        assert_eq!(source.label_zh(), "户籍");
        let registry = pipeline.sources[&source].local.as_ref().unwrap();
        assert_eq!(registry.name_column, "姓名");
        assert_eq!(registry.birth_column, None);
        let fields: Vec<(&str, FieldType, bool)> = registry
            .fields
            .iter()
            .map(|f| (f.name, f.kind, f.required))
            .collect();
        assert_eq!(
            fields,
            [
                ("hukou_no", FieldType::Text, true),
                ("moved_out", FieldType::Date, false)
            ]
        );
        let rule = &pipeline.rules.sql[0];
        assert_eq!(rule.reason.code(), "size_differs");
        assert_eq!(rule.reason.label_zh(), "户籍人口不符");
        assert_eq!(pipeline.rules.spec(rule.reason).severity, Severity::Low);
        assert_eq!(pipeline.rules.reasons().last(), Some(&rule.reason));
    }

    #[test]
    fn local_names_that_would_clash_are_refused_with_their_keys() {
        let err = parse(
            "[sources.roll]\n[sources.members]\nperson = { name = \"姓名\" }\n\
             [sources.tax]\nperson = { name = \"姓名\" }\n[sources.tax.fields]\nname = { column = \"x\", type = \"text\" }\n\
             [sources.hukou]\nperson = { name = \"姓名\", address = \"住址\" }\n[sources.hukou.fields]\naddress = { column = \"地址\", type = \"text\" }\n\
             [sources.death]\nperson = { name = \"姓名\" }\n\
             [rules.no_sql]\nlabel = \"无\"\n",
        )
        .unwrap_err()
        .to_string();
        for key in [
            "sources.members:",
            "sources.tax.fields.name:",
            "sources.hukou.fields.address: `address` is the person's address",
            "sources.death.person:",
            "rules.no_sql.sql:",
        ] {
            assert!(err.contains(key), "{key} not in {err}");
        }
        let err = parse("[sources.roll]\n[rules.invalid_id]\nsql = \"SELECT 1\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rules.invalid_id: `invalid_id` is a built-in reason"),
            "{err}"
        );
    }

    #[test]
    fn bad_enum_value_names_key() {
        let err =
            parse("[sources.roll]\n[rules.vehicle_owned]\nexempt_vehicle_types = [\"bicycle\"]\n")
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("rules.vehicle_owned.exempt_vehicle_types"),
            "{err}"
        );
    }
}
