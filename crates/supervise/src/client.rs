//! The two clients: how each is started for one attempt, how the hooks are registered for
//! this run only, and what its streamed JSON output says.
//!
//! Run-scoped registration, chosen after trying both on the real clients:
//! - **Claude Code**: `--settings <run dir>/claude-settings.json` holding the hook tree
//!   (`registration::hooks`, absolute paths). Nothing of the user's settings is changed.
//! - **Codex CLI**: `-c hooks.<Event>=[…]` overrides, which Codex loads as a "session flags"
//!   layer (key `/<session-flags>/config.toml:<event>:<group>:<handler>`), plus one
//!   `-c hooks.state={"<key>"={trusted_hash="sha256:…"}, …}` that trusts exactly those
//!   handlers by hash. The trust override merges with the user's own `[hooks.state]` (their
//!   trusted hooks stay trusted, their untrusted ones stay skipped): neither
//!   `--dangerously-bypass-hook-trust` (which would run every untrusted hook) nor a copied
//!   `CODEX_HOME` (auth, history and sessions elsewhere) is needed. (A dotted
//!   `-c hooks.state."<key>".trusted_hash=…` does not work: the key holds dots.)
//!
//! Either way the hooks find the run's `[scope]` and `[verify]` through `SELFHEAL_CONFIG`,
//! set in the client's environment (see `runconfig`).

use std::path::{Path, PathBuf};

use selfheal_install::{codex_trust, registration};
use selfheal_protocol::Dialect;
use serde_json::Value;

/// The hooks' trust key prefix for `-c` overrides, as `codex app-server` lists it.
pub const CODEX_SESSION_FLAGS: &str = "/<session-flags>/config.toml";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agent {
    Claude,
    Codex,
}

impl Agent {
    pub fn parse(name: &str) -> Option<Agent> {
        match name {
            "claude" => Some(Agent::Claude),
            "codex" => Some(Agent::Codex),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
        }
    }

    pub fn dialect(self) -> Dialect {
        match self {
            Agent::Claude => Dialect::Claude,
            Agent::Codex => Dialect::Codex,
        }
    }

    /// The environment variable that names the client's executable.
    pub fn bin_env(self) -> &'static str {
        match self {
            Agent::Claude => "SELFHEAL_CLAUDE_BIN",
            Agent::Codex => "SELFHEAL_CODEX_BIN",
        }
    }
}

/// The client's arguments for one attempt, the prompt last. `registration` is the Claude
/// settings file or the Codex `-c` overrides (from [`codex_overrides`]).
pub fn args(
    agent: Agent,
    registration: &Registration,
    extra: &[String],
    prompt: &str,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    match (agent, registration) {
        (Agent::Claude, Registration::ClaudeSettings(file)) => {
            out.extend(["-p", "--output-format", "stream-json", "--verbose"].map(String::from));
            out.push("--settings".into());
            out.push(file.display().to_string());
        }
        (Agent::Codex, Registration::CodexOverrides(overrides)) => {
            out.extend(["exec", "--json"].map(String::from));
            for o in overrides {
                out.push("-c".into());
                out.push(o.clone());
            }
        }
        (Agent::Claude, Registration::Installed) => {
            out.extend(["-p", "--output-format", "stream-json", "--verbose"].map(String::from));
        }
        (Agent::Codex, Registration::Installed) => out.extend(["exec", "--json"].map(String::from)),
        _ => unreachable!("registration made for the agent"),
    }
    out.extend(extra.iter().cloned());
    // A prompt that starts with '-' would read as an option.
    if prompt.starts_with('-') {
        out.push(format!(" {prompt}"));
    } else {
        out.push(prompt.to_owned());
    }
    out
}

pub enum Registration {
    ClaudeSettings(PathBuf),
    CodexOverrides(Vec<String>),
    /// The user's own registration already runs the whole suite.
    Installed,
}

/// The Claude Code settings file content: the hook tree.
pub fn claude_settings(bindir: &Path) -> Value {
    registration::hooks(Dialect::Claude, bindir)
}

/// `hooks.<Event>=[…]` for every event of the tree, then the `hooks.state={…}` that trusts
/// each handler, TOML values for `codex -c`.
pub fn codex_overrides(bindir: &Path) -> Vec<String> {
    let tree = registration::hooks(Dialect::Codex, bindir);
    let mut out = Vec::new();
    if let Some(events) = tree["hooks"].as_object() {
        for (event, groups) in events {
            out.push(format!("hooks.{event}={}", toml_inline(groups)));
        }
    }
    let trust: Vec<String> = codex_trust::trust_entries(Path::new(CODEX_SESSION_FLAGS), &tree)
        .into_iter()
        .map(|e| {
            format!(
                "{}={{trusted_hash={}}}",
                Value::String(e.key),
                Value::String(e.hash)
            )
        })
        .collect();
    out.push(format!("hooks.state={{{}}}", trust.join(",")));
    out
}

/// A JSON value as a TOML inline value (JSON string escapes are valid TOML basic-string
/// escapes; objects become inline tables with quoted keys).
pub fn toml_inline(v: &Value) -> String {
    match v {
        Value::Null => "\"\"".to_owned(),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => v.to_string(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(toml_inline).collect();
            format!("[{}]", items.join(","))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}={}", Value::String(k.clone()), toml_inline(v)))
                .collect();
            format!("{{{}}}", items.join(","))
        }
    }
}

/// What the client's streamed output said so far.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    pub session_id: Option<String>,
    pub messages: Vec<String>,
    pub actions: Vec<String>,
    pub errors: Vec<String>,
    /// The latest thing the agent did or said, for the progress line.
    pub last: Option<String>,
}

impl Stream {
    /// Takes one line of the client's stdout (`claude --output-format stream-json`,
    /// `codex exec --json`); anything that is not such an event is ignored.
    pub fn feed(&mut self, agent: Agent, line: &str) {
        let Ok(v) = serde_json::from_str::<Value>(line.trim()) else {
            return;
        };
        match agent {
            Agent::Claude => self.claude(&v),
            Agent::Codex => self.codex(&v),
        }
    }

    fn claude(&mut self, v: &Value) {
        if self.session_id.is_none() {
            if let Some(id) = v["session_id"].as_str() {
                self.session_id = Some(id.to_owned());
            }
        }
        match v["type"].as_str() {
            Some("assistant") => {
                for block in v["message"]["content"].as_array().into_iter().flatten() {
                    match block["type"].as_str() {
                        Some("text") => {
                            let text = block["text"].as_str().unwrap_or("").to_owned();
                            if !text.trim().is_empty() {
                                self.last = Some(format!("said: {}", short(&text)));
                                self.messages.push(text);
                            }
                        }
                        Some("tool_use") => {
                            let name = block["name"].as_str().unwrap_or("tool");
                            let input = &block["input"];
                            let detail = ["command", "file_path", "path", "pattern", "url"]
                                .iter()
                                .find_map(|k| input[*k].as_str())
                                .map(str::to_owned)
                                .unwrap_or_else(|| input.to_string());
                            self.action(format!("{name}: {detail}"));
                        }
                        _ => {}
                    }
                }
            }
            Some("result") if v["is_error"] == true => {
                let text = v["result"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| v["subtype"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| "error".to_owned());
                self.errors.push(text);
            }
            _ => {}
        }
    }

    fn codex(&mut self, v: &Value) {
        match v["type"].as_str() {
            Some("thread.started") => {
                self.session_id = v["thread_id"].as_str().map(str::to_owned);
            }
            Some("item.started") if v["item"]["type"] == "command_execution" => {
                self.last = v["item"]["command"]
                    .as_str()
                    .map(|c| format!("shell: {}", short(c)));
            }
            Some("item.completed") => {
                let item = &v["item"];
                match item["type"].as_str() {
                    Some("agent_message") => {
                        let text = item["text"].as_str().unwrap_or("").to_owned();
                        if !text.trim().is_empty() {
                            self.last = Some(format!("said: {}", short(&text)));
                            self.messages.push(text);
                        }
                    }
                    Some("command_execution") => {
                        let cmd = item["command"].as_str().unwrap_or("");
                        self.action(format!("shell: {cmd}"));
                    }
                    Some("file_change") => {
                        let paths: Vec<&str> = item["changes"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|c| c["path"].as_str())
                            .collect();
                        self.action(format!("apply_patch: {}", paths.join(", ")));
                    }
                    Some("mcp_tool_call") => {
                        let tool = item["tool"].as_str().unwrap_or("mcp");
                        self.action(format!("mcp: {tool}"));
                    }
                    Some("error") => {
                        if let Some(m) = item["message"].as_str() {
                            self.errors.push(m.to_owned());
                        }
                    }
                    _ => {}
                }
            }
            Some("turn.failed") => {
                let m = v["error"]["message"].as_str().unwrap_or("turn failed");
                self.errors.push(m.to_owned());
            }
            Some("error") => {
                let m = v["message"].as_str().unwrap_or("error");
                self.errors.push(m.to_owned());
            }
            _ => {}
        }
    }

    fn action(&mut self, a: String) {
        self.last = Some(short(&a));
        self.actions.push(a);
    }
}

/// One line of at most 80 characters.
pub fn short(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(79).collect::<String>())
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_stream_json() {
        let mut s = Stream::default();
        for line in [
            r#"{"type":"system","subtype":"init","session_id":"abc-1","tools":[]}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"t","name":"Bash","input":{"command":"cargo test"}}]},"session_id":"abc-1"}"#,
            r#"{"type":"result","subtype":"success","is_error":true,"result":"API Error: 429 rate limited","session_id":"abc-1"}"#,
            "not json",
        ] {
            s.feed(Agent::Claude, line);
        }
        assert_eq!(s.session_id.as_deref(), Some("abc-1"));
        assert_eq!(s.messages, ["Let me look."]);
        assert_eq!(s.actions, ["Bash: cargo test"]);
        assert_eq!(s.errors, ["API Error: 429 rate limited"]);
    }

    #[test]
    fn codex_exec_json() {
        let mut s = Stream::default();
        for line in [
            r#"{"type":"thread.started","thread_id":"019a-t"}"#,
            r#"{"type":"item.started","item":{"id":"i0","type":"command_execution","command":"bash -lc ls","status":"in_progress"}}"#,
            r#"{"type":"item.completed","item":{"id":"i0","type":"command_execution","command":"bash -lc ls","exit_code":0}}"#,
            r#"{"type":"item.completed","item":{"id":"i1","type":"agent_message","text":"Done."}}"#,
            r#"{"type":"turn.failed","error":{"message":"unexpected status 429 Too Many Requests"}}"#,
        ] {
            s.feed(Agent::Codex, line);
        }
        assert_eq!(s.session_id.as_deref(), Some("019a-t"));
        assert_eq!(s.actions, ["shell: bash -lc ls"]);
        assert_eq!(s.messages, ["Done."]);
        assert_eq!(s.errors.len(), 1);
    }

    #[test]
    fn codex_overrides_register_and_trust_every_handler() {
        let o = codex_overrides(Path::new("/opt/sh bin"));
        let state = o.last().unwrap();
        assert!(state.starts_with("hooks.state={\"/<session-flags>/config.toml:"));
        let handlers = o[..o.len() - 1]
            .iter()
            .map(|e| e.matches("\"command\"=").count())
            .sum::<usize>();
        assert_eq!(state.matches("trusted_hash=\"sha256:").count(), handlers);
        assert!(o.iter().any(|e| e.starts_with("hooks.PreToolUse=[")));
        assert!(o[0].contains(r#""command"="'/opt/sh bin/"#), "{}", o[0]);
    }

    #[test]
    fn toml_inline_values() {
        let v = serde_json::json!({"a": [1, true, "x\"y"], "b c": {"d": null}});
        assert_eq!(toml_inline(&v), r#"{"a"=[1,true,"x\"y"],"b c"={"d"=""}}"#);
    }

    #[test]
    fn arguments_end_with_the_prompt() {
        let reg = Registration::ClaudeSettings(PathBuf::from("/r/s.json"));
        let a = args(
            Agent::Claude,
            &reg,
            &["--model".into(), "x".into()],
            "-do it",
        );
        assert_eq!(a[0], "-p");
        assert!(a.windows(2).any(|w| w == ["--settings", "/r/s.json"]));
        assert_eq!(a.last().unwrap(), " -do it");
        let reg = Registration::CodexOverrides(vec!["hooks.state={}".into()]);
        let a = args(Agent::Codex, &reg, &[], "go");
        assert_eq!(a, ["exec", "--json", "-c", "hooks.state={}", "go"]);
    }
}
