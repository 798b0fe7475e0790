//! Whether scores mean what they say: a reliability table of a run's pairs against synth's
//! `truth_record_owners.csv`. Every accepted or possible member↔record pair in
//! `matches.parquet` falls in a score band; per band, the mean score (what the model
//! predicts) beside the share of pairs that truly are one person (what it achieves). A pair
//! scored 0.98 should be right about 98% of the time.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use super::{both_exist, read_csv_columns, EvalError};
use crate::rundir::names::MATCHES;
use crate::synth::TRUTH_RECORD_OWNERS_CSV;

/// Lower edges of the score bands; the last band runs to 1 inclusive.
const BANDS: [f64; 9] = [0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999];

/// Bands with fewer pairs than this say too little for their gap to count.
pub const MIN_PAIRS: usize = 100;

/// One score band's pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Band {
    pub low: f64,
    pub pairs: usize,
    pub score_sum: f64,
    pub same_person: usize,
}

impl Band {
    pub fn predicted(&self) -> f64 {
        ratio(self.score_sum, self.pairs)
    }

    #[allow(clippy::cast_precision_loss)]
    pub fn measured(&self) -> f64 {
        ratio(self.same_person as f64, self.pairs)
    }

    pub fn gap(&self) -> f64 {
        (self.predicted() - self.measured()).abs()
    }
}

#[allow(clippy::cast_precision_loss)]
fn ratio(numerator: f64, pairs: usize) -> f64 {
    if pairs == 0 {
        0.0
    } else {
        numerator / pairs as f64
    }
}

/// The reliability table of one run: all pairs, and those decided without a valid ID
/// (`probabilistic`, `masked_id`), where the score is what decides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reliability {
    pub all: Vec<Band>,
    pub scored: Vec<Band>,
}

impl Reliability {
    /// Bands of `MIN_PAIRS` or more scored pairs: those whose gap counts.
    pub fn judged_bands(&self) -> usize {
        self.scored.iter().filter(|b| b.pairs >= MIN_PAIRS).count()
    }

    /// The largest gap between predicted and measured among bands of `MIN_PAIRS` or more
    /// scored pairs.
    pub fn largest_gap(&self) -> f64 {
        self.scored
            .iter()
            .filter(|b| b.pairs >= MIN_PAIRS)
            .map(Band::gap)
            .fold(0.0, f64::max)
    }
}

fn bands() -> Vec<Band> {
    BANDS
        .iter()
        .map(|&low| Band {
            low,
            ..Band::default()
        })
        .collect()
}

fn add(bands: &mut [Band], score: f64, same_person: bool) {
    let index = BANDS.iter().rposition(|low| score >= *low).unwrap_or(0);
    let band = &mut bands[index];
    band.pairs += 1;
    band.score_sum += score;
    band.same_person += usize::from(same_person);
}

impl fmt::Display for Reliability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (label, bands) in [("all pairs", &self.all), ("scored pairs", &self.scored)] {
            writeln!(
                f,
                "reliability ({label}): band          pairs  predicted   measured        gap"
            )?;
            for (band, high) in bands.iter().zip(BANDS.iter().skip(1).chain([&1.0])) {
                if band.pairs == 0 {
                    continue;
                }
                writeln!(
                    f,
                    "  {:>5.3}–{:<5.3} {:>24} {:>10.4} {:>10.4} {:>10.4}",
                    band.low,
                    high,
                    band.pairs,
                    band.predicted(),
                    band.measured(),
                    band.gap()
                )?;
            }
        }
        writeln!(
            f,
            "largest gap in scored bands of {MIN_PAIRS}+ pairs: {:.4}",
            self.largest_gap()
        )
    }
}

/// The reliability of a run's member pairs (`matches_parquet`) against the owners file.
pub fn reliability(owners_csv: &Path, matches_parquet: &Path) -> Result<Reliability, EvalError> {
    let [sources, records, members] =
        read_csv_columns(owners_csv, ["source", "record_id", "member_id"])?;
    let same: HashSet<(String, String, String)> = sources
        .into_iter()
        .zip(records)
        .zip(members)
        .map(|((s, r), m)| (s, r, m))
        .collect();
    let err = |e: crate::rundir::OutputError| EvalError::Read {
        path: matches_parquet.to_path_buf(),
        message: e.to_string(),
    };
    let frame = crate::rundir::read(matches_parquet).map_err(err)?;
    let text = |name: &str| crate::rundir::text_column(&frame, name, matches_parquet).map_err(err);
    let scores = crate::rundir::float_column(&frame, "score", matches_parquet).map_err(err)?;
    let (sources, records, members, methods, decisions) = (
        text("source")?,
        text("record_id")?,
        text("member_id")?,
        text("method")?,
        text("decision")?,
    );
    // Supporters' pairs name a supporter, not a roll member (runs before them have no role).
    let roles = text("role").ok();
    let mut table = Reliability {
        all: bands(),
        scored: bands(),
    };
    for i in 0..scores.len() {
        let decided = matches!(decisions[i].as_deref(), Some("accepted" | "possible"));
        let member = roles
            .as_ref()
            .is_none_or(|r| r[i].as_deref() == Some("member"));
        if !decided || !member || scores[i].is_nan() {
            continue;
        }
        let key = (
            sources[i].clone().unwrap_or_default(),
            records[i].clone().unwrap_or_default(),
            members[i].clone().unwrap_or_default(),
        );
        let same_person = same.contains(&key);
        add(&mut table.all, scores[i], same_person);
        if matches!(methods[i].as_deref(), Some("probabilistic" | "masked_id")) {
            add(&mut table.scored, scores[i], same_person);
        }
    }
    Ok(table)
}

/// `reliability` of the run in `out_dir`, when synth wrote its owners beside `truth`.
pub fn reliability_of_run(truth: &Path, out_dir: &Path) -> Result<Option<Reliability>, EvalError> {
    both_exist(truth, TRUTH_RECORD_OWNERS_CSV, out_dir, MATCHES)
        .map_or(Ok(None), |(owners, matches)| {
            reliability(&owners, &matches).map(Some)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_compare_mean_scores_with_the_share_that_is_one_person() {
        let mut bands = bands();
        for (score, same) in [(0.985, true), (0.982, false), (0.9995, true), (0.2, false)] {
            add(&mut bands, score, same);
        }
        let band = |low: f64| bands.iter().find(|b| (b.low - low).abs() < 1e-12).unwrap();
        assert_eq!((band(0.98).pairs, band(0.98).same_person), (2, 1));
        assert!((band(0.98).predicted() - 0.9835).abs() < 1e-12);
        assert!((band(0.98).gap() - 0.4835).abs() < 1e-12);
        assert_eq!((band(0.999).pairs, band(0.0).pairs), (1, 1));
        // Small bands do not count towards the largest gap.
        let table = Reliability {
            all: bands.clone(),
            scored: bands,
        };
        assert!(table.largest_gap().abs() < f64::EPSILON);
    }
}
