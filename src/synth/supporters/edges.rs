//! The contract's corner cases for supporters and income, each in households of its own
//! taken from the pool: a relative who is a member of the same household, a deceased
//! relative, several contributions of which one ended, three children sharing one parent, a
//! supporter of both parents (one household, and two), a household exactly at the standard,
//! one already flagged `pension_income`, a tekun member whose son owns two flats and a car
//! (and decoys: a son with one flat and a motorcycle, a sibling with a car), and a dibao
//! household whose member's contribution base lifts it over the standard. The numbers are
//! chosen so that each case flags or not by the contract's rule alone (the three children
//! owe 0.4 of their excess, not 0.5, and the household stays at the standard).

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use super::people::Means;
use super::world::Span;
use super::Plan;
use crate::model::{Kinship, Programme, Reason};
use crate::synth::plant::Pool;
use crate::synth::{Generator, Household, Person};

/// Born early enough to have adult children at the as-of date.
fn elder(person: &Person, as_of: NaiveDate) -> bool {
    as_of.year() - person.birth.year() >= 45
}

fn dibao(h: &Household) -> bool {
    matches!(h.programme, Programme::DibaoRural | Programme::DibaoUrban)
}

/// One corner case: its label, how many households it takes, which fit, and how it is
/// planted in them.
struct Edge {
    case: &'static str,
    takes: usize,
    fits: fn(&Household, NaiveDate) -> bool,
    plant: fn(&mut Generator, &[&Household], &mut Plan) -> Option<()>,
}

const EDGES: [Edge; 11] = [
    Edge {
        case: "relative who is a member of the same household",
        takes: 1,
        fits: |h, _| h.programme == Programme::DibaoRural && h.members.len() == 2,
        plant: Generator::same_household_relative,
    },
    Edge {
        case: "deceased son with a car",
        takes: 1,
        fits: |h, at| h.programme == Programme::Tekun && elder(&h.members[0], at),
        plant: Generator::deceased_son,
    },
    Edge {
        case: "several contributions, one ended",
        takes: 1,
        fits: |h, at| h.programme == Programme::DibaoUrban && elder(&h.members[0], at),
        plant: Generator::several_contributions,
    },
    Edge {
        case: "three children share one parent",
        takes: 1,
        fits: |h, at| {
            h.programme == Programme::DibaoRural && h.members.len() == 1 && elder(&h.members[0], at)
        },
        plant: Generator::three_children,
    },
    Edge {
        case: "one supporter of both parents",
        takes: 1,
        fits: |h, at| {
            dibao(h) && h.members.len() >= 2 && h.members[..2].iter().all(|p| elder(p, at))
        },
        plant: Generator::parents_together,
    },
    Edge {
        case: "one supporter of both parents",
        takes: 2,
        fits: |h, at| dibao(h) && elder(&h.members[0], at),
        plant: Generator::parents_apart,
    },
    Edge {
        case: "household exactly at the standard",
        takes: 1,
        fits: |h, at| {
            h.programme == Programme::DibaoRural && h.members.len() == 2 && elder(&h.members[0], at)
        },
        plant: Generator::at_the_standard,
    },
    Edge {
        case: "tekun member's son owns two flats and a car",
        takes: 1,
        fits: |h, at| h.programme == Programme::Tekun && elder(&h.members[0], at),
        plant: |g, hs, plan| g.tekun_relative(hs, Kinship::Child, (1, 2, 0), plan),
    },
    Edge {
        case: "tekun son with one flat and a motorcycle",
        takes: 1,
        fits: |h, at| h.programme == Programme::Tekun && elder(&h.members[0], at),
        plant: |g, hs, plan| g.tekun_relative(hs, Kinship::Child, (0, 1, 1), plan),
    },
    Edge {
        case: "tekun member's sibling owns a car",
        takes: 1,
        fits: |h, at| h.programme == Programme::Tekun && elder(&h.members[0], at),
        plant: |g, hs, plan| g.tekun_relative(hs, Kinship::Sibling, (1, 0, 0), plan),
    },
    Edge {
        case: "member's contribution base lifts income over the standard",
        takes: 1,
        fits: |h, _| dibao(h),
        plant: Generator::wage_over_standard,
    },
];

impl Generator {
    /// A relative of `member` as `kinship` with `means`, named in a relations row with
    /// household size `size`.
    fn supporter(
        &mut self,
        member: &Person,
        kinship: Kinship,
        means: &Means,
        size: Option<u32>,
        plan: &mut Plan,
    ) -> Option<Person> {
        let relative = self.relative(member, kinship, plan)?;
        self.write_means(&relative, means, plan);
        self.relation_of(member, &relative, kinship, size, plan);
        Some(relative)
    }

    fn wage(base: f64) -> Means {
        Means {
            wages: vec![base],
            ..Means::default()
        }
    }

    /// Each edge in households of its own (open ones from the pool, closed to the other
    /// parts and labelled with the case), as often as the county's size asks; then the
    /// `pension_income` household with a supporter.
    pub(super) fn plant_edges(
        &mut self,
        households: &[Household],
        pool: Pool,
        plan: &mut Plan,
    ) -> Option<()> {
        let as_of = self.as_of();
        for _ in 0..self.count(1) {
            for edge in &EDGES {
                let mut taken = Vec::new();
                for _ in 0..edge.takes {
                    let open = &plan.open;
                    let h = pool.find(|&h| open[h] && (edge.fits)(&households[h], as_of))?;
                    plan.open[h] = false;
                    plan.world.cases.insert(households[h].id.clone(), edge.case);
                    taken.push(&households[h]);
                }
                (edge.plant)(self, &taken, plan)?;
            }
        }
        self.pension_income_with_support(households, plan);
        Some(())
    }

    /// A member named as another member's spouse (and once more with a blank ID): not a
    /// supporter; their wage counts once, as a member's (as a supporter living alone it
    /// would lift the household over the standard).
    #[allow(clippy::unnecessary_wraps)] // every edge plants through `Edge::plant`
    fn same_household_relative(&mut self, hs: &[&Household], plan: &mut Plan) -> Option<()> {
        let (head, spouse) = (&hs[0].members[0], &hs[0].members[1]);
        let from = self.past_date(5).min(self.as_of() - Days::new(1));
        self.contribution_of(spouse, 1_100.0, Span { from, to: None }, plan);
        self.relation_of(head, spouse, Kinship::Spouse, Some(1), plan);
        plan.blank_next_relative = true;
        self.relation_of(spouse, head, Kinship::Spouse, Some(1), plan);
        Some(())
    }

    /// A son with a car who has died: no supporter, no flag.
    fn deceased_son(&mut self, hs: &[&Household], plan: &mut Plan) -> Option<()> {
        let means = Means {
            cars: 1,
            died: true,
            ..Means::default()
        };
        self.supporter(&hs[0].members[0], Kinship::Child, &means, Some(2), plan)?;
        Some(())
    }

    /// A member with a wage after one that ended, and their child with two jobs at once
    /// (the larger counts, not the sum) after a third that ended.
    fn several_contributions(&mut self, hs: &[&Household], plan: &mut Plan) -> Option<()> {
        let as_of = self.as_of();
        let member = &hs[0].members[0];
        let from = self.past_date(10);
        let to = Some(self.date_between(from, as_of + Days::new(1)));
        self.contribution_of(member, 5_000.0, Span { from, to }, plan);
        let span = Span {
            from: as_of,
            to: None,
        };
        self.contribution_of(member, 1_000.0, span, plan);
        let means = Means {
            wages: vec![3_000.0, 2_000.0],
            ended_wage: Some(9_000.0),
            ..Means::default()
        };
        self.supporter(member, Kinship::Child, &means, Some(3), plan)?;
        Some(())
    }

    /// Three children of one member of a one-person rural household, each 450 yuan over
    /// the standard per head: they owe 0.4 of it (540 together, under the standard 600),
    /// where two would owe 0.5.
    fn three_children(&mut self, hs: &[&Household], plan: &mut Plan) -> Option<()> {
        for _ in 0..3 {
            let means = Self::wage(2_100.0);
            self.supporter(&hs[0].members[0], Kinship::Child, &means, Some(2), plan)?;
        }
        Some(())
    }

    /// One child of both parents in one household, named twice for the father (once with
    /// a blank ID): one person, who splits what they owe between the two.
    fn parents_together(&mut self, hs: &[&Household], plan: &mut Plan) -> Option<()> {
        let (father, mother) = (&hs[0].members[0], &hs[0].members[1]);
        let means = Self::wage(4_200.0);
        let child = self.supporter(father, Kinship::Child, &means, Some(2), plan)?;
        self.relation_of(mother, &child, Kinship::Child, Some(2), plan);
        plan.blank_next_relative = true;
        self.relation_of(father, &child, Kinship::Child, Some(2), plan);
        Some(())
    }

    /// One child of two parents on the roll in two households: each is owed half.
    fn parents_apart(&mut self, hs: &[&Household], plan: &mut Plan) -> Option<()> {
        let means = Self::wage(6_500.0);
        let child = self.supporter(&hs[0].members[0], Kinship::Child, &means, Some(1), plan)?;
        self.relation_of(&hs[1].members[0], &child, Kinship::Child, Some(1), plan);
        Some(())
    }

    /// A rural household of two exactly at the standard: a wage of 700 and a child's 500
    /// owed ((3200 / 2 − 600) × 0.5) make 1200, 600 per head: not over it.
    fn at_the_standard(&mut self, hs: &[&Household], plan: &mut Plan) -> Option<()> {
        let (head, other) = (&hs[0].members[0], &hs[0].members[1]);
        let from = self.past_date(5).min(self.as_of() - Days::new(1));
        self.contribution_of(other, 700.0, Span { from, to: None }, plan);
        self.supporter(head, Kinship::Child, &Self::wage(3_200.0), Some(2), plan)?;
        Some(())
    }

    /// A member's wage alone lifts the household over the standard (300 to 900 yuan over
    /// even the urban standard for every member).
    #[allow(clippy::unnecessary_wraps)] // every edge plants through `Edge::plant`
    fn wage_over_standard(&mut self, hs: &[&Household], plan: &mut Plan) -> Option<()> {
        let n = u32::try_from(hs[0].members.len()).unwrap_or(1);
        let base = 800.0 * f64::from(n) + f64::from(self.rng.random_range(3..10) * 100);
        let from = self.past_date(5).min(self.as_of() - Days::new(1));
        let member = self.member(hs[0]);
        self.contribution_of(&member, base, Span { from, to: None }, plan);
        Some(())
    }

    /// A tekun member's relative with no income and (cars, flats, motorcycles): a son with
    /// two flats and a car can support them; one with a flat and a motorcycle cannot, nor
    /// can a sibling with a car (no supporter).
    fn tekun_relative(
        &mut self,
        hs: &[&Household],
        kinship: Kinship,
        (cars, flats, motorcycles): (usize, usize, usize),
        plan: &mut Plan,
    ) -> Option<()> {
        let means = Means {
            cars,
            motorcycles,
            flats,
            ..Means::default()
        };
        self.supporter(&hs[0].members[0], kinship, &means, None, plan)?;
        Some(())
    }

    /// A dibao household already flagged `pension_income` whose child owes support: never
    /// `income_over_standard` too. It is one of the pension cases' households.
    fn pension_income_with_support(&mut self, households: &[Household], plan: &mut Plan) {
        let flagged: std::collections::HashSet<&str> = self
            .truth
            .iter()
            .filter(|t| t.reason == Reason::PensionIncome)
            .map(|t| t.household_id.as_str())
            .collect();
        let as_of = self.as_of();
        let Some(household) = households.iter().find(|h| {
            flagged.contains(&h.id.as_str())
                && matches!(h.programme, Programme::DibaoRural | Programme::DibaoUrban)
                && h.rows.len() == h.members.len()
                && elder(&h.members[0], as_of)
        }) else {
            return;
        };
        let member = household.members[0].clone();
        plan.world.cases.insert(
            household.id.clone(),
            "pension_income household with a supporter",
        );
        let _ = self.supporter(&member, Kinship::Child, &Self::wage(6_500.0), Some(1), plan);
    }
}
