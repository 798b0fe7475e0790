//! Assistance requests (协查) end to end: a run asks each registry for the IDs of its leads'
//! records, the office writes them in, `review import` reads the answer, and the next run
//! accepts the pair whose ID is the member's (method `confirmed_id`) and never lists again
//! the one whose ID is someone else's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use calamine::{open_workbook, Reader, Xlsx};
use rollcheck::job;
use rollcheck::synth::Variant;

use crate::{fixture_as_of, read_parquet, run_synthetic_county, text_values};

/// The request's rows: header first, every cell as text.
fn request_rows(path: &Path) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let range = workbook.worksheet_range("协查").unwrap();
    range
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

/// The request as the office sends it back: the same sheet, `ids` written in 身份证号 (by
/// record id) as text, the way a cell formatted as text keeps them.
fn answer(rows: &[Vec<String>], ids: &BTreeMap<String, String>, target: &Path) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("协查").unwrap();
    let at = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let (record, id) = (at("记录编号"), at("身份证号"));
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let value = if r > 0 && c == id {
                ids.get(&row[record]).cloned().unwrap_or_default()
            } else {
                value.clone()
            };
            let (r, c) = (u32::try_from(r).unwrap(), u16::try_from(c).unwrap());
            sheet.write_string(r, c, value).unwrap();
        }
    }
    workbook.save(target).unwrap();
}

/// (member, source, record) → method and decision, from matches.parquet.
fn pairs(out: &Path) -> BTreeMap<(String, String), (String, String)> {
    let matches = read_parquet(&out.join("matches.parquet"));
    let (members, records) = (
        text_values(&matches, "member_id"),
        text_values(&matches, "record_id"),
    );
    let (methods, decisions) = (
        text_values(&matches, "method"),
        text_values(&matches, "decision"),
    );
    (0..members.len())
        .map(|i| {
            (
                (members[i].to_string(), records[i].to_string()),
                (methods[i].to_string(), decisions[i].to_string()),
            )
        })
        .collect()
}

#[test]
fn a_registry_answer_confirms_one_lead_and_rules_out_another_for_good() {
    // The hard county's deaths without an ID under namesakes' names are leads.
    let run = run_synthetic_county(900, 8, Variant::Hard);
    let request = run.out.join("assist").join("协查_death.xlsx");
    assert!(request.is_file(), "a request to the death registry");
    let rows = request_rows(&request);
    assert!(
        rows.len() >= 3,
        "two records to ask about at least: {rows:?}"
    );
    let report = crate::read_to_string(&run.out.join("report.html"));
    assert!(
        report.contains(&format!("death {} 条", rows.len() - 1)),
        "the report counts the records asked about"
    );
    // No member is named: no roll ID and no household in the request.
    let evaluation = job::evaluate(
        &crate::synthetic_pipeline(&run.written),
        Some(&run.data),
        fixture_as_of(),
    )
    .unwrap();
    let id_of: BTreeMap<&str, &str> = evaluation
        .ingested
        .roll
        .iter()
        .filter_map(|m| Some((m.member_id.as_str(), m.id_number.as_deref()?)))
        .collect();
    let households: BTreeSet<&str> = evaluation
        .ingested
        .roll
        .iter()
        .map(|m| m.household_id.as_str())
        .collect();
    for cell in rows.iter().flatten() {
        assert!(!id_of.values().any(|id| cell.contains(id)), "{cell}");
        assert!(!households.contains(cell.as_str()), "{cell}");
    }

    // The first record is the member's; the second answers with another person's ID.
    let leads = read_parquet(&run.out.join("leads.parquet"));
    let (lead_records, lead_members) = (
        text_values(&leads, "record_id"),
        text_values(&leads, "member_id"),
    );
    let member_of = |record: &str| {
        lead_records
            .iter()
            .zip(&lead_members)
            .find(|(r, _)| **r == record)
            .map(|(_, m)| m.to_string())
            .unwrap()
    };
    let at = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let (confirmed, ruled_out) = (
        rows[1][at("记录编号")].clone(),
        rows[2][at("记录编号")].clone(),
    );
    let (confirmed_member, ruled_out_member) = (member_of(&confirmed), member_of(&ruled_out));
    let stranger = id_of
        .iter()
        .find(|(m, _)| **m != ruled_out_member.as_str() && **m != confirmed_member.as_str())
        .map(|(_, id)| id.to_string())
        .unwrap();
    let ids = BTreeMap::from([
        (
            confirmed.clone(),
            id_of[confirmed_member.as_str()].to_string(),
        ),
        (ruled_out.clone(), stranger),
    ]);
    let filled = run.dir.path().join("协查_death_回复.xlsx");
    answer(&rows, &ids, &filled);

    let today = chrono::Local::now().date_naive();
    let outcome =
        rollcheck::review::import(&run.out, std::slice::from_ref(&filled), None, today).unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert!(outcome.recorded() >= 2, "{outcome}");
    assert_eq!(
        outcome.files[0].unreviewed,
        rows.len() - 3,
        "the rows left blank are questions not yet answered"
    );
    let again = rollcheck::review::import(&run.out, &[filled], None, today).unwrap();
    assert_eq!(
        again.recorded(),
        0,
        "importing an answer twice changes nothing"
    );

    job::run(
        &crate::synthetic_pipeline(&run.written),
        Some(&run.data),
        fixture_as_of() + chrono::Days::new(1),
        &run.out,
    )
    .unwrap();
    let pairs = pairs(&run.out);
    assert_eq!(
        pairs[&(confirmed_member.clone(), confirmed.clone())],
        ("confirmed_id".to_string(), "accepted".to_string())
    );
    assert_ne!(
        pairs[&(ruled_out_member.clone(), ruled_out.clone())].1,
        "accepted"
    );
    let flags = read_parquet(&run.out.join("flags.parquet"));
    let flagged_records = text_values(&flags, "record_ids").join(";");
    assert!(
        flagged_records.contains(&confirmed),
        "the confirmed death raises its flag"
    );
    let evidence = text_values(&flags, "evidence").join("\n");
    assert!(evidence.contains("经登记机关协查"), "{evidence}");
    let leads_after = read_parquet(&run.out.join("leads.parquet"));
    let listed: BTreeSet<(&str, &str)> = text_values(&leads_after, "member_id")
        .into_iter()
        .zip(text_values(&leads_after, "record_id"))
        .collect();
    assert!(!listed.contains(&(ruled_out_member.as_str(), ruled_out.as_str())));
    assert!(!listed.contains(&(confirmed_member.as_str(), confirmed.as_str())));
}

#[test]
fn an_answer_that_is_no_valid_id_is_rejected_on_its_own() {
    let run = run_synthetic_county(900, 8, Variant::Hard);
    let request = run.out.join("assist").join("协查_death.xlsx");
    let rows = request_rows(&request);
    let record = rows[1][rows[0].iter().position(|h| h == "记录编号").unwrap()].clone();
    let filled = run.dir.path().join("bad.xlsx");
    answer(
        &rows,
        &BTreeMap::from([(record, "4.11526E+17".to_string())]),
        &filled,
    );
    let assert = assert_cmd::Command::cargo_bin("rollcheck")
        .unwrap()
        .args(["review", "import"])
        .arg(&run.out)
        .arg(&filled)
        .assert()
        .code(65);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("[协查] row 2, column 身份证号: not a valid ID"),
        "{stderr}"
    );
}
