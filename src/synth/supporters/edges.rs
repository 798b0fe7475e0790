//! The contract's corner cases for supporters and income, each in households of its own
//! taken from the pool: a relative who is a member of the same household, a deceased
//! relative, several contributions of which one ended, three children sharing one parent, a
//! supporter of both parents (one household, and two), a household exactly at the standard,
//! one already flagged `pension_income`, a tekun member whose son owns two flats and a car
//! (and decoys: a son with one flat and a motorcycle, a sibling with a car), and a dibao
//! household whose member's contribution base lifts it over the standard. The numbers are
//! chosen so that each case flags or not by the contract's rule alone (the three children
//! owe 0.4 of their excess, not 0.5, and the household stays at the standard).

use chrono::{Datelike, Days};
use rand::Rng;

use super::people::Means;
use super::world::Span;
use super::Plan;
use crate::model::{Kinship, Programme, Reason};
use crate::synth::plant::Pool;
use crate::synth::{Generator, Household, Person};

/// Born early enough to have adult children at the as-of date.
fn elder(person: &Person, as_of: chrono::NaiveDate) -> bool {
    as_of.year() - person.birth.year() >= 45
}

fn is(programme: Programme) -> impl Fn(&Household) -> bool {
    move |h| h.programme == programme
}

impl Generator {
    /// The next open household in the pool that `fits`, closed to the other parts and
    /// labelled `case` in the truth.
    fn edge(
        households: &[Household],
        pool: Pool,
        plan: &mut Plan,
        case: &'static str,
        fits: impl Fn(&Household) -> bool,
    ) -> Option<usize> {
        let open = &plan.open;
        let h = pool.find(|&h| open[h] && fits(&households[h]))?;
        plan.open[h] = false;
        plan.world.cases.insert(households[h].id.clone(), case);
        Some(h)
    }

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

    pub(super) fn plant_edges(
        &mut self,
        households: &[Household],
        pool: Pool,
        plan: &mut Plan,
    ) -> Option<()> {
        let as_of = self.as_of();
        let elder_head = move |h: &Household| elder(&h.members[0], as_of);
        for _ in 0..self.count(1) {
            self.same_household_relative(households, pool, plan)?;
            // A son with a car who has died: no supporter, no flag.
            let case = "deceased son with a car";
            let h = Self::edge(households, pool, plan, case, |h| {
                is(Programme::Tekun)(h) && elder_head(h)
            })?;
            let means = Means {
                cars: 1,
                died: true,
                ..Means::default()
            };
            self.supporter(
                &households[h].members[0],
                Kinship::Child,
                &means,
                Some(2),
                plan,
            )?;
            self.several_contributions(households, pool, plan)?;
            self.three_children(households, pool, plan)?;
            self.both_parents(households, pool, plan)?;
            self.at_the_standard(households, pool, plan)?;
            self.tekun_assets(households, pool, plan)?;
            // A member's wage alone lifts the household over the standard.
            let case = "member's contribution base lifts income over the standard";
            let h = Self::edge(households, pool, plan, case, |h| {
                matches!(h.programme, Programme::DibaoRural | Programme::DibaoUrban)
            })?;
            let n = u32::try_from(households[h].members.len()).unwrap_or(1);
            let base = 800.0 * f64::from(n) + f64::from(self.rng.random_range(3..10) * 100);
            let from = self.past_date(5).min(as_of - Days::new(1));
            let member = self.member(&households[h]);
            self.contribution_of(&member, base, Span { from, to: None }, plan);
        }
        self.pension_income_with_support(households, plan);
        Some(())
    }

    /// A member named as another member's spouse (and once more with a blank ID): not a
    /// supporter; their wage counts once, as a member's (as a supporter living alone it
    /// would lift the household over the standard).
    fn same_household_relative(
        &mut self,
        households: &[Household],
        pool: Pool,
        plan: &mut Plan,
    ) -> Option<()> {
        let case = "relative who is a member of the same household";
        let h = Self::edge(households, pool, plan, case, |h| {
            h.members.len() == 2 && h.programme == Programme::DibaoRural
        })?;
        let (head, spouse) = (&households[h].members[0], &households[h].members[1]);
        let as_of = self.as_of();
        let from = self.past_date(5).min(as_of - Days::new(1));
        self.contribution_of(spouse, 1_100.0, Span { from, to: None }, plan);
        self.relation_of(head, spouse, Kinship::Spouse, Some(1), plan);
        plan.blank_next_relative = true;
        self.relation_of(spouse, head, Kinship::Spouse, Some(1), plan);
        Some(())
    }

    /// A member with a wage after one that ended, and their child with two jobs at once
    /// (the larger counts, not the sum) after a third that ended.
    fn several_contributions(
        &mut self,
        households: &[Household],
        pool: Pool,
        plan: &mut Plan,
    ) -> Option<()> {
        let as_of = self.as_of();
        let case = "several contributions, one ended";
        let h = Self::edge(households, pool, plan, case, |h| {
            is(Programme::DibaoUrban)(h) && elder(&h.members[0], as_of)
        })?;
        let member = households[h].members[0].clone();
        let from = self.past_date(10);
        let ended = self.date_between(from, as_of + Days::new(1));
        self.contribution_of(
            &member,
            5_000.0,
            Span {
                from,
                to: Some(ended),
            },
            plan,
        );
        self.contribution_of(
            &member,
            1_000.0,
            Span {
                from: as_of,
                to: None,
            },
            plan,
        );
        let means = Means {
            wages: vec![3_000.0, 2_000.0],
            ended_wage: Some(9_000.0),
            ..Means::default()
        };
        self.supporter(&member, Kinship::Child, &means, Some(3), plan)?;
        Some(())
    }

    /// Three children of one member of a one-person rural household, each 450 yuan over
    /// the standard per head: they owe 0.4 of it (540 together, under the standard 600),
    /// where two would owe 0.5.
    fn three_children(
        &mut self,
        households: &[Household],
        pool: Pool,
        plan: &mut Plan,
    ) -> Option<()> {
        let as_of = self.as_of();
        let case = "three children share one parent";
        let h = Self::edge(households, pool, plan, case, |h| {
            is(Programme::DibaoRural)(h) && h.members.len() == 1 && elder(&h.members[0], as_of)
        })?;
        let member = households[h].members[0].clone();
        for _ in 0..3 {
            self.supporter(&member, Kinship::Child, &Self::wage(2_100.0), Some(2), plan)?;
        }
        Some(())
    }

    /// One child of both parents in one household (named twice for one of them, once with a
    /// blank ID), and one child of two parents on the roll in two households: each splits
    /// what they owe between the two.
    fn both_parents(
        &mut self,
        households: &[Household],
        pool: Pool,
        plan: &mut Plan,
    ) -> Option<()> {
        let as_of = self.as_of();
        let case = "one supporter of both parents";
        let h = Self::edge(households, pool, plan, case, |h| {
            matches!(h.programme, Programme::DibaoRural | Programme::DibaoUrban)
                && h.members.len() >= 2
                && h.members[..2].iter().all(|p| elder(p, as_of))
        })?;
        let (father, mother) = (
            households[h].members[0].clone(),
            households[h].members[1].clone(),
        );
        let child = self.supporter(&father, Kinship::Child, &Self::wage(4_200.0), Some(2), plan)?;
        self.relation_of(&mother, &child, Kinship::Child, Some(2), plan);
        plan.blank_next_relative = true;
        self.relation_of(&father, &child, Kinship::Child, Some(2), plan);
        let dibao_elder = |h: &Household| {
            matches!(h.programme, Programme::DibaoRural | Programme::DibaoUrban)
                && elder(&h.members[0], as_of)
        };
        let a = Self::edge(households, pool, plan, case, dibao_elder)?;
        let b = Self::edge(households, pool, plan, case, dibao_elder)?;
        let parent = households[a].members[0].clone();
        let child = self.supporter(&parent, Kinship::Child, &Self::wage(6_500.0), Some(1), plan)?;
        self.relation_of(
            &households[b].members[0],
            &child,
            Kinship::Child,
            Some(1),
            plan,
        );
        Some(())
    }

    /// A rural household of two exactly at the standard: a wage of 700 and a child's 500
    /// owed ((3200 / 2 − 600) × 0.5) make 1200, 600 per head: not over it.
    fn at_the_standard(
        &mut self,
        households: &[Household],
        pool: Pool,
        plan: &mut Plan,
    ) -> Option<()> {
        let as_of = self.as_of();
        let case = "household exactly at the standard";
        let h = Self::edge(households, pool, plan, case, |h| {
            is(Programme::DibaoRural)(h) && h.members.len() == 2 && elder(&h.members[0], as_of)
        })?;
        let (head, other) = (
            households[h].members[0].clone(),
            households[h].members[1].clone(),
        );
        let from = self.past_date(5).min(as_of - Days::new(1));
        self.contribution_of(&other, 700.0, Span { from, to: None }, plan);
        self.supporter(&head, Kinship::Child, &Self::wage(3_200.0), Some(2), plan)?;
        Some(())
    }

    /// A tekun member whose son has no income but two flats and a car (flags); one whose son
    /// has one flat and a motorcycle, and one whose sibling has a car (neither flags).
    fn tekun_assets(
        &mut self,
        households: &[Household],
        pool: Pool,
        plan: &mut Plan,
    ) -> Option<()> {
        let as_of = self.as_of();
        let cases: [(&'static str, Kinship, Means); 3] = [
            (
                "tekun member's son owns two flats and a car",
                Kinship::Child,
                Means {
                    cars: 1,
                    flats: 2,
                    ..Means::default()
                },
            ),
            (
                "tekun son with one flat and a motorcycle",
                Kinship::Child,
                Means {
                    flats: 1,
                    motorcycles: 1,
                    ..Means::default()
                },
            ),
            (
                "tekun member's sibling owns a car",
                Kinship::Sibling,
                Means {
                    cars: 1,
                    ..Means::default()
                },
            ),
        ];
        for (case, kinship, means) in cases {
            let h = Self::edge(households, pool, plan, case, |h| {
                is(Programme::Tekun)(h) && elder(&h.members[0], as_of)
            })?;
            let member = households[h].members[0].clone();
            self.supporter(&member, kinship, &means, None, plan)?;
        }
        Some(())
    }

    /// A dibao household already flagged `pension_income` whose child owes support: never
    /// `income_over_standard` too. It is one of the pension cases' households.
    fn pension_income_with_support(&mut self, households: &[Household], plan: &mut Plan) {
        let flagged: Vec<&str> = self
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
