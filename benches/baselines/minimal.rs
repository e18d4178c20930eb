//! Baseline (a): the least a hook can do — read stdin, print `{}`. Benchmarks report our hooks'
//! latency as a ratio to this, measured in the same run.
use std::io::{Read, Write};

fn main() {
    let mut input = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut input);
    let _ = std::io::stdout().write_all(b"{}\n");
}
