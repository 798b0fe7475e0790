//! The tables of persons beyond the roll a SQL rule sees (contract v3, "Supporters"):
//! `supporters` (one row per member and supporter), `<source>_supporter_matches` (each
//! supporter's accepted matches) and `income` (every household's income at D, as
//! `income.parquet`). A county writes its own supporter rules over them, e.g. a supporter who
//! is a civil servant in a local 财政供养 registry.

use std::collections::BTreeMap;

use polars::prelude::DataFrame;

use super::tables::{date, frame, integer, number, text, Data};
use crate::link::Decision;
use crate::model::Source;
use crate::rules::income::{Action, HouseholdIncome, Standard, SupporterRow, Tier};

fn standard(h: &HouseholdIncome) -> Option<&Standard> {
    h.standard.as_ref()
}

/// The tables every pipeline's rules may name, whatever its sources.
pub(super) const BEYOND_TABLES: [&str; 2] = ["supporters", "income"];

/// `<source>_supporter_matches`.
pub(super) fn supporter_matches_table(source: Source) -> String {
    format!("{}_supporter_matches", source.code())
}

impl Data<'_> {
    pub(super) fn beyond_table(&self, name: &str) -> Option<Result<DataFrame, String>> {
        match name {
            "supporters" => Some(self.supporters()),
            "income" => Some(self.income()),
            _ => None,
        }
    }

    fn supporter_rows(&self) -> &[SupporterRow] {
        match self {
            Data::Run(context) => &context.incomes.supporters,
            Data::Empty(_) => &[],
        }
    }

    fn supporters(&self) -> Result<DataFrame, String> {
        let rows = self.supporter_rows();
        let person = |s: &SupporterRow| match self {
            Data::Run(context) => context.normalized.persons[s.support.person_idx].valid_id(),
            Data::Empty(_) => None,
        };
        frame(vec![
            text(
                "household_id",
                rows.iter().map(|s| Some(&s.support.household_id)),
            ),
            text("member_id", rows.iter().map(|s| Some(&s.member_id))),
            text("supporter_id", rows.iter().map(|s| Some(&s.supporter_id))),
            text(
                "relation",
                rows.iter().map(|s| Some(s.support.kinship.code())),
            ),
            text("name", rows.iter().map(|s| Some(&s.name))),
            text(
                "id_number",
                rows.iter()
                    .map(|s| person(s).map(crate::normalize::ValidId::text)),
            ),
            date(
                "birth_date",
                rows.iter().map(|s| person(s).map(|v| v.birth_date)),
            ),
            integer(
                "household_size",
                rows.iter()
                    .map(|s| Some(i64::from(s.support.household_size))),
            ),
        ])
    }

    /// Each supporter's accepted matches with `source`, once per supporter.
    pub(super) fn supporter_matches(&self, source: Source) -> Result<DataFrame, String> {
        let mut rows = Vec::new();
        if let Data::Run(context) = self {
            let supporters: BTreeMap<usize, &str> = context
                .incomes
                .supporters
                .iter()
                .map(|s| (s.support.person_idx, s.supporter_id.as_str()))
                .collect();
            for m in context.links.matches.iter().chain(&context.links.others) {
                if m.source == source && m.decision == Decision::Accepted {
                    if let Some(id) = supporters.get(&m.member_idx) {
                        rows.push((*id, context.record(m).record_id.as_str(), m));
                    }
                }
            }
            rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        }
        frame(vec![
            text("supporter_id", rows.iter().map(|r| Some(r.0))),
            text("record_id", rows.iter().map(|r| Some(r.1))),
            text("method", rows.iter().map(|r| Some(r.2.method.code()))),
            number("probability", rows.iter().map(|r| Some(r.2.score))),
        ])
    }

    fn income(&self) -> Result<DataFrame, String> {
        let rows: &[HouseholdIncome] = match self {
            Data::Run(context) => &context.incomes.households,
            Data::Empty(_) => &[],
        };
        let amount = |name: &str, f: fn(&HouseholdIncome) -> f64| {
            number(name, rows.iter().map(move |h| Some(f(h))))
        };
        frame(vec![
            text("household_id", rows.iter().map(|h| Some(&h.household_id))),
            text("programme", rows.iter().map(|h| Some(h.programme.code()))),
            text("region_code", rows.iter().map(|h| h.region_code.as_ref())),
            integer(
                "n_members",
                rows.iter().map(|h| i64::try_from(h.n_members).ok()),
            ),
            amount("pension_yuan", |h| h.pension_yuan),
            amount("wage_yuan", |h| h.wage_yuan),
            amount("support_yuan", |h| h.support_yuan),
            amount("income_yuan", |h| h.income_yuan),
            amount("per_capita_yuan", |h| h.per_capita_yuan),
            number(
                "standard_yuan",
                rows.iter().map(|h| standard(h).map(|s| s.yuan)),
            ),
            text(
                "standard_region",
                rows.iter()
                    .map(|h| standard(h).and_then(|s| s.region.as_ref())),
            ),
            date(
                "standard_from",
                rows.iter().map(|h| standard(h).and_then(|s| s.from)),
            ),
            number("entitlement_yuan", rows.iter().map(|h| h.entitlement_yuan)),
            amount("paid_yuan", |h| h.paid_yuan),
            text("action", rows.iter().map(|h| h.action.map(Action::code))),
            text("tier", rows.iter().map(|h| h.tier.map(Tier::code))),
        ])
    }
}
