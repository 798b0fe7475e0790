//! ID normalisation never panics; a valid ID stays valid (with the same key) when its
//! cleaned form is normalised again; a mask never shows the birth-date digits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollcheck::normalize::{mask_id, normalize_id};

fuzz_target!(|raw: &str| {
    let id = normalize_id(Some(raw));
    let again = normalize_id(Some(&id.cleaned));
    assert_eq!(again.cleaned, id.cleaned, "cleaning is idempotent");
    if let Some(valid) = id.valid() {
        let revalid = again.valid().expect("a valid ID stays valid");
        assert_eq!(valid.key, revalid.key);
    }
    let masked = mask_id(&id.cleaned);
    if id.cleaned.len() == 18 && id.cleaned.is_ascii() {
        assert!(!masked.contains(&id.cleaned[6..14]), "mask shows the birth date");
    }
});
