//! The review loop's costs (BENCHMARKS.md, "Review loop"):
//! 1. importing 100 filled workbooks holding 20,000 findings (target: under 5 s);
//! 2. a nightly run with 100,000 recorded findings against one with none (target: at most
//!    10% slower).
//!
//! Run: `cargo bench --bench review_loop -- [HOUSEHOLDS]` (default 300,000, enough for
//! 20,000 flags). Writes `benches/results/review-loop.json`.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // tests and benches set up files
#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use rollcheck::config::Pipeline;
use rollcheck::job;
use rollcheck::model::{Reason, Verdict};
use rollcheck::review::findings::{Finding, Findings, Subject};
use rollcheck::synth::{self, SynthOptions, Variant};

const WORKBOOKS: usize = 100;
const IMPORTED_FINDINGS: usize = 20_000;
const RECORDED_FINDINGS: usize = 100_000;

fn main() {
    let households: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300_000);
    let as_of = NaiveDate::from_ymd_opt(2025, 6, 30).expect("a date");
    let work = tempfile::tempdir().expect("a temporary directory");
    let data = work.path().join("data");
    synth::write_county(
        &SynthOptions {
            households,
            seed: 3,
            variant: Variant::Messy,
            as_of,
            mix: rollcheck::synth::Mix::default(),
        },
        &data,
    )
    .expect("synthetic county");
    let pipeline_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/county-nightly.toml");
    let pipeline = Pipeline::load(&pipeline_path).expect("the shipped pipeline");
    let out = work.path().join("out");
    let first = job::run(&pipeline, Some(&data), as_of, &out).expect("a run");
    let flags = first.flags.len();
    println!("{households} households, {flags} flags");

    // 1. Import: 100 workbooks, 200 findings each, on distinct flags.
    let inbox = work.path().join("filled");
    std::fs::create_dir_all(&inbox).expect("a directory");
    let per_workbook = IMPORTED_FINDINGS.min(flags) / WORKBOOKS;
    let mut files = Vec::new();
    for (index, chunk) in first.flags.chunks(per_workbook).take(WORKBOOKS).enumerate() {
        let path = inbox.join(format!("{index:03}.xlsx"));
        write_filled(&path, chunk);
        files.push(path);
    }
    let today = chrono::Local::now().date_naive();
    let started = Instant::now();
    let outcome = rollcheck::review::import(&out, &files, None, today).expect("import");
    let import_seconds = started.elapsed().as_secs_f64();
    assert!(!outcome.rejected_any(), "{:?}", outcome.problems.first());
    let imported = outcome.recorded();
    println!(
        "import: {} workbooks, {imported} findings in {import_seconds:.2} s",
        files.len()
    );

    // 2. A nightly run without findings and with 100,000, interleaved, best of three.
    let empty_state = work.path().join("empty.history");
    let full_state = work.path().join("full.history");
    record_findings(&full_state, &first.flags);
    let mut without = f64::INFINITY;
    let mut with = f64::INFINITY;
    for _ in 0..3 {
        without = without.min(timed_run(
            &pipeline_path,
            &empty_state,
            &data,
            as_of,
            work.path(),
        ));
        with = with.min(timed_run(
            &pipeline_path,
            &full_state,
            &data,
            as_of,
            work.path(),
        ));
    }
    let overhead = with / without - 1.0;
    println!(
        "nightly run: {without:.2} s without findings, {with:.2} s with {RECORDED_FINDINGS} ({:+.1}%)",
        overhead * 100.0
    );
    let result = serde_json::json!({
        "households": households,
        "flags": flags,
        "import": {"workbooks": files.len(), "findings": imported, "seconds": round(import_seconds)},
        "nightly_run": {
            "recorded_findings": RECORDED_FINDINGS,
            "seconds_without": round(without),
            "seconds_with": round(with),
            "overhead": round(overhead),
        },
        "machine": format!("{} cores", std::thread::available_parallelism().map_or(1, usize::from)),
    });
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/results/review-loop.json");
    std::fs::write(
        &target,
        serde_json::to_string_pretty(&result).expect("json"),
    )
    .expect("benches/results");
    println!("→ {}", target.display());
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// A workbook as a township sends it back: the flags' rows, each with a finding.
fn write_filled(path: &Path, rows: &[rollcheck::rundir::FlagRow]) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("核查清单").expect("a sheet name");
    for (col, title) in [
        "序号",
        "户编号",
        "核查原因",
        "核查结论",
        "核查人",
        "核查日期",
        "原因代码",
    ]
    .iter()
    .enumerate()
    {
        sheet
            .write(0, u16::try_from(col).expect("few columns"), *title)
            .expect("a cell");
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 7, 3).expect("a date");
    let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (index, row) in rows.iter().enumerate() {
        let r = u32::try_from(index + 1).expect("few rows");
        let verdict = if index.is_multiple_of(5) {
            "情况不属实"
        } else {
            "情况属实"
        };
        sheet.write(r, 0, r).expect("a cell");
        sheet.write(r, 1, &row.flag.household_id).expect("a cell");
        sheet
            .write(r, 2, row.flag.reason.label_zh())
            .expect("a cell");
        sheet.write(r, 3, verdict).expect("a cell");
        sheet.write(r, 4, "核查员").expect("a cell");
        sheet
            .write_datetime_with_format(r, 5, &date, &format)
            .expect("a cell");
        sheet.write(r, 6, row.flag.reason.code()).expect("a cell");
    }
    workbook.save(path).expect("a workbook");
}

/// 100,000 findings in 100 imports, on the run's flags and then on other households.
fn record_findings(state: &Path, flags: &[rollcheck::rundir::FlagRow]) {
    let mut findings = Findings::default();
    let reasons = Reason::ALL;
    for batch in 0..100 {
        let chunk: Vec<Finding> = (0..RECORDED_FINDINGS / 100)
            .map(|i| {
                let n = batch * (RECORDED_FINDINGS / 100) + i;
                let (household_id, reason) = flags.get(n).map_or_else(
                    || (format!("H{n:09}"), reasons[n % reasons.len()]),
                    |f| (f.flag.household_id.clone(), f.flag.reason),
                );
                Finding {
                    household_id,
                    subject: Subject::Flag { reason },
                    verdict: if n.is_multiple_of(5) {
                        Verdict::Dismissed
                    } else {
                        Verdict::Confirmed
                    },
                    action: None,
                    reviewer: "核查员".into(),
                    reviewed_on: NaiveDate::from_ymd_opt(2025, 7, 3).expect("a date"),
                    note: None,
                    file: format!("{batch}.xlsx"),
                    sheet: Some("核查清单".into()),
                    row: i + 2,
                    run_id: "bench".into(),
                    support: Vec::new(),
                    region_code: None,
                    score: 1.0,
                    monthly_benefit: Some(300.0),
                    overpaid_yuan: None,
                    probabilistic: false,
                    by_registry: false,
                }
            })
            .collect();
        findings
            .append(
                state,
                &format!("{batch}.xlsx"),
                &format!("{batch:016}"),
                chunk,
            )
            .expect("recorded findings");
    }
}

/// Seconds for one run whose history lives in `state`.
fn timed_run(pipeline: &Path, state: &Path, data: &Path, as_of: NaiveDate, work: &Path) -> f64 {
    let text = std::fs::read_to_string(pipeline).expect("the pipeline");
    let with_state = work.join(format!(
        "pipeline-{}.toml",
        state.file_name().expect("a name").to_string_lossy()
    ));
    std::fs::write(
        &with_state,
        format!("{text}\n[state]\ndir = {:?}\n", state.display().to_string()),
    )
    .expect("a pipeline");
    let pipeline = Pipeline::load(&with_state).expect("the pipeline");
    let out = work.join(format!(
        "out-{}",
        state.file_name().expect("a name").to_string_lossy()
    ));
    let started = Instant::now();
    job::run(&pipeline, Some(data), as_of, &out).expect("a run");
    started.elapsed().as_secs_f64()
}
