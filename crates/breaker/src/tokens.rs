//! b_k: the tokens a session spent, read from the client's transcripts — incrementally, from
//! the byte offset where the last reading stopped, so that a long transcript costs only its
//! new lines.
//!
//! - Claude Code (JSONL): each assistant line's `message.usage`; input, cache creation, cache
//!   reads and output all count (every token the model processed). One message is written as
//!   several lines (one per content block), each repeating the message's usage: a message id
//!   is counted once, at its largest usage.
//! - Codex (rollout JSONL): `event_msg` records of type `token_count` carry the session's
//!   running total (`info.total_token_usage.total_tokens`, input including cached + output):
//!   the last one is the file's total.
//!
//! Counts are kept per file (a sub-agent writes its own) and added up for the session.

use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use selfheal_protocol::Dialect;
use selfheal_state::TranscriptRow;
use serde_json::Value;

/// At most this much is read per hook run; the rest waits for the next one.
const MAX_READ: u64 = 64 * 1024 * 1024;

/// A new reading of one transcript: store it only if the stored offset is still `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub from: u64,
    pub row: TranscriptRow,
}

/// Reads what `path` gained since `known` (the stored reading, if any). `None` when there is
/// nothing new, or the file cannot be read.
pub fn read(dialect: Dialect, path: &Path, known: Option<&TranscriptRow>) -> Option<Reading> {
    let name = path.to_string_lossy().into_owned();
    let from = known.map_or(0, |k| k.byte_offset);
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len == from {
        return None;
    }
    // A file shorter than what was read is another file now (rewritten): start over.
    let mut row = match known {
        Some(k) if len > from => k.clone(),
        _ => TranscriptRow {
            path: name,
            ..TranscriptRow::default()
        },
    };
    file.seek(SeekFrom::Start(row.byte_offset)).ok()?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut line = Vec::new();
    let mut read = 0u64;
    while read < MAX_READ {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).ok()?;
        // The end, or a line still being written: it is read next time, whole.
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        read += n as u64;
        match dialect {
            Dialect::Claude => claude_line(&line, &mut row),
            Dialect::Codex => codex_line(&line, &mut row),
        }
    }
    row.byte_offset += read;
    (row.byte_offset != from || known.is_none_or(|k| k != &row)).then_some(Reading { from, row })
}

fn claude_line(line: &[u8], row: &mut TranscriptRow) {
    if !contains(line, b"\"usage\"") {
        return;
    }
    let Ok(record) = serde_json::from_slice::<Value>(line) else {
        return;
    };
    if record["type"] != "assistant" {
        return;
    }
    let message = &record["message"];
    let usage = &message["usage"];
    let tokens: u64 = [
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
    ]
    .iter()
    .filter_map(|k| usage[*k].as_u64())
    .sum();
    match message["id"].as_str() {
        Some(id) if row.last_message.as_deref() == Some(id) => {
            if tokens > row.last_message_tokens {
                row.tokens += tokens - row.last_message_tokens;
                row.last_message_tokens = tokens;
            }
        }
        id => {
            row.tokens += tokens;
            row.last_message = id.map(str::to_owned);
            row.last_message_tokens = tokens;
        }
    }
}

fn codex_line(line: &[u8], row: &mut TranscriptRow) {
    if !contains(line, b"token_count") {
        return;
    }
    let Ok(record) = serde_json::from_slice::<Value>(line) else {
        return;
    };
    let payload = &record["payload"];
    if payload["type"] != "token_count" {
        return;
    }
    let total = &payload["info"]["total_token_usage"];
    let tokens = total["total_tokens"].as_u64().or_else(|| {
        let input = total["input_tokens"].as_u64()?;
        Some(input + total["output_tokens"].as_u64().unwrap_or(0))
    });
    if let Some(tokens) = tokens {
        row.tokens = tokens;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tmp(std::path::PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    fn tmp(name: &str) -> Tmp {
        Tmp(std::env::temp_dir().join(format!(
            "selfheal-tokens-{name}-{}.jsonl",
            std::process::id()
        )))
    }
    fn append(path: &Path, text: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }
    fn claude(id: &str, input: u64, output: u64) -> String {
        format!(
            "{}\n",
            serde_json::json!({"type": "assistant", "message": {"id": id, "role": "assistant",
                "usage": {"input_tokens": input, "cache_creation_input_tokens": 10,
                "cache_read_input_tokens": 5, "output_tokens": output}}})
        )
    }
    fn codex(total: u64) -> String {
        format!(
            "{}\n",
            serde_json::json!({"timestamp": "2026-11-21T19:51:29.724Z", "type": "event_msg",
                "payload": {"type": "token_count", "info": {"total_token_usage": {
                "input_tokens": total - 7, "cached_input_tokens": 3, "output_tokens": 7,
                "reasoning_output_tokens": 0, "total_tokens": total}}}})
        )
    }

    #[test]
    fn claude_messages_count_once_and_reading_goes_on_from_the_offset() {
        let t = tmp("claude");
        append(
            &t.0,
            "{\"type\":\"user\",\"message\":{\"content\":\"hi\"}}\n",
        );
        // Two lines of one message: counted once, at the larger usage.
        append(&t.0, &claude("msg_1", 100, 1));
        append(&t.0, &claude("msg_1", 100, 20));
        let first = read(Dialect::Claude, &t.0, None).unwrap();
        assert_eq!(first.from, 0);
        assert_eq!(first.row.tokens, 135);
        assert_eq!(
            first.row.byte_offset,
            std::fs::metadata(&t.0).unwrap().len()
        );
        assert!(read(Dialect::Claude, &t.0, Some(&first.row)).is_none());
        // The same message goes on past the offset; then a new one, and half a line.
        append(&t.0, &claude("msg_1", 100, 30));
        append(&t.0, &claude("msg_2", 200, 50));
        append(&t.0, "{\"type\":\"assistant\",\"mess");
        let second = read(Dialect::Claude, &t.0, Some(&first.row)).unwrap();
        assert_eq!(second.from, first.row.byte_offset);
        assert_eq!(second.row.tokens, 145 + 265);
        assert!(second.row.byte_offset < std::fs::metadata(&t.0).unwrap().len());
    }

    #[test]
    fn codex_keeps_the_last_running_total() {
        let t = tmp("codex");
        append(&t.0, "{\"type\":\"session_meta\",\"payload\":{}}\n");
        append(&t.0, &codex(1000));
        append(&t.0, &codex(2500));
        append(
            &t.0,
            "{\"type\":\"event_msg\",\"payload\":{\"type\":\"token_count\",\"info\":null}}\n",
        );
        let first = read(Dialect::Codex, &t.0, None).unwrap();
        assert_eq!(first.row.tokens, 2500);
        append(&t.0, &codex(4000));
        let second = read(Dialect::Codex, &t.0, Some(&first.row)).unwrap();
        assert_eq!(second.row.tokens, 4000);
    }

    #[test]
    fn a_shorter_file_is_read_again_from_the_start() {
        let t = tmp("shrunk");
        append(&t.0, &claude("a", 1000, 0));
        append(&t.0, &claude("b", 1000, 0));
        let first = read(Dialect::Claude, &t.0, None).unwrap();
        std::fs::write(&t.0, claude("c", 5, 0)).unwrap();
        let again = read(Dialect::Claude, &t.0, Some(&first.row)).unwrap();
        assert_eq!(again.from, first.row.byte_offset);
        assert_eq!(again.row.tokens, 20);
        assert!(read(Dialect::Claude, Path::new("/nonexistent/t.jsonl"), None).is_none());
    }
}
