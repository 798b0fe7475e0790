//! What a flag has cost since the fact began: `since` (the fact's start, as the rule dates it)
//! and `overpaid_yuan` = whole calendar months from max(since, the household's earliest
//! `enrolled_on`) to D, capped at `[outcomes] lookback_months`, × the monthly amount at stake
//! (the household's benefit; ÷ `n_members` per deceased member for `deceased_member`).
//! A rule dates its finding (`Finding::since`); `aggregate` asks `estimate` once per flag.

use chrono::{Datelike, NaiveDate};

use super::{Finding, Household};
use crate::model::Reason;

/// A flag's overpayment estimate, as `flags.*` carry it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overpayment {
    /// The fact's start (the earliest among the flag's findings).
    pub since: NaiveDate,
    /// Whole months counted (for several deceased members, from the earliest one's death).
    pub months: u32,
    /// Whether the lookback cap cut the count.
    pub capped: bool,
    /// Yuan, rounded to 0.01; `None` when the roll gives the household no benefit.
    pub overpaid_yuan: Option<f64>,
}

/// Whole calendar months from `from` to `to`: 2024-03-15 → 2025-06-30 is 15. A month is
/// complete on the same day of a later month, or on that month's last day when it is
/// shorter (a start on the 31st completes on 30 April). Zero when `to` is not after `from`.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    if to <= from {
        return 0;
    }
    let months = (to.year() - from.year()) * 12 + i32::try_from(to.month()).unwrap_or(0)
        - i32::try_from(from.month()).unwrap_or(0);
    let last_of_to = last_of_month(to).day();
    let completes = to.day() >= from.day() || to.day() == last_of_to;
    let months = if completes { months } else { months - 1 };
    u32::try_from(months).unwrap_or(0)
}

/// The last day of `date`'s month.
pub fn last_of_month(date: NaiveDate) -> NaiveDate {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|first| first.pred_opt())
        .unwrap_or(date)
}

/// Months counted for a fact dated `since`: from enrolment when later, to D, capped.
pub fn counted_months(
    since: NaiveDate,
    enrolled_on: Option<NaiveDate>,
    as_of: NaiveDate,
    lookback_months: u32,
) -> u32 {
    let from = enrolled_on.map_or(since, |enrolled| since.max(enrolled));
    whole_months(from, as_of).min(lookback_months)
}

/// The estimate of one flag from its findings, or `None` when no finding dates the fact.
/// For `deceased_member` each deceased member counts from their own (earliest) death, at
/// their share of the household's benefit; otherwise the whole benefit from the earliest
/// `since` among the findings (each finding is a fact that alone raises the flag).
pub fn estimate(
    reason: Reason,
    household: &Household,
    findings: &[Finding],
    as_of: NaiveDate,
    lookback_months: u32,
) -> Option<Overpayment> {
    let since = findings.iter().filter_map(|f| f.since).min()?;
    let months = |since| counted_months(since, household.enrolled_on, as_of, lookback_months);
    let overpaid_yuan = if reason == Reason::DeceasedMember {
        let mut deaths: std::collections::BTreeMap<&str, NaiveDate> =
            std::collections::BTreeMap::new();
        for finding in findings {
            if let (Some(since), Some(member)) = (finding.since, finding.member_ids.first()) {
                let death = deaths.entry(member).or_insert(since);
                *death = (*death).min(since);
            }
        }
        let member_months: u32 = deaths.values().map(|since| months(*since)).sum();
        household
            .member_share_yuan()
            .map(|share| round_yuan(share * f64::from(member_months)))
    } else {
        household
            .monthly_benefit
            .map(|benefit| round_yuan(benefit * f64::from(months(since))))
    };
    let from = household
        .enrolled_on
        .map_or(since, |enrolled| since.max(enrolled));
    Some(Overpayment {
        since,
        months: months(since),
        capped: whole_months(from, as_of) > lookback_months,
        overpaid_yuan,
    })
}

/// Rounds to 0.01 yuan.
pub fn round_yuan(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

/// Yuan as a clerk writes a sum: thousands separated, decimals only when not whole
/// (`2,250`, `1,166.67`).
pub fn grouped_yuan(amount: f64) -> String {
    let cents = (amount * 100.0).round();
    #[allow(clippy::cast_possible_truncation)]
    let cents = cents as i64;
    let (whole, fraction) = (cents.abs() / 100, cents.abs() % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if cents < 0 { "-" } else { "" };
    if fraction == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction:02}")
    }
}

/// The evidence's closing sentence: `自2024-03-15起（15个月）估算多发2,250元`, saying when
/// the count starts at enrolment rather than at the fact, when the cap applies, and the
/// share of a deceased member.
pub fn evidence_zh(reason: Reason, household: &Household, overpayment: &Overpayment) -> String {
    let Some(amount) = overpayment.overpaid_yuan else {
        return format!(
            "自{}起；花名册无月保障金，未估算多发金额",
            overpayment.since.format("%Y-%m-%d")
        );
    };
    let from = match household.enrolled_on {
        Some(enrolled) if enrolled > overpayment.since => {
            format!("自纳入日期{}起", enrolled.format("%Y-%m-%d"))
        }
        _ => format!("自{}起", overpayment.since.format("%Y-%m-%d")),
    };
    let capped = if overpayment.capped {
        "，按回溯上限计"
    } else {
        ""
    };
    let share = match (reason, household.monthly_benefit) {
        (Reason::DeceasedMember, Some(benefit)) => format!(
            "每位死亡成员按户月保障金{}元÷{}人计，",
            grouped_yuan(benefit),
            household.n_members
        ),
        _ => String::new(),
    };
    format!(
        "{share}{from}（{}个月{capped}）估算多发{}元",
        overpayment.months,
        grouped_yuan(amount)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn whole_months_count_completed_calendar_months() {
        // (from, to, months)
        let table = [
            ("2024-03-15", "2025-06-30", 15),
            ("2024-03-15", "2025-06-15", 15),
            ("2024-03-15", "2025-06-14", 14),
            ("2025-06-30", "2025-06-30", 0),
            ("2025-07-01", "2025-06-30", 0),
            ("2025-05-31", "2025-06-30", 1),
            ("2025-01-31", "2025-02-28", 1),
            ("2024-01-31", "2024-02-28", 0),
            ("2024-01-31", "2024-02-29", 1),
            ("2025-01-31", "2025-04-30", 3),
            ("2025-01-30", "2025-02-28", 1),
            ("2024-12-15", "2025-01-15", 1),
            ("2020-01-01", "2025-06-30", 65),
        ];
        for (from, to, months) in table {
            assert_eq!(whole_months(date(from), date(to)), months, "{from} → {to}");
        }
    }

    #[test]
    fn counted_months_start_at_enrolment_and_stop_at_the_cap() {
        let d = date("2025-06-30");
        // (since, enrolled_on, months)
        let table = [
            ("2024-03-15", None, 15),
            ("2024-03-15", Some("2023-01-01"), 15),
            ("2019-05-01", Some("2024-03-15"), 15),
            ("2025-06-30", Some("2020-01-01"), 0),
            ("2015-01-01", Some("2010-01-01"), 36),
            ("2022-06-30", None, 36),
            ("2022-07-01", None, 35),
        ];
        for (since, enrolled, months) in table {
            assert_eq!(
                counted_months(date(since), enrolled.map(date), d, 36),
                months,
                "{since} {enrolled:?}"
            );
        }
    }

    fn household(benefit: Option<f64>, n_members: usize) -> Household {
        Household {
            household_id: "H1".into(),
            programme: crate::model::Programme::DibaoRural,
            region_code: None,
            member_idxs: Vec::new(),
            n_members,
            monthly_benefit: benefit,
            enrolled_on: Some(date("2020-01-01")),
            category: None,
        }
    }

    fn finding(member: &str, since: &str) -> Finding {
        Finding {
            household_id: "H1".into(),
            member_ids: vec![member.into()],
            record_ids: vec![format!("R-{member}")],
            evidence: String::new(),
            score: 1.0,
            since: Some(date(since)),
        }
    }

    #[test]
    fn a_deceased_member_costs_their_share_from_their_own_death() {
        let d = date("2025-06-30");
        let household = household(Some(900.0), 3);
        let one = estimate(
            Reason::DeceasedMember,
            &household,
            &[finding("M1", "2024-03-15")],
            d,
            36,
        )
        .unwrap();
        assert_eq!((one.months, one.overpaid_yuan), (15, Some(4500.0)));
        // Two death records of one member count once, from the earlier; a second member
        // adds their own months.
        let two = estimate(
            Reason::DeceasedMember,
            &household,
            &[
                finding("M1", "2024-03-15"),
                finding("M1", "2024-05-01"),
                finding("M2", "2025-03-30"),
            ],
            d,
            36,
        )
        .unwrap();
        assert_eq!(two.since, date("2024-03-15"));
        assert_eq!(two.overpaid_yuan, Some(300.0 * 18.0));
        let vehicle = estimate(
            Reason::VehicleOwned,
            &household,
            &[finding("M1", "2024-03-15"), finding("M2", "2023-03-15")],
            d,
            36,
        )
        .unwrap();
        assert_eq!(vehicle.overpaid_yuan, Some(900.0 * 27.0));
        let undated = Finding {
            since: None,
            ..finding("M1", "2024-03-15")
        };
        assert!(estimate(Reason::VehicleOwned, &household, &[undated], d, 36).is_none());
    }

    #[test]
    fn sums_read_as_a_clerk_writes_them() {
        let table = [
            (2250.0, "2,250"),
            (1_166.666_7, "1,166.67"),
            (0.0, "0"),
            (1_234_567.5, "1,234,567.50"),
            (999.0, "999"),
        ];
        for (amount, text) in table {
            assert_eq!(grouped_yuan(amount), text);
        }
    }
}
