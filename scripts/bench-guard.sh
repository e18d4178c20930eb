#!/usr/bin/env bash
# schema-guard latency on typical calls, as a ratio to a minimal Rust hook measured in the same
# run (target: p50 within 1.5x on a typical Bash call), and patch checking in-process (target:
# a 50-hunk patch against a 10,000-line file under 5 ms). Row (d) is the floor of any call the
# guard must check against the session's state: (a) plus opening the state DB and reading one
# row (benches/baselines/sqlite_read.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p selfheal-patch --example bench
cargo build --release --quiet --example baseline-sqlite-read
source scripts/bench-common.sh
cat >"$tmp/bash.json" <<JSON
{"session_id":"bench","prompt_id":"p","cwd":"$tmp/project","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"cargo test --workspace 2>&1 | tail -20","description":"Run tests"},"tool_use_id":"t1"}
JSON
cat >"$tmp/readonly.json" <<JSON
{"session_id":"bench","prompt_id":"p","cwd":"$tmp/project","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status --short"},"tool_use_id":"t2"}
JSON
cat >"$tmp/vim.json" <<JSON
{"session_id":"bench","prompt_id":"p","cwd":"$tmp/project","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"vim src/main.rs"},"tool_use_id":"t3"}
JSON
# A session the store knows, as after a SessionStart.
printf '{"session_id":"bench","prompt_id":"p","cwd":"%s","hook_event_name":"SessionStart","source":"startup"}' "$tmp/project" |
  "$rel/budget-check"
echo "machine: $(nproc) cores, $(uname -m); $iterations runs each, round-robin"
"$rel/examples/hook-latency" "$iterations" "$rel/examples/baseline-minimal" -- \
  "schema-guard: typical Bash call (allow)" "$rel/schema-guard" "$tmp/bash.json" \
  "schema-guard: read-only Bash call" "$rel/schema-guard" "$tmp/readonly.json" \
  "schema-guard: vim (deny, recorded)" "$rel/schema-guard" "$tmp/vim.json" \
  "(d) floor: (a) + one read of the state DB" "$rel/examples/baseline-sqlite-read" "$tmp/bash.json"
echo
echo "in-process: locate 50 hunks in a 10,000-line file"
"$PWD/target/release/examples/bench"
