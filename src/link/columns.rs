//! The compared columns of `rollcheck link`, dictionary-encoded: each distinct value of both
//! tables is folded once, and each row holds a code into the distinct folded values. Two
//! tables of a million people hold about 540,000 distinct names and 26,000 birth dates, so
//! folding, date parsing and name readings run once per value instead of once per row, and
//! blocking, exact comparison and term frequencies work on integer codes.

use std::collections::HashMap;
use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use rayon::prelude::*;

use crate::config::ComparisonKind;
use crate::normalize::{comparable_id, name::match_key, nfkc};

/// The code of a blank cell (or of a value that folds to nothing).
pub const MISSING: u32 = u32::MAX;

/// One compared column of both tables.
pub struct EncodedColumn {
    /// The distinct folded values, each once, in `intern`'s order (shard by shard).
    pub values: Vec<String>,
    /// Per left row, its folded value's index in `values`, or `MISSING`.
    pub left: Vec<u32>,
    /// Per right row, likewise.
    pub right: Vec<u32>,
}

impl EncodedColumn {
    /// Encodes a column of each table, folded as `kind` needs (see `fold`).
    pub fn encode(
        kind: ComparisonKind,
        left: &[Option<&str>],
        right: &[Option<&str>],
    ) -> EncodedColumn {
        let fold_all = |values: &[Option<&str>]| -> Vec<Option<String>> {
            values
                .par_iter()
                .map(|v| v.and_then(|v| fold(kind, v)))
                .collect()
        };
        if kind == ComparisonKind::IdNumber {
            // ID numbers hardly repeat: fold every row, then find the distinct ones.
            let (left, right) = (fold_all(left), fold_all(right));
            let (values, [left, right]) = intern([&as_refs(&left), &as_refs(&right)]);
            return EncodedColumn {
                values,
                left,
                right,
            };
        }
        // Other values repeat (two million names hold about 540,000 distinct ones): fold
        // each distinct raw value once.
        let (raw_values, [raw_left, raw_right]) = intern([left, right]);
        let raw_values: Vec<Option<&str>> = raw_values.iter().map(|v| Some(v.as_str())).collect();
        let folded = fold_all(&raw_values);
        // Values that fold alike (陳大文 and 陈大文) share one code.
        let (values, [folded_codes]) = intern([&as_refs(&folded)]);
        let recode = |codes: &[u32]| -> Vec<u32> {
            codes.par_iter().map(|&c| remap(c, &folded_codes)).collect()
        };
        EncodedColumn {
            values,
            left: recode(&raw_left),
            right: recode(&raw_right),
        }
    }
}

/// A code looked up in a table of new codes; `MISSING` stays missing.
fn remap(code: u32, table: &[u32]) -> u32 {
    if code == MISSING {
        MISSING
    } else {
        table[code as usize]
    }
}

fn as_refs(values: &[Option<String>]) -> Vec<Option<&str>> {
    values.iter().map(Option::as_deref).collect()
}

/// Values are spread over this many shards by a hash, and interned shard by shard.
const SHARDS: usize = 64;
/// Values sampled to tell whether a column's values repeat.
const SAMPLE: usize = 1024;
/// Rows per chunk of a column in the first pass.
const CHUNK_ROWS: usize = 1 << 15;

/// One chunk of a column, interned on its own.
struct Chunk {
    /// Per row, its value's index among the chunk's values, or `MISSING`.
    local: Vec<u32>,
    /// Per value of the chunk, its shard.
    shard_of: Vec<u8>,
    /// Per shard, the chunk's values in it, in order of first appearance: each distinct
    /// value once, or every row's value when the chunk skipped its own map.
    parts: Vec<Part>,
}

/// Values end to end in one buffer.
#[derive(Default)]
struct Part {
    text: String,
    ends: Vec<usize>,
}

impl Part {
    fn push(&mut self, value: &str) {
        self.text.push_str(value);
        self.ends.push(self.text.len());
    }

    fn values(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, end)| &self.text[start..*end])
    }
}

/// Codes for the distinct strings of several columns together: the distinct strings, and per
/// column each row's code into them (`MISSING` for a blank).
///
/// Two levels, so that both cores work and memory is read in order: chunks of rows are
/// interned on their own in parallel, each with a small map, and copy their distinct values
/// out by shard (a hash of the value); each shard, a small table in cache, is then interned
/// on its own in parallel; and each chunk reads its codes back in order. A column of 153
/// counties costs one small map per chunk; a column of IDs, all distinct, costs two passes
/// that stay in cache instead of one that misses it. Codes are numbered shard by shard, in
/// order of first appearance within a shard: the same for any number of threads.
///
/// # Panics
/// With 2³² - 1 rows or more in all (far beyond a province).
fn intern<const N: usize>(columns: [&[Option<&str>]; N]) -> (Vec<String>, [Vec<u32>; N]) {
    let total: usize = columns.iter().map(|c| c.len()).sum();
    assert!(
        u32::try_from(total).is_ok_and(|t| t < MISSING),
        "fewer than 2^32 - 1 rows"
    );
    let state = FixedState::with_seed(0x5EED);
    let chunks: Vec<Chunk> = columns
        .iter()
        .flat_map(|column| column.chunks(CHUNK_ROWS))
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|rows| Chunk::intern(rows, &state))
        .collect();
    let shards: Vec<Shard> = (0..SHARDS)
        .into_par_iter()
        .map(|shard| Shard::intern(shard, &chunks, &state))
        .collect();
    let offsets = shard_offsets(&shards);
    let chunk_codes: Vec<Vec<u32>> = chunks
        .par_iter()
        .enumerate()
        .map(|(c, chunk)| chunk.codes(c, &shards, &offsets))
        .collect();
    let mut chunk_codes = chunk_codes.into_iter();
    let codes = columns.map(|column| {
        chunk_codes
            .by_ref()
            .take(column.len().div_ceil(CHUNK_ROWS))
            .flatten()
            .collect()
    });
    let values = shards.into_iter().flat_map(|shard| shard.values).collect();
    (values, codes)
}

impl Chunk {
    /// The first pass over one chunk of rows: each value goes to its shard's part, once per
    /// distinct value if values repeat in the chunk, else once per row.
    fn intern(rows: &[Option<&str>], state: &FixedState) -> Chunk {
        let mut codes: HashMap<&str, u32, FixedState> = HashMap::with_hasher(state.clone());
        let mut parts: Vec<Part> = (0..SHARDS).map(|_| Part::default()).collect();
        let mut shard_of: Vec<u8> = Vec::new();
        let mut add = |value: &str| -> u32 {
            // The middle bits: a shard's own map indexes by the low bits and filters by
            // the top ones.
            #[allow(clippy::cast_possible_truncation)] // below SHARDS
            let shard = ((state.hash_one(value) >> 32) % SHARDS as u64) as u8;
            parts[shard as usize].push(value);
            shard_of.push(shard);
            #[allow(clippy::cast_possible_truncation)] // fewer values than rows
            let code = shard_of.len() as u32 - 1;
            code
        };
        // A chunk of values that hardly repeat (IDs) skips its own map.
        let repeats = values_repeat(&rows[..rows.len().min(SAMPLE)]);
        let local = rows
            .iter()
            .map(|value| match value {
                None => MISSING,
                Some(value) if repeats => *codes.entry(value).or_insert_with(|| add(value)),
                Some(value) => add(value),
            })
            .collect();
        Chunk {
            local,
            shard_of,
            parts,
        }
    }

    /// The last pass: each row of chunk number `c`, coded among all the values.
    fn codes(&self, c: usize, shards: &[Shard], offsets: &[u32]) -> Vec<u32> {
        let mut next = [0_usize; SHARDS];
        let global: Vec<u32> = self
            .shard_of
            .iter()
            .map(|&shard| {
                let shard = shard as usize;
                let code = shards[shard].per_chunk[c][next[shard]];
                next[shard] += 1;
                offsets[shard] + code
            })
            .collect();
        self.local
            .iter()
            .map(|&local| remap(local, &global))
            .collect()
    }
}

/// One shard of the values, interned over every chunk.
struct Shard {
    /// Its distinct values, in order of first appearance.
    values: Vec<String>,
    /// Per chunk, the codes among `values` of the chunk's part in this shard.
    per_chunk: Vec<Vec<u32>>,
}

impl Shard {
    /// The second pass: shard number `shard`'s parts of every chunk, interned together.
    fn intern(shard: usize, chunks: &[Chunk], state: &FixedState) -> Shard {
        let mut codes: HashMap<&str, u32, FixedState> = HashMap::with_hasher(state.clone());
        let mut values: Vec<&str> = Vec::new();
        let per_chunk = chunks
            .iter()
            .map(|chunk| {
                chunk.parts[shard]
                    .values()
                    .map(|value| {
                        #[allow(clippy::cast_possible_truncation)] // fewer values than rows
                        let next = values.len() as u32;
                        *codes.entry(value).or_insert_with(|| {
                            values.push(value);
                            next
                        })
                    })
                    .collect()
            })
            .collect();
        let values = values.into_iter().map(str::to_string).collect();
        Shard { values, per_chunk }
    }
}

/// Per shard, the code of its first value: codes are numbered shard by shard.
fn shard_offsets(shards: &[Shard]) -> Vec<u32> {
    shards
        .iter()
        .scan(0_u32, |offset, shard| {
            let first = *offset;
            #[allow(clippy::cast_possible_truncation)] // fewer values than rows
            let count = shard.values.len() as u32;
            *offset += count;
            Some(first)
        })
        .collect()
}

/// Whether at least a tenth of the present values in a sample repeat another.
fn values_repeat(sample: &[Option<&str>]) -> bool {
    let present: Vec<&str> = sample.iter().flatten().copied().collect();
    let distinct: std::collections::HashSet<&str, FixedState> = present.iter().copied().collect();
    distinct.len() * 10 <= present.len() * 9
}

/// A value folded as its comparison kind needs: the comparable ID for ID numbers, the match
/// key for names, else NFKC, trimmed and lower case; `None` when nothing is left. Blocking
/// and term frequencies use these values, and equal values are a comparison's first level.
pub fn fold(kind: ComparisonKind, value: &str) -> Option<String> {
    let folded = match kind {
        ComparisonKind::IdNumber => comparable_id(value)?,
        ComparisonKind::MaskedId => comparable_id(value).or_else(|| {
            crate::normalize::normalize_id(Some(value))
                .masked()
                .map(str::to_string)
        })?,
        ComparisonKind::Name => match_key(value),
        _ => nfkc(value).trim().to_lowercase(),
    };
    (!folded.is_empty()).then_some(folded)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{intern, EncodedColumn, CHUNK_ROWS, MISSING};
    use crate::config::ComparisonKind;

    proptest! {
        /// Whatever the values: a row's code leads back to its value, and equal values share
        /// a code.
        #[test]
        fn codes_lead_back_to_their_values(
            left in proptest::collection::vec(proptest::option::of("[a-c]{0,2}"), 0..200),
            right in proptest::collection::vec(proptest::option::of("[a-c]{0,2}|[0-9]{6}"), 0..200),
        ) {
            let (left, right): (Vec<Option<&str>>, Vec<Option<&str>>) = (
                left.iter().map(Option::as_deref).collect(),
                right.iter().map(Option::as_deref).collect(),
            );
            let (values, [left_codes, right_codes]) = intern([&left, &right]);
            for (value, code) in left.iter().zip(&left_codes).chain(right.iter().zip(&right_codes)) {
                match value {
                    None => prop_assert_eq!(*code, MISSING),
                    Some(value) => prop_assert_eq!(values[*code as usize].as_str(), *value),
                }
            }
            let mut distinct = values.clone();
            distinct.sort();
            distinct.dedup();
            prop_assert_eq!(distinct.len(), values.len());
        }
    }

    #[test]
    fn codes_hold_across_chunks() {
        // Three chunks of values whose samples (a chunk's first rows) do not repeat, so every
        // chunk skips its own map, though values repeat within and across chunks.
        let ids: Vec<String> = (0..CHUNK_ROWS * 3)
            .map(|i| format!("{:06}", i % 5000))
            .collect();
        let column: Vec<Option<&str>> = ids.iter().map(|v| Some(v.as_str())).collect();
        let (values, [codes]) = intern([&column]);
        assert_eq!(values.len(), 5000);
        assert!(codes
            .iter()
            .zip(&ids)
            .all(|(c, v)| values[*c as usize] == *v));
    }

    #[test]
    fn values_that_fold_alike_share_a_code() {
        let column = EncodedColumn::encode(
            ComparisonKind::Name,
            &[Some("陈大文"), None, Some("李 小龙"), Some("陈大文")],
            &[Some("陳大文"), Some(" "), Some("王伟")],
        );
        let code = |value: &str| {
            u32::try_from(column.values.iter().position(|v| v == value).unwrap()).unwrap()
        };
        let mut values = column.values.clone();
        values.sort();
        assert_eq!(values, ["李小龙", "王伟", "陈大文"]);
        assert_eq!(
            column.left,
            [code("陈大文"), MISSING, code("李小龙"), code("陈大文")]
        );
        assert_eq!(column.right, [code("陈大文"), MISSING, code("王伟")]);
    }
}
