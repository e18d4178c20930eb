//! The thin process layer: one client run in its own process group, its output streamed to
//! the attempt's log, silence detection (the whole group is killed), live progress on stderr
//! when it is a terminal.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use selfheal_run::{group_members, signal_group};

use crate::attempt::ClientRun;
use crate::client::{short, Agent, Stream};

/// How long a group gets between SIGTERM and SIGKILL.
const TERM_GRACE: Duration = Duration::from_millis(1500);
/// How many of the log's last lines an attempt keeps.
const TAIL_LINES: usize = 40;

pub struct Launch<'a> {
    pub agent: Agent,
    pub program: &'a Path,
    pub args: &'a [String],
    pub env: &'a [(String, String)],
    pub cwd: &'a Path,
    pub log: PathBuf,
    pub silence: Duration,
    /// `attempt 2/3`: shown on the progress line.
    pub label: &'a str,
    pub progress: bool,
}

enum Line {
    Out(String),
    Err(String),
}

pub fn launch(l: &Launch<'_>) -> ClientRun {
    let started = Instant::now();
    let mut run = ClientRun {
        log: l.log.clone(),
        ..ClientRun::default()
    };
    let mut log = match crate::private::create(&l.log) {
        Ok(f) => Some(f),
        Err(e) => {
            eprintln!("selfheal: warning: cannot write {}: {e}", l.log.display());
            None
        }
    };
    let mut command = Command::new(l.program);
    command
        .args(l.args)
        .current_dir(l.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for (k, v) in l.env {
        command.env(k, v);
    }
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            run.spawn_error = Some(format!("{}: {e}", l.program.display()));
            run.group_gone = true;
            return run;
        }
    };
    let pgid = child.id();
    run.pid = Some(pgid);
    let (tx, rx) = mpsc::channel();
    let out_tx = tx.clone();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let readers = [
        std::thread::spawn(move || {
            for line in BufReader::new(stdout.expect("piped")).lines() {
                let Ok(line) = line else { break };
                if out_tx.send(Line::Out(line)).is_err() {
                    break;
                }
            }
        }),
        std::thread::spawn(move || {
            for line in BufReader::new(stderr.expect("piped")).lines() {
                let Ok(line) = line else { break };
                if tx.send(Line::Err(line)).is_err() {
                    break;
                }
            }
        }),
    ];

    let mut stream = Stream::default();
    let mut tail: std::collections::VecDeque<String> = Default::default();
    let mut last_output = Instant::now();
    let mut last_drawn = Instant::now() - Duration::from_secs(10);
    let mut take =
        |line: Line, stream: &mut Stream, tail: &mut std::collections::VecDeque<String>| {
            let shown = match line {
                Line::Out(s) => {
                    stream.feed(l.agent, &s);
                    s
                }
                Line::Err(s) => format!("[stderr] {s}"),
            };
            if let Some(f) = log.as_mut() {
                let _ = writeln!(f, "{shown}");
            }
            tail.push_back(shown);
            if tail.len() > TAIL_LINES {
                tail.pop_front();
            }
        };
    let status = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                last_output = Instant::now();
                take(line, &mut stream, &mut tail);
            }
            Err(mpsc::RecvTimeoutError::Timeout) | Err(mpsc::RecvTimeoutError::Disconnected) => {}
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if last_output.elapsed() >= l.silence {
            run.stalled = true;
            signal_group(pgid, libc::SIGTERM);
            let deadline = Instant::now() + TERM_GRACE;
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            signal_group(pgid, libc::SIGKILL);
            let _ = child.wait();
            break None;
        }
        if l.progress && last_drawn.elapsed() >= Duration::from_secs(1) {
            last_drawn = Instant::now();
            draw(l.label, started, last_output, stream.last.as_deref());
        }
    };
    // Whatever the client left in its group goes too: nothing of an attempt outlives it.
    signal_group(pgid, libc::SIGKILL);
    // What was still in the pipes.
    let drain_until = Instant::now() + Duration::from_secs(2);
    while !readers.iter().all(|r| r.is_finished()) && Instant::now() < drain_until {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
            take(line, &mut stream, &mut tail);
        }
    }
    while let Ok(line) = rx.try_recv() {
        take(line, &mut stream, &mut tail);
    }
    run.group_gone = wait_group_gone(pgid, Duration::from_secs(3));
    if l.progress {
        eprint!("\r\x1b[K");
        let how = if run.stalled { "stalled" } else { "ended" };
        eprintln!(
            "selfheal run: {} {how} after {:.0} s",
            l.label,
            started.elapsed().as_secs_f64()
        );
    }
    run.exit_code = status.and_then(|s| s.code());
    run.duration = started.elapsed();
    run.log_tail = tail.into_iter().collect::<Vec<_>>().join("\n");
    run.session_id = stream.session_id;
    run.messages = stream.messages;
    run.actions = stream.actions;
    run.errors = stream.errors;
    run
}

fn draw(label: &str, started: Instant, last_output: Instant, last: Option<&str>) {
    let e = started.elapsed().as_secs();
    let mut line = format!(
        "selfheal run: {label} · {}:{:02} elapsed · last output {} s ago",
        e / 60,
        e % 60,
        last_output.elapsed().as_secs()
    );
    if let Some(a) = last {
        line.push_str(&format!(" · {}", short(a)));
    }
    let line: String = line.chars().take(150).collect();
    eprint!("\r\x1b[K{line}");
    let _ = std::io::stderr().flush();
}

/// Waits until no live process is left in the group, at most `limit`.
fn wait_group_gone(pgid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if group_members(pgid).is_empty() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn is_tty() -> bool {
    // SAFETY: isatty(2) on a file descriptor number.
    unsafe { libc::isatty(2) == 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, silence: Duration, dir: &Path, n: usize) -> ClientRun {
        let args = vec!["-c".to_owned(), script.to_owned()];
        launch(&Launch {
            agent: Agent::Codex,
            program: Path::new("/bin/sh"),
            args: &args,
            env: &[],
            cwd: dir,
            log: dir.join(format!("attempt-{n}.log")),
            silence,
            label: "test",
            progress: false,
        })
    }

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("selfheal-process-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn output_is_logged_and_parsed() {
        let dir = scratch("ok");
        let run = sh(
            r#"echo '{"type":"thread.started","thread_id":"t-1"}'; echo oops >&2; exit 3"#,
            Duration::from_secs(10),
            &dir,
            1,
        );
        assert_eq!(run.exit_code, Some(3));
        assert!(!run.stalled && run.group_gone);
        assert_eq!(run.session_id.as_deref(), Some("t-1"));
        let log = std::fs::read_to_string(dir.join("attempt-1.log")).unwrap();
        assert!(
            log.contains("thread.started") && log.contains("[stderr] oops"),
            "{log}"
        );
        assert!(run.log_tail.contains("[stderr] oops"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn silence_kills_the_whole_group() {
        let dir = scratch("stall");
        let started = Instant::now();
        // A child that would outlive its parent, then silence.
        let run = sh(
            "sleep 300 & echo started; sleep 300",
            Duration::from_millis(700),
            &dir,
            1,
        );
        assert!(run.stalled);
        assert!(started.elapsed() < Duration::from_secs(6));
        assert!(run.group_gone);
        assert_eq!(group_members(run.pid.unwrap()), Vec::<u32>::new());
        assert!(run.log_tail.contains("started"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let dir = scratch("missing");
        let run = launch(&Launch {
            agent: Agent::Claude,
            program: Path::new("/nonexistent/claude"),
            args: &[],
            env: &[],
            cwd: &dir,
            log: dir.join("a.log"),
            silence: Duration::from_secs(1),
            label: "x",
            progress: false,
        });
        assert!(run.spawn_error.is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
