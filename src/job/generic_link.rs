//! `rollcheck link`: two tables linked as a link file declares. Both tables are read as
//! text at once, linked by the generic engine (`link::generic`), and the pairs with each
//! comparison's level and weight written with the model (`rundir::write_link_run`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::JobError;
use crate::config::{LinkJob, TableSpec};
use crate::ingest::{read_text_table, TextTable};
use crate::link::generic::{link_tables, GenericLinks};
use crate::rundir::PairsTable;

/// A finished `rollcheck link`. It owns the tables read and the pairs linked (the pairs
/// written borrow from them), so the caller decides when they are let go.
pub struct LinkRun {
    pub left: TextTable,
    pub right: TextTable,
    pub linked: GenericLinks,
    pub pairs_written: usize,
    /// Pairs at or above `match_probability`.
    pub matched: usize,
    pub match_probability: f64,
    pub seconds: f64,
    pub out_dir: PathBuf,
}

/// Links the two tables `link_file` names and writes pairs.parquet and model.json into
/// `out_dir`, replacing it atomically.
pub fn link(link_file: &Path, out_dir: &Path) -> Result<LinkRun, JobError> {
    let job = LinkJob::load(link_file)?;
    let started = Instant::now();
    let (left, right) = rayon::join(
        || read_text_table(&job.left.path),
        || read_text_table(&job.right.path),
    );
    let (left, right) = (left?, right?);
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "read both tables"
    );
    let linking = Instant::now();
    let linked = link_tables(&job, &left, &right)?;
    tracing::info!(seconds = linking.elapsed().as_secs_f64(), "linked");
    let (pairs_written, matched) = write_pairs(&job, &left, &right, &linked, out_dir)?;
    Ok(LinkRun {
        left,
        right,
        linked,
        pairs_written,
        matched,
        match_probability: job.match_probability,
        seconds: started.elapsed().as_secs_f64(),
        out_dir: out_dir.to_path_buf(),
    })
}

/// Writes the linked pairs by the tables' ids; returns how many were written and how many
/// of those match.
fn write_pairs(
    job: &LinkJob,
    left: &TextTable,
    right: &TextTable,
    linked: &GenericLinks,
    out_dir: &Path,
) -> Result<(usize, usize), JobError> {
    let pairs = pairs_table(job, left, right, linked)?;
    let writing = Instant::now();
    crate::rundir::write_link_run(out_dir, &pairs, &linked.parameters)?;
    tracing::info!(
        seconds = writing.elapsed().as_secs_f64(),
        "wrote the outputs"
    );
    let matched = pairs.matched.iter().filter(|m| **m).count();
    Ok((pairs.left_ids.len(), matched))
}

/// The pairs as written: both ids, probability, weight, decision and each comparison's
/// level and weight.
fn pairs_table<'t>(
    job: &LinkJob,
    left: &'t TextTable,
    right: &'t TextTable,
    linked: &'t GenericLinks,
) -> Result<PairsTable<'t>, JobError> {
    let (left_ids, right_ids) = (id_column(left, &job.left)?, id_column(right, &job.right)?);
    let pairs = &linked.pairs;
    Ok(PairsTable {
        left_ids: pairs.iter().map(|p| left_ids[p.left_idx]).collect(),
        right_ids: pairs.iter().map(|p| right_ids[p.right_idx]).collect(),
        probabilities: pairs.iter().map(|p| p.weights.probability).collect(),
        match_weights: pairs.iter().map(|p| p.weights.total).collect(),
        matched: pairs
            .iter()
            .map(|p| p.weights.probability >= job.match_probability)
            .collect(),
        comparisons: linked
            .shape
            .names
            .iter()
            .enumerate()
            .map(|(f, name)| {
                let levels = pairs
                    .iter()
                    .map(|p| linked.level_names[f][p.levels[f]].as_str())
                    .collect();
                let weights = pairs.iter().map(|p| p.weights.fields[f]).collect();
                (name.clone(), levels, weights)
            })
            .collect(),
    })
}

/// A linked table's id column, borrowed.
fn id_column<'t>(table: &'t TextTable, spec: &TableSpec) -> Result<Vec<&'t str>, JobError> {
    let values = table
        .column(&spec.id_column)
        .ok_or_else(|| JobError::NoIdColumn {
            path: spec.path.clone(),
            column: spec.id_column.clone(),
        })?;
    Ok(values.into_iter().map(Option::unwrap_or_default).collect())
}

/// The tables' sizes, the pairs, how many match, the time and the model; then where the
/// outputs are.
impl fmt::Display for LinkRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "linked {} x {} rows: {} candidate pairs, {} pairs written, {} at or above {} \
             ({:.2} s); parameters: {} ({} EM iterations)",
            self.left.len(),
            self.right.len(),
            self.linked.candidate_pairs,
            self.pairs_written,
            self.matched,
            self.match_probability,
            self.seconds,
            self.linked.parameters.source,
            self.linked.parameters.em_iterations,
        )?;
        writeln!(f, "  outputs: {}", self.out_dir.display())
    }
}
