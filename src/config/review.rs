//! `[review]` and `[state]`: how findings come back from the visits, what goes out besides
//! flags, and where run history is kept.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::resolve_against;
use crate::model::Severity;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReview {
    /// A directory clerks drop filled workbooks into; each run imports what is new there.
    inbox: Option<PathBuf>,
    /// Days a flag may wait for its visit before it is overdue.
    due_days: Option<u32>,
    /// Unflagged households drawn per township for a spot check (抽查).
    audit_households_per_township: Option<u32>,
    /// The least severe reason a `possible` pair is listed for as a lead.
    lead_min_severity: Option<Severity>,
    /// Leads shown per township in its workbook; the rest are counted, not shown.
    max_leads_per_township: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawState {
    /// Where run history is kept; relative paths resolve against the pipeline file.
    pub(super) dir: Option<PathBuf>,
}

/// `[review]`: how findings come back and what goes out besides flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSpec {
    /// Where filled workbooks are dropped; a run imports each new one before it matches.
    pub inbox: Option<PathBuf>,
    /// A flag still waiting for its visit this many days after it was first raised is overdue.
    pub due_days: u32,
    pub audit_households_per_township: u32,
    /// A `possible` pair is a lead for every reason at least this severe it would raise
    /// (`low`: every reason, so that every doubt reaches a clerk).
    pub lead_min_severity: Severity,
    /// The leads a township's workbook shows, best first; those over the cap stay in
    /// leads.parquet (`shown` false) and are counted per township in the report.
    pub max_leads_per_township: u32,
}

impl Default for ReviewSpec {
    fn default() -> ReviewSpec {
        ReviewSpec {
            inbox: None,
            due_days: 30,
            audit_households_per_township: 0,
            lead_min_severity: Severity::Low,
            // About a day's visits for a township's staff beside its flags.
            max_leads_per_township: 50,
        }
    }
}

/// `[review]`, with `ReviewSpec::default`'s values where the pipeline says nothing.
pub(super) fn resolve_review(raw: RawReview, base: &Path) -> ReviewSpec {
    let defaults = ReviewSpec::default();
    ReviewSpec {
        inbox: raw.inbox.map(|dir| resolve_against(base, dir)),
        due_days: raw.due_days.unwrap_or(defaults.due_days),
        audit_households_per_township: raw
            .audit_households_per_township
            .unwrap_or(defaults.audit_households_per_township),
        lead_min_severity: raw.lead_min_severity.unwrap_or(defaults.lead_min_severity),
        max_leads_per_township: raw
            .max_leads_per_township
            .unwrap_or(defaults.max_leads_per_township),
    }
}
