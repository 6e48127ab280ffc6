//! libFuzzer target: one raw query string through grantd-odata's parser and the binder of
//! every entity (grantd_web::query::harness::exercise). A panic, an out-of-memory or a stack
//! overflow is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = grantd_web::query::harness::exercise(text);
    }
});
