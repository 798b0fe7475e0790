//! The rows of a run directory's tables as the program holds them: a flag with its status
//! and latest finding, a member↔record pair, a lead, a spot-checked household. Every stage
//! after the rules hands these on; `tables` writes them and reads them back.

use chrono::NaiveDate;
use serde::Serialize;

use crate::link::corroborate::RegionFrom;
use crate::link::Match;
use crate::model::{Action, Reason, Role, Verdict};
use crate::rules::Flag;

/// Where a flag stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagStatus {
    /// Not raised by the previous run.
    New,
    /// Raised before, no finding yet.
    Persisting,
    Confirmed,
    PartlyConfirmed,
    Unverifiable,
    /// Found 情况不属实, and nothing supports it now that did not when it was reviewed.
    Dismissed,
    /// Dismissed, but a record not seen at review now supports it.
    Reopened,
}

impl FlagStatus {
    pub const ALL: [FlagStatus; 7] = [
        FlagStatus::New,
        FlagStatus::Persisting,
        FlagStatus::Confirmed,
        FlagStatus::PartlyConfirmed,
        FlagStatus::Unverifiable,
        FlagStatus::Dismissed,
        FlagStatus::Reopened,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FlagStatus::New => "new",
            FlagStatus::Persisting => "persisting",
            FlagStatus::Confirmed => "confirmed",
            FlagStatus::PartlyConfirmed => "partly_confirmed",
            FlagStatus::Unverifiable => "unverifiable",
            FlagStatus::Dismissed => "dismissed",
            FlagStatus::Reopened => "reopened",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            FlagStatus::New => "新增",
            FlagStatus::Persisting => "持续",
            FlagStatus::Confirmed => "情况属实",
            FlagStatus::PartlyConfirmed => "部分属实",
            FlagStatus::Unverifiable => "无法核实",
            FlagStatus::Dismissed => "情况不属实",
            FlagStatus::Reopened => "有新证据，重新核查",
        }
    }

    /// Whether the flag goes (again) to the visiting staff's list 核查清单.
    pub fn to_visit(self) -> bool {
        matches!(
            self,
            FlagStatus::New
                | FlagStatus::Persisting
                | FlagStatus::Unverifiable
                | FlagStatus::Reopened
        )
    }

    /// Whether a visit upheld it, so it waits for action on the sheet 待处理.
    pub fn awaits_action(self) -> bool {
        matches!(self, FlagStatus::Confirmed | FlagStatus::PartlyConfirmed)
    }
}

/// The latest finding on a flag, as `flags.*` carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdicted {
    pub verdict: Verdict,
    pub action: Option<Action>,
    pub reviewer: String,
    pub reviewed_on: NaiveDate,
}

/// A flag as written: the rule's flag plus its history and latest finding.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagRow {
    pub flag: Flag,
    pub status: FlagStatus,
    pub first_flagged_on: NaiveDate,
    pub finding: Option<Verdicted>,
}

/// A `possible` match that would raise a reason (at least `[review] lead_min_severity`) if
/// accepted: a lead for review.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadRow {
    pub household_id: String,
    pub member_id: String,
    pub reason: crate::model::Reason,
    /// The severity the pipeline gives the reason: leads rank by it, then by probability.
    pub severity: crate::model::Severity,
    pub source: String,
    pub source_label: String,
    pub record_id: String,
    pub probability: f64,
    /// The comparison levels in words.
    pub comparison: String,
    pub region_code: Option<String>,
    /// For a pair without a usable ID: how many others in the registry's population are
    /// expected to share the name and birth date (contract, matching item 7).
    pub expected_namesakes: Option<f64>,
    /// Whether the township's workbook shows it (`[review] max_leads_per_township`); the
    /// others are counted in the report.
    pub shown: bool,
    /// What an assistance request (协查) asks the registry about the record, when the record
    /// has no valid ID for the pair to be settled by.
    pub question: Option<RecordQuestion>,
    /// The member's valid ID as a digest (`review::assist::id_digest`), so that the
    /// registry's answer can be compared with it without the ID in leads.parquet.
    pub member_id_digest: Option<String>,
}

/// A registry record as an assistance request (协查) shows it to the registry's office: what
/// finds it in their files. The roll member is not named.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordQuestion {
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    /// The registry's own key beside the record id (header, value): a plate, a property unit
    /// number, a USCC, a death date.
    pub key: Option<(&'static str, String)>,
}

/// An unflagged household drawn at random for a spot check (抽查).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpotCheckRow {
    pub household_id: String,
    pub programme: crate::model::Programme,
    pub region_code: Option<String>,
}

/// A member↔record pair as written to matches.parquet.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRow {
    pub household_id: String,
    pub member_id: String,
    pub source: &'static str,
    pub record_id: String,
    pub method: &'static str,
    pub score: f64,
    pub id_level: &'static str,
    pub name_level: &'static str,
    pub birth_date_level: &'static str,
    pub region_level: &'static str,
    pub gender_level: &'static str,
    /// log2 Bayes factor per field, in `link::FIELDS` order, then prior and total.
    pub field_weights: Vec<f64>,
    pub prior_weight: f64,
    pub match_weight: f64,
    pub decision: &'static str,
    pub note: Option<&'static str>,
    /// Others expected to share the name and birth date (records without a usable ID).
    pub expected_namesakes: Option<f64>,
    /// For a pair decided without an ID: the share of the registry's population with its
    /// name, and with its birth date, as its weights used them.
    pub name_share: Option<f64>,
    pub birth_date_share: Option<f64>,
    /// How many times more often this registry's namesakes show up than its people's own
    /// records, when more (`link::namesake_rate`; leads only); already in `prior_weight`.
    pub namesake_rate: Option<f64>,
    /// The record field its side of the region comparison was read from (`id`,
    /// `property_unit`, `uscc`, `plate`), when regions were compared.
    pub region_from: Option<&'static str>,
    /// Whose pair it is: a member's, or a supporter's (then `member_id` is the supporter's
    /// id and `household_id` the household they support).
    pub role: Role,
}

impl MatchRow {
    pub fn new(
        m: &Match,
        household_id: &str,
        member_id: &str,
        record_id: &str,
        region_from: Option<RegionFrom>,
    ) -> MatchRow {
        MatchRow {
            household_id: household_id.to_string(),
            member_id: member_id.to_string(),
            source: m.source.code(),
            record_id: record_id.to_string(),
            method: m.method.code(),
            score: m.score,
            id_level: m.levels.id.code(),
            name_level: m.levels.name.code(),
            birth_date_level: m.levels.birth_date.code(),
            region_level: m.levels.region.code(),
            gender_level: m.levels.gender.code(),
            field_weights: m.weights.fields.clone(),
            prior_weight: m.weights.prior,
            match_weight: m.weights.total,
            decision: m.decision.code(),
            note: m.note,
            expected_namesakes: m.expected_namesakes,
            name_share: m.term_shares.name,
            birth_date_share: m.term_shares.birth_date,
            namesake_rate: m.namesake_rate,
            region_from: region_from.map(super::super::link::corroborate::RegionFrom::code),
            role: Role::Member,
        }
    }
}

/// A finding drawn for a second reviewer.
pub struct RecheckItem<'a> {
    pub household_id: &'a str,
    pub region_code: Option<&'a str>,
    pub reason: Reason,
    pub evidence: &'a str,
    pub first: &'a Verdicted,
}

/// One household due its periodic re-check, as `recheck_due.parquet` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecheckDue {
    pub household_id: String,
    pub programme: crate::model::Programme,
    pub region_code: Option<String>,
    pub category: crate::config::Category,
    /// `None` when the household has neither a finding nor an enrolment date.
    pub last_checked: Option<NaiveDate>,
    pub due_on: NaiveDate,
    /// Days past `due_on` at D (0 when not yet due or due today).
    pub overdue_days: u32,
    /// Whether this run flags the household too.
    pub flagged: bool,
}

impl RecheckDue {
    pub fn is_overdue(&self) -> bool {
        self.overdue_days > 0
    }
}
