//! The hot kernels of a run, one criterion benchmark each: ID normalisation, name keys,
//! the comparison vector of a pair, and Fellegi–Sunter scoring.
//! Run with `cargo bench --bench kernels`; speed targets live here, never in timed tests.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // tests and benches set up files

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rollcheck::config::LinkParameters;
use rollcheck::link::compare::{compare, Side};
use rollcheck::normalize::name::match_key;
use rollcheck::normalize::{name_key, normalize_id, Person};

const IDS: [&str; 6] = [
    "11010519491231002X",
    " 110105 19491231 002x ",
    "110105491231002",
    "１１０１０５１９４９１２３１００２Ｘ",
    "4.11526E+17",
    "110105194912310021",
];
const NAMES: [&str; 6] = [
    "张建国",
    "陳大文",
    "阿依古丽·买买提",
    "欧阳娜娜",
    "曾 小明",
    "王立",
];

fn person(name: &str, id: &str) -> Person {
    let id = normalize_id(Some(id));
    Person {
        name: name_key(name),
        birth_date: id.valid().map(|v| v.birth_date),
        id,
    }
}

fn normalize_ids(c: &mut Criterion) {
    let mut group = c.benchmark_group("normalize_id");
    group.throughput(Throughput::Elements(IDS.len() as u64));
    group.bench_function("mixed damaged forms", |b| {
        b.iter(|| {
            for id in IDS {
                black_box(normalize_id(Some(black_box(id))));
            }
        });
    });
    group.finish();
}

fn name_keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("name_key");
    group.throughput(Throughput::Elements(NAMES.len() as u64));
    group.bench_function("key and reading", |b| {
        b.iter(|| {
            for name in NAMES {
                black_box(name_key(black_box(name)));
            }
        });
    });
    group.bench_function("key only", |b| {
        b.iter(|| {
            for name in NAMES {
                black_box(match_key(black_box(name)));
            }
        });
    });
    group.finish();
}

fn comparison_vector(c: &mut Criterion) {
    let member = person("张建国", "411526195803121131");
    let record = person("張建國", "411526195803121141");
    let side = |raw_name, raw_id, p| Side {
        raw_name,
        raw_id: Some(raw_id),
        person: p,
        region: Some("411526101001"),
        birth_date: None,
        address: rollcheck::normalize::address::parse("沈丘县槐店镇东关村"),
    };
    let (a, b) = (
        side("张建国", "411526195803121131", &member),
        side("張建國", "411526195803121141", &record),
    );
    c.bench_function("compare/one pair", |bench| {
        bench.iter(|| compare(black_box(&a), black_box(&b)));
    });
}

fn scoring(c: &mut Criterion) {
    let member = person("张建国", "411526195803121131");
    let record = person("张建国", "");
    let side = |raw_name, p| Side {
        raw_name,
        raw_id: None,
        person: p,
        region: None,
        birth_date: member.birth_date,
        address: None,
    };
    let levels = compare(&side("张建国", &member), &side("张建国", &record));
    let parameters = LinkParameters::defaults();
    c.bench_function("weigh/one pair with name term frequency", |b| {
        b.iter(|| parameters.weigh(black_box(&levels), Some(0.0004)));
    });
}

criterion_group!(
    kernels,
    normalize_ids,
    name_keys,
    comparison_vector,
    scoring
);
criterion_main!(kernels);
