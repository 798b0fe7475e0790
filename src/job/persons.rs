//! The persons a run links besides the roll's members, found before any registry is linked:
//! the relatives `relations` names of people who may be members (supporters to be; a
//! province's relations registry names most of its population) and the people the early-warning
//! registries name with a signal (candidates). Both are read a piece at a time here
//! (`relations` keeping only those rows); `relations` is read again in pieces like every
//! registry (its rows are counted and quarantined there), the early-warning registries only
//! here (their rows are counted and quarantined here).

use std::path::Path;

use chrono::NaiveDate;

use super::PIECE_ROWS;
use crate::config::Pipeline;
use crate::ingest::{self, IngestError, Ingested};
use crate::link;
use crate::model::Source;
use crate::normalize::{self, Person};
use crate::rules::warnings::{self, signals::SignalRecords, CandidateContext};

/// The persons a run links, normalised (the roll's members, then `ingested.others`, which
/// this sets), and the early-warning registries' signals at `as_of`.
pub(super) fn linked_persons(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    ingested: &mut Ingested,
) -> Result<(Vec<Person>, SignalRecords), IngestError> {
    let mut persons = normalize::members(&ingested.roll);
    let members = persons.len();
    if pipeline.sources.contains_key(&Source::Relations) {
        // Only the rows whose person may be a member: the relatives of anyone else are
        // never a member's supporters (`link::MemberReach`).
        let reach = link::MemberReach::new(&ingested.roll, &persons, &pipeline.link);
        let mut relations = Vec::new();
        super::pieces::read_ahead(
            |hand_on| {
                ingest::load_registry_in_pieces(
                    pipeline,
                    data_dir,
                    Source::Relations,
                    PIECE_ROWS,
                    &mut Vec::new(),
                    &mut || true,
                    &mut |piece, _| hand_on(piece),
                )
            },
            &mut |piece: ingest::Registry| {
                let reached = reach.reached(&piece.records, &normalize::records(&piece));
                relations.extend(
                    piece
                        .records
                        .into_iter()
                        .zip(reached)
                        .filter_map(|(record, reached)| reached.then_some(record)),
                );
            },
        )?;
        drop(reach);
        let (others, beyond) = normalize::persons::relatives_beyond_roll(&relations, &persons);
        tracing::info!(relatives = others.len(), "relatives linked beside the roll");
        ingested.others = others;
        persons.extend(beyond);
    }
    let mut signals = read_signals(pipeline, data_dir, as_of, ingested)?;
    let context = CandidateContext {
        spec: &pipeline.warning,
        as_of,
    };
    let (candidates, beyond) =
        warnings::candidates(&signals, &context, &persons, members, &ingested.others);
    // The rules read the signals of members and candidates only.
    let read_later: std::collections::HashSet<u64> = persons[..members]
        .iter()
        .chain(&beyond)
        .filter_map(|p| p.valid_id().map(|valid| valid.key))
        .collect();
    signals.keep_only(&read_later);
    tracing::info!(
        candidates = candidates.len(),
        "early-warning candidates linked beside the roll"
    );
    ingested.others.extend(candidates);
    persons.extend(beyond);
    Ok((persons, signals))
}

/// Reads every early-warning registry the pipeline names, a piece at a time, into their
/// signals; their files and unusable rows go into `ingested`.
fn read_signals(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    ingested: &mut Ingested,
) -> Result<SignalRecords, IngestError> {
    let mut signals = SignalRecords::default();
    for source in ingest::signal_sources(pipeline) {
        let quarantine = &mut ingested.quarantine;
        let inputs = super::pieces::read_ahead(
            |hand_on| {
                ingest::load_registry_in_pieces(
                    pipeline,
                    data_dir,
                    source,
                    PIECE_ROWS,
                    quarantine,
                    &mut || true,
                    &mut |piece, _| hand_on(piece),
                )
            },
            &mut |piece: ingest::Registry| {
                let persons = normalize::records(&piece);
                signals.absorb(as_of, &piece.records, &persons);
            },
        )?;
        ingested.inputs.extend(inputs);
    }
    Ok(signals)
}
