//! Process latency and peak memory of hook binaries, side by side with baselines, in one run.
//!
//! Usage: hook_latency ITERATIONS BASELINE_BIN [--baseline LABEL CMD]... -- LABEL BIN PAYLOAD
//! [LABEL BIN PAYLOAD ...]
//! Runs the baselines and every hook round-robin, in a shuffled order each round (so that
//! machine noise and the previous process hit all alike), each with its payload on stdin (a
//! baseline gets the first hook's payload), and prints p50, p95 and peak RSS per command, with the p50 and p95 ratios to the first baseline (a minimal Rust
//! hook) and the p50 ratio to each further baseline.
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One run: wall time and the child's peak resident set (KiB, from wait4's rusage).
// The child is reaped by wait4, which std does not know of.
#[allow(clippy::zombie_processes)]
fn run(bin: &str, payload: &[u8]) -> (Duration, i64) {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // A command may exit before reading all of its input; that is its business.
    let _ = child.stdin.take().unwrap().write_all(payload);
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for the child we started.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waits for our own child; `status` and `usage` are valid for writing.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let elapsed = start.elapsed();
    let status = std::process::ExitStatus::from_raw(status);
    assert!(status.code().is_some(), "{bin} died: {status:?}");
    (elapsed, usage.ru_maxrss)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Case {
    label: String,
    bin: String,
    payload: Vec<u8>,
    times: Vec<Duration>,
    rss: i64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sep = args
        .iter()
        .position(|a| a == "--")
        .expect("usage: see the source");
    let iterations: usize = args[0].parse().expect("iterations");
    let mut cases: Vec<Case> = args[sep + 1..]
        .chunks(3)
        .map(|c| Case {
            label: c[0].clone(),
            bin: c[1].clone(),
            payload: std::fs::read(&c[2]).expect("payload"),
            times: Vec::new(),
            rss: 0,
        })
        .collect();
    let payload = cases.first().map(|c| c.payload.clone()).unwrap_or_default();
    let mut baselines = vec![Case {
        label: "(a) minimal Rust: read stdin, print {}".into(),
        bin: args[1].clone(),
        payload: payload.clone(),
        times: Vec::new(),
        rss: 0,
    }];
    let mut rest = &args[2..sep];
    while let [flag, label, cmd, tail @ ..] = rest {
        assert_eq!(flag, "--baseline", "usage: see the source");
        baselines.push(Case {
            label: label.clone(),
            bin: cmd.clone(),
            payload: payload.clone(),
            times: Vec::new(),
            rss: 0,
        });
        rest = tail;
    }
    // A new order every round: a command runs faster after a small one than after a big
    // one (the kernel is still tearing the last process down), and a fixed order would give
    // that edge to whichever command follows the minimal baseline.
    let mut order: Vec<usize> = (0..baselines.len() + cases.len()).collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..iterations {
        for i in (1..order.len()).rev() {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            order.swap(i, (seed >> 33) as usize % (i + 1));
        }
        for &i in &order {
            let case = match i.checked_sub(baselines.len()) {
                Some(j) => &mut cases[j],
                None => &mut baselines[i],
            };
            let (t, rss) = run(&case.bin, &case.payload);
            case.times.push(t);
            case.rss = case.rss.max(rss);
        }
    }
    for case in baselines.iter_mut().chain(cases.iter_mut()) {
        case.times.sort();
    }
    let p50 = |c: &Case| percentile(&c.times, 0.5).as_secs_f64();
    let p95 = |c: &Case| percentile(&c.times, 0.95).as_secs_f64();
    let (base50, base95) = (p50(&baselines[0]), p95(&baselines[0]));
    let others: Vec<(String, f64)> = baselines[1..]
        .iter()
        .enumerate()
        .map(|(i, b)| (format!("p50/({})", (b'b' + i as u8) as char), p50(b)))
        .collect();
    print!(
        "{:<52} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "command", "p50 µs", "p95 µs", "RSS KiB", "p50/(a)", "p95/(a)"
    );
    for (name, _) in &others {
        print!(" {name:>9}");
    }
    println!();
    for case in baselines.iter().chain(cases.iter()) {
        print!(
            "{:<52} {:>8.0} {:>8.0} {:>8} {:>8.2}x {:>8.2}x",
            case.label,
            p50(case) * 1e6,
            p95(case) * 1e6,
            case.rss,
            p50(case) / base50,
            p95(case) / base95
        );
        for (_, other) in &others {
            print!(" {:>8.2}x", p50(case) / other);
        }
        println!();
    }
}
