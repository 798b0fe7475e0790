//! Registry rows: one builder per registry (death, pension, vehicle, property, business,
//! cadre relatives, relations, contributions) writing the person's columns and the record's details, how registries
//! write a roll member, and the bulk of every registry: records about people not on the
//! roll.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{empty_registries, names, person_columns, Generator, Person, Row, Subject, Variant};
use crate::ingest::schema::col;
use crate::model::{Kinship, Source};

/// An optional date's cell: blank when there is none.
fn date_or_blank(date: Option<NaiveDate>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}

impl Generator {
    fn record_id(&mut self, source: Source) -> String {
        let prefix = crate::ingest::schema::descriptor(source).map_or("X", |d| d.record_prefix);
        let counter = self.next_record.entry(source).or_insert(0);
        *counter += 1;
        format!("{prefix}-{:07}", *counter)
    }

    /// Adds a registry row about `subject` (name and ID as the registry writes them).
    fn record(&mut self, source: Source, subject: Subject, details: Vec<(&'static str, String)>) {
        let (name_col, id_col, birth_col) = person_columns(source);
        let mut cells = details;
        let record_id = self.record_id(source);
        // A person as a registry writes them may carry a damaged-but-normalisable ID.
        let owner = if self.roll_people.contains_key(subject.owner) {
            Some(subject.owner.to_string())
        } else {
            crate::normalize::normalize_id(Some(subject.owner))
                .valid()
                .map(|id| id.text().to_string())
                .filter(|id| self.roll_people.contains_key(id))
        };
        if let Some(owner) = owner {
            self.owned_records.push((source, record_id.clone(), owner));
        }
        cells.push((col::RECORD_ID, record_id));
        cells.push((name_col, subject.name.to_string()));
        cells.push((id_col, subject.id.unwrap_or("").to_string()));
        if let Some(birth_col) = birth_col {
            cells.push((birth_col, subject.birth.to_string()));
        }
        // Made once from all its cells: a row is rebuilt by each later `insert`.
        self.registries
            .get_mut(&source)
            .expect("every registry has a table")
            .push(cells.into_iter().collect());
    }

    /// How a registry writes a roll member's identity: canonical in the clean variant,
    /// damaged-but-normalisable and in traditional or spaced characters in the messy one.
    pub(super) fn as_registry_writes(&mut self, person: &Person) -> Person {
        if self.options.variant == Variant::Clean {
            return person.clone();
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
        Person {
            name,
            id,
            birth: person.birth,
        }
    }

    pub(super) fn death(&mut self, subject: Subject, death_date: NaiveDate) {
        let source =
            ["hospital", "police", "cremation", "civil_affairs"][self.rng.random_range(0..4)];
        self.record(
            Source::Death,
            subject,
            vec![
                (col::DEATH_DATE, death_date.to_string()),
                (col::SOURCE, source.into()),
            ],
        );
    }

    pub(super) fn pension(
        &mut self,
        subject: Subject,
        kind: &str,
        amount: f64,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) {
        self.record(
            Source::Pension,
            subject,
            vec![
                (col::PENSION_TYPE, kind.into()),
                (col::MONTHLY_AMOUNT, format!("{amount:.2}")),
                (col::START_DATE, start.to_string()),
                (col::END_DATE, date_or_blank(end)),
            ],
        );
    }

    pub(super) fn vehicle(
        &mut self,
        subject: Subject,
        kind: &str,
        registered: NaiveDate,
        deregistered: Option<NaiveDate>,
    ) {
        let plate = format!("豫P{:05}", self.rng.random_range(0..100_000));
        self.record(
            Source::Vehicle,
            subject,
            vec![
                (col::PLATE, plate),
                (col::VEHICLE_TYPE, kind.into()),
                (col::REGISTERED_ON, registered.to_string()),
                (col::DEREGISTERED_ON, date_or_blank(deregistered)),
            ],
        );
    }

    pub(super) fn property(
        &mut self,
        subject: Subject,
        property_id: &str,
        use_: &str,
        registered: NaiveDate,
        disposed: Option<NaiveDate>,
    ) {
        let area = format!("{:.1}", self.rng.random_range(40.0..140.0));
        self.record(
            Source::Property,
            subject,
            vec![
                (col::PROPERTY_ID, property_id.into()),
                (col::USE, use_.into()),
                (col::AREA_M2, area),
                (col::REGISTERED_ON, registered.to_string()),
                (col::DISPOSED_ON, date_or_blank(disposed)),
            ],
        );
    }

    pub(super) fn business(
        &mut self,
        subject: Subject,
        role: &str,
        capital: f64,
        status: &str,
        established: NaiveDate,
        closed: Option<NaiveDate>,
    ) {
        let number = self.rng.random_range(0..1_000_000);
        self.record(
            Source::Business,
            subject,
            vec![
                (col::ROLE, role.into()),
                (col::BUSINESS_NAME, format!("沈丘县{number:06}商贸有限公司")),
                (col::USCC, format!("91411526MA{number:06}X")),
                (col::REGISTERED_CAPITAL, format!("{capital:.0}")),
                (col::STATUS, status.into()),
                (col::ESTABLISHED_ON, established.to_string()),
                (col::CLOSED_ON, date_or_blank(closed)),
            ],
        );
    }

    /// A cadre-relatives row: `relative` is a relative of the village cadre `cadre`.
    pub(super) fn cadre(&mut self, cadre: &Person, relative: Subject) {
        let relationship = ["配偶", "子女", "兄弟姐妹", "父母"][self.rng.random_range(0..4)];
        self.record(
            Source::CadreRelatives,
            relative,
            vec![
                (col::CADRE_NAME, cadre.name.clone()),
                (col::CADRE_ID, cadre.id.clone()),
                (col::CADRE_POST, "村委会主任".into()),
                (col::RELATIONSHIP, relationship.into()),
            ],
        );
    }

    /// A relations row: `relative` (as the registry writes them: name, ID cell, birth date)
    /// stands to `subject` as `kinship`, living in a household of `household_size` (blank
    /// when `None`) in `region`.
    pub(super) fn relation(
        &mut self,
        subject: Subject,
        relative: Subject,
        kinship: Kinship,
        household_size: Option<u32>,
        region: &str,
    ) {
        self.record(
            Source::Relations,
            subject,
            vec![
                (col::RELATIVE_NAME, relative.name.to_string()),
                (col::RELATIVE_ID, relative.id.unwrap_or("").to_string()),
                (col::RELATIVE_BIRTH_DATE, relative.birth.to_string()),
                (col::RELATION, kinship.code().into()),
                (
                    col::RELATIVE_HOUSEHOLD_SIZE,
                    household_size.map(|n| n.to_string()).unwrap_or_default(),
                ),
                (col::RELATIVE_REGION_CODE, region.into()),
            ],
        );
    }

    /// A contributions row: a monthly contribution base from `start` to `end` (or on).
    pub(super) fn contribution(
        &mut self,
        subject: Subject,
        base: f64,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) {
        let employer = format!("沈丘县{:04}实业有限公司", self.rng.random_range(0..10_000));
        self.record(
            Source::Contributions,
            subject,
            vec![
                (col::CONTRIBUTION_BASE, format!("{base:.2}")),
                (col::EMPLOYER, employer),
                (col::START_DATE, start.to_string()),
                (col::END_DATE, date_or_blank(end)),
            ],
        );
    }

    /// `contributions` rows and `relations` rows about people who are not on the roll.
    pub(super) fn unrelated_support_rows(&mut self, contributions: usize, relations: usize) {
        let as_of = self.as_of();
        for _ in 0..contributions {
            let p = self.random_person();
            let base = f64::from(self.rng.random_range(1_900..9_000));
            let start = self.date_between(Self::ymd(2005, 1, 1), as_of);
            let end = self
                .rng
                .random_bool(0.2)
                .then(|| self.date_between(start, as_of));
            let subject = self.maybe_without_id(&p);
            self.contribution(subject, base, start, end);
        }
        for _ in 0..relations {
            let p = self.random_person();
            let relative = self.random_person();
            let kinship =
                [Kinship::Child, Kinship::Spouse, Kinship::Sibling][self.rng.random_range(0..3)];
            let size = self.rng.random_range(1..6);
            self.relation(
                p.subject(),
                relative.subject(),
                kinship,
                Some(size),
                super::COUNTY,
            );
        }
    }

    /// Registry rows about people who are not on the roll: the bulk of every registry.
    pub(super) fn unrelated_records(&mut self) {
        let n = self.options.households;
        let as_of = self.as_of();
        let past = |g: &mut Generator| g.date_between(Self::ymd(2005, 1, 1), as_of);
        for _ in 0..n / 20 {
            let p = self.random_person();
            let date = past(self);
            let subject = self.maybe_without_id(&p);
            self.death(subject, date);
        }
        for _ in 0..n / 4 {
            let p = self.random_person();
            let kind = ["enterprise", "institution", "resident_basic"][self.rng.random_range(0..3)];
            let amount = self.rng.random_range(150.0..5000.0);
            let start = past(self);
            let subject = self.maybe_without_id(&p);
            self.pension(subject, kind, amount, start, None);
        }
        for _ in 0..n / 5 {
            let p = self.random_person();
            let kind = ["car", "truck", "motorcycle", "tricycle"][self.rng.random_range(0..4)];
            let start = past(self);
            let subject = self.maybe_without_id(&p);
            self.vehicle(subject, kind, start, None);
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
            let subject = self.maybe_without_id(&p);
            let unit = format!("U{:07}", units + index);
            self.property(subject, &unit, use_, start, None);
        }
        self.property_units += n / 3;
        for _ in 0..n / 10 {
            let p = self.random_person();
            let role = ["legal_rep", "sole_proprietor", "shareholder"][self.rng.random_range(0..3)];
            let start = past(self);
            let subject = self.maybe_without_id(&p);
            self.business(subject, role, 200_000.0, "active", start, None);
        }
        for _ in 0..n / 50 {
            let cadre = self.random_person();
            let relative = self.random_person();
            self.cadre(&cadre, relative.subject());
        }
    }

    /// Another batch of registry rows about people not on the roll, as many as
    /// `unrelated_records` makes, with IDs, record ids and unit numbers no row before has
    /// (a province's registries are many times its roll). Batch `batch` draws from a
    /// stream of its own.
    pub(super) fn more_unrelated(&mut self, batch: u64) -> BTreeMap<Source, Vec<Row>> {
        self.rng = ChaCha8Rng::seed_from_u64(self.options.seed ^ (batch << 32) ^ 0x5CA1E);
        self.registries = empty_registries();
        self.unrelated_records();
        // After the older registries' rows, so that those stay as they were for a seed.
        let n = self.options.households;
        self.unrelated_support_rows(n * 2 / 5, n / 5);
        std::mem::take(&mut self.registries)
    }

    /// `person` as a registry of people off the roll writes them: now and then with a
    /// blank ID (more often in the messy variants; `Mix::blank_ids` overrides).
    fn maybe_without_id<'p>(&mut self, person: &'p Person) -> Subject<'p> {
        let variant_rate = if self.options.variant == Variant::Clean {
            0.02
        } else {
            0.1
        };
        let blank_rate = self.options.mix.blank_ids.unwrap_or(variant_rate);
        if self.rng.random_bool(blank_rate) {
            person.without_id()
        } else {
            person.subject()
        }
    }
}
