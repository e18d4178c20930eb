#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, Rust tests (the end-to-end suite
# tests/e2e drives the real Codex CLI and Claude Code), shell tests.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> clients for the end-to-end tests"
scripts/install-clients.sh

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked --quiet -- -D warnings
echo "==> cargo test"
cargo test --workspace --locked
echo "==> shell tests"
tests/shell/run.sh
