//! A campaign's figures per county and township, as the report and `summary.xlsx` show them:
//! flags, the share reviewed, the confirmed share with its interval, households cancelled or
//! adjusted, the monthly benefit no longer paid, and the estimated overpayment since the
//! events (every flag, and confirmed ones only). These are the figures campaign summaries
//! publish (confirmed share, money stopped, follow-up completion); each household counts
//! once, by its strongest action and at its largest estimate.

use std::collections::BTreeMap;

use super::summary::{outcome, Outcome, ReviewedItem, SummaryRow, ALL};
use crate::model::RegionCode;
use crate::rundir::names::SPOT_CHECK;

/// One county or township (or the whole run: county and township `all`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CampaignRow {
    pub county: String,
    pub township: String,
    /// The `all`-reasons row of `review_summary` for the place: flags, reviewed, precision,
    /// overpayment sums.
    pub summary: SummaryRow,
    /// Households by strongest action, and the benefit of the cancelled ones.
    pub outcome: Outcome,
}

/// Rows for the whole run, each county and each township, in `summary`'s order.
pub fn campaign(items: &[ReviewedItem], summary: &[SummaryRow]) -> Vec<CampaignRow> {
    let mut places: BTreeMap<(String, String), Vec<ReviewedItem>> = BTreeMap::new();
    for item in items.iter().filter(|i| i.reason != SPOT_CHECK) {
        let county = RegionCode::county_key(item.region_code);
        let township = RegionCode::township_key(item.region_code);
        for key in [
            (county.clone(), township),
            (county, ALL.to_string()),
            (ALL.to_string(), ALL.to_string()),
        ] {
            places.entry(key).or_default().push(item.clone());
        }
    }
    summary
        .iter()
        .filter(|row| row.reason == ALL)
        .map(|row| {
            let key = (row.county.clone(), row.township.clone());
            CampaignRow {
                county: row.county.clone(),
                township: row.township.clone(),
                summary: row.clone(),
                outcome: places.get(&key).map(|i| outcome(i)).unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Verdict};
    use crate::review::summary::summarize;

    fn item<'a>(
        household_id: &'a str,
        region: &'a str,
        reason: &'a str,
        verdict: Option<Verdict>,
        action: Option<Action>,
        overpaid: f64,
    ) -> ReviewedItem<'a> {
        ReviewedItem {
            household_id,
            region_code: Some(region),
            reason,
            verdict,
            action,
            monthly_benefit: Some(500.0),
            overpaid_yuan: Some(overpaid),
        }
    }

    #[test]
    fn a_household_with_two_reasons_counts_once_at_its_largest_estimate() {
        let confirmed = Some(Verdict::Confirmed);
        let items = [
            // H1: two reasons, both confirmed and cancelled once.
            item(
                "H1",
                "411526101001",
                "vehicle_owned",
                confirmed,
                Some(Action::Cancelled),
                18_000.0,
            ),
            item(
                "H1",
                "411526101001",
                "business_active",
                confirmed,
                Some(Action::Cancelled),
                9_000.0,
            ),
            item("H2", "411526101002", "deceased_member", None, None, 1_500.0),
            item(
                "H3",
                "411526102001",
                "vehicle_owned",
                Some(Verdict::Dismissed),
                Some(Action::Kept),
                700.0,
            ),
        ];
        let summary = summarize(&items);
        let rows = campaign(&items, &summary);
        let row = |county: &str, township: &str| {
            rows.iter()
                .find(|r| r.county == county && r.township == township)
                .unwrap()
        };
        let run = row(ALL, ALL);
        assert_eq!(run.summary.flags, 4);
        assert!((run.summary.overpaid_yuan - 20_200.0).abs() < 1e-9);
        assert!((run.summary.confirmed_overpaid_yuan - 18_000.0).abs() < 1e-9);
        assert_eq!(run.outcome.households_cancelled, 1);
        assert!((run.outcome.cancelled_benefit_yuan - 500.0).abs() < 1e-9);
        let township = row("411526", "411526101000");
        assert!((township.summary.overpaid_yuan - 19_500.0).abs() < 1e-9);
        assert_eq!(row("411526", "411526102000").outcome.households_kept, 1);
        // Per reason, each flag counts at its own estimate.
        let business = summary
            .iter()
            .find(|r| r.county == ALL && r.reason == "business_active")
            .unwrap();
        assert!((business.overpaid_yuan - 9_000.0).abs() < 1e-9);
    }
}
