//! Any bytes as a CSV file: decoding (UTF-8, else GB18030 line by line) and parsing never
//! panic; a table comes back or a message says why not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match rollcheck::ingest::read_csv(bytes) {
        Ok(table) => assert!(!table.headers.is_empty(), "a table has a header"),
        Err(message) => assert!(!message.is_empty()),
    }
});
