//! One synthetic row, compact: one allocation holding, per cell, the column (a byte naming
//! a contract column) and where its text ends, then the cells' text. Issue 32: a province's roll and
//! registries are millions of rows, and a `BTreeMap` of owned strings per row took about
//! three times the room of its text.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::Source;

/// Every column a synthetic row may have: the contract's columns of each source and of the
/// early-warning registries, each once, with their numbers.
struct Columns {
    names: Vec<&'static str>,
    numbers: HashMap<&'static str, u8>,
}

fn columns() -> &'static Columns {
    static COLUMNS: OnceLock<Columns> = OnceLock::new();
    COLUMNS.get_or_init(|| {
        let specs = Source::ALL
            .iter()
            .flat_map(|s| crate::ingest::schema::columns(*s))
            .chain(super::SignalRegistry::ALL.iter().flat_map(|r| r.columns()));
        let mut columns = Columns {
            names: Vec::new(),
            numbers: HashMap::new(),
        };
        for spec in specs {
            if !columns.numbers.contains_key(spec.name) {
                let number = u8::try_from(columns.names.len()).expect("under 256 columns");
                columns.numbers.insert(spec.name, number);
                columns.names.push(spec.name);
            }
        }
        columns
    })
}

/// A column's number, `None` for a name no source has.
fn number(name: &str) -> Option<u8> {
    columns().numbers.get(name).copied()
}

/// One row: contract column name → cell text, in the order the cells were set. One
/// allocation: the number of cells, then per cell its column's number and where its text
/// ends (2 bytes, little-endian), then the cells' text.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Row {
    bytes: Box<[u8]>,
}

/// Bytes per cell in a row's header.
const CELL: usize = 3;

impl Row {
    fn len(&self) -> usize {
        self.bytes.first().map_or(0, |n| usize::from(*n))
    }

    /// Cell `i`'s column number and the end of its text (from the text's start).
    fn cell(&self, i: usize) -> (u8, usize) {
        let at = 1 + i * CELL;
        let end = u16::from_le_bytes([self.bytes[at + 1], self.bytes[at + 2]]);
        (self.bytes[at], usize::from(end))
    }

    fn text(&self, i: usize) -> &str {
        let base = 1 + self.len() * CELL;
        let start = if i == 0 { 0 } else { self.cell(i - 1).1 };
        let bytes = &self.bytes[base + start..base + self.cell(i).1];
        // Every cell was a `str`, and cells are cut where they were joined.
        std::str::from_utf8(bytes).expect("a cell is UTF-8")
    }

    fn position(&self, name: &str) -> Option<usize> {
        let number = number(name)?;
        (0..self.len()).find(|&i| self.cell(i).0 == number)
    }

    /// The cell of column `name`, if the row has one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.text(i))
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// The row's cells, in the order they were set.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let names = &columns().names;
        (0..self.len()).map(|i| (names[usize::from(self.cell(i).0)], self.text(i)))
    }

    /// Sets column `name` to `value` (rebuilds the row: for the few cells changed after a
    /// row is made).
    pub fn insert(&mut self, name: &'static str, value: String) {
        let mut cells: Vec<(&'static str, String)> =
            self.iter().map(|(k, v)| (k, v.to_string())).collect();
        match cells.iter_mut().find(|(k, _)| *k == name) {
            Some(cell) => cell.1 = value,
            None => cells.push((name, value)),
        }
        *self = cells.into_iter().collect();
    }
}

impl<S: AsRef<str>> FromIterator<(&'static str, S)> for Row {
    fn from_iter<I: IntoIterator<Item = (&'static str, S)>>(cells: I) -> Self {
        let mut kept: Vec<(u8, S)> = Vec::new();
        for (name, value) in cells {
            let column = number(name).unwrap_or_else(|| panic!("no source has a column {name}"));
            // A column set twice keeps the last value, as a map would.
            kept.retain(|(c, _)| *c != column);
            kept.push((column, value));
        }
        let text: usize = kept.iter().map(|(_, v)| v.as_ref().len()).sum();
        let mut bytes = Vec::with_capacity(1 + kept.len() * CELL + text);
        bytes.push(u8::try_from(kept.len()).expect("under 256 cells"));
        let mut end = 0;
        for (column, value) in &kept {
            end += value.as_ref().len();
            let end = u16::try_from(end).expect("a row under 64 KB");
            bytes.push(*column);
            bytes.extend_from_slice(&end.to_le_bytes());
        }
        for (_, value) in &kept {
            bytes.extend_from_slice(value.as_ref().as_bytes());
        }
        Row {
            bytes: bytes.into_boxed_slice(),
        }
    }
}

impl std::ops::Index<&str> for Row {
    type Output = str;

    fn index(&self, name: &str) -> &str {
        self.get(name)
            .unwrap_or_else(|| panic!("the row has no column {name}"))
    }
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::schema::col;

    #[test]
    fn a_row_gives_back_each_cell_and_the_last_value_set() {
        let mut row: Row = [
            (col::NAME, "张三"),
            (col::ID_NUMBER, ""),
            (col::RECORD_ID, "D-1"),
        ]
        .into_iter()
        .collect();
        assert_eq!(row.get(col::NAME), Some("张三"));
        assert_eq!(row.get(col::ID_NUMBER), Some(""));
        assert_eq!(&row[col::RECORD_ID], "D-1");
        assert_eq!(row.get(col::ADDRESS), None);
        assert!(!row.contains_key(col::ADDRESS));
        row.insert(col::ADDRESS, "108乡2村".into());
        row.insert(col::NAME, "李四".into());
        assert_eq!(row.get(col::NAME), Some("李四"));
        assert_eq!(row.get(col::ADDRESS), Some("108乡2村"));
        assert_eq!(row.get(col::RECORD_ID), Some("D-1"));
        let twice: Row = [(col::NAME, "a"), (col::RECORD_ID, "b"), (col::NAME, "c")]
            .into_iter()
            .collect();
        assert_eq!(twice.get(col::NAME), Some("c"));
        assert_eq!(twice.get(col::RECORD_ID), Some("b"));
    }
}
