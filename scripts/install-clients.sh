#!/usr/bin/env bash
# Installs the two real clients the end-to-end suite (tests/e2e) drives, at the pinned versions
# our users run, from the npm registry into a cache under target/:
#
#   target/clients/codex-0.169.0/         npm @openai/codex@0.169.0
#   target/clients/claude-code-2.1.328/   npm @anthropic-ai/claude-code@2.1.328
#
# A client already there at the right version is reused (checked by running it with
# --version). Otherwise it is installed into a temporary directory, checked, and only then
# moved into place, so an interrupted install never looks complete. The tests never download
# anything themselves; they fail, naming this script, when a client is missing.
#
# Exits non-zero, loudly, when the registry cannot be reached or a client does not run.
# SELFHEAL_CLIENTS_DIR overrides the cache directory (the tests read the same variable).
set -euo pipefail
cd "$(dirname "$0")/.."

CODEX_VERSION=0.169.0
CLAUDE_VERSION=2.1.328
dir="${SELFHEAL_CLIENTS_DIR:-$PWD/target/clients}"

command -v npm >/dev/null || {
  echo "install-clients: npm is needed (Node.js 18+), e.g. apt-get install -y nodejs npm" >&2
  exit 1
}
mkdir -p "$dir"

# install <dir name> <npm package> <version> <bin name>
install() {
  local name=$1 package=$2 version=$3 bin=$4
  local dest="$dir/$name-$version"
  local exe="$dest/node_modules/.bin/$bin"
  if [ -x "$exe" ] && "$exe" --version 2>/dev/null | grep -qF "$version"; then
    echo "install-clients: $package@$version present in $dest"
    return
  fi
  echo "install-clients: installing $package@$version into $dest"
  local start=$SECONDS tmp
  tmp=$(mktemp -d "$dir/.$name-$version.XXXXXX")
  # npm prints its own reason (e.g. ENOTFOUND / ETIMEDOUT when the registry is unreachable).
  if ! (cd "$tmp" && echo '{"private":true}' >package.json &&
    npm install --no-audit --no-fund --no-save --loglevel=error \
      --fetch-retries=2 --fetch-timeout=60000 "$package@$version"); then
    rm -rf "$tmp"
    echo "install-clients: FAILED to install $package@$version from the npm registry" >&2
    exit 1
  fi
  local got
  got=$("$tmp/node_modules/.bin/$bin" --version 2>&1) || true
  if ! grep -qF "$version" <<<"$got"; then
    rm -rf "$tmp"
    echo "install-clients: $package@$version installed but '$bin --version' says: $got" >&2
    exit 1
  fi
  rm -rf "$dest"
  mv "$tmp" "$dest"
  echo "install-clients: $bin $got ($(du -sh "$dest" | cut -f1), $((SECONDS - start)) s)"
}

install codex @openai/codex "$CODEX_VERSION" codex
install claude-code @anthropic-ai/claude-code "$CLAUDE_VERSION" claude
