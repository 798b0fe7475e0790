//! How often namesakes really show up (issue 31). The population-scale odds of a pair without
//! an ID, m over the expected namesakes, assume that a linked person is as likely to have a
//! record in the registry as anyone of the population with their name and birth date. That
//! is an assumption about the data, not a fact: people on an assistance roll own fewer cars
//! than their namesakes, and one extract may list far more namesakes than another. So each
//! registry's records say how often they are a person's own and how often a namesake's.
//!
//! Per registry, the records without a usable ID whose full name and birth date are a linked
//! person's are counted against each person's expected namesakes E (population × the name's
//! share × the birth date's). A person shows `own + rate(E) × E` such records on average:
//! `own` their own, `rate` per expected namesake, fitted per decade of E so that it follows
//! the data wherever namesakes are thin or thick (a Poisson model fitted by its moments).
//! The pair's namesakes then weigh `rate / own` times (`NamesakeRates::factor`, at least 1:
//! a linked person is never taken as likelier than their namesakes to be in a registry).
//! A decade whose records do not clearly exceed its people's own (`NOISE`) shows no
//! namesakes.
//!
//! The decades from `[link] max_expected_namesakes` up, where namesakes outnumber a person's
//! own records, give the registry's namesake rate. Below it, where flags are made, a decade
//! is fitted only where its people expect namesakes enough, at that rate, to show beyond
//! chance: a province's names just under the threshold, where a generator or an extract
//! that writes a record for every namesake would otherwise flag them by the hundred. A
//! decade that could not show them keeps the population's odds, as the contract states them:
//! its own records and its namesakes' cannot be told apart (records planted for rare names
//! read as namesakes), and taking the common names' rate for it would make most rare-name
//! pairs leads on data whose rare names have no namesakes at all.

use std::collections::BTreeMap;

use crate::model::Source;

/// Decades of expected namesakes, from under 10⁻⁶ to 10 and above.
const BANDS: usize = 9;
/// Standard deviations of chance in a decade's count of own records that its namesakes
/// must clear before they count.
const NOISE: f64 = 2.0;
const MAX_ROUNDS: usize = 100;

/// Whether decade `b` lies wholly at or above `from` expected namesakes.
fn learned(b: usize, from: f64) -> bool {
    // Band 0 also holds everything below its decade.
    b > 0 && 10f64.powi(i32::try_from(b).unwrap_or(0) - 7) >= from * (1.0 - 1e-9)
}

fn band(expected: f64) -> usize {
    if expected.is_nan() || expected <= 0.0 {
        return 0;
    }
    // Truncation is the point: the decade. Clamped, so any f64 fits.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let decade = (expected.log10().floor() + 7.0).clamp(0.0, (BANDS - 1) as f64) as usize;
    decade
}

/// The factor by which each registry's namesakes weigh, per decade of expected namesakes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamesakeRates {
    by_source: BTreeMap<Source, [f64; BANDS]>,
}

impl NamesakeRates {
    /// How many times more often than a person's own record a namesake's shows up in
    /// `source`, for a pair expecting `expected` namesakes; 1 where nothing was learned.
    pub fn factor(&self, source: Source, expected: Option<f64>) -> f64 {
        match (self.by_source.get(&source), expected) {
            (Some(factors), Some(expected)) => factors[band(expected)],
            _ => 1.0,
        }
    }

    /// Fits each source's rates, the namesake rate from the decades at and above `from`
    /// expected namesakes (`fit_one`). `observed`: per source, the expected namesakes of each
    /// record without a usable ID whose full name and birth date are a linked person's.
    /// `people`: every linked person's expected namesakes per person of the population
    /// (their name's share times their birth date's); `population_of` scales them per
    /// source. Order does not matter (the pairs are only counted, and the people's figures
    /// summed in sorted order): a merged run of shards fits what a whole run fits.
    pub fn fit(
        observed: BTreeMap<Source, Vec<f64>>,
        people: &[f64],
        population_of: impl Fn(Source) -> f64,
        from: f64,
    ) -> NamesakeRates {
        let mut sorted_people = people.to_vec();
        sorted_people.sort_by(f64::total_cmp);
        let by_source = observed
            .into_iter()
            .map(|(source, expected)| {
                let population = population_of(source);
                let (mut people, mut exposure) = ([0; BANDS], [0.0; BANDS]);
                for share in &sorted_people {
                    let e = share * population;
                    people[band(e)] += 1;
                    exposure[band(e)] += e;
                }
                (source, fit_one(&expected, &people, &exposure, from))
            })
            .collect();
        NamesakeRates { by_source }
    }
}

/// One registry's fit: `observed` the expected namesakes of each pair, `people` and
/// `exposure` the persons and their expected namesakes per decade. In the decades from
/// `from` up, namesakes outnumber a person's own records, and each decade's records beyond
/// the own rate count as namesakes past `NOISE` standard deviations of chance: so chance
/// never raises a factor, and their pooled rate is the registry's namesake rate. Below
/// `from`, a decade whose people expect enough namesakes at that rate to show them beyond
/// chance is fitted the same way (what it shows decides); one that could not show them keeps
/// the population's odds (factor 1). The own rate is what the namesakes leave. Returns the
/// factors.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
fn fit_one(
    observed: &[f64],
    people: &[usize; BANDS],
    exposure: &[f64; BANDS],
    from: f64,
) -> [f64; BANDS] {
    let everyone = people.iter().sum::<usize>() as f64;
    if observed.is_empty() || everyone == 0.0 {
        return [1.0; BANDS];
    }
    let mut records = [0.0; BANDS];
    for &expected in observed {
        records[band(expected)] += 1.0;
    }
    let total = observed.len() as f64;
    let mut own = total / everyone;
    let mut per_namesake = [0.0; BANDS];
    for _ in 0..MAX_ROUNDS {
        let chance = |b: usize| NOISE * (own * people[b] as f64 + 1.0).sqrt();
        let beyond = |b: usize| {
            let excess = records[b] - own * people[b] as f64 - chance(b);
            if exposure[b] > 0.0 {
                excess.max(0.0) / exposure[b]
            } else {
                0.0
            }
        };
        let (mut shown, mut exposed) = (0.0, 0.0);
        for b in (0..BANDS).filter(|&b| learned(b, from)) {
            per_namesake[b] = beyond(b);
            shown += per_namesake[b] * exposure[b];
            exposed += exposure[b];
        }
        let pooled = if exposed > 0.0 { shown / exposed } else { 0.0 };
        for b in (0..BANDS).filter(|&b| !learned(b, from)) {
            let could_show = pooled * exposure[b] >= 2.0 * chance(b);
            per_namesake[b] = if could_show { beyond(b) } else { 0.0 };
        }
        let namesakes: f64 = (0..BANDS).map(|b| per_namesake[b] * exposure[b]).sum();
        let next = ((total - namesakes) / everyone).max(0.5 / everyone);
        let settled = (next - own).abs() <= 1e-12 * own;
        own = next;
        if settled {
            break;
        }
    }
    per_namesake.map(|rate| (rate / own).max(1.0))
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // a factor of exactly 1 is what nothing learned gives
mod tests {
    use super::*;
    use crate::synth::poisson;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// People whose expected namesakes spread over four decades, each showing Poisson(own)
    /// own records and Poisson(rate(E) × E) namesakes' records.
    fn simulate(own: f64, rate: impl Fn(f64) -> f64) -> (BTreeMap<Source, Vec<f64>>, Vec<f64>) {
        let mut rng = StdRng::seed_from_u64(7);
        let population = 1e6;
        let mut people = Vec::new();
        let mut observed = Vec::new();
        for i in 0..200_000 {
            let expected = 10f64.powf(-4.0 + 4.0 * f64::from(i % 1000) / 1000.0);
            people.push(expected / population);
            let records = poisson(&mut rng, own) + poisson(&mut rng, rate(expected) * expected);
            observed.extend(std::iter::repeat_n(expected, records));
        }
        (BTreeMap::from([(Source::Death, observed)]), people)
    }

    #[test]
    fn namesakes_that_show_up_more_often_than_people_weigh_more() {
        let (observed, people) = simulate(0.004, |_| 0.2);
        let rates = NamesakeRates::fit(observed, &people, |_| 1e6, 0.01);
        // 0.2 / 0.004 = 50 wherever there are namesakes enough to tell; the noise gate
        // leaves some namesakes counted as own records, which pulls the factor towards 1.
        for expected in [0.05, 0.5] {
            let factor = rates.factor(Source::Death, Some(expected));
            assert!((30.0..=60.0).contains(&factor), "{expected}: {factor}");
        }
        assert_eq!(rates.factor(Source::Vehicle, Some(0.5)), 1.0);
        assert_eq!(rates.factor(Source::Death, None), 1.0);
    }

    #[test]
    fn a_registry_as_likely_to_hold_the_person_as_a_namesake_changes_nothing() {
        let (observed, people) = simulate(0.01, |_| 0.01);
        let rates = NamesakeRates::fit(observed, &people, |_| 1e6, 0.01);
        for expected in [1e-4, 1e-3, 0.01, 0.1, 0.9] {
            let factor = rates.factor(Source::Death, Some(expected));
            assert!(factor < 1.5, "{expected}: {factor}");
        }
    }

    #[test]
    fn decades_without_namesakes_keep_their_factor_near_one() {
        // Namesakes only for common names (E ≥ 0.1).
        let (observed, people) = simulate(0.004, |e| if e >= 0.1 { 0.3 } else { 0.0 });
        let rates = NamesakeRates::fit(observed, &people, |_| 1e6, 0.01);
        assert!(rates.factor(Source::Death, Some(0.5)) > 40.0);
        let factor = rates.factor(Source::Death, Some(0.05));
        assert!(factor < 1.5, "{factor}");
    }

    #[test]
    fn a_decade_under_the_threshold_is_fitted_only_where_it_could_show_namesakes() {
        // Every namesake has a record: the decade just under 0.01 expects enough of them
        // to show, and shows them; far rarer names could not, and keep the population's odds.
        // (250 in truth: namesakes counted as own records inflate the own rate, and the
        // noise gate holds some back, so the fit errs towards the population's odds.)
        let (observed, people) = simulate(0.004, |_| 1.0);
        let rates = NamesakeRates::fit(observed, &people, |_| 1e6, 0.01);
        let factor = rates.factor(Source::Death, Some(0.005));
        assert!(factor > 10.0, "{factor}");
        assert_eq!(rates.factor(Source::Death, Some(1e-4)), 1.0);
        // Rarer namesakes (a fifth as many) are too few to show under the threshold.
        let (observed, people) = simulate(0.004, |_| 0.2);
        let rates = NamesakeRates::fit(observed, &people, |_| 1e6, 0.01);
        assert_eq!(rates.factor(Source::Death, Some(0.005)), 1.0);
    }

    #[test]
    fn a_decade_that_could_show_namesakes_and_shows_none_keeps_the_population_odds() {
        // Every namesake of a common name has a record, and no rare name has any (a
        // generator that leaves the thin tail out): where the decade just below the
        // threshold would have shown them, it keeps factor 1.
        let (observed, people) = simulate(0.004, |e| if e >= 0.01 { 1.0 } else { 0.0 });
        let rates = NamesakeRates::fit(observed, &people, |_| 1e6, 0.01);
        assert!(rates.factor(Source::Death, Some(0.05)) > 100.0);
        let factor = rates.factor(Source::Death, Some(0.005));
        assert!(factor < 1.5, "{factor}");
    }

    #[test]
    fn the_fit_does_not_depend_on_order() {
        let (observed, people) = simulate(0.004, |_| 0.2);
        let forward = NamesakeRates::fit(observed.clone(), &people, |_| 1e6, 0.01);
        let reversed: BTreeMap<Source, Vec<f64>> = observed
            .into_iter()
            .map(|(s, v)| (s, v.into_iter().rev().collect()))
            .collect();
        let people_reversed: Vec<f64> = people.iter().rev().copied().collect();
        assert_eq!(
            NamesakeRates::fit(reversed, &people_reversed, |_| 1e6, 0.01),
            forward
        );
    }

    #[test]
    fn nothing_observed_is_nothing_learned() {
        let rates = NamesakeRates::fit(
            BTreeMap::from([(Source::Death, vec![])]),
            &[1e-9],
            |_| 1e6,
            0.01,
        );
        assert_eq!(rates.factor(Source::Death, Some(0.5)), 1.0);
        assert_eq!(band(0.0), 0);
        assert_eq!(band(f64::NAN), 0);
        assert_eq!(band(1e-3), 4);
        assert_eq!(band(5.0), 7);
        assert_eq!(band(50.0), BANDS - 1);
    }
}
