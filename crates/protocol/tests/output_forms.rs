//! Every output form `render` can print is one the client it is for accepts.
//!
//! Each (dialect × acted-on event × verdict × with/without a user message) is rendered, and every
//! printed output is checked against evidence:
//! - Codex CLI 0.169.0: the output JSON Schema embedded in the binary for that event
//!   (`tests/fixtures/codex/schemas/`, draft-07, `additionalProperties: false`), validated with
//!   the `jsonschema` crate; the validator is itself checked against what the real client
//!   accepted and rejected (`tests/fixtures/codex/output-behaviour.json`).
//! - Claude Code 2.1.328 publishes no schema: the *shape* of each output must be one the real
//!   client was seen to act on as intended (`tests/fixtures/claude/_outputs/out_*.json`), or one
//!   documented for every event. [`CLAUDE_BACKING`] says which, row by row.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use selfheal_protocol::{render, Dialect, HookEvent, RenderError, Response, Verdict};
use serde_json::{json, Value};

const NOTE: &str = "note";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn read_json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Every verdict, with non-empty texts.
fn verdicts() -> Vec<Verdict> {
    vec![
        Verdict::Proceed,
        Verdict::AddContext("context for the model".into()),
        Verdict::Deny("denied: reason for the model".into()),
        Verdict::RefuseStop("not done: run the tests first".into()),
        Verdict::Halt("budget spent, halting".into()),
        Verdict::RewriteInput(json!({"command": "echo rewritten"})),
    ]
}

/// One rendered combination.
struct Case {
    dialect: Dialect,
    event: HookEvent,
    form: &'static str,
    note: bool,
    rendered: Result<Option<String>, RenderError>,
}

impl Case {
    fn label(&self) -> String {
        let note = if self.note { " + user message" } else { "" };
        format!("{} {} {}{note}", self.dialect, self.event, self.form)
    }

    /// What was printed, as JSON; `None` when nothing was printed or rendering was refused.
    fn output(&self) -> Option<Value> {
        let Ok(Some(text)) = &self.rendered else {
            return None;
        };
        let value: Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{}: output is not JSON ({e}): {text}", self.label()));
        assert!(
            value.is_object(),
            "{}: output is not a JSON object: {text}",
            self.label()
        );
        assert!(
            !text.contains('\n'),
            "{}: output is not one line: {text}",
            self.label()
        );
        Some(value)
    }
}

fn cases(dialect: Dialect) -> Vec<Case> {
    let mut out = Vec::new();
    for event in HookEvent::acted_on() {
        for verdict in verdicts() {
            for note in [false, true] {
                let mut response = Response::new(verdict.clone());
                if note {
                    response = response.with_user_message(NOTE);
                }
                out.push(Case {
                    dialect,
                    rendered: render(dialect, &event, &response),
                    event: event.clone(),
                    form: verdict.form(),
                    note,
                });
            }
        }
    }
    out
}

/// The shape of an output: its key paths, with every text replaced by `<text>` except the values
/// of the keys whose literal value selects the behaviour. A rewritten tool input is opaque.
fn shape(value: &Value) -> Value {
    const LITERAL_KEYS: [&str; 5] = [
        "hookEventName",
        "permissionDecision",
        "decision",
        "behavior",
        "continue",
    ];
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let v = if key == "updatedInput" && v.is_object() {
                        json!("<tool input object>")
                    } else if LITERAL_KEYS.contains(&key.as_str()) && !v.is_object() {
                        v.clone()
                    } else {
                        shape(v)
                    };
                    (key.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => json!("<text>"),
        Value::Bool(_) => json!("<bool>"),
        Value::Number(_) => json!("<number>"),
        Value::Null => Value::Null,
    }
}

fn hook_event_name(output: &Value) -> Option<&str> {
    output
        .get("hookSpecificOutput")
        .and_then(|h| h.get("hookEventName"))
        .and_then(Value::as_str)
}

// ---------------------------------------------------------------------------------------------
// Codex
// ---------------------------------------------------------------------------------------------

/// The file stem of Codex's output schema for `event`; `None` where 0.169.0 has none.
fn codex_schema_name(event: &HookEvent) -> Option<&'static str> {
    Some(match event {
        HookEvent::PreToolUse => "pre-tool-use",
        HookEvent::PostToolUse => "post-tool-use",
        HookEvent::Stop => "stop",
        HookEvent::SubagentStop => "subagent-stop",
        HookEvent::SubagentStart => "subagent-start",
        HookEvent::SessionStart => "session-start",
        HookEvent::UserPromptSubmit => "user-prompt-submit",
        HookEvent::PermissionRequest => "permission-request",
        HookEvent::PreCompact => "pre-compact",
        HookEvent::PostCompact => "post-compact",
        HookEvent::Interrupt => "interrupt",
        HookEvent::SessionEnd
        | HookEvent::PostToolUseFailure
        | HookEvent::PostToolBatch
        | HookEvent::StopFailure
        | HookEvent::Other(_)
        | HookEvent::Unknown(_) => return None,
    })
}

struct CodexSchemas(HashMap<&'static str, jsonschema::Validator>);

impl CodexSchemas {
    fn load() -> CodexSchemas {
        let mut validators = HashMap::new();
        for event in HookEvent::acted_on() {
            let Some(name) = codex_schema_name(&event) else {
                continue;
            };
            let path = fixtures().join(format!("codex/schemas/{name}.command.output.schema.json"));
            let schema = read_json(&path);
            assert_eq!(
                schema["$schema"],
                "http://json-schema.org/draft-07/schema#",
                "{}: not a draft-07 schema",
                path.display()
            );
            assert_eq!(
                schema["additionalProperties"],
                json!(false),
                "{}: expected a closed schema",
                path.display()
            );
            let validator = jsonschema::draft7::new(&schema)
                .unwrap_or_else(|e| panic!("{}: bad schema: {e}", path.display()));
            validators.insert(name, validator);
        }
        CodexSchemas(validators)
    }

    /// Why the schema of `event` rejects `output` (empty when it accepts it).
    fn errors(&self, schema_name: &str, output: &Value) -> Vec<String> {
        let validator = self
            .0
            .get(schema_name)
            .unwrap_or_else(|| panic!("no Codex schema named {schema_name}"));
        validator
            .iter_errors(output)
            .map(|e| format!("{e} (at '{}')", e.instance_path()))
            .collect()
    }

    fn accepts(&self, schema_name: &str, output: &Value) -> bool {
        self.errors(schema_name, output).is_empty()
    }
}

#[test]
fn codex_outputs_are_valid_against_codex_schemas() {
    let schemas = CodexSchemas::load();
    let mut failures = Vec::new();
    let mut validated = 0;
    let mut forms_validated = BTreeSet::new();
    for case in cases(Dialect::Codex) {
        let Some(output) = case.output() else {
            continue;
        };
        match codex_schema_name(&case.event) {
            Some(name) => {
                let errors = schemas.errors(name, &output);
                if errors.is_empty() {
                    validated += 1;
                    forms_validated.insert(case.form);
                } else {
                    failures.push(format!(
                        "{}: {output} is rejected by {name}.command.output.schema.json: {}",
                        case.label(),
                        errors.join("; ")
                    ));
                }
            }
            None => failures.push(format!(
                "{}: Codex 0.169.0 has no output schema for {}, but render printed {output} \
                 (expected Err or nothing)",
                case.label(),
                case.event
            )),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // Guard against validating nothing: every verdict form reaches some Codex event.
    for verdict in verdicts() {
        assert!(
            forms_validated.contains(verdict.form()),
            "no Codex output of form {} was validated",
            verdict.form()
        );
    }
    assert!(validated > 0);
}

#[test]
fn codex_validator_rejects_what_the_schemas_forbid() {
    let schemas = CodexSchemas::load();
    let good = json!({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": "x",
    }});
    assert!(schemas.accepts("pre-tool-use", &good));
    let rejected = [
        // An unknown top-level field (Codex: "hook returned invalid pre-tool-use JSON output").
        (
            "pre-tool-use",
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": "x"}, "extra": 1}),
        ),
        // hookEventName of another event (a `const` behind `allOf` + `$ref`).
        (
            "pre-tool-use",
            json!({"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "x"}}),
        ),
        // An unknown field inside a referenced definition.
        (
            "pre-tool-use",
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "additionalContext": "x", "extra": 1}}),
        ),
        // A value outside an `enum`.
        (
            "pre-tool-use",
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "defer"}}),
        ),
        // A missing `required` key.
        (
            "pre-tool-use",
            json!({"hookSpecificOutput": {"permissionDecision": "deny", "permissionDecisionReason": "x"}}),
        ),
        // A wrong `type`.
        ("stop", json!({"continue": "no"})),
        // Stop has no hookSpecificOutput (Codex: "invalid stop hook JSON output").
        (
            "stop",
            json!({"hookSpecificOutput": {"hookEventName": "Stop", "additionalContext": "x"}}),
        ),
        // A bare `$ref` to an enum, two definitions deep.
        (
            "permission-request",
            json!({"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": {"behavior": "ask"}}}),
        ),
        // Interrupt accepts systemMessage only.
        ("interrupt", json!({"continue": false, "stopReason": "x"})),
    ];
    for (name, output) in rejected {
        assert!(
            !schemas.accepts(name, &output),
            "{name}.command.output.schema.json accepted {output}"
        );
    }
}

/// The validator + schemas agree with the real client: every output Codex 0.169.0 ran (its hook
/// run completed, blocked or stopped) is schema-valid, and every output it rejected as invalid
/// JSON output is schema-invalid.
#[test]
fn codex_schemas_agree_with_observed_codex_runs() {
    let schemas = CodexSchemas::load();
    let behaviour = read_json(&fixtures().join("codex/output-behaviour.json"));
    let mut accepted_checked = 0;
    let mut rejected_checked = 0;
    for (scenario, record) in behaviour.as_object().expect("an object of scenarios") {
        let Some(given) = record["behavior_given"].as_object() else {
            continue;
        };
        let runs = record["codex_hook_runs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (event_name, answers) in given {
            let event = HookEvent::from_name(event_name);
            let Some(schema) = codex_schema_name(&event) else {
                continue;
            };
            let camel = format!("{}{}", event_name[..1].to_lowercase(), &event_name[1..]);
            let event_runs: Vec<&Value> = runs.iter().filter(|r| r["event"] == camel).collect();
            // One answer for every run, or one answer per run, in order.
            let pairs: Vec<(&Value, &Value)> = match answers {
                Value::Array(list) => list.iter().zip(event_runs.iter().copied()).collect(),
                single => event_runs.iter().map(|run| (single, *run)).collect(),
            };
            for (answer, run) in pairs {
                let Some(stdout) = answer.get("stdout").filter(|s| s.is_object()) else {
                    continue;
                };
                let status = run["status"].as_str().unwrap_or_default();
                let error_texts: Vec<&str> = run["entries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|e| e["kind"] == "error")
                    .filter_map(|e| e["text"].as_str())
                    .collect();
                let valid = schemas.accepts(schema, stdout);
                if matches!(status, "completed" | "blocked" | "stopped") {
                    assert!(
                        valid,
                        "{scenario}: Codex ran {stdout} at {event_name} ({status}), \
                         but the schema rejects it: {:?}",
                        schemas.errors(schema, stdout)
                    );
                    accepted_checked += 1;
                } else if error_texts
                    .iter()
                    .any(|t| t.contains("invalid") && t.contains("JSON output"))
                {
                    assert!(
                        !valid,
                        "{scenario}: Codex rejected {stdout} at {event_name} as invalid, \
                         but the schema accepts it"
                    );
                    rejected_checked += 1;
                }
            }
        }
    }
    assert!(
        accepted_checked >= 20 && rejected_checked >= 2,
        "too little evidence checked: {accepted_checked} accepted, {rejected_checked} rejected"
    );
}

/// No Codex output has the shape of one Codex 0.169.0 refused although it fits the schema
/// ("unsupported permissionDecision:allow", "unsupported continue:false", suppressOutput, a deny
/// without a reason, ...).
#[test]
fn codex_outputs_avoid_forms_codex_refused() {
    let behaviour = read_json(&fixtures().join("codex/output-behaviour.json"));
    let mut refused: Vec<(String, Value, String)> = Vec::new();
    for (scenario, record) in behaviour.as_object().expect("an object of scenarios") {
        let Some(given) = record["behavior_given"].as_object() else {
            continue;
        };
        for (event_name, answers) in given {
            let camel = format!("{}{}", event_name[..1].to_lowercase(), &event_name[1..]);
            let failed = record["codex_hook_runs"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| r["event"] == camel && r["status"] == "failed");
            if !failed {
                continue;
            }
            let list = match answers {
                Value::Array(list) => list.clone(),
                single => vec![single.clone()],
            };
            for answer in list {
                if let Some(stdout) = answer.get("stdout").filter(|s| s.is_object()) {
                    refused.push((event_name.clone(), shape(stdout), scenario.clone()));
                }
            }
        }
    }
    assert!(
        refused.len() >= 5,
        "expected the refused forms of output-behaviour.json"
    );
    for case in cases(Dialect::Codex) {
        let Some(output) = case.output() else {
            continue;
        };
        let ours = shape(&output);
        for (event_name, shape, scenario) in &refused {
            assert!(
                !(event_name == case.event.name() && *shape == ours),
                "{}: {output} has the shape Codex refused in scenario {scenario}",
                case.label()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Claude
// ---------------------------------------------------------------------------------------------

/// How one Claude output form is backed.
#[derive(Debug)]
enum Backing {
    /// `render` prints nothing (always accepted).
    Nothing,
    /// Observed: a `stdout` of hook `hook` in `_outputs/<file>.json` was given to the real client
    /// at this very event, and the client did what the form intends.
    Seen {
        file: &'static str,
        hook: &'static str,
    },
    /// Documented, not observed at this event: the shape observed in `file` at another event,
    /// with its hookEventName replaced by this event's; `why` says what supports it here.
    SeenElsewhere {
        file: &'static str,
        hook: &'static str,
        why: &'static str,
    },
    /// Documented, not observed in this shape: exactly `shape` (texts as `<text>`).
    Documented {
        shape: &'static str,
        why: &'static str,
    },
    /// Documented, not observed in combination: the `bare` form's shape plus a `systemMessage`.
    BarePlusNote,
}

/// One (verdict form, event) of Claude: `bare` backs the verdict alone, `noted` the verdict with
/// a user message (`systemMessage`).
struct Row {
    form: &'static str,
    event: &'static str,
    bare: Backing,
    noted: Backing,
}

const fn row(form: &'static str, event: &'static str, bare: Backing, noted: Backing) -> Row {
    Row {
        form,
        event,
        bare,
        noted,
    }
}

const fn seen(file: &'static str, hook: &'static str) -> Backing {
    Backing::Seen { file, hook }
}

const fn seen_elsewhere(file: &'static str, hook: &'static str, why: &'static str) -> Backing {
    Backing::SeenElsewhere { file, hook, why }
}

const fn documented(shape: &'static str, why: &'static str) -> Backing {
    Backing::Documented { shape, why }
}

use Backing::{BarePlusNote, Nothing};

const SYSTEM_MESSAGE_ANYWHERE: &str = "`systemMessage` is a field of every event's output, shown \
    in the UI and never sent to the model (claude-code.md, Output behaviour); observed alone at \
    PostToolUse (out_post_system_message) and beside continue:false (out_post_continue_false)";
const CONTINUE_FALSE_ANYWHERE: &str = "`{\"continue\":false,\"stopReason\"}` is a field pair of \
    every event's output (claude-code.md, Output behaviour: the run stops); observed at \
    PostToolUse only (out_post_continue_false)";
const HALT: &str = r#"{"continue":false,"stopReason":"<text>"}"#;
const SUBAGENT_START_CONTEXT: &str = "Claude Code's hooks reference documents \
    hookSpecificOutput.additionalContext for SubagentStart (added to the sub-agent's context); \
    the SessionStart form, observed in out_sessionstart_context, is the same shape";

/// What backs every Claude output `render` prints. A printed form without a row, or a row whose
/// form `render` no longer prints exactly so, fails `claude_outputs_match_observed_or_documented_forms`.
#[rustfmt::skip]
const CLAUDE_BACKING: &[Row] = &[
    // ---- proceed: prints nothing; with a user message, a lone systemMessage.
    // out_post_system_message: shown as "PostToolUse:Bash says: …"; not sent to the model.
    row("proceed", "PostToolUse", Nothing, seen("out_post_system_message", "PostToolUse")),
    // Documented, not observed: the same lone systemMessage at every other event.
    row("proceed", "SessionStart", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "SessionEnd", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "UserPromptSubmit", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "PreToolUse", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "PermissionRequest", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "PostToolUseFailure", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "PostToolBatch", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "Stop", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "StopFailure", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "SubagentStart", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "SubagentStop", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "PreCompact", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "PostCompact", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    row("proceed", "Interrupt", Nothing, seen_elsewhere("out_post_system_message", "PostToolUse", SYSTEM_MESSAGE_ANYWHERE)),
    // ---- context: hookSpecificOutput.additionalContext. With a user message: documented only.
    // out_pre_additional_context: the tool ran and the text reached the model.
    row("context", "PreToolUse", seen("out_pre_additional_context", "PreToolUse"), BarePlusNote),
    // out_post_additional_context: "PostToolUse:Bash hook additional context: …" reached the model.
    row("context", "PostToolUse", seen("out_post_additional_context", "PostToolUse"), BarePlusNote),
    // out_postfail_additional_context: the text reached the model after the failed Bash call.
    row("context", "PostToolUseFailure", seen("out_postfail_additional_context", "PostToolUseFailure"), BarePlusNote),
    // out_postbatch_context: "PostToolBatch hook additional context: …" reached the model.
    row("context", "PostToolBatch", seen("out_postbatch_context", "PostToolBatch"), BarePlusNote),
    // out_sessionstart_context: the text was in the first request's context.
    row("context", "SessionStart", seen("out_sessionstart_context", "SessionStart"), BarePlusNote),
    // out_userprompt_context: the text was in the first request's context.
    row("context", "UserPromptSubmit", seen("out_userprompt_context", "UserPromptSubmit"), BarePlusNote),
    // Documented, not observed: no fixture feeds SubagentStart an output.
    row("context", "SubagentStart", seen_elsewhere("out_sessionstart_context", "SessionStart", SUBAGENT_START_CONTEXT), BarePlusNote),
    // ---- deny.
    // out_pre_deny_json: the tool did not run; an is_error tool_result carried the reason.
    row("deny", "PreToolUse", seen("out_pre_deny_json", "PreToolUse"), BarePlusNote),
    // out_permissionrequest_deny: the tool did not run; the model got the message as an error.
    row("deny", "PermissionRequest", seen("out_permissionrequest_deny", "PermissionRequest"), BarePlusNote),
    // ---- refuse-stop: top-level decision:block + reason.
    // out_stop_block: Claude went on with "Stop hook feedback:\n<reason>" as the next user message.
    row("refuse-stop", "Stop", seen("out_stop_block", "Stop"), BarePlusNote),
    // out_subagentstop_block: the sub-agent went on with the reason as feedback.
    row("refuse-stop", "SubagentStop", seen("out_subagentstop_block", "SubagentStop"), BarePlusNote),
    // ---- halt: continue:false + stopReason.
    // Bare: documented (the observed halt carried a systemMessage beside it);
    // noted: out_post_continue_false, the run ended with terminal_reason hook_stopped.
    row("halt", "PostToolUse", documented(HALT, CONTINUE_FALSE_ANYWHERE), seen("out_post_continue_false", "PostToolUse")),
    // Documented, not observed at these events, bare or noted (same shape as out_post_continue_false).
    row("halt", "PreToolUse", documented(HALT, CONTINUE_FALSE_ANYWHERE), seen_elsewhere("out_post_continue_false", "PostToolUse", CONTINUE_FALSE_ANYWHERE)),
    row("halt", "PostToolUseFailure", documented(HALT, CONTINUE_FALSE_ANYWHERE), seen_elsewhere("out_post_continue_false", "PostToolUse", CONTINUE_FALSE_ANYWHERE)),
    row("halt", "PostToolBatch", documented(HALT, CONTINUE_FALSE_ANYWHERE), seen_elsewhere("out_post_continue_false", "PostToolUse", CONTINUE_FALSE_ANYWHERE)),
    row("halt", "SessionStart", documented(HALT, CONTINUE_FALSE_ANYWHERE), seen_elsewhere("out_post_continue_false", "PostToolUse", CONTINUE_FALSE_ANYWHERE)),
    row("halt", "UserPromptSubmit", documented(HALT, CONTINUE_FALSE_ANYWHERE), seen_elsewhere("out_post_continue_false", "PostToolUse", CONTINUE_FALSE_ANYWHERE)),
    row("halt", "Stop", documented(HALT, CONTINUE_FALSE_ANYWHERE), seen_elsewhere("out_post_continue_false", "PostToolUse", CONTINUE_FALSE_ANYWHERE)),
    row("halt", "SubagentStop", documented(HALT, CONTINUE_FALSE_ANYWHERE), seen_elsewhere("out_post_continue_false", "PostToolUse", CONTINUE_FALSE_ANYWHERE)),
    // ---- rewrite: updatedInput without a permissionDecision.
    // out_pre_updated_input_no_decision: the rewritten command ran; its output reached the model.
    row("rewrite", "PreToolUse", seen("out_pre_updated_input_no_decision", "PreToolUse"), BarePlusNote),
];

/// The `_outputs/out_*.json` files the table names.
struct ClaudeEvidence(HashMap<&'static str, Value>);

impl ClaudeEvidence {
    fn load() -> ClaudeEvidence {
        let mut files = HashMap::new();
        for row in CLAUDE_BACKING {
            for backing in [&row.bare, &row.noted] {
                if let Backing::Seen { file, .. } | Backing::SeenElsewhere { file, .. } = backing {
                    files.entry(*file).or_insert_with(|| {
                        read_json(&fixtures().join(format!("claude/_outputs/{file}.json")))
                    });
                }
            }
        }
        ClaudeEvidence(files)
    }

    fn file(&self, file: &str) -> &Value {
        &self.0[file]
    }

    /// The JSON-object stdouts hook `hook` was configured to print in `file`.
    fn stdouts(&self, file: &str, hook: &str) -> Vec<&Value> {
        let stdouts: Vec<&Value> = self.file(file)["hooks_configured_behaviour"][hook]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b.get("stdout").filter(|s| s.is_object()))
            .collect();
        assert!(
            !stdouts.is_empty(),
            "{file}: hook {hook} printed no JSON object"
        );
        stdouts
    }

    /// The events at which the client was actually given `stdout` in `file`.
    fn given_at(&self, file: &str, stdout: &Value) -> BTreeSet<String> {
        self.file(file)["hook_invocations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["hook_behaviour"]["stdout"] == *stdout)
            .filter_map(|i| i["event"].as_str().map(str::to_owned))
            .collect()
    }

    /// The shapes `backing` allows for `row`'s form at `row.event`.
    fn allowed_shapes(&self, row: &Row, backing: &Backing) -> Result<Vec<Value>, String> {
        let event = row.event;
        match backing {
            Nothing => Err("the table says render prints nothing here".into()),
            Backing::Seen { file, hook } => self
                .stdouts(file, hook)
                .into_iter()
                .map(|stdout| {
                    if !self.given_at(file, stdout).contains(event) {
                        return Err(format!(
                            "{file}: {stdout} was never given at {event}: not Seen, SeenElsewhere"
                        ));
                    }
                    if hook_event_name(stdout).is_some_and(|name| name != event) {
                        return Err(format!("{file}: {stdout} names another event"));
                    }
                    did_what_form_intends(row.form, file, self.file(file), stdout)?;
                    Ok(shape(stdout))
                })
                .collect(),
            Backing::SeenElsewhere { file, hook, why } => {
                assert!(!why.is_empty());
                self.stdouts(file, hook)
                    .into_iter()
                    .map(|stdout| {
                        let given = self.given_at(file, stdout);
                        if given.is_empty() || given.contains(event) {
                            return Err(format!(
                                "{file}: {stdout} was given at {given:?}: expected another event than {event}"
                            ));
                        }
                        let mut template = stdout.clone();
                        if let Some(name) = template.pointer_mut("/hookSpecificOutput/hookEventName")
                        {
                            *name = json!(event);
                        }
                        Ok(shape(&template))
                    })
                    .collect()
            }
            Backing::Documented { shape: text, why } => {
                assert!(!why.is_empty());
                let parsed: Value = serde_json::from_str(text)
                    .map_err(|e| format!("documented shape {text} is not JSON: {e}"))?;
                if shape(&parsed) != parsed {
                    return Err(format!("documented shape {text} is not written as a shape"));
                }
                Ok(vec![parsed])
            }
            BarePlusNote => {
                if matches!(row.bare, Nothing | BarePlusNote) {
                    return Err("BarePlusNote needs a bare form".into());
                }
                let mut shapes = self.allowed_shapes(row, &row.bare)?;
                for shape in &mut shapes {
                    shape["systemMessage"] = json!("<text>");
                }
                Ok(shapes)
            }
        }
    }
}

/// Checks in the recorded run that `stdout` did what `form` is meant to do, so that a `Seen`
/// entry cannot point at a run where the client ignored the output.
fn did_what_form_intends(
    form: &str,
    file: &str,
    run: &Value,
    stdout: &Value,
) -> Result<(), String> {
    let to_model = serde_json::to_string(&run["api_requests"]).expect("serialisable");
    let text_at = |pointer: &str| -> Result<String, String> {
        stdout
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("{file}: {stdout} has no text at {pointer}"))
    };
    let reached_model = |text: &str| -> Result<(), String> {
        if to_model.contains(text) {
            Ok(())
        } else {
            Err(format!("{file}: {text:?} never reached the model"))
        }
    };
    if let Some(message) = stdout.get("systemMessage").and_then(Value::as_str) {
        if to_model.contains(message) {
            return Err(format!(
                "{file}: systemMessage {message:?} reached the model"
            ));
        }
    }
    match form {
        "proceed" => {
            let message = text_at("/systemMessage")?;
            let shown = serde_json::to_string(&run["stream_json_hook_and_system_events"])
                .expect("serialisable");
            if !shown.contains(&format!("says: {message}")) {
                return Err(format!("{file}: systemMessage {message:?} was not shown"));
            }
            Ok(())
        }
        "context" => reached_model(&text_at("/hookSpecificOutput/additionalContext")?),
        "deny" => {
            let reason = text_at("/hookSpecificOutput/permissionDecisionReason")
                .or_else(|_| text_at("/hookSpecificOutput/decision/message"))?;
            if run["final_result"]["permission_denials"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                return Err(format!("{file}: no permission denial recorded"));
            }
            reached_model(&reason)
        }
        "refuse-stop" => reached_model(&text_at("/reason")?),
        "halt" => {
            if run["final_result"]["terminal_reason"] == "hook_stopped" {
                Ok(())
            } else {
                Err(format!("{file}: the run did not stop at the hook"))
            }
        }
        "rewrite" => {
            let command = text_at("/hookSpecificOutput/updatedInput/command")?;
            let printed = command
                .strip_prefix("echo ")
                .ok_or_else(|| format!("{file}: expected an echo rewrite, got {command:?}"))?;
            reached_model(&format!("\"content\":\"{printed}\""))
        }
        other => Err(format!("no intent check for form {other}")),
    }
}

/// Checks one Claude output of `form` at `event`; returns which row column backed it.
fn check_claude(
    evidence: &ClaudeEvidence,
    event: &HookEvent,
    form: &str,
    note: bool,
    output: &Value,
) -> Result<(usize, bool), String> {
    if let Some(name) = output
        .get("hookSpecificOutput")
        .map(|h| &h["hookEventName"])
    {
        if name != event.name() {
            // Claude rejects the whole output on a mismatch (out_pre_wrong_event_name).
            return Err(format!(
                "hookSpecificOutput.hookEventName is {name}, not {}",
                event.name()
            ));
        }
    }
    let index = CLAUDE_BACKING
        .iter()
        .position(|r| r.form == form && r.event == event.name())
        .ok_or_else(|| format!("no row of CLAUDE_BACKING backs {form} at {event}"))?;
    let row = &CLAUDE_BACKING[index];
    let backing = if note { &row.noted } else { &row.bare };
    let allowed = evidence.allowed_shapes(row, backing)?;
    let ours = shape(output);
    if allowed.contains(&ours) {
        Ok((index, note))
    } else {
        Err(format!(
            "shape {ours} is none of those backed by {backing:?}: {}",
            allowed
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

#[test]
fn claude_outputs_match_observed_or_documented_forms() {
    let evidence = ClaudeEvidence::load();
    let mut failures = Vec::new();
    let mut used = BTreeSet::new();
    let mut printed = 0;
    for case in cases(Dialect::Claude) {
        match case.output() {
            Some(output) => {
                printed += 1;
                match check_claude(&evidence, &case.event, case.form, case.note, &output) {
                    Ok(key) => {
                        used.insert(key);
                    }
                    Err(why) => failures.push(format!("{}: {output}: {why}", case.label())),
                }
            }
            None => {
                if let Ok(None) = case.rendered {
                    // Printing nothing is always accepted; note which `Nothing` it was.
                    if let Some(i) = CLAUDE_BACKING
                        .iter()
                        .position(|r| r.form == case.form && r.event == case.event.name())
                    {
                        let row = &CLAUDE_BACKING[i];
                        let backing = if case.note { &row.noted } else { &row.bare };
                        if matches!(backing, Nothing) {
                            used.insert((i, case.note));
                        }
                    }
                }
            }
        }
    }
    for (i, row) in CLAUDE_BACKING.iter().enumerate() {
        assert!(
            HookEvent::acted_on().iter().any(|e| e.name() == row.event),
            "CLAUDE_BACKING names an unknown event {}",
            row.event
        );
        for note in [false, true] {
            if !used.contains(&(i, note)) {
                let column = if note { "noted" } else { "bare" };
                failures.push(format!(
                    "CLAUDE_BACKING row ({}, {}) {column} is not what render does for Claude \
                     (refused, or printed otherwise): update the row or render",
                    row.form, row.event
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert_eq!(
        used.len(),
        2 * CLAUDE_BACKING.len(),
        "every row column is used once"
    );
    assert!(printed > 0);
}

#[test]
fn claude_check_rejects_unbacked_forms() {
    let evidence = ClaudeEvidence::load();
    let deny = json!({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": "x",
    }});
    check_claude(&evidence, &HookEvent::PreToolUse, "deny", false, &deny).unwrap();
    let unbacked = [
        // An extra key.
        (
            HookEvent::PreToolUse,
            "deny",
            false,
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": "x"}, "extra": 1}),
        ),
        // hookEventName of another event (out_pre_wrong_event_name: whole output ignored).
        (
            HookEvent::PreToolUse,
            "context",
            false,
            json!({"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "x"}}),
        ),
        // Another literal value of a deciding key.
        (
            HookEvent::PreToolUse,
            "deny",
            false,
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "ask", "permissionDecisionReason": "x"}}),
        ),
        // A form at an event with no row (Stop context makes Claude continue).
        (
            HookEvent::Stop,
            "context",
            false,
            json!({"hookSpecificOutput": {"hookEventName": "Stop", "additionalContext": "x"}}),
        ),
        // A systemMessage where the bare form is backed but the noted one is asked for bare.
        (
            HookEvent::PreToolUse,
            "deny",
            false,
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": "x"}, "systemMessage": "m"}),
        ),
        // A halt that is not a string reason.
        (
            HookEvent::Stop,
            "halt",
            false,
            json!({"continue": false, "stopReason": 1}),
        ),
    ];
    for (event, form, note, output) in unbacked {
        assert!(
            check_claude(&evidence, &event, form, note, &output).is_err(),
            "the Claude check accepted {output} as {form} at {event}"
        );
    }
}

/// The evidence behind the hookEventName rule: with a mismatched name, Claude ignored the output.
#[test]
fn claude_ignored_a_mismatched_hook_event_name() {
    let run = read_json(&fixtures().join("claude/_outputs/out_pre_wrong_event_name.json"));
    let stdout = &run["hooks_configured_behaviour"]["PreToolUse"][0]["stdout"];
    assert_eq!(hook_event_name(stdout), Some("PostToolUse"));
    let context = stdout["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .expect("a context text");
    let to_model = serde_json::to_string(&run["api_requests"]).expect("serialisable");
    assert!(!to_model.contains(context));
}

// ---------------------------------------------------------------------------------------------
// What the protocol notes forbid
// ---------------------------------------------------------------------------------------------

#[test]
fn forms_the_protocol_notes_forbid_are_refused() {
    let refuse = |dialect: Dialect, event: HookEvent, verdict: Verdict| {
        let rendered = render(dialect, &event, &Response::new(verdict.clone()));
        assert!(
            rendered.is_err(),
            "{dialect} {event} {verdict:?}: expected Err, got {rendered:?}"
        );
        // A user message does not make it acceptable.
        let rendered = render(
            dialect,
            &event,
            &Response::new(verdict.clone()).with_user_message(NOTE),
        );
        assert!(
            rendered.is_err(),
            "{dialect} {event} {verdict:?} + user message: expected Err, got {rendered:?}"
        );
    };
    let context = || Verdict::AddContext("x".into());
    // codex.md: Stop additionalContext is an invalid Stop output (ignored).
    refuse(Dialect::Codex, HookEvent::Stop, context());
    refuse(Dialect::Codex, HookEvent::SubagentStop, context());
    // codex.md: PreToolUse continue:false is "unsupported", fail-open.
    refuse(
        Dialect::Codex,
        HookEvent::PreToolUse,
        Verdict::Halt("x".into()),
    );
    // claude-code.md: Stop additionalContext makes Claude continue.
    refuse(Dialect::Claude, HookEvent::Stop, context());
    refuse(Dialect::Claude, HookEvent::SubagentStop, context());
    // codex.md: a deny without a reason fails open.
    for dialect in [Dialect::Codex, Dialect::Claude] {
        for event in [HookEvent::PreToolUse, HookEvent::PermissionRequest] {
            for reason in ["", "   "] {
                let rendered = render(
                    dialect,
                    &event,
                    &Response::new(Verdict::Deny(reason.into())),
                );
                assert_eq!(
                    rendered,
                    Err(RenderError::EmptyText { form: "deny" }),
                    "{dialect} {event} deny with reason {reason:?}"
                );
            }
        }
    }
}
