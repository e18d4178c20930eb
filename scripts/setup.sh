#!/usr/bin/env bash
# Set up selfheal on this machine and run it on sample payloads.
#   1. builds and installs the five binaries (selfheal, schema-guard, failure-classifier,
#      patch-verifier, budget-check) with `cargo install` (into ~/.cargo/bin by default);
#   2. pipes captured Claude Code and Codex payloads through the hooks, as the clients do,
#      into a demo database, and shows what was recorded.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building and installing the binaries (cargo install --path .)"
cargo install --path . --locked --force --quiet
bindir="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"
export PATH="$bindir:$PATH"
echo "    installed into $bindir"
command -v selfheal >/dev/null || { echo "selfheal is not on PATH ($bindir)" >&2; exit 1; }

export SELFHEAL_DB="${SELFHEAL_DB:-$PWD/target/demo/state.db}"
rm -f "$SELFHEAL_DB" "$SELFHEAL_DB"-wal "$SELFHEAL_DB"-shm
echo "==> running the hooks on sample payloads (state: $SELFHEAL_DB)"
fx=tests/fixtures
run() { # hook payload-file [newline]
  local hook=$1 file=$2
  printf '    %-19s < %s\n' "$hook" "$file"
  # Claude sends one line ending in a newline; Codex sends no newline.
  case $file in
    */claude/*) tr -d '\n' <"$file" | sed 's/$/\n/' | "$hook" --dialect claude ;;
    *) "$hook" --dialect codex <"$file" ;;
  esac
}
run budget-check       $fx/claude/SessionStart/bash_success.json
run schema-guard       $fx/claude/PreToolUse/bash_nonzero__bash.json
run failure-classifier $fx/claude/PostToolUseFailure/bash_nonzero__bash.json
run budget-check       $fx/claude/Stop/bash_success.json
run schema-guard       $fx/codex/PreToolUse/apply_patch_success__1.json
run failure-classifier $fx/codex/PostToolUse/apply_patch_success__1.json
run patch-verifier     $fx/codex/PostToolUse/apply_patch_success__1.json

echo "==> selfheal events --session 11111111-1111-4111-8111-111111111111"
selfheal events --session 11111111-1111-4111-8111-111111111111
echo "==> selfheal status --session 11111111-1111-4111-8111-111111111111"
selfheal status --session 11111111-1111-4111-8111-111111111111
echo
echo "Done. Register the hooks: selfheal install claude (in your project) or selfheal install codex;"
echo "then selfheal doctor checks the whole chain. See README.md, \"Registering the hooks\"."
