//! The registrations we ship (hooks.example.json for Claude, profiles/codex/ for Codex) wire
//! each binary to events it acts on, in the form each client reads.

use std::path::Path;

use serde_json::{json, Value};

use crate::support::{fixtures_dir, Sandbox, HOOKS};

fn read_json(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// (event, matcher, program, args) for every handler in a hooks file.
fn handlers(hooks: &Value) -> Vec<(String, Option<String>, String, Vec<String>)> {
    let mut out = Vec::new();
    for (event, groups) in hooks["hooks"].as_object().unwrap() {
        for group in groups.as_array().unwrap() {
            let matcher = group
                .get("matcher")
                .and_then(Value::as_str)
                .map(str::to_owned);
            for handler in group["hooks"].as_array().unwrap() {
                assert_eq!(handler["type"], "command");
                assert!(handler["timeout"].as_u64().unwrap() >= 10, "{handler}");
                let mut words = handler["command"].as_str().unwrap().split_whitespace();
                let program = words.next().unwrap().to_owned();
                out.push((
                    event.clone(),
                    matcher.clone(),
                    program,
                    words.map(str::to_owned).collect(),
                ));
            }
        }
    }
    out
}

/// A payload of `event` for `client` with a tool its matcher selects.
fn payload(client: &str, event: &str, matcher: Option<&str>) -> String {
    let tool = matcher.map_or("Bash", |m| m.split('|').next().unwrap());
    let mut p = json!({
        "session_id": "reg",
        "cwd": "/tmp",
        "hook_event_name": event,
        "tool_name": tool,
        "tool_input": {"command": "true", "file_path": "/tmp/x", "content": ""},
        "tool_use_id": "t1",
        "tool_response": if client == "codex" { json!("") } else { json!({"filePath": "/tmp/x"}) },
        "tool_calls": [],
        "stop_hook_active": false,
        "source": "startup",
    });
    let extra = if client == "codex" {
        ("turn_id", "t")
    } else {
        ("prompt_id", "p")
    };
    p[extra.0] = json!(extra.1);
    p.to_string()
}

fn check_file(client: &str, hooks: &Value) {
    let sandbox = Sandbox::new();
    let handlers = handlers(hooks);
    for (event, matcher, program, args) in &handlers {
        assert!(
            HOOKS.contains(&program.as_str()),
            "unknown program {program}"
        );
        assert_eq!(args, &["--dialect", client], "{program} at {event}");
        let mut case = sandbox.case(program, payload(client, event, matcher.as_deref()));
        for a in args {
            case = case.arg(a);
        }
        let ran = case.run();
        assert!(
            ran.output.stderr.is_empty() && ran.code() == Some(0),
            "{client}: {program} registered for {event} but says {:?}",
            ran.stderr()
        );
    }
    // Every binary is registered somewhere.
    for hook in HOOKS {
        assert!(
            handlers.iter().any(|(_, _, p, _)| p == hook),
            "{client}: {hook} not registered"
        );
    }
}

#[test]
fn claude_example_registers_each_hook_for_events_it_acts_on() {
    let hooks = read_json("hooks.example.json");
    check_file("claude", &hooks);
    let events: Vec<&str> = hooks["hooks"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for needed in [
        "PostToolUseFailure",
        "PostToolBatch",
        "SessionStart",
        "Stop",
        "SubagentStop",
    ] {
        assert!(events.contains(&needed), "Claude needs {needed}");
    }
}

#[test]
fn codex_profile_registers_only_events_codex_has() {
    let hooks = read_json("profiles/codex/hooks.json");
    check_file("codex", &hooks);
    for event in hooks["hooks"].as_object().unwrap().keys() {
        let kebab: String = event
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let lower = c.to_ascii_lowercase();
                if c.is_ascii_uppercase() && i > 0 {
                    vec!['-', lower]
                } else {
                    vec![lower]
                }
            })
            .collect();
        let schema =
            fixtures_dir().join(format!("codex/schemas/{kebab}.command.input.schema.json"));
        assert!(schema.exists(), "Codex 0.169.0 has no {event} event");
    }
}

#[test]
fn codex_config_toml_is_the_same_tree_as_hooks_json() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/codex/config.toml");
    let toml: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let as_json = serde_json::to_value(&toml).unwrap();
    assert_eq!(as_json, read_json("profiles/codex/hooks.json"));
}

#[test]
fn the_claude_plugin_registers_the_same_hooks_as_the_example() {
    let plugin = read_json("profiles/claude-plugin/hooks/hooks.json");
    let example = read_json("hooks.example.json");
    assert_eq!(plugin["hooks"], example["hooks"]);
    let manifest = read_json("profiles/claude-plugin/.claude-plugin/plugin.json");
    assert_eq!(manifest["name"], "selfheal");
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));
}
