//! Where a roll member's bytes go (BENCHMARKS.md, "Bytes per roll member (issue 32)"): reads
//! a roll, then builds one after another what a run holds per member (the typed rows, their
//! persons, the name and birth census, the person index, the linker's sides and ID index, each
//! blocking rule's index), counting the live heap bytes each adds and the peak while it is
//! built. Bytes are rounded up to mimalloc's size classes, as the binary allocates them.
//!
//! Run: `cargo test --locked --bench roll_memory -- DATA_DIR [PIPELINE]` (default pipeline
//! `pipelines/province-campaign.toml`). Counts do not depend on the build profile.
#![allow(clippy::print_stdout)] // a benchmark reports on stdout
#![allow(clippy::cast_precision_loss)] // bytes per member, to one decimal

use std::alloc::{GlobalAlloc, Layout};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rollcheck::config::Pipeline;
use rollcheck::ingest::{self, RollMember};
use rollcheck::link::{Holding, NameBirthCensus, PieceLinker};
use rollcheck::normalize::{self, persons::PersonIndex, Person};

/// mimalloc, counting the bytes it holds for us.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The size class mimalloc serves a request from (`mi_good_size`): whole words up to 8
/// words, then four classes per doubling; large blocks by the 4 KiB page.
fn size_class(size: usize) -> usize {
    let words = size.div_ceil(8).max(1);
    if words <= 8 {
        return words * 8;
    }
    if size > 128 * 1024 {
        return size.next_multiple_of(4096);
    }
    let w = words - 1;
    let shift = usize::BITS - 1 - w.leading_zeros() - 2;
    (((w >> shift) + 1) << shift) * 8
}

fn note(added: usize, removed: usize) {
    let live = LIVE.fetch_add(added, Ordering::Relaxed) + added - removed;
    LIVE.fetch_sub(removed, Ordering::Relaxed);
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(size_class(layout.size()), 0);
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(size_class(layout.size()), 0);
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(0, size_class(layout.size()));
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(size_class(new_size), size_class(layout.size()));
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What was measured: (what, bytes kept, peak bytes while built), printed per member once
/// the roll's size is known.
#[derive(Default)]
struct Meter {
    lines: std::cell::RefCell<Vec<(String, usize, Option<usize>)>>,
}

impl Meter {
    fn measure<T>(&self, what: &str, build: impl FnOnce() -> T) -> T {
        self.measure_above(what, 0, build).0
    }

    /// As `measure`, less `base` bytes (what a build holds besides the part measured); gives
    /// the bytes kept too.
    fn measure_above<T>(&self, what: &str, base: usize, build: impl FnOnce() -> T) -> (T, usize) {
        let start = LIVE.load(Ordering::Relaxed);
        PEAK.store(start, Ordering::Relaxed);
        let value = build();
        let kept = LIVE.load(Ordering::Relaxed).saturating_sub(start);
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(start);
        self.line(
            what,
            kept.saturating_sub(base),
            Some(peak.saturating_sub(base)),
        );
        (value, kept)
    }

    fn line(&self, what: &str, bytes: usize, peak: Option<usize>) {
        self.lines
            .borrow_mut()
            .push((what.to_string(), bytes, peak));
    }

    fn print(&self, members: usize) {
        let per = |b: usize| b as f64 / members as f64;
        println!("{members} roll members");
        println!("| what | bytes per member | peak while built | total |");
        println!("|---|---|---|---|");
        for (what, bytes, peak) in self.lines.borrow().iter() {
            let peak = peak.map_or(String::new(), |p| format!("{:.1}", per(p)));
            println!(
                "| {what} | {:.1} | {peak} | {:.1} MB |",
                per(*bytes),
                *bytes as f64 / 1e6
            );
        }
    }
}

/// The heap bytes of a string or vector of `capacity` bytes (none when empty).
fn heap(capacity: usize) -> usize {
    if capacity == 0 {
        0
    } else {
        size_class(capacity)
    }
}

fn opt(text: Option<&String>) -> usize {
    text.map_or(0, |t| heap(t.capacity()))
}

/// Bytes of the roll's rows by field.
fn roll_fields(meter: &Meter, roll: &[RollMember]) {
    let sum = |f: &dyn Fn(&RollMember) -> usize| roll.iter().map(f).sum::<usize>();
    meter.line(
        &format!("  `RollMember` itself ({} B)", size_of::<RollMember>()),
        size_of_val(roll),
        None,
    );
    meter.line(
        "  household_id",
        sum(&|m| heap(m.household_id.capacity())),
        None,
    );
    meter.line("  member_id", sum(&|m| heap(m.member_id.capacity())), None);
    meter.line("  name", sum(&|m| heap(m.name.capacity())), None);
    meter.line("  id_number", sum(&|m| opt(m.id_number.as_ref())), None);
    meter.line("  region_code", sum(&|m| opt(m.region_code.as_ref())), None);
    meter.line("  address", sum(&|m| opt(m.address.as_ref())), None);
}

/// Bytes of the persons by field.
fn person_fields(meter: &Meter, persons: &[Person]) {
    let sum = |f: &dyn Fn(&Person) -> usize| persons.iter().map(f).sum::<usize>();
    meter.line(
        &format!("  `Person` itself ({} B)", size_of::<Person>()),
        size_of_val(persons),
        None,
    );
    meter.line("  name key", sum(&|p| heap(p.name.key.len())), None);
    meter.line("  name reading", sum(&reading_bytes), None);
    meter.line("  cleaned ID", sum(&|p| heap(p.id.cleaned.len())), None);
    meter.line(
        "  upgraded ID's canonical text, masked pattern",
        sum(&|p| {
            let upgraded = p.valid_id().is_some() && p.id.cleaned.len() != 18;
            let other = p.id.masked().or(p.id.comparable().filter(|_| upgraded));
            other.map_or(0, |text| heap(text.len()))
        }),
        None,
    );
}

fn reading_bytes(person: &Person) -> usize {
    heap(person.name.reading.len() * 4)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let data = Path::new(
        args.first()
            .expect("usage: roll_memory DATA_DIR [PIPELINE]"),
    );
    let pipeline_path = args
        .get(1)
        .map_or("pipelines/province-campaign.toml", String::as_str);
    let pipeline = Pipeline::load(Path::new(pipeline_path)).expect("a pipeline");
    let meter = Meter::default();
    let started = Instant::now();
    let roll = meter.measure("roll rows (`ingest::load_roll`)", || {
        ingest::load_roll(&pipeline, Some(data))
            .expect("a roll")
            .roll
    });
    roll_fields(&meter, &roll);
    let read = started.elapsed();
    let persons = meter.measure("persons (`normalize::members`)", || {
        normalize::members(&roll)
    });
    person_fields(&meter, &persons);
    let normalized = started.elapsed().saturating_sub(read);
    let census = meter.measure("name and birth census", || {
        let mut census = NameBirthCensus::default();
        census.count(&persons);
        census
    });
    drop(census);
    let index = meter.measure("`PersonIndex` (supporters, early warning)", || {
        PersonIndex::new(&persons, persons.len(), &[])
    });
    drop(index);
    let mut spec = pipeline.link.clone();
    let rules = std::mem::take(&mut spec.blocking);
    let (linker, base) = meter.measure_above(
        "`PieceLinker` without blocking (sides, ID index, name u, random-pair order)",
        0,
        || PieceLinker::whole(&roll, &[], &persons, &spec, Holding::Likely),
    );
    drop(linker);
    for rule in rules {
        spec.blocking = vec![rule];
        let what = format!("  + blocking `{}`", rule.code());
        let (linker, _) = meter.measure_above(&what, base, || {
            PieceLinker::whole(&roll, &[], &persons, &spec, Holding::Likely)
        });
        drop(linker);
    }
    meter.print(roll.len());
    println!(
        "sizes: RollMember {}, Person {} (NameKey {}, NormalizedId {}), linker Side {} B",
        size_of::<RollMember>(),
        size_of::<Person>(),
        size_of::<normalize::NameKey>(),
        size_of::<normalize::NormalizedId>(),
        size_of::<rollcheck::link::compare::Side>(),
    );
    println!(
        "read {:.1} s, normalised {:.1} s (this build)",
        read.as_secs_f64(),
        normalized.as_secs_f64()
    );
}
