//! `[programmes.X]`: each programme's per-capita standard, the pension types its income
//! test counts, and its dated regional standards (inline, or a table `ingest` reads).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use super::resolve_against;
use super::standards::{self, RegionalStandard};
use crate::model::{PensionType, Programme};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProgramme {
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

/// Per-programme settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeSpec {
    /// Per-capita monthly income standard where no regional standard applies; `None` means
    /// income is not checked (`linshi`).
    pub per_capita_standard_yuan: Option<f64>,
    pub counted_pension_types: Vec<PensionType>,
    /// Dated regional standards written in the pipeline.
    pub standards: Vec<RegionalStandard>,
    /// A standards table to read (`ingest::load_standards`), resolved against the pipeline.
    pub standards_file: Option<PathBuf>,
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

/// Every programme, with the contract's defaults where the pipeline says nothing.
pub(super) fn resolve_programmes(
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
            check_standard_yuan(&format!("programmes.{name}"), standard, problems);
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
) -> Option<RegionalStandard> {
    let region = raw.region.trim().to_string();
    if let Err(problem) = standards::check_region(&region) {
        problems.push(format!("{key}.region: {problem}"));
    }
    let from = raw.from.date();
    if from.is_none() {
        problems.push(format!("{key}.from: not a date (YYYY-MM-DD)"));
    }
    let amount = raw.per_capita_standard_yuan;
    check_standard_yuan(key, amount, problems);
    Some(RegionalStandard {
        programme,
        region,
        from: from?,
        per_capita_standard_yuan: amount,
        origin: key.to_string(),
    })
}

/// `<key>.per_capita_standard_yuan`, a programme's or a regional entry's, is money per person.
fn check_standard_yuan(key: &str, amount: f64, problems: &mut Vec<String>) {
    if !(amount.is_finite() && amount > 0.0) {
        problems.push(format!(
            "{key}.per_capita_standard_yuan: must be a positive number, got {amount}"
        ));
    }
}
