//! The supporters' rows: a relative's own records (income, assets, a death), the relations
//! row naming them (IDs damaged on either side as the variant damages them), members'
//! contributions; each noted in the world as the fact it is.

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use super::world::{
    BusinessFact, ContributionFact, Facts, PensionFact, PropertyFact, Span, Tie, VehicleFact,
};
use super::{Plan, AWAY};
use crate::model::Kinship;
use crate::synth::hard::one_wrong_digit;
use crate::synth::{Generator, Household, Person, Subject, COUNTY};

/// What a relative earns and holds: none of it, or some of it.
#[derive(Debug, Clone, Default)]
pub(super) struct Means {
    /// Active contribution bases (the largest is the wage), and one that ended before D.
    pub wages: Vec<f64>,
    pub ended_wage: Option<f64>,
    pub pension: Option<f64>,
    pub cars: usize,
    pub motorcycles: usize,
    pub flats: usize,
    pub shops: usize,
    pub businesses: usize,
    pub died: bool,
}

/// Contribution bases of relatives with a job: a county's wages, most near the minimum.
const BASES: &[f64] = &[
    1_900.0, 2_100.0, 2_400.0, 2_700.0, 3_000.0, 3_600.0, 4_200.0, 5_500.0,
];

/// Household sizes of relatives, by weight (most live in households of three or four).
const SIZES: &[(u32, u32)] = &[(1, 5), (2, 20), (3, 35), (4, 30), (5, 10)];

impl Plan {
    pub(super) fn facts(&mut self, person: &Person) -> &mut Facts {
        self.world.facts.entry(person.id.clone()).or_default()
    }
}

impl Generator {
    /// A relative's means as most are: nothing (about half), a job, a job after one that
    /// ended, a pension; now and then a car, a motorcycle, one or two flats, a shop, a
    /// business; one in fifty has died.
    pub(super) fn relative_with_means(&mut self, relative: &Person, plan: &mut Plan) {
        let base = BASES[self.rng.random_range(0..BASES.len())];
        let mut means = Means::default();
        match self.rng.random_range(0..100) {
            0..45 => {}
            45..80 => means.wages = vec![base],
            80..88 => {
                means.wages = vec![base];
                means.ended_wage = Some(base + 1_000.0);
            }
            _ => means.pension = Some(f64::from(self.rng.random_range(1_500..4_000))),
        }
        means.cars = usize::from(self.rng.random_bool(0.08));
        means.motorcycles = usize::from(self.rng.random_bool(0.05));
        means.flats = match self.rng.random_range(0..100) {
            0..30 => 1,
            30..33 => 2,
            _ => 0,
        };
        means.shops = usize::from(self.rng.random_bool(0.02));
        means.businesses = usize::from(self.rng.random_bool(0.03));
        means.died = self.rng.random_bool(0.02);
        self.write_means(relative, &means, plan);
    }

    /// Writes `means` as `person`'s records (as registries write a person) and notes them.
    pub(super) fn write_means(&mut self, person: &Person, means: &Means, plan: &mut Plan) {
        let as_of = self.as_of();
        let since = |g: &mut Generator, years: u64| g.past_date(years).min(as_of - Days::new(1));
        for &base in &means.wages {
            let start = since(self, 8);
            self.contribution_of(
                person,
                base,
                Span {
                    from: start,
                    to: None,
                },
                plan,
            );
        }
        if let Some(base) = means.ended_wage {
            let from = since(self, 12);
            let to = self.date_between(from, as_of + Days::new(1));
            self.contribution_of(person, base, Span { from, to: Some(to) }, plan);
        }
        if let Some(amount) = means.pension {
            let from = since(self, 10);
            let written = self.as_registry_writes(person);
            self.pension(written.subject(), "enterprise", amount, from, None);
            let span = Span { from, to: None };
            plan.facts(person).pensions.push(PensionFact {
                counted: true,
                amount,
                span,
            });
        }
        for (count, kind, exempt) in [
            (means.cars, "car", false),
            (means.motorcycles, "motorcycle", true),
        ] {
            for _ in 0..count {
                let from = since(self, 8);
                let written = self.as_registry_writes(person);
                self.vehicle(written.subject(), kind, from, None);
                let span = Span { from, to: None };
                plan.facts(person)
                    .vehicles
                    .push(VehicleFact { exempt, span });
            }
        }
        let homes = (0..means.flats).map(|_| "residential");
        for use_ in homes.chain((0..means.shops).map(|_| "commercial")) {
            let from = since(self, 15);
            self.property_units += 1;
            let unit = format!("R-UNIT-{:07}", self.property_units);
            let written = self.as_registry_writes(person);
            self.property(written.subject(), &unit, use_, from, None);
            let residential = use_ == "residential";
            let span = Span { from, to: None };
            plan.facts(person).properties.push(PropertyFact {
                unit,
                residential,
                span,
            });
        }
        for _ in 0..means.businesses {
            let from = since(self, 10);
            let written = self.as_registry_writes(person);
            self.business(
                written.subject(),
                "legal_rep",
                300_000.0,
                "active",
                from,
                None,
            );
            let span = Span { from, to: None };
            let fact = BusinessFact {
                role: "legal_rep",
                capital: 300_000.0,
                status_active: true,
                span,
            };
            plan.facts(person).businesses.push(fact);
        }
        if means.died {
            let date = since(self, 3);
            let written = self.as_registry_writes(person);
            self.death(written.subject(), date);
            plan.facts(person).death = Some(date);
        }
    }

    /// A contributions row of `person` (as registries write them), noted.
    pub(super) fn contribution_of(
        &mut self,
        person: &Person,
        base: f64,
        span: Span,
        plan: &mut Plan,
    ) {
        let written = self.as_registry_writes(person);
        self.contribution(written.subject(), base, span.from, span.to);
        plan.contributions += 1;
        plan.facts(person)
            .contributions
            .push(ContributionFact { base, span });
    }

    /// The relations row naming `relative` as `member`'s, with a household size drawn
    /// (blank one time in five) and where they live.
    pub(super) fn name_relative(
        &mut self,
        member: &Person,
        relative: &Person,
        kinship: Kinship,
        plan: &mut Plan,
    ) {
        let size = self
            .rng
            .random_bool(0.8)
            .then(|| crate::synth::pick_weighted(&mut self.rng, SIZES));
        self.relation_of(member, relative, kinship, size, plan);
    }

    /// The relations row naming `relative` as `member`'s, household size `size`, IDs
    /// damaged on either side as the variant does (blank, one wrong digit), noted as a tie.
    pub(super) fn relation_of(
        &mut self,
        member: &Person,
        relative: &Person,
        kinship: Kinship,
        size: Option<u32>,
        plan: &mut Plan,
    ) {
        let region = if self.rng.random_bool(0.6) {
            let township = 101 + self.rng.random_range(0..self.townships());
            let village = 1 + self.rng.random_range(0..20);
            format!("{COUNTY}{township:03}{village:03}")
        } else {
            AWAY[self.rng.random_range(0..AWAY.len())].to_string()
        };
        let person_side = self.as_registry_writes(member);
        let relative_side = self.as_registry_writes(relative);
        let damage = plan.damage;
        let (blank_person, blank_relative) = (
            self.rng.random_bool(damage.blank / 2.0),
            self.rng.random_bool(damage.blank / 2.0)
                | std::mem::take(&mut plan.blank_next_relative),
        );
        let wrong = self.rng.random_bool(damage.wrong_digit);
        let relative_id = if blank_relative {
            None
        } else if wrong {
            Some(one_wrong_digit(&mut self.rng, &relative.id))
        } else {
            Some(relative_side.id.clone())
        };
        let subject = Subject {
            id: (!blank_person).then_some(person_side.id.as_str()),
            ..person_side.subject()
        };
        let other = Subject {
            id: relative_id.as_deref(),
            ..relative_side.subject()
        };
        self.relation(subject, other, kinship, size, &region);
        plan.world
            .ties
            .entry(member.id.clone())
            .or_default()
            .push(Tie {
                relative: relative.id.clone(),
                kinship,
                household_size: size,
            });
    }

    /// Members' own jobs: in each open household, a working-age member now and then has a
    /// contribution (a low base, sometimes after one that ended).
    pub(super) fn member_wages(&mut self, households: &[Household], plan: &mut Plan) {
        let as_of = self.as_of();
        for (h, household) in households.iter().enumerate() {
            if !plan.open[h] {
                continue;
            }
            for member in &household.members {
                let age = as_of.year() - member.birth.year();
                if !(20..60).contains(&age) || !self.rng.random_bool(0.1) {
                    continue;
                }
                let base = f64::from(self.rng.random_range(10..36) * 100);
                let from = self.past_date(6).min(as_of - Days::new(1));
                self.contribution_of(member, base, Span { from, to: None }, plan);
                if self.rng.random_bool(0.3) {
                    let from = self.past_date(12);
                    let to: NaiveDate = self.date_between(from, as_of + Days::new(1));
                    self.contribution_of(member, base + 800.0, Span { from, to: Some(to) }, plan);
                }
            }
        }
    }
}
