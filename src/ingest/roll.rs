//! The roll: its members read in pieces, and the households two of its files share.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::fields::{Fields, RowProblem};
use super::locate::base_dir;
use super::pieces::{read_source_in_pieces, Pieces, ROWS_PER_PIECE};
use super::schema::col;
use super::{
    load_standards, DuplicateHouseholds, IngestError, Ingested, InputInfo, QuarantinedRow,
    RollMember,
};
use crate::config::{Category, Pipeline};
use crate::model::{Programme, Relation, Source};

/// Reads the roll: an `Ingested` with no registries yet.
pub fn load_roll(pipeline: &Pipeline, data_dir: Option<&Path>) -> Result<Ingested, IngestError> {
    let mut roll = Vec::new();
    let mut quarantine = Vec::new();
    let read = load_roll_in_pieces(
        pipeline,
        data_dir,
        ROWS_PER_PIECE,
        &mut quarantine,
        &mut |members| roll.extend(members),
    )?;
    Ok(Ingested {
        roll,
        others: Vec::new(),
        registries: Vec::new(),
        quarantine,
        inputs: read.inputs,
        roll_duplicates: read.duplicates,
        standards: load_standards(pipeline)?,
    })
}

/// What reading the roll gave besides its members.
pub struct RollRead {
    /// One record per file.
    pub inputs: Vec<InputInfo>,
    /// Households found in two roll files.
    pub duplicates: Vec<DuplicateHouseholds>,
}

/// Reads the roll in pieces of at most `rows_per_piece` rows, in row order, each handed to
/// `each` before the next is parsed (a shard keeps only its own households' members).
/// Unusable rows go to `quarantine`. Returns the roll's input records and the households
/// that two of its files share (a data-quality finding, never a silent merge).
pub fn load_roll_in_pieces(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    rows_per_piece: usize,
    quarantine: &mut Vec<QuarantinedRow>,
    each: &mut dyn FnMut(Vec<RollMember>),
) -> Result<RollRead, IngestError> {
    let mut first_file: HashMap<String, usize> = HashMap::new();
    let mut shared: BTreeMap<(usize, usize), HashSet<String>> = BTreeMap::new();
    let inputs = read_source_in_pieces(
        Source::Roll,
        &pipeline.sources[&Source::Roll],
        &base_dir(pipeline, data_dir),
        rows_per_piece,
        &parse_roll_member,
        quarantine,
        &mut Pieces {
            wanted: &mut || true,
            each: &mut |file_idx, _, members| {
                for member in &members {
                    let first = *first_file
                        .entry(member.household_id.clone())
                        .or_insert(file_idx);
                    if first != file_idx {
                        shared
                            .entry((first, file_idx))
                            .or_default()
                            .insert(member.household_id.clone());
                    }
                }
                each(members);
            },
        },
    )?;
    let duplicates = shared
        .into_iter()
        .map(|((first, second), households)| DuplicateHouseholds {
            first_file: inputs[first].path.clone(),
            second_file: inputs[second].path.clone(),
            households: households.len(),
        })
        .collect();
    Ok(RollRead { inputs, duplicates })
}

fn parse_roll_member(f: &Fields) -> Result<RollMember, RowProblem> {
    Ok(RollMember {
        row: f.row.row,
        household_id: f.required_text(col::HOUSEHOLD_ID)?,
        programme: f.required_choice(col::PROGRAMME, Programme::parse, Programme::codes)?,
        member_id: f.required_text(col::MEMBER_ID)?,
        name: f.required_text(col::NAME)?,
        id_number: f.id_text(col::ID_NUMBER)?,
        relation: f.required_choice(col::RELATION, Relation::parse, Relation::codes)?,
        region_code: f.text(col::REGION_CODE)?,
        monthly_benefit: f.money(col::MONTHLY_BENEFIT)?,
        enrolled_on: f.date(col::ENROLLED_ON)?,
        address: f.text(col::ADDRESS)?,
        category: f.choice(col::CATEGORY, Category::parse, || {
            Category::codes().join(", ")
        })?,
    })
}
