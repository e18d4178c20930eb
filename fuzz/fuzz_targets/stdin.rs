//! Hook stdin: the bytes go through exactly what `selfheal_hook::run_with` does with them
//! (`read_capped` then `parse_input`), then the payload is read as each dialect reads it.
//! Bad input must be a typed error whose message fits on the one stderr line of fail-open.

#![no_main]

use libfuzzer_sys::fuzz_target;
use selfheal_protocol::{parse_input, read_capped, InputError, STDIN_CAP};

#[path = "../../crates/protocol/tests/stdin_checks/mod.rs"]
mod stdin_checks;
use stdin_checks::{check_error, exercise};

fuzz_target!(|data: &[u8]| {
    match read_capped(data, STDIN_CAP).and_then(|bytes| parse_input(&bytes)) {
        Ok(input) => exercise(&input),
        Err(e) => check_error(data, &e),
    }
    // The cap itself, at a size the fuzzer's inputs reach.
    let cap = usize::from(data.first().copied().unwrap_or(0));
    match read_capped(data, cap) {
        Ok(bytes) => assert!(data.len() <= cap && bytes == data),
        Err(InputError::TooLarge { cap: c }) => assert!(data.len() > cap && c == cap),
        Err(e) => panic!("read_capped on a slice: {e}"),
    }
});
