//! One run of a real client against the scripted model: a private HOME, client home and
//! project directory, our hooks registered the way a user registers them, the client in its
//! own process group, bounded by a timeout and killed as a group.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::script::{Turn, Wire};
use crate::server::{ModelServer, Request};
use crate::{claude, codex};

pub const CODEX_VERSION: &str = "0.169.0";
pub const CLAUDE_VERSION: &str = "2.1.328";

/// The hook binaries we register.
pub const HOOKS: [&str; 4] = [
    "schema-guard",
    "failure-classifier",
    "patch-verifier",
    "budget-check",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    Codex,
    Claude,
}

impl Client {
    pub fn name(self) -> &'static str {
        match self {
            Client::Codex => "codex",
            Client::Claude => "claude",
        }
    }

    pub fn wire(self) -> Wire {
        match self {
            Client::Codex => Wire::Responses,
            Client::Claude => Wire::Messages,
        }
    }

    /// The installed client's launcher (what a user runs), from `scripts/install-clients.sh`.
    /// Panics, naming the script, when it is not installed at the pinned version.
    pub fn executable(self) -> PathBuf {
        let (dir, bin, version) = match self {
            Client::Codex => ("codex", "codex", CODEX_VERSION),
            Client::Claude => ("claude-code", "claude", CLAUDE_VERSION),
        };
        let exe = clients_dir()
            .join(format!("{dir}-{version}"))
            .join("node_modules/.bin")
            .join(bin);
        assert!(
            exe.exists(),
            "{} {version} is not installed at {}: run scripts/install-clients.sh \
             (the end-to-end tests drive the real clients and never download them)",
            self.name(),
            exe.display()
        );
        exe
    }
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/testkit is two levels down")
        .to_path_buf()
}

/// `$SELFHEAL_CLIENTS_DIR`, else `target/clients` of the workspace (as the install script).
pub fn clients_dir() -> PathBuf {
    match std::env::var_os("SELFHEAL_CLIENTS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("target/clients"),
    }
}

/// A run being set up. `Run::new` makes the directories; files and config go in before
/// [`Run::run`].
pub struct Run {
    client: Client,
    dir: PathBuf,
    /// The project directory the client runs in.
    pub project: PathBuf,
    hooks_dir: PathBuf,
    turns: Vec<Turn>,
    prompt: String,
    timeout: Duration,
    /// Claude: load the hooks as this plugin (`--plugin-dir`, binaries on PATH) instead of
    /// installing them into the project.
    plugin: Option<PathBuf>,
}

/// The environment variable that marks every process of one run, so that strays that left
/// the process group (a command in its own session) are found and ended too.
const MARK: &str = "SELFHEAL_E2E_RUN";

/// A fresh directory for one run or job: `home`, `tmp`, `client-home` and `project` in it.
/// Returns it and the project directory.
pub(crate) fn scratch_dirs(kind: &str, client: Client, name: &str) -> (PathBuf, PathBuf) {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "selfheal-{kind}-{}-{}-{name}-{}",
        client.name(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    let project = dir.join("project");
    for sub in ["home", "tmp", "client-home", "project"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
    }
    (dir, project)
}

impl Run {
    /// `hooks_dir` holds the built hook binaries (`target/debug`).
    pub fn new(client: Client, name: &str, hooks_dir: &Path) -> Run {
        let (dir, project) = scratch_dirs("e2e", client, name);
        for hook in HOOKS {
            let bin = hooks_dir.join(hook);
            assert!(bin.exists(), "hook binary {} not built", bin.display());
        }
        Run {
            client,
            dir,
            project,
            hooks_dir: hooks_dir.to_path_buf(),
            turns: Vec::new(),
            prompt: "Do the task.".to_owned(),
            timeout: Duration::from_secs(90),
            plugin: None,
        }
    }

    /// Writes a file of the project (parents created).
    pub fn file(self, rel: &str, content: &str) -> Run {
        let path = self.project.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        self
    }

    /// The project's `.selfheal.toml`, trusted as the user would (`selfheal trust`), so that
    /// the commands it sets run.
    pub fn config(self, toml: &str) -> Run {
        let run = self.file(".selfheal.toml", toml);
        let trust_file = run
            .dir
            .join("home/.config/selfheal")
            .join(selfheal_config::trust::FILE_NAME);
        selfheal_config::trust::trust(
            &trust_file,
            &run.project.join(".selfheal.toml"),
            toml.as_bytes(),
        )
        .unwrap();
        run
    }

    /// What the model says, one turn per agent request; once spent it only ends the turn.
    pub fn turns(mut self, turns: Vec<Turn>) -> Run {
        self.turns = turns;
        self
    }

    /// Claude: the hooks come from the plugin in `dir` (`--plugin-dir`), the hook binaries
    /// from PATH, as for a user who installed the plugin.
    pub fn claude_plugin(mut self, dir: &Path) -> Run {
        assert_eq!(self.client, Client::Claude, "plugins are Claude Code's");
        self.plugin = Some(dir.to_owned());
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Run {
        self.timeout = timeout;
        self
    }

    pub fn run(self) -> Outcome {
        let exe = self.client.executable();
        let server = ModelServer::start(self.client.wire(), self.turns.clone());
        let client_home = self.dir.join("client-home");
        let mut command = offline_command(&exe, &self.dir, &self.project, MARK);
        command
            .stdin(Stdio::null())
            .stdout(fs::File::create(self.dir.join("client.stdout")).unwrap())
            .stderr(fs::File::create(self.dir.join("client.stderr")).unwrap());
        match self.client {
            Client::Codex => {
                codex::setup(
                    &client_home,
                    &self.dir.join("home"),
                    &self.hooks_dir,
                    server.port(),
                );
                codex::command(&mut command, &client_home, &self.prompt);
            }
            Client::Claude => {
                match &self.plugin {
                    Some(plugin) => {
                        let mut path = std::ffi::OsString::from(&self.hooks_dir);
                        path.push(":");
                        path.push(std::env::var_os("PATH").unwrap_or_default());
                        command.env("PATH", path).arg("--plugin-dir").arg(plugin);
                    }
                    None => claude::setup(&self.project, &self.dir.join("home"), &self.hooks_dir),
                }
                claude::command(
                    &mut command,
                    &client_home,
                    &self.dir.join("claude-debug.log"),
                    server.port(),
                    &self.prompt,
                );
            }
        }
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }

        let start = Instant::now();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", exe.display()));
        let pgid = child.id();
        let deadline = start + self.timeout;
        let (status, timed_out) = loop {
            if let Some(status) = child.try_wait().expect("wait for the client") {
                break (Some(status), false);
            }
            if Instant::now() >= deadline {
                kill_group(pgid);
                let _ = child.wait();
                break (None, true);
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        let elapsed = start.elapsed();
        // The npm launcher may leave the native client, and the client its hooks and commands.
        kill_group(pgid);
        // Processes that left the group on purpose (budget-check's escalation helper, bounded
        // by `[escalate] timeout_secs`, 10 s by default) may finish their work after a normal
        // exit; then they are ended too. After a timeout nothing gets to finish.
        let grace = if timed_out {
            Duration::ZERO
        } else {
            Duration::from_secs(12)
        };
        reap_marked(&self.dir, grace);
        let requests = server.requests();
        let log: String = requests
            .iter()
            .map(|r| {
                serde_json::json!({"n": r.n, "method": r.method, "target": r.target,
                                   "agent": r.agent, "turn": r.turn, "body": r.body})
                .to_string()
                    + "\n"
            })
            .collect();
        let _ = fs::write(self.dir.join("requests.jsonl"), log);

        let read = |name: &str| fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        Outcome {
            client: self.client,
            code: status.and_then(|s| s.code()),
            timed_out,
            elapsed,
            stdout: read("client.stdout"),
            stderr: read("client.stderr"),
            requests,
            server_errors: server.errors(),
            turns_scripted: self.turns.len(),
            turns_served: server.turns_served(),
            project: self.project.clone(),
            dir: self.dir.clone(),
            hooks_dir: self.hooks_dir.clone(),
        }
    }
}

/// `program` in `project` with a clean environment of the scratch `dir`: its own HOME and
/// TMPDIR, the user's PATH and name, no colour, and `mark=dir` so that a leftover process of
/// the run can be found.
pub(crate) fn offline_command(program: &Path, dir: &Path, project: &Path, mark: &str) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(project)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.join("home"))
        .env("TMPDIR", dir.join("tmp"))
        .env("LANG", "C.UTF-8")
        .env("SHELL", shell())
        .env("NO_COLOR", "1")
        .env(mark, dir);
    for key in ["USER", "LOGNAME"] {
        if let Some(v) = std::env::var_os(key) {
            command.env(key, v);
        }
    }
    command
}

fn shell() -> &'static str {
    if Path::new("/bin/bash").exists() {
        "/bin/bash"
    } else {
        "/bin/sh"
    }
}

pub(crate) fn kill_group(pgid: u32) {
    selfheal_run::signal_group(pgid, 9); // SIGKILL
}

/// Waits up to `grace` for every process that carries this run's mark in its environment to
/// exit, then ends those still there.
fn reap_marked(dir: &Path, grace: Duration) {
    let needle = format!("{MARK}={}\0", dir.display());
    let deadline = Instant::now() + grace;
    loop {
        let left = marked(needle.as_bytes());
        if left.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            eprintln!(
                "{}: ending {} process(es) left after the run: {:?}",
                dir.display(),
                left.len(),
                left.iter().map(|p| cmdline(*p)).collect::<Vec<_>>()
            );
            for pid in left {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn cmdline(pid: u32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| {
            String::from_utf8_lossy(&c)
                .replace('\0', " ")
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}

/// The live processes whose environment holds `needle` (zombies have none).
pub(crate) fn marked(needle: &[u8]) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let environ = fs::read(entry.path().join("environ")).ok()?;
            environ
                .windows(needle.len())
                .any(|w| w == needle)
                .then_some(pid)
        })
        .collect()
}

/// What a run did: the client's exit, its output, every request that reached the model, and
/// the project directory as the client left it.
pub struct Outcome {
    pub client: Client,
    /// The exit code (None: killed, or timed out).
    pub code: Option<i32>,
    pub timed_out: bool,
    pub elapsed: Duration,
    pub stdout: String,
    pub stderr: String,
    pub requests: Vec<Request>,
    pub server_errors: Vec<String>,
    pub turns_scripted: usize,
    pub turns_served: usize,
    pub project: PathBuf,
    /// The run's directory (HOME, client home, project, logs); removed on drop unless the
    /// test is failing.
    pub dir: PathBuf,
    hooks_dir: PathBuf,
}

impl Outcome {
    /// The agent's own model requests, in order.
    pub fn agent_requests(&self) -> Vec<&Request> {
        self.requests.iter().filter(|r| r.agent).collect()
    }

    /// The agent request that followed scripted turn `turn` (0-based): the one that carries
    /// the results of that turn's tool calls and whatever our hooks added about them.
    pub fn after_turn(&self, turn: usize) -> &Request {
        let agent = self.agent_requests();
        let i = agent.iter().position(|r| r.turn == Some(turn));
        match i.and_then(|i| agent.get(i + 1)) {
            Some(r) => r,
            None => panic!(
                "no model request after scripted turn {turn}\n{}",
                self.report()
            ),
        }
    }

    /// The agent request that scripted turn `turn` answered.
    pub fn served(&self, turn: usize) -> &Request {
        match self
            .requests
            .iter()
            .find(|r| r.agent && r.turn == Some(turn))
        {
            Some(r) => r,
            None => panic!("scripted turn {turn} was never served\n{}", self.report()),
        }
    }

    /// How often `needle` is in the request that scripted turn `turn` answered, and in the
    /// request after it.
    pub fn counts_around_turn(&self, turn: usize, needle: &str) -> (usize, usize) {
        (
            self.served(turn).text().matches(needle).count(),
            self.after_turn(turn).text().matches(needle).count(),
        )
    }

    /// Asserts that the request after scripted turn `turn` shows the model each needle more
    /// often than the request before it did: the text is new, wherever the client put it
    /// (each request carries the whole conversation, so older text is in both).
    pub fn assert_new_after_turn(&self, turn: usize, needles: &[&str]) {
        let before = self.served(turn).text();
        let after = self.after_turn(turn).text();
        for needle in needles {
            let (b, a) = (
                before.matches(needle).count(),
                after.matches(needle).count(),
            );
            assert!(
                a > b,
                "{}: the request after turn {turn} does not add {needle:?} (seen {b} times \
                 before, {a} after)\n--- its text (tail) ---\n{}\n{}",
                self.client.name(),
                tail(&after, 6000),
                self.report()
            );
        }
    }

    /// Asserts that no request ever showed the model `needle`.
    pub fn assert_never_sent(&self, needle: &str) {
        for r in &self.requests {
            let text = r.text();
            assert!(
                !text.contains(needle),
                "{}: request {} shows the model {needle:?}:\n{}\n{}",
                self.client.name(),
                r.n,
                tail(&text, 4000),
                self.report()
            );
        }
    }

    /// Asserts that the client finished by itself, successfully, within its timeout.
    pub fn assert_finished(&self) {
        assert!(
            !self.timed_out && self.code == Some(0),
            "{} did not finish cleanly\n{}",
            self.client.name(),
            self.report()
        );
    }

    /// A project file's content, if it exists.
    pub fn read(&self, rel: &str) -> Option<String> {
        fs::read_to_string(self.project.join(rel)).ok()
    }

    /// Where the hooks keep their state for this run (the default path under the run's HOME).
    pub fn state_db(&self) -> PathBuf {
        self.dir.join("home/.local/state/selfheal/state.db")
    }

    /// The client's session id (Codex `--json`: `thread.started`; Claude `--output-format
    /// json`: `session_id`), which is the one our hooks record under.
    pub fn session_id(&self) -> Option<String> {
        self.stdout.lines().find_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            match self.client {
                Client::Codex => (v["type"] == "thread.started")
                    .then(|| v["thread_id"].as_str().map(str::to_owned))
                    .flatten(),
                Client::Claude => v["session_id"].as_str().map(str::to_owned),
            }
        })
    }

    /// Every event our hooks recorded for this run's session (`selfheal events --json`).
    pub fn hook_events(&self) -> Vec<serde_json::Value> {
        let Some(session) = self.session_id() else {
            panic!("no session id in the client's output\n{}", self.report());
        };
        let out = Command::new(self.hooks_dir.join("selfheal"))
            .args(["events", "--session", &session, "--json"])
            .env_clear()
            .env("HOME", self.dir.join("home"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .expect("run selfheal events");
        if !out.status.success() {
            return Vec::new();
        }
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Asserts that our hooks recorded each of these events for the session (which also
    /// proves they were registered, trusted and run).
    pub fn assert_hooks_saw(&self, events: &[&str]) {
        let seen = self.hook_events();
        let names: Vec<&str> = seen
            .iter()
            .filter_map(|e| e["hook_event_name"].as_str())
            .collect();
        for event in events {
            assert!(
                names.contains(event),
                "{}: no {event} recorded by our hooks (saw {names:?})\n{}",
                self.client.name(),
                self.report()
            );
        }
    }

    /// Processes of this run still alive (none, once the run is over: a test of the harness).
    pub fn survivors(&self) -> Vec<u32> {
        marked(format!("{MARK}={}\0", self.dir.display()).as_bytes())
    }

    /// Claude's `--debug-file` log (hook runs, their exit codes and output); empty for Codex.
    pub fn claude_debug_log(&self) -> String {
        fs::read_to_string(self.dir.join("claude-debug.log")).unwrap_or_default()
    }

    /// Everything useful when an assertion fails.
    pub fn report(&self) -> String {
        let mut out = format!(
            "--- {} run in {} ---\nexit code {:?}, timed out {}, {:.1} s; script turns served \
             {}/{}\n",
            self.client.name(),
            self.dir.display(),
            self.code,
            self.timed_out,
            self.elapsed.as_secs_f64(),
            self.turns_served,
            self.turns_scripted,
        );
        for r in &self.requests {
            out.push_str(&format!(
                "request {}: {} {} agent={} turn={:?} ({} bytes of text)\n",
                r.n,
                r.method,
                r.target,
                r.agent,
                r.turn,
                r.text().len()
            ));
        }
        for e in &self.server_errors {
            out.push_str(&format!("server: {e}\n"));
        }
        out.push_str(&format!(
            "--- client stdout (tail) ---\n{}\n--- client stderr (tail) ---\n{}\n",
            tail(&self.stdout, 3000),
            tail(&self.stderr, 3000)
        ));
        out
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("SELFHEAL_E2E_KEEP").is_some() {
            eprintln!("kept {}", self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
