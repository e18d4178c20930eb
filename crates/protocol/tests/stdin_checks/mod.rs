//! What every stdin a hook may get must survive, shared by the bounded property tests
//! (`tests/robust.rs`) and the cargo-fuzz target (`fuzz/fuzz_targets/stdin.rs`): a bad one is
//! a typed error whose message fits on fail-open's one stderr line; a payload can be read as
//! each dialect reads it.

use selfheal_protocol::{detect_dialect, Dialect, HookEvent, HookInput, InputError, ToolCall};

pub fn check_error(bytes: &[u8], e: &InputError) {
    let message = e.to_string();
    assert!(!message.contains('\n'), "two lines: {message:?}");
    let text = std::str::from_utf8(bytes);
    match e {
        InputError::NotUtf8 { valid_up_to } => {
            assert_eq!(*valid_up_to, text.unwrap_err().valid_up_to())
        }
        InputError::Empty => assert!(text.unwrap().trim().is_empty()),
        InputError::NotJson(_) | InputError::WrongShape(_) => {
            assert!(!text.unwrap().trim().is_empty())
        }
        InputError::Io(_) | InputError::TooLarge { .. } => panic!("impossible here: {e}"),
    }
}

pub fn exercise(input: &HookInput) {
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
