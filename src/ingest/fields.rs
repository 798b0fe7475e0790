//! Reading typed values out of a raw row. A value that cannot be read becomes a
//! `RowProblem` naming the column; the caller sends the row to quarantine.

use chrono::{Days, NaiveDate};

use super::table::{format_number, Cell, RawRow};
use crate::model::parse_date;

/// Why a row cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub column: Option<&'static str>,
    pub problem: String,
}

impl RowProblem {
    pub fn at(column: &'static str, problem: String) -> Self {
        RowProblem {
            column: Some(column),
            problem,
        }
    }

    /// A problem of the whole row, no one column at fault.
    pub fn of_row(problem: String) -> Self {
        RowProblem {
            column: None,
            problem,
        }
    }
}

/// A spreadsheet error value (`#REF!`) where a value was expected.
fn error_value(column: &'static str, err: &str) -> RowProblem {
    RowProblem::at(column, format!("cell holds an error value {err}"))
}

/// Largest monthly amount or capital we accept; beyond is a keying error, not money.
const ABSURD_YUAN: f64 = 1e12;

/// A row plus the position of each contract column in it.
pub struct Fields<'a> {
    pub row: &'a RawRow,
    /// Contract column name → cell index.
    pub index: &'a [(&'static str, usize)],
    /// Generated record ids start with this (`<source>` or `<source>:<file>`).
    pub id_prefix: &'a str,
}

impl Fields<'_> {
    fn cell(&self, column: &'static str) -> &Cell {
        self.index
            .iter()
            .find(|(name, _)| *name == column)
            .and_then(|(_, i)| self.row.cells.get(*i))
            .unwrap_or(&Cell::Empty)
    }

    /// Trimmed text; `None` when blank.
    pub fn text(&self, column: &'static str) -> Result<Option<String>, RowProblem> {
        match self.cell(column) {
            Cell::Empty => Ok(None),
            Cell::Text(text) => {
                let text = text.trim();
                Ok((!text.is_empty()).then(|| text.to_string()))
            }
            Cell::Number(number) => Ok(Some(format_number(*number))),
            Cell::Date(date) => Ok(Some(date.format("%Y-%m-%d").to_string())),
            Cell::Error(err) => Err(error_value(column, err)),
        }
    }

    pub fn required_text(&self, column: &'static str) -> Result<String, RowProblem> {
        self.text(column)?
            .ok_or_else(|| RowProblem::at(column, "missing required value".into()))
    }

    /// An ID cell as text. A spreadsheet number keeps Excel's lossy display (`4.11526E+17`),
    /// which normalisation then reports as an Excel number rather than a repaired ID.
    pub fn id_text(&self, column: &'static str) -> Result<Option<String>, RowProblem> {
        self.text(column)
    }

    pub fn date(&self, column: &'static str) -> Result<Option<NaiveDate>, RowProblem> {
        match self.cell(column) {
            Cell::Empty => Ok(None),
            Cell::Date(date) => Ok(Some(*date)),
            Cell::Number(serial) => excel_serial_date(*serial)
                .map(Some)
                .ok_or_else(|| RowProblem::at(column, format!("not a date: {serial}"))),
            Cell::Text(text) if text.trim().is_empty() => Ok(None),
            Cell::Text(text) => parse_date(text).map(Some).ok_or_else(|| {
                RowProblem::at(
                    column,
                    format!("not a date (expected YYYY-MM-DD): `{}`", text.trim()),
                )
            }),
            Cell::Error(err) => Err(error_value(column, err)),
        }
    }

    pub fn required_date(&self, column: &'static str) -> Result<NaiveDate, RowProblem> {
        self.date(column)?
            .ok_or_else(|| RowProblem::at(column, "missing required date".into()))
    }

    /// Yuan: `1,200.50`, `¥1200`, `1200元`; negative or absurd values are problems.
    pub fn money(&self, column: &'static str) -> Result<Option<f64>, RowProblem> {
        let Some(text) = self.text(column)? else {
            return Ok(None);
        };
        let cleaned: String = text
            .chars()
            .filter(|c| !matches!(c, ',' | '¥' | '￥' | '元' | ' '))
            .collect();
        let amount: f64 = cleaned
            .parse()
            .map_err(|_| RowProblem::at(column, format!("not an amount: `{text}`")))?;
        if !amount.is_finite() || amount < 0.0 {
            return Err(RowProblem::at(
                column,
                format!("negative or invalid amount: `{text}`"),
            ));
        }
        if amount > ABSURD_YUAN {
            return Err(RowProblem::at(
                column,
                format!("implausible amount: `{text}`"),
            ));
        }
        Ok(Some(amount))
    }

    /// A plain number (`1,234.5`); not finite is a problem.
    pub fn number(&self, column: &'static str) -> Result<Option<f64>, RowProblem> {
        let Some(text) = self.text(column)? else {
            return Ok(None);
        };
        let cleaned: String = text.chars().filter(|c| !matches!(c, ',' | ' ')).collect();
        match cleaned.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Some(value)),
            _ => Err(RowProblem::at(column, format!("not a number: `{text}`"))),
        }
    }

    /// A count of persons: a whole number ≥ 1 (`3`, `3.0`, `3人`); blank is `None`.
    pub fn household_size(&self, column: &'static str) -> Result<Option<u32>, RowProblem> {
        let Some(text) = self.text(column)? else {
            return Ok(None);
        };
        let cleaned = text.trim_end_matches('人').trim();
        match cleaned.parse::<f64>() {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(n) if n.fract() == 0.0 && (1.0..=100.0).contains(&n) => Ok(Some(n as u32)),
            _ => Err(RowProblem::at(
                column,
                format!("not a household size (a whole number from 1): `{text}`"),
            )),
        }
    }

    pub fn required_money(&self, column: &'static str) -> Result<f64, RowProblem> {
        self.money(column)?
            .ok_or_else(|| RowProblem::at(column, "missing required amount".into()))
    }

    /// An enum value; blank is `None`, an unknown value is a problem listing the accepted codes.
    pub fn choice<T>(
        &self,
        column: &'static str,
        parse: fn(&str) -> Option<T>,
        codes: fn() -> String,
    ) -> Result<Option<T>, RowProblem> {
        let Some(text) = self.text(column)? else {
            return Ok(None);
        };
        parse(&text).map(Some).ok_or_else(|| {
            RowProblem::at(
                column,
                format!("unknown value `{text}` (expected one of {})", codes()),
            )
        })
    }

    pub fn required_choice<T>(
        &self,
        column: &'static str,
        parse: fn(&str) -> Option<T>,
        codes: fn() -> String,
    ) -> Result<T, RowProblem> {
        self.choice(column, parse, codes)?
            .ok_or_else(|| RowProblem::at(column, "missing required value".into()))
    }
}

/// An Excel serial day number (1900 date system) as a date.
fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) || serial.fract() != 0.0 {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    // Range-checked above: a positive whole number below three million.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    epoch.checked_add_days(Days::new(serial as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_contract_date_forms() {
        let expected = NaiveDate::from_ymd_opt(2025, 3, 2);
        for text in [
            "2025-03-02",
            "2025/03/02",
            "20250302",
            "2025.3.2",
            "2025年3月2日",
            "2025-03-02 00:00:00",
        ] {
            assert_eq!(parse_date(text), expected, "{text}");
        }
    }

    #[test]
    fn rejects_impossible_and_ambiguous_dates() {
        for text in [
            "2025-02-30",
            "02/03/2025",
            "2025-13-01",
            "25-03-02",
            "yesterday",
            "2025-03-02-01",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }

    #[test]
    fn excel_serials_count_from_1899_12_30() {
        assert_eq!(
            excel_serial_date(45_658.0),
            NaiveDate::from_ymd_opt(2025, 1, 1)
        );
        assert_eq!(excel_serial_date(-3.0), None);
    }

    proptest! {
        #[test]
        fn every_real_date_round_trips(days in 0u64..80_000) {
            let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + Days::new(days);
            prop_assert_eq!(parse_date(&date.format("%Y-%m-%d").to_string()), Some(date));
            prop_assert_eq!(parse_date(&date.format("%Y%m%d").to_string()), Some(date));
        }

        #[test]
        fn never_panics(text in "\\PC{0,20}") {
            let _ = parse_date(&text);
        }
    }
}
