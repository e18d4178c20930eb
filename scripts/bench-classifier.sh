#!/usr/bin/env bash
# failure-classifier latency, including its one SQLite transaction, as a ratio to a minimal
# Rust hook measured in the same run (target: p50 within 2.5x), and classifying a 1 MB output
# in-process (target: under 10 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p selfheal-classify --example classify-bench
source scripts/bench-common.sh
# The payloads repeat in one session, as a long session does.
cat >"$tmp/ok.json" <<JSON
{"session_id":"bench","prompt_id":"p","cwd":"$tmp/project","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"cargo build","description":"Build"},"tool_use_id":"t1","tool_response":{"stdout":"   Compiling demo v0.1.0\n    Finished dev [unoptimized] target(s) in 0.52s","stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false}}
JSON
cat >"$tmp/fail.json" <<JSON
{"session_id":"bench","prompt_id":"p","cwd":"$tmp/project","hook_event_name":"PostToolUseFailure","tool_name":"Bash","tool_input":{"command":"curl -sS http://127.0.0.1:9/api","description":"Fetch"},"tool_use_id":"t2","error":"Exit code 7\ncurl: (7) Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server"}
JSON
cat >"$tmp/codex.json" <<JSON
{"session_id":"bench-codex","turn_id":"t","cwd":"$tmp/project","hook_event_name":"PostToolUse","model":"gpt-5.5","permission_mode":"default","tool_name":"Bash","tool_input":{"command":"python3 -m pytest -q"},"tool_use_id":"c1","tool_response":"F.\n=== FAILURES ===\n___ test_x ___\nE   assert 1 == 2\n=== 1 failed, 1 passed in 0.01s ===\n"}
JSON
printf '{"session_id":"bench","prompt_id":"p","cwd":"%s","hook_event_name":"SessionStart","source":"startup"}' "$tmp/project" |
  "$rel/budget-check"
echo "machine: $(nproc) cores, $(uname -m); $iterations runs each, round-robin"
"$rel/examples/hook-latency" "$iterations" "$rel/examples/baseline-minimal" -- \
  "failure-classifier: Claude Bash success (ok)" "$rel/failure-classifier" "$tmp/ok.json" \
  "failure-classifier: Claude curl refused (F1, guidance)" "$rel/failure-classifier" "$tmp/fail.json" \
  "failure-classifier: Codex pytest failure (task)" "$rel/failure-classifier" "$tmp/codex.json"
echo
echo "in-process: classify a 1 MB output"
"$rel/examples/classify-bench"
