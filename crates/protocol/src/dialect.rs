use std::fmt;
use std::str::FromStr;

use crate::event::HookEvent;
use crate::input::HookInput;

/// Which client sent the payload, and so which output format it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Claude,
    Codex,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Claude => "claude",
            Dialect::Codex => "codex",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDialectError(pub String);

impl fmt::Display for ParseDialectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown dialect '{}' (expected claude or codex)", self.0)
    }
}

impl std::error::Error for ParseDialectError {}

impl FromStr for Dialect {
    type Err = ParseDialectError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "claude" => Ok(Dialect::Claude),
            "codex" => Ok(Dialect::Codex),
            other => Err(ParseDialectError(other.to_owned())),
        }
    }
}

/// Tells the client from the payload first and the environment last: the environment leaks
/// (Codex started from a Claude Code shell inherits `CLAUDECODE=1`), the payload does not.
/// `env` looks a variable up, so that tests can pass an empty environment.
pub fn detect_dialect(input: &HookInput, env: impl Fn(&str) -> Option<String>) -> Dialect {
    if let Some(dialect) = from_payload(input) {
        return dialect;
    }
    if env("CLAUDECODE").is_some_and(|v| v == "1") || env("CLAUDE_PROJECT_DIR").is_some() {
        return Dialect::Claude;
    }
    if env("CODEX_HOME").is_some() || env("CODEX_THREAD_ID").is_some() {
        return Dialect::Codex;
    }
    // Claude's events are a superset of Codex's, so an unknown payload is more likely Claude's.
    Dialect::Claude
}

fn from_payload(input: &HookInput) -> Option<Dialect> {
    // Fields only Claude sends, then `turn_id`, which Codex sends inside a turn and Claude only
    // on MessageDisplay (with `prompt_id` beside it).
    if input.prompt_id.is_some()
        || input.effort.is_some()
        || input.tool_calls.is_some()
        || input.is_interrupt.is_some()
        || input.duration_ms.is_some()
    {
        return Some(Dialect::Claude);
    }
    if input.turn_id.is_some() {
        return Some(Dialect::Codex);
    }
    // Events only one client sends.
    match input.event() {
        HookEvent::PostToolUseFailure
        | HookEvent::PostToolBatch
        | HookEvent::StopFailure
        | HookEvent::Other(_) => return Some(Dialect::Claude),
        HookEvent::Interrupt => return Some(Dialect::Codex),
        _ => {}
    }
    // Where each keeps its transcripts: Claude `~/.claude/projects/<slug>/<id>.jsonl`,
    // Codex `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-….jsonl`.
    if let Some(path) = input.transcript_path.as_deref() {
        let file = path.rsplit('/').next().unwrap_or(path);
        if file.starts_with("rollout-") || path.contains("/sessions/") {
            return Some(Dialect::Codex);
        }
        if path.contains("/projects/") {
            return Some(Dialect::Claude);
        }
    }
    // Codex sends `model` on every event but SessionEnd; Claude only on a compact SessionStart.
    if input.model.is_some() && input.source.as_deref() != Some("compact") {
        return Some(Dialect::Codex);
    }
    // A Claude tool response is an object with a shape per tool; Codex's is the output text.
    if let Some(response) = &input.tool_response {
        if input
            .tool_name
            .as_deref()
            .is_some_and(|t| !t.starts_with("mcp__"))
        {
            return Some(if response.is_string() {
                Dialect::Codex
            } else {
                Dialect::Claude
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_input;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn payload_wins_over_a_leaked_environment() {
        let input = parse_input(
            br#"{"session_id":"s","turn_id":"t","hook_event_name":"Stop","model":"gpt-5.5"}"#,
        )
        .unwrap();
        let claude_env = |k: &str| (k == "CLAUDECODE").then(|| "1".to_owned());
        assert_eq!(detect_dialect(&input, claude_env), Dialect::Codex);
    }

    #[test]
    fn environment_decides_a_bare_payload() {
        let input = parse_input(br#"{"session_id":"s","hook_event_name":"Stop"}"#).unwrap();
        let codex_env = |k: &str| (k == "CODEX_HOME").then(|| "/x".to_owned());
        assert_eq!(detect_dialect(&input, codex_env), Dialect::Codex);
        assert_eq!(detect_dialect(&input, no_env), Dialect::Claude);
    }

    #[test]
    fn dialect_names_round_trip() {
        for d in [Dialect::Claude, Dialect::Codex] {
            assert_eq!(d.as_str().parse::<Dialect>().unwrap(), d);
        }
        assert!("gemini".parse::<Dialect>().is_err());
    }
}
