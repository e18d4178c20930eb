use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::dialect::Dialect;
use crate::event::HookEvent;
use crate::input::{BatchCall, HookInput};

/// What a tool does, whatever the client calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolKind {
    Shell,
    /// Codex `apply_patch`: the raw patch text.
    Patch,
    Edit,
    Write,
    Read,
    Search,
    Mcp,
    Other,
}

impl ToolKind {
    pub fn of(tool_name: &str) -> ToolKind {
        match tool_name {
            "Bash" => ToolKind::Shell,
            "apply_patch" => ToolKind::Patch,
            "Edit" | "MultiEdit" | "NotebookEdit" => ToolKind::Edit,
            "Write" => ToolKind::Write,
            "Read" | "view_image" => ToolKind::Read,
            "Grep" | "Glob" | "LS" | "WebSearch" | "WebFetch" | "ToolSearch" => ToolKind::Search,
            name if name.starts_with("mcp__") => ToolKind::Mcp,
            _ => ToolKind::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ToolKind::Shell => "shell",
            ToolKind::Patch => "patch",
            ToolKind::Edit => "edit",
            ToolKind::Write => "write",
            ToolKind::Read => "read",
            ToolKind::Search => "search",
            ToolKind::Mcp => "mcp",
            ToolKind::Other => "other",
        }
    }

    /// Tools that change files.
    pub fn is_edit(self) -> bool {
        matches!(self, ToolKind::Patch | ToolKind::Edit | ToolKind::Write)
    }
}

/// One replacement of a Claude `Edit` (or one entry of `MultiEdit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement<'a> {
    pub old_string: &'a str,
    pub new_string: &'a str,
    pub replace_all: bool,
}

/// A tool call's arguments, read into the shape each kind has. Missing strings read as "".
#[derive(Debug, Clone, PartialEq)]
pub enum ToolArgs<'a> {
    Shell {
        command: &'a str,
    },
    Patch {
        patch: &'a str,
    },
    Edit {
        file_path: &'a str,
        replacements: Vec<Replacement<'a>>,
    },
    Write {
        file_path: &'a str,
        content: &'a str,
    },
    Read {
        file_path: &'a str,
    },
    Search {
        pattern: Option<&'a str>,
        path: Option<&'a str>,
    },
    Mcp {
        server: &'a str,
        tool: &'a str,
        arguments: &'a Value,
    },
    Other(&'a Value),
}

/// What came of a call, as far as the client says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The output text (Claude Bash: stdout, then stderr).
    pub output: String,
    /// Only when the client states it: Claude failures (`Exit code N`), Claude Bash successes
    /// (0), Codex apply_patch (`Exit code: N`). Codex shell output carries none.
    pub exit_code: Option<i32>,
    /// The client's error text: Claude PostToolUseFailure `error`, `<tool_use_error>`, MCP
    /// `isError`.
    pub error: Option<String>,
    pub interrupted: bool,
    /// Claude's reading of a non-zero exit it reports as success (`No matches found`).
    pub interpretation: Option<String>,
}

impl Outcome {
    /// `Some(true)` when the client says the call failed, `Some(false)` when it says it
    /// succeeded, `None` when it does not say (Codex shell output).
    pub fn failed(&self) -> Option<bool> {
        if self.error.is_some() || self.interrupted {
            return Some(true);
        }
        if self.interpretation.is_some() {
            return Some(false);
        }
        self.exit_code.map(|code| code != 0)
    }
}

/// A tool call in client-neutral form.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall<'a> {
    pub kind: ToolKind,
    pub name: &'a str,
    pub tool_use_id: Option<&'a str>,
    pub input: &'a Value,
    /// `None` before the call ran (PreToolUse, PermissionRequest).
    pub outcome: Option<Outcome>,
}

static NULL: Value = Value::Null;

impl<'a> ToolCall<'a> {
    pub fn args(&self) -> ToolArgs<'a> {
        let input = self.input;
        let s = |key: &str| input.get(key).and_then(Value::as_str).unwrap_or("");
        match self.kind {
            ToolKind::Shell => ToolArgs::Shell {
                command: s("command"),
            },
            ToolKind::Patch => ToolArgs::Patch {
                // Codex names the raw patch `command`; accept `input`/`patch` too.
                patch: ["command", "input", "patch"]
                    .iter()
                    .find_map(|k| input.get(*k).and_then(Value::as_str))
                    .unwrap_or(""),
            },
            ToolKind::Edit => {
                let file_path = ["file_path", "notebook_path"]
                    .iter()
                    .find_map(|k| input.get(*k).and_then(Value::as_str))
                    .unwrap_or("");
                let replacements = match input.get("edits").and_then(Value::as_array) {
                    Some(edits) => edits.iter().map(replacement).collect(),
                    None if input.get("old_string").is_some() => vec![replacement(input)],
                    None => Vec::new(),
                };
                ToolArgs::Edit {
                    file_path,
                    replacements,
                }
            }
            ToolKind::Write => ToolArgs::Write {
                file_path: s("file_path"),
                content: s("content"),
            },
            ToolKind::Read => ToolArgs::Read {
                file_path: ["file_path", "path"]
                    .iter()
                    .find_map(|k| input.get(*k).and_then(Value::as_str))
                    .unwrap_or(""),
            },
            ToolKind::Search => ToolArgs::Search {
                pattern: input
                    .get("pattern")
                    .or_else(|| input.get("query"))
                    .and_then(Value::as_str),
                path: input.get("path").and_then(Value::as_str),
            },
            ToolKind::Mcp => {
                let mut parts = self.name.splitn(3, "__").skip(1);
                ToolArgs::Mcp {
                    server: parts.next().unwrap_or(""),
                    tool: parts.next().unwrap_or(""),
                    arguments: input,
                }
            }
            ToolKind::Other => ToolArgs::Other(input),
        }
    }

    /// A stable hash of the tool and its canonical arguments (keys sorted, Claude's free-text
    /// `description` left out), so that the same call made twice has the same fingerprint.
    pub fn fingerprint(&self) -> String {
        let mut canonical = String::new();
        write_canonical(self.input, &mut canonical, true);
        let digest = Sha256::new()
            .chain_update(self.name.as_bytes())
            .chain_update([0])
            .chain_update(canonical.as_bytes())
            .finalize();
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn replacement(value: &Value) -> Replacement<'_> {
    Replacement {
        old_string: value
            .get("old_string")
            .and_then(Value::as_str)
            .unwrap_or(""),
        new_string: value
            .get("new_string")
            .and_then(Value::as_str)
            .unwrap_or(""),
        replace_all: value
            .get("replace_all")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

fn write_canonical(value: &Value, out: &mut String, top: bool) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map
                .keys()
                .filter(|k| !(top && k.as_str() == "description"))
                .collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out, false);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out, false);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

impl HookInput {
    /// The tool call of a per-call tool event (PreToolUse, PermissionRequest, PostToolUse,
    /// PostToolUseFailure); `None` for other events or a payload without `tool_name`.
    pub fn tool_call(&self, dialect: Dialect) -> Option<ToolCall<'_>> {
        let name = self.tool_name.as_deref()?;
        let kind = ToolKind::of(name);
        let outcome = match self.event() {
            HookEvent::PreToolUse | HookEvent::PermissionRequest => None,
            HookEvent::PostToolUse => Some(success_outcome(
                dialect,
                kind,
                self.tool_response.as_ref().unwrap_or(&NULL),
            )),
            HookEvent::PostToolUseFailure => Some(failure_outcome(
                self.error.as_deref().unwrap_or(""),
                self.is_interrupt.unwrap_or(false),
            )),
            _ => return None,
        };
        Some(ToolCall {
            kind,
            name,
            tool_use_id: self.tool_use_id.as_deref(),
            input: self.tool_input.as_ref().unwrap_or(&NULL),
            outcome,
        })
    }

    /// The calls of a Claude PostToolBatch, each with the outcome its result text tells.
    pub fn batch_calls(&self) -> Vec<ToolCall<'_>> {
        self.tool_calls
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(BatchCall::tool_call)
            .collect()
    }
}

impl BatchCall {
    pub fn tool_call(&self) -> ToolCall<'_> {
        let kind = ToolKind::of(&self.tool_name);
        let text = response_text(&self.tool_response);
        let outcome = if let Some(inner) = text
            .strip_prefix("<tool_use_error>")
            .map(|rest| rest.strip_suffix("</tool_use_error>").unwrap_or(rest))
        {
            Outcome {
                error: Some(inner.to_owned()),
                ..Outcome::default()
            }
        } else if let Some((code, rest)) = split_exit_code(&text) {
            Outcome {
                output: rest.to_owned(),
                exit_code: Some(code),
                error: (code != 0).then(|| text.clone()),
                ..Outcome::default()
            }
        } else {
            Outcome {
                output: text,
                ..Outcome::default()
            }
        };
        ToolCall {
            kind,
            name: &self.tool_name,
            tool_use_id: self.tool_use_id.as_deref(),
            input: &self.tool_input,
            outcome: Some(outcome),
        }
    }
}

fn success_outcome(dialect: Dialect, kind: ToolKind, response: &Value) -> Outcome {
    match (dialect, response) {
        // Claude Bash: `{stdout, stderr, interrupted, …}`, no exit code; a grep/diff/test exit 1
        // arrives here with `returnCodeInterpretation`.
        (Dialect::Claude, Value::Object(map)) if map.contains_key("stdout") => {
            let stdout = map.get("stdout").and_then(Value::as_str).unwrap_or("");
            let stderr = map.get("stderr").and_then(Value::as_str).unwrap_or("");
            let interpretation = map
                .get("returnCodeInterpretation")
                .and_then(Value::as_str)
                .map(str::to_owned);
            Outcome {
                output: join_nonempty(stdout, stderr),
                exit_code: interpretation.is_none().then_some(0),
                interrupted: map.get("interrupted").and_then(Value::as_bool) == Some(true),
                interpretation,
                ..Outcome::default()
            }
        }
        // Codex apply_patch: `Exit code: 0\nWall time: …\nOutput:\n…`.
        (Dialect::Codex, Value::String(text)) if kind == ToolKind::Patch => {
            match codex_exec_header(text) {
                Some((code, output)) => Outcome {
                    output: output.to_owned(),
                    exit_code: Some(code),
                    ..Outcome::default()
                },
                None => Outcome {
                    output: text.clone(),
                    ..Outcome::default()
                },
            }
        }
        // MCP CallToolResult (both clients): `{content: [{type: text, text}], isError}`.
        (_, Value::Object(map)) if map.contains_key("content") && kind == ToolKind::Mcp => {
            let text = response_text(response);
            let is_error = map.get("isError").and_then(Value::as_bool) == Some(true);
            Outcome {
                error: is_error.then(|| text.clone()),
                output: text,
                ..Outcome::default()
            }
        }
        _ => Outcome {
            output: response_text(response),
            exit_code: (dialect == Dialect::Claude && kind == ToolKind::Shell).then_some(0),
            ..Outcome::default()
        },
    }
}

fn failure_outcome(error: &str, interrupted: bool) -> Outcome {
    let (exit_code, output) = match split_exit_code(error) {
        Some((code, rest)) => (Some(code), rest.to_owned()),
        None => (None, String::new()),
    };
    Outcome {
        output,
        exit_code,
        error: Some(error.to_owned()),
        interrupted,
        interpretation: None,
    }
}

/// Claude's `Exit code N\n<output>`.
fn split_exit_code(text: &str) -> Option<(i32, &str)> {
    let rest = text.strip_prefix("Exit code ")?;
    let (code, rest) = rest.split_once('\n').unwrap_or((rest, ""));
    Some((code.trim().parse().ok()?, rest))
}

/// Codex's `Exit code: N\nWall time: …\nOutput:\n<output>`.
fn codex_exec_header(text: &str) -> Option<(i32, &str)> {
    let rest = text.strip_prefix("Exit code: ")?;
    let (code, rest) = rest.split_once('\n')?;
    let output = rest.split_once("Output:\n").map_or("", |(_, out)| out);
    Some((code.trim().parse().ok()?, output))
}

/// The text of a response value: a string as is, MCP/Claude content blocks joined, a Read's
/// file content, stdout/stderr, else compact JSON.
fn response_text(response: &Value) -> String {
    match response {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Object(map) => {
            if let Some(content) = map.get("content") {
                if content.is_array() {
                    return response_text(content);
                }
            }
            if let Some(text) = map
                .get("file")
                .and_then(|f| f.get("content"))
                .and_then(Value::as_str)
            {
                return text.to_owned();
            }
            if let Some(stdout) = map.get("stdout").and_then(Value::as_str) {
                let stderr = map.get("stderr").and_then(Value::as_str).unwrap_or("");
                return join_nonempty(stdout, stderr);
            }
            response.to_string()
        }
        other => other.to_string(),
    }
}

fn join_nonempty(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (_, true) => a.to_owned(),
        (true, false) => b.to_owned(),
        (false, false) => format!("{a}\n{b}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_input;

    fn input(json: &str) -> HookInput {
        parse_input(json.as_bytes()).unwrap()
    }

    #[test]
    fn claude_failure_carries_the_exit_code() {
        let i = input(
            r#"{"session_id":"s","hook_event_name":"PostToolUseFailure","tool_name":"Bash",
                "tool_input":{"command":"exit 3"},"error":"Exit code 3\nout\nerr","is_interrupt":false}"#,
        );
        let call = i.tool_call(Dialect::Claude).unwrap();
        let outcome = call.outcome.unwrap();
        assert_eq!(outcome.exit_code, Some(3));
        assert_eq!(outcome.output, "out\nerr");
        assert_eq!(outcome.failed(), Some(true));
        assert_eq!(call.kind, ToolKind::Shell);
    }

    #[test]
    fn codex_shell_output_says_nothing_of_success() {
        let i = input(
            r#"{"session_id":"s","turn_id":"t","hook_event_name":"PostToolUse","tool_name":"Bash",
                "tool_input":{"command":"false"},"tool_response":"oops\n"}"#,
        );
        let outcome = i.tool_call(Dialect::Codex).unwrap().outcome.unwrap();
        assert_eq!(outcome.output, "oops\n");
        assert_eq!(outcome.failed(), None);
    }

    #[test]
    fn codex_patch_header_gives_exit_code_and_output() {
        let i = input(
            r#"{"session_id":"s","hook_event_name":"PostToolUse","tool_name":"apply_patch",
                "tool_input":{"command":"*** Begin Patch\n*** End Patch\n"},
                "tool_response":"Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nA hello.txt\n"}"#,
        );
        let call = i.tool_call(Dialect::Codex).unwrap();
        assert_eq!(
            call.args(),
            ToolArgs::Patch {
                patch: "*** Begin Patch\n*** End Patch\n"
            }
        );
        let outcome = call.outcome.unwrap();
        assert_eq!(outcome.exit_code, Some(0));
        assert!(outcome.output.starts_with("Success."));
    }

    #[test]
    fn batch_tool_use_error_is_an_error() {
        let i = input(
            r#"{"session_id":"s","hook_event_name":"PostToolBatch","tool_calls":[
                {"tool_name":"Edit","tool_input":{"file_path":"/a","old_string":"x","new_string":"y"},
                 "tool_use_id":"t1","tool_response":"<tool_use_error>String to replace not found in file.</tool_use_error>"},
                {"tool_name":"Bash","tool_input":{"command":"exit 1"},"tool_use_id":"t2","tool_response":"Exit code 1"},
                {"tool_name":"Bash","tool_input":{"command":"echo hi"},"tool_use_id":"t3","tool_response":"hi"}]}"#,
        );
        let calls = i.batch_calls();
        let edit = calls[0].outcome.as_ref().unwrap();
        assert_eq!(
            edit.error.as_deref(),
            Some("String to replace not found in file.")
        );
        assert_eq!(calls[1].outcome.as_ref().unwrap().exit_code, Some(1));
        assert_eq!(calls[2].outcome.as_ref().unwrap().failed(), None);
        assert_eq!(
            calls[0].args(),
            ToolArgs::Edit {
                file_path: "/a",
                replacements: vec![Replacement {
                    old_string: "x",
                    new_string: "y",
                    replace_all: false
                }],
            }
        );
    }

    #[test]
    fn fingerprint_ignores_key_order_and_description() {
        let a = input(
            r#"{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash",
                "tool_input":{"command":"ls","timeout":5,"description":"list"}}"#,
        );
        let b = input(
            r#"{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash",
                "tool_input":{"timeout":5,"command":"ls","description":"show files"}}"#,
        );
        let c = input(
            r#"{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash",
                "tool_input":{"command":"ls -a","timeout":5}}"#,
        );
        let fp = |i: &HookInput| i.tool_call(Dialect::Claude).unwrap().fingerprint();
        assert_eq!(fp(&a), fp(&b));
        assert_ne!(fp(&a), fp(&c));
        assert_eq!(fp(&a).len(), 16);
    }

    #[test]
    fn grep_exit_one_is_not_a_failure() {
        let i = input(
            r#"{"session_id":"s","prompt_id":"p","hook_event_name":"PostToolUse","tool_name":"Bash",
                "tool_input":{"command":"grep x f"},"tool_response":{"stdout":"","stderr":"",
                "interrupted":false,"returnCodeInterpretation":"No matches found"}}"#,
        );
        let outcome = i.tool_call(Dialect::Claude).unwrap().outcome.unwrap();
        assert_eq!(outcome.failed(), Some(false));
        assert_eq!(outcome.exit_code, None);
    }
}
