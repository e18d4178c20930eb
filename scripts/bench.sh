#!/usr/bin/env bash
# Every hook binary on captured payloads of both clients: p50 and p95 process latency and
# peak RSS, as ratios against three baselines measured in the same run (a minimal Rust hook,
# a shell + jq classifier, a Python classifier: benches/baselines/), first with an empty
# state database, then with one holding 1M events from 10k sessions.
#   scripts/bench.sh [ITERATIONS=200] [SESSIONS=10000] [EVENTS_PER_SESSION=100]
# Targets (issue 10): stateless paths <= 1.5x (a), stateful <= 2.5x (a), full DB within 10%
# of empty, peak RSS <= 10 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example fill-db
source scripts/bench-common.sh
sessions=${2:-10000}
events=${3:-100}
command -v jq >/dev/null || { echo "bench: jq is needed for baseline (b)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench: python3 is needed for baseline (c)" >&2; exit 1; }
fx=tests/fixtures
payloads=$tmp/payloads
mkdir -p "$payloads"
# Claude sends one line ending in a newline; Codex sends no newline. Every payload runs as a
# session in a scratch project (the captured project dir replaced by it, paths included), in
# the state its call meets: a Write or a patch that succeeded finds its file written (else the
# verifier would report, and the breaker count, a failure on every run), a patch about to add
# a file finds none.
at() { jq "$1" --arg dir "$2" 'walk(if type == "string" then gsub("/workspace/project"; $dir) else . end) | .cwd = $dir'; }
claude() { at -c "${3:-$tmp/project}" <"$fx/claude/$1" >"$payloads/$2"; }
codex() { at -cj "${3:-$tmp/project}" <"$fx/codex/$1" >"$payloads/$2"; }
claude PreToolUse/bash_success__bash.json claude-pre.json
claude PostToolUse/bash_success__bash.json claude-post-ok.json
claude PostToolUseFailure/bash_nonzero__bash.json claude-post-fail.json
claude PostToolUse/write_success__write.json claude-post-write.json
claude Stop/bash_success.json claude-stop.json
# The failing command repeats in a session of its own, whose Stop meets the failures (refused,
# then escalated once the budget is spent); the other session's Stop is a healthy one.
failing() {
  local json
  json=$(jq -c '.session_id = "22222222-2222-4222-8222-222222222222"' "$payloads/$1")
  printf '%s\n' "$json" >"$payloads/$2"
}
failing claude-post-fail.json claude-post-fail.json
failing claude-stop.json claude-stop-failing.json
codex PreToolUse/apply_patch_success__1.json codex-pre-patch.json "$tmp/before-patch"
codex PostToolUse/apply_patch_success__1.json codex-post-patch.json
codex Stop/apply_patch_success.json codex-stop.json
mkdir -p "$tmp/project/src" "$tmp/before-patch/.git"
echo "hello world" >"$tmp/project/src/new_file.txt"
echo "hello world" >"$tmp/project/hello.txt"

cases=(
  "schema-guard: Claude Bash (stateless read)" "$rel/schema-guard" "$payloads/claude-pre.json"
  "schema-guard: Codex apply_patch (stateful)" "$rel/schema-guard" "$payloads/codex-pre-patch.json"
  "failure-classifier: Claude Bash ok" "$rel/failure-classifier" "$payloads/claude-post-ok.json"
  "failure-classifier: Claude Bash failure" "$rel/failure-classifier" "$payloads/claude-post-fail.json"
  "failure-classifier: Codex apply_patch" "$rel/failure-classifier" "$payloads/codex-post-patch.json"
  "patch-verifier: Claude Write" "$rel/patch-verifier" "$payloads/claude-post-write.json"
  "patch-verifier: Codex apply_patch" "$rel/patch-verifier" "$payloads/codex-post-patch.json"
  "budget-check: Claude Stop" "$rel/budget-check" "$payloads/claude-stop.json"
  "budget-check: Claude Stop, failing session" "$rel/budget-check" "$payloads/claude-stop-failing.json"
  "budget-check: Codex Stop" "$rel/budget-check" "$payloads/codex-stop.json"
)
baselines=(
  --baseline "(b) shell + jq classifier" benches/baselines/classifier.sh
  --baseline "(c) Python classifier" benches/baselines/classifier.py
)
export TMPDIR=$tmp
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "$iterations runs each, round-robin"
echo
echo "== empty state database"
"$rel/examples/hook-latency" "$iterations" "$rel/examples/baseline-minimal" "${baselines[@]}" -- "${cases[@]}" |
  tee "$tmp/empty.txt"
echo
echo "== filling the state database: $sessions sessions x $events events"
rm -f "$SELFHEAL_DB" "$SELFHEAL_DB"-wal "$SELFHEAL_DB"-shm
"$rel/examples/fill-db" "$SELFHEAL_DB" "$sessions" "$events" >/dev/null
echo "   $(du -ch "$SELFHEAL_DB" "$SELFHEAL_DB"-wal 2>/dev/null | tail -1 | cut -f1) on disk"
echo "== full state database"
"$rel/examples/hook-latency" "$iterations" "$rel/examples/baseline-minimal" "${baselines[@]}" -- "${cases[@]}" |
  tee "$tmp/full.txt"
echo
echo "== full / empty, p50 relative to (a) in the same pass (target <= 1.10)"
# The label is the first 52 columns; p50 is the first number after it. Each hook's p50 is taken
# relative to the minimal baseline's (first row) of its own pass, so that the machine running
# faster or slower during one of the two passes does not show up as the database's doing.
p50s() { cut -c53- "$1" | awk 'NR > 1 { print $1 }'; }
paste <(cut -c1-52 "$tmp/empty.txt" | tail -n +2) <(p50s "$tmp/empty.txt") <(p50s "$tmp/full.txt") |
  awk -F'\t' 'NR == 1 { e = $2; f = $3 } NR > 3 { printf "%-52s %6.2fx\n", $1, ($3 / f) / ($2 / e) }'
