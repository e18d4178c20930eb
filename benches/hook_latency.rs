//! Process latency of hook binaries, side by side with a baseline, in one run.
//!
//! Usage: hook_latency ITERATIONS BASELINE_BIN -- LABEL BIN PAYLOAD [LABEL BIN PAYLOAD ...]
//! Runs the baseline and every hook round-robin (so that machine noise hits all alike), each
//! with its payload on stdin, and prints p50/p95 per command and the p50 ratio to the baseline.
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn run(bin: &str, payload: &[u8]) -> Duration {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // A command may exit before reading all of its input; that is its business.
    let _ = child.stdin.take().unwrap().write_all(payload);
    child.wait().expect("wait");
    start.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sep = args
        .iter()
        .position(|a| a == "--")
        .expect("usage: see the source");
    let iterations: usize = args[0].parse().expect("iterations");
    let baseline = &args[1];
    let cases: Vec<(String, String, Vec<u8>)> = args[sep + 1..]
        .chunks(3)
        .map(|c| {
            (
                c[0].clone(),
                c[1].clone(),
                std::fs::read(&c[2]).expect("payload"),
            )
        })
        .collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); cases.len() + 1];
    let base_payload = cases.first().map(|c| c.2.clone()).unwrap_or_default();
    for _ in 0..iterations {
        times[0].push(run(baseline, &base_payload));
        for (i, (_, bin, payload)) in cases.iter().enumerate() {
            times[i + 1].push(run(bin, payload));
        }
    }
    for t in &mut times {
        t.sort();
    }
    let base_p50 = percentile(&times[0], 0.5);
    println!(
        "{:<40} {:>10} {:>10} {:>8}",
        "command", "p50 µs", "p95 µs", "ratio"
    );
    let row = |label: &str, t: &[Duration]| {
        let p50 = percentile(t, 0.5);
        println!(
            "{:<40} {:>10} {:>10} {:>7.2}x",
            label,
            p50.as_micros(),
            percentile(t, 0.95).as_micros(),
            p50.as_secs_f64() / base_p50.as_secs_f64()
        );
    };
    row("baseline: read stdin, print {}", &times[0]);
    for (i, (label, _, _)) in cases.iter().enumerate() {
        row(label, &times[i + 1]);
    }
}
