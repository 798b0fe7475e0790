//! `[sources.X]` for a registry the pipeline declares: who a row is about (`person`) and the
//! further columns it keeps, typed (`fields`). The contract's "Local registries and rules as
//! data". `ingest` reads such a source through `LocalRegistry`, as it reads a built-in one
//! through its descriptor.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{is_local_name, Source};

/// `person = { name = "姓名", id_number = "身份证号", birth_date = "出生日期", address = "住址" }`:
/// headers.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerson {
    name: String,
    id_number: Option<String>,
    birth_date: Option<String>,
    address: Option<String>,
}

/// `employer = { column = "单位名称", type = "text", required = false }`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    column: String,
    #[serde(rename = "type")]
    kind: String,
    required: Option<bool>,
}

/// What a typed field holds; money accepts `1,200.50`, `¥1200`, `1200元`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Date,
    Money,
    Number,
}

impl FieldType {
    pub const NAMES: &'static str = "text, date, money, number";

    fn parse(text: &str) -> Option<FieldType> {
        match text.trim().to_ascii_lowercase().as_str() {
            "text" => Some(FieldType::Text),
            "date" => Some(FieldType::Date),
            "money" => Some(FieldType::Money),
            "number" => Some(FieldType::Number),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Date => "date",
            FieldType::Money => "money",
            FieldType::Number => "number",
        }
    }
}

/// One typed column a local registry keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalField {
    /// The name rules use (`r.contribution_base`), interned so rows can be read by it.
    pub name: &'static str,
    /// The header in the file.
    pub column: String,
    pub kind: FieldType,
    /// A required field's column must be in every file and its value in every row (else
    /// the row is quarantined); an optional one may be absent or blank.
    pub required: bool,
}

/// A registry the pipeline declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRegistry {
    /// The headers holding the person's name, ID, birth date and address (all but the name
    /// optional).
    pub name_column: String,
    pub id_column: Option<String>,
    pub birth_column: Option<String>,
    pub address_column: Option<String>,
    pub fields: Vec<LocalField>,
}

/// Names a rule sees as columns of every source table, which a field may not take.
const RESERVED_COLUMNS: [&str; 4] = ["record_id", "name", "id_number", "birth_date"];

/// Resolves one local source: the source (with its label declared) and its registry, or the
/// problems (each naming its key).
pub(super) fn resolve(
    name: &str,
    label: Option<&str>,
    person: Option<RawPerson>,
    fields: BTreeMap<String, RawField>,
    problems: &mut Vec<String>,
) -> Option<(Source, LocalRegistry)> {
    let key = format!("sources.{name}");
    let before = problems.len();
    if !is_local_name(name)
        || name.ends_with("_matches")
        || ["members", "households"].contains(&name)
    {
        problems.push(format!(
            "{key}: `{name}` cannot name a registry: use lower-case letters, digits and `_`, starting with a letter, not `members`, `households` or a name ending in `_matches` (rules see these as tables); built-in sources are {}",
            Source::codes()
        ));
    }
    let Some(person) = person else {
        problems.push(format!(
            "{key}: unknown source; a local registry names the columns of its person: `person = {{ name = \"姓名\", id_number = \"身份证号\", birth_date = \"出生日期\" }}` (built-in sources are {})",
            Source::codes()
        ));
        return None;
    };
    let mut resolved = Vec::new();
    for (field, raw) in fields {
        let field_key = format!("{key}.fields.{field}");
        if !is_local_name(&field) || RESERVED_COLUMNS.contains(&field.as_str()) {
            problems.push(format!(
                "{field_key}: `{field}` cannot name a field: use lower-case letters, digits and `_`, starting with a letter, and none of {}",
                RESERVED_COLUMNS.join(", ")
            ));
            continue;
        }
        if field == "address" && person.address.is_some() {
            problems.push(format!(
                "{field_key}: `address` is the person's address (`{key}.person.address`); name this field otherwise"
            ));
            continue;
        }
        let Some(kind) = FieldType::parse(&raw.kind) else {
            problems.push(format!(
                "{field_key}.type: unknown field type `{}` (expected one of {})",
                raw.kind,
                FieldType::NAMES
            ));
            continue;
        };
        if raw.column.trim().is_empty() {
            problems.push(format!("{field_key}.column: the header is blank"));
            continue;
        }
        resolved.push(LocalField {
            name: crate::model::intern(&field),
            column: raw.column,
            kind,
            required: raw.required.unwrap_or(true),
        });
    }
    if problems.len() > before {
        return None;
    }
    Some((
        Source::local(name, label),
        LocalRegistry {
            name_column: person.name,
            id_column: person.id_number,
            birth_column: person.birth_date,
            address_column: person.address,
            fields: resolved,
        },
    ))
}
