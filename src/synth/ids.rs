//! The IDs a county has handed out, a bit each: (region, birth date) slots of 1000 bits, one
//! per sequence number and sex. Issue 32: a province's hundreds of millions of registry
//! people held as ID strings in a hash set took gigabytes and grew with `--registry-scale`;
//! the slots are bounded by regions × birth dates whatever the number of people.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

/// Bits of a slot: sequence numbers 000–999 (`number * 2 + sex`).
const WORDS: usize = 1000 / 64 + 1;

#[derive(Debug, Default)]
pub(super) struct UsedIds {
    slots: HashMap<u64, [u64; WORDS]>,
}

impl UsedIds {
    fn key(region: &str, birth: NaiveDate) -> u64 {
        let region: u32 = region.parse().expect("synth's regions are 6 digits");
        // Days from the common era are positive for every birth date synth draws.
        let day = u32::try_from(birth.num_days_from_ce()).unwrap_or(0);
        (u64::from(region) << 32) | u64::from(day)
    }

    /// Whether `sequence` (the ID's digits 15–17 as a number) is free in the slot.
    pub(super) fn is_free(&self, region: &str, birth: NaiveDate, sequence: u32) -> bool {
        let (word, bit) = (sequence as usize / 64, sequence % 64);
        self.slots
            .get(&Self::key(region, birth))
            .is_none_or(|slot| slot[word] & (1 << bit) == 0)
    }

    /// Claims `sequence` in the slot; false when it was taken already.
    pub(super) fn claim(&mut self, region: &str, birth: NaiveDate, sequence: u32) -> bool {
        let (word, bit) = (sequence as usize / 64, sequence % 64);
        let slot = self
            .slots
            .entry(Self::key(region, birth))
            .or_insert([0; WORDS]);
        let free = slot[word] & (1 << bit) == 0;
        slot[word] |= 1 << bit;
        free
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sequence_number_is_claimed_once_per_region_and_birth_date() {
        let mut ids = UsedIds::default();
        let day = NaiveDate::from_ymd_opt(1960, 5, 1).unwrap();
        let next = day.succ_opt().unwrap();
        assert!(ids.is_free("411526", day, 999));
        assert!(ids.claim("411526", day, 999));
        assert!(!ids.claim("411526", day, 999));
        assert!(!ids.is_free("411526", day, 999));
        assert!(ids.is_free("411526", day, 998));
        assert!(ids.is_free("411526", next, 999));
        assert!(ids.claim("411521", day, 999));
    }
}
