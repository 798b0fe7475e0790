//! Blocking: which (member, record) pairs are worth comparing when the two sides do not
//! share a valid ID. Each rule turns a person into keys; pairs that share a key are
//! candidates. Rules are named in the pipeline (`[link] blocking = [...]`); the enum lives
//! in `model` so that `config` can validate it.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use super::compare::id_chars;
use crate::model::BlockingRule;
use crate::normalize::Person;

impl BlockingRule {
    /// The keys of a person under this rule. `region` is the county code known for them.
    fn keys(self, person: &Person, region: Option<&str>) -> Vec<u64> {
        let tagged = |parts: &[&str]| {
            let mut hasher = DefaultHasher::new();
            (self as u8).hash(&mut hasher);
            parts.hash(&mut hasher);
            hasher.finish()
        };
        let birth = person.birth_date.map(|d| d.format("%Y%m%d").to_string());
        let reading = person.name.reading.join(" ");
        match self {
            BlockingRule::IdMasked => match id_chars(person).filter(|c| c.len() == 18) {
                Some(chars) => (0..17)
                    .map(|k| tagged(&[&k.to_string(), &chars[..k], &chars[k + 1..]]))
                    .collect(),
                None => Vec::new(),
            },
            BlockingRule::IdSortedDigits => match id_chars(person).filter(|c| c.len() == 18) {
                Some(chars) => {
                    let mut sorted: Vec<u8> = chars.bytes().collect();
                    sorted.sort_unstable();
                    vec![tagged(&[&String::from_utf8_lossy(&sorted)])]
                }
                None => Vec::new(),
            },
            BlockingRule::BirthName => match (&birth, person.name.key.is_empty()) {
                (Some(birth), false) => vec![tagged(&[birth, &person.name.key])],
                _ => Vec::new(),
            },
            BlockingRule::BirthSurnameReading => match (&birth, person.name.reading.first()) {
                (Some(birth), Some(surname)) => vec![tagged(&[birth, surname])],
                _ => Vec::new(),
            },
            BlockingRule::RegionNameReading => match region.filter(|r| r.len() >= 6) {
                Some(region) if !reading.is_empty() => vec![tagged(&[&region[..6], &reading])],
                _ => Vec::new(),
            },
        }
    }
}

/// Blocks larger than this are skipped (a key shared by that many people separates nothing).
const MAX_BLOCK: usize = 500;

/// A candidate pair: (registry index, record index, member index).
pub type Candidate = (usize, usize, usize);

/// Candidate pairs from all rules, deduplicated, and how many each rule proposed.
pub struct Blocked {
    pub candidates: Vec<Candidate>,
    pub pairs_per_rule: BTreeMap<&'static str, usize>,
    pub skipped_blocks: usize,
}

/// Proposes pairs for records and members that do not share a valid ID.
/// `member_regions[i]` and `record_regions[r][j]` are county codes where known.
/// Only members `in_scope` get pairs (a shard's members), but every member counts towards
/// a block's size, so a shard skips exactly the blocks a whole run skips.
pub fn candidates(
    rules: &[BlockingRule],
    members: &[Person],
    member_regions: &[Option<&str>],
    registries: &[&[Person]],
    record_regions: &[Vec<Option<&str>>],
    in_scope: &(dyn Fn(usize) -> bool + Sync),
) -> Blocked {
    let mut all = Vec::new();
    let mut pairs_per_rule = BTreeMap::new();
    let mut skipped_blocks = 0;
    for &rule in rules {
        let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
        for (member_idx, person) in members.iter().enumerate() {
            for key in rule.keys(person, member_regions[member_idx]) {
                index.entry(key).or_default().push(member_idx);
            }
        }
        let mut proposed = 0;
        for (registry_idx, persons) in registries.iter().enumerate() {
            for (record_idx, person) in persons.iter().enumerate() {
                for key in rule.keys(person, record_regions[registry_idx][record_idx]) {
                    let Some(block) = index.get(&key) else {
                        continue;
                    };
                    if block.len() > MAX_BLOCK {
                        skipped_blocks += 1;
                        continue;
                    }
                    for &member_idx in block.iter().filter(|&&m| in_scope(m)) {
                        // Two valid IDs speak for themselves: equal is the exact path,
                        // different is two people.
                        if person.valid_id().is_some() && members[member_idx].valid_id().is_some() {
                            continue;
                        }
                        all.push((registry_idx, record_idx, member_idx));
                        proposed += 1;
                    }
                }
            }
        }
        pairs_per_rule.insert(rule.code(), proposed);
    }
    all.sort_unstable();
    all.dedup();
    Blocked {
        candidates: all,
        pairs_per_rule,
        skipped_blocks,
    }
}
