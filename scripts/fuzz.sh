#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60) on the nightly
# toolchain, installing cargo-fuzz when it is missing, after seeding each target's corpus
# from the captured hook payloads in tests/fixtures. Exits non-zero when a target crashes;
# the input that did it is in fuzz/artifacts/<target>/ (replay: cargo +nightly fuzz run
# <target> <file>).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]        e.g. scripts/fuzz.sh 600 patch
#
# Not run by CI (nightly, minutes per target); CI runs the bounded proptest fallback:
# crates/protocol/tests/robust.rs, crates/patch/tests/{props,robust}.rs (PROPTEST_CASES=N
# runs more cases).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(stdin patch)

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: needs the nightly toolchain (rustup toolchain install nightly)" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> cargo install cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# Seeds: real payloads for stdin; every captured apply_patch, and a patch with the file it
# applies to (patch, NUL, file: the format of the patch target), for patch.
seed() {
  local dir=fuzz/corpus/$1
  mkdir -p "$dir"
  case $1 in
    stdin)
      for f in tests/fixtures/{claude,codex}/[A-Z]*/*.json; do
        cp "$f" "$dir/$(echo "${f#tests/fixtures/}" | tr / _)"
      done
      ;;
    patch)
      if command -v jq >/dev/null; then
        for f in tests/fixtures/codex/[A-Z]*/*.json; do
          jq -je 'select(.tool_name == "apply_patch") | .tool_input.command' "$f" \
            >"$dir/$(basename "$f")" 2>/dev/null || rm -f "$dir/$(basename "$f")"
        done
      fi
      printf '*** Begin Patch\n*** Update File: a.txt\n@@ fn main() {\n one\n-two\n+TWO\n three\n@@\n-x\n+y\n*** End of File\n*** Add File: b.txt\n+hello\n*** Delete File: c.txt\n*** End Patch\n\0fn main() {\none\ntwo\nthree\n}\nx\n' \
        >"$dir/update-add-delete"
      printf "<<'EOF'\n*** Begin Patch\n*** Update File: a.txt\n*** Move to: b.txt\n@@\n \xe2\x80\x9cq\xe2\x80\x9d \r\n-a\xc2\xa0b\n+c\n*** End Patch\nEOF\n\0\"q\"\r\na b\r\n" \
        >"$dir/heredoc-move-fuzzy"
      ;;
  esac
}

failed=()
for target in "${targets[@]}"; do
  seed "$target"
  echo "==> $target, ${seconds}s"
  log=$(mktemp)
  # -timeout: one input taking 10 s is a finding (a hook must answer in milliseconds).
  if cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -timeout=10 \
    2>&1 | tee "$log" | grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|==[0-9]+==|Done |SUMMARY|thread .* panicked)'; then :; fi
  if ! grep -q '^Done ' "$log"; then
    failed+=("$target")
    tail -n 40 "$log"
  fi
  rm -f "$log"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${targets[*]}: no crash in ${seconds}s each"
