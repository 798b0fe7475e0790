//! Every directory under `fixtures/<area>/<case>/` is one behaviour: its pipeline runs at the
//! fixture as-of date, its flags must equal `expected.csv`, and the full flag text (evidence
//! included) is snapshotted.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use rollcheck::config::Pipeline;
use rollcheck::job;

use crate::{assert_counts_balance, fixture_as_of};

pub fn expected_pairs(dir: &Path) -> BTreeSet<(String, String)> {
    rollcheck::eval::read_pairs(&dir.join("expected.csv")).unwrap()
}

/// Sorted, line-per-flag text of a fixture run, plus its quarantine; `data_dir` as `--data`.
pub fn run_fixture(
    pipeline_path: &Path,
    data_dir: Option<&Path>,
) -> (BTreeSet<(String, String)>, String) {
    let pipeline = Pipeline::load(pipeline_path).unwrap();
    let evaluation = job::evaluate(&pipeline, data_dir, fixture_as_of()).unwrap();
    let mut text = String::new();
    let mut pairs = BTreeSet::new();
    for flag in &evaluation.flags {
        pairs.insert((flag.household_id.clone(), flag.reason.code().to_string()));
        let _ = writeln!(
            text,
            "{} {} {} members={} records={} score={:.4} | {}",
            flag.household_id,
            flag.reason,
            flag.severity,
            flag.member_ids.join(";"),
            flag.record_ids.join(";"),
            flag.score,
            flag.evidence
        );
    }
    write_incomes(&mut text, &evaluation.incomes);
    for w in &evaluation.warnings {
        let _ = writeln!(
            text,
            "warning {} {} {} household={} region={} signals={} | {}",
            w.kind.code(),
            w.person_key,
            w.name,
            w.household_id.as_deref().unwrap_or("-"),
            w.region_code.as_deref().unwrap_or("-"),
            w.signals
                .iter()
                .map(|s| s.code())
                .collect::<Vec<_>>()
                .join(";"),
            w.evidence
        );
    }
    // Pairs held back as leads, with why: what a reviewer would see instead of a flag.
    for m in evaluation
        .links
        .matches
        .iter()
        .filter(|m| m.decision == rollcheck::link::Decision::Possible)
    {
        let record = &evaluation.ingested.registries[m.registry_idx].records[m.record_idx];
        let _ = writeln!(
            text,
            "lead {} {} ↔ {} {} score={:.4} namesakes={} | {}",
            evaluation.ingested.roll[m.member_idx].member_id,
            m.source,
            record.record_id,
            m.levels.id.code(),
            m.score,
            m.expected_namesakes
                .map_or("-".into(), rollcheck::rules::about),
            m.note.unwrap_or("below match_probability")
        );
    }
    for row in &evaluation.ingested.quarantine {
        let file = Path::new(&row.file).file_name().unwrap().to_string_lossy();
        let _ = writeln!(
            text,
            "quarantine {} {file} row {} {}: {}",
            row.source,
            row.row,
            row.column.as_deref().unwrap_or("-"),
            row.problem
        );
    }
    let area = pipeline_path
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .map(|a| a.to_string_lossy().into_owned());
    match area.as_deref() {
        Some("overpayment") => totals(&mut text, &evaluation.flags),
        Some("recheck") => due_list(&mut text, &pipeline, &evaluation),
        _ => {}
    }
    assert_counts_balance(&evaluation.ingested);
    (pairs, text)
}

/// Households with wages or support owed, and every supporter: what `income.parquet` and
/// `supporters.parquet` hold (pensions alone are the pension fixtures' business).
fn write_incomes(text: &mut String, incomes: &rollcheck::rules::income::Incomes) {
    for h in &incomes.households {
        if h.wage_yuan > 0.0 || h.support_yuan > 0.0 {
            let _ = writeln!(
                text,
                "income {} pension={:.2} wage={:.2} support={:.2} per_capita={:.2} standard={} entitlement={} paid={:.2} action={} tier={}",
                h.household_id,
                h.pension_yuan,
                h.wage_yuan,
                h.support_yuan,
                h.per_capita_yuan,
                h.standard.as_ref().map_or("-".into(), |s| format!("{:.2}", s.yuan)),
                h.entitlement_yuan.map_or("-".into(), |e| format!("{e:.2}")),
                h.paid_yuan,
                h.action.map_or("-", |a| a.code()),
                h.tier.map_or("-", |t| t.code()),
            );
        }
    }
    for s in &incomes.supporters {
        let _ = writeln!(
            text,
            "supporter {} {} <- {} {} {} {} size={} income={:.2} per_capita={:.2} owed={:.2} | {}",
            s.support.household_id,
            s.member_id,
            s.support.kinship.code(),
            s.supporter_id,
            s.name,
            s.masked_id,
            s.support.household_size,
            s.income.total(),
            s.per_capita_yuan,
            s.owed_yuan,
            s.assets
                .iter()
                .map(|a| a.text.as_str())
                .collect::<Vec<_>>()
                .join("；")
        );
    }
}

/// `overpayment` fixtures also show each flag's estimate and the run's totals, each household
/// once at its largest estimate (as `review_summary.csv` sums them).
fn totals(text: &mut String, flags: &[rollcheck::rules::Flag]) {
    use rollcheck::review::summary::{summarize, whole_run, ReviewedItem};
    for flag in flags {
        let _ = writeln!(
            text,
            "estimate {} {} since={} months={} overpaid={}",
            flag.household_id,
            flag.reason,
            flag.overpayment.map_or("-".into(), |o| o.since.to_string()),
            flag.overpayment.map_or(0, |o| o.months),
            flag.overpaid_yuan()
                .map_or("-".into(), |y| format!("{y:.2}"))
        );
    }
    let items: Vec<ReviewedItem> = flags
        .iter()
        .map(|flag| ReviewedItem {
            household_id: &flag.household_id,
            region_code: flag.region_code.as_deref(),
            reason: flag.reason.code(),
            verdict: None,
            action: None,
            monthly_benefit: None,
            overpaid_yuan: flag.overpaid_yuan(),
        })
        .collect();
    let run = whole_run(&summarize(&items));
    let _ = writeln!(
        text,
        "total flags={} overpaid_yuan={:.2} (households once)",
        run.flags, run.overpaid_yuan
    );
}

/// `recheck` fixtures also show the due list; `findings.csv` (`household_id`, `reviewed_on`)
/// beside them stands for the findings history.
fn due_list(text: &mut String, pipeline: &Pipeline, evaluation: &job::Evaluation) {
    let findings =
        std::fs::read_to_string(pipeline.base_dir().join("findings.csv")).unwrap_or_default();
    let last: std::collections::BTreeMap<&str, chrono::NaiveDate> = findings
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (household, day) = line.split_once(',')?;
            Some((household, rollcheck::ingest::parse_date(day)?))
        })
        .collect();
    let flagged: BTreeSet<&str> = evaluation
        .flags
        .iter()
        .map(|f| f.household_id.as_str())
        .collect();
    let due = rollcheck::review::recheck::due_list(
        &evaluation.households,
        &last,
        |h| flagged.contains(h),
        &pipeline.recheck,
        fixture_as_of(),
    );
    for row in due {
        let _ = writeln!(
            text,
            "due {} category={} last_checked={} due_on={} overdue_days={} flagged={}",
            row.household_id,
            row.category.code(),
            row.last_checked.map_or("-".into(), |d| d.to_string()),
            row.due_on,
            row.overdue_days,
            row.flagged
        );
    }
}

#[test]
fn fixtures_produce_expected_flags() {
    let mut seen = 0;
    insta::glob!("../../fixtures", "*/*/pipeline.toml", |path| {
        let dir = path.parent().unwrap();
        let (pairs, text) = run_fixture(path, None);
        assert_eq!(pairs, expected_pairs(dir), "{}\n{text}", dir.display());
        insta::assert_snapshot!(text);
        seen += 1;
    });
    // Every case directory is one behaviour and must have run: a fixture whose pipeline.toml
    // is missing or misnamed would otherwise be skipped without a word. The worked examples
    // pair with pipelines/examples/ and run in `local_rules`.
    let cases = fixture_case_dirs();
    assert_eq!(
        seen,
        cases.len(),
        "fixture directories without a pipeline.toml: {:?}",
        cases
            .iter()
            .filter(|dir| !dir.join("pipeline.toml").is_file())
            .collect::<Vec<_>>()
    );
}

/// `fixtures/<area>/<case>/` for every area but `examples`.
fn fixture_case_dirs() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut cases = Vec::new();
    for area in std::fs::read_dir(&root).unwrap().flatten() {
        if area.file_name() == "examples" || !area.path().is_dir() {
            continue;
        }
        for case in std::fs::read_dir(area.path()).unwrap().flatten() {
            if case.path().is_dir() {
                cases.push(case.path());
            }
        }
    }
    cases.sort();
    cases
}
