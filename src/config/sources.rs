//! `[sources.X]`: where each source's file is and how its headers map, for the contract's
//! sources and for registries the pipeline declares (`local.rs`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::local::{self, LocalRegistry};
use crate::model::Source;

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    path: Option<PathBuf>,
    sheet: Option<String>,
    /// The data may lack this source: found by name and absent, it is read as empty.
    #[serde(default)]
    optional: bool,
    /// People this registry covers (namesake risk).
    pub(super) population: Option<f64>,
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

/// Where and how to read one source.
#[derive(Debug, Clone, Default)]
pub struct SourceSpec {
    /// As written in the pipeline; resolved against the data directory by `ingest`.
    pub path: Option<PathBuf>,
    /// XLSX sheet name; the first sheet when absent.
    pub sheet: Option<String>,
    /// A source found by name (no `path`) that the data may lack: absent, it has no rows.
    /// A nightly pipeline lists the registries an office may or may not receive this way.
    pub optional: bool,
    /// Contract column name → header in the file.
    pub columns: BTreeMap<String, String>,
    /// What a registry the pipeline declares holds; `None` for a built-in source.
    pub local: Option<LocalRegistry>,
}

pub(super) fn resolve_sources(
    raw: BTreeMap<String, RawSource>,
    problems: &mut Vec<String>,
) -> BTreeMap<Source, SourceSpec> {
    let mut sources = BTreeMap::new();
    for (name, raw_source) in raw {
        let (source, local) = if let Some(source) =
            Source::parse(&name).filter(|s| s.code() == name)
        {
            refuse_local_keys(&name, &raw_source, problems);
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
                optional: raw_source.optional,
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

/// A built-in source has the contract's columns, so the keys that declare a registry's own
/// columns are mistakes there.
fn refuse_local_keys(name: &str, raw_source: &RawSource, problems: &mut Vec<String>) {
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
}
