//! failure-classifier against the case table in tests/cases/failure-classifier.toml, through
//! the real binary, and the record and guidance it leaves.

use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::support::{self, Sandbox};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    case: Vec<ClassifierCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassifierCase {
    name: String,
    client: String,
    command: String,
    output: String,
    exit: Option<i32>,
    expect: String,
    context: Option<String>,
    hidden: Option<String>,
}

fn payload(case: &ClassifierCase, project: &str) -> String {
    let call = json!({
        "tool_name": "Bash",
        "tool_input": {"command": case.command},
        "tool_use_id": "call_1",
    });
    let (event, mut extra) = match (case.client.as_str(), case.exit) {
        ("claude", Some(code)) if code != 0 => (
            "PostToolUseFailure",
            json!({"error": format!("Exit code {code}\n{}", case.output)}),
        ),
        ("claude", _) => (
            "PostToolUse",
            json!({"tool_response": {"stdout": case.output, "stderr": "", "interrupted": false,
                "isImage": false, "noOutputExpected": false}}),
        ),
        _ => ("PostToolUse", json!({"tool_response": case.output})),
    };
    for (k, v) in call.as_object().unwrap() {
        extra[k] = v.clone();
    }
    let line = support::payload(&case.client, "classifier-case", project, event, extra);
    // Claude ends the line with a newline; Codex does not.
    match case.client.as_str() {
        "claude" => format!("{line}\n"),
        _ => line,
    }
}

#[test]
fn every_case_gets_its_class() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/failure-classifier.toml");
    let table: Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut failures = Vec::new();
    for case in &table.case {
        let sandbox = Sandbox::new();
        let project = sandbox.dir.join("project");
        std::fs::create_dir_all(&project).unwrap();
        let ran = sandbox
            .case(
                "failure-classifier",
                payload(case, &project.to_string_lossy()),
            )
            .run();
        assert_eq!(ran.code(), Some(0), "{}: {}", case.name, ran.stderr());
        let context = if ran.stdout().trim().is_empty() {
            None
        } else {
            let out = ran.stdout_json();
            out["hookSpecificOutput"]["additionalContext"]
                .as_str()
                .map(str::to_owned)
        };
        let events = sandbox.selfheal(&["events", "--session", "classifier-case", "--json"]);
        let stored = events.assert_success().stdout();
        let event: Value = serde_json::from_str(stored.lines().last().unwrap_or("{}")).unwrap();
        let got = event["class"].as_str().unwrap_or("-").to_owned();
        let mut wrong = Vec::new();
        if got != case.expect {
            wrong.push(format!("class {got}, expected {}", case.expect));
        }
        match (&case.context, &context) {
            (Some(want), Some(have)) if !have.contains(want.as_str()) => {
                wrong.push(format!("guidance lacks {want:?}: {have}"))
            }
            (Some(want), None) => wrong.push(format!("no guidance, expected {want:?}")),
            _ => {}
        }
        if let Some(hidden) = &case.hidden {
            if context.as_deref().unwrap_or("").contains(hidden.as_str())
                || stored.contains(hidden.as_str())
            {
                wrong.push(format!("{hidden:?} leaked"));
            }
        }
        if let Some(text) = &context {
            assert!(
                text.chars().count() <= 1500,
                "{}: guidance too long",
                case.name
            );
        }
        if !wrong.is_empty() {
            failures.push(format!("{}: {}", case.name, wrong.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn ok_and_task_inject_nothing_and_spend_nothing() {
    let sandbox = Sandbox::new();
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let case = ClassifierCase {
        name: "pytest fails".into(),
        client: "claude".into(),
        command: "python3 -m pytest -q".into(),
        output: "F.\n=== FAILURES ===\n___ test_x ___\nE   assert 1 == 2\n=== 1 failed, 1 passed in 0.01s ===".into(),
        exit: Some(1),
        expect: "task".into(),
        context: None,
        hidden: None,
    };
    sandbox
        .case(
            "failure-classifier",
            payload(&case, &project.to_string_lossy()),
        )
        .run()
        .assert_silent();
    let status = sandbox
        .selfheal(&["status", "--session", "classifier-case", "--json"])
        .assert_success()
        .stdout_json();
    assert_eq!(status["classes"]["task"], 1);
    for budget in ["retries", "replans", "substitutions"] {
        assert_eq!(status["budgets"][budget]["used"], 0, "{budget}");
    }
}
