//! schema-guard against the case table in tests/cases/schema-guard.toml, both clients, through
//! the real binary. Session history (earlier failures, reads, a start) is made the way the
//! clients make it: by piping their payloads through the hooks.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::support::{payload, Sandbox};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    case: Vec<GuardCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GuardCase {
    name: String,
    #[serde(default = "both")]
    client: String,
    tool: String,
    input: toml::Value,
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default)]
    symlinks: BTreeMap<String, String>,
    config: Option<String>,
    #[serde(default)]
    failures: u32,
    #[serde(default)]
    seen: Vec<String>,
    #[serde(default)]
    changed: BTreeMap<String, String>,
    expect: String,
    reason: Option<String>,
    class: Option<String>,
    /// For an allowed call: a substring of the one warning on stderr (none when unset).
    warning: Option<String>,
}

fn both() -> String {
    "both".to_owned()
}

fn cases() -> Vec<GuardCase> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/schema-guard.toml");
    let table: Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    table.case
}

fn substitute(value: Value, project: &str) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace("{project}", project)),
        Value::Array(items) => items.into_iter().map(|v| substitute(v, project)).collect(),
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (k, substitute(v, project)))
            .collect(),
        other => other,
    }
}

fn run_case(case: &GuardCase, client: &str) -> Result<(), String> {
    let sandbox = Sandbox::new();
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let p = project.display().to_string();
    for (rel, content) in &case.files {
        let path = project.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    for (link, target) in &case.symlinks {
        let path = project.join(link);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
    }
    if let Some(config) = &case.config {
        std::fs::write(project.join(".selfheal.toml"), config).unwrap();
    }
    let session = format!("case-{client}");
    let hook = |name: &str, stdin: String| {
        let mut c = sandbox.case(name, stdin);
        if client == "claude" {
            c = c.env("CLAUDE_PROJECT_DIR", &p);
        }
        c
    };
    let send = |name: &str, event: &str, extra: Value| {
        let ran = hook(name, payload(client, &session, &p, event, extra)).run();
        if !ran.output.stderr.is_empty() || ran.code() != Some(0) {
            panic!(
                "{}: setting up with {name} {event}: {}",
                case.name,
                ran.stderr()
            );
        }
    };
    send("budget-check", "SessionStart", json!({"source": "startup"}));

    let input = substitute(serde_json::to_value(&case.input).unwrap(), &p);
    for i in 0..case.failures {
        // Claude reports a failed call as PostToolUseFailure with its exit code.
        send(
            "failure-classifier",
            "PostToolUseFailure",
            json!({"tool_name": case.tool, "tool_input": input, "tool_use_id": format!("f{i}"),
                   "error": "Exit code 1\nerror: it failed", "is_interrupt": false}),
        );
    }
    for rel in &case.seen {
        let file = project.join(rel).display().to_string();
        match client {
            "claude" => send(
                "failure-classifier",
                "PostToolUse",
                json!({"tool_name": "Read", "tool_input": {"file_path": file},
                       "tool_response": {"type": "text", "file": {"filePath": file}},
                       "tool_use_id": "read1"}),
            ),
            // Codex reads through the shell; what it last saw of a file is what it last wrote.
            _ => send(
                "failure-classifier",
                "PostToolUse",
                json!({"tool_name": "apply_patch",
                       "tool_input": {"command": format!("*** Begin Patch\n*** Delete File: {rel}\n*** End Patch\n")},
                       "tool_response": "Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess.\n",
                       "tool_use_id": "patch1"}),
            ),
        }
    }
    for (rel, content) in &case.changed {
        std::fs::write(project.join(rel), content).unwrap();
    }

    let ran = hook(
        "schema-guard",
        payload(
            client,
            &session,
            &p,
            "PreToolUse",
            json!({"tool_name": case.tool, "tool_input": input, "tool_use_id": "t-judged"}),
        ),
    )
    .run();
    if ran.code() != Some(0) {
        return Err(format!("exit {:?}: {}", ran.code(), ran.stderr()));
    }
    match case.expect.as_str() {
        "allow" => {
            let stderr_ok = match &case.warning {
                Some(want) => ran.stderr().lines().count() == 1 && ran.stderr().contains(want),
                None => ran.output.stderr.is_empty(),
            };
            if !ran.output.stdout.is_empty() || !stderr_ok {
                return Err(format!(
                    "want allow, got {} / {}",
                    ran.stdout(),
                    ran.stderr()
                ));
            }
        }
        "deny" => {
            if ran.output.stdout.is_empty() {
                return Err(format!(
                    "want deny, got nothing (stderr {:?})",
                    ran.stderr()
                ));
            }
            let out = ran.stdout_json();
            let specific = &out["hookSpecificOutput"];
            if specific["hookEventName"] != "PreToolUse" || specific["permissionDecision"] != "deny"
            {
                return Err(format!("not a deny: {out}"));
            }
            let reason = specific["permissionDecisionReason"].as_str().unwrap_or("");
            if !reason.starts_with("selfheal F") {
                return Err(format!("reason without the tag: {reason}"));
            }
            if let Some(want) = &case.reason {
                if !reason.contains(want.as_str()) {
                    return Err(format!("reason {reason:?} lacks {want:?}"));
                }
            }
            let events = sandbox.selfheal(&["events", "--session", &session, "--json"]);
            let last: Value = events
                .stdout()
                .lines()
                .last()
                .map(|l| serde_json::from_str(l).unwrap())
                .ok_or("no event recorded")?;
            if last["decision"] != "deny" || last["hook"] != "schema-guard" {
                return Err(format!("recorded {last}"));
            }
            if let Some(class) = &case.class {
                if last["class"] != class.as_str() {
                    return Err(format!("recorded class {} want {class}", last["class"]));
                }
            }
        }
        other => panic!("{}: expect must be allow or deny, not {other}", case.name),
    }
    Ok(())
}

#[test]
fn schema_guard_case_table() {
    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut failures = Vec::new();
    let mut runs = 0;
    for case in &cases {
        let clients: &[&str] = match case.client.as_str() {
            "both" => &["claude", "codex"],
            "claude" => &["claude"],
            "codex" => &["codex"],
            other => panic!("{}: unknown client {other}", case.name),
        };
        for client in clients {
            runs += 1;
            if let Err(why) = run_case(case, client) {
                failures.push(format!("[{client}] {}: {why}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {runs} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
