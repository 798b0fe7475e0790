//! A finished run read back for `rollcheck review import`: which flags, leads and spot checks
//! it sent out, when each flag was first raised, and where its history lives.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::names::{FLAGS_PARQUET, HOUSEHOLDS, LEADS, MANIFEST, MATCHES, SPOT_CHECKS};
use super::parquet::{float_column, read, text_column};
use super::tables::{previous_flags, PreviousFlag};
use super::{state_dir_of_run, OutputError};

/// A `possible` match listed for review in 待核实线索.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    pub household_id: String,
    pub member_id: String,
    pub reason: String,
    pub source: String,
    pub record_id: String,
    pub probability: f64,
    pub region_code: Option<String>,
    /// The member's valid ID as a digest, for the registry's answer to a 协查 request.
    pub member_id_digest: Option<String>,
}

/// What a run in OUTDIR sent out for review.
#[derive(Debug, Clone)]
pub struct PublishedRun {
    pub run_id: String,
    pub as_of: NaiveDate,
    /// The run's history directory (the manifest's, else `<OUTDIR>.history`).
    pub state_dir: PathBuf,
    pub flags: Vec<PreviousFlag>,
    pub leads: Vec<Lead>,
    /// Households drawn for a spot check (抽查), with their region code.
    pub spot_checks: Vec<(String, Option<String>)>,
    /// Monthly benefit (yuan) per household, where the roll gives one.
    pub benefits: HashMap<String, f64>,
    /// (household, record) pairs the run linked by a probabilistic match.
    pub probabilistic: HashSet<(String, String)>,
    /// The early warnings it sent out (sheet 预警线索).
    pub warnings: Vec<super::PreviousWarning>,
}

impl PublishedRun {
    /// Reads the run in `out_dir`; `state` overrides where its history lives.
    pub fn read(out_dir: &Path, state: Option<&Path>) -> Result<PublishedRun, OutputError> {
        let manifest_path = out_dir.join(MANIFEST);
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(|e| OutputError::read(&manifest_path, format!("not a run directory: {e}")))?;
        let manifest: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| OutputError::read(&manifest_path, e))?;
        let field = |key: &str| manifest.get(key).and_then(|v| v.as_str());
        let run_id = field("run_id")
            .ok_or_else(|| OutputError::read(&manifest_path, "no `run_id`"))?
            .to_string();
        let as_of = field("as_of")
            .and_then(crate::ingest::parse_date)
            .ok_or_else(|| OutputError::read(&manifest_path, "no valid `as_of`"))?;
        let state_dir = state.map_or_else(|| state_dir_of_run(out_dir), Path::to_path_buf);
        if !out_dir.join(FLAGS_PARQUET).is_file() {
            return Err(OutputError::read(out_dir, "no flags.parquet here"));
        }
        let flags = previous_flags(out_dir);
        // The run's own reasons are known names from here on, with the labels its pipeline
        // declared, so findings naming a declared rule's label read back (`Reason::known`).
        if let Some(declared) = manifest.get("declared") {
            let declared: super::DeclaredLabels = serde_json::from_value(declared.clone())
                .map_err(|e| OutputError::read(&manifest_path, format!("`declared`: {e}")))?;
            declared.declare();
        }
        for flag in &flags {
            crate::model::Reason::named(&flag.reason);
        }
        Ok(PublishedRun {
            run_id,
            as_of,
            state_dir,
            flags,
            leads: read_leads(&out_dir.join(LEADS))?,
            spot_checks: read_spot_checks(&out_dir.join(SPOT_CHECKS))?,
            benefits: read_benefits(&out_dir.join(HOUSEHOLDS))?,
            probabilistic: read_probabilistic(&out_dir.join(MATCHES))?,
            warnings: super::previous_warnings(out_dir),
        })
    }
}

/// leads.parquet; a run from before leads were written has none.
fn read_leads(path: &Path) -> Result<Vec<Lead>, OutputError> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let frame = read(path)?;
    let text = |name| text_column(&frame, name, path);
    let (households, members, reasons) =
        (text("household_id")?, text("member_id")?, text("reason")?);
    let (sources, records, regions) = (text("source")?, text("record_id")?, text("region_code")?);
    let probabilities = float_column(&frame, "probability", path)?;
    // A run from before assistance requests has no digests.
    let digests = text("member_id_digest").unwrap_or_else(|_| vec![None; frame.height()]);
    Ok((0..frame.height())
        .map(|i| Lead {
            household_id: households[i].clone().unwrap_or_default(),
            member_id: members[i].clone().unwrap_or_default(),
            reason: reasons[i].clone().unwrap_or_default(),
            source: sources[i].clone().unwrap_or_default(),
            record_id: records[i].clone().unwrap_or_default(),
            probability: probabilities[i],
            region_code: regions[i].clone(),
            member_id_digest: digests[i].clone(),
        })
        .collect())
}

fn read_spot_checks(path: &Path) -> Result<Vec<(String, Option<String>)>, OutputError> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let frame = read(path)?;
    let households = text_column(&frame, "household_id", path)?;
    let regions = text_column(&frame, "region_code", path)?;
    Ok(households
        .into_iter()
        .zip(regions)
        .filter_map(|(h, r)| Some((h?, r)))
        .collect())
}

fn read_probabilistic(path: &Path) -> Result<HashSet<(String, String)>, OutputError> {
    if !path.is_file() {
        return Ok(HashSet::new());
    }
    let frame = read(path)?;
    let text = |name| text_column(&frame, name, path);
    let (households, records, methods) =
        (text("household_id")?, text("record_id")?, text("method")?);
    Ok(households
        .into_iter()
        .zip(records)
        .zip(methods)
        .filter(|(_, method)| method.as_deref() == Some("probabilistic"))
        .filter_map(|((h, r), _)| Some((h?, r?)))
        .collect())
}

fn read_benefits(path: &Path) -> Result<HashMap<String, f64>, OutputError> {
    if !path.is_file() {
        return Ok(HashMap::new());
    }
    let frame = read(path)?;
    if frame.column("monthly_benefit").is_err() {
        return Ok(HashMap::new());
    }
    let households = text_column(&frame, "household_id", path)?;
    let benefits = float_column(&frame, "monthly_benefit", path)?;
    Ok(households
        .into_iter()
        .zip(benefits)
        .filter_map(|(h, b)| Some((h?, b)).filter(|(_, b)| b.is_finite()))
        .collect())
}
