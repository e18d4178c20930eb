//! Every captured payload of both clients through every hook binary, as a real process.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{all_payloads, Sandbox, HOOKS};

/// Which hook acts on which event (the registration in hooks.example.json and profiles/).
fn handles(hook: &str, event: &str) -> bool {
    match hook {
        "schema-guard" => event == "PreToolUse",
        "failure-classifier" => {
            matches!(
                event,
                "PostToolUse" | "PostToolUseFailure" | "PostToolBatch"
            )
        }
        "patch-verifier" => event == "PostToolUse",
        "budget-check" => matches!(event, "SessionStart" | "Stop" | "SubagentStop"),
        _ => unreachable!(),
    }
}

#[test]
fn every_payload_through_every_hook_exits_zero_with_valid_output() {
    let sandbox = Sandbox::new();
    let payloads = all_payloads();
    assert!(
        payloads.len() >= 465,
        "fixtures missing: {}",
        payloads.len()
    );
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = payloads
            .chunks(payloads.len().div_ceil(4))
            .map(|chunk| {
                let sandbox = &sandbox;
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for (client, event, path) in chunk {
                        let rel = path
                            .strip_prefix(crate::support::fixtures_dir().join(client))
                            .unwrap()
                            .display()
                            .to_string();
                        for hook in HOOKS {
                            let ran = match client.as_str() {
                                "claude" => sandbox.claude(hook, &rel),
                                _ => sandbox.codex(hook, &rel),
                            }
                            .run();
                            if let Err(why) = check(hook, event, &ran) {
                                failures.push(format!("{hook} < {client}/{rel}: {why}"));
                            }
                        }
                    }
                    failures
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Every Claude fixture has the same session id and every Codex one its own: a payload
    // recorded under the wrong client would show up as a second client for an id.
    let status = sandbox.selfheal(&["status", "--json"]);
    let sessions = status.assert_success().stdout_json();
    let mut clients_by_id: Vec<(String, String)> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["session_id"].as_str().unwrap().to_owned(),
                s["client"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    clients_by_id.sort();
    let claude_id = "11111111-1111-4111-8111-111111111111";
    for (id, client) in &clients_by_id {
        let want = if id == claude_id { "claude" } else { "codex" };
        assert_eq!(client, want, "session {id} recorded as {client}");
    }
    assert!(
        clients_by_id.len() > 20,
        "codex sessions recorded: {clients_by_id:?}"
    );
}

fn check(hook: &str, event: &str, ran: &crate::support::Ran) -> Result<(), String> {
    if ran.code() != Some(0) {
        return Err(format!("exit {:?}, stderr {:?}", ran.code(), ran.stderr()));
    }
    let stderr = ran.stderr();
    if stderr.contains("internal error") || stderr.contains("panicked") {
        return Err(format!("panic: {stderr}"));
    }
    if handles(hook, event) {
        if !stderr.is_empty() {
            return Err(format!("unexpected stderr: {stderr:?}"));
        }
    } else if stderr.lines().count() != 1 || !stderr.contains("ignored") {
        return Err(format!("want one 'ignored' line, got {stderr:?}"));
    }
    if !ran.output.stdout.is_empty() {
        let value: Value = serde_json::from_slice(&ran.output.stdout)
            .map_err(|e| format!("stdout not JSON ({e}): {:?}", ran.stdout()))?;
        let object = value.as_object().ok_or("stdout not a JSON object")?;
        if let Some(name) = object
            .get("hookSpecificOutput")
            .and_then(|h| h.get("hookEventName"))
        {
            if name != event {
                return Err(format!("hookEventName {name} at {event}"));
            }
        }
    }
    Ok(())
}

#[test]
fn recorded_events_carry_the_documented_fields() {
    let sandbox = Sandbox::new();
    sandbox
        .claude(
            "failure-classifier",
            "PostToolUseFailure/bash_nonzero__bash.json",
        )
        .run()
        .assert_silent();
    sandbox
        .claude("failure-classifier", "PostToolBatch/parallel_tools.json")
        .run()
        .assert_silent();
    // An allowed call is not recorded: schema-guard's allow path only reads the store.
    sandbox
        .claude("schema-guard", "PreToolUse/bash_success__bash.json")
        .run()
        .assert_silent();
    sandbox
        .claude("budget-check", "Stop/bash_success.json")
        .run()
        .assert_silent();

    let ran = sandbox.selfheal(&[
        "events",
        "--session",
        "11111111-1111-4111-8111-111111111111",
        "--json",
    ]);
    let events: Vec<Value> = ran
        .assert_success()
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["hook_event_name"].as_str().unwrap(),
                e["tool_use_id"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    // The batch repeats call …0001, which its own PostToolUseFailure already recorded:
    // each call is counted once.
    assert_eq!(
        seen,
        [
            ("PostToolUseFailure", "toolu_01Mock000000000001"),
            ("PostToolBatch", "toolu_01Mock000000000002"),
            ("Stop", "-"),
        ]
    );
    let required: BTreeSet<&str> = [
        "session_id",
        "hook_event_name",
        "tool_name",
        "tool_use_id",
        "class",
        "action",
        "decision",
        "ts",
    ]
    .into();
    for event in &events {
        let keys: BTreeSet<&str> = event
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert!(keys.is_superset(&required), "{event}");
        assert_eq!(event["decision"], "none");
        assert!(event["ts"].as_str().unwrap().ends_with('Z'));
    }
    // The failing Bash call carries its exit code and outcome from Claude's `error`; a
    // failure no rule explains is the command saying no: `task`, no guidance.
    assert_eq!(events[0]["exit_code"], 3);
    assert_eq!(events[0]["outcome"], "failure");
    assert_eq!(events[0]["class"], "task");
    assert_eq!(events[1]["outcome"], "failure", "batch `Exit code 1`");
    assert_eq!(events[1]["class"], "task");
    assert!(events[2]["class"].is_null(), "Stop is not classified");
}

#[test]
fn patch_verifier_records_edits_only() {
    let sandbox = Sandbox::new();
    sandbox
        .codex("patch-verifier", "PostToolUse/apply_patch_success__1.json")
        .run()
        .assert_silent();
    sandbox
        .codex("patch-verifier", "PostToolUse/shell_success.json")
        .run()
        .assert_silent();
    let session = serde_json::from_slice::<Value>(&crate::support::fixture(
        "codex/PostToolUse/apply_patch_success__1.json",
    ))
    .unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ran = sandbox.selfheal(&["events", "--session", &session, "--json"]);
    let lines: Vec<Value> = ran
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{}", ran.stdout());
    assert_eq!(lines[0]["tool_name"], "apply_patch");
    assert_eq!(lines[0]["hook"], "patch-verifier");
    assert_eq!(
        lines[0]["exit_code"], 0,
        "from Codex's `Exit code: 0` header"
    );
}
