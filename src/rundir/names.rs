//! The names of what a run directory holds, spelled once: its files, the sheets findings come
//! back from, and the columns other modules name.

/// flags.parquet and flags.csv: one row per (household, reason).
pub const FLAGS_PARQUET: &str = "flags.parquet";
pub const FLAGS_CSV: &str = "flags.csv";
pub const HOUSEHOLDS: &str = "households.parquet";
pub const MATCHES: &str = "matches.parquet";
pub const QUARANTINE: &str = "quarantine.parquet";
/// Flags of the previous run that this one no longer raises.
pub const RESOLVED: &str = "resolved.parquet";
pub const LEADS: &str = "leads.parquet";
pub const SPOT_CHECKS: &str = "spot_checks.parquet";
/// Households' income and proposed entitlement (contract v3, "Supporters").
pub const INCOME: &str = "income.parquet";
/// Each (household, member, supporter): what the supporter earns and owes.
pub const SUPPORTERS: &str = "supporters.parquet";
/// v3: early warnings, one row per (person, warning); the person key unmasked (office only).
pub const WARNINGS_PARQUET: &str = "warnings.parquet";
pub const WARNINGS_CSV: &str = "warnings.csv";
/// The township workbook's sheet of early warnings.
pub const WARNINGS_SHEET: &str = "预警线索";
/// v3: households due their periodic re-check (定期复核).
pub const RECHECK_DUE: &str = "recheck_due.parquet";
/// The township workbook's sheet of households due their periodic re-check.
pub const RECHECK_DUE_SHEET: &str = "到期复核";
/// The township workbooks' directory.
pub const REVIEW_DIR: &str = "review";
/// Assistance requests (协查) to the registries' offices, one workbook per registry.
pub const ASSIST_DIR: &str = "assist";
pub const REVIEW_SUMMARY: &str = "review_summary.csv";
pub const SUMMARY_WORKBOOK: &str = "summary.xlsx";
pub const REPORT: &str = "report.html";
pub const EXPLORER: &str = "explorer.html";
pub const MODEL: &str = "model.json";
/// Written last: a run directory with a manifest is complete.
pub const MANIFEST: &str = "manifest.json";
/// `rollcheck link`'s pairs, and a shard's.
pub const PAIRS: &str = "pairs.parquet";
/// A shard's name and birth-year counts of its pieces (`rollcheck merge` adds them up).
pub const SHARD_CENSUS: &str = "census.parquet";
/// The records a shard's pieces link to a member, by registry and number.
pub const SHARD_KEPT: &str = "kept.parquet";

/// The reason code under which spot checks' findings are kept and counted.
pub const SPOT_CHECK: &str = "spot_check";
/// The sheet of a second reviewer's re-check workbook.
pub const RECHECK_SHEET: &str = "复核抽查";

/// Columns of the run's tables that other modules name: the ids an export pseudonymises, and
/// what `query` and `explain` read back. The tables' writers use them too.
pub mod col {
    pub const HOUSEHOLD_ID: &str = "household_id";
    pub const MEMBER_ID: &str = "member_id";
    pub const MEMBER_IDS: &str = "member_ids";
    pub const RECORD_ID: &str = "record_id";
    pub const RECORD_IDS: &str = "record_ids";
    pub const REASON: &str = "reason";
    pub const SEVERITY: &str = "severity";
    pub const EVIDENCE: &str = "evidence";
    pub const REVIEWER: &str = "reviewer";
    /// v3: when the fact behind a flag began, and what it has cost since (`rules::overpayment`).
    pub const SINCE: &str = "since";
    pub const OVERPAID_YUAN: &str = "overpaid_yuan";
}
