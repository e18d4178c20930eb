//! A small builder around one hook (or `selfheal`) process.

pub mod snapshot;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

pub const HOOKS: [&str; 4] = [
    "schema-guard",
    "failure-classifier",
    "patch-verifier",
    "budget-check",
];

pub fn bin(name: &str) -> PathBuf {
    match name {
        "selfheal" => env!("CARGO_BIN_EXE_selfheal"),
        "schema-guard" => env!("CARGO_BIN_EXE_schema-guard"),
        "failure-classifier" => env!("CARGO_BIN_EXE_failure-classifier"),
        "patch-verifier" => env!("CARGO_BIN_EXE_patch-verifier"),
        "budget-check" => env!("CARGO_BIN_EXE_budget-check"),
        other => panic!("no binary {other}"),
    }
    .into()
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// A private directory for one test: state DB, HOME and config live here.
pub struct Sandbox {
    pub dir: PathBuf,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "selfheal-it-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("home")).unwrap();
        Sandbox { dir }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.join("state/state.db")
    }

    /// A hook process for this sandbox, with `stdin` as its payload.
    pub fn case(&self, hook: &str, stdin: impl Into<Vec<u8>>) -> Case {
        Case {
            program: bin(hook),
            args: Vec::new(),
            stdin: stdin.into(),
            env: vec![
                ("HOME".into(), self.dir.join("home").display().to_string()),
                ("SELFHEAL_DB".into(), self.db().display().to_string()),
                ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ],
            file_size_limit: None,
            stdout_closed: false,
            dir: None,
        }
    }

    /// `selfheal <args>` against this sandbox's DB.
    pub fn selfheal(&self, args: &[&str]) -> Ran {
        let mut case = self.case("selfheal", Vec::new());
        case.args = args.iter().map(|s| s.to_string()).collect();
        case.run()
    }

    /// Writes `dir`'s `.selfheal.toml` and trusts it as the user would (`selfheal trust`), so
    /// that the commands it sets run.
    pub fn trusted_config(&self, dir: &Path, toml: &str) {
        std::fs::write(dir.join(".selfheal.toml"), toml).unwrap();
        self.selfheal(&["trust", &dir.display().to_string()])
            .assert_success();
    }

    /// A Claude payload from the fixtures, as Claude sends it: one line ending in `\n`.
    pub fn claude(&self, hook: &str, rel: &str) -> Case {
        let value: Value = serde_json::from_slice(&fixture(&format!("claude/{rel}"))).unwrap();
        self.case(hook, format!("{value}\n"))
    }

    /// A Codex payload from the fixtures, as Codex sends it: no trailing newline.
    pub fn codex(&self, hook: &str, rel: &str) -> Case {
        self.case(hook, fixture(&format!("codex/{rel}")))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = make_writable(&self.dir);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn make_writable(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        // Never through a symlink: cases plant links that leave the sandbox (to /tmp, to
        // another test's sandbox), and following them chmods what is not ours, or loops.
        if entry.file_type()?.is_symlink() {
            continue;
        }
        let path = entry.path();
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700));
        if entry.file_type()?.is_dir() {
            let _ = make_writable(&path);
        }
    }
    Ok(())
}

/// One process to run: a clean environment (nothing of the developer's CLAUDE_*/CODEX_*
/// leaks in), only what the case sets.
pub struct Case {
    program: PathBuf,
    args: Vec<String>,
    stdin: Vec<u8>,
    env: Vec<(String, String)>,
    file_size_limit: Option<u64>,
    /// Whether the reader of stdout is gone before the process writes to it.
    stdout_closed: bool,
    /// The working directory; the test's own when `None`.
    dir: Option<PathBuf>,
}

impl Case {
    pub fn arg(mut self, arg: &str) -> Case {
        self.args.push(arg.to_owned());
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Case {
        self.dir = Some(dir.into());
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<str>) -> Case {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.as_ref().to_owned()));
        self
    }

    /// No file of the process may grow past `bytes`: a write beyond fails (EFBIG), as on a
    /// full disk. SIGXFSZ is ignored across the exec, so the write fails instead of killing.
    pub fn file_size_limit(mut self, bytes: u64) -> Case {
        self.file_size_limit = Some(bytes);
        self
    }

    /// Nobody reads stdout: its pipe is closed before the process can write, as by a client
    /// that gave up on the hook.
    pub fn stdout_closed(mut self) -> Case {
        self.stdout_closed = true;
        self
    }

    pub fn run(self) -> Ran {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        if let Some(bytes) = self.file_size_limit {
            use std::os::unix::process::CommandExt;
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().expect("spawn");
        if self.stdout_closed {
            drop(child.stdout.take());
        }
        let mut stdin = child.stdin.take().unwrap();
        let payload = self.stdin;
        // A hook may stop reading early (oversized input): a broken pipe is expected then.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&payload);
        });
        let output = child.wait_with_output().expect("wait");
        writer.join().unwrap();
        Ran { output }
    }
}

impl Case {
    /// Starts the process, gives it its payload, and kills it (SIGKILL) after `delay`,
    /// wherever it is by then; returns once it is gone.
    pub fn run_killed_after(self, delay: std::time::Duration) {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let _ = child.stdin.take().unwrap().write_all(&self.stdin);
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
    }
}

pub struct Ran {
    pub output: Output,
}

impl Ran {
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn stdout_json(&self) -> Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout()))
    }

    /// The fail-open contract: exit 0, nothing on stdout, exactly one line on stderr that names
    /// the binary. Returns that line.
    pub fn assert_fail_open(&self, hook: &str) -> String {
        assert_eq!(self.code(), Some(0), "exit code; stderr: {}", self.stderr());
        assert!(self.output.stdout.is_empty(), "stdout: {:?}", self.stdout());
        let stderr = self.stderr();
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "want one stderr line, got {stderr:?}");
        assert!(
            lines[0].starts_with(&format!("{hook}: ")),
            "stderr names the binary: {stderr:?}"
        );
        lines[0].to_owned()
    }

    /// Exit 0 with no stdout and no stderr: a hook that had nothing to say.
    pub fn assert_silent(&self) {
        assert_eq!(self.code(), Some(0), "stderr: {}", self.stderr());
        assert!(self.output.stdout.is_empty(), "stdout: {:?}", self.stdout());
        assert!(self.output.stderr.is_empty(), "stderr: {:?}", self.stderr());
    }

    pub fn assert_success(&self) -> &Ran {
        assert_eq!(
            self.code(),
            Some(0),
            "stdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// The user id of this test process (the owner of /proc/self).
/// A payload of `event` in a session, with the fields only `client` sends (Claude's
/// `prompt_id`; Codex's `turn_id` and `model`), plus `extra`.
pub fn payload(client: &str, session: &str, project: &str, event: &str, extra: Value) -> String {
    let mut p =
        serde_json::json!({"session_id": session, "cwd": project, "hook_event_name": event});
    match client {
        "claude" => p["prompt_id"] = "p1".into(),
        _ => {
            p["turn_id"] = "t1".into();
            p["model"] = "gpt-5.5".into();
        }
    }
    for (k, v) in extra.as_object().expect("extra fields are an object") {
        p[k] = v.clone();
    }
    p.to_string()
}

pub fn euid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

#[path = "../../../crates/protocol/tests/fixture_payloads/mod.rs"]
mod fixture_payloads;

/// Every captured hook payload: (client, event dir, file path).
pub fn all_payloads() -> Vec<(String, String, PathBuf)> {
    fixture_payloads::payload_files(&fixtures_dir())
}
