//! Registries read a piece at a time, and the records a run holds of them. Whole runs,
//! shards and merges all read registries this way, so none holds a whole registry (bar one
//! a SQL rule reads as a table).

use std::collections::HashSet;
use std::path::Path;

use crate::config::Pipeline;
use crate::ingest::{self, IngestError, Registry};
use crate::link;
use crate::model::Source;
use crate::normalize::{self, Person};

/// Reads each registry the pipeline names in pieces of at most `rows_per_piece` rows and
/// hands every piece that `wanted` takes (by its number among all registries' pieces) to
/// `each` with its registry's index and each record's number in its registry (the rows of
/// the registry's earlier files plus the record's row: the same however the registry is
/// cut into pieces). Unusable rows go to `quarantine`; returns the registries' input
/// records. The next piece is read while `each` uses this one (`read_ahead`).
pub(super) fn each_registry_piece(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    rows_per_piece: usize,
    wanted: &(dyn Fn(usize) -> bool + Sync),
    quarantine: &mut Vec<ingest::QuarantinedRow>,
    each: &mut dyn FnMut(usize, Vec<usize>, Registry),
) -> Result<Vec<ingest::InputInfo>, IngestError> {
    read_ahead(
        |hand_on| {
            let mut inputs = Vec::new();
            let mut piece_number = 0;
            for (registry_idx, source) in ingest::registry_sources(pipeline).enumerate() {
                let info = ingest::load_registry_in_pieces(
                    pipeline,
                    data_dir,
                    source,
                    rows_per_piece,
                    quarantine,
                    &mut || {
                        piece_number += 1;
                        wanted(piece_number - 1)
                    },
                    &mut |piece, rows_before| {
                        let numbers = piece.records.iter().map(|r| rows_before + r.row).collect();
                        hand_on((registry_idx, numbers, piece));
                    },
                )?;
                inputs.extend(info);
            }
            Ok(inputs)
        },
        &mut |(registry_idx, numbers, piece)| each(registry_idx, numbers, piece),
    )
}

/// Runs `read` on a thread of its own and hands what it reads to `each` on this one, so
/// that the next piece is read (mostly one core: decoding and splitting rows) while this
/// one is normalised and linked (both cores). At most one piece waits between them, so a
/// run holds at most two pieces and the one being read. Order is kept.
pub(super) fn read_ahead<T: Send, R: Send>(
    read: impl FnOnce(&mut dyn FnMut(T)) -> R + Send,
    each: &mut dyn FnMut(T),
) -> R {
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel(0);
        let reader = std::thread::Builder::new()
            .name("reader".into())
            // Decoders (Parquet, gzip) get the room the main thread has.
            .stack_size(8 << 20)
            .spawn_scoped(scope, move || {
                // Should `each` stop early (it panicked), what is read next is dropped.
                read(&mut |item| {
                    let _ = sender.send(item);
                })
            })
            .expect("a thread to read with");
        for item in receiver {
            each(item);
        }
        match reader.join() {
            Ok(read) => read,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Every piece: a whole run and a merge read them all.
pub(super) fn every_piece(_: usize) -> bool {
    true
}

/// The items at the positions `kept` (ascending), in order, in a vector of their size:
/// collected in place, they would keep the buffer of every item (a registry's records held
/// while training would stay allocated after most were let go).
pub(super) fn keep_only<T>(items: Vec<T>, kept: &[usize]) -> Vec<T> {
    let mut next = kept.iter().peekable();
    let mut out = Vec::with_capacity(kept.len());
    out.extend(
        items
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| (next.next_if_eq(&&i).is_some()).then_some(item)),
    );
    out
}

/// The records a run holds of each registry, with their persons and their numbers in the
/// registry as read (which the scored pairs name until they are renumbered to these).
pub(super) struct HeldRegistries {
    pub registries: Vec<Registry>,
    pub persons: Vec<Vec<Person>>,
    numbers: Vec<Vec<usize>>,
    /// Registries held whole: a SQL rule reads them as tables.
    read_whole: HashSet<Source>,
}

impl HeldRegistries {
    pub(super) fn new(pipeline: &Pipeline) -> HeldRegistries {
        let sources: Vec<Source> = ingest::registry_sources(pipeline).collect();
        HeldRegistries {
            registries: sources
                .iter()
                .map(|&source| Registry {
                    source,
                    records: Vec::new(),
                })
                .collect(),
            persons: vec![Vec::new(); sources.len()],
            numbers: vec![Vec::new(); sources.len()],
            read_whole: crate::rules::sql::registries_read(pipeline)
                .into_iter()
                .collect(),
        }
    }

    /// The positions of a piece's records to hold: `linked`, or all of them when a rule
    /// reads the registry.
    fn positions(&self, piece: &Registry, linked: Vec<usize>) -> Vec<usize> {
        if self.read_whole.contains(&piece.source) {
            (0..piece.records.len()).collect()
        } else {
            linked
        }
    }

    /// Holds of a piece (`persons` parallel to its records, `numbers` their numbers in the
    /// registry) the records at `linked` (positions in the piece, ascending), or all of
    /// them when a rule reads the registry.
    pub(super) fn hold(
        &mut self,
        registry_idx: usize,
        numbers: &[usize],
        piece: Registry,
        persons: Vec<Person>,
        linked: Vec<usize>,
    ) {
        let kept = self.positions(&piece, linked);
        self.numbers[registry_idx].extend(kept.iter().map(|&i| numbers[i]));
        self.registries[registry_idx]
            .records
            .extend(keep_only(piece.records, &kept));
        self.persons[registry_idx].extend(keep_only(persons, &kept));
    }

    /// Holds of a piece, not yet normalised, the records whose numbers `linked` takes (or
    /// all of them when a rule reads the registry), normalising only those: a merge, whose
    /// shards found the records that link.
    pub(super) fn hold_numbered(
        &mut self,
        registry_idx: usize,
        numbers: Vec<usize>,
        piece: Registry,
        linked: impl Fn(usize) -> bool,
    ) {
        let taken = (0..numbers.len()).filter(|&i| linked(numbers[i])).collect();
        let kept = self.positions(&piece, taken);
        let piece = Registry {
            source: piece.source,
            records: keep_only(piece.records, &kept),
        };
        self.persons[registry_idx].extend(normalize::records(&piece));
        self.numbers[registry_idx].extend(keep_only(numbers, &kept));
        self.registries[registry_idx].records.extend(piece.records);
    }

    /// Keeps only the records that link (`link::LinkedRecords`: a shared valid ID or a pair
    /// in `scored`; a merge holds the same, as its shards found them) and renumbers
    /// `scored`'s pairs to the records held.
    pub(super) fn keep_linked(
        &mut self,
        linked: &link::LinkedRecords,
        scored: &mut link::ScoredPairs,
    ) {
        for registry_idx in 0..self.registries.len() {
            if !self
                .read_whole
                .contains(&self.registries[registry_idx].source)
            {
                let kept = linked.keep(
                    registry_idx,
                    &self.numbers[registry_idx],
                    &self.persons[registry_idx],
                    scored,
                );
                let registry = &mut self.registries[registry_idx];
                registry.records = keep_only(std::mem::take(&mut registry.records), &kept);
                let persons = &mut self.persons[registry_idx];
                *persons = keep_only(std::mem::take(persons), &kept);
                let numbers = &mut self.numbers[registry_idx];
                *numbers = keep_only(std::mem::take(numbers), &kept);
            }
        }
        self.renumber(scored);
    }

    /// Renumbers `scored`'s pairs to the records held (which hold every record they name).
    pub(super) fn renumber(&self, scored: &mut link::ScoredPairs) {
        for (registry_idx, numbers) in self.numbers.iter().enumerate() {
            scored.renumber_records(registry_idx, numbers);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::keep_only;

    #[test]
    fn keep_only_keeps_the_listed_positions_in_order() {
        let items = vec!["a", "b", "c", "d", "e"];
        assert_eq!(keep_only(items.clone(), &[0, 3, 4]), ["a", "d", "e"]);
        assert!(keep_only(items.clone(), &[]).is_empty());
        // The input's buffer is let go, not kept for the few items left.
        assert_eq!(keep_only(vec![0_u64; 100_000], &[7, 9]).capacity(), 2);
        assert_eq!(keep_only(items.clone(), &[0, 1, 2, 3, 4]), items);
    }
}
