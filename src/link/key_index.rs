//! An index from u64 keys to the rows holding them, for the exact-ID join and blocking.
//!
//! The roll's side holds one of these per blocking rule and one for valid IDs, so its bytes
//! per entry count: a hash map of chains took about 50 bytes per member (buckets sized for
//! every entry, under a load factor, at 24 bytes each). Here the entries are sorted by key
//! and held as two parallel arrays (8 + 4 bytes), and a directory of 4-byte offsets, about
//! one slot per two to four entries, finds the few entries a key's top bits select; a binary
//! search among those finds the key's run. About 13 bytes per entry, and rows sharing a key
//! come back in the order they were added (a stable sort), with a block's size one lookup.
//!
//! Keys are spread (`spread`, a bijection, so distinct keys stay distinct) before they are
//! sorted: ID numbers crowd into a few regions, and the directory wants them even.

use rayon::prelude::*;

/// The finaliser of `SplitMix64`: a bijection on u64 that spreads a key's bits over all 64.
pub(super) fn spread(mut key: u64) -> u64 {
    key = (key ^ (key >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    key = (key ^ (key >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    key ^ (key >> 31)
}

/// Rows by key.
pub struct KeyIndex {
    /// Each entry's spread key, ascending; entries sharing a key in the order they were added.
    keys: Vec<u64>,
    /// Each entry's row, parallel to `keys`.
    rows: Vec<u32>,
    /// `starts[slot]..starts[slot + 1]` are the entries whose spread key begins with `slot`'s
    /// bits (the top `64 - shift`).
    starts: Vec<u32>,
    shift: u32,
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

    /// Indexes (row, key) entries; a row may hold several keys. `capacity` is a hint.
    ///
    /// # Panics
    /// With 2³² entries or rows or more (far beyond a province).
    pub fn from_entries(entries: impl Iterator<Item = (usize, u64)>, capacity: usize) -> KeyIndex {
        let mut sorted: Vec<(u64, u32)> = Vec::with_capacity(capacity);
        sorted.extend(entries.map(|(row, key)| {
            let row = u32::try_from(row).expect("fewer than 2^32 rows");
            (spread(key), row)
        }));
        assert!(
            u32::try_from(sorted.len()).is_ok(),
            "fewer than 2^32 entries"
        );
        // Stable: rows sharing a key keep the order they were added in.
        sorted.par_sort_by_key(|&(key, _)| key);
        let slot_bits = (sorted.len() / 3)
            .max(2)
            .next_power_of_two()
            .trailing_zeros();
        let shift = 64 - slot_bits;
        let mut starts = Vec::with_capacity((1 << slot_bits) + 1);
        let mut entry = 0;
        for slot in 0..=(1u64 << slot_bits) {
            while entry < sorted.len() && (sorted[entry].0 >> shift) < slot {
                entry += 1;
            }
            starts.push(u32::try_from(entry).expect("fewer than 2^32 entries"));
        }
        let keys = sorted.iter().map(|&(key, _)| key).collect();
        let rows = sorted.iter().map(|&(_, row)| row).collect();
        KeyIndex {
            keys,
            rows,
            starts,
            shift,
        }
    }

    /// The entries holding `key`.
    fn range(&self, key: u64) -> std::ops::Range<usize> {
        let key = spread(key);
        let slot = usize::try_from(key >> self.shift).expect("slots fit in memory");
        let (first, last) = (self.starts[slot] as usize, self.starts[slot + 1] as usize);
        let within = &self.keys[first..last];
        let start = first + within.partition_point(|&k| k < key);
        let end = first + within.partition_point(|&k| k <= key);
        start..end
    }

    /// How many entries hold `key`.
    pub fn len_of(&self, key: u64) -> usize {
        self.range(key).len()
    }

    /// The rows holding `key`, in the order they were added.
    pub fn rows(&self, key: u64) -> impl Iterator<Item = usize> + '_ {
        self.rows[self.range(key)].iter().map(|&row| row as usize)
    }

    /// Every group of two or more rows sharing a key, ordered by their rows.
    pub fn groups(&self) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = self
            .keys
            .chunk_by(|a, b| a == b)
            .scan(0, |first, run| {
                let range = *first..*first + run.len();
                *first = range.end;
                Some(range)
            })
            .filter(|range| range.len() > 1)
            .map(|range| self.rows[range].iter().map(|&row| row as usize).collect())
            .collect();
        groups.sort_unstable();
        groups
    }

    /// Every (probe row, indexed row) pair sharing a key, in probe order, then row order.
    /// The probes' keys are `key_of` each; they are looked up in parallel chunks (a piece
    /// is half a million records, each lookup a few cache misses).
    pub fn join<T: Sync>(
        &self,
        probes: &[T],
        key_of: impl Fn(&T) -> Option<u64> + Sync,
    ) -> Vec<(usize, usize)> {
        const CHUNK: usize = 16_384;
        let found: Vec<Vec<(usize, usize)>> = probes
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(chunk_idx, chunk)| {
                let mut pairs = Vec::new();
                for (offset, probe) in chunk.iter().enumerate() {
                    if let Some(key) = key_of(probe) {
                        let probe_row = chunk_idx * CHUNK + offset;
                        pairs.extend(self.rows(key).map(|row| (probe_row, row)));
                    }
                }
                pairs
            })
            .collect();
        found.concat()
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
        let pairs = index.join(&[Some(3), None, Some(7), Some(9)], |&key| key);
        assert_eq!(pairs, [(0, 2), (2, 0), (2, 3), (2, 4)]);
        assert_eq!(index.groups(), [vec![0, 3, 4]]);
    }

    #[test]
    fn a_join_over_many_chunks_keeps_probe_order() {
        let index = KeyIndex::new((0..1000u32).map(|k| Some(u64::from(k % 300))));
        let probes: Vec<Option<u64>> = (0..50_000u64)
            .map(|i| (i % 7 != 0).then_some(i * 31 % 400))
            .collect();
        let expected: Vec<(usize, usize)> = probes
            .iter()
            .enumerate()
            .filter_map(|(probe, key)| Some((probe, (*key)?)))
            .flat_map(|(probe, key)| index.rows(key).map(move |row| (probe, row)))
            .collect();
        assert!(expected.len() > 100_000);
        assert_eq!(index.join(&probes, |&key| key), expected);
    }

    #[test]
    fn a_row_may_hold_several_keys() {
        let index = KeyIndex::from_entries([(0, 1), (0, 2), (1, 2), (2, 1)].into_iter(), 4);
        assert_eq!(index.rows(1).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(index.rows(2).collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn keys_far_apart_and_crowded_are_all_found() {
        // ID-like keys (crowded into one region) and keys at the ends of the range.
        let keys: Vec<u64> = (0..5000u64)
            .map(|i| 41_152_619_580_312_000 + i % 1700)
            .chain([0, u64::MAX, 1 << 63])
            .collect();
        let index = KeyIndex::new(keys.iter().map(|&k| Some(k)));
        for (row, &key) in keys.iter().enumerate() {
            let rows: Vec<usize> = index.rows(key).collect();
            let expected: Vec<usize> = (0..keys.len()).filter(|&r| keys[r] == key).collect();
            assert_eq!(rows, expected, "row {row}");
        }
        assert_eq!(index.len_of(41_152_619_580_312_000 + 1700), 0);
        assert_eq!(index.groups().len(), 1700);
    }
}
