//! Many files per source: a roll split into per-county files in mixed formats and encodings,
//! registries in parts found as `DIR/<source>/` or by a pattern, give the same flags as the
//! same data in single files; the manifest lists every file, and a household found in two
//! roll files is named.

use std::path::Path;

use rollcheck::synth::Variant;

use crate::{county_nightly, fixture_as_of, run_synthetic_county};

/// The records of a CSV file (any encoding rollcheck reads), header first.
fn records(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn write_csv(path: &Path, rows: &[Vec<String>]) {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.flush().unwrap();
}

fn write_xlsx(path: &Path, rows: &[Vec<String>]) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write(u32::try_from(r).unwrap(), u16::try_from(c).unwrap(), cell)
                .unwrap();
        }
    }
    workbook.save(path).unwrap();
}

/// flags.csv without the run id (the inputs differ as files, not as data).
fn flags_without_run_id(out: &Path) -> Vec<Vec<String>> {
    let mut rows = records(&out.join("flags.csv"));
    let run_id = rows[0].iter().position(|h| h == "run_id").unwrap();
    for row in &mut rows {
        row.remove(run_id);
    }
    rows
}

#[test]
fn per_county_files_in_mixed_formats_give_the_same_flags_as_single_files() {
    let run = run_synthetic_county(600, 4, Variant::Clean);
    let split = run.dir.path().join("split");
    std::fs::create_dir_all(split.join("roll")).unwrap();
    std::fs::create_dir_all(split.join("parts")).unwrap();
    // The roll in two files, split between households: a CSV and a workbook.
    let roll = records(&run.data.join("roll.csv"));
    let household = roll[0].iter().position(|h| h == "household_id").unwrap();
    // By household, not by line: a synthetic roll lists some members away from their
    // household's other rows, as real exports do.
    let middle = roll[roll.len() / 2][household].clone();
    let (first, second): (Vec<Vec<String>>, Vec<Vec<String>>) = roll[1..]
        .iter()
        .cloned()
        .partition(|row| row[household] < middle);
    write_csv(
        &split.join("roll/411526-a.csv"),
        &[vec![roll[0].clone()], first.clone()].concat(),
    );
    write_xlsx(
        &split.join("roll/411526-b.xlsx"),
        &[vec![roll[0].clone()], second].concat(),
    );
    // The death register in three parts, found by a pattern; the rest as they are.
    let death = records(&run.data.join("death.csv"));
    let third = death.len() / 3;
    for (i, part) in [
        &death[1..third],
        &death[third..2 * third],
        &death[2 * third..],
    ]
    .into_iter()
    .enumerate()
    {
        write_csv(
            &split.join(format!("parts/death-{i}.csv")),
            &[vec![death[0].clone()], part.to_vec()].concat(),
        );
    }
    for source in [
        "pension",
        "vehicle",
        "property",
        "business",
        "cadre_relatives",
        "relations",
        "contributions",
        "disability",
        "medical",
        "unemployment",
    ] {
        std::fs::copy(
            run.data.join(format!("{source}.csv")),
            split.join(format!("{source}.csv")),
        )
        .unwrap();
    }
    let text = crate::read_to_string(&crate::repo_path("pipelines/county-nightly.toml")).replace(
        "[sources.death]\n",
        "[sources.death]\npath = \"parts/death-*.csv\"\n",
    );
    let pipeline_path = split.join("pipeline.toml");
    std::fs::write(&pipeline_path, text).unwrap();
    let pipeline = rollcheck::config::Pipeline::load(&pipeline_path).unwrap();
    let out = run.dir.path().join("split-out");
    rollcheck::job::run(&pipeline, Some(&split), fixture_as_of(), &out).unwrap();
    assert_eq!(flags_without_run_id(&out), flags_without_run_id(&run.out));

    let manifest: serde_json::Value =
        serde_json::from_str(&crate::read_to_string(&out.join("manifest.json"))).unwrap();
    let files: Vec<&str> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 2 + 3 + 10, "{files:?}");
    assert!(files[0].ends_with("roll/411526-a.csv") && files[1].ends_with("roll/411526-b.xlsx"));
    assert_eq!(manifest["source_totals"]["roll"]["files"], 2);
    assert_eq!(
        manifest["source_totals"]["roll"]["rows_read"],
        roll.len() - 1,
        "rows balance over the files"
    );
    assert_eq!(manifest["source_totals"]["death"]["files"], 3);
    assert!(manifest["households_in_two_roll_files"]
        .as_array()
        .unwrap()
        .is_empty());

    // One household in both files: named with both files, never merged in silence.
    let moved = vec![first[0].clone()];
    write_csv(
        &split.join("roll/411526-c.csv"),
        &[vec![roll[0].clone()], moved].concat(),
    );
    let out = run.dir.path().join("split-dup");
    rollcheck::job::run(&pipeline, Some(&split), fixture_as_of(), &out).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&crate::read_to_string(&out.join("manifest.json"))).unwrap();
    let shared = &manifest["households_in_two_roll_files"][0];
    assert!(
        shared["first_file"]
            .as_str()
            .unwrap()
            .ends_with("411526-a.csv"),
        "{shared}"
    );
    assert!(
        shared["second_file"]
            .as_str()
            .unwrap()
            .ends_with("411526-c.csv"),
        "{shared}"
    );
    assert_eq!(shared["households"], 1);
    let report = crate::read_to_string(&out.join("report.html"));
    assert!(report.contains("Households in two roll files"));

    // A pattern that matches nothing is an input error naming it.
    let nothing = pipeline_path.with_file_name("nothing.toml");
    std::fs::write(
        &nothing,
        crate::read_to_string(&pipeline_path).replace("parts/death-*.csv", "parts/none-*.csv"),
    )
    .unwrap();
    let pipeline = rollcheck::config::Pipeline::load(&nothing).unwrap();
    let err = rollcheck::ingest::load(&pipeline, Some(&split))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("parts/none-*.csv") && err.contains("matches no file"),
        "{err}"
    );
    let _ = county_nightly;
}
