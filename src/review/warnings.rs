//! Early warnings through the history: each warning's status against the run before
//! (`new`, `persisting`) or its latest finding from the sheet 预警线索 (情况属实: `enrolled`
//! for `should_cover`, `raised` for `should_raise`; 情况不属实 `dismissed`; 无法核实
//! `unverifiable`), its `first_warned_on`, and how many of the last run's are gone.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::findings::{Findings, Subject};
use super::history::History;
use crate::config::hex_sha256;
use crate::model::{Verdict, WarningKind};
use crate::rules::warnings::Warning;
use crate::rundir::{previous_warnings, state_salt, OutputError, WarningRow};

/// A run's warnings as the history sees them.
#[derive(Debug, Clone, Default)]
pub struct WarningChronicle {
    pub rows: Vec<WarningRow>,
    /// Warnings of the run before that this run no longer raises.
    pub resolved: usize,
}

/// Names a warning without the ID: a digest of the kind and person key, salted by the state
/// directory (`W` + 12 hex digits).
pub fn warning_id(salt: &str, kind: WarningKind, person_key: &str) -> String {
    let digest = hex_sha256(format!("{salt}|{}|{person_key}", kind.code()).as_bytes());
    format!("W{}", &digest[..12])
}

/// The status a finding gives a warning.
fn status_of(kind: WarningKind, verdict: Verdict) -> &'static str {
    match (verdict, kind) {
        (Verdict::Confirmed | Verdict::PartlyConfirmed, WarningKind::ShouldCover) => "enrolled",
        (Verdict::Confirmed | Verdict::PartlyConfirmed, WarningKind::ShouldRaise) => "raised",
        (Verdict::Dismissed, _) => "dismissed",
        (Verdict::Unverifiable, _) => "unverifiable",
    }
}

/// Gives `warnings` their ids, statuses and first dates against `history`.
pub fn follow_warnings(
    history: &History,
    warnings: Vec<Warning>,
    run_id: &str,
    as_of: NaiveDate,
) -> Result<WarningChronicle, OutputError> {
    let salt = state_salt(history.state())?;
    let previous = history
        .previous_dir(run_id)
        .map_or_else(Vec::new, |dir| previous_warnings(&dir));
    let before: HashMap<(&str, &str), Option<NaiveDate>> = previous
        .iter()
        .map(|p| {
            (
                (p.warning.as_str(), p.warning_id.as_str()),
                p.first_warned_on,
            )
        })
        .collect();
    Ok(follow(history.findings(), warnings, &before, &salt, as_of))
}

fn follow(
    findings: &Findings,
    warnings: Vec<Warning>,
    before: &HashMap<(&str, &str), Option<NaiveDate>>,
    salt: &str,
    as_of: NaiveDate,
) -> WarningChronicle {
    let latest = findings.latest();
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<WarningRow> = warnings
        .into_iter()
        .map(|warning| {
            let id = warning_id(salt, warning.kind, &warning.person_key);
            let earlier = before.get(&(warning.kind.code(), id.as_str()));
            seen.insert((warning.kind.code(), id.clone()));
            let subject = Subject::Warning {
                warning: warning.kind,
            };
            let status = match latest.get(&(id.as_str(), &subject)) {
                Some(finding) => status_of(warning.kind, finding.verdict).to_string(),
                None if earlier.is_some() => "persisting".to_string(),
                None => "new".to_string(),
            };
            WarningRow {
                first_warned_on: earlier.copied().flatten().unwrap_or(as_of),
                warning,
                warning_id: id,
                status,
            }
        })
        .collect();
    let resolved = before
        .keys()
        .filter(|(kind, id)| !seen.contains(&(*kind, (*id).to_string())))
        .count();
    WarningChronicle { rows, resolved }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Signal;

    fn warning(kind: WarningKind, key: &str) -> Warning {
        Warning {
            kind,
            person_key: key.into(),
            name: "赵一".into(),
            region_code: None,
            household_id: None,
            signals: vec![Signal::SevereDisability],
            evidence: String::new(),
            record_ids: Vec::new(),
        }
    }

    #[test]
    fn warnings_are_new_then_persisting_and_the_gone_are_counted() {
        let d = |t: &str| crate::model::parse_date(t).unwrap();
        let salt = "s";
        let kept = warning(WarningKind::ShouldCover, "411526195102111029");
        let kept_id = warning_id(salt, kept.kind, &kept.person_key);
        let gone_id = warning_id(salt, WarningKind::ShouldCover, "411526195405141081");
        let before: HashMap<(&str, &str), Option<NaiveDate>> = [
            (("should_cover", kept_id.as_str()), Some(d("2025-05-31"))),
            (("should_cover", gone_id.as_str()), Some(d("2025-05-31"))),
        ]
        .into_iter()
        .collect();
        let fresh = warning(WarningKind::ShouldRaise, "411526196103111228");
        let chronicle = follow(
            &Findings::default(),
            vec![kept, fresh],
            &before,
            salt,
            d("2025-06-30"),
        );
        let statuses: Vec<(&str, NaiveDate)> = chronicle
            .rows
            .iter()
            .map(|r| (r.status.as_str(), r.first_warned_on))
            .collect();
        assert_eq!(
            statuses,
            [("persisting", d("2025-05-31")), ("new", d("2025-06-30"))]
        );
        assert_eq!(chronicle.resolved, 1);
        // The id names the warning without the ID, and the salt changes it.
        assert!(!kept_id.contains("411526"));
        assert_ne!(
            kept_id,
            warning_id("t", WarningKind::ShouldCover, "411526195102111029")
        );
    }
}
