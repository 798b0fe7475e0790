//! Date parsing never panics, and a parsed date written as YYYY-MM-DD parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollcheck::ingest::parse_date;

fuzz_target!(|text: &str| {
    if let Some(date) = parse_date(text) {
        let written = date.format("%Y-%m-%d").to_string();
        assert_eq!(parse_date(&written), Some(date), "{written}");
    }
});
