//! Name keys never panic and are idempotent: the key of a key is the key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollcheck::normalize::name::match_key;
use rollcheck::normalize::name_key;

fuzz_target!(|raw: &str| {
    let key = match_key(raw);
    assert_eq!(match_key(&key), key, "match_key is idempotent");
    let full = name_key(raw);
    assert_eq!(full.key, key);
});
