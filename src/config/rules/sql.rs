//! `[rules.X]` for a rule the pipeline declares in SQL (contract: "Local registries and rules
//! as data"): its Chinese label, severity and query. The query is checked against empty
//! tables by `rules::sql::check` before any data is read; here only its settings.

use serde::Deserialize;

use super::RuleSpec;
use crate::model::{is_local_name, Reason, Severity};

/// Rows a rule may return before it is taken for a join gone wrong, when the pipeline does
/// not say, per roll member (and never fewer than `MIN_MAX_ROWS`).
pub const MAX_ROWS_PER_MEMBER: usize = 2;
pub const MIN_MAX_ROWS: usize = 10_000;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    enabled: Option<bool>,
    severity: Option<Severity>,
    label: Option<String>,
    sql: Option<String>,
    /// The most rows the query may return (default: twice the roll's members).
    max_rows: Option<usize>,
}

/// A rule the pipeline declares.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlRule {
    /// `Reason::Local`, with the rule's label.
    pub reason: Reason,
    pub label: String,
    pub sql: String,
    pub max_rows: Option<usize>,
}

impl SqlRule {
    /// `rules.<name>`, as messages name the rule.
    pub fn key(&self) -> String {
        format!("rules.{}", self.reason.code())
    }
}

pub(super) fn resolve(
    name: &str,
    raw: Raw,
    problems: &mut Vec<String>,
) -> Option<(RuleSpec, SqlRule)> {
    let key = format!("rules.{name}");
    let before = problems.len();
    if !is_local_name(name) {
        problems.push(format!(
            "{key}: `{name}` cannot name a rule: use lower-case letters, digits and `_`, starting with a letter (it becomes the flag's reason code)"
        ));
    }
    let label = raw.label.map(|l| l.trim().to_string()).unwrap_or_default();
    if label.is_empty() {
        problems.push(format!(
            "{key}.label: a rule the pipeline declares needs its reason in Chinese, as workbooks and the report show it (e.g. label = \"在职参保缴费\"); built-in rules are {}",
            Reason::codes()
        ));
    }
    let sql = raw.sql.unwrap_or_default();
    if sql.trim().is_empty() {
        problems.push(format!(
            "{key}.sql: unknown rule; a rule the pipeline declares is a query (sql = \"SELECT household_id, member_id, evidence FROM ...\"); built-in rules are {}",
            Reason::codes()
        ));
    }
    if raw.max_rows == Some(0) {
        problems.push(format!("{key}.max_rows: must be at least 1"));
    }
    if problems.len() > before {
        return None;
    }
    let reason = Reason::local(name, Some(&label));
    Some((
        RuleSpec::of(reason, raw.enabled, raw.severity),
        SqlRule {
            reason,
            label,
            sql,
            max_rows: raw.max_rows,
        },
    ))
}
