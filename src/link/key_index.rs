//! A hash index from u64 keys to the rows holding them, for the exact-ID join and blocking.
//!
//! The map holds, per key, the first and last entry and a count; entries are chained by a
//! `next` link. Building it allocates nothing per key, rows sharing a key come back in the
//! order they were added, and a block's size is one lookup. Keys are ID numbers or 64-bit
//! hashes, already spread, so a multiplicative hash (as in rustc's `FxHash`) places them as
//! well as `SipHash` does at a fraction of the cost.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes a u64 by one xor-multiply.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }
    fn write_u64(&mut self, key: u64) {
        self.0 = (self.0.rotate_left(5) ^ key).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

const END: u32 = u32::MAX;

/// First entry, last entry and number of entries of one key.
#[derive(Clone, Copy)]
struct Chain {
    first: u32,
    last: u32,
    len: u32,
}

/// Rows by key.
pub struct KeyIndex {
    chains: HashMap<u64, Chain, BuildHasherDefault<KeyHasher>>,
    /// Per entry: its row and the next entry of the same key (or `END`).
    entries: Vec<(u32, u32)>,
}

impl KeyIndex {
    /// Indexes one key per row; rows without a key are left out.
    pub fn new(keys: impl ExactSizeIterator<Item = Option<u64>>) -> KeyIndex {
        let capacity = keys.len();
        KeyIndex::from_entries(
            keys.enumerate().filter_map(|(row, key)| Some((row, key?))),
            capacity,
        )
    }

    /// Indexes (row, key) entries; a row may hold several keys.
    ///
    /// # Panics
    /// With 2³² entries or more (far beyond a province).
    pub fn from_entries(entries: impl Iterator<Item = (usize, u64)>, capacity: usize) -> KeyIndex {
        let mut index = KeyIndex {
            chains: HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
            entries: Vec::with_capacity(capacity),
        };
        for (row, key) in entries {
            let entry = u32::try_from(index.entries.len()).expect("fewer than 2^32 entries");
            let row = u32::try_from(row).expect("fewer than 2^32 rows");
            index.entries.push((row, END));
            let entries = &mut index.entries;
            index
                .chains
                .entry(key)
                .and_modify(|chain| {
                    entries[chain.last as usize].1 = entry;
                    chain.last = entry;
                    chain.len += 1;
                })
                .or_insert(Chain {
                    first: entry,
                    last: entry,
                    len: 1,
                });
        }
        index
    }

    /// How many entries hold `key`.
    pub fn len_of(&self, key: u64) -> usize {
        self.chains.get(&key).map_or(0, |chain| chain.len as usize)
    }

    /// The rows holding `key`, in the order they were added.
    pub fn rows(&self, key: u64) -> impl Iterator<Item = usize> + '_ {
        self.rows_from(self.chains.get(&key).map_or(END, |chain| chain.first))
    }

    fn rows_from(&self, first: u32) -> impl Iterator<Item = usize> + '_ {
        let mut entry = first;
        std::iter::from_fn(move || {
            (entry != END).then(|| {
                let (row, next) = self.entries[entry as usize];
                entry = next;
                row as usize
            })
        })
    }

    /// Every group of two or more rows sharing a key, ordered by their rows.
    pub fn groups(&self) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = self
            .chains
            .values()
            .filter(|chain| chain.len > 1)
            .map(|chain| self.rows_from(chain.first).collect())
            .collect();
        groups.sort_unstable();
        groups
    }

    /// Every (probe row, indexed row) pair sharing a key, in probe order, then row order.
    pub fn join(&self, probe: impl Iterator<Item = Option<u64>>) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for (probe_row, key) in probe.enumerate() {
            if let Some(key) = key {
                pairs.extend(self.rows(key).map(|row| (probe_row, row)));
            }
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::KeyIndex;

    #[test]
    fn join_keeps_probe_then_row_order_and_skips_missing_keys() {
        let index = KeyIndex::new([Some(7), None, Some(3), Some(7), Some(7)].into_iter());
        assert_eq!(index.rows(7).collect::<Vec<_>>(), [0, 3, 4]);
        assert_eq!((index.len_of(7), index.len_of(5)), (3, 0));
        assert_eq!(index.rows(5).count(), 0);
        let pairs = index.join([Some(3), None, Some(7), Some(9)].into_iter());
        assert_eq!(pairs, [(0, 2), (2, 0), (2, 3), (2, 4)]);
        assert_eq!(index.groups(), [vec![0, 3, 4]]);
    }

    #[test]
    fn a_row_may_hold_several_keys() {
        let index = KeyIndex::from_entries([(0, 1), (0, 2), (1, 2), (2, 1)].into_iter(), 4);
        assert_eq!(index.rows(1).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(index.rows(2).collect::<Vec<_>>(), [0, 1]);
    }
}
