//! A roll read once for every shard (`rollcheck index-roll`): `roll.parquet` holds the
//! members as ingest typed them, `relatives.parquet` the relatives `relations` names of
//! them (a province's relations registry is tens of millions of rows, which every shard
//! would read again to find them), `roll-index.json` the files both came from. A shard given
//! `--roll-index` loads it instead of decoding and typing the roll's files again (a
//! province's roll is a file per county, often XLSX or GBK). Written atomically like a run.

use std::path::Path;

use polars::prelude::Column;
use serde::{Deserialize, Serialize};

use rayon::prelude::*;

use super::parquet::read;
use super::{files, tables, OutputError};
use crate::config::Category;
use crate::ingest::{DuplicateHouseholds, InputInfo, OtherPerson, PersonFields, RollMember};
use crate::model::{Programme, Relation, Role};

/// Names the layout of a roll index; a shard refuses any other.
pub const ROLL_INDEX_FORMAT: &str = "rollcheck-roll-index/2";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollIndexManifest {
    pub format: String,
    pub tool_version: String,
    /// The pipeline that read the roll: a shard must run the same one.
    pub pipeline_sha256: String,
    pub members: usize,
    /// The roll's input records, as a run that reads the files has them.
    pub files: Vec<InputInfo>,
    pub households_in_two_roll_files: Vec<DuplicateHouseholds>,
    /// How many relatives `relatives.parquet` holds; none when the pipeline reads no
    /// `relations`.
    pub relatives: Option<usize>,
    /// The `relations` files the relatives were found in: a shard refuses the index if the
    /// files it reads differ.
    pub relations_files: Vec<InputInfo>,
}

const RELATIVES: &str = "relatives.parquet";

/// The relatives' columns in `relatives.parquet`, all text (dates `YYYY-MM-DD`).
const RELATIVE_COLUMNS: [&str; 7] = [
    "role",
    "key",
    "name",
    "id_number",
    "birth_date",
    "address",
    "region_code",
];

/// The text of relative field `k` (`RELATIVE_COLUMNS[k]`).
fn relative_field(other: &OtherPerson, k: usize) -> Option<String> {
    match k {
        0 => Some(other.role.code().to_string()),
        1 => Some(other.key.clone()),
        2 => Some(other.person.name.clone()),
        3 => other.person.id_number.clone(),
        4 => other
            .person
            .birth_date
            .map(|d| d.format("%Y-%m-%d").to_string()),
        5 => other.person.address.as_deref().map(str::to_string),
        _ => other.region_code.clone(),
    }
}

/// Text columns named `names` of `items`, item `i`'s field `k` being `field(item, k)`.
fn text_columns<T: Sync>(
    names: &[&str],
    items: &[T],
    field: impl Fn(&T, usize) -> Option<String> + Sync,
) -> Vec<Column> {
    names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let values: Vec<Option<String>> = items.par_iter().map(|item| field(item, k)).collect();
            Column::new((*name).into(), values)
        })
        .collect()
}

/// The roll's columns in `roll.parquet`, all text (dates `YYYY-MM-DD`, money as Rust prints
/// an f64, which reads back exactly). `category` came last and later: an index written
/// before it reads as a roll without classes.
const COLUMNS: [&str; 12] = [
    "row",
    "household_id",
    "programme",
    "member_id",
    "name",
    "id_number",
    "relation",
    "region_code",
    "monthly_benefit",
    "enrolled_on",
    "address",
    "category",
];
const CATEGORY: usize = 11;

/// The text of member field `k` (`COLUMNS[k]`).
fn field(member: &RollMember, k: usize) -> Option<String> {
    match k {
        0 => Some(member.row.to_string()),
        1 => Some(member.household_id.clone()),
        2 => Some(member.programme.code().to_string()),
        3 => Some(member.member_id.clone()),
        4 => Some(member.name.clone()),
        5 => member.id_number.clone(),
        6 => Some(member.relation.code().to_string()),
        7 => member.region_code.clone(),
        8 => member.monthly_benefit.map(|v| v.to_string()),
        9 => member.enrolled_on.map(|d| d.format("%Y-%m-%d").to_string()),
        10 => member.address.clone(),
        _ => member.category.map(|c| c.code().to_string()),
    }
}

/// Writes `roll.parquet`, `relatives.parquet` and `roll-index.json` into `out_dir`,
/// replacing it atomically.
pub fn write_roll_index(
    out_dir: &Path,
    manifest: &RollIndexManifest,
    roll: &[RollMember],
    relatives: &[OtherPerson],
) -> Result<(), OutputError> {
    files::publish(out_dir, "roll-index", |staging| {
        tables::write_parquet(
            &staging.join("roll.parquet"),
            text_columns(&COLUMNS, roll, field),
        )?;
        tables::write_parquet(
            &staging.join(RELATIVES),
            text_columns(&RELATIVE_COLUMNS, relatives, relative_field),
        )?;
        let bytes =
            serde_json::to_vec_pretty(manifest).map_err(|e| OutputError::write(staging, e))?;
        files::write_file(&staging.join("roll-index.json"), &bytes)?;
        Ok(())
    })
}

/// Relative `i` of the columns (`RELATIVE_COLUMNS` order), or the column and value that are
/// not what `write_roll_index` writes.
fn relative_at<'c>(
    columns: &[Vec<Option<&'c str>>],
    i: usize,
) -> Result<OtherPerson, (&'static str, Option<&'c str>)> {
    let cell = |k: usize| columns[k][i];
    let bad = |k: usize| (RELATIVE_COLUMNS[k], cell(k));
    let birth_date = cell(4)
        .map(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| bad(4)))
        .transpose()?;
    Ok(OtherPerson {
        role: cell(0).and_then(Role::parse).ok_or_else(|| bad(0))?,
        key: cell(1).ok_or_else(|| bad(1))?.to_string(),
        person: PersonFields {
            name: cell(2).ok_or_else(|| bad(2))?.to_string(),
            id_number: cell(3).map(str::to_string),
            birth_date,
            address: cell(5).map(Into::into),
        },
        region_code: cell(6).map(str::to_string),
    })
}

/// The rows of a text table a roll index holds (`names` its columns, `optional` one that an
/// older index may lack, read as empty), each typed by `typed` in parallel (a province's
/// roll is millions of members); `expected` of them (`what`), as roll-index.json says.
fn read_rows<T: Send>(
    path: &Path,
    names: &[&'static str],
    optional: Option<&str>,
    (expected, what): (usize, &str),
    typed: impl for<'c> Fn(&[Vec<Option<&'c str>>], usize) -> Result<T, (&'static str, Option<&'c str>)>
        + Sync,
) -> Result<Vec<T>, OutputError> {
    let frame = read(path)?;
    let columns = names
        .par_iter()
        .map(|name| {
            if Some(*name) == optional && frame.column(name).is_err() {
                return Ok(vec![None; frame.height()]);
            }
            let text = frame
                .column(name)
                .and_then(|c| c.str())
                .map_err(|e| OutputError::read(path, format!("column `{name}`: {e}")))?;
            Ok(text.iter().collect())
        })
        .collect::<Result<Vec<Vec<Option<&str>>>, OutputError>>()?;
    let rows = (0..frame.height())
        .into_par_iter()
        .map(|i| {
            typed(&columns, i).map_err(|(column, value)| {
                OutputError::read(
                    path,
                    format!(
                        "row {}, column `{column}`: `{}` is not what index-roll writes",
                        i + 1,
                        value.unwrap_or("")
                    ),
                )
            })
        })
        .collect::<Result<Vec<T>, OutputError>>()?;
    if rows.len() != expected {
        return Err(OutputError::read(
            path,
            format!("{} {what}, roll-index.json says {expected}", rows.len()),
        ));
    }
    Ok(rows)
}

/// Reads a roll index back: its manifest and the members, exactly as ingest typed them.
/// The relatives are empty when the pipeline reads no `relations` (`manifest.relatives`).
pub fn read_roll_index(dir: &Path) -> Result<RollIndex, OutputError> {
    let manifest: RollIndexManifest = files::read_manifest(
        &dir.join("roll-index.json"),
        "a roll index",
        ROLL_INDEX_FORMAT,
        |m: &RollIndexManifest| &m.format,
    )?;
    let roll = read_rows(
        &dir.join("roll.parquet"),
        &COLUMNS,
        Some(COLUMNS[CATEGORY]),
        (manifest.members, "members"),
        member_at,
    )?;
    let relatives = match manifest.relatives {
        Some(expected) => read_rows(
            &dir.join(RELATIVES),
            &RELATIVE_COLUMNS,
            None,
            (expected, "relatives"),
            relative_at,
        )?,
        None => Vec::new(),
    };
    Ok(RollIndex {
        manifest,
        roll,
        relatives,
    })
}

/// A roll index read back.
pub struct RollIndex {
    pub manifest: RollIndexManifest,
    pub roll: Vec<RollMember>,
    pub relatives: Vec<OtherPerson>,
}

/// Member `i` of the columns (`COLUMNS` order), or the column and value that are not what
/// `write_roll_index` writes.
fn member_at<'c>(
    columns: &[Vec<Option<&'c str>>],
    i: usize,
) -> Result<RollMember, (&'static str, Option<&'c str>)> {
    let cell = |k: usize| columns[k][i];
    let text = |k: usize| cell(k).map(str::to_string);
    let required = |k: usize| text(k).ok_or((COLUMNS[k], None));
    let bad = |k: usize| (COLUMNS[k], cell(k));
    let row = cell(0).and_then(|r| r.parse().ok());
    let programme = cell(2).and_then(Programme::parse);
    let relation = cell(6).and_then(Relation::parse);
    let monthly_benefit = cell(8)
        .map(|v| v.parse::<f64>().map_err(|_| bad(8)))
        .transpose()?;
    let enrolled_on = cell(9)
        .map(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| bad(9)))
        .transpose()?;
    let category = cell(CATEGORY)
        .map(|v| Category::parse(v).ok_or_else(|| bad(CATEGORY)))
        .transpose()?;
    Ok(RollMember {
        row: row.ok_or_else(|| bad(0))?,
        household_id: required(1)?,
        programme: programme.ok_or_else(|| bad(2))?,
        member_id: required(3)?,
        name: required(4)?,
        id_number: text(5),
        relation: relation.ok_or_else(|| bad(6))?,
        region_code: text(7),
        monthly_benefit,
        enrolled_on,
        address: text(10),
        category,
    })
}
