//! Which cell of a source file's rows holds each of the source's columns: its headers
//! matched against the descriptor's names and aliases, or the headers the pipeline maps.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::schema::{self, col};
use super::table::RawTable;
use super::IngestError;
use crate::config::SourceSpec;
use crate::model::Source;

/// The columns a source's rows are read from, and the headers the pipeline names for them:
/// a built-in source's from its descriptor and `columns`, a local registry's from its
/// `person` and `fields`.
fn source_columns(
    source: Source,
    spec: &SourceSpec,
) -> (Cow<'static, [schema::ColumnSpec]>, BTreeMap<String, String>) {
    let Some(registry) = &spec.local else {
        return (schema::columns(source).into(), spec.columns.clone());
    };
    let mut mapped = spec.columns.clone();
    let person = schema::LOCAL_PERSON;
    let mut columns = vec![schema::LOCAL_RECORD_ID];
    let declared = [
        (person.name, Some(&registry.name_column)),
        (person.id_number, registry.id_column.as_ref()),
        (col::BIRTH_DATE, registry.birth_column.as_ref()),
        (col::ADDRESS, registry.address_column.as_ref()),
    ];
    for (name, header) in declared {
        if let Some(header) = header {
            // The person's columns must be in every file; their cells may be blank.
            columns.push(schema::ColumnSpec {
                name,
                required: true,
                aliases: &[],
                first_of_several: false,
            });
            mapped.insert(name.to_string(), header.clone());
        }
    }
    for field in &registry.fields {
        columns.push(schema::ColumnSpec {
            name: field.name,
            required: field.required,
            aliases: &[],
            first_of_several: false,
        });
        mapped.insert(field.name.to_string(), field.column.clone());
    }
    (columns.into(), mapped)
}

/// Maps each of the source's columns to its position in the file's header.
pub(super) fn column_index(
    source: Source,
    table: &RawTable,
    spec: &SourceSpec,
    path: &str,
) -> Result<Vec<(&'static str, usize)>, IngestError> {
    let path_buf = PathBuf::from(path);
    let folded: Vec<String> = table
        .headers
        .iter()
        .map(|h| schema::fold_header(h))
        .collect();
    let (columns, mapped_headers) = source_columns(source, spec);
    for mapped in mapped_headers.keys() {
        if !columns.iter().any(|c| c.name == mapped) {
            return Err(IngestError::UnknownMappedColumn {
                path: path_buf,
                source_name: source.code(),
                column: mapped.clone(),
            });
        }
    }
    let mut index = Vec::new();
    for column in columns.iter() {
        let candidates: Vec<String> = match mapped_headers.get(column.name) {
            Some(header) => vec![schema::fold_header(header)],
            None => std::iter::once(column.name)
                .chain(column.aliases.iter().copied())
                .map(schema::fold_header)
                .collect(),
        };
        let found: Vec<usize> = (0..folded.len())
            .filter(|i| candidates.contains(&folded[*i]))
            .collect();
        match (found.as_slice(), mapped_headers.get(column.name)) {
            // A local registry's optional field may be missing from a file: all blank there.
            ([], Some(_)) if spec.local.is_some() && !column.required => {}
            ([], Some(header)) => {
                return Err(IngestError::MappedColumnMissing {
                    path: path_buf,
                    source_name: source.code(),
                    column: column.name.into(),
                    header: header.clone(),
                    found: table.headers.join(", "),
                })
            }
            ([], None) if column.required => {
                return Err(IngestError::MissingColumn {
                    path: path_buf,
                    source_name: source.code(),
                    column: column.name,
                    found: table.headers.join(", "),
                })
            }
            ([], None) => {}
            ([single], _) => index.push((column.name, *single)),
            ([_, _, ..], _) if column.first_of_several => {
                let rank = |i: &usize| candidates.iter().position(|c| *c == folded[*i]);
                let first = found
                    .iter()
                    .min_by_key(|i| rank(i))
                    .expect("two or more found");
                index.push((column.name, *first));
            }
            ([first, second, ..], _) => {
                return Err(IngestError::DuplicateColumn {
                    path: path_buf,
                    column: column.name,
                    first: table.headers[*first].clone(),
                    second: table.headers[*second].clone(),
                })
            }
        }
    }
    Ok(index)
}
