//! Typed rows, as the rest of the pipeline sees them.

use chrono::NaiveDate;

use crate::model::{
    BusinessRole, BusinessStatus, DeathSource, Kinship, PensionType, Programme, PropertyUse,
    Relation, Role, Source, VehicleType,
};

/// One person on the roll (one row of `roll`).
#[derive(Debug, Clone, PartialEq)]
pub struct RollMember {
    pub row: usize,
    pub household_id: String,
    pub programme: Programme,
    pub member_id: String,
    pub name: String,
    pub id_number: Option<String>,
    pub relation: Relation,
    pub region_code: Option<String>,
    pub monthly_benefit: Option<f64>,
    pub enrolled_on: Option<NaiveDate>,
    pub address: Option<String>,
    /// The re-check class 分类 (A, B, C), when the roll gives one.
    pub category: Option<crate::config::Category>,
}

/// A person linked beyond the roll, by the same path as members: a relative the relations
/// registry names who is not a roll member (a supporter to be), or an early-warning
/// candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherPerson {
    pub role: Role,
    /// Stable within a run's inputs: `<role>:<record id of the first row naming them>`.
    pub key: String,
    pub person: PersonFields,
    /// Where the registry places them (`relative_region_code`), when it does.
    pub region_code: Option<String>,
}

/// The person a registry record is about.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFields {
    pub name: String,
    pub id_number: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Where the registry places the person (corroborates or contradicts a match).
    pub address: Option<Box<str>>,
}

/// One registry row.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryRecord {
    pub row: usize,
    pub record_id: String,
    pub person: PersonFields,
    pub details: RecordDetails,
}

/// What a registry row says beyond the person.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordDetails {
    Death {
        death_date: NaiveDate,
        source: Option<DeathSource>,
    },
    Pension {
        pension_type: PensionType,
        monthly_amount: f64,
        start_date: NaiveDate,
        end_date: Option<NaiveDate>,
    },
    Vehicle {
        plate: Option<String>,
        vehicle_type: VehicleType,
        registered_on: NaiveDate,
        deregistered_on: Option<NaiveDate>,
    },
    Property {
        property_id: String,
        use_: PropertyUse,
        area_m2: Option<f64>,
        registered_on: NaiveDate,
        disposed_on: Option<NaiveDate>,
    },
    Business {
        role: BusinessRole,
        business_name: Option<String>,
        uscc: Option<String>,
        registered_capital: Option<f64>,
        status: BusinessStatus,
        established_on: NaiveDate,
        closed_on: Option<NaiveDate>,
    },
    CadreRelative {
        cadre_name: Option<String>,
        cadre_id: Option<String>,
        cadre_post: Option<String>,
        relationship: Option<String>,
    },
    /// A relations (家庭关系) row: the record's person is the one it is about, `relative`
    /// their relative, who may owe them support. Boxed: few registries carry a second person.
    Relation {
        relative: Box<PersonFields>,
        kinship: Kinship,
        /// Persons in the relative's own household (`relative_household_size`), when given.
        household_size: Option<u32>,
        region_code: Option<String>,
    },
    /// A social-insurance contribution (社保缴费): a wage at least this base while active.
    Contribution {
        contribution_base: f64,
        employer: Option<String>,
        start_date: NaiveDate,
        end_date: Option<NaiveDate>,
    },
    /// A disability certificate (残疾人证).
    Disability {
        grade: u8,
        kind: Option<String>,
        certified_on: NaiveDate,
        revoked_on: Option<NaiveDate>,
        region_code: Option<String>,
    },
    /// One medical-insurance settlement (医保结算): what the person paid themselves.
    Medical {
        settled_on: NaiveDate,
        out_of_pocket: f64,
        region_code: Option<String>,
    },
    /// An unemployment registration (失业登记).
    Unemployment {
        registered_on: NaiveDate,
        ended_on: Option<NaiveDate>,
        region_code: Option<String>,
    },
    /// A local registry's typed fields, in the order the pipeline declares them
    /// (`SourceSpec::local`). Boxed slices and strings: a registry of millions of rows keeps
    /// no spare capacity.
    Local { values: Box<[FieldValue]> },
}

/// One typed value of a local registry's row; blank is `None`.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(Option<Box<str>>),
    Date(Option<NaiveDate>),
    /// Money and numbers.
    Number(Option<f64>),
}

/// A row that could not be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedRow {
    pub source: Source,
    pub file: String,
    pub row: usize,
    pub column: Option<String>,
    pub problem: String,
    /// The row's cells joined by commas, so nothing read is lost.
    pub raw: String,
}

/// Where a source came from and how its rows balanced (written as is into the manifest and
/// a roll index).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputInfo {
    pub source: Source,
    pub path: String,
    pub sha256: String,
    pub format: String,
    pub encoding: String,
    pub replacement_chars: usize,
    pub rows_read: usize,
    pub rows_used: usize,
    pub rows_quarantined: usize,
    /// Rows of pieces left to another shard: counted, not parsed (never in a manifest).
    #[serde(skip)]
    pub rows_skipped: usize,
}

/// Households that two roll files both hold: a data-quality finding, never a silent merge.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DuplicateHouseholds {
    pub first_file: String,
    pub second_file: String,
    pub households: usize,
}

/// A registry's usable records.
#[derive(Debug, Clone)]
pub struct Registry {
    pub source: Source,
    pub records: Vec<RegistryRecord>,
}

/// Everything `ingest` hands on.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub roll: Vec<RollMember>,
    /// The persons linked beside the roll's members (`Normalized::persons` after them).
    pub others: Vec<OtherPerson>,
    /// The registries the pipeline names, in `Source::REGISTRIES` order.
    pub registries: Vec<Registry>,
    pub quarantine: Vec<QuarantinedRow>,
    pub inputs: Vec<InputInfo>,
    /// Households found in two roll files (named in the manifest and the report).
    pub roll_duplicates: Vec<DuplicateHouseholds>,
    /// The programmes' dated regional standards.
    pub standards: crate::config::standards::Standards,
}

impl Ingested {
    pub fn registry(&self, source: Source) -> Option<&Registry> {
        self.registries.iter().find(|r| r.source == source)
    }
}
