//! Blocking: which (member, record) pairs are worth comparing when the two sides do not
//! share a valid ID. Each rule turns a person into keys; pairs that share a key are
//! candidates. Rules are named in the pipeline (`[link] blocking = [...]`); the enum lives
//! in `model` so that `config` can validate it.
//!
//! Each rule has an index of its own, so keys need no rule tag. ID rules encode the ID's
//! characters as exact numbers; the others hash their parts. Keys are made and probed in
//! parallel chunks, and the index is built in member order, so the result never depends on
//! the number of threads.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use chrono::Datelike;
use rayon::prelude::*;

use super::compare::id_chars;
use super::key_index::KeyIndex;
use crate::model::{BlockingRule, RegionCode};
use crate::normalize::Person;

/// A 64-bit key for a rule's parts.
fn hashed(parts: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// The 18 characters of a usable ID as base-11 digits (`X` is 10).
fn id_digits(person: &Person) -> Option<[u64; 18]> {
    let chars = id_chars(person).filter(|c| c.len() == 18)?;
    let mut digits = [0; 18];
    for (digit, byte) in digits.iter_mut().zip(chars.bytes()) {
        *digit = if byte == b'X' {
            10
        } else {
            u64::from(byte - b'0')
        };
    }
    Some(digits)
}

/// The first 4 and the last 4 ID characters, `*` where a mask hides them: from a valid ID,
/// or from a masked one.
fn masked_key_characters(person: &Person) -> Option<[u8; 8]> {
    let id = match (person.valid_id(), person.id.masked()) {
        // A valid ID's comparable characters are its canonical 18.
        (Some(_), _) => person.id.comparable()?.as_bytes(),
        (None, Some(pattern)) => pattern.as_bytes(),
        (None, None) => return None,
    };
    let mut shown = [0; 8];
    shown[..4].copy_from_slice(&id[..4]);
    shown[4..].copy_from_slice(&id[14..]);
    (!shown[..4].contains(&b'*')).then_some(shown)
}

/// Digits read as one base-11 number (exact for up to 18 digits: 11¹⁸ < 2⁶⁴).
fn base11(digits: impl Iterator<Item = u64>) -> u64 {
    digits.fold(0, |number, digit| number * 11 + digit)
}

/// The keys (`base11`) of every ID that differs from `digits` in exactly one character.
fn one_character_neighbours(digits: &[u64; 18], keys: &mut Vec<u64>) {
    let id = base11(digits.iter().copied());
    let mut weight = 1;
    for &digit in digits.iter().rev() {
        let without = id - digit * weight;
        keys.extend(
            (0..11)
                .filter(|&other| other != digit)
                .map(|other| without + other * weight),
        );
        weight *= 11;
    }
}

impl BlockingRule {
    /// Appends the keys of a person under this rule. `region` is their known county code.
    fn keys(self, person: &Person, region: Option<&str>, keys: &mut Vec<u64>) {
        let birth_days = person.birth_date.map(|d| d.num_days_from_ce());
        match self {
            BlockingRule::IdMasked => {
                // The ID itself; its one-character neighbours are made where needed
                // (`RuleIndex::new`, `RuleIndex::probe`).
                if let Some(digits) = id_digits(person) {
                    keys.push(base11(digits.into_iter()));
                }
            }
            BlockingRule::MaskedIdVisible => {
                let Some(shown) = masked_key_characters(person) else {
                    return;
                };
                let named = !person.name.key.is_empty();
                // What most masks show (`4115**********123X`, `411526********123X`).
                let last_four = !shown.contains(&b'*');
                if last_four {
                    if let Some(days) = birth_days {
                        keys.push(hashed((0u8, shown, days)));
                    }
                    if named {
                        keys.push(hashed((1u8, shown, &person.name.key)));
                    }
                }
                // Masks that hide some of the last four (`411526198*******35`,
                // `411526***********3`) still show the first four and the check character:
                // with the name, enough to propose the pair where no birth date is given (the
                // cadre register has none). A valid ID offers the key too; a masked one only
                // when it lacks the last four, so the usual masks propose no more pairs.
                let first_and_check = [shown[0], shown[1], shown[2], shown[3], shown[7]];
                let weak = person.valid_id().is_some() || !last_four;
                if named && weak && shown[7] != b'*' {
                    keys.push(hashed((2u8, first_and_check, &person.name.key)));
                }
            }
            BlockingRule::IdSortedDigits => {
                if let Some(mut digits) = id_digits(person) {
                    digits.sort_unstable();
                    keys.push(base11(digits.into_iter()));
                }
            }
            BlockingRule::BirthName => {
                if let Some(days) = birth_days.filter(|_| !person.name.key.is_empty()) {
                    keys.push(hashed((days, &person.name.key)));
                }
            }
            BlockingRule::BirthSurnameReading => {
                if let (Some(days), Some(surname)) = (birth_days, person.name.reading.first()) {
                    keys.push(hashed((days, surname)));
                }
            }
            BlockingRule::RegionNameReading => {
                let county = region
                    .and_then(RegionCode::parse)
                    .and_then(RegionCode::county);
                if let Some(county) = county {
                    if !person.name.reading.is_empty() {
                        keys.push(hashed((county, &person.name.reading)));
                    }
                }
            }
        }
    }
}

/// Blocks larger than this are skipped (a key shared by that many people separates nothing).
const MAX_BLOCK: usize = 500;
/// People per parallel task when making keys and probing.
const CHUNK: usize = 16_384;

/// A candidate pair: (registry index, record index, member index).
pub type Candidate = (usize, usize, usize);

/// Candidate pairs from all rules, deduplicated, and how many each rule proposed.
pub struct Blocked {
    pub candidates: Vec<Candidate>,
    pub pairs_per_rule: BTreeMap<&'static str, usize>,
    pub skipped_blocks: usize,
}

impl Blocked {
    /// No pairs yet; every rule is counted, even one that proposes nothing.
    fn new(rules: &[BlockingRule]) -> Blocked {
        Blocked {
            candidates: Vec::new(),
            pairs_per_rule: rules.iter().map(|rule| (rule.code(), 0)).collect(),
            skipped_blocks: 0,
        }
    }

    fn add(&mut self, rule: BlockingRule, (pairs, skipped): (Vec<Candidate>, usize)) {
        *self.pairs_per_rule.entry(rule.code()).or_default() += pairs.len();
        self.skipped_blocks += skipped;
        self.candidates.extend(pairs);
    }

    /// Sorted, each pair once (rules overlap).
    fn deduplicated(mut self) -> Blocked {
        self.candidates.par_sort_unstable();
        self.candidates.dedup();
        self
    }
}

/// One rule's keys of `people`, as (position, key) in order of position.
fn keyed(
    rule: BlockingRule,
    people: &[Person],
    regions: &[Option<&str>],
) -> Vec<Vec<(usize, u64)>> {
    keyed_by(people, |position, person, keys| {
        rule.keys(person, regions[position], keys);
    })
}

/// The keys `make` appends for each of `people` (given its position), as (position, key)
/// in order of position, made in parallel chunks.
fn keyed_by(
    people: &[Person],
    make: impl Fn(usize, &Person, &mut Vec<u64>) + Sync,
) -> Vec<Vec<(usize, u64)>> {
    people
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(chunk_idx, chunk)| {
            let mut entries = Vec::with_capacity(chunk.len());
            let mut keys = Vec::new();
            for (offset, person) in chunk.iter().enumerate() {
                let position = chunk_idx * CHUNK + offset;
                keys.clear();
                make(position, person, &mut keys);
                entries.extend(keys.iter().map(|&key| (position, key)));
            }
            entries
        })
        .collect()
}

/// The roll's keys under one rule, ready to be probed with a registry's records.
///
/// `id_masked` (IDs one character apart) indexes each member's ID once, and the
/// one-character neighbours of the IDs of members without a valid one: a record with a
/// valid ID looks itself up among those neighbours, a record without one looks up its own
/// neighbours among every member's IDs. Two valid IDs are never one character apart (the
/// check character catches every single substitution), so no pair is lost, and the roll
/// side holds one key per member instead of one per character. Unlike the deletion keys it
/// replaced (17 per ID, the check character never deleted), it also proposes IDs that
/// differ in the check character alone: a mistyped check character is one wrong digit too.
pub struct RuleIndex {
    rule: BlockingRule,
    every_member: KeyIndex,
    /// Two valid IDs speak for themselves (equal is the exact path, different is two
    /// people), so a record with a valid ID only meets the members without one: a small
    /// index of its own spares walking whole blocks of members with valid IDs. Under
    /// `id_masked`, their IDs' neighbours.
    idless_members: KeyIndex,
}

impl RuleIndex {
    /// `member_regions[i]` is member i's county code where known.
    pub fn new(rule: BlockingRule, members: &[Person], member_regions: &[Option<&str>]) -> Self {
        let member_keys = keyed(rule, members, member_regions);
        let entries = member_keys.iter().map(Vec::len).sum();
        let every_member = KeyIndex::from_entries(member_keys.iter().flatten().copied(), entries);
        let idless_members = if rule == BlockingRule::IdMasked {
            let neighbours = keyed_by(members, |_, member, keys| {
                if let Some(digits) = id_digits(member).filter(|_| member.valid_id().is_none()) {
                    one_character_neighbours(&digits, keys);
                }
            });
            let entries = neighbours.iter().map(Vec::len).sum();
            KeyIndex::from_entries(neighbours.into_iter().flatten(), entries)
        } else {
            KeyIndex::from_entries(
                member_keys
                    .into_iter()
                    .flatten()
                    .filter(|&(m, _)| members[m].valid_id().is_none()),
                0,
            )
        };
        RuleIndex {
            rule,
            every_member,
            idless_members,
        }
    }

    fn too_large(&self, key: u64) -> bool {
        self.every_member.len_of(key) > MAX_BLOCK
    }

    /// The pairs of one registry's records (`registry_idx`) with the indexed members, and
    /// how many record keys hit a block too large to compare.
    pub fn probe(
        &self,
        registry_idx: usize,
        persons: &[Person],
        record_regions: &[Option<&str>],
    ) -> (Vec<Candidate>, usize) {
        let found: Vec<(Vec<Candidate>, usize)> = keyed(self.rule, persons, record_regions)
            .into_par_iter()
            .map(|entries| {
                let (mut pairs, mut skipped) = (Vec::new(), 0);
                let mut neighbours = Vec::new();
                for (record_idx, key) in entries {
                    if self.too_large(key) {
                        skipped += 1;
                        continue;
                    }
                    let record = &persons[record_idx];
                    let valid = record.valid_id().is_some();
                    let partners = if valid {
                        &self.idless_members
                    } else {
                        &self.every_member
                    };
                    neighbours.clear();
                    neighbours.push(key);
                    if self.rule == BlockingRule::IdMasked && !valid {
                        if let Some(digits) = id_digits(record) {
                            one_character_neighbours(&digits, &mut neighbours);
                        }
                    }
                    for &key in &neighbours {
                        pairs.extend(
                            partners
                                .rows(key)
                                .map(|member_idx| (registry_idx, record_idx, member_idx)),
                        );
                    }
                }
                (pairs, skipped)
            })
            .collect();
        let mut all = Vec::with_capacity(found.iter().map(|(p, _)| p.len()).sum());
        let mut skipped_blocks = 0;
        for (pairs, skipped) in found {
            all.extend(pairs);
            skipped_blocks += skipped;
        }
        (all, skipped_blocks)
    }
}

/// Candidate pairs of one registry under every rule, from indexes built once for the roll
/// (a shard probes them with each registry in turn).
pub fn candidates_of_registry(
    indexes: &[RuleIndex],
    registry_idx: usize,
    persons: &[Person],
    record_regions: &[Option<&str>],
) -> Blocked {
    let rules: Vec<BlockingRule> = indexes.iter().map(|index| index.rule).collect();
    let mut blocked = Blocked::new(&rules);
    for index in indexes {
        let found = index.probe(registry_idx, persons, record_regions);
        blocked.add(index.rule, found);
    }
    blocked.deduplicated()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::normalize::{name_key, normalize_id};

    /// A person with no ID, born on `day`, named `name`.
    fn idless(name: &str, day: u32) -> Person {
        Person {
            name: name_key(name),
            id: normalize_id(None),
            birth_date: NaiveDate::from_ymd_opt(1960, 1, day),
        }
    }

    /// A roll where 600 people share one name and birth date (a block too large to compare)
    /// and 40 pairs share others, probed by records of both kinds.
    fn roll_and_records() -> (Vec<Person>, Vec<Person>) {
        let mut roll: Vec<Person> = (0..600).map(|_| idless("王芳", 1)).collect();
        roll.extend((0..80).map(|i| idless(if i % 2 == 0 { "李明" } else { "李强" }, 2 + i % 20)));
        let records = vec![idless("王芳", 1), idless("李明", 2), idless("李强", 3)];
        (roll, records)
    }

    /// Someone born on 1958-03-12 with ID `id` (valid or not).
    fn with_id(id: &str) -> Person {
        Person {
            name: name_key("张建国"),
            id: normalize_id(Some(id)),
            birth_date: NaiveDate::from_ymd_opt(1958, 3, 12),
        }
    }

    #[test]
    fn ids_one_character_apart_are_proposed_from_either_side() {
        let valid = "411526195803121131";
        // One digit off: the check character no longer fits.
        let damaged = "411526195803121141";
        assert!(with_id(valid).valid_id().is_some() && with_id(damaged).valid_id().is_none());
        let mut keys = Vec::new();
        one_character_neighbours(&id_digits(&with_id(valid)).unwrap(), &mut keys);
        assert_eq!(keys.len(), 180);
        assert!(keys.contains(&base11(id_digits(&with_id(damaged)).unwrap().into_iter())));
        let proposed = |roll: &[Person], records: &[Person]| {
            let index = RuleIndex::new(BlockingRule::IdMasked, roll, &vec![None; roll.len()]);
            index.probe(0, records, &vec![None; records.len()]).0
        };
        let others = || (0..50).map(|i| with_id(&format!("4115261958031{:04}X", 2000 + i)));
        // A damaged record meets the valid member; a valid record meets the damaged member;
        // two damaged IDs one character apart meet; the unrelated IDs meet no one.
        let roll: Vec<Person> = std::iter::once(with_id(valid)).chain(others()).collect();
        assert_eq!(proposed(&roll, &[with_id(damaged)]), [(0, 0, 0)]);
        let roll: Vec<Person> = others().chain(std::iter::once(with_id(damaged))).collect();
        assert_eq!(proposed(&roll, &[with_id(valid)]), [(0, 0, 50)]);
        assert_eq!(
            proposed(&roll, &[with_id("411526195803121151")]),
            [(0, 0, 50)]
        );
        assert!(proposed(&roll, &[with_id("411526196803121131")]).is_empty());
        // A wrong check character alone is one character apart as well.
        let roll: Vec<Person> = std::iter::once(with_id(valid)).chain(others()).collect();
        assert_eq!(
            proposed(&roll, &[with_id("411526195803121132")]),
            [(0, 0, 0)]
        );
    }

    #[test]
    fn a_block_larger_than_max_block_is_skipped_and_counted() {
        let (roll, records) = roll_and_records();
        let no_regions = vec![None; roll.len()];
        let index = RuleIndex::new(BlockingRule::BirthName, &roll, &no_regions);
        let (pairs, skipped) = index.probe(0, &records, &[None; 3]);
        assert_eq!(skipped, 1, "the 王芳 block is too large");
        // 李明 (born on the 2nd) and 李强 (the 3rd) each meet their own namesakes only.
        assert!(!pairs.is_empty());
        assert!(pairs.iter().all(|&(_, record, member)| {
            roll[member].name.key == records[record].name.key
                && roll[member].birth_date == records[record].birth_date
        }));
    }

    #[test]
    fn masks_that_hide_some_of_the_last_four_are_proposed_by_name_without_a_birth_date() {
        let member = "411526198005012735";
        let masked = |id: &str| Person {
            name: name_key("徐琛芳"),
            id: normalize_id(Some(id)),
            birth_date: None,
        };
        // The member, a namesake elsewhere in the prefecture with another check character,
        // and someone else.
        let roll = vec![
            Person {
                birth_date: NaiveDate::from_ymd_opt(1980, 5, 1),
                ..masked(member)
            },
            masked("411521198207151264"),
            with_id("411526195803121131"),
        ];
        let index = RuleIndex::new(BlockingRule::MaskedIdVisible, &roll, &[None, None, None]);
        let proposed = |id: &str| {
            let (pairs, _) = index.probe(0, &[masked(id)], &[None]);
            pairs
                .into_iter()
                .map(|(_, _, member)| member)
                .collect::<Vec<_>>()
        };
        // The usual masks, as before: the first four and the last four.
        assert_eq!(proposed("411526********2735"), [0]);
        assert_eq!(proposed("4115**********2735"), [0]);
        // Masks that show less of the tail: the first four and the check character.
        assert_eq!(proposed("411526198*******35"), [0]);
        assert_eq!(proposed("411526***********5"), [0]);
        assert_eq!(proposed("411526***********4"), [1]);
        // A mask that hides the check character or the first four proposes nothing here.
        assert!(proposed("411526198005******").is_empty());
        assert!(proposed("****************35").is_empty());
    }
}
