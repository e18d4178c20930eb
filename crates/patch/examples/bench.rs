//! Times `locate` and `apply`: 50 hunks in a 10,000-line file (target: under 5 ms).
//!
//! `cargo run --release -p selfheal-patch --example bench`

use std::hint::black_box;
use std::time::{Duration, Instant};

use selfheal_patch::{apply, locate, parse, FileOp, Fuzz, Hunk};

const LINES: usize = 10_000;
const HUNKS: usize = 50;

fn file() -> String {
    let mut s = String::new();
    for i in 0..LINES {
        if i % 20 == 0 {
            s.push_str(&format!("def function_{i}(arg):\n"));
        } else {
            s.push_str(&format!(
                "    value = compute({i}, arg) \u{2014} \"note\"\n"
            ));
        }
    }
    s
}

/// 50 hunks spread over the file; `style` picks how the old lines are written.
fn patch(style: Fuzz, break_last: bool) -> Vec<Hunk> {
    let mut text = String::from("*** Begin Patch\n*** Update File: big.py\n");
    for h in 0..HUNKS {
        let def = h * (LINES / HUNKS);
        text.push_str(&format!("@@ def function_{def}(arg):\n"));
        for i in def + 1..def + 4 {
            let mut line = format!("    value = compute({i}, arg) \u{2014} \"note\"");
            match style {
                Fuzz::Exact => {}
                Fuzz::TrailingWhitespace => line.push_str("   "),
                Fuzz::Whitespace => line = line.trim_start().to_string(),
                Fuzz::Unicode => line = line.replace('\u{2014}', "-"),
            }
            if break_last && h == HUNKS - 1 && i == def + 3 {
                line.push_str(" # stale");
            }
            let prefix = if i == def + 2 { '-' } else { ' ' };
            text.push(prefix);
            text.push_str(&line);
            text.push('\n');
            if i == def + 2 {
                text.push_str("+    value = 0\n");
            }
        }
    }
    text.push_str("*** End Patch\n");
    match parse(&text).expect("bench patch parses").ops.remove(0) {
        FileOp::Update { hunks, .. } => hunks,
        _ => unreachable!(),
    }
}

fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        black_box(f());
        best = best.min(start.elapsed());
    }
    best
}

fn main() {
    let content = file();
    println!(
        "{LINES}-line file ({} bytes), {HUNKS} hunks, best of 50 runs:",
        content.len()
    );
    for style in [
        Fuzz::Exact,
        Fuzz::TrailingWhitespace,
        Fuzz::Whitespace,
        Fuzz::Unicode,
    ] {
        let hunks = patch(style, false);
        let located = locate(&content, &hunks).expect("bench patch locates");
        assert!(located.iter().all(|l| l.fuzz == style), "{style:?}");
        let t_locate = time(50, || locate(&content, &hunks));
        let t_apply = time(50, || apply(&content, &hunks));
        println!(
            "  old lines {:<20} locate {:>8.3} ms   apply {:>8.3} ms",
            format!("{style:?}:"),
            t_locate.as_secs_f64() * 1e3,
            t_apply.as_secs_f64() * 1e3
        );
    }
    let hunks = patch(Fuzz::Exact, true);
    let e = locate(&content, &hunks).expect_err("last hunk is stale");
    let t = time(50, || locate(&content, &hunks));
    println!(
        "  last hunk stale (error + hints)   locate {:>8.3} ms\n    {e}",
        t.as_secs_f64() * 1e3
    );
    let text = std::iter::once("*** Begin Patch\n*** Update File: big.py\n".to_string())
        .chain((0..LINES).map(|i| format!("@@ ctx {i}\n-old {i}\n+new {i}\n")))
        .chain(std::iter::once("*** End Patch\n".to_string()))
        .collect::<String>();
    let t = time(50, || parse(&text));
    println!(
        "  parse a {}-hunk patch ({} bytes)     {:>8.3} ms",
        LINES,
        text.len(),
        t.as_secs_f64() * 1e3
    );
}
