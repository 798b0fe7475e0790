//! Synthetic counties: a roll of households, registries that are mostly about unrelated
//! people, and planted cases plus near-miss decoys for every rule. The truth file lists the
//! (`household_id`, reason) pairs the planted cases should raise, decided here from how each
//! case was built — never by running the rules. The wild variant adds `truth_records.csv`:
//! registry records that are deliberately the member or deliberately someone else.
//! Front door: `synth::generate` (in memory) and `synth::write_county` (files).

mod hard;
mod ids;
mod money;
mod names;
mod plant;
mod records;
mod roll;
mod row;
mod supporters;
mod warnings;
mod wild;
mod write;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Days, NaiveDate};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ingest::schema::col;
use crate::model::{Programme, Reason, Source};
use crate::normalize::id::check_char;
pub use money::{whole_months, OverpaidTruth, RecheckTruth, MONEY_REASONS};
pub use supporters::{IncomeTruth, SupporterShape};
pub use warnings::{SignalRegistry, WarningCase, WarningShape, WarningTruth};
#[cfg(test)] // the namesake-rate tests draw their records with it
pub(crate) use wild::poisson;
pub use wild::POPULATION_PER_ROLL_PERSON;
pub use write::{
    write_county, write_county_scaled, write_county_shaped, SynthError, Written, INCOME_COLUMNS,
    TRUTH_OVERPAID_CSV, TRUTH_RECHECK_CSV, TRUTH_RECORD_OWNERS_CSV, TRUTH_WARNINGS_CSV,
    TRUTH_WARNING_CASES_CSV, WARNING_COLUMNS,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// UTF-8 CSV, English headers, canonical IDs and names.
    Clean,
    /// GBK and BOM files, Chinese headers, Parquet and gzip, damaged-but-normalisable IDs,
    /// traditional and spaced names on planted records, and unreadable rows for quarantine.
    Messy,
    /// Messy plus the cases only probabilistic matching gets right: registry records with a
    /// blank ID, one wrong digit or two swapped digits (name and birth date agree),
    /// homophone names under the right ID, namesakes who must not match, and 15- vs
    /// 18-digit duplicates on the roll.
    Hard,
    /// Hard (unchanged, the same rows for a seed) plus what shared extracts and
    /// population-sized registries add: masked IDs (`411526********123X`, `4115**…`, `＊`,
    /// other runs) on 10–25% of each registry's rows, true cases and unrelated records
    /// alike; masked decoys (a member's name and birth date, another person's masked ID);
    /// blank-ID namesakes drawn from a modelled registry population of 20 people per roll
    /// person, so common names get them and rare ones almost never; and blank-ID true cases
    /// for common and rare names. `truth_records.csv` says which records are the member.
    Wild,
}

#[derive(Debug, Clone, Copy)]
pub struct SynthOptions {
    pub households: usize,
    pub seed: u64,
    pub variant: Variant,
    pub as_of: NaiveDate,
    pub mix: Mix,
}

/// What the registries and names look like beyond the variant (issue 31: decisions must
/// not hinge on one generator's quirks, so a benchmark varies them). The default is each
/// variant as it has always been, draw for draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    /// The share of registry rows about people off the roll written with a blank ID
    /// (`None`: 0.02 in the clean variant, 0.10 in the others).
    pub blank_ids: Option<f64>,
    /// Wild: the share of each registry's rows with a valid ID that are masked (`None`:
    /// 0.15–0.22 by registry).
    pub masked_ids: Option<f64>,
    /// How steeply given-name characters' shares fall by rank (Zipf exponent; see
    /// `names::Names`): 0 every character alike, 0.5 the default, 1 few names very common.
    pub name_skew: f64,
    /// Wild: the people the registries cover per roll person, from which blank-ID
    /// namesakes are drawn (`POPULATION_PER_ROLL_PERSON`).
    pub population_per_roll_person: f64,
    /// Wild: a roll person expecting fewer namesakes than this in that population gets none
    /// (`wild::NAMESAKE_FLOOR`); 0 draws them for every name, the thin tail included.
    pub namesake_floor: f64,
}

impl Default for Mix {
    fn default() -> Self {
        Self {
            blank_ids: None,
            masked_ids: None,
            name_skew: names::NAME_SKEW,
            population_per_roll_person: POPULATION_PER_ROLL_PERSON,
            namesake_floor: wild::NAMESAKE_FLOOR,
        }
    }
}

pub use row::Row;

/// A planted expectation: this household should carry this reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TruthRow {
    pub household_id: String,
    pub reason: Reason,
    /// What was planted, for people reading truth.csv.
    pub case: &'static str,
}

/// A generated county in memory.
#[derive(Debug, Clone)]
pub struct County {
    pub roll: Vec<Row>,
    pub registries: BTreeMap<Source, Vec<Row>>,
    pub truth: Vec<TruthRow>,
    /// Rows deliberately made unreadable (messy variant), per source.
    pub unreadable_rows: BTreeMap<Source, usize>,
    /// Registry records that are deliberately a roll member or deliberately another person
    /// (wild variant only; empty otherwise).
    pub truth_records: Vec<RecordTruth>,
    /// Each household's income, support owed and entitlement at the as-of date
    /// (`truth_income.csv`), in household order.
    pub income: Vec<IncomeTruth>,
    /// The early-warning registries (disability, medical, unemployment).
    pub signal_registries: BTreeMap<SignalRegistry, Vec<Row>>,
    /// The warnings their people should raise (`truth_warnings.csv`), sorted.
    pub warnings: Vec<WarningTruth>,
    /// Every planted early-warning person, decoys included (`truth_warning_cases.csv`).
    pub warning_cases: Vec<WarningCase>,
    /// What each true flag of the reasons that cost money has cost (`truth_overpaid.csv`).
    pub overpaid: Vec<OverpaidTruth>,
    /// The households due their periodic re-check on a first run (`truth_recheck.csv`).
    pub recheck: Vec<RecheckTruth>,
    /// Every registry record about a roll person, under each of their member ids
    /// (`truth_record_owners.csv`): a pair of a member and a record is the same person
    /// exactly when it is listed here.
    pub record_owners: Vec<RecordOwner>,
}

impl County {
    /// The roll's rows, or a registry's.
    fn rows(&self, source: Source) -> &[Row] {
        if source == Source::Roll {
            &self.roll
        } else {
            &self.registries[&source]
        }
    }
}

/// Whether the early-warning registries' quiet rows (the bulk of them) are made with the
/// county, or left to the writer, which makes and writes them a chunk at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quiet {
    InCounty,
    Streamed,
}

/// A registry record and the roll member it is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordOwner {
    pub source: Source,
    pub record_id: String,
    pub member_id: String,
}

/// One registry record whose identity was decided when it was built: it is the member
/// (`same_person`) or it is someone else carrying the member's name and birth date.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordTruth {
    pub source: Source,
    pub record_id: String,
    pub household_id: String,
    pub member_id: String,
    pub same_person: bool,
    /// What was built, for people reading `truth_records.csv`.
    pub case: String,
}

#[derive(Debug, Clone)]
struct Person {
    name: String,
    id: String,
    birth: NaiveDate,
}

impl Person {
    /// The person as a registry row names them, ID and all.
    fn subject(&self) -> Subject<'_> {
        Subject {
            name: &self.name,
            id: Some(&self.id),
            birth: self.birth,
            owner: &self.id,
        }
    }

    /// The person under a blank ID.
    fn without_id(&self) -> Subject<'_> {
        Subject {
            id: None,
            ..self.subject()
        }
    }
}

/// Who a registry row is about, as the registry writes them: a name, an ID (blank when
/// `None`) and a birth date. Planted cases vary one of them (a damaged ID, a homophone
/// name) and keep the others.
#[derive(Debug, Clone, Copy)]
struct Subject<'a> {
    name: &'a str,
    id: Option<&'a str>,
    birth: NaiveDate,
    /// Whose row it is, whatever it shows: their canonical ID (`truth_record_owners.csv`).
    owner: &'a str,
}

#[derive(Debug, Clone)]
struct Household {
    id: String,
    programme: Programme,
    region: String,
    /// Indices into `Generator::roll`.
    rows: Vec<usize>,
    members: Vec<Person>,
}

const COUNTY: &str = "411526";

/// Where a person goes when their county's slot for their birth date and sex is full: the
/// prefecture's other counties, then the province's cities.
const OVERFLOW_REGIONS: &[&str] = &[
    "411521", "411522", "411523", "411524", "411525", "411527", "411528", "411502", "411503",
    "410102", "410105", "410202", "410302", "410305", "410402", "410502", "410602", "410702",
    "410802", "410902", "411002", "411102", "411202", "411302", "411402", "411602", "411702",
];

/// Random sequence numbers drawn for a slot before taking the first free one in order.
const RANDOM_TRIES: usize = 64;

/// The columns a registry writes its person in: name, ID and (where it has one) birth date,
/// from its descriptor.
fn person_columns(source: Source) -> (&'static str, &'static str, Option<&'static str>) {
    let person = crate::ingest::schema::descriptor(source)
        .and_then(|d| d.person)
        .expect("synth writes built-in registries only");
    (person.name, person.id_number, person.birth_date)
}

/// The township and village numbers of a 12-digit region code (411526108002: 108, 2); 0
/// where the code is shorter.
fn township_and_village(region: &str) -> (u32, u32) {
    let number = |range| {
        region
            .get(range)
            .and_then(|d: &str| d.parse().ok())
            .unwrap_or(0)
    };
    (number(6..9), number(9..12))
}

/// The roll's address of a household in `region`: its township and village (`108乡2村`).
fn village_address(region: &str) -> String {
    let (township, village) = township_and_village(region);
    format!("{township}乡{village}村")
}

/// An item of `table` drawn by its weight.
fn pick_weighted<T: Copy>(rng: &mut impl Rng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, weight) in table {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    table[0].0
}

/// One empty table for each registry.
fn empty_registries() -> BTreeMap<Source, Vec<Row>> {
    Source::REGISTRIES
        .iter()
        .map(|s| (*s, Vec::new()))
        .collect()
}

struct Generator {
    rng: ChaCha8Rng,
    options: SynthOptions,
    /// The name distribution `options.mix.name_skew` sets.
    names: names::Names,
    used_ids: ids::UsedIds,
    roll: Vec<Row>,
    registries: BTreeMap<Source, Vec<Row>>,
    truth: Vec<TruthRow>,
    next_record: BTreeMap<Source, usize>,
    /// Records planted as the member or as someone else (kept for the wild variant).
    record_truth: Vec<PlantedRecord>,
    /// Records whose ID must stay as written (the case rests on the full ID being seen).
    keep_id: HashSet<(Source, String)>,
    /// Property unit numbers handed out so far.
    property_units: usize,
    /// The early-warning registries' rows and record numbers.
    signal_tables: warnings::SignalTables,
    /// Each roll person's canonical ID → their member ids (two on a duplicate enrolment).
    roll_people: HashMap<String, Vec<String>>,
    /// Registry records about roll people: (source, record id, the person's canonical ID).
    owned_records: Vec<(Source, String, String)>,
}

/// A planted record about a roll person, before the person's `member_id` is looked up.
#[derive(Debug, Clone)]
struct PlantedRecord {
    source: Source,
    record_id: String,
    /// The roll person the record is (or imitates): their canonical ID.
    person_id: String,
    same_person: bool,
    case: String,
}

/// Builds a county from options; the same options always give the same county.
pub fn generate(options: &SynthOptions) -> County {
    let warnings = WarningShape::default();
    generate_keeping(
        options,
        Some(&SupporterShape::default()),
        Some(&warnings),
        Quiet::InCounty,
    )
    .0
}

/// `generate` with supporters and contributions of the given shape.
pub fn generate_shaped(options: &SynthOptions, shape: &SupporterShape) -> County {
    generate_keeping(
        options,
        Some(shape),
        Some(&WarningShape::default()),
        Quiet::InCounty,
    )
    .0
}

/// `generate` without the supporters' part and the early-warning part (what every county
/// was before them), to show that the parts only add rows.
#[cfg(test)]
fn generate_without_supporters(options: &SynthOptions) -> County {
    generate_keeping(options, None, None, Quiet::InCounty).0
}

/// `generate` without the early-warning part (what every county was before it).
#[cfg(test)]
fn generate_without_warnings(options: &SynthOptions) -> County {
    generate_keeping(
        options,
        Some(&SupporterShape::default()),
        None,
        Quiet::InCounty,
    )
    .0
}

/// `generate`, and the generator with the IDs and record numbers it has used, so that more
/// registry rows about other people can follow (`Generator::more_unrelated`). `shape`
/// `None` leaves out the supporters' part, `warnings` `None` the early-warning part;
/// `quiet` says whether the early-warning registries' quiet rows are in the county.
fn generate_keeping(
    options: &SynthOptions,
    shape: Option<&SupporterShape>,
    warnings: Option<&WarningShape>,
    quiet: Quiet,
) -> (County, Generator) {
    let mut generator = Generator {
        rng: ChaCha8Rng::seed_from_u64(options.seed),
        options: *options,
        names: names::Names::new(options.mix.name_skew),
        used_ids: ids::UsedIds::default(),
        roll: Vec::new(),
        registries: empty_registries(),
        truth: Vec::new(),
        next_record: BTreeMap::new(),
        record_truth: Vec::new(),
        keep_id: HashSet::new(),
        property_units: 0,
        signal_tables: warnings::SignalTables::default(),
        roll_people: HashMap::new(),
        owned_records: Vec::new(),
    };
    let mut households: Vec<Household> = (0..options.households)
        .map(|i| generator.household(i))
        .collect();
    generator.unrelated_records();
    // Each planted case takes households no other case touches, so outcomes never mix.
    let mut order: Vec<usize> = (0..households.len()).collect();
    order.shuffle(&mut generator.rng);
    let mut pool = order.into_iter();
    // `None`: the county is too small for every case, and has those its households allow.
    let _ = generator.plant_all(&mut households, &mut pool);
    // Everything so far is the hard variant, row for row; the wild part draws from a
    // stream of its own.
    let truth_records = if options.variant == Variant::Wild {
        generator.plant_wild(&households, &mut pool)
    } else {
        Vec::new()
    };
    // Supporters and contributions last, from a stream of their own: they only add rows.
    let income = shape.map_or_else(Vec::new, |shape| {
        generator.plant_supporters(&households, &mut pool, shape)
    });
    // The early-warning registries after everything else, from a stream of their own.
    let (warnings, warning_cases) = warnings.map_or_else(Default::default, |shape| {
        generator.plant_warnings(&households, shape, quiet)
    });
    // The money truth reads what every part planted; it draws nothing.
    let overpaid = generator.overpaid_truth(&households, &generator.truth, &income);
    let recheck = generator.recheck_truth(&households);
    let record_owners = generator.record_owners();
    let mut county = County {
        roll: std::mem::take(&mut generator.roll),
        registries: std::mem::take(&mut generator.registries),
        truth: std::mem::take(&mut generator.truth),
        unreadable_rows: BTreeMap::new(),
        truth_records,
        income,
        signal_registries: std::mem::take(&mut generator.signal_tables.rows),
        warnings,
        warning_cases,
        overpaid,
        recheck,
        record_owners,
    };
    county.truth.sort();
    county
        .truth
        .dedup_by(|a, b| a.household_id == b.household_id && a.reason == b.reason);
    (county, generator)
}

impl Generator {
    fn date_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days().max(1);
        let offset = self.rng.random_range(0..span);
        from + Days::new(u64::try_from(offset).unwrap_or(0))
    }

    fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("synthetic dates are real")
    }

    fn as_of(&self) -> NaiveDate {
        self.options.as_of
    }

    /// A person with an ID no one else in the county has.
    fn person(&mut self, name: String, birth: NaiveDate, male: bool) -> Person {
        self.person_with_region(COUNTY, name, birth, male)
    }

    /// A person registered in another county (their ID says so).
    fn person_in_region(&mut self, region: &str, name: String, birth: NaiveDate) -> Person {
        let male = self.rng.random_bool(0.5);
        self.person_with_region(region, name, birth, male)
    }

    /// A person born on `birth` with an ID no one else has: registered in `region` when
    /// that (region, birth date, sex) slot has a sequence number left, else in the next
    /// region of `OVERFLOW_REGIONS` that has one, else a day later. Bounded: a full slot
    /// moves on instead of drawing forever (issue 32: a province's registries fill slots).
    fn person_with_region(
        &mut self,
        region: &str,
        name: String,
        mut birth: NaiveDate,
        male: bool,
    ) -> Person {
        loop {
            let regions = std::iter::once(region).chain(OVERFLOW_REGIONS.iter().copied());
            for region in regions {
                if let Some(id) = self.free_id(region, birth, male) {
                    return Person { name, id, birth };
                }
            }
            birth = birth.succ_opt().unwrap_or(birth);
        }
    }

    /// An unused ID in the (region, birth date, sex) slot, claimed: a random sequence number
    /// (what synth always drew, so ordinary counties are unchanged), and after
    /// `RANDOM_TRIES` collisions the first free one in order; `None` when all 500 are used
    /// (known without drawing).
    fn free_id(&mut self, region: &str, birth: NaiveDate, male: bool) -> Option<String> {
        let sequence = |number: u32| ids::sequence(number, male);
        let id_of = |number: u32| {
            let first17 = format!("{region}{}{:03}", birth.format("%Y%m%d"), sequence(number));
            format!("{first17}{}", check_char(first17.as_bytes()))
        };
        if !self.used_ids.has_free(region, birth, male) {
            return None;
        }
        for _ in 0..RANDOM_TRIES {
            let number = self.rng.random_range(0..ids::SEQUENCES_PER_SEX);
            if self.used_ids.claim(region, birth, sequence(number)) {
                return Some(id_of(number));
            }
        }
        let number = self.used_ids.first_free(region, birth, male)?;
        self.used_ids.claim(region, birth, sequence(number));
        Some(id_of(number))
    }

    fn random_person(&mut self) -> Person {
        let surname = names::pick_surname(&mut self.rng);
        let name = self.names.full_name(&mut self.rng, surname);
        let birth = self.date_between(Self::ymd(1930, 1, 1), Self::ymd(2005, 12, 31));
        let male = self.rng.random_bool(0.5);
        self.person(name, birth, male)
    }

    /// The id of the record last added to `source`.
    fn last_record_id(&self, source: Source) -> String {
        self.registries[&source]
            .last()
            .map(|row| row[col::RECORD_ID].to_string())
            .unwrap_or_default()
    }

    /// Notes that the record last added to `source` is (or deliberately is not) the roll
    /// person with the ID `person_id`.
    fn planted_record(&mut self, source: Source, person_id: &str, same_person: bool, case: &str) {
        let record_id = self.last_record_id(source);
        self.record_truth.push(PlantedRecord {
            source,
            record_id,
            person_id: person_id.to_string(),
            same_person,
            case: case.to_string(),
        });
    }

    /// The records about roll people, under every member id of each (sorted).
    fn record_owners(&mut self) -> Vec<RecordOwner> {
        let mut owners: Vec<RecordOwner> = std::mem::take(&mut self.owned_records)
            .into_iter()
            .flat_map(|(source, record_id, owner)| {
                self.roll_people[&owner]
                    .iter()
                    .map(move |member_id| RecordOwner {
                        source,
                        record_id: record_id.clone(),
                        member_id: member_id.clone(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        owners.sort();
        owners
    }

    /// Keeps the ID of the record last added to `source` as written (never masked).
    fn keep_id(&mut self, source: Source) {
        let record_id = self.last_record_id(source);
        self.keep_id.insert((source, record_id));
    }

    fn truth(&mut self, household: &Household, reason: Reason, case: &'static str) {
        self.truth.push(TruthRow {
            household_id: household.id.clone(),
            reason,
            case,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator() -> Generator {
        let options = SynthOptions {
            households: 0,
            seed: 1,
            variant: Variant::Clean,
            as_of: Generator::ymd(2025, 6, 30),
            mix: crate::synth::Mix::default(),
        };
        let (_, generator) = generate_keeping(&options, None, None, Quiet::InCounty);
        generator
    }

    /// Issue 32: once a (region, birth date, sex) slot's 500 sequence numbers are used, a new
    /// person still gets an ID (the next region's), and the slot's last free one is found.
    #[test]
    fn a_full_slot_moves_on_instead_of_drawing_forever() {
        let mut g = generator();
        let birth = Generator::ymd(1960, 5, 1);
        let first: Vec<Person> = (0..500)
            .map(|_| g.person_with_region(COUNTY, "张三".into(), birth, true))
            .collect();
        let slot = |p: &Person| p.id[..14].to_string();
        assert!(
            first.iter().all(|p| slot(p) == "41152619600501"),
            "the slot's own"
        );
        let ids: HashSet<&str> = first.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.len(), 500);
        let next = g.person_with_region(COUNTY, "李四".into(), birth, true);
        assert_eq!(&next.id[..14], "41152119600501");
        assert_eq!(next.birth, birth);
        assert_eq!((next.id.as_bytes()[16] - b'0') % 2, 1, "still male");
        // Every region full too: a day later.
        for region in OVERFLOW_REGIONS {
            while g.free_id(region, birth, true).is_some() {}
        }
        let later = g.person_with_region(COUNTY, "王五".into(), birth, true);
        assert_eq!(later.birth, birth.succ_opt().unwrap());
        assert_eq!(&later.id[6..14], "19600502");
    }
}
