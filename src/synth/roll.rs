//! The roll: households with their programme, village and members, one roll row each.

use chrono::{Datelike, Days};
use rand::Rng;

use super::{names, village_address, Generator, Household, Person, Row, COUNTY};
use crate::ingest::schema::col;
use crate::model::Programme;

/// A household's re-check class 分类, decided by its number so that its rows agree and the
/// random stream (every other value of a seed) is unchanged: B for half, A and C a quarter
/// each; every seventh written `A类`-style, as offices often do. The roll is its truth.
fn category(household_id: &str) -> String {
    let n: usize = household_id
        .trim_start_matches('H')
        .parse()
        .unwrap_or_default();
    let class = ["A", "B", "B", "C"][n % 4];
    if n.is_multiple_of(7) {
        format!("{class}类")
    } else {
        class.to_string()
    }
}

/// Roughly how many assisted households a township has: a county of 20,000 has 12
/// townships, and a province-sized roll as many more as keep them this size (so that a
/// township's workbook and its leads cap see a township's worth of households).
const HOUSEHOLDS_PER_TOWNSHIP: usize = 1_700;

impl Generator {
    /// How many townships (numbered from 101) the county's households live in.
    pub(super) fn townships(&self) -> u32 {
        let townships = self.options.households.div_ceil(HOUSEHOLDS_PER_TOWNSHIP);
        u32::try_from(townships.clamp(12, 899)).unwrap_or(899)
    }

    /// Household number `index` (from 0): its programme, size, village and members, each
    /// listed on the roll.
    pub(super) fn household(&mut self, index: usize) -> Household {
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
        let township = 101 + self.rng.random_range(0..self.townships());
        let village = 1 + self.rng.random_range(0..20);
        let region = format!("{COUNTY}{township:03}{village:03}");
        let id = format!("H{:06}", index + 1);
        let surname = names::pick_surname(&mut self.rng);
        let head_birth = self.date_between(Self::ymd(1940, 1, 1), Self::ymd(1990, 12, 31));
        let head_male = self.rng.random_bool(0.7);
        let mut members = Vec::new();
        let head = self.names.full_name(&mut self.rng, surname);
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
            let name = self.names.full_name(&mut self.rng, surname);
            members.push((self.person(name, birth, male), relation));
        }
        let mut household = Household {
            id,
            programme,
            region,
            rows: Vec::new(),
            members: Vec::new(),
        };
        for (person, relation) in members {
            self.add_roll_row(&mut household, &person, relation);
            household.members.push(person);
        }
        household
    }

    /// Lists `person` on the roll as the next member of `household`, under its programme.
    pub(super) fn add_roll_row(
        &mut self,
        household: &mut Household,
        person: &Person,
        relation: &str,
    ) {
        let programme = household.programme;
        let position = household.rows.len() + 1;
        self.roll_people
            .entry(person.id.clone())
            .or_default()
            .push(format!("{}-{position:02}", household.id));
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
            (col::CATEGORY, category(&household.id)),
        ]
        .into_iter()
        .collect();
        household.rows.push(self.roll.len());
        self.roll.push(row);
    }
}
