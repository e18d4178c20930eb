//! Per-call cost on typical agent commands: `cargo run --release -p selfheal-shell --example timing`.

use std::hint::black_box;
use std::time::Instant;
fn main() {
    let cmds = [
        "git status --short",
        "cd /repo && cargo test -p selfheal-shell 2>&1 | tail -50",
        "grep -rn 'fn main' src/ | head -20",
        "sed -n '1,200p' src/lib.rs",
        "git add -A && git commit -m \"fix: handle heredocs\" && git push origin main",
        "bash -lc 'cd /work && rg -n TODO --glob \"*.rs\" | wc -l'",
        "cat > src/config.rs <<'EOF'\npub const X: u32 = 1;\npub const Y: u32 = 2;\nEOF",
        "for f in $(git ls-files '*.py'); do python3 -m black --check \"$f\" || echo \"$f\" >> bad.txt; done",
    ];
    let n = 20000;
    let mut total = 0.0;
    for c in cmds {
        let t = Instant::now();
        for _ in 0..n {
            black_box(selfheal_shell::interactive(black_box(c)));
            black_box(selfheal_shell::write_targets(black_box(c)));
            black_box(selfheal_shell::is_read_only(black_box(c)));
            black_box(selfheal_shell::heredoc_writes(black_box(c)));
            black_box(selfheal_shell::is_blank(black_box(c)));
        }
        let all = t.elapsed().as_secs_f64() / n as f64 * 1e6;
        let t = Instant::now();
        for _ in 0..n {
            black_box(selfheal_shell::interactive(black_box(c)));
        }
        let one = t.elapsed().as_secs_f64() / n as f64 * 1e6;
        total += all;
        println!(
            "{:>5.1} µs interactive, {:>5.1} µs all five  {:?}",
            one,
            all,
            &c[..c.len().min(60)]
        );
    }
    println!("mean all five: {:.1} µs", total / cmds.len() as f64);
}
