//! The wild variant (`Variant::Wild`): what shared extracts and population-sized registries
//! add to the hard cases.
//! - Masked IDs (`411526********123X`, `4115**********123X`, full-width `＊`, other runs) on
//!   a share of every registry's rows, planted true cases and unrelated records alike. A
//!   mask is never ambiguous: no roll person but the record's own agrees with its visible
//!   characters among those with its name or birth date.
//! - Masked decoys: a member's exact name and birth date under another person's masked ID
//!   whose visible characters differ from the member's. They must never flag.
//! - Blank-ID namesakes: the registries cover a population of `POPULATION_PER_ROLL_PERSON`
//!   people per roll person, so each roll person has about e = population × share of the
//!   name × share of the birth date others with the same name and birth date in it. A name
//!   with e ≥ `RARE_BELOW` gets Poisson(e) of them as blank-ID records (mostly deaths and
//!   vehicles); a rarer one gets none (the issue's "common names get namesakes, rare ones do
//!   not"; the thin tail below is not modelled: the contract's threshold,
//!   `max_expected_namesakes`, bounds it per flag, but a county's thousands of rare names
//!   would add up to about Σ e wrong flags). The total is capped at one per two households.
//! - Blank-ID true cases for common and rare names (the hard ones are restricted to names
//!   unique on the roll, and mostly rare).
//!
//! All of it draws from a random stream of its own, after the hard variant is built, so the
//! hard part of a wild county is the hard county of the same seed (masks and a few blanked
//! birth dates aside).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::plant::{income_limit, Pool};
use super::{
    names, person_columns, township_and_village, village_address, Generator, Household, Person,
    PlantedRecord, RecordTruth, Row, Subject, COUNTY,
};
use crate::ingest::schema::col;
use crate::model::{Programme, Reason, Source};
use crate::normalize::id::check_char;

/// Xor-ed into the seed for the wild part's own random stream.
const WILD_STREAM: u64 = 0x7769_6c64_0019_5eed;
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
        Source::CadreRelatives | Source::Roll | Source::Local(_) => 0.0,
    }
}

/// How registries write the county above a roll household's village (`108乡2村`, the roll's
/// own form): bare, under the county, or under province, city and county; with a group
/// number after it sometimes.
const COUNTY_PREFIXES: [&str; 3] = ["", "潢川县", "河南省信阳市潢川县"];
/// Other counties' prefixes, for people who live elsewhere.
const OTHER_COUNTY_PREFIXES: [&str; 3] = ["商城县", "河南省信阳市光山县", "河南省周口市沈丘县"];

/// The people a registry covers, per person on the roll (a county's registries cover its
/// whole population, of which the roll is a few percent).
pub const POPULATION_PER_ROLL_PERSON: f64 = 20.0;

/// The share of a registry's rows with a valid ID that are written masked.
fn mask_rate(source: Source) -> f64 {
    match source {
        Source::Death => 0.22,
        Source::Pension
        | Source::Business
        | Source::CadreRelatives
        | Source::Roll
        | Source::Local(_) => 0.18,
        Source::Vehicle => 0.2,
        Source::Property => 0.15,
    }
}

/// Masked forms: (visible leading characters, visible trailing characters, weight). The
/// first is what most extracts do.
const FORMS: &[((usize, usize), u32)] = &[
    ((6, 4), 60),
    ((4, 4), 20),
    ((9, 2), 8),
    ((10, 4), 6),
    ((6, 1), 6),
];

/// Region, sequence and check character visible: never ambiguous on a county's roll.
const STANDARD_FORM: (usize, usize) = (6, 4);

/// Other counties for decoys' IDs: the same prefecture (4115: only the last two visible
/// region digits differ) and elsewhere in the province.
const NEIGHBOURS: &[&str] = &["411521", "411522", "411523", "411524", "411525", "411527"];
const ELSEWHERE: &[&str] = &["410102", "410305", "411402", "411702", "412726"];

/// Names at least this common (a one-character given name under a frequent surname, or a
/// minority name) are the common names of blank-ID true cases.
pub(super) const COMMON_NAME: f64 = 1e-4;

/// Masked rows with no roll person behind them that lose their birth date too.
const BLANK_BIRTH_RATE: f64 = 0.08;

/// `id` (18 ASCII characters) with all but the first `lead` and last `tail` characters
/// hidden by `star`; visible digits full-width when `full_width`.
fn masked(id: &str, (lead, tail): (usize, usize), star: char, full_width: bool) -> String {
    let len = id.chars().count();
    id.chars()
        .enumerate()
        .map(|(i, c)| {
            if i >= lead && i + tail < len {
                star
            } else if full_width && c.is_ascii_digit() {
                char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Whether a cell is a masked ID.
#[cfg(test)]
fn is_masked(cell: &str) -> bool {
    cell.contains(['*', '＊'])
}

/// The characters of a masked ID, ASCII, `None` where hidden.
fn visible(masked: &str) -> Vec<Option<char>> {
    masked
        .chars()
        .map(|c| match c {
            '*' | '＊' => None,
            '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0),
            c => Some(c.to_ascii_uppercase()),
        })
        .collect()
}

/// Whether every visible character of `masked` agrees with the valid ID `id`.
fn agrees(masked: &str, id: &str) -> bool {
    let visible = visible(masked);
    visible.len() == id.len()
        && visible
            .iter()
            .zip(id.chars())
            .all(|(v, c)| v.is_none_or(|v| v == c))
}

/// The valid 18-character ID a cell holds once spaces, full-width digits and case are
/// undone; `None` for a blank, damaged, 15-digit or masked cell.
fn valid_id(cell: &str) -> Option<String> {
    let id: String = cell
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            c => c.to_ascii_uppercase(),
        })
        .collect();
    let bytes = id.as_bytes();
    let valid = bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && check_char(&bytes[..17]) == char::from(bytes[17]);
    valid.then_some(id)
}

/// The birth date a valid ID carries.
fn birth_of(id: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(id.get(6..14)?, "%Y%m%d").ok()
}

/// Poisson(`mean`) by Knuth's method (the means here are small; capped at 30).
fn poisson(rng: &mut impl Rng, mean: f64) -> usize {
    let limit = (-mean.clamp(0.0, 30.0)).exp();
    let mut k = 0;
    let mut product: f64 = rng.random();
    while product > limit {
        k += 1;
        product *= rng.random::<f64>();
    }
    k
}

/// Below this many expected namesakes a name is rare: it gets none.
const RARE_BELOW: f64 = 0.01;

/// A person on the roll, as the wild part needs them.
struct RollPerson {
    household: usize,
    household_id: String,
    member_id: String,
    name: String,
    id: String,
    birth: NaiveDate,
}

/// The roll's people by ID, by birth date and by name.
struct RollIndex {
    people: Vec<RollPerson>,
    by_id: HashMap<String, usize>,
    by_birth: HashMap<NaiveDate, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
}

impl RollIndex {
    fn new(households: &[Household], roll: &[Row]) -> Self {
        let mut index = RollIndex {
            people: Vec::new(),
            by_id: HashMap::new(),
            by_birth: HashMap::new(),
            by_name: HashMap::new(),
        };
        for (h, household) in households.iter().enumerate() {
            for person in &household.members {
                let rows = || household.rows.iter().map(|&r| &roll[r]);
                // The member's row; a member whose ID was damaged on the roll by name.
                let Some(row) = rows()
                    .find(|row| row[col::NAME] == person.name && row[col::ID_NUMBER] == person.id)
                    .or_else(|| rows().find(|row| row[col::NAME] == person.name))
                else {
                    continue;
                };
                let i = index.people.len();
                index.people.push(RollPerson {
                    household: h,
                    household_id: household.id.clone(),
                    member_id: row[col::MEMBER_ID].clone(),
                    name: person.name.clone(),
                    id: person.id.clone(),
                    birth: person.birth,
                });
                index.by_id.entry(person.id.clone()).or_insert(i);
                index.by_birth.entry(person.birth).or_default().push(i);
                index
                    .by_name
                    .entry(names::simplified(&person.name))
                    .or_default()
                    .push(i);
            }
        }
        index
    }

    /// Roll people a record with this name (as keyed by `names::simplified`) or this birth
    /// date could be taken for.
    fn candidates(&self, name_key: &str, birth: Option<NaiveDate>) -> Vec<&RollPerson> {
        let mut found: Vec<usize> = self
            .by_name
            .get(name_key)
            .into_iter()
            .flatten()
            .chain(
                birth
                    .and_then(|b| self.by_birth.get(&b))
                    .into_iter()
                    .flatten(),
            )
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.people[i]).collect()
    }

    /// Roll people with exactly this name key and birth date.
    fn same_name_and_birth(&self, name_key: &str, birth: NaiveDate) -> Vec<&RollPerson> {
        self.by_name
            .get(name_key)
            .into_iter()
            .flatten()
            .map(|&i| &self.people[i])
            .filter(|p| p.birth == birth)
            .collect()
    }

    /// Whether `masked` (the record of the person with `own_id`, with `name_key` and
    /// `birth`) agrees with that person's roll ID, if any, and with no one else's.
    fn unambiguous(
        &self,
        masked: &str,
        own_id: &str,
        name_key: &str,
        birth: Option<NaiveDate>,
    ) -> bool {
        self.candidates(name_key, birth)
            .iter()
            .all(|p| agrees(masked, &p.id) == (p.id == own_id))
    }
}

/// What a planted record would raise if it matched, in the registry it is written to.
#[derive(Clone, Copy)]
enum Kind {
    Death,
    Vehicle,
    Pension,
    Business,
    Property,
}

impl Kind {
    fn source(self) -> Source {
        match self {
            Kind::Death => Source::Death,
            Kind::Vehicle => Source::Vehicle,
            Kind::Pension => Source::Pension,
            Kind::Business => Source::Business,
            Kind::Property => Source::Property,
        }
    }

    fn reason(self) -> Reason {
        match self {
            Kind::Death => Reason::DeceasedMember,
            Kind::Vehicle => Reason::VehicleOwned,
            Kind::Pension => Reason::PensionIncome,
            Kind::Business => Reason::BusinessActive,
            Kind::Property => Reason::PropertyExcess,
        }
    }
}

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
    /// The wild part: blank-ID true cases, masked decoys, blank-ID namesakes, then masks on
    /// a share of every registry's rows. Returns the records whose identity it decided (and
    /// the hard part's), with the roll members they concern.
    pub(super) fn plant_wild(&mut self, households: &[Household], pool: Pool) -> Vec<RecordTruth> {
        self.rng = ChaCha8Rng::seed_from_u64(self.options.seed ^ WILD_STREAM);
        let index = RollIndex::new(households, &self.roll);
        self.plant_blank_id_cases(households, pool, &index);
        self.plant_masked_decoys(households, pool, &index);
        self.plant_namesakes(households, &index);
        self.write_addresses(households, &index);
        self.mask_ids(&index);
        self.record_truths(&index)
    }

    /// A record of `kind` about `subject` that raises its reason if it is a member of
    /// `household`: a past death, an ordinary car, a counted pension above the household's
    /// standard (means-tested households only), an active legal representative, a shop.
    fn flaggable_record(&mut self, kind: Kind, household: &Household, subject: Subject) {
        match kind {
            Kind::Death => self.recent_death(subject),
            Kind::Vehicle => {
                let registered = self.past_date(8);
                self.vehicle(subject, "car", registered, None);
            }
            Kind::Pension => {
                let limit = income_limit(household).expect("pensions go to means-tested homes");
                let amount = limit + self.rng.random_range(50.0..1500.0);
                let start = self.past_date(10);
                self.pension(subject, "enterprise", amount, start, None);
            }
            Kind::Business => {
                let established = self.past_date(10);
                self.business(subject, "legal_rep", 500_000.0, "active", established, None);
            }
            Kind::Property => {
                let registered = self.past_date(15);
                let unit = format!("W-UNIT-{:07}", self.rng.random_range(0..10_000_000));
                self.property(subject, &unit, "commercial", registered, None);
            }
        }
    }

    /// Blank-ID true cases: a member's name (sometimes in traditional characters) and birth
    /// date, no ID. One in eight has a common name, the others a rarer one; each member's
    /// name and birth date is unique on the roll, so the truth is unambiguous.
    fn plant_blank_id_cases(&mut self, households: &[Household], pool: Pool, index: &RollIndex) {
        for i in 0..self.count(6) {
            let common = i % 8 == 0;
            let fits = |p: &Person| {
                index
                    .same_name_and_birth(&names::simplified(&p.name), p.birth)
                    .len()
                    == 1
                    && (names::name_share(&p.name) >= COMMON_NAME) == common
            };
            let Some(h) = Self::take(households, pool, |h| h.members.iter().any(fits)) else {
                return;
            };
            let household = &households[h];
            let fitting: Vec<&Person> = household.members.iter().filter(|p| fits(p)).collect();
            let person = fitting[self.rng.random_range(0..fitting.len())].clone();
            let name = if self.rng.random_bool(0.25) {
                names::traditional(&person.name)
            } else {
                person.name.clone()
            };
            let kind = match self.rng.random_range(0..10) {
                0..5 => Kind::Death,
                5..8 => Kind::Vehicle,
                8 if household.programme != Programme::Linshi => Kind::Pension,
                _ => Kind::Business,
            };
            let subject = Subject {
                name: &name,
                ..person.without_id()
            };
            self.flaggable_record(kind, household, subject);
            let case = if common {
                "blank ID, common name"
            } else {
                "blank ID, rare name"
            };
            self.planted_record(kind.source(), &person.id, true, case);
            self.truth(household, kind.reason(), case);
        }
    }

    /// A masked form, drawn by how often extracts use it.
    fn pick_form(&mut self) -> (usize, usize) {
        let total: u32 = FORMS.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total);
        for (form, weight) in FORMS {
            if roll < *weight {
                return *form;
            }
            roll -= weight;
        }
        STANDARD_FORM
    }

    /// `id` masked in `form`: mostly ASCII stars, sometimes full-width ones, rarely with
    /// full-width visible digits.
    fn mask(&mut self, id: &str, form: (usize, usize)) -> String {
        let star = if self.rng.random_bool(0.15) {
            '＊'
        } else {
            '*'
        };
        let full_width = self.rng.random_bool(0.03);
        masked(id, form, star, full_width)
    }

    /// Masked decoys: another person with a member's exact name and birth date (same sex),
    /// from this county or another, whose masked ID shows a character the member's lacks.
    fn plant_masked_decoys(&mut self, households: &[Household], pool: Pool, index: &RollIndex) {
        for _ in 0..self.count(8) {
            let Some((h, member)) = self.take_member(households, pool) else {
                return;
            };
            let Some(cell) = self.decoy_id(&member, index) else {
                continue;
            };
            let household = &households[h];
            let kind = match self.rng.random_range(0..20) {
                0..8 => Kind::Death,
                8..13 => Kind::Vehicle,
                13..16 if household.programme != Programme::Linshi => Kind::Pension,
                13..18 => Kind::Business,
                _ => Kind::Property,
            };
            let subject = Subject {
                id: Some(&cell),
                ..member.subject()
            };
            self.flaggable_record(kind, household, subject);
            self.planted_record(
                kind.source(),
                &member.id,
                false,
                "masked decoy: another person's masked ID, same name and birth date",
            );
        }
    }

    fn decoy_id(&mut self, member: &Person, index: &RollIndex) -> Option<String> {
        let male = (member.id.as_bytes()[16] - b'0') % 2 == 1;
        let name_key = names::simplified(&member.name);
        for _ in 0..20 {
            let region = match self.rng.random_range(0..10) {
                0..5 => COUNTY,
                5..8 => NEIGHBOURS[self.rng.random_range(0..NEIGHBOURS.len())],
                _ => ELSEWHERE[self.rng.random_range(0..ELSEWHERE.len())],
            };
            let other = self.person_with_region(region, member.name.clone(), member.birth, male);
            let form = self.pick_form();
            for form in [form, STANDARD_FORM] {
                let cell = self.mask(&other.id, form);
                if index.unambiguous(&cell, &other.id, &name_key, Some(member.birth)) {
                    return Some(cell);
                }
            }
        }
        None
    }

    /// Blank-ID namesakes: for each roll person whose name and birth date are common enough
    /// (`RARE_BELOW`), Poisson(population × share of the name × share of the birth date)
    /// other people with the same name and birth date, written with
    /// a blank ID into death and vehicle (a few into pension and business), at most one
    /// per two households in all.
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    fn plant_namesakes(&mut self, households: &[Household], index: &RollIndex) {
        let population = POPULATION_PER_ROLL_PERSON * index.people.len() as f64;
        // A birth date's share: its year's share of the roll, spread evenly over the year.
        let mut per_year: HashMap<i32, usize> = HashMap::new();
        for person in &index.people {
            *per_year.entry(person.birth.year()).or_default() += 1;
        }
        let people = index.people.len().max(1) as f64;
        let birth_share = |birth: NaiveDate| {
            let days = if birth.leap_year() { 366.0 } else { 365.0 };
            per_year[&birth.year()] as f64 / people / days
        };
        let cap = (self.options.households / 2).max(10);
        let mut made = 0;
        for person in &index.people {
            let expected = population * names::name_share(&person.name) * birth_share(person.birth);
            if expected < RARE_BELOW {
                continue;
            }
            for _ in 0..poisson(&mut self.rng, expected) {
                if made >= cap {
                    return;
                }
                made += 1;
                let household = &households[person.household];
                let kind = match self.rng.random_range(0..20) {
                    0..9 => Kind::Death,
                    9..17 => Kind::Vehicle,
                    17..19 if household.programme != Programme::Linshi => Kind::Pension,
                    _ => Kind::Business,
                };
                let subject = Subject {
                    name: &person.name,
                    id: None,
                    birth: person.birth,
                };
                self.flaggable_record(kind, household, subject);
                self.planted_record(kind.source(), &person.id, false, "blank-ID namesake");
            }
        }
    }

    /// Addresses on a share of every registry's rows (`address_rate`). A record of a roll
    /// member (by its valid ID, or planted as the member) carries the household's village;
    /// a record of anyone else (a namesake, a decoy, the rest of the population) a village
    /// elsewhere in the county, now and then in the member's township, or another county.
    fn write_addresses(&mut self, households: &[Household], index: &RollIndex) {
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
                let (id, same_person) = match planted.get(&(source, row[col::RECORD_ID].as_str())) {
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

    /// Masks the ID of a share of each registry's rows that carry a valid one (never a
    /// record whose case rests on the full ID). A form that some other roll person with the
    /// record's name or birth date would agree with falls back to the standard form, or the
    /// row stays unmasked. Masked rows with no roll person behind them sometimes lose their
    /// birth date too.
    fn mask_ids(&mut self, index: &RollIndex) {
        for source in Source::REGISTRIES.iter().copied() {
            let (name_col, id_col, birth_col) = person_columns(source);
            let rate = mask_rate(source);
            for i in 0..self.registries[&source].len() {
                let row = &self.registries[&source][i];
                let record_id = row[col::RECORD_ID].clone();
                if self.keep_id.contains(&(source, record_id.clone())) {
                    continue;
                }
                let Some(id) = valid_id(&row[id_col]) else {
                    continue;
                };
                let name_key = names::simplified(&row[name_col]);
                if !self.rng.random_bool(rate) {
                    continue;
                }
                let birth = birth_of(&id);
                let form = self.pick_form();
                let Some(cell) = [form, STANDARD_FORM]
                    .into_iter()
                    .map(|form| self.mask(&id, form))
                    .find(|cell| index.unambiguous(cell, &id, &name_key, birth))
                else {
                    continue;
                };
                let namesakes: Vec<String> = birth
                    .map(|b| index.same_name_and_birth(&name_key, b))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|p| p.id != id)
                    .map(|p| p.id.clone())
                    .collect();
                let about_member = index.by_id.contains_key(&id);
                let blank_birth = birth_col.is_some()
                    && !about_member
                    && namesakes.is_empty()
                    && self.rng.random_bool(BLANK_BIRTH_RATE);
                let row = &mut self
                    .registries
                    .get_mut(&source)
                    .expect("every registry has a table")[i];
                row.insert(id_col, cell);
                if let (true, Some(birth_col)) = (blank_birth, birth_col) {
                    row.insert(birth_col, String::new());
                }
                let about = about_member.then_some((id, true));
                for (person_id, same_person) in about
                    .into_iter()
                    .chain(namesakes.into_iter().map(|other| (other, false)))
                {
                    self.record_truth.push(PlantedRecord {
                        source,
                        record_id: record_id.clone(),
                        person_id,
                        same_person,
                        case: "masked ID".into(),
                    });
                }
            }
        }
    }

    /// The planted records with the members they concern, one row per (record, member);
    /// a record planted and then masked says both.
    fn record_truths(&mut self, index: &RollIndex) -> Vec<RecordTruth> {
        let mut merged: BTreeMap<(Source, String, String), (bool, Vec<String>)> = BTreeMap::new();
        for planted in std::mem::take(&mut self.record_truth) {
            let entry = merged
                .entry((planted.source, planted.record_id, planted.person_id))
                .or_insert((planted.same_person, Vec::new()));
            entry.0 &= planted.same_person;
            entry.1.push(planted.case);
        }
        merged
            .into_iter()
            .filter_map(|((source, record_id, person_id), (same_person, cases))| {
                let person = &index.people[*index.by_id.get(&person_id)?];
                Some(RecordTruth {
                    source,
                    record_id,
                    household_id: person.household_id.clone(),
                    member_id: person.member_id.clone(),
                    same_person,
                    case: cases.join("; "),
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::cast_precision_loss, clippy::float_cmp)]
mod tests {
    use std::sync::OnceLock;

    use std::collections::HashSet;

    use super::*;
    use crate::synth::{generate, County, SynthOptions, Variant};

    fn county(households: usize, seed: u64, variant: Variant) -> County {
        generate(&SynthOptions {
            households,
            seed,
            variant,
            as_of: NaiveDate::from_ymd_opt(2025, 6, 30).expect("a date"),
        })
    }

    /// One wild county shared by the tests that only read it.
    fn wild() -> &'static County {
        static COUNTY: OnceLock<County> = OnceLock::new();
        COUNTY.get_or_init(|| county(5000, 3, Variant::Wild))
    }

    fn record<'a>(county: &'a County, source: Source, record_id: &str) -> &'a Row {
        county.registries[&source]
            .iter()
            .find(|row| row[col::RECORD_ID] == record_id)
            .expect("truth_records names a record that exists")
    }

    /// The roll's ID for each member.
    fn roll_ids(county: &County) -> HashMap<&str, &str> {
        county
            .roll
            .iter()
            .map(|row| (row[col::MEMBER_ID].as_str(), row[col::ID_NUMBER].as_str()))
            .collect()
    }

    fn id_cell(source: Source, row: &Row) -> &str {
        &row[person_columns(source).1]
    }

    #[test]
    fn masks_are_written_as_extracts_write_them() {
        let id = &format!("41152619800101123{}", check_char(b"41152619800101123"));
        let check = &id[17..];
        assert_eq!(
            masked(id, (6, 4), '*', false),
            format!("411526********123{check}")
        );
        assert_eq!(
            masked(id, (4, 4), '*', false),
            format!("4115**********123{check}")
        );
        assert_eq!(
            masked(id, (9, 2), '＊', false),
            format!("411526198＊＊＊＊＊＊＊3{check}")
        );
        for form in FORMS.iter().map(|(form, _)| *form) {
            let cell = masked(id, form, '*', false);
            assert_eq!(cell.chars().count(), 18);
            assert!(agrees(&cell, id));
            assert!(!agrees(&cell, "41152219800101123X") || form.0 < 5);
            assert_eq!(valid_id(&cell), None);
        }
        let full_width = masked(id, (6, 4), '＊', true);
        assert!(full_width.starts_with("４１１５２６＊"));
        assert!(agrees(&full_width, id));
        let other_check = if check == "0" { "1" } else { "0" };
        assert!(!agrees(&format!("411526********123{other_check}"), id));
        let spaced = format!(" 411526 19800101 123{}", check.to_lowercase());
        assert_eq!(valid_id(&spaced), Some(id.clone()));
    }

    #[test]
    fn name_shares_are_the_generators_distribution() {
        // Given names: every one and two characters long, shares summing to one.
        let mut given = 0.0;
        for a in names::GIVEN {
            given += names::given_share(a);
            for b in names::GIVEN {
                given += names::given_share(&format!("{a}{b}"));
            }
        }
        assert!((given - 1.0).abs() < 1e-9, "{given}");
        // Full names: each surname's share of the given names, plus the minority names.
        let mut total: f64 = names::SURNAMES
            .iter()
            .map(|(surname, _)| {
                names::name_share(&format!("{surname}{}", names::GIVEN[0]))
                    / names::given_share(names::GIVEN[0])
            })
            .sum();
        total += names::MINORITY
            .iter()
            .map(|n| names::name_share(n))
            .sum::<f64>();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        // Sampled frequencies agree: one-character given names under 王.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let n = 200_000u32;
        let sampled = (0..n)
            .map(|_| {
                let surname = names::pick_surname(&mut rng);
                names::full_name(&mut rng, surname)
            })
            .filter(|name| name.starts_with('王') && name.chars().count() == 2)
            .count();
        let expected: f64 = names::GIVEN
            .iter()
            .map(|g| names::name_share(&format!("王{g}")))
            .sum::<f64>()
            * f64::from(n);
        assert!(
            (sampled as f64 - expected).abs() < 4.0 * expected.sqrt(),
            "{sampled} vs {expected}"
        );
        assert!(names::name_share("王伟") > 50.0 * names::name_share("诸葛晓宇"));
        assert_eq!(names::name_share("Smith"), 0.0);
    }

    #[test]
    fn masks_a_tenth_to_a_quarter_of_every_registry() {
        let county = wild();
        for (source, rows) in &county.registries {
            let masked = rows
                .iter()
                .filter(|row| is_masked(id_cell(*source, row)))
                .count();
            let share = masked as f64 / rows.len() as f64;
            assert!(
                (0.10..=0.25).contains(&share),
                "{source:?}: {masked} of {} rows masked",
                rows.len()
            );
        }
        // Every form appears, and full-width stars too.
        let cells: Vec<&str> = county
            .registries
            .iter()
            .flat_map(|(source, rows)| rows.iter().map(|row| id_cell(*source, row)))
            .filter(|cell| is_masked(cell))
            .collect();
        for (lead, tail) in FORMS.iter().map(|(form, _)| *form) {
            let hidden = 18 - lead - tail;
            assert!(
                cells
                    .iter()
                    .any(
                        |cell| visible(cell).iter().filter(|v| v.is_none()).count() == hidden
                            && visible(cell)[lead - 1].is_some()
                            && visible(cell)[lead].is_none()
                    ),
                "no mask of the form ({lead}, {tail})"
            );
        }
        assert!(cells.iter().any(|cell| cell.contains('＊')));
        assert!(cells.iter().all(|cell| cell.chars().count() == 18));
    }

    #[test]
    fn masked_records_of_members_show_the_members_id() {
        let county = wild();
        let ids = roll_ids(county);
        let planted: HashSet<&str> = county
            .truth
            .iter()
            .map(|t| t.household_id.as_str())
            .collect();
        let mut masked_true_cases = 0;
        for truth in county.truth_records.iter().filter(|t| t.same_person) {
            let row = record(county, truth.source, &truth.record_id);
            let cell = id_cell(truth.source, row);
            if is_masked(cell) {
                let id = ids[truth.member_id.as_str()];
                assert!(agrees(cell, id), "{cell} is not {id}: {truth:?}");
                if planted.contains(truth.household_id.as_str()) {
                    masked_true_cases += 1;
                }
                if let Some(birth_col) = person_columns(truth.source).2 {
                    assert_eq!(
                        row[birth_col],
                        birth_of(id).expect("a valid ID").to_string()
                    );
                }
            }
        }
        assert!(masked_true_cases >= 30, "{masked_true_cases}");
        // A record under a member's ID with another name rests on the whole ID: kept.
        let death_ids: HashSet<&str> = county.registries[&Source::Death]
            .iter()
            .map(|row| row[col::ID_NUMBER].as_str())
            .collect();
        let conflicts: Vec<&str> = county
            .truth
            .iter()
            .filter(|t| t.case == "registry record under member's ID, other name")
            .map(|t| t.household_id.as_str())
            .collect();
        assert!(!conflicts.is_empty());
        for household in conflicts {
            assert!(county
                .roll
                .iter()
                .any(|row| row[col::HOUSEHOLD_ID] == household
                    && death_ids.contains(row[col::ID_NUMBER].as_str())));
        }
    }

    #[test]
    fn addresses_place_members_in_their_village_and_others_elsewhere() {
        use crate::normalize::address::{self, AddressAgreement};
        let county = wild();
        let address_of_member: HashMap<&str, &str> = county
            .roll
            .iter()
            .map(|row| (row[col::MEMBER_ID].as_str(), row[col::ADDRESS].as_str()))
            .collect();
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

    #[test]
    fn masked_decoys_differ_from_the_member_in_a_visible_character() {
        let county = wild();
        let ids = roll_ids(county);
        let names: HashMap<&str, &str> = county
            .roll
            .iter()
            .map(|row| (row[col::MEMBER_ID].as_str(), row[col::NAME].as_str()))
            .collect();
        let mut decoys = 0;
        for truth in county.truth_records.iter().filter(|t| !t.same_person) {
            let row = record(county, truth.source, &truth.record_id);
            let cell = id_cell(truth.source, row);
            let id = ids[truth.member_id.as_str()];
            if is_masked(cell) {
                assert!(!agrees(cell, id), "{cell} agrees with {id}: {truth:?}");
            }
            if truth.case.starts_with("masked decoy") {
                decoys += 1;
                let (name_col, _, birth_col) = person_columns(truth.source);
                assert!(is_masked(cell));
                assert_eq!(row[name_col], names[truth.member_id.as_str()]);
                let birth_col = birth_col.expect("decoys go to registries with birth dates");
                assert_eq!(
                    row[birth_col],
                    birth_of(id).expect("a valid ID").to_string()
                );
            }
        }
        assert!(decoys >= 30, "{decoys}");
    }

    #[test]
    fn namesakes_follow_how_common_the_name_is() {
        let county = wild();
        let names: BTreeMap<&str, &str> = county
            .roll
            .iter()
            .map(|row| (row[col::MEMBER_ID].as_str(), row[col::NAME].as_str()))
            .collect();
        let mut per_member: HashMap<&str, usize> = HashMap::new();
        for truth in &county.truth_records {
            if truth.case == "blank-ID namesake" {
                assert!(!truth.same_person);
                let row = record(county, truth.source, &truth.record_id);
                assert_eq!(id_cell(truth.source, row), "");
                assert_eq!(
                    row[person_columns(truth.source).0],
                    names[truth.member_id.as_str()]
                );
                *per_member.entry(truth.member_id.as_str()).or_default() += 1;
            }
        }
        let (mut common, mut common_namesakes, mut rare, mut rare_namesakes) =
            (0u32, 0usize, 0u32, 0usize);
        for (member, name) in &names {
            let share = names::name_share(name);
            let namesakes = per_member.get(member).copied().unwrap_or(0);
            if share >= COMMON_NAME {
                common += 1;
                common_namesakes += namesakes;
            } else if share < 2e-5 {
                rare += 1;
                rare_namesakes += namesakes;
            }
        }
        // A county of 5,000 households covers 300,000 people: a few of its commonest names
        // expect a namesake; rare names never get one.
        assert!(
            common_namesakes >= 1 && common > 100,
            "{common_namesakes} namesakes of {common} common names"
        );
        assert_eq!(rare_namesakes, 0, "{rare} rare names");
    }

    #[test]
    fn blank_id_true_cases_have_common_and_rare_names() {
        let county = wild();
        let names: HashMap<&str, &str> = county
            .roll
            .iter()
            .map(|row| (row[col::MEMBER_ID].as_str(), row[col::NAME].as_str()))
            .collect();
        let households: HashSet<(&str, &str)> = county
            .truth
            .iter()
            .map(|t| (t.household_id.as_str(), t.case))
            .collect();
        for case in ["blank ID, common name", "blank ID, rare name"] {
            let records: Vec<&RecordTruth> = county
                .truth_records
                .iter()
                .filter(|t| t.case == case)
                .collect();
            assert!(records.len() >= 3, "{case}: {}", records.len());
            for truth in records {
                assert!(truth.same_person);
                assert!(households.contains(&(truth.household_id.as_str(), case)));
                let row = record(county, truth.source, &truth.record_id);
                assert_eq!(id_cell(truth.source, row), "");
                let common = names::name_share(names[truth.member_id.as_str()]) >= COMMON_NAME;
                assert_eq!(common, case.contains("common"));
            }
        }
    }

    #[test]
    fn the_hard_part_of_a_wild_county_is_the_hard_county() {
        let hard = county(1500, 9, Variant::Hard);
        let wild = county(1500, 9, Variant::Wild);
        assert_eq!(hard.roll, wild.roll);
        assert!(hard.truth.iter().all(|t| wild.truth.contains(t)));
        assert!(hard.truth_records.is_empty() && !wild.truth_records.is_empty());
        for (source, rows) in &hard.registries {
            let (_, id_col, birth_col) = person_columns(*source);
            let wild_rows = &wild.registries[source];
            assert!(wild_rows.len() >= rows.len());
            for (hard_row, wild_row) in rows.iter().zip(wild_rows) {
                let mut expected = hard_row.clone();
                if let Some(address) = wild_row.get(col::ADDRESS) {
                    expected.insert(col::ADDRESS, address.clone());
                }
                if is_masked(&wild_row[id_col]) {
                    let id = valid_id(&hard_row[id_col]).expect("only valid IDs are masked");
                    assert!(agrees(&wild_row[id_col], &id));
                    expected.insert(id_col, wild_row[id_col].clone());
                    if let Some(birth_col) = birth_col.filter(|c| wild_row[*c].is_empty()) {
                        expected.insert(birth_col, String::new());
                    }
                }
                assert_eq!(&expected, wild_row);
            }
        }
        // Wild is as repeatable as the others.
        let again = county(1500, 9, Variant::Wild);
        assert_eq!(wild.registries, again.registries);
        assert_eq!(wild.truth, again.truth);
        assert_eq!(wild.truth_records, again.truth_records);
    }
}
