//! What runs, shards and roll indexes report when they finish, and how the command line
//! words it: a summary's `Display` is the text the command prints.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use crate::model::Reason;
use crate::rules::Flag;
use crate::rundir::{FlagRow, Manifest, RollIndexManifest, ShardManifest};

/// What a completed run reports.
#[derive(Debug)]
pub struct RunSummary {
    pub run_id: String,
    pub out_dir: PathBuf,
    pub households: usize,
    pub members: usize,
    pub flags: Vec<FlagRow>,
    pub quarantined: usize,
    pub manifest: Manifest,
}

impl RunSummary {
    /// Flags per reason, every reason listed.
    pub fn flags_per_reason(&self) -> BTreeMap<Reason, usize> {
        count_reasons(self.flags.iter().map(|f| &f.flag))
    }
}

fn count_reasons<'a>(flags: impl Iterator<Item = &'a Flag>) -> BTreeMap<Reason, usize> {
    let flags: Vec<&Flag> = flags.collect();
    let mut counts: BTreeMap<Reason, usize> = Reason::listed(flags.iter().map(|f| f.reason))
        .into_iter()
        .map(|r| (r, 0))
        .collect();
    for flag in flags {
        *counts.entry(flag.reason).or_default() += 1;
    }
    counts
}

/// Something a command did, with the wall-clock seconds it took.
#[derive(Debug)]
pub struct Timed<T> {
    pub outcome: T,
    pub seconds: f64,
}

/// Runs `work` and times it.
pub fn timed<T, E>(work: impl FnOnce() -> Result<T, E>) -> Result<Timed<T>, E> {
    let started = Instant::now();
    let outcome = work()?;
    Ok(Timed {
        outcome,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A run's summary: its id and time, the roll's size, flags per reason and where the
/// outputs are; one line each.
impl fmt::Display for Timed<RunSummary> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let summary = &self.outcome;
        writeln!(
            f,
            "run {} finished in {:.2} s",
            summary.run_id, self.seconds
        )?;
        writeln!(
            f,
            "  {} households, {} roll rows, {} rows quarantined",
            summary.households, summary.members, summary.quarantined
        )?;
        writeln!(f, "  {:<22} {:>8}", "reason", "flags")?;
        for (reason, count) in summary.flags_per_reason() {
            writeln!(f, "  {:<22} {:>8}", reason.code(), count)?;
        }
        writeln!(f, "  {:<22} {:>8}", "total", summary.flags.len())?;
        writeln!(f, "  outputs: {}", summary.out_dir.display())
    }
}

/// A shard's line, up to where it was written.
impl fmt::Display for Timed<ShardManifest> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shard = &self.outcome;
        write!(
            f,
            "shard {} of run {}: {} of {} registry pieces, {} pairs compared, {} kept, in {:.1} s",
            shard.shard,
            shard.run_id,
            shard.pieces_linked,
            shard.pieces,
            shard.compared,
            shard.pairs,
            self.seconds
        )
    }
}

/// A roll index's line, up to where it was written.
impl fmt::Display for Timed<RollIndexManifest> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = &self.outcome;
        write!(
            f,
            "roll index of {} members from {} file(s) in {:.1} s",
            index.members,
            index.files.len(),
            self.seconds
        )
    }
}
