//! Fellegi–Sunter scoring, for any set of fields. Each field level has an m-probability
//! (how often true matches show it) and a u-probability (how often unrelated pairs do); a
//! pair's match weight is the prior log-odds plus Σ log2(m/u), and its probability follows
//! from the weight. u comes from random pairs, m from EM on the candidate pairs (no labels),
//! and exact values of a field may get a term-frequency u, so that 王伟 counts for less than
//! 欧阳娜娜. Person matching is one shape of this model (`PERSON`); `rollcheck link` builds
//! its shape from the columns a link file declares.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::compare::{GenderLevel, IdLevel, Levels};
use super::namesakes::TermShares;
use crate::config::{LinkParameters, PERSON_LEVEL_COUNTS};
use crate::normalize::NameLevel;

/// The fields of a model: names, level counts, and each field's missing level (a missing
/// value is neutral: weight 0, left out of u and m).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub names: Vec<String>,
    pub n_levels: Vec<usize>,
    pub missing: Vec<Option<usize>>,
    /// Per field, a level that contradicts a match (two different valid ID numbers): true
    /// matches show it only by a rare slip, so its m is held at `CONTRADICTION_M` and never
    /// learned. Otherwise EM takes a crowd of namesakes, who agree on name, birth date and
    /// county, for matches, and learns that matches often hold another valid ID.
    pub contradiction: Vec<Option<usize>>,
}

impl Shape {
    fn is_missing(&self, field: usize, level: usize) -> bool {
        self.missing[field] == Some(level)
    }

    /// The m used for scoring: floored, but for a contradicting level, whose m is
    /// `CONTRADICTION_M` below the floor on purpose.
    fn scoring_m(&self, field: usize, level: usize, m: f64) -> f64 {
        if self.contradiction[field] == Some(level) {
            m
        } else {
            m.max(FLOOR)
        }
    }

    /// Holds each contradicting level's m at `CONTRADICTION_M`, scaling the field's other
    /// levels to fill the rest.
    fn pin_contradictions(&self, m: &mut [Vec<f64>]) {
        for (field, level) in self.contradiction.iter().enumerate() {
            let Some(level) = *level else { continue };
            let others: f64 = (0..m[field].len())
                .filter(|l| *l != level)
                .map(|l| m[field][l])
                .sum();
            for (l, value) in m[field].iter_mut().enumerate() {
                *value = if l == level {
                    CONTRADICTION_M
                } else if others > 0.0 {
                    *value * (1.0 - CONTRADICTION_M) / others
                } else {
                    *value
                };
            }
        }
    }
}

/// The person-matching fields, in `Levels` order; levels in the order of each `ALL`.
pub const FIELDS: [&str; 5] = ["id", "name", "birth_date", "region", "gender"];

pub static PERSON: LazyLock<Shape> = LazyLock::new(|| Shape {
    names: FIELDS.iter().map(|f| (*f).to_string()).collect(),
    // The name has four weighted levels: identical and normalised names are one level.
    n_levels: PERSON_LEVEL_COUNTS.to_vec(),
    // The name is never missing.
    missing: vec![
        Some(IdLevel::Missing.index()),
        None,
        Some(4),
        Some(4),
        Some(2),
    ],
    // A masked ID whose visible digits differ is another person. (Different valid IDs are
    // never paired: blocking keeps them apart.) So is a name that clearly differs (contract,
    // matching items 3 and 4): left to EM, the registries' other people one digit of an ID
    // away (a sequence number apart, so born the same day) taught it that a fifth of matches
    // have another name, and such pairs scored 0.69 while none was the member (issue 31).
    contradiction: vec![
        Some(IdLevel::MaskedDisagree.index()),
        Some(3),
        None,
        None,
        None,
    ],
});

/// A term-frequency u for one pair: used instead of the field's u at levels `0..=up_to`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TermFrequency {
    pub field: usize,
    pub up_to_level: usize,
    pub u: f64,
}

/// Per-field log2 Bayes factors of one pair, and the result.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub prior: f64,
    pub fields: Vec<f64>,
    pub total: f64,
    pub probability: f64,
}

impl Weights {
    /// A prior and per-field weights, summed into the total and its probability.
    pub fn of(prior: f64, fields: Vec<f64>) -> Weights {
        let total = prior + fields.iter().sum::<f64>();
        Weights {
            prior,
            fields,
            total,
            probability: 1.0 / (1.0 + (-total).exp2()),
        }
    }
}

/// `person_levels` packed into one number, four bits a field, first field highest: ordered
/// as the vectors are, and with no allocation (for counting millions of pairs).
pub fn packed_person_levels(levels: Levels) -> u64 {
    person_levels_array(levels)
        .iter()
        .fold(0, |packed, &level| (packed << 4) | level as u64)
}

/// The level indices of a person comparison, in `PERSON` order. A name written in
/// traditional characters, with spaces or another middle dot is the same name: it weighs as
/// an identical one (explanations still show which it was).
pub fn person_levels(levels: Levels) -> Vec<usize> {
    person_levels_array(levels).to_vec()
}

/// Fields of `PERSON` by position, as `person_levels` orders them.
const NAME: usize = 1;
const BIRTH_DATE: usize = 2;
const GENDER: usize = 4;

fn person_levels_array(levels: Levels) -> [usize; 5] {
    let name = match levels.name {
        NameLevel::Identical | NameLevel::Normalized => 0,
        NameLevel::SameReading => 1,
        NameLevel::OneCharDiff => 2,
        NameLevel::Different => 3,
    };
    [
        levels.id.index(),
        name,
        levels.birth_date.index(),
        levels.region.index(),
        levels.gender.index(),
    ]
}

/// Smallest probability any level gets, so that no single field is infinitely decisive.
const FLOOR: f64 = 1e-6;

/// The m of a contradicting level: about −40 bits, which no agreement elsewhere outweighs
/// (a rare name, birth date and county together give about +42 against a prior of −21), yet
/// a finite weight a person can read in the output. The contract's rule: a match on name and
/// birth date stands only if nothing contradicts it, such as an ID of another valid person.
const CONTRADICTION_M: f64 = 1e-12;

impl LinkParameters {
    /// Person-matching defaults, used when a run has too little data to train on. `lambda`
    /// is the probability that a random (member, record) pair is a match.
    pub fn defaults() -> LinkParameters {
        let m = vec![
            // id: identical, normalized, one_digit, transposition, masked_agree,
            // masked_agree_partial, different, masked_disagree (a contradiction), missing
            vec![
                0.65,
                0.15,
                0.03,
                0.01,
                0.04,
                0.01,
                0.005,
                CONTRADICTION_M,
                0.105,
            ],
            // name: same (identical or normalized), same_reading, one_char_diff, different
            vec![0.91, 0.04, 0.03, 0.02],
            // birth_date: equal, one_field_off, day_month_swapped, different, missing
            vec![0.80, 0.03, 0.01, 0.01, 0.15],
            // region: village, township, county, other, missing
            vec![0.30, 0.20, 0.30, 0.05, 0.15],
            // gender: same, different, missing
            vec![0.85, 0.005, 0.145],
        ];
        let u = vec![
            // A random pair agrees on a masked ID's 4 last characters about once in 10⁴
            // (the visible region is shared within a county), about once in ten when only
            // some of them show.
            vec![1e-6, 1e-6, 1e-5, 1e-6, 1e-4, 1e-2, 0.85, 0.04, 0.09978],
            vec![0.0012, 0.002, 0.01, 0.9868],
            vec![0.00005, 0.002, 0.00005, 0.85, 0.1479],
            vec![0.01, 0.05, 0.60, 0.19, 0.15],
            vec![0.45, 0.45, 0.10],
        ];
        LinkParameters {
            lambda: 1e-4,
            m,
            u,
            source: "default".into(),
            em_iterations: 0,
            lambda_missing_id: None,
        }
    }

    /// Flat starting parameters for a shape: agreement likelier for matches.
    pub fn uniform(shape: &Shape, lambda: f64) -> LinkParameters {
        let spread = |n: usize, first: f64| -> Vec<f64> {
            if n < 2 {
                return vec![1.0; n];
            }
            #[allow(clippy::cast_precision_loss)]
            let rest = (1.0 - first) / (n - 1) as f64;
            (0..n).map(|l| if l == 0 { first } else { rest }).collect()
        };
        let mut m: Vec<Vec<f64>> = shape.n_levels.iter().map(|n| spread(*n, 0.9)).collect();
        shape.pin_contradictions(&mut m);
        let u = shape.n_levels.iter().map(|n| spread(*n, 0.05)).collect();
        LinkParameters {
            lambda,
            m,
            u,
            source: "default".into(),
            em_iterations: 0,
            lambda_missing_id: None,
        }
    }

    /// Scores a person comparison; `name_u` is the name's term frequency, if known.
    pub fn weigh(&self, levels: &Levels, name_u: Option<f64>) -> Weights {
        let tf = name_u.map(|u| TermFrequency {
            field: 1,
            up_to_level: 0,
            u,
        });
        let lambda = match levels.id {
            IdLevel::Missing => self.lambda_missing_id.unwrap_or(self.lambda),
            _ => self.lambda,
        };
        self.weigh_with_prior(&PERSON, &person_levels(*levels), tf.as_slice(), lambda)
    }

    /// Scores a pair decided without an ID on the population's scale (contract, matching
    /// item 7, as term frequencies): the prior is one person among the registry's
    /// `population`, and an agreeing name and birth date weigh m over how common the value
    /// is in that population (`shares`), where the model's u is an average over all
    /// values. Fields without a share keep the model's u. An agreeing gender weighs nothing:
    /// given names are mostly one gender's, so namesakes mostly share it.
    pub fn weigh_in_population(
        &self,
        levels: &Levels,
        shares: TermShares,
        population: f64,
    ) -> Weights {
        let shape = &*PERSON;
        let person = person_levels_array(*levels);
        let mut fields = vec![0.0; person.len()];
        for (field, &level) in person.iter().enumerate() {
            let same_gender = field == GENDER && levels.gender == GenderLevel::Same;
            if shape.is_missing(field, level) || same_gender {
                continue;
            }
            let frequency = match field {
                NAME => shares.name,
                BIRTH_DATE => shares.birth_date,
                _ => None,
            };
            let u = frequency.map_or(self.u[field][level].max(FLOOR), |s| {
                s.max(f64::MIN_POSITIVE)
            });
            let m = shape.scoring_m(field, level, self.m[field][level]);
            fields[field] = (m / u).log2();
        }
        Weights::of(-population.max(1.0).log2(), fields)
    }

    /// Scores one pair given its level index per field.
    pub fn weigh_levels(
        &self,
        shape: &Shape,
        levels: &[usize],
        term_frequencies: &[TermFrequency],
    ) -> Weights {
        self.weigh_with_prior(shape, levels, term_frequencies, self.lambda)
    }

    /// Scores one pair under a given prior probability of a match.
    pub fn weigh_with_prior(
        &self,
        shape: &Shape,
        levels: &[usize],
        term_frequencies: &[TermFrequency],
        lambda: f64,
    ) -> Weights {
        let mut fields = vec![0.0; levels.len()];
        for (field, &level) in levels.iter().enumerate() {
            if shape.is_missing(field, level) {
                continue;
            }
            let tf = term_frequencies
                .iter()
                .find(|t| t.field == field && level <= t.up_to_level);
            let u = tf.map_or(self.u[field][level], |t| t.u);
            let m = shape.scoring_m(field, level, self.m[field][level]);
            fields[field] = (m / u.max(FLOOR)).log2();
        }
        let lambda = lambda.clamp(1e-15, 1.0 - 1e-9);
        Weights::of((lambda / (1.0 - lambda)).log2(), fields)
    }

    /// Estimates u from level frequencies among random pairs, with add-half smoothing;
    /// missing levels are left out (they carry no weight).
    #[must_use]
    pub fn with_u_from(mut self, shape: &Shape, random_levels: &[Vec<usize>]) -> LinkParameters {
        if random_levels.len() < 1000 {
            return self;
        }
        for (field, count) in shape.n_levels.iter().enumerate() {
            let mut counts: Vec<f64> = (0..*count)
                .map(|l| if shape.is_missing(field, l) { 0.0 } else { 0.5 })
                .collect();
            for levels in random_levels {
                if !shape.is_missing(field, levels[field]) {
                    counts[levels[field]] += 1.0;
                }
            }
            let total: f64 = counts.iter().sum();
            self.u[field] = counts.iter().map(|c| c / total).collect();
        }
        self
    }

    /// Fits m by EM on unlabelled candidate pairs, holding u fixed. EM's own lambda is the
    /// share of matches among candidates; the prior kept for scoring is the share among all
    /// `total_pairs` (left × right) pairs, which is what u from random pairs implies.
    /// `initial_lambda` starts EM: a low start keeps it from taking a large block of pairs
    /// that merely share the blocking key for the match class.
    #[must_use]
    pub fn fit_m(
        self,
        shape: &Shape,
        candidates: &[Vec<usize>],
        total_pairs: f64,
        initial_lambda: f64,
        max_iterations: usize,
    ) -> LinkParameters {
        self.fit_m_patterns(
            shape,
            &patterns(candidates),
            total_pairs,
            initial_lambda,
            max_iterations,
        )
    }

    /// `fit_m` on the candidates' distinct comparison vectors with their counts, in
    /// ascending order of vector (what `fit_m` makes of its pairs), for a caller that
    /// counts them without holding a vector per pair.
    #[must_use]
    pub fn fit_m_patterns(
        mut self,
        shape: &Shape,
        patterns: &[Pattern],
        total_pairs: f64,
        initial_lambda: f64,
        max_iterations: usize,
    ) -> LinkParameters {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let candidates = patterns.iter().map(|(_, n)| *n).sum::<f64>() as usize;
        if candidates < MIN_PAIRS_TO_TRAIN || total_pairs < 1.0 {
            return self;
        }
        let every_field = vec![true; shape.n_levels.len()];
        let fit = self.em(
            shape,
            patterns,
            &every_field,
            true,
            initial_lambda,
            max_iterations,
        );
        self.m = fit.m;
        self.em_iterations = fit.iterations;
        self.with_candidate_share(fit.lambda, candidates, total_pairs)
    }

    /// Fits m by EM one blocking rule at a time, as Splink's training sessions do. Among the
    /// pairs a rule produced, the rule's own fields agree by construction, so they say
    /// nothing there about which pairs match: a session leaves them out and fits the m of
    /// every other field. A field's m is then the mean over the sessions that fitted it.
    /// (EM over all candidates at once lets that built-in agreement, rare among random
    /// pairs, pull nearly every candidate into the match class; m then learns that matches
    /// often disagree, and unrelated pairs score as matches.) Last, with m and u fixed, EM
    /// finds the share of matches among all candidates, which sets the prior.
    /// `rule_fields[k]` marks the fields of rule k; its pairs are the candidates that agree
    /// exactly (level 0) on all of them.
    #[must_use]
    pub fn fit_m_by_rule(
        mut self,
        shape: &Shape,
        candidates: &[Vec<usize>],
        rule_fields: &[Vec<bool>],
        total_pairs: f64,
        max_iterations: usize,
    ) -> LinkParameters {
        if candidates.len() < MIN_PAIRS_TO_TRAIN || total_pairs < 1.0 {
            return self;
        }
        let n_fields = shape.n_levels.len();
        let mut m_sums: Vec<Vec<f64>> = shape.n_levels.iter().map(|n| vec![0.0; *n]).collect();
        let mut fitted_by = vec![0_u32; n_fields];
        let mut iterations = 0;
        let all_patterns = patterns(candidates);
        for in_rule in rule_fields {
            let session: Vec<Pattern> = all_patterns
                .iter()
                .filter(|(levels, _)| (0..n_fields).all(|f| !in_rule[f] || levels[f] == 0))
                .cloned()
                .collect();
            let n_pairs: f64 = session.iter().map(|(_, count)| count).sum();
            let free: Vec<bool> = in_rule.iter().map(|fixed| !fixed).collect();
            #[allow(clippy::cast_precision_loss)]
            if n_pairs < MIN_PAIRS_TO_TRAIN as f64 || !free.contains(&true) {
                continue;
            }
            let fit = self.em(shape, &session, &free, true, 0.5, max_iterations);
            iterations += fit.iterations;
            for field in (0..n_fields).filter(|f| free[*f]) {
                fitted_by[field] += 1;
                for (sum, m) in m_sums[field].iter_mut().zip(&fit.m[field]) {
                    *sum += m;
                }
            }
        }
        for field in (0..n_fields).filter(|f| fitted_by[*f] > 0) {
            self.m[field] = m_sums[field]
                .iter()
                .map(|sum| sum / f64::from(fitted_by[field]))
                .collect();
        }
        let every_field = vec![true; n_fields];
        let fit = self.em(
            shape,
            &all_patterns,
            &every_field,
            false,
            0.5,
            max_iterations,
        );
        self.em_iterations = iterations + fit.iterations;
        self.with_candidate_share(fit.lambda, candidates.len(), total_pairs)
    }

    /// The prior over all `total_pairs` pairs given the share of matches among candidates.
    fn with_candidate_share(
        mut self,
        share: f64,
        n_candidates: usize,
        total_pairs: f64,
    ) -> LinkParameters {
        #[allow(clippy::cast_precision_loss)]
        let n_candidates = n_candidates as f64;
        self.lambda = (share * n_candidates / total_pairs).clamp(1e-12, 0.5);
        self.source = "em".into();
        self
    }

    /// EM with u fixed on pairs given as patterns, using the `fields` marked true. Returns
    /// the share of matches among the pairs and, when `update_m`, the fitted m of those
    /// fields (the others keep their current m).
    fn em(
        &self,
        shape: &Shape,
        pairs: &[Pattern],
        fields: &[bool],
        update_m: bool,
        initial_lambda: f64,
        max_iterations: usize,
    ) -> EmFit {
        let n_pairs: f64 = pairs.iter().map(|(_, count)| count).sum();
        let mut fit = EmFit {
            m: self.m.clone(),
            lambda: initial_lambda.clamp(1e-6, 0.5),
            iterations: 0,
        };
        let used = |field: usize, level: usize| fields[field] && !shape.is_missing(field, level);
        for iteration in 0..max_iterations {
            let mut m_counts: Vec<Vec<f64>> = shape
                .n_levels
                .iter()
                .enumerate()
                .map(|(field, n)| {
                    (0..*n)
                        .map(|l| if used(field, l) { 0.01 } else { 0.0 })
                        .collect()
                })
                .collect();
            let mut total_posterior = 0.0;
            for (pair, count) in pairs {
                let (mut match_likelihood, mut non_match_likelihood) =
                    (fit.lambda, 1.0 - fit.lambda);
                for (field, &level) in pair.iter().enumerate().filter(|(f, l)| used(*f, **l)) {
                    match_likelihood *= shape.scoring_m(field, level, fit.m[field][level]);
                    non_match_likelihood *= self.u[field][level].max(FLOOR);
                }
                let posterior =
                    count * match_likelihood / (match_likelihood + non_match_likelihood);
                total_posterior += posterior;
                for (field, &level) in pair.iter().enumerate().filter(|(f, l)| used(*f, **l)) {
                    m_counts[field][level] += posterior;
                }
            }
            let lambda = total_posterior / n_pairs;
            let mut change = (lambda - fit.lambda).abs();
            if update_m {
                for (field, counts) in m_counts.iter().enumerate().filter(|(f, _)| fields[*f]) {
                    let sum: f64 = counts.iter().sum();
                    for (m, count) in fit.m[field].iter_mut().zip(counts) {
                        let new = count / sum;
                        change += (new - *m).abs();
                        *m = new;
                    }
                }
                shape.pin_contradictions(&mut fit.m);
            }
            fit.lambda = lambda;
            fit.iterations = iteration + 1;
            if change < 1e-6 {
                break;
            }
        }
        fit
    }
}

/// A comparison vector (one level per field) and how many pairs show it.
pub type Pattern = (Vec<usize>, f64);

/// The distinct comparison vectors of `pairs`, in order, with their counts. EM needs
/// nothing more, and a million pairs show a few hundred vectors, so each EM iteration costs
/// next to nothing.
fn patterns(pairs: &[Vec<usize>]) -> Vec<Pattern> {
    let counts = pairs
        .par_iter()
        .fold(
            BTreeMap::new,
            |mut counts: BTreeMap<&[usize], usize>, pair| {
                *counts.entry(pair.as_slice()).or_default() += 1;
                counts
            },
        )
        .reduce(BTreeMap::new, |mut a, b| {
            for (pair, n) in b {
                *a.entry(pair).or_default() += n;
            }
            a
        });
    counts
        .into_iter()
        .map(|(pair, n)| {
            #[allow(clippy::cast_precision_loss)]
            (pair.to_vec(), n as f64)
        })
        .collect()
}

/// Fewer candidate pairs than this and EM keeps its starting parameters.
const MIN_PAIRS_TO_TRAIN: usize = 200;

/// What one EM run found.
struct EmFit {
    m: Vec<Vec<f64>>,
    lambda: f64,
    iterations: usize,
}

/// Deterministic random (left, right) pairs for estimating u: (registry, record, member).
pub fn random_pairs(
    n_members: usize,
    record_counts: &[usize],
    n_pairs: usize,
    seed: u64,
) -> Vec<(usize, usize, usize)> {
    let total: usize = record_counts.iter().sum();
    if n_members == 0 || total == 0 {
        return Vec::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n_pairs)
        .map(|_| {
            let mut flat = rng.random_range(0..total);
            let mut registry_idx = 0;
            while flat >= record_counts[registry_idx] {
                flat -= record_counts[registry_idx];
                registry_idx += 1;
            }
            (registry_idx, flat, rng.random_range(0..n_members))
        })
        .collect()
}

#[cfg(test)]
mod tests;
