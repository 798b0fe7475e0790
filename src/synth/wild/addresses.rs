//! Addresses (住址) on a share of every registry's rows: a member's own village, or a
//! village elsewhere for anyone else.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::cells::valid_id;
use super::index::RollIndex;
use crate::ingest::schema::col;
use crate::model::Source;
use crate::synth::{person_columns, township_and_village, village_address, Generator, Household};

/// Xor-ed into the seed for the registries' addresses, a stream of their own so that the
/// masks and namesakes are those of a wild county without addresses.
const ADDRESS_STREAM: u64 = 0x6164_6472_0019_5eed;

/// The share of a registry's rows that record where their person lives (住址).
fn address_rate(source: Source) -> f64 {
    match source {
        Source::Death => 0.7,
        Source::Vehicle => 0.6,
        Source::Property | Source::Pension => 0.4,
        Source::Business => 0.3,
        // Cadre relatives, the roll and registries synth does not plant carry none.
        _ => 0.0,
    }
}

/// How registries write the county above a roll household's village (`108乡2村`, the roll's
/// own form): bare, under the county, or under province, city and county; with a group
/// number after it sometimes.
const COUNTY_PREFIXES: [&str; 3] = ["", "潢川县", "河南省信阳市潢川县"];
/// Other counties' prefixes, for people who live elsewhere.
const OTHER_COUNTY_PREFIXES: [&str; 3] = ["商城县", "河南省信阳市光山县", "河南省周口市沈丘县"];

/// The roll's form of a household's village (`108乡2村` for region 411526108002), with a
/// group number after it one time in three.
fn village_of(region: &str, rng: &mut impl Rng) -> String {
    let group = if rng.random_bool(1.0 / 3.0) {
        format!("{}组", rng.random_range(1..=9))
    } else {
        String::new()
    };
    format!("{}{group}", village_address(region))
}

/// A village other than the household in `near`'s (when given): mostly another township of
/// the county, one time in ten the same township, one in four another county (a third of
/// those written bare under the household village's own name).
fn elsewhere(near: Option<&str>, rng: &mut impl Rng) -> String {
    let (township, village) = near.map_or((0, 0), township_and_village);
    // A draw that hits the household's own place moves a hundred on.
    let other_than = |drawn: u32, own: u32| if drawn == own { drawn + 100 } else { drawn };
    let roll = rng.random_range(0..20);
    if roll < 5 {
        // One in three of these is written bare, under the very name of the household's own
        // village (another county's 城关镇东街村): only a county named or coded tells them apart.
        if near.is_some() && rng.random_bool(1.0 / 3.0) {
            return format!("{township}乡{village}村");
        }
        let prefix = OTHER_COUNTY_PREFIXES[rng.random_range(0..OTHER_COUNTY_PREFIXES.len())];
        return format!(
            "{prefix}{}乡{}村",
            rng.random_range(101..=130),
            rng.random_range(1..=30)
        );
    }
    let (township, village) = if roll < 7 && near.is_some() {
        (township, other_than(rng.random_range(1..=30), village))
    } else {
        (
            other_than(rng.random_range(101..=130), township),
            rng.random_range(1..=30),
        )
    };
    let prefix = COUNTY_PREFIXES[rng.random_range(0..COUNTY_PREFIXES.len())];
    format!("{prefix}{township}乡{village}村")
}

impl Generator {
    /// Addresses on a share of every registry's rows (`address_rate`). A record of a roll
    /// member (by its valid ID, or planted as the member) carries the household's village;
    /// a record of anyone else (a namesake, a decoy, the rest of the population) a village
    /// elsewhere in the county, now and then in the member's township, or another county.
    pub(super) fn write_addresses(&mut self, households: &[Household], index: &RollIndex) {
        let mut rng = ChaCha8Rng::seed_from_u64(self.options.seed ^ ADDRESS_STREAM);
        let planted: HashMap<(Source, &str), (&str, bool)> = self
            .record_truth
            .iter()
            .map(|p| {
                (
                    (p.source, p.record_id.as_str()),
                    (p.person_id.as_str(), p.same_person),
                )
            })
            .collect();
        let mut addresses = Vec::new();
        for source in Source::REGISTRIES.iter().copied() {
            let rate = address_rate(source);
            let (_, id_col, _) = person_columns(source);
            for (i, row) in self.registries[&source].iter().enumerate() {
                if !rng.random_bool(rate) {
                    continue;
                }
                // Whose record it is: planted as (or as not) a member, else by its valid ID;
                // a damaged or blank ID nobody planted says nothing, and gets no address.
                let (id, same_person) = match planted.get(&(source, &row[col::RECORD_ID])) {
                    Some(&(person, same)) => (person.to_string(), same),
                    None => match valid_id(&row[id_col]) {
                        Some(id) => (id, true),
                        None => continue,
                    },
                };
                let region = index
                    .by_id
                    .get(&id)
                    .map(|&p| households[index.people[p].household].region.as_str());
                let address = match (region, same_person) {
                    (Some(region), true) => {
                        let prefix = COUNTY_PREFIXES[rng.random_range(0..COUNTY_PREFIXES.len())];
                        format!("{prefix}{}", village_of(region, &mut rng))
                    }
                    (near, _) => elsewhere(near, &mut rng),
                };
                addresses.push((source, i, address));
            }
        }
        for (source, i, address) in addresses {
            self.registries
                .get_mut(&source)
                .expect("every registry has a table")[i]
                .insert(col::ADDRESS, address);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::wild::tests::{by_member, record, wild};

    #[test]
    fn addresses_place_members_in_their_village_and_others_elsewhere() {
        use crate::normalize::address::{self, AddressAgreement};
        let county = wild();
        let address_of_member = by_member(county, col::ADDRESS);
        let (mut same, mut others, mut elsewhere, mut namesake_places) = (0, 0, 0, 0);
        for truth in &county.truth_records {
            let Some(written) = record(county, truth.source, &truth.record_id).get(col::ADDRESS)
            else {
                continue;
            };
            let home = address::parse(address_of_member[truth.member_id.as_str()]).unwrap();
            let agreement = address::agreement(&home, &address::parse(written).unwrap());
            if truth.same_person {
                same += 1;
                assert!(
                    matches!(
                        agreement,
                        AddressAgreement::Village | AddressAgreement::VillageUnconfirmed
                    ),
                    "{written} {truth:?}"
                );
            } else {
                others += 1;
                assert_ne!(agreement, AddressAgreement::Village, "{written} {truth:?}");
                elsewhere += usize::from(agreement == AddressAgreement::Unknown);
                namesake_places += usize::from(agreement == AddressAgreement::VillageUnconfirmed);
            }
        }
        assert!(same >= 50 && others >= 50, "{same} {others}");
        // Other people whose bare address reads as the member's village exist, to be held off.
        assert!(namesake_places > 0, "{namesake_places}");
        assert!(elsewhere * 2 > others, "{elsewhere} of {others}");
        let deaths = &county.registries[&Source::Death];
        let with_address = deaths
            .iter()
            .filter(|r| r.contains_key(col::ADDRESS))
            .count();
        assert!(
            with_address * 2 > deaths.len(),
            "{with_address} of {}",
            deaths.len()
        );
    }
}
