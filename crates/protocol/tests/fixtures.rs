//! Every payload the real clients sent (tests/fixtures) parses, and its client is detected
//! from the payload alone — with no environment to help.

use std::path::{Path, PathBuf};

use selfheal_protocol::{detect_dialect, parse_input, Dialect, HookEvent, ToolKind};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

mod fixture_payloads;

fn payloads(client: &str) -> Vec<PathBuf> {
    fixture_payloads::payload_files(&fixtures())
        .into_iter()
        .filter(|(c, _, _)| c == client)
        .map(|(_, _, file)| file)
        .collect()
}

#[test]
fn detection_is_right_on_every_fixture() {
    let mut checked = 0;
    for (client, want) in [("claude", Dialect::Claude), ("codex", Dialect::Codex)] {
        for path in payloads(client) {
            let bytes = std::fs::read(&path).unwrap();
            let input = parse_input(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let got = detect_dialect(&input, |_| None);
            assert_eq!(got, want, "{}", path.display());
            // A misleading environment does not override the payload either.
            let other = match want {
                Dialect::Claude => |k: &str| (k == "CODEX_HOME").then(|| "/c".to_owned()),
                Dialect::Codex => |k: &str| (k == "CLAUDECODE").then(|| "1".to_owned()),
            };
            assert_eq!(
                detect_dialect(&input, other),
                want,
                "{} with env",
                path.display()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 465);
}

#[test]
fn every_tool_event_normalises_to_a_tool_call() {
    for (client, dialect) in [("claude", Dialect::Claude), ("codex", Dialect::Codex)] {
        for path in payloads(client) {
            let input = parse_input(&std::fs::read(&path).unwrap()).unwrap();
            let event = input.event();
            assert!(
                !matches!(event, HookEvent::Unknown(_)),
                "{}: event {event} unknown",
                path.display()
            );
            match event {
                HookEvent::PreToolUse | HookEvent::PermissionRequest => {
                    let call = input.tool_call(dialect).expect("tool call");
                    assert!(call.outcome.is_none());
                }
                HookEvent::PostToolUse | HookEvent::PostToolUseFailure => {
                    let call = input.tool_call(dialect).expect("tool call");
                    assert!(call.outcome.is_some(), "{}", path.display());
                }
                HookEvent::PostToolBatch => {
                    assert_eq!(
                        input.batch_calls().len(),
                        input.tool_calls.as_ref().unwrap().len()
                    );
                }
                _ => assert!(input.tool_call(dialect).is_none()),
            }
        }
    }
}

#[test]
fn kinds_and_outcomes_of_known_fixtures() {
    let load = |rel: &str| parse_input(&std::fs::read(fixtures().join(rel)).unwrap()).unwrap();

    let failed = load("claude/PostToolUseFailure/bash_timeout_killed__bash.json");
    let outcome = failed.tool_call(Dialect::Claude).unwrap().outcome.unwrap();
    assert_eq!(outcome.exit_code, Some(143));
    assert!(outcome.output.starts_with("Command timed out"));

    let read_missing = load("claude/PostToolUseFailure/read_missing__read.json");
    let call = read_missing.tool_call(Dialect::Claude).unwrap();
    assert_eq!(call.kind, ToolKind::Read);
    assert_eq!(call.outcome.unwrap().failed(), Some(true));

    let edit = load("claude/PostToolUse/edit_success__2-edit.json");
    assert_eq!(
        edit.tool_call(Dialect::Claude).unwrap().kind,
        ToolKind::Edit
    );

    let mcp = load("codex/PostToolUse/mcp_tool.json");
    let call = mcp.tool_call(Dialect::Codex).unwrap();
    assert_eq!(call.kind, ToolKind::Mcp);
    assert_eq!(call.outcome.unwrap().output, "echo: hi");

    let batch = load("claude/PostToolBatch/edit_fail_not_found__2.json");
    let calls = batch.batch_calls();
    let error = calls[0].outcome.as_ref().unwrap().error.as_deref().unwrap();
    assert!(error.starts_with("String to replace not found"));
}
