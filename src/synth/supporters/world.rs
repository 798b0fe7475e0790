//! What the supporters' truth is computed from: the roll's households with the true person
//! behind each member, every person's dated facts (pensions, contributions, vehicles,
//! properties, businesses, death) and the relations ties between true persons. Supporters'
//! facts are noted as synth writes them; members' pensions are read back from the pension
//! rows the other planted cases wrote, each row's person decided by how it was built (the
//! planted records' identities, else the ID it carries).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::super::{Generator, Household, Person, Row};
use crate::ingest::schema::col;
use crate::model::{Kinship, Programme, Source};
use crate::normalize::id::check_char;

/// From (inclusive) to (exclusive, or never): "active at D" as the contract defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::synth) struct Span {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Span {
    pub(in crate::synth) fn active(self, at: NaiveDate) -> bool {
        self.from <= at && self.to.is_none_or(|to| to > at)
    }
}

#[derive(Debug, Clone)]
pub(in crate::synth) struct PensionFact {
    /// Enterprise or institution: what county-nightly counts.
    pub counted: bool,
    pub amount: f64,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(in crate::synth) struct ContributionFact {
    pub base: f64,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(in crate::synth) struct VehicleFact {
    pub exempt: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(in crate::synth) struct PropertyFact {
    pub unit: String,
    pub residential: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(in crate::synth) struct BusinessFact {
    pub role: &'static str,
    pub capital: f64,
    pub status_active: bool,
    pub span: Span,
}

/// One true person's records, as built.
#[derive(Debug, Clone, Default)]
pub(in crate::synth) struct Facts {
    pub pensions: Vec<PensionFact>,
    pub contributions: Vec<ContributionFact>,
    pub vehicles: Vec<VehicleFact>,
    pub properties: Vec<PropertyFact>,
    pub businesses: Vec<BusinessFact>,
    pub death: Option<NaiveDate>,
}

/// A member of a roll household (one per member id): the true person behind it (their ID,
/// or a key of their own for someone who only carries another's ID).
#[derive(Debug, Clone)]
pub(in crate::synth) struct RollMember {
    pub person: String,
    pub birth: NaiveDate,
}

#[derive(Debug, Clone)]
pub(in crate::synth) struct RollHousehold {
    pub id: String,
    pub programme: Programme,
    pub region: String,
    /// Distinct by member id, in roll order.
    pub members: Vec<RollMember>,
    pub paid: f64,
}

/// A relations row between true persons: the relative of the member person.
#[derive(Debug, Clone)]
pub(in crate::synth) struct Tie {
    pub relative: String,
    pub kinship: Kinship,
    pub household_size: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub(in crate::synth) struct World {
    pub households: Vec<RollHousehold>,
    pub facts: HashMap<String, Facts>,
    /// Member person → the relatives relations rows name for them.
    pub ties: HashMap<String, Vec<Tie>>,
    /// Households a planted edge took → what was planted, for `truth.csv`'s case column.
    pub cases: HashMap<String, &'static str>,
}

/// The valid 18-character ID a cell holds once an apostrophe, spaces, full-width digits and
/// case are undone and a 15-digit ID is widened; `None` otherwise. Synth's own reading,
/// kept apart from `normalize` so that the truth does not lean on the pipeline's code.
pub(in crate::synth) fn canonical_id(cell: &str) -> Option<String> {
    let mut id: String = cell
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'')
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            c => c.to_ascii_uppercase(),
        })
        .collect();
    if id.len() == 15 && id.bytes().all(|b| b.is_ascii_digit()) {
        let first17 = format!("{}19{}", &id[..6], &id[6..]);
        id = format!("{first17}{}", check_char(first17.as_bytes()));
    }
    let bytes = id.as_bytes();
    let valid = bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && check_char(&bytes[..17]) == char::from(bytes[17]);
    valid.then_some(id)
}

/// A money cell as synth wrote it.
pub(in crate::synth) fn money(cell: &str) -> f64 {
    cell.parse().unwrap_or(0.0)
}

impl World {
    /// The roll's households and the true person behind each member row: the ID the row
    /// carries when it is valid and names that person, another key when it names someone
    /// else (an impostor), else the household's member of that name.
    pub(in crate::synth) fn from_roll(roll: &[Row], households: &[Household]) -> World {
        let people: HashMap<&str, &Person> = households
            .iter()
            .flat_map(|h| &h.members)
            .map(|p| (p.id.as_str(), p))
            .collect();
        let mut world = World::default();
        for household in households {
            let mut members: BTreeMap<String, RollMember> = BTreeMap::new();
            let mut paid = 0.0;
            for &r in &household.rows {
                let row = &roll[r];
                paid += money(&row[col::MONTHLY_BENEFIT]);
                let member_id = row[col::MEMBER_ID].to_string();
                let by_name = || household.members.iter().find(|p| p.name == row[col::NAME]);
                let (person, birth) = match canonical_id(&row[col::ID_NUMBER]) {
                    Some(id) => match people.get(id.as_str()) {
                        Some(p) if p.name == row[col::NAME] => (id, p.birth),
                        _ => (format!("impostor:{member_id}"), birth_of(&id)),
                    },
                    None => by_name().map_or_else(
                        || (format!("unknown:{member_id}"), NaiveDate::MIN),
                        |p| (p.id.clone(), p.birth),
                    ),
                };
                members
                    .entry(member_id)
                    .or_insert(RollMember { person, birth });
            }
            let first = &roll[household.rows[0]];
            let members: Vec<RollMember> = members.into_values().collect();
            world.households.push(RollHousehold {
                id: household.id.clone(),
                programme: Programme::parse(&first[col::PROGRAMME]).unwrap_or(household.programme),
                region: household.region.clone(),
                members,
                paid,
            });
        }
        world
    }
}

/// The birth date a valid ID carries.
fn birth_of(id: &str) -> NaiveDate {
    id.get(6..14)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
        .unwrap_or(NaiveDate::MIN)
}

impl Generator {
    /// Members' pensions from the pension rows: a planted record is the person its planting
    /// says (or nobody on the roll, for a namesake or decoy); any other row is the roll person
    /// whose ID it carries, if any.
    pub(super) fn member_pensions(&self, world: &mut World) {
        let roll_people: std::collections::HashSet<&str> = world
            .households
            .iter()
            .flat_map(|h| &h.members)
            .map(|m| m.person.as_str())
            .collect();
        let found = self.registry_facts(&[Source::Pension], &roll_people);
        for (person, facts) in found {
            world
                .facts
                .entry(person)
                .or_default()
                .pensions
                .extend(facts.pensions);
        }
    }
}
