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
//! namesakes. A fitted decade is fitted in parts (halves down to eighths) wherever their
//! rates clearly differ (`SPLIT`, `Fit::refine`), so that namesakes that begin or end inside
//! a decade are followed there rather than spread over it.
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
use std::fmt;
use std::ops::Range;

use crate::model::Source;

/// Decades of expected namesakes, from under 10⁻⁶ to 10 and above.
const BANDS: usize = 9;
/// Each decade's finest parts: eighths of a decade, where its halves clearly differ.
const PARTS: usize = 8;
const FINE: usize = BANDS * PARTS;
/// Standard deviations of chance in a decade's count of own records that its namesakes
/// must clear before they count.
const NOISE: f64 = 2.0;
/// Standard errors by which the rates of a part's two halves must differ before the halves
/// are fitted apart: stricter than `NOISE`, since a part is tested at every level of every
/// decade of every registry.
const SPLIT: f64 = 3.0;
const MAX_ROUNDS: usize = 100;

/// Whether decade `b` lies wholly at or above `from` expected namesakes.
fn learned(b: usize, from: f64) -> bool {
    // Band 0 also holds everything below its decade.
    b > 0 && 10f64.powi(i32::try_from(b).unwrap_or(0) - 7) >= from * (1.0 - 1e-9)
}

/// The eighth of a decade of expected namesakes; its decade is `fine / PARTS`.
fn fine(expected: f64) -> usize {
    if expected.is_nan() || expected <= 0.0 {
        return 0;
    }
    // Truncation is the point: the part. Clamped, so any f64 fits.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let part = ((expected.log10() + 7.0) * PARTS as f64)
        .floor()
        .clamp(0.0, (FINE - 1) as f64) as usize;
    part
}

#[cfg(test)]
fn band(expected: f64) -> usize {
    fine(expected) / PARTS
}

/// The factor by which each registry's namesakes weigh, per part of a decade of expected
/// namesakes.
#[derive(Clone, Default, PartialEq)]
pub struct NamesakeRates {
    by_source: BTreeMap<Source, [f64; FINE]>,
}

impl NamesakeRates {
    /// How many times more often than a person's own record a namesake's shows up in
    /// `source`, for a pair expecting `expected` namesakes; 1 where nothing was learned.
    pub fn factor(&self, source: Source, expected: Option<f64>) -> f64 {
        match (self.by_source.get(&source), expected) {
            (Some(factors), Some(expected)) => factors[fine(expected)],
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
                let mut counts = Counts::default();
                for share in &sorted_people {
                    let e = share * population;
                    counts.people[fine(e)] += 1.0;
                    counts.exposure[fine(e)] += e;
                }
                for &e in &expected {
                    counts.records[fine(e)] += 1.0;
                }
                (source, fit_one(&counts, from))
            })
            .collect();
        NamesakeRates { by_source }
    }
}

/// The learned factors, as runs of parts with one factor: `[from E: factor, …]` per registry.
impl fmt::Debug for NamesakeRates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (source, factors) in &self.by_source {
            let mut runs = Vec::new();
            for (part, &factor) in factors.iter().enumerate() {
                // Runs of one value: the parts fitted as one share the very same figure.
                #[allow(clippy::float_cmp)]
                if part == 0 || factors[part - 1] != factor {
                    #[allow(clippy::cast_precision_loss)] // part < 72
                    let from = 10f64.powf(part as f64 / PARTS as f64 - 7.0);
                    runs.push(format!("{from:.1e}: {factor:.1}"));
                }
            }
            map.entry(source, &runs);
        }
        map.finish()
    }
}

/// One registry's counts per part: the records seen, the persons and their expected
/// namesakes.
struct Counts {
    records: [f64; FINE],
    people: [f64; FINE],
    exposure: [f64; FINE],
}

impl Default for Counts {
    fn default() -> Counts {
        Counts {
            records: [0.0; FINE],
            people: [0.0; FINE],
            exposure: [0.0; FINE],
        }
    }
}

impl Counts {
    fn sum(&self, parts: Range<usize>) -> (f64, f64, f64) {
        parts.fold((0.0, 0.0, 0.0), |(r, p, e), i| {
            (
                r + self.records[i],
                p + self.people[i],
                e + self.exposure[i],
            )
        })
    }
}

/// One registry's fit, given the own rate: chance, and the namesakes per expected namesake
/// that a set of parts shows beyond `NOISE` standard deviations of chance (so chance never
/// raises a factor).
struct Fit<'a> {
    counts: &'a Counts,
    own: f64,
}

impl Fit<'_> {
    fn chance(&self, people: f64) -> f64 {
        NOISE * (self.own * people + 1.0).sqrt()
    }

    fn beyond(&self, parts: Range<usize>) -> f64 {
        self.gated(self.counts.sum(parts))
    }

    /// `beyond` of counts already summed: (records, people, exposure).
    fn gated(&self, (records, people, exposure): (f64, f64, f64)) -> f64 {
        let excess = records - self.own * people - self.chance(people);
        if exposure > 0.0 {
            excess.max(0.0) / exposure
        } else {
            0.0
        }
    }

    /// The namesakes per expected namesake that `parts` show, unbiased (no noise gate), and
    /// that figure's variance; `None` where its people expect no namesakes.
    fn raw(&self, parts: Range<usize>) -> Option<(f64, f64)> {
        let (records, people, exposure) = self.counts.sum(parts);
        // Poisson: the count's variance is its mean, one added for empty parts.
        (exposure > 0.0).then(|| {
            let rate = (records - self.own * people) / exposure;
            (rate, (records + 1.0) / (exposure * exposure))
        })
    }

    /// Fits a decade's `parts` as one rate, or its halves apart where their rates differ by
    /// more than `SPLIT` standard deviations of chance: a generator or an extract whose
    /// namesakes begin inside a decade is followed there, while a rate that is the same
    /// across the decade keeps the decade's whole count behind it. A whole decade's rate is
    /// gated by `NOISE` (does it show namesakes at all?); once the decade is split, its
    /// halves are known to differ, and each takes its own unbiased rate (how many?), so
    /// that the noise of a thin part does not wipe out the namesakes it shows.
    fn refine(&self, parts: Range<usize>, whole_decade: bool, rates: &mut [f64; FINE]) {
        let mid = parts.start + parts.len() / 2;
        if parts.len() > 1 {
            if let (Some((low, low_var)), Some((high, high_var))) =
                (self.raw(parts.start..mid), self.raw(mid..parts.end))
            {
                if (high - low).abs() > SPLIT * (low_var + high_var).sqrt() {
                    self.refine(parts.start..mid, false, rates);
                    self.refine(mid..parts.end, false, rates);
                    return;
                }
            }
        }
        let rate = if whole_decade {
            self.beyond(parts.clone())
        } else {
            self.raw(parts.clone())
                .map_or(0.0, |(rate, _)| rate.max(0.0))
        };
        rates[parts].fill(rate);
    }
}

/// One registry's fit. In the decades from `from` up, namesakes outnumber a person's own
/// records, and each decade's records beyond the own rate count as namesakes past `NOISE`
/// standard deviations of chance; their pooled rate is the registry's namesake rate. Below
/// `from`, a decade whose people expect enough namesakes at that rate to show them beyond
/// chance is fitted the same way (what it shows decides); one that could not show them keeps
/// the population's odds (factor 1). A fitted decade is fitted in parts where its halves
/// clearly differ (`Fit::refine`). The own rate is what the namesakes leave. Returns the
/// factors per part.
fn fit_one(counts: &Counts, from: f64) -> [f64; FINE] {
    let everyone: f64 = counts.people.iter().sum();
    let total: f64 = counts.records.iter().sum();
    if total == 0.0 || everyone == 0.0 {
        return [1.0; FINE];
    }
    let decade = |b: usize| b * PARTS..(b + 1) * PARTS;
    // Each decade's (records, people, exposure), summed once.
    let sums: [(f64, f64, f64); BANDS] = std::array::from_fn(|b| counts.sum(decade(b)));
    // The decades fitted, and the own rate: what the decades' namesakes (each gated by
    // `NOISE`) leave. Chance in a thin part never lowers the own rate, so it never raises
    // every factor.
    let mut own = total / everyone;
    let mut fitted = [false; BANDS];
    for _ in 0..MAX_ROUNDS {
        let fit = Fit { counts, own };
        let gated = sums.map(|sum| fit.gated(sum));
        let (mut shown, mut exposed) = (0.0, 0.0);
        for b in (0..BANDS).filter(|&b| learned(b, from)) {
            shown += gated[b] * sums[b].2;
            exposed += sums[b].2;
        }
        let pooled = if exposed > 0.0 { shown / exposed } else { 0.0 };
        let mut namesakes = 0.0;
        for (b, fitted) in fitted.iter_mut().enumerate() {
            let (_, people, exposure) = sums[b];
            let could_show = pooled * exposure >= 2.0 * fit.chance(people);
            *fitted = learned(b, from) || could_show;
            if *fitted {
                namesakes += gated[b] * exposure;
            }
        }
        let next = ((total - namesakes) / everyone).max(0.5 / everyone);
        let settled = (next - own).abs() <= 1e-12 * own;
        own = next;
        if settled {
            break;
        }
    }
    let fit = Fit { counts, own };
    let mut per_namesake = [0.0; FINE];
    for b in (0..BANDS).filter(|&b| fitted[b]) {
        fit.refine(decade(b), true, &mut per_namesake);
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
    fn namesakes_that_begin_inside_a_decade_are_followed_there() {
        // Namesakes only from E = 0.005 up, two records each (a generator's floor inside the
        // decade under the threshold): its lower part keeps the population's odds, its upper
        // part weighs.
        let (observed, people) = simulate(0.004, |e| if e >= 0.005 { 2.0 } else { 0.0 });
        let rates = NamesakeRates::fit(observed, &people, |_| 1e6, 0.01);
        let lower = rates.factor(Source::Death, Some(0.002));
        assert!(lower < 1.5, "{lower}");
        let upper = rates.factor(Source::Death, Some(0.008));
        assert!(upper > 100.0, "{upper}");
    }

    #[test]
    fn a_rate_the_same_across_a_decade_is_fitted_as_one() {
        let (observed, people) = simulate(0.004, |_| 1.0);
        let rates = NamesakeRates::fit(observed, &people, |_| 1e6, 0.01);
        for decade in [1e-3, 1e-2, 1e-1] {
            let factors: Vec<f64> = (1..10)
                .map(|k| rates.factor(Source::Death, Some(decade * f64::from(k))))
                .collect();
            assert!(
                factors.iter().all(|&f| f == factors[0]),
                "{decade}: {factors:?}"
            );
        }
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
        assert_eq!(fine(1e-3), 4 * PARTS);
        assert_eq!(fine(1.5e-3), 4 * PARTS + 1);
        assert_eq!(fine(1e3), FINE - 1);
    }
}
