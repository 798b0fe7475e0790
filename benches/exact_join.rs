//! The exact-ID phase against its lower bound: rollcheck's key join (`link::key_index::KeyIndex`,
//! index the roll, probe with the registry) and a bare Polars inner join of two frames
//! holding the same u64 keys and row numbers. Province-sized: 1.5 million roll members, 2
//! million registry records, 40% of which carry a roll member's key and 10% no key.
//! Run with `cargo bench --bench exact_join`; issue 6 asks for rollcheck within 3× of Polars.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // tests and benches set up files

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use polars::prelude::*;
use rollcheck::link::key_index::KeyIndex;

const MEMBERS: usize = 1_500_000;
const RECORDS: usize = 2_000_000;

/// `SplitMix64`: a fixed, well-spread stream of numbers.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Keys shaped like ID keys (17-digit numbers): roll members, then registry records.
fn keys() -> (Vec<Option<u64>>, Vec<Option<u64>>) {
    let mut state = 6;
    let id_key =
        |state: &mut u64| 10_000_000_000_000_000 + splitmix(state) % 90_000_000_000_000_000;
    let members: Vec<Option<u64>> = (0..MEMBERS).map(|_| Some(id_key(&mut state))).collect();
    let records = (0..RECORDS)
        .map(|_| match splitmix(&mut state) % 10 {
            0 => None,
            1..=4 => members[usize::try_from(splitmix(&mut state) % MEMBERS as u64).expect("fits")],
            _ => Some(id_key(&mut state)),
        })
        .collect();
    (members, records)
}

fn frame(keys: &[Option<u64>]) -> DataFrame {
    let rows: Vec<u32> = (0..u32::try_from(keys.len()).expect("fewer than 2^32 rows")).collect();
    DataFrame::new(
        keys.len(),
        vec![
            Column::new("key".into(), keys),
            Column::new("row".into(), rows),
        ],
    )
    .expect("two columns of one length")
}

fn exact_join(c: &mut Criterion) {
    let (members, records) = keys();
    let ours = KeyIndex::new(members.iter().copied()).join(&records, |&key| key);
    let (member_frame, record_frame) = (frame(&members), frame(&records));
    let joined = record_frame
        .inner_join(&member_frame, ["key"], ["key"])
        .expect("join");
    assert_eq!(
        ours.len(),
        joined.height(),
        "both joins find the same pairs"
    );

    let mut group = c.benchmark_group("exact_id_join");
    group.sample_size(10);
    group.bench_function("rollcheck KeyIndex (index roll, probe registry)", |b| {
        b.iter(|| {
            let index = KeyIndex::new(black_box(&members).iter().copied());
            black_box(index.join(black_box(&records), |&key| key))
        });
    });
    group.bench_function("polars inner join (u64 keys)", |b| {
        b.iter(|| {
            black_box(
                black_box(&record_frame)
                    .inner_join(black_box(&member_frame), ["key"], ["key"])
                    .expect("join"),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, exact_join);
criterion_main!(benches);
