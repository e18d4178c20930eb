//! Runs one command the way selfheal's hooks need it: no shell (program and arguments as
//! given), in a directory, with optional bytes on stdin, in a process group of its own, its
//! output captured and trimmed, and the whole group killed when the timeout passes.
//!
//! The group matters: a test runner or a script starts children of its own, and killing only
//! the direct child would leave them running and holding the output pipes open.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// At most this much of the output's start is kept …
pub const HEAD: usize = 4 * 1024;
/// … and this much of its end (test runners put the verdict last).
pub const TAIL: usize = 12 * 1024;
/// After the command exits, how long its output pipes may stay open (a background child
/// that escaped the group) before what was read so far is used.
const DRAIN: Duration = Duration::from_millis(500);

/// What a run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit code; `None` when it could not start, was killed, or died of a signal.
    pub status: Option<i32>,
    /// stdout, then stderr, each trimmed; at most [`HEAD`] + [`TAIL`] bytes of each, the
    /// middle replaced by a marker line.
    pub output: String,
    /// The timeout passed and the process group was killed.
    pub timed_out: bool,
    /// Why it could not start (program not found, not executable, bad directory).
    pub spawn_error: Option<String>,
}

impl Outcome {
    /// Exit 0 within the timeout.
    pub fn success(&self) -> bool {
        self.status == Some(0) && !self.timed_out
    }

    /// One short phrase: `exit 0`, `exit 3`, `timed out after 5 s`, `killed by signal`,
    /// `could not start: …`.
    pub fn describe(&self, timeout: Duration) -> String {
        if let Some(e) = &self.spawn_error {
            return format!("could not start: {e}");
        }
        if self.timed_out {
            return format!("timed out after {} s", timeout.as_secs_f64().ceil() as u64);
        }
        match self.status {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".to_owned(),
        }
    }
}

/// Runs `argv` (program, then arguments; no shell) in `cwd`. `stdin` is written to the
/// command and then closed; `None` gives it no input at all. Never panics and never waits
/// much longer than `timeout`.
pub fn run(argv: &[String], cwd: &Path, stdin: Option<&[u8]>, timeout: Duration) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return not_started("no program given".to_owned());
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(cwd)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return not_started(format!("{program}: {e}")),
    };
    let started = Instant::now();
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // In a thread: a command that does not read its input must not block us.
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    let stdout = capture(child.stdout.take());
    let stderr = capture(child.stderr.take());
    let (status, timed_out) = wait(&mut child, started, timeout);
    // Whatever it left behind in its group goes too: nothing may outlive the run.
    kill_group(&child);
    let _ = child.wait();
    let deadline = Instant::now() + DRAIN;
    let out = stdout.finish(deadline);
    let err = stderr.finish(deadline);
    let output = match (out.is_empty(), err.is_empty()) {
        (false, false) => format!("{out}\n{err}"),
        (false, true) => out,
        _ => err,
    };
    Outcome {
        status,
        output,
        timed_out,
        spawn_error: None,
    }
}

/// Starts `argv` in a process group of its own, detached from this process: stdin gets
/// `input` (then closed), stdout and stderr go nowhere, and nobody waits for it. For a helper
/// that must outlive the caller (which may be about to exit).
pub fn spawn_detached(argv: &[String], cwd: &Path, input: &[u8]) -> Result<u32, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("no program given".to_owned());
    };
    let mut child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    let pid = child.id();
    if let Some(mut pipe) = child.stdin.take() {
        let input = input.to_vec();
        // The helper reads its input first; a pipe buffer holds any record we send, so this
        // returns at once, and a helper that never reads cannot hold us up.
        let writer = std::thread::spawn(move || pipe.write_all(&input));
        let limit = Instant::now() + Duration::from_millis(200);
        while !writer.is_finished() && Instant::now() < limit {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    Ok(pid)
}

fn not_started(why: String) -> Outcome {
    Outcome {
        status: None,
        output: String::new(),
        timed_out: false,
        spawn_error: Some(why),
    }
}

/// Waits for the child until `timeout` after `started`; on timeout kills its group.
fn wait(child: &mut Child, started: Instant, timeout: Duration) -> (Option<i32>, bool) {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (status.code(), false),
            Ok(None) => {}
            Err(_) => return (None, false),
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            kill_group(child);
            let _ = child.wait();
            return (None, true);
        }
        std::thread::sleep(pause.min(timeout - elapsed));
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

fn kill_group(child: &Child) {
    signal_group(child.id(), libc::SIGKILL);
}

/// A regular file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `program` as given when it holds a slash, else the first executable of that name in the
/// directories of `path` (a `PATH` value), as a shell finds it.
pub fn find_executable(program: &Path, path: Option<&str>) -> Option<PathBuf> {
    if program.as_os_str().to_string_lossy().contains('/') {
        return is_executable(program).then(|| program.to_path_buf());
    }
    path.unwrap_or("")
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(program))
        .find(|p| is_executable(p))
}

/// Sends `signal` to process group `pgid` (a group this process made with `process_group(0)`,
/// whose id is its leader's pid).
pub fn signal_group(pgid: u32, signal: i32) {
    let Ok(pgid) = i32::try_from(pgid) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// The live (not zombie) processes of group `pgid`, from /proc.
pub fn group_members(pgid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses.
            let rest = &stat[stat.rfind(')')? + 1..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            (fields.first() != Some(&"Z") && fields.get(2)? == &pgid.to_string()).then_some(pid)
        })
        .collect()
}

/// The head and tail of a stream, read in a thread.
#[derive(Default)]
struct Kept {
    head: Vec<u8>,
    tail: Vec<u8>,
    skipped: u64,
    done: bool,
}

struct Capture(Arc<Mutex<Kept>>);

fn capture(pipe: Option<impl Read + Send + 'static>) -> Capture {
    let kept = Arc::new(Mutex::new(Kept::default()));
    let Some(mut pipe) = pipe else {
        kept.lock().unwrap_or_else(|e| e.into_inner()).done = true;
        return Capture(kept);
    };
    let shared = Arc::clone(&kept);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            let n = match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut k = shared.lock().unwrap_or_else(|e| e.into_inner());
            k.push(&buf[..n]);
        }
        shared.lock().unwrap_or_else(|e| e.into_inner()).done = true;
    });
    Capture(kept)
}

impl Kept {
    fn push(&mut self, mut bytes: &[u8]) {
        if self.head.len() < HEAD {
            let take = bytes.len().min(HEAD - self.head.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        self.tail.extend_from_slice(bytes);
        if self.tail.len() > 2 * TAIL {
            let cut = self.tail.len() - TAIL;
            self.skipped += cut as u64;
            self.tail.drain(..cut);
        }
    }

    fn text(&self) -> String {
        let mut tail: &[u8] = &self.tail;
        let mut skipped = self.skipped;
        if tail.len() > TAIL {
            skipped += (tail.len() - TAIL) as u64;
            tail = &tail[tail.len() - TAIL..];
        }
        let head = String::from_utf8_lossy(&self.head);
        let tail = String::from_utf8_lossy(tail);
        let joined = if skipped > 0 {
            format!("{head}\n[… {skipped} bytes of output left out …]\n{tail}")
        } else {
            format!("{head}{tail}")
        };
        joined.trim().to_owned()
    }
}

impl Capture {
    fn finish(&self, deadline: Instant) -> String {
        loop {
            {
                let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
                if kept.done || Instant::now() >= deadline {
                    return kept.text();
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    fn sh(script: &str, stdin: Option<&[u8]>, timeout: Duration) -> Outcome {
        run(&argv(&["sh", "-c", script]), Path::new("/"), stdin, timeout)
    }

    #[test]
    fn captures_exit_code_and_trimmed_output() {
        let o = sh(
            "echo '  out  '; echo err >&2; exit 3",
            None,
            Duration::from_secs(10),
        );
        assert_eq!(o.status, Some(3));
        assert_eq!(o.output, "out\nerr");
        assert!(!o.success());
        assert_eq!(o.describe(Duration::from_secs(10)), "exit 3");
    }

    #[test]
    fn no_shell_is_involved() {
        let o = run(
            &argv(&["echo", "$HOME", "&&", "false"]),
            Path::new("/"),
            None,
            Duration::from_secs(10),
        );
        assert!(o.success());
        assert_eq!(o.output, "$HOME && false");
    }

    #[test]
    fn runs_in_the_given_directory_with_the_given_input() {
        let dir = std::env::temp_dir();
        let o = run(
            &argv(&["sh", "-c", "pwd; cat"]),
            &dir,
            Some(b"record"),
            Duration::from_secs(10),
        );
        let pwd = std::fs::canonicalize(&dir).unwrap();
        assert_eq!(o.output, format!("{}\nrecord", pwd.display()));
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let o = run(
            &argv(&["selfheal-no-such-program"]),
            Path::new("/"),
            None,
            Duration::from_secs(1),
        );
        assert!(o.spawn_error.is_some());
        assert!(!o.success());
        assert!(o
            .describe(Duration::from_secs(1))
            .starts_with("could not start"));
        assert!(run(&[], Path::new("/"), None, Duration::from_secs(1))
            .spawn_error
            .is_some());
    }

    #[test]
    fn the_whole_group_is_killed_on_timeout() {
        let started = Instant::now();
        // The grandchild holds stdout open: only killing the group ends the run.
        let o = sh(
            "sleep 30 & echo started; wait",
            None,
            Duration::from_millis(300),
        );
        assert!(o.timed_out);
        assert_eq!(o.status, None);
        assert_eq!(o.output, "started");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            o.describe(Duration::from_millis(300)),
            "timed out after 1 s"
        );
    }

    #[test]
    fn a_command_that_ignores_its_input_does_not_block() {
        let big = vec![b'x'; 1 << 20];
        let o = sh("exit 0", Some(&big), Duration::from_secs(10));
        assert!(o.success());
    }

    #[test]
    fn long_output_keeps_head_and_tail() {
        let o = sh("seq 1 100000; echo LAST", None, Duration::from_secs(20));
        assert!(o.success());
        assert!(o.output.starts_with("1\n2\n3\n"));
        assert!(o.output.ends_with("100000\nLAST"));
        assert!(o.output.contains("bytes of output left out"));
        assert!(o.output.len() < HEAD + TAIL + 100);
    }

    #[test]
    fn a_detached_helper_gets_its_input_and_outlives_the_call() {
        let dir = std::env::temp_dir().join(format!("selfheal-run-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let started = Instant::now();
        spawn_detached(
            &argv(&["sh", "-c", "cat > got; sleep 0.2; echo done > finished"]),
            &dir,
            b"{\"record\":1}",
        )
        .unwrap();
        assert!(started.elapsed() < Duration::from_millis(150));
        let limit = Instant::now() + Duration::from_secs(10);
        while !dir.join("finished").exists() && Instant::now() < limit {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(std::fs::read(dir.join("got")).unwrap(), b"{\"record\":1}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
