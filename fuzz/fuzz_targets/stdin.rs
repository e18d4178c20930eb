//! Hook stdin: the bytes go through exactly what `selfheal_hook::run_with` does with them
//! (`read_capped` then `parse_input`), then the payload is read as each dialect reads it.
//! Bad input must be a typed error whose message fits on the one stderr line of fail-open.

#![no_main]

use libfuzzer_sys::fuzz_target;
use selfheal_protocol::{
    detect_dialect, parse_input, read_capped, Dialect, HookEvent, HookInput, InputError, ToolCall,
    STDIN_CAP,
};

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

fn check_error(data: &[u8], e: &InputError) {
    // The runner prints `{e} (fail-open)` as its one stderr line.
    let message = e.to_string();
    assert!(!message.contains('\n'), "two lines: {message:?}");
    match e {
        InputError::NotUtf8 { valid_up_to } => {
            let std = std::str::from_utf8(data).expect_err("valid UTF-8 refused");
            assert_eq!(*valid_up_to, std.valid_up_to());
        }
        InputError::Empty => {
            assert!(std::str::from_utf8(data).is_ok_and(|s| s.trim().is_empty()));
        }
        InputError::NotJson(_) | InputError::WrongShape(_) => {
            assert!(std::str::from_utf8(data).is_ok_and(|s| !s.trim().is_empty()));
        }
        InputError::Io(_) | InputError::TooLarge { .. } => panic!("impossible here: {e}"),
    }
}

fn exercise(input: &HookInput) {
    let event = input.event();
    assert_eq!(HookEvent::from_name(event.name()), event);
    let claude_env = |k: &str| (k == "CLAUDECODE").then(|| "1".to_owned());
    let detected = [
        detect_dialect(input, |_| None),
        detect_dialect(input, claude_env),
    ];
    for dialect in detected
        .into_iter()
        .chain([Dialect::Claude, Dialect::Codex])
    {
        if let Some(call) = input.tool_call(dialect) {
            exercise_call(&call);
        }
    }
    for call in input.batch_calls() {
        exercise_call(&call);
    }
}

fn exercise_call(call: &ToolCall<'_>) {
    let _ = call.args();
    assert_eq!(call.fingerprint().len(), 16);
    if let Some(outcome) = &call.outcome {
        let _ = outcome.failed();
    }
}
