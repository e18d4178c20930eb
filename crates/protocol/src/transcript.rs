//! What the client's transcript adds to a hook payload.
//!
//! Codex's PostToolUse gives a shell call's output text but no exit code. Its rollout
//! transcript (`transcript_path`, JSONL) already holds an `event_msg` / `item_completed`
//! record for the call when the hook runs, with `item.id` = the payload's `tool_use_id` and
//! `item.exit_code`; observed with 0.169.0 in 90 of 90 calls, including under CPU load
//! (a probe then; `tests/e2e/transcript.rs` checks it against the real client in every run).
//! The `function_call_output` record with
//! `Process exited with code N` is written only after the hook returns.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

/// How much of the transcript's end is read: the record is its last line at hook time, and
/// one record holds at most ~64 K characters of output (more once JSON-escaped).
const TAIL: u64 = 512 * 1024;
/// The transcript is written by a background task: if the record is not there yet, look
/// again a few times before giving up.
const RETRIES: u32 = 3;
const RETRY_WAIT: Duration = Duration::from_millis(25);

/// The exit code Codex recorded for the shell call `call_id`, if the transcript has it.
pub fn codex_exit_code(transcript: &Path, call_id: &str) -> Option<i32> {
    if call_id.is_empty() || !transcript.is_file() {
        return None;
    }
    for attempt in 0..=RETRIES {
        match find(transcript, call_id) {
            Found::Code(code) => return Some(code),
            Found::NoCode => return None,
            Found::Missing if attempt < RETRIES => std::thread::sleep(RETRY_WAIT),
            Found::Missing => {}
        }
    }
    None
}

enum Found {
    Code(i32),
    /// The call's record is there but carries no exit code (apply_patch).
    NoCode,
    Missing,
}

fn find(transcript: &Path, call_id: &str) -> Found {
    let Some(tail) = read_tail(transcript) else {
        return Found::Missing;
    };
    let needle = format!("\"id\":\"{call_id}\"");
    for line in tail.lines().rev() {
        if !line.contains("item_completed") || !line.contains(&needle) {
            continue;
        }
        let Ok(record) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let item = &record["payload"]["item"];
        if item["id"].as_str() != Some(call_id) {
            continue;
        }
        return match item["exit_code"].as_i64() {
            Some(code) => Found::Code(code as i32),
            None => Found::NoCode,
        };
    }
    Found::Missing
}

fn read_tail(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let start = len.saturating_sub(TAIL);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::with_capacity((len - start) as usize);
    file.read_to_end(&mut bytes).ok()?;
    // A cut first line is not a record.
    if start > 0 {
        let first = bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        bytes.drain(..first);
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn completed(id: &str, code: Option<i32>) -> String {
        let mut item = serde_json::json!({"type": "CommandExecution", "id": id, "status": "failed",
            "aggregated_output": "x\n"});
        if let Some(code) = code {
            item["exit_code"] = code.into();
        }
        serde_json::json!({"timestamp": "2026-11-21T19:51:29.724Z", "type": "event_msg",
            "payload": {"type": "item_completed", "item": item}})
        .to_string()
    }

    #[test]
    fn finds_the_calls_exit_code_in_the_tail() {
        let dir = std::env::temp_dir().join(format!("selfheal-transcript-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rollout.jsonl");
        let filler = format!(
            "{{\"type\":\"session_meta\",\"x\":\"{}\"}}",
            "a".repeat(700_000)
        );
        let lines = [
            filler,
            completed("c_one", Some(0)),
            completed("c_patch", None),
            completed("c_two", Some(3)),
        ];
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        assert_eq!(codex_exit_code(&path, "c_two"), Some(3));
        assert_eq!(codex_exit_code(&path, "c_one"), Some(0));
        assert_eq!(codex_exit_code(&path, "c_patch"), None);
        assert_eq!(codex_exit_code(&path, "c_absent"), None);
        assert_eq!(codex_exit_code(&dir.join("missing.jsonl"), "c_two"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
