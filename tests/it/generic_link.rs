//! `rollcheck link` on two generated tables: copies with typos must link, strangers must not.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use assert_cmd::Command;

use crate::{read_parquet, temp_dir};

const GIVEN: [&str; 12] = [
    "james", "mary", "john", "linda", "robert", "susan", "michael", "karen", "david", "lisa",
    "daniel", "nancy",
];
const FAMILY: [&str; 10] = [
    "smith", "jones", "brown", "taylor", "wilson", "davies", "evans", "thomas", "roberts", "walker",
];

/// A pseudo-random person per index (a fixed LCG, so the data never changes): name, birth
/// date, postcode. Attributes are drawn independently, as in real populations.
fn person(i: usize) -> (String, String, String, String) {
    let mut state = (i as u64)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((state >> 33) % n).unwrap()
    };
    let given = GIVEN[next(GIVEN.len() as u64)].to_string();
    let family = format!(
        "{}{}",
        FAMILY[next(FAMILY.len() as u64)],
        ["", "son", "ley", "ford"][next(4)]
    );
    let birth = format!(
        "19{:02}{:02}{:02}",
        30 + next(60),
        1 + next(12),
        1 + next(28)
    );
    let postcode = format!("{}", 2000 + next(900));
    (given, family, birth, postcode)
}

fn typo(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let last = chars.len() - 1;
    chars.swap(last - 1, last);
    chars.into_iter().collect()
}

/// Writes left.csv (400 people) and right.csv (their copies, every other given name with a
/// typo, and 400 strangers who share a given name) into `dir`.
fn write_people(dir: &std::path::Path) {
    let (mut left, mut right) = (
        String::from("id,given,family,dob,postcode\n"),
        String::from("rid,given,family,dob,postcode\n"),
    );
    for i in 0..400 {
        let (given, family, birth, postcode) = person(i);
        let _ = writeln!(left, "L{i},{given},{family},{birth},{postcode}");
        let given = if i % 2 == 0 { typo(&given) } else { given };
        let _ = writeln!(right, "R{i},{given},{family},{birth},{postcode}");
        // A stranger who shares only the given name.
        let (_, other_family, other_birth, other_postcode) = person(i + 5000);
        let _ = writeln!(
            right,
            "S{i},{},{other_family},{other_birth},{other_postcode}",
            person(i).0
        );
    }
    std::fs::write(dir.join("left.csv"), left).unwrap();
    std::fs::write(dir.join("right.csv"), right).unwrap();
}

/// Links left.csv with `right` (a file in `dir`) into `dir/out-<right>` and returns that.
fn link_people(dir: &std::path::Path, right: &str) -> std::path::PathBuf {
    let link_file = dir.join(format!("link-{right}.toml"));
    std::fs::write(
        &link_file,
        format!(
            r#"
blocking = [["given"], ["family"], ["dob"]]
[left]
path = "left.csv"
id = "id"
[right]
path = "{right}"
id = "rid"
[[comparisons]]
column = "given"
kind = "string"
[[comparisons]]
column = "family"
kind = "string"
[[comparisons]]
column = "dob"
kind = "date"
[[comparisons]]
column = "postcode"
kind = "exact"
"#
        ),
    )
    .unwrap();
    let out = dir.join(format!("out-{right}"));
    Command::cargo_bin("rollcheck")
        .unwrap()
        .arg("link")
        .arg(&link_file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    out
}

#[test]
fn link_finds_copies_with_typos_and_not_strangers() {
    let dir = temp_dir();
    write_people(dir.path());
    let out = link_people(dir.path(), "right.csv");
    let frame = read_parquet(&out.join("pairs.parquet"));
    let lefts = frame.column("left_id").unwrap().str().unwrap().clone();
    let rights = frame.column("right_id").unwrap().str().unwrap().clone();
    let matched = frame.column("matched").unwrap().bool().unwrap().clone();
    let predicted: BTreeSet<(String, String)> = lefts
        .iter()
        .zip(rights.iter())
        .zip(matched.iter())
        .filter(|(_, m)| *m == Some(true))
        .map(|((l, r), _)| (l.unwrap().to_string(), r.unwrap().to_string()))
        .collect();
    let truth: BTreeSet<(String, String)> = (0..400)
        .map(|i| (format!("L{i}"), format!("R{i}")))
        .collect();
    let true_positives = predicted.intersection(&truth).count();
    assert!(true_positives >= 396, "recall: {true_positives}/400");
    assert!(
        predicted.len() - true_positives <= 4,
        "false links: {}",
        predicted.len() - true_positives
    );
    assert!(out.join("model.json").is_file());
}

#[test]
fn link_reads_gzip_and_parquet_tables_as_it_reads_csv() {
    use polars::prelude::{CsvReadOptions, DataType, ParquetWriter, SerReader as _};
    use std::io::Write as _;

    let dir = temp_dir();
    write_people(dir.path());
    let csv = std::fs::read(dir.path().join("right.csv")).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&csv).unwrap();
    std::fs::write(dir.path().join("right.csv.gz"), gzip.finish().unwrap()).unwrap();
    // Every column as text, as an export would hold IDs, dates and postcodes.
    let mut frame = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(dir.path().join("right.csv")))
        .unwrap()
        .finish()
        .unwrap();
    assert!(frame.dtypes().iter().all(|t| *t == DataType::String));
    let file = std::fs::File::create(dir.path().join("right.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();

    let pairs =
        |right: &str| std::fs::read(link_people(dir.path(), right).join("pairs.parquet")).unwrap();
    let from_csv = pairs("right.csv");
    assert!(
        pairs("right.csv.gz") == from_csv,
        "csv.gz links differently"
    );
    assert!(
        pairs("right.parquet") == from_csv,
        "Parquet links differently"
    );
}

#[test]
fn link_file_errors_name_the_key() {
    let dir = temp_dir();
    std::fs::write(dir.path().join("link.toml"), "blocking = [[\"nope\"]]\n[left]\npath = \"a.csv\"\nid = \"id\"\n[right]\npath = \"b.csv\"\nid = \"id\"\n[[comparisons]]\ncolumn = \"name\"\nkind = \"fuzzy\"\n").unwrap();
    Command::cargo_bin("rollcheck")
        .unwrap()
        .arg("link")
        .arg(dir.path().join("link.toml"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("link.toml: comparisons[0].kind"));
}
