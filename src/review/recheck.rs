//! The periodic re-check due list (定期复核): each household's class (the roll's `category`,
//! else `[recheck] default_category`), its last check (the latest `reviewed_on` among
//! findings on it — flags, leads, spot checks — else its earliest `enrolled_on`), and whether
//! last check + the class's interval falls on or before D + `[recheck] notice_days`.
//! Every recorded finding counts, as the contract says, even one dated after D (visits are
//! recorded after the run that sent them; the next run's D may be the day after). A household
//! with neither a finding nor an enrolment date has never been checked and is due at D.

use std::collections::BTreeMap;

use chrono::{Days, Months, NaiveDate};

use super::findings::Findings;
use crate::config::RecheckSpec;
use crate::rules::Households;
pub use crate::rundir::RecheckDue;

/// The latest `reviewed_on` among the findings on each household.
pub fn last_findings(findings: &Findings) -> BTreeMap<&str, NaiveDate> {
    let mut last: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    for (_, finding) in findings.all() {
        let day = last
            .entry(finding.household_id.as_str())
            .or_insert(finding.reviewed_on);
        *day = (*day).max(finding.reviewed_on);
    }
    last
}

/// The households due a re-check by D + notice, in household order.
pub fn due_list(
    households: &Households,
    last_findings: &BTreeMap<&str, NaiveDate>,
    flagged: impl Fn(&str) -> bool,
    spec: &RecheckSpec,
    as_of: NaiveDate,
) -> Vec<RecheckDue> {
    let horizon = as_of + Days::new(u64::from(spec.notice_days));
    households
        .by_id
        .values()
        .filter_map(|household| {
            let category = household.category.unwrap_or(spec.default_category);
            let last_checked = last_findings
                .get(household.household_id.as_str())
                .copied()
                .or(household.enrolled_on);
            let due_on = last_checked.map_or(as_of, |last| {
                last.checked_add_months(Months::new(spec.interval_months(category)))
                    .unwrap_or(NaiveDate::MAX)
            });
            (due_on <= horizon).then(|| RecheckDue {
                household_id: household.household_id.clone(),
                programme: household.programme,
                region_code: household.region_code.clone(),
                category,
                last_checked,
                due_on,
                overdue_days: u32::try_from((as_of - due_on).num_days().max(0)).unwrap_or(u32::MAX),
                flagged: flagged(&household.household_id),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Category;
    use crate::model::Programme;
    use crate::rules::Household;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn household(id: &str, category: Option<Category>, enrolled: Option<&str>) -> Household {
        Household {
            household_id: id.into(),
            programme: Programme::DibaoUrban,
            region_code: Some("411526101001".into()),
            member_idxs: Vec::new(),
            n_members: 1,
            monthly_benefit: Some(500.0),
            enrolled_on: enrolled.map(date),
            category,
        }
    }

    #[test]
    fn households_fall_due_by_class_interval_and_notice() {
        let d = date("2025-06-30");
        let spec = RecheckSpec::default();
        let households = Households {
            by_id: [
                // A: yearly; enrolled 2024-07-15 → due 2025-07-15, within 30 days' notice.
                household("H1", Some(Category::A), Some("2024-07-15")),
                // A: enrolled 2024-08-15 → due 2025-08-15, beyond notice.
                household("H2", Some(Category::A), Some("2024-08-15")),
                // Default B (6 months): enrolled 2024-11-30 → due 2025-05-30, 31 days overdue.
                household("H3", None, Some("2024-11-30")),
                // C (3 months), but checked last month: due 2025-08-20.
                household("H4", Some(Category::C), Some("2020-01-01")),
                // Never enrolled, never checked: due at D.
                household("H5", Some(Category::B), None),
            ]
            .into_iter()
            .map(|h| (h.household_id.clone(), h))
            .collect(),
        };
        let last: BTreeMap<&str, NaiveDate> = [("H4", date("2025-05-20"))].into_iter().collect();
        let due = due_list(&households, &last, |h| h == "H3", &spec, d);
        let summary: Vec<(&str, NaiveDate, u32, bool)> = due
            .iter()
            .map(|r| (r.household_id.as_str(), r.due_on, r.overdue_days, r.flagged))
            .collect();
        assert_eq!(
            summary,
            [
                ("H1", date("2025-07-15"), 0, false),
                ("H3", date("2025-05-30"), 31, true),
                ("H5", d, 0, false),
            ]
        );
    }
}
