//! The committed fuzz corpus, `fuzz/corpus/<target>/`, replayed through the checks of
//! `fuzz/fuzz_targets/<target>.rs` on every `cargo test`, without cargo-fuzz's instrumented
//! build. Each check below restates its target's assertions; keep the two in step. Finding new
//! inputs is `fuzz/run.sh`, by hand.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use rollcheck::ingest::{parse_date, read_csv};
use rollcheck::normalize::name::match_key;
use rollcheck::normalize::{mask_id, name_key, normalize_id};

use crate::repo_path;

#[test]
fn decode_csv_corpus() {
    replay("decode_csv", |bytes| match read_csv(bytes) {
        Ok(table) => assert!(!table.headers.is_empty(), "a table has a header"),
        Err(message) => assert!(!message.is_empty()),
    });
}

#[test]
fn normalize_id_corpus() {
    replay("normalize_id", |bytes| {
        let raw = fuzz_str(bytes);
        let id = normalize_id(Some(raw));
        let again = normalize_id(Some(&id.cleaned));
        assert_eq!(again.cleaned, id.cleaned, "cleaning is idempotent");
        if let Some(valid) = id.valid() {
            let revalid = again.valid().expect("a valid ID stays valid");
            assert_eq!(valid.key, revalid.key);
        }
        let masked: Vec<char> = mask_id(&id.cleaned).chars().collect();
        if id.cleaned.chars().count() == 18 {
            assert_eq!(masked.len(), 18);
            assert!(
                masked[6..14].iter().all(|c| *c == '*'),
                "mask shows the birth date"
            );
        }
    });
}

#[test]
fn normalize_name_corpus() {
    replay("normalize_name", |bytes| {
        let raw = fuzz_str(bytes);
        let key = match_key(raw);
        assert_eq!(match_key(&key), key, "match_key is idempotent");
        let full = name_key(raw);
        assert_eq!(&*full.key, key);
    });
}

#[test]
fn parse_date_corpus() {
    replay("parse_date", |bytes| {
        let text = fuzz_str(bytes);
        if let Some(date) = parse_date(text) {
            let written = date.format("%Y-%m-%d").to_string();
            assert_eq!(parse_date(&written), Some(date), "{written}");
        }
    });
}

/// The `&str` a `fuzz_target!(|text: &str| ..)` receives for these bytes: arbitrary's
/// `arbitrary_take_rest` keeps the longest valid UTF-8 prefix.
fn fuzz_str(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => std::str::from_utf8(&bytes[..error.valid_up_to()])
            .expect("valid_up_to ends a valid prefix"),
    }
}

/// Runs `check` on every file of `fuzz/corpus/<target>/` and fails naming each file whose check
/// panicked; a missing or empty corpus fails too, so the test cannot pass on nothing.
fn replay(target: &str, check: impl Fn(&[u8])) {
    let dir = repo_path(&format!("fuzz/corpus/{target}"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (the corpus is committed)", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "{}: no corpus files", dir.display());

    let mut failures = Vec::new();
    for path in &paths {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&bytes))) {
            failures.push(format!("{}: {}", path.display(), panic_message(&*panic)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files fail the `{target}` fuzz target's checks \
         (reproduce: cargo fuzz run --dev -s none {target} <file>):\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "(panic without a message)".to_string())
}
