#!/usr/bin/env bash
# Pipes sample JSON into the built binaries, as users and the clients do, and checks what
# comes back. Builds the binaries first (debug profile).
set -uo pipefail
cd "$(dirname "$0")/../.."
cargo build --quiet --locked --bins || exit 1
bin=$PWD/target/debug
fx=$PWD/tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SELFHEAL_DB=$tmp/state.db HOME=$tmp/home
unset CLAUDECODE CLAUDE_PROJECT_DIR CODEX_HOME SELFHEAL_CONFIG XDG_STATE_HOME XDG_CONFIG_HOME
mkdir -p "$HOME"

passed=0 failed=0
check() { # name, then a command that must succeed
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}

# hook < payload: exit 0, nothing on stdout, nothing on stderr.
quiet() {
  local hook=$1 payload=$2 out err
  out=$("$bin/$hook" <"$payload" 2>"$tmp/err"); local rc=$?
  err=$(cat "$tmp/err")
  [ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] ||
    { echo "  $hook < $payload: rc=$rc out=$out err=$err"; return 1; }
}

# hook < payload: exit 0, nothing on stderr, stdout one JSON line containing a pattern.
guides() {
  local hook=$1 payload=$2 pattern=$3 out
  out=$("$bin/$hook" <"$payload" 2>"$tmp/err"); local rc=$?
  [ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
    printf '%s' "$out" | grep -qF "$pattern" ||
    { echo "  $hook < $payload: rc=$rc out=$out err=$(cat "$tmp/err")"; return 1; }
}

# printf DATA | hook: exit 0, nothing on stdout, one stderr line matching a pattern.
fails_open() {
  local hook=$1 data=$2 pattern=$3 out lines
  out=$(printf '%b' "$data" | "$bin/$hook" 2>"$tmp/err"); local rc=$?
  lines=$(wc -l <"$tmp/err")
  [ $rc -eq 0 ] && [ -z "$out" ] && [ "$lines" -eq 1 ] && grep -q "$pattern" "$tmp/err" ||
    { echo "  $hook: rc=$rc out=$out stderr=$(cat "$tmp/err")"; return 1; }
}

check "claude PreToolUse"         quiet schema-guard       "$fx/claude/PreToolUse/bash_success__bash.json"
check "claude PostToolUseFailure" quiet failure-classifier "$fx/claude/PostToolUseFailure/bash_nonzero__bash.json"
# An Edit Claude refused (old_string not found) fires only PostToolBatch: F2 guidance.
check "claude PostToolBatch"      guides failure-classifier "$fx/claude/PostToolBatch/edit_fail_not_found__2.json" '"additionalContext":"selfheal F2 argument_repair: '
check "claude Edit verified"      quiet patch-verifier     "$fx/claude/PostToolUse/edit_success__2-edit.json"
# The refused Edit above (F2) is still unresolved in this session: the stop is refused.
check "claude Stop"               guides budget-check      "$fx/claude/Stop/bash_success.json" '{"decision":"block","reason":"selfheal: not done yet'
check "codex PreToolUse patch"    quiet schema-guard       "$fx/codex/PreToolUse/apply_patch_success__1.json"
check "codex PostToolUse shell"   quiet failure-classifier "$fx/codex/PostToolUse/shell_nonzero.json"
check "codex Stop"                quiet budget-check       "$fx/codex/Stop/$(ls "$fx/codex/Stop" | head -1)"

check "empty stdin"    fails_open budget-check ''                     'stdin was empty'
check "not JSON"       fails_open schema-guard 'rm -rf /'             'not JSON'
check "wrong shape"    fails_open failure-classifier '[1,2]'          'not a hook payload'
check "unknown event"  fails_open patch-verifier '{"session_id":"s","hook_event_name":"Nope"}' 'unknown hook event'
check "invalid UTF-8"  fails_open budget-check '\xff\xfe'             'not valid UTF-8'
check "wrong event"    fails_open schema-guard '{"session_id":"s","hook_event_name":"Stop"}' 'ignored'

# schema-guard refuses an editor: a deny in Claude's format, and recorded.
deny_vim() {
  local out
  out=$(printf '%s\n' '{"session_id":"11111111-1111-4111-8111-111111111111","prompt_id":"p","cwd":"/tmp","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"vim notes.txt"},"tool_use_id":"v1"}' |
    "$bin/schema-guard" 2>"$tmp/err")
  printf '%s' "$out" | python3 -c 'import json,sys; o=json.load(sys.stdin)["hookSpecificOutput"]; assert o["permissionDecision"]=="deny" and o["permissionDecisionReason"].startswith("selfheal F2"), o' ||
    { echo "  out=$out err=$(cat "$tmp/err")"; return 1; }
}
check "schema-guard denies vim" deny_vim

# Recorded: PostToolUseFailure, PostToolBatch (1 call), patch-verifier's Edit, Stop, the vim
# deny. An allowed PreToolUse is not recorded (schema-guard's allow path only reads).
events() {
  local n
  n=$("$bin/selfheal" events --session 11111111-1111-4111-8111-111111111111 --json | wc -l)
  [ "$n" -eq 5 ] || { echo "  want 5 claude events, got $n"; return 1; }
}
check "events recorded" events
json_lines() {
  "$bin/selfheal" events --session 11111111-1111-4111-8111-111111111111 --json |
    python3 -c 'import json,sys; [json.loads(l)["decision"] for l in sys.stdin]'
}
check "events are JSON lines" json_lines
check "status" sh -c "'$bin/selfheal' status --session 11111111-1111-4111-8111-111111111111 | grep -q 'b_r retries'"
check "help"   sh -c "'$bin/schema-guard' --help | grep -q 'Usage: schema-guard'"

echo "shell: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
