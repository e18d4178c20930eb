//! Times `redact` on 1 MB outputs, as a hook process sees them.
//!
//! ```sh
//! cargo run --release -p selfheal-redact --example redact-bench
//! ```
//!
//! Warm figures are per call once the regexes a text needs are compiled. A hook process is
//! started per tool call, so its one call also pays for compiling them: the cold figures
//! measure that first call, each in a fresh child process.

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use selfheal_redact::redact;

const SIZE: usize = 1 << 20;

/// Compiler and test output: plenty of markers (`token`, `passed`, `https://`, `task-list`)
/// that make rules run, and no secret.
fn ordinary() -> String {
    let mut out = String::with_capacity(SIZE + 4096);
    let mut i = 0u64;
    while out.len() < SIZE {
        let hash = format!(
            "{:040x}",
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15) as u128 * 0x1_0001
        );
        out.push_str(&format!(
            "   Compiling parser v0.{i}.0 (/home/dev/work/crates/parser)\n\
             warning: unused variable: `token_count`\n  --> src/parser/mod.rs:{i}:9\n   |\n\
             {i} |     let token_count = tokens.len();\n   |         ^^^^^^^^^^^ help: if this \
             is intentional, prefix it with an underscore: `_token_count`\n   = note: see \
             <https://doc.rust-lang.org/rustc/lints/listing/warn-by-default.html>\n\
             error[E0308]: mismatched types\n --> src/main.rs:4:5\n\
             test tests::case_{i} ... ok\ntest auth::tests::password_is_hashed_{i} ... ok\n\
             test result: ok. 42 passed; 0 failed; 0 ignored; finished in 0.{i}s\n\
             commit {hash}\nthread 'main' panicked at src/lexer.rs:88:13: unexpected token `)`\n\
             running `npm run task-list`, disk-usage 12%, request 550e8400-e29b-41d4-a716-446655440000\n"
        ));
        i += 1;
    }
    out
}

/// The same with a few secrets of different shapes, about one per 100 KB.
fn with_secrets() -> String {
    let secrets = [
        "GITHUB_TOKEN=ghp_FAKEFAKEFAKEFAKEFAKEFAKEFAKE01234567\n",
        "aws_access_key_id = AKIAFAKEFAKE01234567\naws_secret_access_key = FAKEfake0123456789/FAKEfake+0123456789AB\n",
        "> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJGQUtFIn0.FAKEfake0123456789FAKEfake\n",
        "origin\thttps://alice:hunter2@git.example.com/org/repo.git (fetch)\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAFAKEFAKEFAKEFAKE\nFAKEfake0123==\n-----END RSA PRIVATE KEY-----\n",
        "DB_PASSWORD=supersecret\nOPENAI_API_KEY=sk-proj-FAKEfake0123456789FAKEfake0123456789\n",
        "{\"password\": \"Fak3Pass\", \"api_key\": \"FAKE0123456789abcdef\"}\n",
        "SLACK_BOT_TOKEN=xoxb-0123456789-0123456789012-FAKEfakeFAKEfakeFAKEfake\n",
        "//registry.npmjs.org/:_authToken=npm_FAKE0123456789fake0123456789FAKEfake\n",
        "key=AIzaFAKE0123456789fake0123456789FAKE_-x glpat-FAKE0123456789fakeAB\n",
    ];
    let text = ordinary();
    let step = text.len() / secrets.len();
    let mut out = String::with_capacity(text.len() + 4096);
    let mut from = 0;
    for secret in secrets {
        let to = text[..(from + step).min(text.len())]
            .rfind('\n')
            .map_or(from, |i| i + 1);
        out.push_str(&text[from..to]);
        out.push_str(secret);
        from = to;
    }
    out.push_str(&text[from..]);
    out
}

/// Timestamps and numbers: not a single marker, so only the scan runs.
fn markerless() -> String {
    let mut out = String::with_capacity(SIZE + 128);
    let mut i = 0u64;
    while out.len() < SIZE {
        out.push_str(&format!(
            "2025-01-01T00:00:{:02}.{i:06}Z INFO worker=7 done items={i} ms={}\n",
            i % 60,
            i % 997
        ));
        i += 1;
    }
    out
}

fn time(text: &str, runs: u32) -> (Duration, Duration) {
    black_box(redact(black_box(text)));
    let mut best = Duration::MAX;
    let start = Instant::now();
    for _ in 0..runs {
        let t = Instant::now();
        black_box(redact(black_box(text)));
        best = best.min(t.elapsed());
    }
    (start.elapsed() / runs, best)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Input {
    id: &'static str,
    label: &'static str,
    make: fn() -> String,
}

const INPUTS: [Input; 3] = [
    Input {
        id: "a",
        label: "ordinary output, no secrets",
        make: ordinary,
    },
    Input {
        id: "b",
        label: "ordinary output, 10 secrets",
        make: with_secrets,
    },
    Input {
        id: "c",
        label: "no marker at all",
        make: markerless,
    },
];

fn main() {
    if let Some(which) = std::env::args().nth(1) {
        // A child: one cold call.
        let input = INPUTS.iter().find(|i| i.id == which).expect("a, b or c");
        let text = (input.make)();
        let t = Instant::now();
        black_box(redact(black_box(&text)));
        println!("{:.2}", ms(t.elapsed()));
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    for input in &INPUTS {
        let text = (input.make)();
        let redactions = redact(&text).matches("[REDACTED:").count();
        let (mean, best) = time(&text, 50);
        let cold = Command::new(&exe)
            .arg(input.id)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        println!(
            "({}) {}: {:.2} MB, {redactions} redactions: warm {:.2} ms/call (best {:.2}), \
             cold first call {cold} ms",
            input.id,
            input.label,
            text.len() as f64 / (1 << 20) as f64,
            ms(mean),
            ms(best),
        );
    }
}
