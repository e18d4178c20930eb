//! A job for a supervisor (`selfheal run`) rather than one client run: a private HOME, client
//! home and project, a scripted model server that outlives several client runs, and the
//! environment that points either client at it. The supervisor starts the client itself, so
//! nothing is registered here: [`Job::command`] gives the supervisor the client's offline
//! environment, and every process started under it carries a mark, so that strays are found
//! and ended when the job is dropped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::run::Client;
use crate::script::Turn;
use crate::server::{ModelServer, Request};

const MARK: &str = "SELFHEAL_E2E_JOB";

pub struct Job {
    pub client: Client,
    /// The job's directory (HOME, client home, project); removed on drop unless the test is
    /// failing or `SELFHEAL_E2E_KEEP` is set.
    pub dir: PathBuf,
    /// The directory the supervisor (and so the client) runs in.
    pub project: PathBuf,
    pub server: ModelServer,
}

impl Job {
    pub fn new(client: Client, name: &str, turns: Vec<Turn>) -> Job {
        let (dir, project) = crate::run::scratch_dirs("e2e-job", client, name);
        let server = ModelServer::start(client.wire(), turns);
        if client == Client::Codex {
            fs::write(
                dir.join("client-home/config.toml"),
                crate::codex::mock_config(server.port()),
            )
            .unwrap();
        }
        Job {
            client,
            dir,
            project,
            server,
        }
    }

    /// Writes a file of the project (parents created).
    pub fn file(&self, rel: &str, content: &str) -> &Job {
        let path = self.project.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        self
    }

    /// A project file's content, if it exists.
    pub fn read(&self, rel: &str) -> Option<String> {
        fs::read_to_string(self.project.join(rel)).ok()
    }

    /// `program` in the project directory with the client's offline environment: private
    /// HOME and TMPDIR, the scripted model, dummy keys, no retries by the client itself, and
    /// `SELFHEAL_CLAUDE_BIN` / `SELFHEAL_CODEX_BIN` naming the installed client.
    pub fn command(&self, program: &Path) -> Command {
        let mut command = crate::run::offline_command(program, &self.dir, &self.project, MARK);
        let port = self.server.port();
        match self.client {
            Client::Claude => {
                crate::claude::env(&mut command, &self.dir.join("client-home"), port);
                command
                    .env("SELFHEAL_CLAUDE_BIN", Client::Claude.executable())
                    .env("CLAUDE_CODE_MAX_RETRIES", "0");
            }
            Client::Codex => {
                crate::codex::env(&mut command, &self.dir.join("client-home"));
                command.env("SELFHEAL_CODEX_BIN", Client::Codex.executable());
            }
        }
        command
    }

    /// The client flags an unattended job needs here (the supervisor passes them on):
    /// Claude may use its tools without asking; Codex runs outside a git repository.
    pub fn client_args(&self) -> Vec<String> {
        match self.client {
            Client::Claude => vec!["--permission-mode".into(), "bypassPermissions".into()],
            Client::Codex => vec!["--skip-git-repo-check".into()],
        }
    }

    /// Where the hooks and the supervisor keep their state (the default path under HOME).
    pub fn state_db(&self) -> PathBuf {
        self.dir.join("home/.local/state/selfheal/state.db")
    }

    /// The agent's own model requests so far, in order.
    pub fn agent_requests(&self) -> Vec<Request> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.agent)
            .collect()
    }

    /// Every agent request's text, numbered: for a failing assertion.
    pub fn report(&self) -> String {
        let mut out = format!("--- job in {} ---\n", self.dir.display());
        for r in self.agent_requests() {
            let text = r.text();
            let start = text.len().saturating_sub(1500);
            let start = (start..=text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            out.push_str(&format!(
                "request {} turn {:?}: …{}\n",
                r.n,
                r.turn,
                &text[start..]
            ));
        }
        for e in self.server.errors() {
            out.push_str(&format!("server: {e}\n"));
        }
        out
    }

    /// Live processes started under this job (a test of the supervisor's clean-up).
    pub fn survivors(&self) -> Vec<u32> {
        crate::run::marked(format!("{MARK}={}\0", self.dir.display()).as_bytes())
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        // Ends whatever is left, after a moment for detached helpers to finish.
        let deadline = Instant::now() + Duration::from_secs(5);
        let needle = format!("{MARK}={}\0", self.dir.display());
        loop {
            let left = crate::run::marked(needle.as_bytes());
            if left.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                for pid in left {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if std::thread::panicking() || std::env::var_os("SELFHEAL_E2E_KEEP").is_some() {
            eprintln!("kept {}", self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
