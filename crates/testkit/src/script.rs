//! What the scripted model says: turns of steps, rendered as either API's stream.

use serde_json::{json, Value};

/// One output item of a model turn, client-neutral where it can be.
#[derive(Clone, Debug)]
pub enum Step {
    /// Assistant text. A turn of text only ends the client's turn.
    Text(String),
    /// A shell command: Codex `exec_command {cmd}`, Claude `Bash {command}`.
    Shell(String),
    /// Codex's freeform `apply_patch` (the raw `*** Begin Patch` … text). Codex only.
    Patch(String),
    /// Any other tool call with these arguments (Claude `Edit`, `Write`, `Read`, …; a Codex
    /// function tool).
    Call { name: String, input: Value },
    /// No answer at all: the request is held open until the server stops (a model that hangs,
    /// for testing the client's timeout). Must be a turn's only step.
    Stall,
    /// The API refuses the request with this HTTP status (429 rate limited, 529 overloaded,
    /// 5xx) and an error body in the wire's format. Must be a turn's only step.
    HttpError(u16),
}

pub type Turn = Vec<Step>;

pub fn text(text: impl Into<String>) -> Step {
    Step::Text(text.into())
}

pub fn shell(command: impl Into<String>) -> Step {
    Step::Shell(command.into())
}

pub fn patch(patch: impl Into<String>) -> Step {
    Step::Patch(patch.into())
}

pub fn stall() -> Step {
    Step::Stall
}

/// A turn the API refuses with `status` (see [`Step::HttpError`]).
pub fn http_error(status: u16) -> Step {
    Step::HttpError(status)
}

/// The error body of an HTTP error turn, in the wire's format.
pub fn error_body(wire: Wire, status: u16) -> Value {
    let (kind, message) = match status {
        429 => (
            "rate_limit_error",
            "Rate limit reached: too many requests, try again later",
        ),
        529 => ("overloaded_error", "Overloaded"),
        500..=599 => ("api_error", "Internal server error"),
        _ => ("invalid_request_error", "The request was refused"),
    };
    match wire {
        Wire::Messages => json!({"type": "error", "error": {"type": kind, "message": message}}),
        Wire::Responses => json!({"error": {"type": kind, "code": kind, "message": message}}),
    }
}

pub fn call(name: &str, input: Value) -> Step {
    Step::Call {
        name: name.to_owned(),
        input,
    }
}

/// The wire format a server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    /// OpenAI Responses API (`POST /v1/responses`), what Codex CLI speaks.
    Responses,
    /// Anthropic Messages API (`POST /v1/messages`), what Claude Code speaks.
    Messages,
}

const USAGE_IN: u64 = 100;
const USAGE_OUT: u64 = 10;

/// The SSE events (name, JSON data) of one response made of `steps`. `seq` numbers the response
/// and `ids` hands out call ids unique in the server's life.
pub fn render(
    wire: Wire,
    steps: &[Step],
    seq: usize,
    ids: &mut impl FnMut() -> usize,
) -> Vec<(String, String)> {
    match wire {
        Wire::Responses => responses(steps, seq, ids),
        Wire::Messages => messages(steps, seq, ids),
    }
}

fn event(out: &mut Vec<(String, String)>, name: &str, mut data: Value) {
    data["type"] = json!(name);
    out.push((name.to_owned(), data.to_string()));
}

fn responses(steps: &[Step], seq: usize, ids: &mut impl FnMut() -> usize) -> Vec<(String, String)> {
    let id = format!("resp_{seq}");
    let mut out = Vec::new();
    event(
        &mut out,
        "response.created",
        json!({"response": {"id": id, "status": "in_progress"}}),
    );
    for (i, step) in steps.iter().enumerate() {
        let n = ids();
        let item = match step {
            Step::Text(text) => json!({
                "type": "message", "role": "assistant", "id": format!("msg_{n}"),
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }),
            Step::Shell(cmd) => json!({
                "type": "function_call", "id": format!("fc_{n}"), "call_id": format!("call_{n}"),
                "name": "exec_command", "status": "completed",
                "arguments": json!({"cmd": cmd}).to_string(),
            }),
            Step::Patch(patch) => json!({
                "type": "custom_tool_call", "id": format!("ctc_{n}"),
                "call_id": format!("call_{n}"), "name": "apply_patch", "status": "completed",
                "input": patch,
            }),
            Step::Call { name, input } => json!({
                "type": "function_call", "id": format!("fc_{n}"), "call_id": format!("call_{n}"),
                "name": name, "status": "completed", "arguments": input.to_string(),
            }),
            Step::Stall => panic!("a stall is answered by not answering"),
            Step::HttpError(_) => panic!("an HTTP error is answered without a stream"),
        };
        event(
            &mut out,
            "response.output_item.done",
            json!({"output_index": i, "item": item}),
        );
    }
    event(
        &mut out,
        "response.completed",
        json!({"response": {"id": id, "status": "completed", "usage": {
            "input_tokens": USAGE_IN, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": USAGE_OUT, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": USAGE_IN + USAGE_OUT,
        }}}),
    );
    out
}

fn messages(steps: &[Step], seq: usize, ids: &mut impl FnMut() -> usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    event(
        &mut out,
        "message_start",
        json!({"message": {
            "id": format!("msg_{seq}"), "type": "message", "role": "assistant",
            "model": "claude-mock", "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": USAGE_IN, "output_tokens": 1},
        }}),
    );
    let mut tool_use = false;
    for (index, step) in steps.iter().enumerate() {
        let (block, delta) = match step {
            Step::Text(text) => (
                json!({"type": "text", "text": ""}),
                json!({"type": "text_delta", "text": text}),
            ),
            Step::Shell(cmd) => tool_block(ids(), "Bash", &json!({"command": cmd})),
            Step::Call { name, input } => tool_block(ids(), name, input),
            Step::Patch(_) => panic!("apply_patch is a Codex tool; Claude has Edit/Write"),
            Step::Stall => panic!("a stall is answered by not answering"),
            Step::HttpError(_) => panic!("an HTTP error is answered without a stream"),
        };
        tool_use |= block["type"] == "tool_use";
        event(
            &mut out,
            "content_block_start",
            json!({"index": index, "content_block": block}),
        );
        event(
            &mut out,
            "content_block_delta",
            json!({"index": index, "delta": delta}),
        );
        event(&mut out, "content_block_stop", json!({"index": index}));
    }
    let stop = if tool_use { "tool_use" } else { "end_turn" };
    event(
        &mut out,
        "message_delta",
        json!({"delta": {"stop_reason": stop, "stop_sequence": null},
               "usage": {"output_tokens": USAGE_OUT}}),
    );
    event(&mut out, "message_stop", json!({}));
    out
}

fn tool_block(n: usize, name: &str, input: &Value) -> (Value, Value) {
    (
        json!({"type": "tool_use", "id": format!("toolu_{n:04}"), "name": name, "input": {}}),
        json!({"type": "input_json_delta", "partial_json": input.to_string()}),
    )
}
