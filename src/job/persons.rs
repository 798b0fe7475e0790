//! The persons a run links besides the roll's members, found before any registry is linked:
//! the relatives `relations` names of people who may be members (supporters to be; a
//! province's relations registry names most of its population) and the people the early-warning
//! registries name with a signal (candidates). Both are read a piece at a time here
//! (`relations` keeping only those rows; a roll index holds the relatives it found once,
//! `find_relatives`); `relations` is read again in pieces like every
//! registry (its rows are counted and quarantined there), the early-warning registries only
//! here (their rows are counted and quarantined here).

use std::path::Path;

use chrono::NaiveDate;

use rayon::prelude::*;

use super::PIECE_ROWS;
use crate::config::Pipeline;
use crate::ingest::{self, IngestError, Ingested};
use crate::link;
use crate::model::Source;
use crate::normalize::{self, Person};
use crate::rules::warnings::{self, signals::SignalRecords, CandidateContext};

/// The relatives `relations` names of people who may be members, found once: a roll index
/// holds them for every shard (`rollcheck index-roll`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Relatives {
    /// In the order a run links them, after the members.
    pub others: Vec<ingest::OtherPerson>,
    /// The `relations` files they were read from: relatives found in other files would be
    /// other persons, at other positions.
    pub files: Vec<ingest::InputInfo>,
}

/// The persons a run links, normalised (the roll's members, then `ingested.others`, which
/// this sets), and the early-warning registries' signals at `as_of`. `relatives` are the
/// ones a roll index holds, else they are read here.
pub(super) fn linked_persons(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    as_of: NaiveDate,
    ingested: &mut Ingested,
    relatives: Option<Relatives>,
) -> Result<(Vec<Person>, SignalRecords), IngestError> {
    let mut persons = normalize::members(&ingested.roll);
    let members = persons.len();
    if pipeline.sources.contains_key(&Source::Relations) {
        let (relatives, beyond) = match relatives {
            Some(relatives) => {
                let beyond: Vec<Person> = relatives
                    .others
                    .par_iter()
                    .map(|other| normalize::record_person(&other.person))
                    .collect();
                (relatives, beyond)
            }
            None => find_relatives(pipeline, data_dir, &ingested.roll, &persons)?,
        };
        tracing::info!(
            relatives = relatives.others.len(),
            "relatives linked beside the roll"
        );
        persons.extend(beyond);
        ingested.others = relatives.others;
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

/// The relatives `relations` names of the roll's `members` (persons parallel to `roll`)
/// who are not members, reading only the rows whose person may be a member: the relatives
/// of anyone else are never a member's supporters (`link::MemberReach`). Returns them with
/// their persons, normalised (parallel to `others`).
pub(super) fn find_relatives(
    pipeline: &Pipeline,
    data_dir: Option<&Path>,
    roll: &[ingest::RollMember],
    members: &[Person],
) -> Result<(Relatives, Vec<Person>), IngestError> {
    let reach = link::MemberReach::new(roll, members, &pipeline.link);
    let mut relations = Vec::new();
    let files = super::pieces::read_ahead(
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
    let (others, persons) = normalize::persons::relatives_beyond_roll(&relations, members);
    Ok((Relatives { others, files }, persons))
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
