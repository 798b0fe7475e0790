//! Registry rows as dated facts about true persons: each row of the five registries whose
//! reasons cost money (death, pension, vehicle, property, business) read back as the fact
//! synth wrote, about the person its planting says (or nobody, for a namesake or a decoy),
//! else the roll person whose valid ID it carries. The supporters' part reads members'
//! pensions through it; the money truth reads all five.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use crate::ingest::schema::col;
use crate::model::Source;
use crate::synth::supporters::world::{
    canonical_id, money, BusinessFact, Facts, PensionFact, PropertyFact, Span, VehicleFact,
};
use crate::synth::{person_columns, Generator, Row};

/// Vehicle types county-nightly exempts (`exempt_vehicle_types`).
const EXEMPT_VEHICLES: [&str; 4] = ["motorcycle", "tricycle", "agricultural", "disability"];

fn date(cell: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(cell, "%Y-%m-%d").ok()
}

/// The span of a row from its `from` column to its `to` column (blank: never).
fn span(row: &Row, from: &str, to: &str) -> Option<Span> {
    Some(Span {
        from: date(&row[from])?,
        to: date(&row[to]),
    })
}

/// Adds what a `source` row says to `facts`; a row without its dates adds nothing.
fn add_fact(facts: &mut Facts, source: Source, row: &Row) {
    match source {
        Source::Death => {
            if let Some(died) = date(&row[col::DEATH_DATE]) {
                facts.death = Some(facts.death.map_or(died, |d| d.min(died)));
            }
        }
        Source::Pension => {
            if let Some(span) = span(row, col::START_DATE, col::END_DATE) {
                facts.pensions.push(PensionFact {
                    counted: matches!(&row[col::PENSION_TYPE], "enterprise" | "institution"),
                    amount: money(&row[col::MONTHLY_AMOUNT]),
                    span,
                });
            }
        }
        Source::Vehicle => {
            if let Some(span) = span(row, col::REGISTERED_ON, col::DEREGISTERED_ON) {
                let exempt = EXEMPT_VEHICLES.contains(&&row[col::VEHICLE_TYPE]);
                facts.vehicles.push(VehicleFact { exempt, span });
            }
        }
        Source::Property => {
            if let Some(span) = span(row, col::REGISTERED_ON, col::DISPOSED_ON) {
                facts.properties.push(PropertyFact {
                    unit: row[col::PROPERTY_ID].to_string(),
                    residential: &row[col::USE] == "residential",
                    span,
                });
            }
        }
        Source::Business => {
            if let Some(span) = span(row, col::ESTABLISHED_ON, col::CLOSED_ON) {
                let role = match &row[col::ROLE] {
                    "legal_rep" => "legal_rep",
                    "sole_proprietor" => "sole_proprietor",
                    "shareholder" => "shareholder",
                    _ => "other",
                };
                facts.businesses.push(BusinessFact {
                    role,
                    capital: money(&row[col::REGISTERED_CAPITAL]),
                    status_active: &row[col::STATUS] == "active",
                    span,
                });
            }
        }
        _ => {}
    }
}

impl Generator {
    /// Who each planted record is: the roll person (by ID) its planting says it is, or
    /// nobody when every planting says it is someone else.
    fn planted_people(&self) -> HashMap<(Source, &str), Option<&str>> {
        let mut planted: HashMap<(Source, &str), Option<&str>> = HashMap::new();
        for record in &self.record_truth {
            let entry = planted
                .entry((record.source, record.record_id.as_str()))
                .or_insert(None);
            if record.same_person {
                *entry = Some(record.person_id.as_str());
            }
        }
        planted
    }

    /// The facts the rows of `sources` state about the persons in `people` (keyed by their
    /// canonical ID), in row order.
    pub(in crate::synth) fn registry_facts(
        &self,
        sources: &[Source],
        people: &HashSet<&str>,
    ) -> BTreeMap<String, Facts> {
        let planted = self.planted_people();
        let mut facts: BTreeMap<String, Facts> = BTreeMap::new();
        for &source in sources {
            let id_col = person_columns(source).1;
            for row in &self.registries[&source] {
                let person = match planted.get(&(source, &row[col::RECORD_ID])) {
                    Some(person) => person.map(str::to_string),
                    None => canonical_id(&row[id_col]),
                };
                if let Some(person) = person.filter(|p| people.contains(p.as_str())) {
                    add_fact(facts.entry(person).or_default(), source, row);
                }
            }
        }
        facts
    }
}
