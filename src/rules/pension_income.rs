//! `pension_income`: counted pensions active at the as-of date, divided by the household's
//! members on the roll, exceed the programme's per-capita standard (strictly).
//! Why: enterprise and institution pensions count as household income.
//! Decoys: resident basic pensions (not counted by default), ended pensions, a pension that
//! spread over a large household stays under the standard, `linshi` households.

use std::collections::BTreeMap;

use super::income::Standard;
use super::{active_at, match_basis_zh, yuan, At, BuiltIn, Context, Finding, Reads};
use crate::ingest::{RecordDetails, RegistryRecord};
use crate::link::Match;
use crate::model::{Reason, Source};

pub const RULE: BuiltIn = BuiltIn::new(Reason::PensionIncome, pension_income).reading(READS);
const READS: Reads = Reads::new(Source::Pension, counts);

/// A pension active at D counts when the household's programme has a standard to exceed and
/// counts the pension's type.
fn counts(at: &At, record: &RegistryRecord) -> bool {
    let RecordDetails::Pension {
        pension_type,
        start_date,
        end_date,
        ..
    } = &record.details
    else {
        return false;
    };
    let spec = at.pipeline.programme(at.household.programme);
    spec.per_capita_standard_yuan.is_some()
        && spec.counted_pension_types.contains(pension_type)
        && active_at(*start_date, *end_date, at.as_of)
}

fn pension_income(context: &Context) -> Vec<Finding> {
    // Keyed by (record, member): a member listed twice in one household counts once.
    let mut counted: BTreeMap<&str, BTreeMap<(usize, usize), &Match>> = BTreeMap::new();
    for (m, member, _) in context.counted(READS) {
        counted
            .entry(&member.household_id)
            .or_default()
            .insert((m.record_idx, m.member_idx), m);
    }
    counted
        .into_iter()
        .filter_map(|(household_id, matches)| {
            household_finding(context, household_id, matches.values())
        })
        .collect()
}

fn household_finding<'m>(
    context: &Context,
    household_id: &str,
    matches: impl Iterator<Item = &'m &'m Match>,
) -> Option<Finding> {
    let household = context.households.get(household_id);
    let standard = Standard::of(context, household)?;
    let mut total = 0.0;
    let mut parts = Vec::new();
    let (mut member_ids, mut record_ids) = (Vec::new(), Vec::new());
    let mut score: f64 = 1.0;
    let mut started: Vec<(chrono::NaiveDate, f64)> = Vec::new();
    for m in matches {
        let record = context.record(m);
        let RecordDetails::Pension {
            pension_type,
            monthly_amount,
            start_date,
            ..
        } = &record.details
        else {
            continue;
        };
        total += monthly_amount;
        let basis = match_basis_zh(
            super::Whom::Member(&context.member(m.member_idx).name),
            m,
            record,
        )
        .map(|b| format!("；{b}"))
        .unwrap_or_default();
        started.push((*start_date, *monthly_amount));
        parts.push(format!(
            "{} {}（{}，{}/月{basis}）",
            record.record_id,
            record.person.name,
            pension_type.label_zh(),
            yuan(*monthly_amount)
        ));
        member_ids.push(context.member(m.member_idx).member_id.clone());
        record_ids.push(record.record_id.clone());
        score = score.min(m.score);
    }
    #[allow(clippy::cast_precision_loss)]
    let per_capita = total / household.n_members as f64;
    #[allow(clippy::cast_precision_loss)]
    let over = |amount: f64| amount / household.n_members as f64 > standard.yuan;
    (per_capita > standard.yuan).then(|| Finding {
        household_id: household_id.to_string(),
        member_ids,
        record_ids,
        evidence: format!(
            "{}：{}；户内月养老金合计{}，共{}人，人均{}，超过{}",
            Source::Pension.label_zh(),
            parts.join("、"),
            yuan(total),
            household.n_members,
            yuan(per_capita),
            standard.describe(household.programme),
        ),
        score,
        since: since(started, over),
    })
}

/// When the household's counted pensions first exceeded the standard: the earliest start
/// of a pension that alone exceeds it, else the start of the last pension needed, taking
/// them in order of start (`over` says whether an amount exceeds).
pub(super) fn since(
    mut started: Vec<(chrono::NaiveDate, f64)>,
    over: impl Fn(f64) -> bool,
) -> Option<chrono::NaiveDate> {
    started.sort_by_key(|(start, _)| *start);
    if let Some((start, _)) = started.iter().find(|(_, amount)| over(*amount)) {
        return Some(*start);
    }
    let mut total = 0.0;
    started.into_iter().find_map(|(start, amount)| {
        total += amount;
        over(total).then_some(start)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// Pensions as (start, amount), and the `since` they give.
    type Case<'a> = (&'a [(&'a str, f64)], Option<&'a str>);

    #[test]
    fn since_is_the_earliest_pension_alone_over_else_the_last_one_needed() {
        let over = |amount: f64| amount > 800.0;
        // (pensions as (start, amount), since)
        let table: [Case; 4] = [
            (&[("2024-03-15", 1200.0)], Some("2024-03-15")),
            // Neither alone: over once the second starts; a third is not needed.
            (
                &[
                    ("2021-01-01", 500.0),
                    ("2022-06-01", 500.0),
                    ("2024-01-01", 100.0),
                ],
                Some("2022-06-01"),
            ),
            // One alone over wins over an earlier sum.
            (
                &[
                    ("2020-01-01", 500.0),
                    ("2021-01-01", 500.0),
                    ("2023-01-01", 900.0),
                ],
                Some("2023-01-01"),
            ),
            (&[("2020-01-01", 300.0)], None),
        ];
        for (pensions, expected) in table {
            let started = pensions.iter().map(|(d, a)| (date(d), *a)).collect();
            assert_eq!(since(started, over), expected.map(date), "{pensions:?}");
        }
    }
}
