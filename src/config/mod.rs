//! Pipeline files: `RawPipeline` mirrors the TOML (unknown keys rejected), `Pipeline` is the
//! validated form every later stage sees. Defaults are the contract's defaults. This file is
//! the front door (read, parse, resolve); each table's settings live in a file of their own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::model::{Programme, Source};

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

mod income;
mod link;
mod link_job;
pub mod local;
mod outcomes;
mod programmes;
mod review;
pub mod rules;
mod sources;
pub mod standards;
#[cfg(test)]
mod tests;
mod warning;

pub use income::{IncomeSpec, SupportersSpec};
pub use link::{
    LinkParameters, LinkSpec, DEFAULT_MAX_EXPECTED_NAMESAKES, DEFAULT_POPULATION,
    PERSON_LEVEL_COUNTS,
};
pub use link_job::{Comparison, ComparisonKind, LinkJob, TableSpec};
pub use local::{FieldType, LocalField, LocalRegistry};
pub use outcomes::{Category, OutcomesSpec, RecheckSpec};
pub use programmes::ProgrammeSpec;
pub use review::ReviewSpec;
pub use rules::{RuleSpec, Rules};
pub use sources::{RawSource, SourceSpec};
pub use warning::WarningSpec;

// ---- Raw form: exactly what the TOML says --------------------------------------------

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    #[serde(default)]
    pipeline: RawMeta,
    #[serde(default)]
    sources: BTreeMap<String, RawSource>,
    #[serde(default)]
    programmes: BTreeMap<String, programmes::RawProgramme>,
    #[serde(default)]
    rules: rules::RawRules,
    #[serde(default)]
    link: link::RawLink,
    #[serde(default)]
    state: review::RawState,
    #[serde(default)]
    review: review::RawReview,
    #[serde(default)]
    supporters: income::RawSupporters,
    #[serde(default)]
    income: income::RawIncome,
    #[serde(default)]
    outcomes: outcomes::RawOutcomes,
    #[serde(default)]
    recheck: outcomes::RawRecheck,
    #[serde(default)]
    warning: warning::RawWarning,
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

// ---- Resolved form ---------------------------------------------------------------------

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
    pub supporters: SupportersSpec,
    pub income: IncomeSpec,
    pub outcomes: OutcomesSpec,
    pub recheck: RecheckSpec,
    pub warning: WarningSpec,
}

impl Pipeline {
    /// Reads and validates a pipeline file.
    pub fn load(path: &Path) -> Result<Pipeline, ConfigError> {
        Pipeline::parse(&read_config_file(path)?, path)
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

    /// Resolves every table, collecting all their problems before giving up.
    fn resolve(raw: RawPipeline, path: &Path, sha256: String) -> Result<Pipeline, ConfigError> {
        let mut problems = Vec::new();
        let source_populations: Vec<(String, Option<f64>)> = raw
            .sources
            .iter()
            .map(|(name, source)| (name.clone(), source.population))
            .collect();
        let sources = sources::resolve_sources(raw.sources, &mut problems);
        let base = path.parent().unwrap_or(Path::new("."));
        let programmes = programmes::resolve_programmes(raw.programmes, base, &mut problems);
        let rules = rules::resolve(raw.rules, &mut problems);
        let supporters = income::resolve_supporters(raw.supporters, &mut problems);
        let income = income::resolve_income(&raw.income, &mut problems);
        let mut link = link::resolve_link(raw.link, base, &mut problems);
        let outcomes = outcomes::resolve_outcomes(raw.outcomes, &mut problems);
        let recheck = outcomes::resolve_recheck(raw.recheck, &mut problems);
        let warning = warning::resolve_warning(raw.warning, &mut problems);
        link::resolve_populations(
            &mut link,
            raw.pipeline.population,
            source_populations,
            &sources,
            &mut problems,
        );
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
            review: review::resolve_review(raw.review, base),
            supporters,
            income,
            outcomes,
            recheck,
            warning,
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

/// How a vocabulary reads one of its codes, and lists them all for an error.
type Vocabulary<T> = (fn(&str) -> Option<T>, fn() -> String);

/// A list of vocabulary codes at `key` (`["child", "spouse"]`), `default` when absent; an
/// unknown code is a problem naming the key and the codes accepted.
fn listed<T>(
    key: &str,
    names: Option<Vec<String>>,
    default: Vec<T>,
    (parse, codes): Vocabulary<T>,
    problems: &mut Vec<String>,
) -> Vec<T> {
    let Some(names) = names else {
        return default;
    };
    names
        .iter()
        .filter_map(|name| {
            let value = parse(name);
            if value.is_none() {
                problems.push(format!(
                    "{key}: unknown value `{name}` (expected one of {})",
                    codes()
                ));
            }
            value
        })
        .collect()
}

/// A path from the pipeline file: relative paths resolve against the file's directory.
fn resolve_against(base: &Path, path: PathBuf) -> PathBuf {
    if path.is_absolute() {
        path
    } else {
        base.join(path)
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

/// A pipeline or link file's text, or an error naming the file.
fn read_config_file(path: &Path) -> Result<String, ConfigError> {
    read_text(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Every file the config stage reads goes through here: pipeline files, link files and fixed
/// link parameters.
#[allow(clippy::disallowed_methods)]
// The pipeline file is the config stage's one read.
fn read_text(path: &Path) -> std::io::Result<String> {
    std::fs::read_to_string(path)
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
