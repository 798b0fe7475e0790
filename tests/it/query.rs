//! `rollcheck query`: the README's example queries answered over three nightly runs, each
//! answer checked against what the runs reported, plus --out and a bad query.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use assert_cmd::Command;
use predicates::prelude::*;
use rollcheck::job;
use rollcheck::synth::Variant;

use crate::{county_nightly, fixture_as_of, read_parquet, run_synthetic_county};

const FLAG_RATE: &str = "SELECT SUBSTR(region_code, 1, 9) AS township, programme, \
    COUNT(*) AS households, SUM(CASE WHEN n_flags > 0 THEN 1 ELSE 0 END) AS flagged \
    FROM households GROUP BY SUBSTR(region_code, 1, 9), programme ORDER BY township, programme";
const THREE_RUNS: &str = "SELECT household_id, COUNT(DISTINCT as_of) AS runs FROM history \
    GROUP BY household_id HAVING COUNT(DISTINCT as_of) >= 3 ORDER BY household_id";
const MULTIPLE_REASONS: &str = "SELECT household_id, member_id, COUNT(DISTINCT reason) AS reasons \
    FROM flag_members GROUP BY household_id, member_id HAVING COUNT(DISTINCT reason) >= 2 \
    ORDER BY household_id, member_id";

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(bytes);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn documented_queries_answer_what_the_runs_reported() {
    let run = run_synthetic_county(400, 31, Variant::Clean);
    // From the second night on, a deceased member also owns a car: two reasons for one member.
    let dead = run
        .summary
        .flags
        .iter()
        .find(|f| f.flag.reason.code() == "deceased_member")
        .unwrap();
    let member_id = &dead.flag.member_ids[0];
    let roll = crate::read_to_string(&run.data.join("roll.csv"));
    let member: Vec<&str> = roll
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[2] == member_id)
        .unwrap();
    let mut vehicles = crate::read_to_string(&run.data.join("vehicle.csv"));
    let _ = writeln!(
        vehicles,
        "V-TEST,{},{},,豫P00001,car,2020-01-06,",
        member[3], member[4]
    );
    std::fs::write(run.data.join("vehicle.csv"), vehicles).unwrap();
    let mut flagged_per_run = vec![run
        .summary
        .flags
        .iter()
        .map(|f| f.flag.household_id.clone())
        .collect::<BTreeSet<_>>()];
    // Two more nights, a day apart each.
    let mut last = run.summary;
    for day in 1..=2 {
        let as_of = fixture_as_of() + chrono::Days::new(day);
        last = job::run(&county_nightly(), Some(&run.data), as_of, &run.out).unwrap();
        flagged_per_run.push(
            last.flags
                .iter()
                .map(|f| f.flag.household_id.clone())
                .collect(),
        );
    }
    let query = |sql: &str| {
        let out = run.dir.path().join("answer.csv");
        Command::cargo_bin("rollcheck")
            .unwrap()
            .arg("query")
            .arg(&run.out)
            .arg(sql)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        csv_rows(&std::fs::read(&out).unwrap())
    };

    // Flag rate by township and programme adds up to the run's households and flagged ones.
    let rates = query(FLAG_RATE);
    let total: usize = rates.iter().map(|r| r[2].parse::<usize>().unwrap()).sum();
    let flagged: usize = rates.iter().map(|r| r[3].parse::<usize>().unwrap()).sum();
    assert_eq!(total, last.households);
    assert_eq!(flagged, flagged_per_run[2].len());
    assert!(
        rates.iter().all(|r| r[0].len() == 9),
        "townships are 9-digit codes"
    );

    // Households flagged in all three runs.
    let expected: Vec<String> = flagged_per_run[0]
        .iter()
        .filter(|h| flagged_per_run[1].contains(*h) && flagged_per_run[2].contains(*h))
        .cloned()
        .collect();
    let answered: Vec<String> = query(THREE_RUNS)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(answered, expected);

    // Members named by flags of two or more reasons.
    let mut reasons: BTreeMap<(String, String), BTreeSet<&str>> = BTreeMap::new();
    for flag in &last.flags {
        for member in &flag.flag.member_ids {
            reasons
                .entry((flag.flag.household_id.clone(), member.clone()))
                .or_default()
                .insert(flag.flag.reason.code());
        }
    }
    let expected: Vec<Vec<String>> = reasons
        .into_iter()
        .filter(|(_, r)| r.len() >= 2)
        .map(|((h, m), r)| vec![h, m, r.len().to_string()])
        .collect();
    assert!(
        !expected.is_empty(),
        "the messy county plants members with two reasons"
    );
    assert_eq!(query(MULTIPLE_REASONS), expected);
}

#[test]
fn query_prints_a_table_writes_parquet_and_names_the_tables_on_bad_sql() {
    let run = run_synthetic_county(200, 5, Variant::Clean);
    let bin = || Command::cargo_bin("rollcheck").unwrap();
    bin()
        .arg("query")
        .arg(&run.out)
        .arg("SELECT reason, COUNT(*) AS n FROM flags GROUP BY reason ORDER BY reason")
        .assert()
        .success()
        .stdout(predicate::str::contains("deceased_member").and(predicate::str::contains("│")));
    let parquet = run.dir.path().join("answer.parquet");
    bin()
        .arg("query")
        .arg(&run.out)
        .arg("SELECT * FROM runs")
        .arg("--out")
        .arg(&parquet)
        .assert()
        .success();
    let runs = read_parquet(&parquet);
    assert_eq!(runs.height(), 1);
    assert_eq!(
        runs.column("run_id").unwrap().str().unwrap().get(0),
        Some(run.summary.run_id.as_str())
    );
    bin()
        .arg("query")
        .arg(&run.out)
        .arg("SELECT * FROM flagz")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("flagz").and(predicate::str::contains("flag_members")));
}
