//! The IDs a county has handed out, a bit each: (region, birth date) slots of 1000 bits, one
//! per sequence number and sex. Issue 32: a province's hundreds of millions of registry
//! people held as ID strings in a hash set took gigabytes and grew with `--registry-scale`;
//! the slots are bounded by regions × birth dates whatever the number of people.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

/// Bits of a slot: sequence numbers 000–999 (`number * 2 + sex`).
const WORDS: usize = 1000 / 64 + 1;

/// Sequence numbers of one sex in a slot: 500 (`number` 0–499).
pub(super) const SEQUENCES_PER_SEX: u32 = 500;

/// The ID's digits 15–17 as a number for the `number`th sequence of `male`'s sex: odd for
/// men, even for women.
pub(super) fn sequence(number: u32, male: bool) -> u32 {
    number * 2 + u32::from(male)
}

/// Whether `sequence`'s bit is set in the slot.
fn is_taken(slot: &[u64; WORDS], sequence: u32) -> bool {
    slot[sequence as usize / 64] & (1 << (sequence % 64)) != 0
}

/// How many of `male`'s sex's sequence numbers the slot has handed out: odd bits for men,
/// even for women.
fn taken(slot: &[u64; WORDS], male: bool) -> u32 {
    let mask = if male {
        0xAAAA_AAAA_AAAA_AAAA
    } else {
        0x5555_5555_5555_5555
    };
    slot.iter().map(|word| (word & mask).count_ones()).sum()
}

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
    #[cfg(test)]
    pub(super) fn is_free(&self, region: &str, birth: NaiveDate, sequence: u32) -> bool {
        self.slots
            .get(&Self::key(region, birth))
            .is_none_or(|slot| !is_taken(slot, sequence))
    }

    /// Whether the slot has a `sequence` left for `male`'s sex:
    /// one lookup and a count, so that a province whose slots fill does not draw and probe
    /// each full slot hundreds of times (issue 32: `synth --registry-scale 69` slowed from
    /// seconds to minutes a batch as the county's slots filled).
    pub(super) fn has_free(&self, region: &str, birth: NaiveDate, male: bool) -> bool {
        self.slots
            .get(&Self::key(region, birth))
            .is_none_or(|slot| taken(slot, male) < SEQUENCES_PER_SEX)
    }

    /// The first free `number` (0–499) of `male`'s sex in the slot, in order.
    pub(super) fn first_free(&self, region: &str, birth: NaiveDate, male: bool) -> Option<u32> {
        let Some(slot) = self.slots.get(&Self::key(region, birth)) else {
            return Some(0);
        };
        (0..SEQUENCES_PER_SEX).find(|&number| !is_taken(slot, sequence(number, male)))
    }

    /// Claims `sequence` in the slot; false when it was taken already.
    pub(super) fn claim(&mut self, region: &str, birth: NaiveDate, sequence: u32) -> bool {
        let slot = self
            .slots
            .entry(Self::key(region, birth))
            .or_insert([0; WORDS]);
        let free = !is_taken(slot, sequence);
        slot[sequence as usize / 64] |= 1 << (sequence % 64);
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

    #[test]
    fn a_slot_is_full_for_one_sex_once_its_500_numbers_are_taken() {
        let mut ids = UsedIds::default();
        let day = NaiveDate::from_ymd_opt(1960, 5, 1).unwrap();
        assert_eq!(ids.first_free("411526", day, true), Some(0));
        for number in 0..SEQUENCES_PER_SEX {
            assert!(ids.has_free("411526", day, true));
            assert!(ids.claim("411526", day, number * 2 + 1));
            if number < SEQUENCES_PER_SEX - 1 {
                assert_eq!(ids.first_free("411526", day, true), Some(number + 1));
            }
        }
        assert!(!ids.has_free("411526", day, true));
        assert_eq!(ids.first_free("411526", day, true), None);
        // The other sex's numbers are all still free.
        assert!(ids.has_free("411526", day, false));
        assert_eq!(ids.first_free("411526", day, false), Some(0));
        assert!(ids.claim("411526", day, 6));
        assert_eq!(ids.first_free("411526", day, false), Some(0));
        assert!(ids.claim("411526", day, 0));
        assert_eq!(ids.first_free("411526", day, false), Some(1));
    }
}
