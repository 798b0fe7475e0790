//! `[review]` and `[state]`: how findings come back from the visits, what goes out besides
//! flags, and where run history is kept.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::resolve_against;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReview {
    /// A directory clerks drop filled workbooks into; each run imports what is new there.
    inbox: Option<PathBuf>,
    /// Days a flag may wait for its visit before it is overdue.
    due_days: Option<u32>,
    /// Unflagged households drawn per township for a spot check (抽查).
    audit_households_per_township: Option<u32>,
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
}

impl Default for ReviewSpec {
    fn default() -> ReviewSpec {
        ReviewSpec {
            inbox: None,
            due_days: 30,
            audit_households_per_township: 0,
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
    }
}
