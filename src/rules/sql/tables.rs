//! The tables a SQL rule sees (contract: "Local registries and rules as data"): `members`,
//! `households`, every source by its name with its typed columns, and `<source>_matches`.
//! Each is built from the run's rows, or empty with the same schema when a rule is checked
//! before any data is read.

use chrono::NaiveDate;
use polars::prelude::{Column, DataFrame, DataType, IntoColumn, StringChunkedBuilder};

use super::super::{Context, Households};
use super::beyond_tables::{supporter_matches_table, BEYOND_TABLES};
use crate::config::{LocalRegistry, Pipeline};
use crate::ingest::schema::{self, PersonColumns};
use crate::ingest::{FieldValue, RecordDetails, RegistryRecord, RollMember};
use crate::link::Decision;
use crate::model::Source;
use crate::normalize::Person;

/// Where tables come from: the run's data, or nothing (schemas only).
pub(in crate::rules) enum Data<'a> {
    Run(&'a Context<'a>),
    Empty(&'a Pipeline),
}

impl Data<'_> {
    fn pipeline(&self) -> &Pipeline {
        match self {
            Data::Run(context) => context.pipeline,
            Data::Empty(pipeline) => pipeline,
        }
    }

    /// The registries a rule can see, in the order ingest reads them.
    pub(super) fn registries(&self) -> Vec<Source> {
        crate::ingest::registry_sources(self.pipeline()).collect()
    }

    /// Every table name a rule may use.
    pub(super) fn table_names(&self) -> Vec<String> {
        let mut names = vec!["members".to_string(), "households".to_string()];
        names.extend(BEYOND_TABLES.iter().map(ToString::to_string));
        for source in self.registries() {
            names.push(source.code().to_string());
            names.push(matches_table(source));
            names.push(supporter_matches_table(source));
        }
        names
    }

    /// The table called `name`, or `None` when no such table exists.
    pub(super) fn table(&self, name: &str) -> Option<Result<DataFrame, String>> {
        if name == "members" {
            return Some(self.members());
        }
        if name == "households" {
            return Some(self.households());
        }
        if let Some(table) = self.beyond_table(name) {
            return Some(table);
        }
        let registries = self.registries();
        if let Some(source) = registries.iter().find(|s| s.code() == name) {
            return Some(self.registry(*source));
        }
        if let Some(source) = registries
            .iter()
            .find(|s| supporter_matches_table(**s) == name)
        {
            return Some(self.supporter_matches(*source));
        }
        let source = registries.iter().find(|s| matches_table(**s) == name)?;
        Some(self.matches(*source))
    }

    fn members(&self) -> Result<DataFrame, String> {
        let (roll, persons, as_of): (&[RollMember], &[Person], _) = match self {
            Data::Run(context) => (
                &context.ingested.roll,
                context.normalized.members(),
                Some(context.as_of),
            ),
            Data::Empty(_) => (&[], &[], None),
        };
        let valid = |i: usize| persons[i].valid_id();
        let rows = 0..roll.len();
        frame(vec![
            text(
                "household_id",
                rows.clone().map(|i| Some(&roll[i].household_id)),
            ),
            text("member_id", rows.clone().map(|i| Some(&roll[i].member_id))),
            text(
                "programme",
                rows.clone().map(|i| Some(roll[i].programme.code())),
            ),
            text(
                "region_code",
                rows.clone().map(|i| roll[i].region_code.as_ref()),
            ),
            text(
                "relation",
                rows.clone().map(|i| Some(roll[i].relation.code())),
            ),
            text("name", rows.clone().map(|i| Some(&roll[i].name))),
            text(
                "id_number",
                rows.clone()
                    .map(|i| valid(i).map(crate::normalize::ValidId::text)),
            ),
            date(
                "birth_date",
                rows.clone().map(|i| valid(i).map(|v| v.birth_date)),
            ),
            text(
                "sex",
                rows.clone()
                    .map(|i| valid(i).map(|v| if v.male { "male" } else { "female" })),
            ),
            integer(
                "age",
                rows.clone().map(|i| {
                    let birth = valid(i)?.birth_date;
                    as_of.map(|as_of| super::super::whole_years(birth, as_of))
                }),
            ),
            number(
                "monthly_benefit",
                rows.clone().map(|i| roll[i].monthly_benefit),
            ),
            date("enrolled_on", rows.map(|i| roll[i].enrolled_on)),
        ])
    }

    fn households(&self) -> Result<DataFrame, String> {
        let empty = Households::default();
        let (households, roll): (&Households, &[RollMember]) = match self {
            Data::Run(context) => (context.households, &context.ingested.roll),
            Data::Empty(_) => (&empty, &[]),
        };
        let all: Vec<_> = households.by_id.values().collect();
        // The household's benefit: the sum of its members' rows, as the review summary counts it.
        let benefit = |h: &crate::rules::Household| {
            let amounts: Vec<f64> = h
                .member_idxs
                .iter()
                .filter_map(|i| roll[*i].monthly_benefit)
                .collect();
            (!amounts.is_empty()).then(|| amounts.iter().sum())
        };
        frame(vec![
            text("household_id", all.iter().map(|h| Some(&h.household_id))),
            text("programme", all.iter().map(|h| Some(h.programme.code()))),
            text("region_code", all.iter().map(|h| h.region_code.as_ref())),
            integer(
                "n_members",
                all.iter().map(|h| i64::try_from(h.n_members).ok()),
            ),
            number("monthly_benefit", all.iter().map(|h| benefit(h))),
        ])
    }

    fn registry(&self, source: Source) -> Result<DataFrame, String> {
        let records: &[RegistryRecord] = match self {
            Data::Run(context) => context
                .ingested
                .registry(source)
                .map_or(&[], |r| r.records.as_slice()),
            Data::Empty(_) => &[],
        };
        let local = self
            .pipeline()
            .sources
            .get(&source)
            .and_then(|s| s.local.as_ref());
        let person = match local {
            Some(_) => schema::LOCAL_PERSON,
            None => schema::descriptor(source)
                .and_then(|d| d.person)
                .ok_or_else(|| format!("`{source}` has no person columns"))?,
        };
        let mut columns = vec![text(
            "record_id",
            records.iter().map(|r| Some(&r.record_id)),
        )];
        columns.extend(person_columns(person, records));
        columns.extend(match local {
            Some(registry) => local_columns(registry, records),
            None => builtin_columns(source, records),
        });
        frame(columns)
    }

    fn matches(&self, source: Source) -> Result<DataFrame, String> {
        let accepted: Vec<_> = match self {
            Data::Run(context) => context
                .links
                .matches
                .iter()
                .filter(|m| m.source == source && m.decision == Decision::Accepted)
                .map(|m| (context.member(m.member_idx), context.record(m), m))
                .collect(),
            Data::Empty(_) => Vec::new(),
        };
        frame(vec![
            text(
                "member_id",
                accepted
                    .iter()
                    .map(|(member, _, _)| Some(&member.member_id)),
            ),
            text(
                "record_id",
                accepted
                    .iter()
                    .map(|(_, record, _)| Some(&record.record_id)),
            ),
            text(
                "method",
                accepted.iter().map(|(_, _, m)| Some(m.method.code())),
            ),
            number(
                "probability",
                accepted.iter().map(|(_, _, m)| Some(m.score)),
            ),
        ])
    }
}

/// `<source>_matches`.
pub(super) fn matches_table(source: Source) -> String {
    format!("{}_matches", source.code())
}

pub(super) fn frame(columns: Vec<Column>) -> Result<DataFrame, String> {
    DataFrame::new_infer_height(columns).map_err(|e| e.to_string())
}

pub(super) fn text<S: AsRef<str>>(name: &str, values: impl Iterator<Item = Option<S>>) -> Column {
    // Straight into the column's buffers: no String per value on the way (a province's
    // members are millions of values per column).
    let mut column = StringChunkedBuilder::new(name.into(), values.size_hint().0);
    for value in values {
        column.append_option(value.as_ref().map(AsRef::as_ref));
    }
    column.finish().into_column()
}

pub(super) fn number(name: &str, values: impl Iterator<Item = Option<f64>>) -> Column {
    Column::new(name.into(), values.collect::<Vec<_>>())
}

pub(super) fn integer(name: &str, values: impl Iterator<Item = Option<i64>>) -> Column {
    Column::new(name.into(), values.collect::<Vec<_>>())
}

pub(super) fn date(name: &str, values: impl Iterator<Item = Option<NaiveDate>>) -> Column {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the Unix epoch is a date");
    let days: Vec<Option<i32>> = values
        .map(|d| d.and_then(|d| i32::try_from((d - epoch).num_days()).ok()))
        .collect();
    Column::new(name.into(), days)
        .cast(&DataType::Date)
        .expect("whole days since the epoch cast to dates")
}

fn person_columns(person: PersonColumns, records: &[RegistryRecord]) -> Vec<Column> {
    let mut columns = vec![
        text(person.name, records.iter().map(|r| Some(&r.person.name))),
        text(
            person.id_number,
            records.iter().map(|r| r.person.id_number.as_ref()),
        ),
    ];
    if let Some(birth) = person.birth_date {
        columns.push(date(birth, records.iter().map(|r| r.person.birth_date)));
    }
    columns
}

fn local_columns(registry: &LocalRegistry, records: &[RegistryRecord]) -> Vec<Column> {
    use crate::config::FieldType;
    registry
        .fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            fn value(r: &RegistryRecord, i: usize) -> Option<&FieldValue> {
                match &r.details {
                    RecordDetails::Local { values } => values.get(i),
                    _ => None,
                }
            }
            match field.kind {
                FieldType::Text => text(
                    field.name,
                    records.iter().map(|r| match value(r, i) {
                        Some(FieldValue::Text(text)) => text.as_deref(),
                        _ => None,
                    }),
                ),
                FieldType::Date => date(
                    field.name,
                    records.iter().map(|r| match value(r, i) {
                        Some(FieldValue::Date(date)) => *date,
                        _ => None,
                    }),
                ),
                FieldType::Money | FieldType::Number => number(
                    field.name,
                    records.iter().map(|r| match value(r, i) {
                        Some(FieldValue::Number(number)) => *number,
                        _ => None,
                    }),
                ),
            }
        })
        .collect()
}

/// A built-in registry's columns beyond its person, by their contract names.
fn builtin_columns(source: Source, records: &[RegistryRecord]) -> Vec<Column> {
    use schema::col;
    let details = || records.iter().map(|r| &r.details);
    macro_rules! pick {
        ($variant:ident, $field:ident) => {
            details().map(|d| match d {
                RecordDetails::$variant { $field, .. } => Some($field.clone()),
                _ => None,
            })
        };
    }
    // A field the record may leave blank.
    macro_rules! optional {
        ($variant:ident, $field:ident) => {
            details().map(|d| match d {
                RecordDetails::$variant { $field, .. } => $field.clone(),
                _ => None,
            })
        };
    }
    macro_rules! code {
        ($variant:ident, $field:ident) => {
            details().map(|d| match d {
                RecordDetails::$variant { $field, .. } => Some($field.code()),
                _ => None,
            })
        };
    }
    match source {
        Source::Death => vec![
            date(col::DEATH_DATE, pick!(Death, death_date)),
            text(
                col::SOURCE,
                details().map(|d| match d {
                    RecordDetails::Death { source, .. } => {
                        source.map(crate::model::DeathSource::code)
                    }
                    _ => None,
                }),
            ),
        ],
        Source::Pension => vec![
            text(col::PENSION_TYPE, code!(Pension, pension_type)),
            number(col::MONTHLY_AMOUNT, pick!(Pension, monthly_amount)),
            date(col::START_DATE, pick!(Pension, start_date)),
            date(col::END_DATE, optional!(Pension, end_date)),
        ],
        Source::Vehicle => vec![
            text(col::PLATE, optional!(Vehicle, plate)),
            text(col::VEHICLE_TYPE, code!(Vehicle, vehicle_type)),
            date(col::REGISTERED_ON, pick!(Vehicle, registered_on)),
            date(col::DEREGISTERED_ON, optional!(Vehicle, deregistered_on)),
        ],
        Source::Property => vec![
            text(col::PROPERTY_ID, pick!(Property, property_id)),
            text(col::USE, code!(Property, use_)),
            number(col::AREA_M2, optional!(Property, area_m2)),
            date(col::REGISTERED_ON, pick!(Property, registered_on)),
            date(col::DISPOSED_ON, optional!(Property, disposed_on)),
        ],
        Source::Business => vec![
            text(col::ROLE, code!(Business, role)),
            text(col::BUSINESS_NAME, optional!(Business, business_name)),
            text(col::USCC, optional!(Business, uscc)),
            number(
                col::REGISTERED_CAPITAL,
                optional!(Business, registered_capital),
            ),
            text(col::STATUS, code!(Business, status)),
            date(col::ESTABLISHED_ON, pick!(Business, established_on)),
            date(col::CLOSED_ON, optional!(Business, closed_on)),
        ],
        Source::CadreRelatives => vec![
            text(col::CADRE_NAME, optional!(CadreRelative, cadre_name)),
            text(col::CADRE_ID, optional!(CadreRelative, cadre_id)),
            text(col::CADRE_POST, optional!(CadreRelative, cadre_post)),
            text(col::RELATIONSHIP, optional!(CadreRelative, relationship)),
        ],
        Source::Relations => relation_columns(records),
        Source::Contributions => vec![
            number(
                col::CONTRIBUTION_BASE,
                pick!(Contribution, contribution_base),
            ),
            text(col::EMPLOYER, optional!(Contribution, employer)),
            date(col::START_DATE, pick!(Contribution, start_date)),
            date(col::END_DATE, optional!(Contribution, end_date)),
        ],
        // The early-warning registries are read for their signals, not held as tables.
        Source::Roll
        | Source::Disability
        | Source::Medical
        | Source::Unemployment
        | Source::Local(_) => Vec::new(),
    }
}

/// The relations registry's columns beyond its person: the relative and the relation.
fn relation_columns(records: &[RegistryRecord]) -> Vec<Column> {
    use schema::col;
    let details = || records.iter().map(|r| &r.details);
    let relative = |f: fn(&crate::ingest::PersonFields) -> Option<String>| {
        details().map(move |d| match d {
            RecordDetails::Relation { relative, .. } => f(relative),
            _ => None,
        })
    };
    vec![
        text(col::RELATIVE_NAME, relative(|p| Some(p.name.clone()))),
        text(col::RELATIVE_ID, relative(|p| p.id_number.clone())),
        date(
            col::RELATIVE_BIRTH_DATE,
            details().map(|d| match d {
                RecordDetails::Relation { relative, .. } => relative.birth_date,
                _ => None,
            }),
        ),
        text(
            col::RELATION,
            details().map(|d| match d {
                RecordDetails::Relation { kinship, .. } => Some(kinship.code()),
                _ => None,
            }),
        ),
        number(
            col::RELATIVE_HOUSEHOLD_SIZE,
            details().map(|d| match d {
                RecordDetails::Relation { household_size, .. } => household_size.map(f64::from),
                _ => None,
            }),
        ),
        text(
            col::RELATIVE_REGION_CODE,
            details().map(|d| match d {
                RecordDetails::Relation { region_code, .. } => region_code.clone(),
                _ => None,
            }),
        ),
    ]
}
