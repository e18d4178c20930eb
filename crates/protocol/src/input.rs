use std::fmt;
use std::io::Read;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::event::HookEvent;

/// Hook stdin larger than this is refused before parsing. Real payloads are far smaller
/// (Claude cuts tool output at 30,000 characters); the cap only bounds memory.
pub const STDIN_CAP: usize = 16 * 1024 * 1024;

/// Why a hook's stdin could not be turned into a [`HookInput`].
#[derive(Debug)]
pub enum InputError {
    Io(std::io::Error),
    Empty,
    TooLarge { cap: usize },
    NotUtf8 { valid_up_to: usize },
    NotJson(serde_json::Error),
    WrongShape(serde_json::Error),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Io(e) => write!(f, "could not read stdin: {e}"),
            InputError::Empty => f.write_str("stdin was empty; expected one hook payload (JSON)"),
            InputError::TooLarge { cap } => {
                write!(
                    f,
                    "stdin is larger than {} MiB; payload ignored",
                    cap / (1024 * 1024)
                )
            }
            InputError::NotUtf8 { valid_up_to } => {
                write!(f, "stdin is not valid UTF-8 (at byte {valid_up_to})")
            }
            InputError::NotJson(e) => write!(f, "stdin is not JSON: {e}"),
            InputError::WrongShape(e) => write!(f, "stdin is not a hook payload: {e}"),
        }
    }
}

impl std::error::Error for InputError {}

/// Reads at most `cap` bytes; more than that is an error, not a silent truncation.
pub fn read_capped(reader: impl Read, cap: usize) -> Result<Vec<u8>, InputError> {
    let mut buf = Vec::new();
    reader
        .take(cap as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(InputError::Io)?;
    if buf.len() > cap {
        return Err(InputError::TooLarge { cap });
    }
    Ok(buf)
}

/// Parses one hook payload. Only `session_id` and `hook_event_name` are required.
pub fn parse_input(bytes: &[u8]) -> Result<HookInput, InputError> {
    let text = std::str::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(InputError::Empty);
    }
    let value: Value = serde_json::from_str(text).map_err(InputError::NotJson)?;
    serde_json::from_value(value).map_err(InputError::WrongShape)
}

/// The stdin of any hook event of either client. Lenient: unknown fields are ignored, and an
/// optional field that is missing, null or of an unexpected type reads as `None`, so that a
/// new client version adding or retyping a field does not switch the suite off.
#[derive(Debug, Clone, Deserialize)]
pub struct HookInput {
    pub session_id: String,
    pub hook_event_name: String,
    #[serde(default, deserialize_with = "lenient")]
    pub transcript_path: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub cwd: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub permission_mode: Option<String>,

    /// Codex: every event inside a turn.
    #[serde(default, deserialize_with = "lenient")]
    pub turn_id: Option<String>,
    /// Codex: every event but SessionEnd; Claude: SessionStart after a compaction.
    #[serde(default, deserialize_with = "lenient")]
    pub model: Option<String>,
    /// Claude.
    #[serde(default, deserialize_with = "lenient")]
    pub prompt_id: Option<String>,
    /// Claude: `{"level": "medium"}`.
    #[serde(default)]
    pub effort: Option<Value>,

    /// Inside a sub-agent (Claude), or Subagent* events (both).
    #[serde(default, deserialize_with = "lenient")]
    pub agent_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub agent_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub agent_transcript_path: Option<String>,

    #[serde(default, deserialize_with = "lenient")]
    pub tool_name: Option<String>,
    #[serde(default)]
    pub tool_input: Option<Value>,
    #[serde(default, deserialize_with = "lenient")]
    pub tool_use_id: Option<String>,
    /// Claude: an object per tool; Codex: the output text (an object for MCP tools).
    #[serde(default)]
    pub tool_response: Option<Value>,
    /// Claude PostToolUseFailure (`Exit code N\n…`) and StopFailure (an error kind).
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub is_interrupt: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub duration_ms: Option<f64>,
    /// Claude PostToolBatch.
    #[serde(default, deserialize_with = "lenient")]
    pub tool_calls: Option<Vec<BatchCall>>,

    #[serde(default, deserialize_with = "lenient")]
    pub stop_hook_active: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub last_assistant_message: Option<String>,
    #[serde(default)]
    pub background_tasks: Option<Value>,

    /// SessionStart: startup / resume / compact (/ clear / fork).
    #[serde(default, deserialize_with = "lenient")]
    pub source: Option<String>,
    /// SessionEnd.
    #[serde(default, deserialize_with = "lenient")]
    pub reason: Option<String>,
    /// UserPromptSubmit.
    #[serde(default, deserialize_with = "lenient")]
    pub prompt: Option<String>,
    /// PreCompact / PostCompact.
    #[serde(default, deserialize_with = "lenient")]
    pub trigger: Option<String>,
}

/// One call of a Claude PostToolBatch: `tool_response` is the text the model sees.
#[derive(Debug, Clone, Deserialize)]
pub struct BatchCall {
    pub tool_name: String,
    #[serde(default)]
    pub tool_input: Value,
    #[serde(default, deserialize_with = "lenient")]
    pub tool_use_id: Option<String>,
    #[serde(default)]
    pub tool_response: Value,
}

impl HookInput {
    pub fn event(&self) -> HookEvent {
        HookEvent::from_name(&self.hook_event_name)
    }
}

fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_payload_parses_and_extra_fields_are_ignored() {
        let input =
            parse_input(br#"{"session_id":"s","hook_event_name":"Stop","new_field":[1]}"#).unwrap();
        assert_eq!(input.session_id, "s");
        assert_eq!(input.event(), HookEvent::Stop);
        assert_eq!(input.stop_hook_active, None);
    }

    #[test]
    fn a_retyped_optional_field_reads_as_none() {
        let input = parse_input(
            br#"{"session_id":"s","hook_event_name":"Stop","stop_hook_active":"yes","duration_ms":"12"}"#,
        )
        .unwrap();
        assert_eq!(input.stop_hook_active, None);
        assert_eq!(input.duration_ms, None);
    }

    #[test]
    fn bad_input_is_told_apart() {
        assert!(matches!(parse_input(b" \n"), Err(InputError::Empty)));
        assert!(matches!(parse_input(b"{nope"), Err(InputError::NotJson(_))));
        assert!(matches!(
            parse_input(b"[1,2]"),
            Err(InputError::WrongShape(_))
        ));
        assert!(matches!(
            parse_input(br#"{"session_id":1,"hook_event_name":"Stop"}"#),
            Err(InputError::WrongShape(_))
        ));
        assert!(matches!(
            parse_input(b"{\"a\":\"\xff\"}"),
            Err(InputError::NotUtf8 { .. })
        ));
    }

    #[test]
    fn stdin_over_the_cap_is_refused() {
        let data = [b' '; 11];
        assert!(matches!(
            read_capped(&data[..], 10),
            Err(InputError::TooLarge { cap: 10 })
        ));
        assert_eq!(read_capped(&data[..10], 10).unwrap().len(), 10);
    }
}
