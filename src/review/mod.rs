//! The review loop: what visits found comes back and steers the next run. Run history
//! (`history`), the findings store (`findings`), a flag's status (`status`), the leads, spot
//! checks and pair labels a run sends out and takes back (`outcomes`), what the findings add
//! up to (`summary`), and `rollcheck review import` / `review sample` (`import`), which also
//! reads registries' answers to assistance requests (`assist`).

pub mod assist;
pub mod campaign;
pub mod findings;
pub mod history;
pub mod import;
pub mod outcomes;
pub mod recheck;
pub mod status;
pub mod summary;
pub mod warnings;

pub use import::{describe_problem, import, import_inbox, sample, ImportOutcome};
pub use status::{review_status, support, support_of, with_history};
pub use summary::SummaryRow;

/// What the findings so far add up to, for `review_summary.csv`, the report and the workbook.
#[derive(Debug, Clone, Default)]
pub struct ReviewOutcomes {
    pub summary: Vec<SummaryRow>,
    pub outcome: summary::Outcome,
    /// (band's lower edge, upheld, dismissed) for probabilistic matches.
    pub score_bands: Vec<(f64, usize, usize)>,
    /// Days a flag may wait for its visit.
    pub due_days: u32,
    /// Findings recorded so far.
    pub findings: usize,
    /// Unflagged households on the roll, for the spot checks' estimate of what the checks miss.
    pub unflagged_households: usize,
    /// Second reviewers' re-checks per township, and where they disagree.
    pub rechecks: Vec<summary::RecheckRow>,
    /// Households, flagged households and flags per reason, per county.
    pub counties: Vec<summary::CountyRow>,
    /// The campaign's figures per county and township (`campaign`).
    pub campaign: Vec<campaign::CampaignRow>,
    /// Households due their periodic re-check (定期复核) by D + notice.
    pub recheck_due: Vec<recheck::RecheckDue>,
}
