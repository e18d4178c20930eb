# Sourced by scripts/bench-*.sh after their own builds, since it points HOME at a scratch
# dir. Builds the hook binaries, the baseline and the latency harness in release, and gives
# the script `$rel` (the release dir), `$iterations` (its first argument, default 300) and
# `$tmp`: a scratch dir with a project and its own state DB, removed on exit.
iterations=${1:-300}
cargo build --release --quiet --bins --example baseline-minimal --example hook-latency
rel=$PWD/target/release
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SELFHEAL_DB=$tmp/state.db HOME=$tmp
mkdir -p "$tmp/project/.git"
