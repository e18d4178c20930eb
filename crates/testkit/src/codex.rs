//! Codex CLI: `$CODEX_HOME/config.toml` pointing at the scripted model, our hooks registered
//! from `profiles/codex/hooks.json` as a user copies it, each handler trusted by its hash.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::run::workspace_root;

/// Codex's default hook timeout, in seconds, when a handler names none.
const DEFAULT_TIMEOUT: u64 = 600;

pub fn setup(codex_home: &Path, hooks_dir: &Path, port: u16) {
    let profile = workspace_root().join("profiles/codex/hooks.json");
    let mut hooks: Value = serde_json::from_str(&fs::read_to_string(&profile).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", profile.display()));
    crate::absolutize_commands(&mut hooks, hooks_dir);
    let hooks_json = codex_home.join("hooks.json");
    fs::write(&hooks_json, serde_json::to_string_pretty(&hooks).unwrap()).unwrap();

    let mut config = format!(
        r#"model = "gpt-5.5"
model_provider = "mock"
sandbox_mode = "danger-full-access"
approval_policy = "never"

[model_providers.mock]
name = "mock"
base_url = "http://127.0.0.1:{port}/v1"
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = 0
"#
    );
    for (key, hash) in trust_entries(&hooks_json, &hooks) {
        write!(
            config,
            "\n[hooks.state.{}]\ntrusted_hash = {}\n",
            toml_string(&key),
            toml_string(&hash)
        )
        .unwrap();
    }
    fs::write(codex_home.join("config.toml"), config).unwrap();
}

pub fn command(command: &mut Command, codex_home: &Path, prompt: &str) {
    command
        .env("CODEX_HOME", codex_home)
        .env("MOCK_API_KEY", "dummy-key")
        .args(["exec", "--skip-git-repo-check", "--json", prompt]);
}

/// `(key, "sha256:<hex>")` for every handler of a hooks file at `path`: what Codex checks
/// before it runs a user hook (`[hooks.state."<key>"] trusted_hash`). The key is
/// `<abs path>:<event_snake_case>:<group index>:<handler index>`; the hash is sha256 of the
/// compact, key-sorted JSON of the handler's group with that one handler, its timeout made
/// explicit and `async: false`.
pub fn trust_entries(path: &Path, hooks: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let events = hooks["hooks"]
        .as_object()
        .expect("hooks.hooks is an object");
    for (event, groups) in events {
        let snake = snake_case(event);
        for (g, group) in groups.as_array().expect("groups").iter().enumerate() {
            for (h, handler) in group["hooks"]
                .as_array()
                .expect("handlers")
                .iter()
                .enumerate()
            {
                let mut entry = json!({
                    "type": handler["type"],
                    "command": handler["command"],
                    "timeout": handler["timeout"].as_u64().unwrap_or(DEFAULT_TIMEOUT),
                    "async": handler.get("async").and_then(Value::as_bool).unwrap_or(false),
                });
                for extra in ["statusMessage", "additionalContextLimit"] {
                    if let Some(v) = handler.get(extra) {
                        entry[extra] = v.clone();
                    }
                }
                let mut identity = json!({"event_name": snake, "hooks": [entry]});
                if let Some(m) = group.get("matcher") {
                    identity["matcher"] = m.clone();
                }
                let digest = Sha256::digest(canonical_json(&identity).as_bytes());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                out.push((
                    format!("{}:{snake}:{g}:{h}", path.display()),
                    format!("sha256:{hex}"),
                ));
            }
        }
    }
    out
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

/// A TOML basic string (JSON string escapes are valid TOML ones for what we write).
fn toml_string(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// What `codex app-server` reports for the hooks of a Codex home set up by [`setup`]: its
/// JSON-RPC `hooks/list` result (`data[].hooks[]` with `key`, `currentHash`, `trustStatus`),
/// the version-proof view of which hooks Codex will run. The server runs in its own process
/// group, killed as a whole when done or after `timeout`.
pub fn hooks_list(codex_home: &Path, cwd: &Path, timeout: std::time::Duration) -> Value {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;

    let exe = crate::Client::Codex.executable();
    let mut child = Command::new(&exe)
        .arg("app-server")
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", codex_home.parent().unwrap_or(codex_home))
        .env("CODEX_HOME", codex_home)
        .env("MOCK_API_KEY", "dummy-key")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {} app-server: {e}", exe.display()));
    let pgid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    for message in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"clientInfo": {"name": "selfheal-e2e", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "hooks/list", "params": {}}),
    ] {
        writeln!(stdin, "{message}").expect("write to app-server");
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + timeout;
    let mut seen = Vec::new();
    let result = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                if v["id"] == 2 {
                    break Some(v);
                }
                seen.push(line);
            }
            Err(_) => break None,
        }
    };
    drop(stdin);
    crate::run::kill_group(pgid);
    let _ = child.wait();
    match result {
        Some(v) if v.get("result").is_some() => v["result"].clone(),
        Some(v) => panic!("app-server hooks/list failed: {v}"),
        None => panic!("no hooks/list answer from app-server within {timeout:?}; it said {seen:?}"),
    }
}
