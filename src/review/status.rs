//! A flag's status: `new` or `persisting` against the previous run, or what its latest
//! finding says (the contract's review statuses). Decided here only: the run and `explain`
//! both call `review_status`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::findings::{Finding, Subject};
use crate::model::Verdict;
use crate::rules::Flag;
use crate::rundir::{FlagRow, FlagStatus, PreviousFlag, Verdicted};

impl From<&Finding> for Verdicted {
    fn from(finding: &Finding) -> Verdicted {
        Verdicted {
            verdict: finding.verdict,
            action: finding.action,
            reviewer: finding.reviewer.clone(),
            reviewed_on: finding.reviewed_on,
        }
    }
}

/// What supports a flag: its record ids, else (rules over the roll alone) its member ids.
pub fn support_of(flag: &Flag) -> Vec<String> {
    support(&flag.record_ids, &flag.member_ids)
}

/// `support_of` from the lists a flag's row holds (a run's flags.parquet, an import).
pub fn support(record_ids: &[String], member_ids: &[String]) -> Vec<String> {
    if record_ids.is_empty() {
        member_ids.to_vec()
    } else {
        record_ids.to_vec()
    }
}

/// The status of a flag raised now, given whether the previous run raised it, its latest
/// finding and what supports it now. Returns the status and, for `reopened`, what is new.
pub fn review_status(
    seen_before: bool,
    latest: Option<&Finding>,
    support_now: &[String],
) -> (FlagStatus, Vec<String>) {
    let Some(finding) = latest else {
        let status = if seen_before {
            FlagStatus::Persisting
        } else {
            FlagStatus::New
        };
        return (status, Vec::new());
    };
    match finding.verdict {
        Verdict::Confirmed => (FlagStatus::Confirmed, Vec::new()),
        Verdict::PartlyConfirmed => (FlagStatus::PartlyConfirmed, Vec::new()),
        Verdict::Unverifiable => (FlagStatus::Unverifiable, Vec::new()),
        Verdict::Dismissed => {
            let unseen: Vec<String> = support_now
                .iter()
                .filter(|s| !finding.support.contains(s))
                .cloned()
                .collect();
            if unseen.is_empty() {
                (FlagStatus::Dismissed, unseen)
            } else {
                (FlagStatus::Reopened, unseen)
            }
        }
    }
}

/// Gives each flag its status against the previous run's flags and the latest findings.
/// A reopened flag's evidence says which records are new since the visit.
pub fn with_history(
    flags: Vec<Flag>,
    previous: &[PreviousFlag],
    latest: &BTreeMap<(&str, &Subject), &Finding>,
    as_of: NaiveDate,
) -> Vec<FlagRow> {
    let first_seen: HashMap<(&str, &str), NaiveDate> = previous
        .iter()
        .map(|p| {
            (
                (p.household_id.as_str(), p.reason.as_str()),
                p.first_flagged_on,
            )
        })
        .collect();
    // A lead found 情况属实 raises its flag from then on, and the flag carries that finding.
    let upheld_leads: HashMap<(&str, &str), &Finding> = latest
        .iter()
        .filter_map(|((household, subject), finding)| match subject {
            Subject::Lead { record_id, .. } if finding.verdict.upholds() => {
                Some(((*household, record_id.as_str()), *finding))
            }
            _ => None,
        })
        .collect();
    flags
        .into_iter()
        .map(|mut flag| {
            let first = first_seen
                .get(&(flag.household_id.as_str(), flag.reason.code()))
                .copied();
            let subject = Subject::Flag {
                reason: flag.reason,
            };
            let finding = latest
                .get(&(flag.household_id.as_str(), &subject))
                .copied()
                .or_else(|| {
                    flag.record_ids.iter().find_map(|record| {
                        upheld_leads
                            .get(&(flag.household_id.as_str(), record.as_str()))
                            .copied()
                    })
                });
            let (status, unseen) = review_status(first.is_some(), finding, &support_of(&flag));
            if !unseen.is_empty() {
                flag.evidence = format!(
                    "{}（核查不属实后出现新记录：{}）",
                    flag.evidence,
                    unseen.join("、")
                );
            }
            FlagRow {
                first_flagged_on: first.map_or(as_of, |first| first.min(as_of)),
                status,
                finding: finding.map(Verdicted::from),
                flag,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Reason;

    fn dismissed(support: &[&str]) -> Finding {
        Finding {
            household_id: "H1".into(),
            subject: Subject::Flag {
                reason: Reason::VehicleOwned,
            },
            verdict: Verdict::Dismissed,
            action: None,
            reviewer: "李四".into(),
            reviewed_on: NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(),
            note: None,
            file: "f.csv".into(),
            sheet: None,
            row: 2,
            run_id: "r".into(),
            support: support.iter().map(ToString::to_string).collect(),
            region_code: None,
            score: 1.0,
            monthly_benefit: None,
            overpaid_yuan: None,
            probabilistic: true,
            by_registry: false,
        }
    }

    #[test]
    fn no_finding_is_new_or_persisting() {
        assert_eq!(review_status(false, None, &[]).0, FlagStatus::New);
        assert_eq!(review_status(true, None, &[]).0, FlagStatus::Persisting);
    }

    #[test]
    fn dismissed_stays_dismissed_until_a_record_unseen_at_review_supports_it() {
        let finding = dismissed(&["V1"]);
        let same = ["V1".to_string()];
        assert_eq!(
            review_status(true, Some(&finding), &same).0,
            FlagStatus::Dismissed
        );
        let more = ["V1".to_string(), "V9".to_string()];
        assert_eq!(
            review_status(true, Some(&finding), &more),
            (FlagStatus::Reopened, vec!["V9".to_string()])
        );
    }

    #[test]
    fn other_verdicts_give_their_status() {
        let mut finding = dismissed(&[]);
        for (verdict, status) in [
            (Verdict::Confirmed, FlagStatus::Confirmed),
            (Verdict::PartlyConfirmed, FlagStatus::PartlyConfirmed),
            (Verdict::Unverifiable, FlagStatus::Unverifiable),
        ] {
            finding.verdict = verdict;
            assert_eq!(review_status(true, Some(&finding), &[]).0, status);
        }
    }
}
