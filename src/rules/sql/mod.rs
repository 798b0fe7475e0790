//! Rules the pipeline declares in SQL (contract: "Local registries and rules as data"). A rule
//! is a polars SQL query over the tables of `tables.rs`, with `as_of()` standing for the as-of
//! date. Its rows (`household_id`, `member_id`, optional `record_id`, `evidence`) become
//! findings, which `rules::evaluate` groups into flags exactly as it groups a built-in rule's.
//! `check` runs every rule against empty tables of the right schema, so a broken rule is a
//! pipeline error before any data is read.

mod beyond_tables;
mod tables;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use polars::prelude::{DataFrame, DataType, IntoLazy, LazyFrame};
use polars::sql::SQLContext;

use super::{match_basis_zh, Context, Finding};
use crate::config::rules::sql::{MAX_ROWS_PER_MEMBER, MIN_MAX_ROWS};
use crate::config::rules::SqlRule;
use crate::config::Pipeline;
use crate::link::{Decision, Match};
use crate::model::Source;
pub(in crate::rules) use tables::Data;

/// A rule that cannot run, named by its key (`rules.<name>`): a pipeline error (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct RuleError {
    pub key: String,
    pub message: String,
}

/// The columns a rule returns: (name, required).
const RESULT_COLUMNS: [(&str, bool); 4] = [
    ("household_id", true),
    ("member_id", true),
    ("record_id", false),
    ("evidence", true),
];

/// The registries whose table some declared rule reads: a run holds every record of these
/// (a rule may count rows no member links to), and of the others only the linked records.
pub fn registries_read(pipeline: &Pipeline) -> Vec<Source> {
    let words: HashSet<String> = pipeline
        .rules
        .sql
        .iter()
        .flat_map(|rule| identifiers(&rule.sql))
        .collect();
    crate::ingest::registry_sources(pipeline)
        .filter(|source| words.contains(source.code()))
        .collect()
}

/// Runs every declared rule against empty tables with the run's schemas: a rule that does
/// not parse, names an unknown table or column, or returns the wrong columns is reported
/// here, before any data is read. Returns every broken rule.
pub fn check(pipeline: &Pipeline) -> Result<(), Vec<RuleError>> {
    let data = Data::Empty(pipeline);
    // The date only fills `as_of()`; the tables are empty.
    let as_of = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
    let mut tables = Tables::new(&data);
    let errors: Vec<RuleError> = pipeline
        .rules
        .sql
        .iter()
        .filter_map(|rule| {
            let result = tables
                .query(rule, as_of)
                .and_then(|frame| frame.collect().map_err(|e| fails(rule, &e)));
            result.and_then(|frame| result_columns(rule, &frame)).err()
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The tables the run's rules have asked for, built once each.
pub(super) struct Tables<'a> {
    data: &'a Data<'a>,
    built: HashMap<String, DataFrame>,
}

impl<'a> Tables<'a> {
    pub(super) fn new(data: &'a Data<'a>) -> Tables<'a> {
        Tables {
            data,
            built: HashMap::new(),
        }
    }

    /// The rule's query over the tables it names, with `as_of()` filled in.
    fn query(&mut self, rule: &SqlRule, as_of: NaiveDate) -> Result<LazyFrame, RuleError> {
        let sql = with_as_of(&rule.sql, as_of);
        let words = identifiers(&sql);
        let mut context = SQLContext::new();
        for name in self.data.table_names() {
            if !words.contains(&name) {
                continue;
            }
            if !self.built.contains_key(&name) {
                let started = std::time::Instant::now();
                let frame = self
                    .data
                    .table(&name)
                    .expect("table_names lists tables that exist")
                    .map_err(|message| RuleError {
                        key: rule.key(),
                        message: format!("cannot build table `{name}`: {message}"),
                    })?;
                tracing::debug!(table = %name, rows = frame.height(), seconds = started.elapsed().as_secs_f64(), "rule table built");
                self.built.insert(name.clone(), frame);
            }
            context.register(&name, self.built[&name].clone().lazy());
        }
        context.execute(&sql).map_err(|e| RuleError {
            key: rule.key(),
            message: format!(
                "{} (tables: {})",
                first_line(&e.to_string()),
                self.data.table_names().join(", ")
            ),
        })
    }
}

/// Runs the declared rules on the run's data, for `rules::evaluate`.
pub(super) struct SqlRules<'a> {
    context: &'a Context<'a>,
    /// Accepted matches by (`member_id`, `record_id`), for the evidence's match basis.
    matches: HashMap<(&'a str, &'a str), &'a Match>,
}

impl<'a> SqlRules<'a> {
    pub(super) fn new(context: &'a Context<'a>) -> SqlRules<'a> {
        let matches = context
            .links
            .matches
            .iter()
            .filter(|m| m.decision == Decision::Accepted)
            .map(|m| {
                let key = (
                    context.member(m.member_idx).member_id.as_str(),
                    context.record(m).record_id.as_str(),
                );
                (key, m)
            })
            .collect();
        SqlRules { context, matches }
    }

    /// One rule's findings; a rule that fails on the run's data, returns a household or
    /// member not on the roll, NULL evidence or too many rows is an error naming it.
    pub(super) fn findings(
        &self,
        tables: &mut Tables,
        rule: &SqlRule,
    ) -> Result<Vec<Finding>, RuleError> {
        let frame = self.run(tables, rule)?;
        self.check_row_count(rule, &frame)?;
        let rows = ResultRows::of(&frame);
        (0..frame.height())
            .map(|row| self.finding(rule, &rows, row))
            .collect()
    }

    /// The rule's result on the run's data, its contract columns as text.
    fn run(&self, tables: &mut Tables, rule: &SqlRule) -> Result<DataFrame, RuleError> {
        let started = std::time::Instant::now();
        let query = tables.query(rule, self.context.as_of)?;
        let built = started.elapsed().as_secs_f64();
        let frame = query.collect().map_err(|e| fails(rule, &e))?;
        tracing::debug!(rule = %rule.key(), tables_seconds = built, query_seconds = started.elapsed().as_secs_f64() - built, rows = frame.height(), "rule query ran");
        result_columns(rule, &frame)
    }

    /// More rows than `max_rows` (by default twice the roll's members) are an error: a
    /// join that lost a condition would otherwise flood the run.
    fn check_row_count(&self, rule: &SqlRule, frame: &DataFrame) -> Result<(), RuleError> {
        let members = self.context.ingested.roll.len();
        let max_rows = rule
            .max_rows
            .unwrap_or_else(|| (members * MAX_ROWS_PER_MEMBER).max(MIN_MAX_ROWS));
        if frame.height() > max_rows {
            return Err(RuleError {
                key: rule.key(),
                message: format!(
                    "returned {} rows, more than max_rows = {max_rows} (by default twice the roll's {members} members): a join is probably missing a condition; if the rows are right, raise `{}.max_rows`",
                    frame.height(),
                    rule.key()
                ),
            });
        }
        Ok(())
    }

    /// The finding of one result row, checked against the roll.
    fn finding(&self, rule: &SqlRule, rows: &ResultRows, row: usize) -> Result<Finding, RuleError> {
        let at = |problem: String| RuleError {
            key: rule.key(),
            message: format!("row {}: {problem}", row + 1),
        };
        let household_id = rows.households[row]
            .clone()
            .ok_or_else(|| at("household_id is NULL".into()))?;
        let Some(household) = self.context.households.by_id.get(&household_id) else {
            return Err(at(format!(
                "household `{household_id}` is not on the roll (a rule flags roll households: take household_id from `members` or `households`)"
            )));
        };
        let evidence = rows.evidence[row].clone().filter(|e| !e.trim().is_empty()).ok_or_else(|| {
            at(format!(
                "evidence for household `{household_id}` is NULL or blank (a NULL anywhere in `||` makes the whole text NULL: wrap optional columns in COALESCE(x, ''))"
            ))
        })?;
        let member_id = rows.members[row].clone();
        if let Some(member_id) = &member_id {
            let on_roll = household
                .member_idxs
                .iter()
                .any(|i| self.context.member(*i).member_id == *member_id);
            if !on_roll {
                return Err(at(format!(
                    "member `{member_id}` is not a member of household `{household_id}` on the roll"
                )));
            }
        }
        let record_id = rows.records[row].clone();
        let (evidence, score) =
            self.with_match_basis(evidence, member_id.as_deref(), record_id.as_deref());
        Ok(Finding {
            household_id,
            member_ids: member_id.into_iter().collect(),
            record_ids: record_id.into_iter().collect(),
            evidence,
            score,
            since: None,
        })
    }

    /// A finding resting on a match says why the record is this member, as a built-in
    /// rule's does, and is as sure as that match; any other is sure.
    fn with_match_basis(
        &self,
        evidence: String,
        member_id: Option<&str>,
        record_id: Option<&str>,
    ) -> (String, f64) {
        let matched = match (member_id, record_id) {
            (Some(member), Some(record)) => self.matches.get(&(member, record)).copied(),
            _ => None,
        };
        let Some(m) = matched else {
            return (evidence, 1.0);
        };
        let basis = match_basis_zh(
            super::Whom::Member(&self.context.member(m.member_idx).name),
            m,
            self.context.record(m),
        );
        let evidence = match basis {
            Some(basis) => format!("{evidence}（{basis}）"),
            None => evidence,
        };
        (evidence, m.score)
    }
}

/// A rule's result columns, one text cell per row (`None` for NULL or a missing column).
struct ResultRows {
    households: Vec<Option<String>>,
    members: Vec<Option<String>>,
    records: Vec<Option<String>>,
    evidence: Vec<Option<String>>,
}

impl ResultRows {
    fn of(frame: &DataFrame) -> ResultRows {
        let text = |name: &str| -> Vec<Option<String>> {
            frame.column(name).map_or_else(
                |_| vec![None; frame.height()],
                |c| {
                    c.str().map_or_else(
                        |_| vec![None; frame.height()],
                        |s| s.iter().map(|v| v.map(str::to_string)).collect(),
                    )
                },
            )
        };
        ResultRows {
            households: text("household_id"),
            members: text("member_id"),
            records: text("record_id"),
            evidence: text("evidence"),
        }
    }
}

fn fails(rule: &SqlRule, err: &polars::prelude::PolarsError) -> RuleError {
    RuleError {
        key: rule.key(),
        message: format!("fails on the data: {}", first_line(&err.to_string())),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}

/// The result's contract columns, text: the wrong columns or types are an error naming them.
fn result_columns(rule: &SqlRule, frame: &DataFrame) -> Result<DataFrame, RuleError> {
    let wrong = |message: String| RuleError {
        key: rule.key(),
        message,
    };
    let expected = "a rule returns household_id, member_id, record_id (optional) and evidence";
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(ToString::to_string)
        .collect();
    for name in &names {
        if !RESULT_COLUMNS.iter().any(|(c, _)| c == name) {
            return Err(wrong(format!(
                "returns column `{name}`: {expected} (name them with AS)"
            )));
        }
    }
    let mut columns = Vec::new();
    for (name, required) in RESULT_COLUMNS {
        let Ok(column) = frame.column(name) else {
            if required {
                return Err(wrong(format!(
                    "does not return column `{name}` ({expected}; it returns {})",
                    names.join(", ")
                )));
            }
            continue;
        };
        let column = match column.dtype() {
            DataType::String => column.clone(),
            DataType::Null => column
                .cast(&DataType::String)
                .map_err(|e| wrong(e.to_string()))?,
            other => {
                return Err(wrong(format!(
                    "column `{name}` is {other}, not text: CAST({name} AS VARCHAR)"
                )))
            }
        };
        columns.push(column);
    }
    DataFrame::new_infer_height(columns).map_err(|e| wrong(e.to_string()))
}

/// The SQL with every `as_of()` outside quotes replaced by the date, as a SQL date.
fn with_as_of(sql: &str, as_of: NaiveDate) -> String {
    let literal = format!("DATE '{}'", as_of.format("%Y-%m-%d"));
    let mut out = String::with_capacity(sql.len() + 32);
    let mut chars = sql.char_indices().peekable();
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    while let Some((at, c)) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            previous = c;
            continue;
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
            out.push(c);
            previous = c;
            continue;
        }
        let starts_word = !(previous.is_alphanumeric() || previous == '_');
        let name = sql.get(at..at + 5);
        if starts_word && name.is_some_and(|name| name.eq_ignore_ascii_case("as_of")) {
            let rest = &sql[at + 5..];
            let after_name = rest.trim_start();
            if let Some(inside) = after_name.strip_prefix('(') {
                if let Some(after) = inside.trim_start().strip_prefix(')') {
                    out.push_str(&literal);
                    let consumed = sql.len() - after.len() - at;
                    // Skip the characters just replaced.
                    while chars.peek().is_some_and(|(i, _)| *i < at + consumed) {
                        chars.next();
                    }
                    previous = ')';
                    continue;
                }
            }
        }
        out.push(c);
        previous = c;
    }
    out
}

/// The lower-cased words of the SQL outside string literals: which tables it may name.
fn identifiers(sql: &str) -> HashSet<String> {
    let mut words = HashSet::new();
    let mut word = String::new();
    let mut in_string = false;
    for c in sql.chars() {
        if in_string {
            in_string = c != '\'';
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            word.extend(c.to_lowercase());
            continue;
        }
        if !word.is_empty() {
            words.insert(std::mem::take(&mut word));
        }
        in_string = c == '\'';
    }
    if !word.is_empty() {
        words.insert(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_is_replaced_outside_quotes_only() {
        let date = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
        assert_eq!(
            with_as_of(
                "WHERE d <= as_of() AND e > AS_OF ( ) AND x = 'as_of()'",
                date
            ),
            "WHERE d <= DATE '2025-06-30' AND e > DATE '2025-06-30' AND x = 'as_of()'"
        );
        assert_eq!(
            with_as_of("SELECT has_of() FROM t", date),
            "SELECT has_of() FROM t"
        );
    }

    proptest::proptest! {
        #[test]
        fn as_of_replacement_never_panics_and_keeps_other_text(sql in "\\PC{0,40}") {
            let date = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
            let out = with_as_of(&sql, date);
            if !sql.to_ascii_lowercase().contains("as_of") {
                proptest::prop_assert_eq!(out, sql);
            }
        }
    }

    #[test]
    fn identifiers_skip_string_literals() {
        let words = identifiers("SELECT m.x FROM Members m WHERE n = 'households'");
        assert!(words.contains("members"));
        assert!(!words.contains("households"));
    }

    #[test]
    fn polars_sql_reads_the_as_of_literal_as_a_date() {
        let frame =
            DataFrame::new_infer_height(vec![polars::prelude::Column::new("x".into(), [1i64])])
                .unwrap();
        let mut context = SQLContext::new();
        context.register("t", frame.lazy());
        let date = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
        let out = context
            .execute(&with_as_of("SELECT as_of() AS d FROM t", date))
            .unwrap()
            .collect()
            .unwrap();
        assert_eq!(out.column("d").unwrap().dtype(), &DataType::Date);
    }
}
