//! The registries: each read in pieces, a built-in one's rows by its descriptor, a local
//! one's by the fields the pipeline declares.

use std::path::Path;

use super::fields::{Fields, RowProblem};
use super::locate::base_dir;
use super::pieces::{read_source_in_pieces, Pieces, ROWS_PER_PIECE};
use super::schema::{self, col};
use super::{
    FieldValue, IngestError, Ingested, InputInfo, PersonFields, QuarantinedRow, RecordDetails,
    Registry, RegistryRecord,
};
use crate::config::{FieldType, LocalRegistry, Pipeline};
use crate::model::Source;

/// Reads one registry named by the pipeline. Its quarantined rows and input record go into
/// `ingested`; its records are returned, for the caller to keep.
pub fn load_registry(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    source: Source,
    ingested: &mut Ingested,
) -> Result<Registry, IngestError> {
    let mut records = Vec::new();
    let inputs = load_registry_in_pieces(
        pipeline,
        data_dir,
        source,
        ROWS_PER_PIECE,
        &mut ingested.quarantine,
        &mut || true,
        &mut |piece, _| records.extend(piece.records),
    )?;
    ingested.inputs.extend(inputs);
    Ok(Registry { source, records })
}

/// Reads one registry in pieces of at most `rows_per_piece` rows, each handed to `each`
/// before the next is parsed, so a caller that uses and drops them (a run, a shard, a
/// merge) holds one piece of the registry, not all of it. Pieces come in row order, each
/// with the rows of the registry's earlier files (a record's place in the registry is
/// that plus its row: `RegistryRecord::row`); `wanted` is asked first and a piece it
/// declines is counted but not parsed. Unusable rows go to `quarantine`. Returns one input
/// record per file of the registry.
pub fn load_registry_in_pieces(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    source: Source,
    rows_per_piece: usize,
    quarantine: &mut Vec<QuarantinedRow>,
    wanted: &mut dyn FnMut() -> bool,
    each: &mut dyn FnMut(Registry, usize),
) -> Result<Vec<InputInfo>, IngestError> {
    let spec = &pipeline.sources[&source];
    let parse = |f: &Fields| match &spec.local {
        Some(registry) => parse_local(f, registry),
        None => parse_builtin(f, source),
    };
    read_source_in_pieces(
        source,
        spec,
        &base_dir(pipeline, data_dir),
        rows_per_piece,
        &parse,
        quarantine,
        &mut Pieces {
            wanted,
            each: &mut |_, rows_before, records| each(Registry { source, records }, rows_before),
        },
    )
}

/// A built-in registry's row: its person from the descriptor's person columns, the rest
/// from the descriptor's `details` parser.
fn parse_builtin(f: &Fields, source: Source) -> Result<RegistryRecord, RowProblem> {
    let descriptor = schema::descriptor(source).expect("a built-in source has a descriptor");
    let (Some(person), Some(details)) = (descriptor.person, descriptor.details) else {
        unreachable!("the roll is parsed by parse_roll_member")
    };
    let person = PersonFields {
        name: f.required_text(person.name)?,
        id_number: f.id_text(person.id_number)?,
        birth_date: match person.birth_date {
            Some(column) => f.date(column)?,
            None => None,
        },
        address: match person.address {
            Some(column) => f.text(column)?.map(String::into_boxed_str),
            None => None,
        },
    };
    let details = details(f)?;
    Ok(RegistryRecord {
        row: f.row.row,
        record_id: f.required_text(col::RECORD_ID)?,
        person,
        details,
    })
}

/// A local registry's row: its person, its typed fields in declared order, and its record
/// id (`<source>:<row>` when the file has none).
fn parse_local(f: &Fields, registry: &LocalRegistry) -> Result<RegistryRecord, RowProblem> {
    let person = schema::LOCAL_PERSON;
    let person = PersonFields {
        name: f.required_text(person.name)?,
        id_number: f.id_text(person.id_number)?,
        birth_date: f.date(col::BIRTH_DATE)?,
        address: f.text(col::ADDRESS)?.map(String::into_boxed_str),
    };
    let mut values = Vec::with_capacity(registry.fields.len());
    for field in &registry.fields {
        let value = match field.kind {
            FieldType::Text => FieldValue::Text(f.text(field.name)?.map(String::into_boxed_str)),
            FieldType::Date => FieldValue::Date(f.date(field.name)?),
            FieldType::Money => FieldValue::Number(f.money(field.name)?),
            FieldType::Number => FieldValue::Number(f.number(field.name)?),
        };
        let blank = matches!(
            &value,
            FieldValue::Text(None) | FieldValue::Date(None) | FieldValue::Number(None)
        );
        if blank && field.required {
            return Err(RowProblem::at(field.name, "missing required value".into()));
        }
        values.push(value);
    }
    Ok(RegistryRecord {
        row: f.row.row,
        record_id: f
            .text(col::RECORD_ID)?
            .unwrap_or_else(|| format!("{}:{}", f.id_prefix, f.row.row)),
        person,
        details: RecordDetails::Local {
            values: values.into_boxed_slice(),
        },
    })
}
