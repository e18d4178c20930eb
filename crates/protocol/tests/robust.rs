//! Bad stdin, the bounded fallback of `fuzz/fuzz_targets/stdin.rs` that runs with `cargo
//! test`: arbitrary bytes, generated payloads with random fields and mutated real payloads go
//! through what every hook does with its stdin (`read_capped`, `parse_input`), and the payload
//! is read as each dialect reads it. Never a panic: a payload, or a typed error whose message
//! fits on the one stderr line of fail-open.
//!
//! Each property runs a fixed number of cases (well under 2 s each in a debug build);
//! `PROPTEST_CASES=N` runs N instead.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use selfheal_protocol::{parse_input, read_capped, Dialect, HookInput, InputError, STDIN_CAP};
use serde_json::{Map, Value};

mod fixture_payloads;
mod stdin_checks;
use stdin_checks::{check_error, exercise};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// What a hook does with its stdin (`selfheal_hook::run_with`), and everything it may then
/// read of the payload; returns the parsed payload.
fn run(bytes: &[u8]) -> Result<HookInput, InputError> {
    let parsed = read_capped(bytes, STDIN_CAP).and_then(|b| parse_input(&b));
    match &parsed {
        Ok(input) => exercise(input),
        Err(e) => check_error(bytes, e),
    }
    parsed
}

/// Every field a payload of either client has, and two no client sends.
const FIELDS: &[&str] = &[
    "transcript_path",
    "cwd",
    "permission_mode",
    "turn_id",
    "model",
    "prompt_id",
    "effort",
    "agent_id",
    "agent_type",
    "agent_transcript_path",
    "tool_name",
    "tool_input",
    "tool_use_id",
    "tool_response",
    "error",
    "is_interrupt",
    "duration_ms",
    "tool_calls",
    "stop_hook_active",
    "last_assistant_message",
    "background_tasks",
    "source",
    "reason",
    "prompt",
    "trigger",
    "new_field",
    "",
];

/// Strings the code looks into: tool names, event names, the output headers it splits.
const WORDS: &[&str] = &[
    "Bash",
    "apply_patch",
    "Edit",
    "MultiEdit",
    "Write",
    "Read",
    "Grep",
    "mcp__srv__tool",
    "mcp__",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "Stop",
    "SessionStart",
    "Interrupt",
    "Notification",
    "compact",
    "Exit code 1\nboom",
    "Exit code ",
    "Exit code: 0\nWall time: 0 seconds\nOutput:\nok",
    "Exit code: x\n",
    "<tool_use_error>no</tool_use_error>",
    "<tool_use_error>",
    "/h/.codex/sessions/2026/rollout-1.jsonl",
    "/h/.claude/projects/p/s.jsonl",
    "command",
    "stdout",
    "content",
    "a\0b",
    "\u{feff}",
    "é\u{1F600}",
    "",
];

fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(WORDS).prop_map(str::to_owned),
        any::<String>(),
        "[\\x00-\\x1f\"\\\\a ]{0,8}",
    ]
}

/// Any JSON value, a few levels deep, with the keys and strings the code looks for.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(FIELDS).prop_map(str::to_owned),
            prop::sample::select(
                &[
                    "command",
                    "stdout",
                    "stderr",
                    "content",
                    "text",
                    "isError",
                    "returnCodeInterpretation",
                    "interrupted",
                    "file",
                    "edits",
                    "old_string",
                    "file_path",
                    "description",
                    "tool_name",
                    "tool_response"
                ][..]
            )
            .prop_map(str::to_owned),
            json_string(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A required field: usually a string, sometimes missing or of another type.
fn required(words: &'static [&'static str]) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        6 => prop::sample::select(words).prop_map(|w| Some(Value::from(w))),
        2 => json_string().prop_map(|s| Some(Value::String(s))),
        1 => Just(None),
        1 => json_value().prop_map(Some),
    ]
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// Every captured payload of both clients.
fn payloads() -> &'static [Vec<u8>] {
    static PAYLOADS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    PAYLOADS.get_or_init(|| {
        let mut out: Vec<Vec<u8>> = fixture_payloads::payload_files(&fixtures())
            .into_iter()
            .map(|(_, _, file)| std::fs::read(file).unwrap())
            .collect();
        out.sort();
        assert!(out.len() > 100, "fixtures: {}", out.len());
        out
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    // Bytes that matter to JSON and UTF-8 more often than others.
    let byte = prop_oneof![
        prop::sample::select(&b"{}[]\":,\\0 \n\x00\x7f\x80\xbf\xc3\xe2\xf0\xff"[..]),
        any::<u8>(),
    ];
    prop_oneof![
        (at, byte.clone()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (at, byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (at, 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        at.prop_map(Mutation::Truncate),
        (at, 1usize..64).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len().max(1);
    match *m {
        Mutation::Flip(i, b) if !bytes.is_empty() => bytes[i % n] = b,
        Mutation::Flip(..) => {}
        Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
        Mutation::Delete(i, k) => {
            let start = i % n;
            bytes.drain(start.min(bytes.len())..(start + k).min(bytes.len()));
        }
        Mutation::Truncate(i) => bytes.truncate(i % n),
        Mutation::Duplicate(i, k) => {
            let start = (i % n).min(bytes.len());
            let piece = bytes[start..(start + k).min(bytes.len())].to_vec();
            bytes.splice(start..start, piece);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1024), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = run(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = run(text.as_bytes());
    }

    /// Real payloads with bytes flipped, inserted, deleted, duplicated or cut off.
    #[test]
    fn mutated_real_payloads_never_panic(
        which in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut bytes = which.get(payloads()).clone();
        for m in &mutations {
            mutate(&mut bytes, m);
        }
        let _ = run(&bytes);
    }
}

proptest! {
    // Generating nested values costs more than parsing them: fewer cases, same time.
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    /// Only `session_id` and `hook_event_name` are required, and they must be strings; any
    /// other field of any type, nested or not, is read leniently.
    #[test]
    fn a_payload_parses_if_and_only_if_its_two_required_fields_are_strings(
        session_id in required(&["s", "", "a\0b"]),
        event in required(&["PreToolUse", "PostToolUse", "PostToolUseFailure",
            "PostToolBatch", "Stop", "SessionStart", "Interrupt", "Notification", "TeaTime"]),
        fields in prop::collection::vec((prop::sample::select(FIELDS), json_value()), 0..10),
        pretty in any::<bool>(),
    ) {
        let mut payload: Map<String, Value> = fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        if let Some(v) = &session_id {
            payload.insert("session_id".into(), v.clone());
        }
        if let Some(v) = &event {
            payload.insert("hook_event_name".into(), v.clone());
        }
        let payload = Value::Object(payload);
        let text = if pretty {
            serde_json::to_string_pretty(&payload).unwrap()
        } else {
            serde_json::to_string(&payload).unwrap()
        };
        let valid = session_id.as_ref().is_some_and(Value::is_string)
            && event.as_ref().is_some_and(Value::is_string);
        match run(text.as_bytes()) {
            Ok(input) => {
                prop_assert!(valid, "{text}");
                prop_assert_eq!(Some(input.session_id.as_str()), session_id.as_ref().and_then(Value::as_str));
                // A lenient field is the value when it has the right type, else None.
                prop_assert_eq!(input.cwd.as_deref(), payload.get("cwd").and_then(Value::as_str));
                prop_assert_eq!(input.tool_name.as_deref(), payload.get("tool_name").and_then(Value::as_str));
                prop_assert_eq!(input.stop_hook_active, payload.get("stop_hook_active").and_then(Value::as_bool));
                prop_assert_eq!(input.tool_input.as_ref(), payload.get("tool_input").filter(|v| !v.is_null()));
            }
            Err(e) => {
                prop_assert!(!valid, "{e}: {text}");
                prop_assert!(matches!(e, InputError::WrongShape(_)), "{e}");
            }
        }
    }

}

#[test]
fn every_real_payload_parses_and_reads_in_both_dialects() {
    for payload in payloads() {
        run(payload).unwrap();
    }
}

/// serde_json stops at 128 levels: a hostile depth is a one-line error, not a stack overflow
/// (the hooks' main thread has 8 MiB of stack; the parser would need far more).
#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    const DEPTH: usize = 100_000;
    let hostile = [
        "[".repeat(DEPTH),
        format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH)),
        "{\"a\":".repeat(DEPTH),
        format!(
            r#"{{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{}1{}}}"#,
            "{\"a\":".repeat(DEPTH),
            "}".repeat(DEPTH)
        ),
    ];
    for text in &hostile {
        let e = run(text.as_bytes()).unwrap_err();
        assert!(matches!(e, InputError::NotJson(_)), "{e}");
        assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
    }
}

/// Deep but within the limit: a normal payload, and every reading of it works.
#[test]
fn nesting_within_the_limit_is_read_normally() {
    let depth = 120;
    for tool in ["Bash", "mcp__s__t", "apply_patch"] {
        let text = format!(
            r#"{{"session_id":"s","hook_event_name":"PostToolUse","tool_name":"{tool}","tool_input":{}"x"{},"tool_response":{}1{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth),
            "{\"content\":".repeat(depth),
            "}".repeat(depth),
        );
        let input = run(text.as_bytes()).unwrap();
        let call = input.tool_call(Dialect::Claude).unwrap();
        assert_eq!(call.fingerprint().len(), 16);
    }
}

#[test]
fn nul_bytes() {
    // Raw NUL bytes are not JSON, whether alone, inside a string, or after a payload.
    for raw in [
        &b"\0"[..],
        b"\0\0\0\0",
        b"{\"session_id\":\"s\0\",\"hook_event_name\":\"Stop\"}",
        b"{\"session_id\":\"s\",\"hook_event_name\":\"Stop\"}\0",
        b"\0{\"session_id\":\"s\",\"hook_event_name\":\"Stop\"}",
    ] {
        let e = run(raw).unwrap_err();
        assert!(matches!(e, InputError::NotJson(_)), "{e}");
    }
    // Escaped, a NUL is just a character of the string.
    let input = run(
        br#"{"session_id":"s\u0000","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"printf 'a\u0000b'"},"tool_response":"a\u0000b"}"#,
    )
    .unwrap();
    assert_eq!(input.session_id, "s\0");
    let call = input.tool_call(Dialect::Codex).unwrap();
    assert_eq!(call.outcome.unwrap().output, "a\0b");
}

/// A payload of one huge line, just under the stdin cap, is read in reasonable time even
/// in a debug build.
#[test]
fn a_huge_single_line_under_the_cap_is_read() {
    let size = STDIN_CAP - 1024;
    let head = r#"{"session_id":"s","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"cat big"},"tool_response":""#;
    let mut line = head.as_bytes().to_vec();
    line.resize(size - 2, b'x');
    line.extend_from_slice(b"\"}");
    let started = Instant::now();
    let input = run(&line).unwrap();
    let took = started.elapsed();
    let output = input
        .tool_call(Dialect::Codex)
        .unwrap()
        .outcome
        .unwrap()
        .output;
    assert_eq!(output.len(), size - head.len() - 2);
    assert!(took < Duration::from_secs(10), "{took:?}");
    line.resize(STDIN_CAP + 1, b' ');
    assert!(matches!(
        read_capped(&line[..], STDIN_CAP),
        Err(InputError::TooLarge { .. })
    ));
}
