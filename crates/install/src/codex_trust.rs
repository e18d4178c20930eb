//! Codex runs a user hook only when the user's `config.toml` trusts it
//! (`[hooks.state."<key>"] trusted_hash = "sha256:<hex>"`), and skips untrusted hooks without
//! a word. The key and hash are computed here as `shared/protocols/codex.md` records them, and
//! [`hooks_list`] asks the real client (`codex app-server`, JSON-RPC `hooks/list`) for its own
//! answer, the version-proof check.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Codex's hook timeout, in seconds, when a handler names none.
const DEFAULT_TIMEOUT: u64 = 600;

/// One handler's trust entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustEntry {
    /// `<abs path of the file>:<event_snake_case>:<group index>:<handler index>`
    pub key: String,
    /// `sha256:<hex>`
    pub hash: String,
    /// The handler's command, to tell ours from the user's.
    pub command: String,
}

/// The trust entry of every handler in a hook tree (`{"hooks": {…}}`) registered in the file
/// at `path` (`hooks.json` or `config.toml`), in the file's order. The hash is sha256 of the
/// compact, key-sorted JSON of the handler's group holding only that handler, its timeout made
/// explicit and `async: false` unless set.
pub fn trust_entries(path: &Path, tree: &Value) -> Vec<TrustEntry> {
    let mut out = Vec::new();
    let Some(events) = tree.get("hooks").and_then(Value::as_object) else {
        return out;
    };
    for (event, groups) in events {
        let snake = snake_case(event);
        for (g, group) in groups.as_array().into_iter().flatten().enumerate() {
            let handlers = group.get("hooks").and_then(Value::as_array);
            for (h, handler) in handlers.into_iter().flatten().enumerate() {
                out.push(TrustEntry {
                    key: format!("{}:{snake}:{g}:{h}", path.display()),
                    hash: handler_hash(&snake, group.get("matcher"), handler),
                    command: handler
                        .get("command")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                });
            }
        }
    }
    out
}

fn handler_hash(event_snake: &str, matcher: Option<&Value>, handler: &Value) -> String {
    let mut entry = json!({
        "type": handler.get("type").cloned().unwrap_or(Value::Null),
        "command": handler.get("command").cloned().unwrap_or(Value::Null),
        "timeout": handler.get("timeout").and_then(Value::as_u64).unwrap_or(DEFAULT_TIMEOUT),
        "async": handler.get("async").and_then(Value::as_bool).unwrap_or(false),
    });
    for extra in ["statusMessage", "additionalContextLimit"] {
        if let Some(v) = handler.get(extra) {
            entry[extra] = v.clone();
        }
    }
    let mut identity = json!({"event_name": event_snake, "hooks": [entry]});
    if let Some(m) = matcher {
        identity["matcher"] = m.clone();
    }
    let digest = Sha256::digest(canonical_json(&identity).as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// `PostToolUse` -> `post_tool_use`.
pub fn snake_case(event: &str) -> String {
    let mut out = String::new();
    for (i, c) in event.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Compact JSON with object keys sorted at every level, whatever map serde_json was built with.
pub fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// One hook as `codex app-server` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedHook {
    pub key: String,
    pub current_hash: String,
    /// `trusted`, `untrusted`, `modified`, … as Codex says it.
    pub trust_status: String,
    pub command: String,
    pub enabled: bool,
}

/// Asks `codex app-server` (run as `codex`, with `codex_home` as `CODEX_HOME` when given, in
/// `cwd`) which hooks it would run and whether it trusts them. The server runs in a process
/// group of its own, killed as a whole when it has answered or `timeout` has passed.
pub fn hooks_list(
    codex: &Path,
    codex_home: Option<&Path>,
    cwd: &Path,
    timeout: Duration,
) -> Result<Vec<ListedHook>, String> {
    let mut command = Command::new(codex);
    command
        .arg("app-server")
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
    if let Some(home) = codex_home {
        command.env("CODEX_HOME", home);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not start {} app-server: {e}", codex.display()))?;
    let pgid = child.id();
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let request = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"clientInfo": {"name": "selfheal", "version": env!("CARGO_PKG_VERSION")}}}),
        json!({"jsonrpc": "2.0", "method": "initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "hooks/list", "params": {}}),
    ];
    let sent = request
        .iter()
        .try_for_each(|message| writeln!(stdin, "{message}"));
    let deadline = Instant::now() + timeout;
    let answer = match sent {
        Err(e) => Err(format!("codex app-server closed its input: {e}")),
        Ok(()) => loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                    if v["id"] == 2 {
                        break Ok(v);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    break Err(format!(
                        "codex app-server gave no hooks/list answer within {} s",
                        timeout.as_secs()
                    ))
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    break Err("codex app-server exited without a hooks/list answer".to_owned())
                }
            }
        },
    };
    drop(stdin);
    selfheal_run::signal_group(pgid, libc::SIGKILL);
    let _ = child.wait();
    let answer = answer?;
    let Some(result) = answer.get("result") else {
        return Err(format!("codex app-server hooks/list failed: {answer}"));
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Ok(result["data"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| d["hooks"].as_array().into_iter().flatten())
        .map(|h| ListedHook {
            key: text(h, "key"),
            current_hash: text(h, "currentHash"),
            trust_status: text(h, "trustStatus"),
            command: text(h, "command"),
            enabled: h["enabled"].as_bool().unwrap_or(false),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_file_event_group_and_handler() {
        let tree = json!({"hooks": {
        "PreToolUse": [{"hooks": [{"type": "command", "command": "a"}]}],
        "PostToolUse": [
            {"hooks": [{"type": "command", "command": "b", "timeout": 30}]},
            {"matcher": "apply_patch", "hooks": [
                {"type": "command", "command": "c", "timeout": 60},
                {"type": "command", "command": "d", "timeout": 60}]}
        ]}});
        let mut keys: Vec<String> = trust_entries(Path::new("/h/hooks.json"), &tree)
            .into_iter()
            .map(|e| e.key)
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "/h/hooks.json:post_tool_use:0:0",
                "/h/hooks.json:post_tool_use:1:0",
                "/h/hooks.json:post_tool_use:1:1",
                "/h/hooks.json:pre_tool_use:0:0",
            ]
        );
    }

    #[test]
    fn the_hash_covers_command_timeout_and_matcher() {
        let hash = |handler: Value, matcher: Option<Value>| {
            handler_hash("post_tool_use", matcher.as_ref(), &handler)
        };
        let base = hash(
            json!({"type": "command", "command": "x", "timeout": 30}),
            None,
        );
        assert!(
            base.starts_with("sha256:") && base.len() == 7 + 64,
            "{base}"
        );
        assert_ne!(
            base,
            hash(
                json!({"type": "command", "command": "y", "timeout": 30}),
                None
            )
        );
        assert_ne!(
            base,
            hash(
                json!({"type": "command", "command": "x", "timeout": 31}),
                None
            )
        );
        assert_ne!(
            base,
            hash(
                json!({"type": "command", "command": "x", "timeout": 30}),
                Some(json!("Bash"))
            )
        );
        // No timeout means Codex's default, made explicit.
        assert_eq!(
            hash(json!({"type": "command", "command": "x"}), None),
            hash(
                json!({"type": "command", "command": "x", "timeout": 600}),
                None
            )
        );
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = json!({"b": [{"d": 1, "c": "é"}], "a": null});
        assert_eq!(canonical_json(&v), r#"{"a":null,"b":[{"c":"é","d":1}]}"#);
    }
}
