//! Review outcomes: per county, township and reason, how many flags were reviewed, what the
//! visits found, the precision that measures (with its 95% Wilson interval), the actions
//! taken and the monthly benefit of households with a confirmed finding. Written as
//! `review_summary.csv` and shown in the report and the county summary workbook.
//!
//! Which flags count: every flag this run raises, and every flag with a finding that has
//! since resolved (a confirmed flag resolves when its household leaves the roll), so a
//! campaign's outcomes do not vanish with the households it cancelled. A `reopened` flag
//! counts as pending: it waits for a new visit. Spot checks (reason `spot_check`) get rows
//! of their own, where "precision" is the share of drawn households found ineligible; they
//! are not flags and stay out of the `all` reasons rows.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;

use super::findings::Finding;
use crate::model::{Action, RegionCode, Verdict};
use crate::rundir::names::RECHECK_SHEET;
use crate::rundir::names::SPOT_CHECK;
use crate::rundir::{create_private, format_score, OutputError};

/// Columns of `review_summary.csv` (the contract's order).
pub const SUMMARY_COLUMNS: [&str; 21] = [
    "county",
    "township",
    "reason",
    "flags",
    "reviewed",
    "confirmed",
    "partly_confirmed",
    "dismissed",
    "unverifiable",
    "pending",
    "completion_rate",
    "precision",
    "precision_low",
    "precision_high",
    "cancelled",
    "adjusted",
    "kept",
    "rereview",
    "confirmed_benefit_yuan",
    "overpaid_yuan",
    "confirmed_overpaid_yuan",
];

/// The subtotal key.
pub const ALL: &str = "all";

/// One item under review: a flag (or a spot check) and its latest finding, if any.
#[derive(Debug, Clone)]
pub struct ReviewedItem<'a> {
    pub household_id: &'a str,
    pub region_code: Option<&'a str>,
    /// A reason code, or `spot_check`.
    pub reason: &'a str,
    /// The latest finding's verdict; `None` while pending (a reopened flag is pending too).
    pub verdict: Option<Verdict>,
    pub action: Option<Action>,
    pub monthly_benefit: Option<f64>,
    /// The flag's estimated overpayment (`rules::overpayment`), where it has one.
    pub overpaid_yuan: Option<f64>,
}

/// One row of `review_summary.csv`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SummaryRow {
    pub county: String,
    pub township: String,
    pub reason: String,
    pub flags: usize,
    pub reviewed: usize,
    pub confirmed: usize,
    pub partly_confirmed: usize,
    pub dismissed: usize,
    pub unverifiable: usize,
    pub pending: usize,
    pub cancelled: usize,
    pub adjusted: usize,
    pub kept: usize,
    pub rereview: usize,
    pub confirmed_benefit_yuan: f64,
    /// Estimated overpayment since the events (v3): every flag, and confirmed ones only;
    /// a household counts once across reasons, at its largest estimate.
    pub overpaid_yuan: f64,
    pub confirmed_overpaid_yuan: f64,
}

impl SummaryRow {
    pub fn completion_rate(&self) -> f64 {
        ratio(self.reviewed, self.flags)
    }

    /// (confirmed + partly) / (confirmed + partly + dismissed) with its 95% Wilson
    /// interval; `None` when nothing was confirmed or dismissed.
    pub fn precision(&self) -> Option<(f64, f64, f64)> {
        let upheld = self.confirmed + self.partly_confirmed;
        wilson(upheld, upheld + self.dismissed)
    }

    fn add(&mut self, item: &ReviewedItem) {
        self.flags += 1;
        let Some(verdict) = item.verdict else {
            self.pending += 1;
            return;
        };
        self.reviewed += 1;
        match verdict {
            Verdict::Confirmed => self.confirmed += 1,
            Verdict::PartlyConfirmed => self.partly_confirmed += 1,
            Verdict::Dismissed => self.dismissed += 1,
            Verdict::Unverifiable => self.unverifiable += 1,
        }
        match item.action {
            Some(Action::Cancelled) => self.cancelled += 1,
            Some(Action::Adjusted) => self.adjusted += 1,
            Some(Action::Kept) => self.kept += 1,
            Some(Action::Rereview) => self.rereview += 1,
            None => {}
        }
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let r = part as f64 / whole as f64;
        r
    }
}

/// The share `successes / trials` with its 95% Wilson score interval; `None` for no trials.
pub fn wilson(successes: usize, trials: usize) -> Option<(f64, f64, f64)> {
    const Z: f64 = 1.959_963_984_540_054;
    if trials == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let n = trials as f64;
    let p = ratio(successes, trials);
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    Some((p, (centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Rows per (county, township, reason) with `all` subtotals at each level, sorted.
pub fn summarize(items: &[ReviewedItem]) -> Vec<SummaryRow> {
    let mut groups: BTreeMap<(String, String, String), Group> = BTreeMap::new();
    for item in items {
        let county = crate::model::RegionCode::county_key(item.region_code);
        let township = RegionCode::township_key(item.region_code);
        // Spot checks and warnings are counted apart, never in the flags' totals.
        let apart =
            item.reason == SPOT_CHECK || crate::model::WarningKind::parse(item.reason).is_some();
        let own = [item.reason];
        let reasons: &[&str] = if apart { &own } else { &[item.reason, ALL] };
        for reason in reasons {
            for (c, t) in [
                (county.as_str(), township.as_str()),
                (county.as_str(), ALL),
                (ALL, ALL),
            ] {
                let (row, confirmed_households, largest) = groups
                    .entry((c.to_string(), t.to_string(), (*reason).to_string()))
                    .or_insert_with(|| {
                        (
                            SummaryRow {
                                county: c.to_string(),
                                township: t.to_string(),
                                reason: (*reason).to_string(),
                                ..SummaryRow::default()
                            },
                            BTreeSet::new(),
                            Largest::default(),
                        )
                    });
                row.add(item);
                largest.add(item);
                let confirmed = item.verdict == Some(Verdict::Confirmed);
                if confirmed && confirmed_households.insert(item.household_id) {
                    row.confirmed_benefit_yuan += item.monthly_benefit.unwrap_or(0.0);
                }
            }
        }
    }
    let mut rows: Vec<SummaryRow> = groups
        .into_values()
        .map(|(mut row, _, largest)| {
            (row.overpaid_yuan, row.confirmed_overpaid_yuan) = largest.totals();
            row
        })
        .collect();
    // The whole run first, then counties, each with its townships; `all` before the rest.
    rows.sort_by(|a, b| {
        let key = |r: &SummaryRow| {
            (
                r.county != ALL,
                r.county.clone(),
                r.township != ALL,
                r.township.clone(),
                r.reason != ALL,
                r.reason.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    rows
}

/// A row being summed, the households whose benefit it has counted, and their estimates.
type Group<'a> = (SummaryRow, BTreeSet<&'a str>, Largest<'a>);

/// Each household's largest estimated overpayment, over all its flags and over its confirmed
/// ones: a household counts once in totals across reasons.
#[derive(Debug, Default)]
struct Largest<'a> {
    all: BTreeMap<&'a str, f64>,
    confirmed: BTreeMap<&'a str, f64>,
}

impl<'a> Largest<'a> {
    fn add(&mut self, item: &ReviewedItem<'a>) {
        let Some(amount) = item.overpaid_yuan else {
            return;
        };
        let keep = |map: &mut BTreeMap<&'a str, f64>| {
            let entry = map.entry(item.household_id).or_insert(amount);
            *entry = entry.max(amount);
        };
        keep(&mut self.all);
        if item.verdict == Some(Verdict::Confirmed) {
            keep(&mut self.confirmed);
        }
    }

    fn totals(&self) -> (f64, f64) {
        // Starting from 0.0: an empty float sum is -0.0, which prints as `-0.00`.
        let sum = |map: &BTreeMap<&str, f64>| map.values().fold(0.0, |total, v| total + v);
        (sum(&self.all), sum(&self.confirmed))
    }
}

/// The whole run's row (county, township and reason all `all`).
pub fn whole_run(rows: &[SummaryRow]) -> SummaryRow {
    rows.iter()
        .find(|r| r.county == ALL && r.township == ALL && r.reason == ALL)
        .cloned()
        .unwrap_or_else(|| SummaryRow {
            county: ALL.into(),
            township: ALL.into(),
            reason: ALL.into(),
            ..SummaryRow::default()
        })
}

fn rate(value: f64) -> String {
    format_score(value)
}

/// The row as CSV cells, in `SUMMARY_COLUMNS` order.
pub fn cells(row: &SummaryRow) -> Vec<String> {
    let precision = row.precision();
    let part = |f: fn(&(f64, f64, f64)) -> f64| precision.as_ref().map(f).map(rate);
    vec![
        row.county.clone(),
        row.township.clone(),
        row.reason.clone(),
        row.flags.to_string(),
        row.reviewed.to_string(),
        row.confirmed.to_string(),
        row.partly_confirmed.to_string(),
        row.dismissed.to_string(),
        row.unverifiable.to_string(),
        row.pending.to_string(),
        rate(row.completion_rate()),
        part(|p| p.0).unwrap_or_default(),
        part(|p| p.1).unwrap_or_default(),
        part(|p| p.2).unwrap_or_default(),
        row.cancelled.to_string(),
        row.adjusted.to_string(),
        row.kept.to_string(),
        row.rereview.to_string(),
        format!("{:.2}", row.confirmed_benefit_yuan),
        format!("{:.2}", row.overpaid_yuan),
        format!("{:.2}", row.confirmed_overpaid_yuan),
    ]
}

/// `review_summary.csv`: UTF-8 with a BOM so that Excel shows it right.
pub fn write_csv(path: &Path, rows: &[SummaryRow]) -> Result<(), OutputError> {
    let file = create_private(path)?;
    let err = |e: &dyn std::fmt::Display| OutputError::write(path, e);
    let mut buffer = std::io::BufWriter::new(&file);
    buffer.write_all(b"\xEF\xBB\xBF").map_err(|e| err(&e))?;
    {
        let mut writer = csv::Writer::from_writer(&mut buffer);
        writer.write_record(SUMMARY_COLUMNS).map_err(|e| err(&e))?;
        for row in rows {
            writer.write_record(cells(row)).map_err(|e| err(&e))?;
        }
        writer.flush().map_err(|e| err(&e))?;
    }
    buffer.flush().map_err(|e| err(&e))?;
    drop(buffer);
    file.sync_all().map_err(|e| err(&e))
}

/// What a campaign reports: households cancelled, adjusted, kept or sent for re-review
/// (each household once, by its strongest action: cancelled, adjusted, re-review, kept),
/// households with a confirmed finding and their monthly benefit, and that of the
/// cancelled households (the money a month no longer paid).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub households_cancelled: usize,
    pub households_adjusted: usize,
    pub households_rereview: usize,
    pub households_kept: usize,
    pub households_confirmed: usize,
    pub confirmed_benefit_yuan: f64,
    pub cancelled_benefit_yuan: f64,
}

pub fn outcome(items: &[ReviewedItem]) -> Outcome {
    let rank = |action: Action| match action {
        Action::Cancelled => 3,
        Action::Adjusted => 2,
        Action::Rereview => 1,
        Action::Kept => 0,
    };
    let mut strongest: BTreeMap<&str, (Option<Action>, bool, f64)> = BTreeMap::new();
    for item in items.iter().filter(|i| i.reason != SPOT_CHECK) {
        let Some(verdict) = item.verdict else {
            continue;
        };
        let entry = strongest.entry(item.household_id).or_insert((
            None,
            false,
            item.monthly_benefit.unwrap_or(0.0),
        ));
        if let Some(action) = item.action {
            if entry.0.is_none_or(|a| rank(action) > rank(a)) {
                entry.0 = Some(action);
            }
        }
        entry.1 |= verdict == Verdict::Confirmed;
    }
    let mut outcome = Outcome::default();
    for (action, confirmed, benefit) in strongest.values() {
        match action {
            Some(Action::Cancelled) => {
                outcome.households_cancelled += 1;
                outcome.cancelled_benefit_yuan += benefit;
            }
            Some(Action::Adjusted) => outcome.households_adjusted += 1,
            Some(Action::Rereview) => outcome.households_rereview += 1,
            Some(Action::Kept) => outcome.households_kept += 1,
            None => {}
        }
        if *confirmed {
            outcome.households_confirmed += 1;
            outcome.confirmed_benefit_yuan += benefit;
        }
    }
    outcome
}

/// A county as a campaign summary lists it: households on the roll, households flagged, and
/// flags per reason.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CountyRow {
    pub county: String,
    pub households: usize,
    pub flagged_households: usize,
    pub flags_per_reason: BTreeMap<crate::model::Reason, usize>,
}

/// One row per county of the run's households, in code order.
pub fn counties<'a>(
    households: impl Iterator<Item = &'a crate::rules::Household>,
    flags: &[crate::rundir::FlagRow],
) -> Vec<CountyRow> {
    use crate::model::RegionCode;
    let mut rows: BTreeMap<String, CountyRow> = BTreeMap::new();
    let mut flagged: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for household in households {
        let county = RegionCode::county_key(household.region_code.as_deref());
        rows.entry(county.clone())
            .or_insert_with(|| CountyRow {
                county,
                ..CountyRow::default()
            })
            .households += 1;
    }
    for row in flags {
        let county = RegionCode::county_key(row.flag.region_code.as_deref());
        let entry = rows.entry(county.clone()).or_insert_with(|| CountyRow {
            county: county.clone(),
            ..CountyRow::default()
        });
        *entry.flags_per_reason.entry(row.flag.reason).or_default() += 1;
        flagged
            .entry(county)
            .or_default()
            .insert(row.flag.household_id.as_str());
    }
    for (county, households) in flagged {
        if let Some(row) = rows.get_mut(&county) {
            row.flagged_households = households.len();
        }
    }
    rows.into_values().collect()
}

/// A township's re-checks: findings a second reviewer gave on the sheet 复核抽查, and how
/// many differ from the first reviewer's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecheckRow {
    pub township: String,
    pub checked: usize,
    pub disagreed: usize,
}

/// Compares each re-check with the latest earlier finding on the same item by someone else.
pub fn rechecks(findings: &super::findings::Findings) -> Vec<RecheckRow> {
    let mut by_item: BTreeMap<(&str, &super::findings::Subject), Vec<super::findings::Recorded>> =
        BTreeMap::new();
    for (batch, finding) in findings.all() {
        by_item
            .entry((finding.household_id.as_str(), &finding.subject))
            .or_default()
            .push((batch, finding));
    }
    let mut rows: BTreeMap<String, RecheckRow> = BTreeMap::new();
    for recorded in by_item.values() {
        let is_recheck = |f: &Finding| f.sheet.as_deref() == Some(RECHECK_SHEET);
        let Some((_, second)) = recorded.iter().rev().find(|(_, f)| is_recheck(f)) else {
            continue;
        };
        let first = recorded
            .iter()
            .rev()
            .find(|(_, f)| !is_recheck(f) && f.reviewer != second.reviewer);
        let Some((_, first)) = first else {
            continue;
        };
        let township = RegionCode::township_key(second.region_code.as_deref());
        let row = rows.entry(township.clone()).or_insert(RecheckRow {
            township,
            checked: 0,
            disagreed: 0,
        });
        row.checked += 1;
        if first.verdict != second.verdict {
            row.disagreed += 1;
        }
    }
    rows.into_values().collect()
}

/// Precision by score band, from findings on flags and leads that a probabilistic match
/// raised: (band's lower edge, upheld, dismissed).
pub fn precision_by_score_band<'a>(
    findings: impl Iterator<Item = &'a Finding>,
) -> Vec<(f64, usize, usize)> {
    const EDGES: [f64; 6] = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99];
    let mut bands = vec![(0usize, 0usize); EDGES.len()];
    for finding in findings {
        if !finding.probabilistic {
            continue;
        }
        let band = EDGES.iter().rposition(|e| finding.score >= *e).unwrap_or(0);
        if finding.verdict.upholds() {
            bands[band].0 += 1;
        } else if finding.verdict == Verdict::Dismissed {
            bands[band].1 += 1;
        }
    }
    EDGES
        .iter()
        .zip(bands)
        .map(|(edge, (upheld, dismissed))| (*edge, upheld, dismissed))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::findings::Subject;

    fn finding(verdict: Verdict, action: Option<Action>) -> Finding {
        Finding {
            household_id: "H".into(),
            subject: Subject::Flag {
                reason: crate::model::Reason::VehicleOwned,
            },
            verdict,
            action,
            reviewer: "王五".into(),
            reviewed_on: chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(),
            note: None,
            file: "f".into(),
            sheet: None,
            row: 2,
            run_id: "r".into(),
            support: Vec::new(),
            region_code: None,
            score: 0.97,
            monthly_benefit: None,
            overpaid_yuan: None,
            probabilistic: true,
            by_registry: false,
        }
    }

    #[test]
    fn wilson_matches_the_textbook_values() {
        // 8 of 10: 0.8, interval [0.4902, 0.9433] (Wilson 1927; Newcombe 1998, table I).
        let (p, low, high) = wilson(8, 10).unwrap();
        assert!((p - 0.8).abs() < 1e-12);
        assert!((low - 0.4902).abs() < 1e-4, "{low}");
        assert!((high - 0.9433).abs() < 1e-4, "{high}");
        let (_, low, high) = wilson(0, 5).unwrap();
        assert!(low.abs() < 1e-12 && (high - 0.4345).abs() < 1e-4, "{high}");
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn rows_count_findings_actions_and_benefit_once_per_household() {
        let confirmed = finding(Verdict::Confirmed, Some(Action::Cancelled));
        let dismissed = finding(Verdict::Dismissed, None);
        let items = [
            ReviewedItem {
                household_id: "H1",
                region_code: Some("411526101001"),
                reason: "vehicle_owned",
                verdict: Some(confirmed.verdict),
                action: confirmed.action,
                monthly_benefit: Some(450.0),
                overpaid_yuan: None,
            },
            ReviewedItem {
                household_id: "H1",
                region_code: Some("411526101001"),
                reason: "property_excess",
                verdict: Some(confirmed.verdict),
                action: confirmed.action,
                monthly_benefit: Some(450.0),
                overpaid_yuan: None,
            },
            ReviewedItem {
                household_id: "H2",
                region_code: Some("411526102001"),
                reason: "vehicle_owned",
                verdict: Some(dismissed.verdict),
                action: dismissed.action,
                monthly_benefit: Some(300.0),
                overpaid_yuan: None,
            },
            ReviewedItem {
                household_id: "H3",
                region_code: Some("411526102001"),
                reason: "vehicle_owned",
                verdict: None,
                action: None,
                monthly_benefit: None,
                overpaid_yuan: None,
            },
        ];
        let rows = summarize(&items);
        let whole = whole_run(&rows);
        assert_eq!(
            (whole.flags, whole.reviewed, whole.pending),
            (4, 3, 1),
            "{whole:?}"
        );
        assert_eq!(
            (whole.confirmed, whole.dismissed, whole.cancelled),
            (2, 1, 2)
        );
        assert!((whole.confirmed_benefit_yuan - 450.0).abs() < 1e-9);
        let vehicles = rows
            .iter()
            .find(|r| r.county == ALL && r.reason == "vehicle_owned")
            .unwrap();
        assert_eq!(
            (vehicles.flags, vehicles.confirmed, vehicles.dismissed),
            (3, 1, 1)
        );
        let (p, _, _) = vehicles.precision().unwrap();
        assert!((p - 0.5).abs() < 1e-12);
        let township = rows
            .iter()
            .find(|r| r.township == "411526102000" && r.reason == ALL)
            .unwrap();
        assert_eq!(township.county, "411526");
        assert_eq!(cells(township)[11], "0", "precision 0 of 1");
        assert_eq!(rows[0].county, ALL);
    }
}
