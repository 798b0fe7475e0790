//! Synthetic counties: a roll of households, registries that are mostly about unrelated
//! people, and planted cases plus near-miss decoys for every rule. The truth file lists the
//! (`household_id`, reason) pairs the planted cases should raise, decided here from how each
//! case was built — never by running the rules. The wild variant adds `truth_records.csv`:
//! registry records that are deliberately the member or deliberately someone else.
//! Front door: `synth::generate` (in memory) and `synth::write_county` (files).

mod hard;
mod names;
mod wild;
mod write;

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ingest::schema::col;
use crate::model::{Programme, Reason, Source};
use crate::normalize::id::check_char;
pub use wild::POPULATION_PER_ROLL_PERSON;
pub use write::{write_county, write_county_scaled, SynthError, Written};

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
}

/// One row: contract column name → cell text.
pub type Row = BTreeMap<&'static str, String>;

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

struct Generator {
    rng: ChaCha8Rng,
    options: SynthOptions,
    used_ids: HashSet<String>,
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
    generate_keeping(options).0
}

/// `generate`, and the generator with the IDs and record numbers it has used, so that more
/// registry rows about other people can follow (`Generator::more_unrelated`).
fn generate_keeping(options: &SynthOptions) -> (County, Generator) {
    let mut generator = Generator {
        rng: ChaCha8Rng::seed_from_u64(options.seed),
        options: *options,
        used_ids: HashSet::new(),
        roll: Vec::new(),
        registries: Source::REGISTRIES
            .iter()
            .map(|s| (*s, Vec::new()))
            .collect(),
        truth: Vec::new(),
        next_record: BTreeMap::new(),
        record_truth: Vec::new(),
        keep_id: HashSet::new(),
        property_units: 0,
    };
    let mut households: Vec<Household> = (0..options.households)
        .map(|i| generator.household(i))
        .collect();
    generator.unrelated_records();
    // Each planted case takes households no other case touches, so outcomes never mix.
    let mut order: Vec<usize> = (0..households.len()).collect();
    order.shuffle(&mut generator.rng);
    let mut pool = order.into_iter();
    generator.plant_all(&mut households, &mut pool);
    // Everything so far is the hard variant, row for row; the wild part draws from a
    // stream of its own.
    let truth_records = if options.variant == Variant::Wild {
        generator.plant_wild(&households, &mut pool)
    } else {
        Vec::new()
    };
    let mut county = County {
        roll: std::mem::take(&mut generator.roll),
        registries: std::mem::take(&mut generator.registries),
        truth: std::mem::take(&mut generator.truth),
        unreadable_rows: BTreeMap::new(),
        truth_records,
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

    fn person_with_region(
        &mut self,
        region: &str,
        name: String,
        birth: NaiveDate,
        male: bool,
    ) -> Person {
        loop {
            let seq = self.rng.random_range(0..500u32) * 2 + u32::from(male);
            let first17 = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
            let id = format!("{first17}{}", check_char(first17.as_bytes()));
            if self.used_ids.insert(id.clone()) {
                return Person { name, id, birth };
            }
        }
    }

    fn random_person(&mut self) -> Person {
        let surname = names::pick_surname(&mut self.rng);
        let name = names::full_name(&mut self.rng, surname);
        let birth = self.date_between(Self::ymd(1930, 1, 1), Self::ymd(2005, 12, 31));
        let male = self.rng.random_bool(0.5);
        self.person(name, birth, male)
    }

    fn household(&mut self, index: usize) -> Household {
        let programme = match self.rng.random_range(0..100) {
            0..60 => Programme::DibaoRural,
            60..85 => Programme::DibaoUrban,
            85..95 => Programme::Tekun,
            _ => Programme::Linshi,
        };
        let size = match programme {
            Programme::Tekun => 1,
            _ => *[1, 2, 2, 3, 3, 3, 4, 4, 5, 6]
                .get(self.rng.random_range(0..10))
                .unwrap_or(&3),
        };
        let township = 101 + self.rng.random_range(0..12);
        let village = 1 + self.rng.random_range(0..20);
        let region = format!("{COUNTY}{township:03}{village:03}");
        let id = format!("H{:06}", index + 1);
        let surname = names::pick_surname(&mut self.rng);
        let head_birth = self.date_between(Self::ymd(1940, 1, 1), Self::ymd(1990, 12, 31));
        let head_male = self.rng.random_bool(0.7);
        let mut members = Vec::new();
        let head = names::full_name(&mut self.rng, surname);
        members.push((self.person(head, head_birth, head_male), "head"));
        for position in 1..size {
            let (relation, birth, male) = match position {
                1 => {
                    let offset = self.rng.random_range(0..2000);
                    ("spouse", head_birth + Days::new(offset), !head_male)
                }
                5 => {
                    let year = (head_birth.year() - 25).max(1925);
                    (
                        "parent",
                        self.date_between(Self::ymd(year - 5, 1, 1), Self::ymd(year, 12, 31)),
                        self.rng.random_bool(0.5),
                    )
                }
                _ => {
                    let year = (head_birth.year() + 22).min(2020);
                    (
                        "child",
                        self.date_between(Self::ymd(year, 1, 1), Self::ymd(year + 12, 12, 31)),
                        self.rng.random_bool(0.5),
                    )
                }
            };
            let surname = if relation == "child" {
                surname
            } else {
                names::pick_surname(&mut self.rng)
            };
            let name = names::full_name(&mut self.rng, surname);
            members.push((self.person(name, birth, male), relation));
        }
        let mut household = Household {
            id,
            programme,
            region,
            rows: Vec::new(),
            members: Vec::new(),
        };
        for (position, (person, relation)) in members.into_iter().enumerate() {
            self.add_roll_row(&mut household, &person, relation, programme, position + 1);
            household.members.push(person);
        }
        household
    }

    fn add_roll_row(
        &mut self,
        household: &mut Household,
        person: &Person,
        relation: &str,
        programme: Programme,
        position: usize,
    ) {
        let standard = match programme {
            Programme::DibaoUrban => 800,
            Programme::DibaoRural => 600,
            Programme::Tekun => 1040,
            Programme::Linshi => 500,
        };
        let row: Row = [
            (col::HOUSEHOLD_ID, household.id.clone()),
            (col::PROGRAMME, programme.code().to_string()),
            (col::MEMBER_ID, format!("{}-{position:02}", household.id)),
            (col::NAME, person.name.clone()),
            (col::ID_NUMBER, person.id.clone()),
            (col::RELATION, relation.to_string()),
            (col::REGION_CODE, household.region.clone()),
            (
                col::MONTHLY_BENEFIT,
                format!("{}", standard / 2 + self.rng.random_range(0..200)),
            ),
            (
                col::ENROLLED_ON,
                self.date_between(Self::ymd(2015, 1, 1), Self::ymd(2024, 12, 31))
                    .to_string(),
            ),
            (col::ADDRESS, village_address(&household.region)),
        ]
        .into_iter()
        .collect();
        household.rows.push(self.roll.len());
        self.roll.push(row);
    }

    fn record_id(&mut self, source: Source) -> String {
        let prefix = crate::ingest::schema::descriptor(source).map_or("X", |d| d.record_prefix);
        let counter = self.next_record.entry(source).or_insert(0);
        *counter += 1;
        format!("{prefix}-{:07}", *counter)
    }

    /// Adds a registry row about `person` (name and ID as the registry writes them).
    fn record(
        &mut self,
        source: Source,
        name: &str,
        id: Option<&str>,
        birth: NaiveDate,
        details: Vec<(&'static str, String)>,
    ) {
        let (name_col, id_col, birth_col) = person_columns(source);
        let mut row: Row = details.into_iter().collect();
        row.insert(col::RECORD_ID, self.record_id(source));
        row.insert(name_col, name.to_string());
        row.insert(id_col, id.unwrap_or("").to_string());
        if let Some(birth_col) = birth_col {
            row.insert(birth_col, birth.to_string());
        }
        self.registries
            .get_mut(&source)
            .expect("every registry has a table")
            .push(row);
    }

    /// How a registry writes a roll member's identity: canonical in the clean variant,
    /// damaged-but-normalisable and in traditional or spaced characters in the messy one.
    fn as_registry_writes(&mut self, person: &Person) -> (String, String) {
        if self.options.variant == Variant::Clean {
            return (person.name.clone(), person.id.clone());
        }
        let name = match self.rng.random_range(0..4) {
            0 => names::traditional(&person.name),
            1 => names::spaced(&person.name),
            _ => person.name.clone(),
        };
        let id = match self.rng.random_range(0..6) {
            0 => person.id.to_lowercase(),
            1 => format!(
                "{} {} {}",
                &person.id[..6],
                &person.id[6..14],
                &person.id[14..]
            ),
            2 => person
                .id
                .chars()
                .map(|c| {
                    char::from_u32(c as u32 + 0xFEE0)
                        .filter(|_| c.is_ascii_digit())
                        .unwrap_or(c)
                })
                .collect(),
            3 if person.birth.year() < 2000 => format!("{}{}", &person.id[..6], &person.id[8..17]),
            _ => person.id.clone(),
        };
        (name, id)
    }

    fn death(&mut self, name: &str, id: Option<&str>, birth: NaiveDate, death_date: NaiveDate) {
        let source =
            ["hospital", "police", "cremation", "civil_affairs"][self.rng.random_range(0..4)];
        self.record(
            Source::Death,
            name,
            id,
            birth,
            vec![
                (col::DEATH_DATE, death_date.to_string()),
                (col::SOURCE, source.into()),
            ],
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn pension(
        &mut self,
        name: &str,
        id: Option<&str>,
        birth: NaiveDate,
        kind: &str,
        amount: f64,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) {
        self.record(
            Source::Pension,
            name,
            id,
            birth,
            vec![
                (col::PENSION_TYPE, kind.into()),
                (col::MONTHLY_AMOUNT, format!("{amount:.2}")),
                (col::START_DATE, start.to_string()),
                (
                    col::END_DATE,
                    end.map(|d| d.to_string()).unwrap_or_default(),
                ),
            ],
        );
    }

    fn vehicle(
        &mut self,
        name: &str,
        id: Option<&str>,
        birth: NaiveDate,
        kind: &str,
        registered: NaiveDate,
        deregistered: Option<NaiveDate>,
    ) {
        let plate = format!("豫P{:05}", self.rng.random_range(0..100_000));
        self.record(
            Source::Vehicle,
            name,
            id,
            birth,
            vec![
                (col::PLATE, plate),
                (col::VEHICLE_TYPE, kind.into()),
                (col::REGISTERED_ON, registered.to_string()),
                (
                    col::DEREGISTERED_ON,
                    deregistered.map(|d| d.to_string()).unwrap_or_default(),
                ),
            ],
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn property(
        &mut self,
        name: &str,
        id: Option<&str>,
        birth: NaiveDate,
        property_id: &str,
        use_: &str,
        registered: NaiveDate,
        disposed: Option<NaiveDate>,
    ) {
        let area = format!("{:.1}", self.rng.random_range(40.0..140.0));
        self.record(
            Source::Property,
            name,
            id,
            birth,
            vec![
                (col::PROPERTY_ID, property_id.into()),
                (col::USE, use_.into()),
                (col::AREA_M2, area),
                (col::REGISTERED_ON, registered.to_string()),
                (
                    col::DISPOSED_ON,
                    disposed.map(|d| d.to_string()).unwrap_or_default(),
                ),
            ],
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn business(
        &mut self,
        name: &str,
        id: Option<&str>,
        birth: NaiveDate,
        role: &str,
        capital: f64,
        status: &str,
        established: NaiveDate,
        closed: Option<NaiveDate>,
    ) {
        let number = self.rng.random_range(0..1_000_000);
        self.record(
            Source::Business,
            name,
            id,
            birth,
            vec![
                (col::ROLE, role.into()),
                (col::BUSINESS_NAME, format!("沈丘县{number:06}商贸有限公司")),
                (col::USCC, format!("91411526MA{number:06}X")),
                (col::REGISTERED_CAPITAL, format!("{capital:.0}")),
                (col::STATUS, status.into()),
                (col::ESTABLISHED_ON, established.to_string()),
                (
                    col::CLOSED_ON,
                    closed.map(|d| d.to_string()).unwrap_or_default(),
                ),
            ],
        );
    }

    fn cadre(
        &mut self,
        cadre: &Person,
        relative_name: &str,
        relative_id: Option<&str>,
        relative_birth: NaiveDate,
    ) {
        let relationship = ["配偶", "子女", "兄弟姐妹", "父母"][self.rng.random_range(0..4)];
        self.record(
            Source::CadreRelatives,
            relative_name,
            relative_id,
            relative_birth,
            vec![
                (col::CADRE_NAME, cadre.name.clone()),
                (col::CADRE_ID, cadre.id.clone()),
                (col::CADRE_POST, "村委会主任".into()),
                (col::RELATIONSHIP, relationship.into()),
            ],
        );
    }

    /// Registry rows about people who are not on the roll: the bulk of every registry.
    fn unrelated_records(&mut self) {
        let n = self.options.households;
        let as_of = self.as_of();
        let past = |g: &mut Generator| g.date_between(Self::ymd(2005, 1, 1), as_of);
        for _ in 0..n / 20 {
            let p = self.random_person();
            let date = past(self);
            let id = self.maybe_blank_id(&p);
            self.death(&p.name, id.as_deref(), p.birth, date);
        }
        for _ in 0..n / 4 {
            let p = self.random_person();
            let kind = ["enterprise", "institution", "resident_basic"][self.rng.random_range(0..3)];
            let amount = self.rng.random_range(150.0..5000.0);
            let start = past(self);
            let id = self.maybe_blank_id(&p);
            self.pension(&p.name, id.as_deref(), p.birth, kind, amount, start, None);
        }
        for _ in 0..n / 5 {
            let p = self.random_person();
            let kind = ["car", "truck", "motorcycle", "tricycle"][self.rng.random_range(0..4)];
            let start = past(self);
            let id = self.maybe_blank_id(&p);
            self.vehicle(&p.name, id.as_deref(), p.birth, kind, start, None);
        }
        let units = self.property_units;
        for index in 0..n / 3 {
            let p = self.random_person();
            let use_ = if self.rng.random_bool(0.85) {
                "residential"
            } else {
                "commercial"
            };
            let start = past(self);
            let id = self.maybe_blank_id(&p);
            self.property(
                &p.name,
                id.as_deref(),
                p.birth,
                &format!("U{:07}", units + index),
                use_,
                start,
                None,
            );
        }
        self.property_units += n / 3;
        for _ in 0..n / 10 {
            let p = self.random_person();
            let role = ["legal_rep", "sole_proprietor", "shareholder"][self.rng.random_range(0..3)];
            let start = past(self);
            let id = self.maybe_blank_id(&p);
            self.business(
                &p.name,
                id.as_deref(),
                p.birth,
                role,
                200_000.0,
                "active",
                start,
                None,
            );
        }
        for _ in 0..n / 50 {
            let cadre = self.random_person();
            let relative = self.random_person();
            self.cadre(&cadre, &relative.name, Some(&relative.id), relative.birth);
        }
    }

    /// Another batch of registry rows about people not on the roll, as many as
    /// `unrelated_records` makes, with IDs, record ids and unit numbers no row before has
    /// (a province's registries are many times its roll). Batch `batch` draws from a
    /// stream of its own.
    fn more_unrelated(&mut self, batch: u64) -> BTreeMap<Source, Vec<Row>> {
        self.rng = ChaCha8Rng::seed_from_u64(self.options.seed ^ (batch << 32) ^ 0x5CA1E);
        self.registries = Source::REGISTRIES
            .iter()
            .map(|s| (*s, Vec::new()))
            .collect();
        self.unrelated_records();
        std::mem::take(&mut self.registries)
    }

    fn maybe_blank_id(&mut self, person: &Person) -> Option<String> {
        let blank_rate = if self.options.variant == Variant::Clean {
            0.02
        } else {
            0.1
        };
        (!self.rng.random_bool(blank_rate)).then(|| person.id.clone())
    }

    /// The id of the record last added to `source`.
    fn last_record_id(&self, source: Source) -> String {
        self.registries[&source]
            .last()
            .map(|row| row[col::RECORD_ID].clone())
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

mod plant;
