#!/usr/bin/env bash
# patch-verifier latency, including its SQLite transaction, as a ratio to a minimal Rust hook
# measured in the same run (target: p50 within 2.5x), and verifying an edit of a 10,000-line
# file in-process (target: under 5 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p selfheal-verify --example verify-bench
source scripts/bench-common.sh
mkdir -p "$tmp/project/src"
# The files as the edits left them: every run verifies the same landed edit.
printf 'fn main() {\n    println!("hello, world");\n}\n' >"$tmp/project/src/main.rs"
printf '{"name": "demo", "version": "1.0.1"}\n' >"$tmp/project/package.json"
cat >"$tmp/patch.json" <<JSON
{"session_id":"bench-codex","turn_id":"t","cwd":"$tmp/project","hook_event_name":"PostToolUse","model":"gpt-5.5","permission_mode":"default","tool_name":"apply_patch","tool_input":{"command":"*** Begin Patch\n*** Update File: src/main.rs\n@@ fn main() {\n-    println!(\"hello\");\n+    println!(\"hello, world\");\n }\n*** End Patch\n"},"tool_use_id":"c1","tool_response":"Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nM src/main.rs\n"}
JSON
cat >"$tmp/edit.json" <<JSON
{"session_id":"bench","prompt_id":"p","cwd":"$tmp/project","hook_event_name":"PostToolUse","tool_name":"Edit","tool_input":{"file_path":"$tmp/project/package.json","old_string":"\"version\": \"1.0.0\"","new_string":"\"version\": \"1.0.1\"","replace_all":false},"tool_use_id":"t1","tool_response":{"filePath":"$tmp/project/package.json","oldString":"\"version\": \"1.0.0\"","newString":"\"version\": \"1.0.1\"","originalFile":"{\"name\": \"demo\", \"version\": \"1.0.0\"}\n","replaceAll":false,"userModified":false}}
JSON
echo "machine: $(nproc) cores, $(uname -m); $iterations runs each, round-robin"
"$rel/examples/hook-latency" "$iterations" "$rel/examples/baseline-minimal" -- \
  "patch-verifier: Codex apply_patch (landed)" "$rel/patch-verifier" "$tmp/patch.json" \
  "patch-verifier: Claude Edit of JSON (landed)" "$rel/patch-verifier" "$tmp/edit.json"
echo
echo "in-process: verify edits of a 10,000-line file"
"$rel/examples/verify-bench"
