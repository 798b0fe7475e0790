//! `income.parquet` and `supporters.parquet`: every household's income at D with the
//! entitlement it implies, and each supporter behind it (contract v3, "Supporters").
//! Amounts are yuan per month rounded to 0.01; supporters appear masked, as members do in
//! the workbooks.

use std::path::Path;

use polars::prelude::Column;

use super::tables::{optional_date_column, write_parquet};
use super::OutputError;
use crate::rules::income::{cents, HouseholdIncome, Incomes, SupporterRow};

fn texts<T>(rows: &[T], f: impl Fn(&T) -> String) -> Vec<String> {
    rows.iter().map(f).collect()
}

fn amounts<T>(name: &str, rows: &[T], f: impl Fn(&T) -> f64) -> Column {
    Column::new(
        name.into(),
        rows.iter().map(|r| cents(f(r))).collect::<Vec<f64>>(),
    )
}

fn optional_texts<T>(name: &str, rows: &[T], f: impl Fn(&T) -> Option<String>) -> Column {
    Column::new(
        name.into(),
        rows.iter().map(f).collect::<Vec<Option<String>>>(),
    )
}

/// One row per roll household, in household order.
pub fn write_income(path: &Path, incomes: &Incomes) -> Result<(), OutputError> {
    let rows: &[HouseholdIncome] = &incomes.households;
    let standard_from: Vec<Option<chrono::NaiveDate>> = rows
        .iter()
        .map(|h| h.standard.as_ref().and_then(|s| s.from))
        .collect();
    write_parquet(
        path,
        vec![
            Column::new(
                "household_id".into(),
                texts(rows, |h| h.household_id.clone()),
            ),
            Column::new(
                "programme".into(),
                texts(rows, |h| h.programme.code().to_string()),
            ),
            optional_texts("region_code", rows, |h| h.region_code.clone()),
            Column::new(
                "n_members".into(),
                rows.iter()
                    .map(|h| u32::try_from(h.n_members).unwrap_or(u32::MAX))
                    .collect::<Vec<u32>>(),
            ),
            amounts("pension_yuan", rows, |h| h.pension_yuan),
            amounts("wage_yuan", rows, |h| h.wage_yuan),
            amounts("support_yuan", rows, |h| h.support_yuan),
            amounts("income_yuan", rows, |h| h.income_yuan),
            amounts("per_capita_yuan", rows, |h| h.per_capita_yuan),
            Column::new(
                "standard_yuan".into(),
                rows.iter()
                    .map(|h| h.standard.as_ref().map(|s| s.yuan))
                    .collect::<Vec<Option<f64>>>(),
            ),
            optional_texts("standard_region", rows, |h| {
                h.standard.as_ref().and_then(|s| s.region.clone())
            }),
            optional_date_column("standard_from", &standard_from)
                .map_err(|e| OutputError::write(path, e))?,
            Column::new(
                "entitlement_yuan".into(),
                rows.iter()
                    .map(|h| h.entitlement_yuan)
                    .collect::<Vec<Option<f64>>>(),
            ),
            amounts("paid_yuan", rows, |h| h.paid_yuan),
            optional_texts("action", rows, |h| h.action.map(|a| a.code().to_string())),
            optional_texts("tier", rows, |h| h.tier.map(|t| t.code().to_string())),
        ],
    )
}

/// One row per (household, member, supporter).
pub fn write_supporters(path: &Path, incomes: &Incomes) -> Result<(), OutputError> {
    let rows: &[SupporterRow] = &incomes.supporters;
    write_parquet(
        path,
        vec![
            Column::new(
                "household_id".into(),
                texts(rows, |s| s.support.household_id.clone()),
            ),
            Column::new("member_id".into(), texts(rows, |s| s.member_id.clone())),
            Column::new(
                "supporter_id".into(),
                texts(rows, |s| s.supporter_id.clone()),
            ),
            Column::new(
                "relation".into(),
                texts(rows, |s| s.support.kinship.code().to_string()),
            ),
            Column::new("masked_id".into(), texts(rows, |s| s.masked_id.clone())),
            Column::new("name".into(), texts(rows, |s| s.name.clone())),
            Column::new(
                "household_size".into(),
                rows.iter()
                    .map(|s| s.support.household_size)
                    .collect::<Vec<u32>>(),
            ),
            amounts("income_yuan", rows, |s| s.income.total()),
            amounts("per_capita_yuan", rows, |s| s.per_capita_yuan),
            amounts("owed_yuan", rows, |s| s.owed_yuan),
            Column::new(
                "capacity".into(),
                texts(rows, |s| {
                    s.assets
                        .iter()
                        .map(|a| a.text.as_str())
                        .collect::<Vec<_>>()
                        .join("；")
                }),
            ),
            Column::new(
                "record_id".into(),
                texts(rows, |s| s.support.record_id.clone()),
            ),
        ],
    )
}
